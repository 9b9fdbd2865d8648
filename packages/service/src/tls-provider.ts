// The one source of TLS contexts for every listener: per SNI name, reloaded when certbot renews.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { domainToASCII } from 'node:url';
import type { SecureContext, SecureContextOptions } from 'node:tls';
import type { PosternConfig } from '@postern/config';
import type { Logger } from '@postern/log';
import { CertificateError, loadCertificate, type CertificateFiles, type LoadedCertificate, type TlsMinVersion } from './tls.js';

export interface TlsProviderOptions {
  /** The pair served without SNI and for every name that has no pair of its own. */
  default: CertificateFiles;
  /** Pairs for other names (`mail.example.org`, `*.example.org`). */
  sni?: Readonly<Record<string, CertificateFiles>>;
  minVersion: TlsMinVersion;
  logger: Logger;
  /** Quiet time after the last file event before reloading (certbot swaps four links in a row). */
  debounceMs?: number;
}

/** What the options of smtp-server and imap-core take: the default pair, the floor, and SNI through the provider. */
export interface TlsServerOptions extends Pick<SecureContextOptions, 'key' | 'cert' | 'minVersion'> {
  SNICallback: (servername: string, callback: (err: Error | null, context?: SecureContext) => void) => void;
}

/** The outcome of one reload, per pair: `'*'` is the default pair. */
export interface ReloadOutcome {
  changed: string[];
  unchanged: string[];
  failed: { name: string; reason: string }[];
}

const DEFAULT_NAME = '*';
const DEBOUNCE_MS = 250;

/**
 * Every listener (SMTP 25/587/465, IMAP 143/993, POP3 110/995) takes its
 * contexts from here at each handshake: `SNICallback` answers a client that
 * names a host (RFC 6066 §3), `defaultContext` one that does not. The files
 * are watched, and `reload()` runs on SIGHUP; a pair that fails its checks
 * keeps the one in service and logs why.
 */
export class TlsProvider {
  private readonly pairs: Map<string, LoadedCertificate>;
  private readonly logger: Logger;
  private readonly debounceMs: number;
  private readonly listeners = new Set<() => void>();
  /** On the directories of the files: they see certbot's link swaps and stay for the provider's life. */
  private directoryWatchers: FSWatcher[] = [];
  /** On the files (through links to their targets): edits in place; set again after every reload. */
  private fileWatchers: FSWatcher[] = [];
  private watching = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly minVersion: TlsMinVersion;

  /** Throws CertificateError when a configured pair is unusable at start. */
  constructor(private readonly options: TlsProviderOptions) {
    this.logger = options.logger;
    this.minVersion = options.minVersion;
    this.debounceMs = options.debounceMs ?? DEBOUNCE_MS;
    this.pairs = new Map();
    for (const [name, files] of this.configured()) {
      const loaded = loadCertificate(files, this.minVersion);
      this.pairs.set(name, loaded);
      this.logger.info({ event: 'tls_loaded', name, cert: files.cert, fingerprint: loaded.fingerprint, names: loaded.names, valid_to: loaded.validTo }, `TLS certificate for ${name === DEFAULT_NAME ? 'every name' : name}: ${loaded.names}, valid to ${loaded.validTo}`);
    }
  }

  /** The provider of `[tls]` (and `[tls.sni]`), or null when no certificate is configured. */
  static fromConfig(config: PosternConfig, logger: Logger): TlsProvider | null {
    if (!config.tls.cert || !config.tls.key) return null;
    return new TlsProvider({ default: { cert: config.tls.cert, key: config.tls.key }, sni: config.tls.sni, minVersion: config.tls.min_version, logger });
  }

  private configured(): [string, CertificateFiles][] {
    const named = Object.entries(this.options.sni ?? {}).map(([name, files]): [string, CertificateFiles] => [name.toLowerCase(), files]);
    return [[DEFAULT_NAME, this.options.default], ...named];
  }

  private get defaultPair(): LoadedCertificate {
    return this.pairs.get(DEFAULT_NAME)!;
  }

  /** For a client that sends no SNI. */
  get defaultContext(): SecureContext {
    return this.defaultPair.context;
  }

  /** SHA-256 of the default certificate in service. */
  get fingerprint(): string {
    return this.defaultPair.fingerprint;
  }

  /** Each pair in service with the end of its validity (`'*'` is the default pair): for the certificate-expiry metric. */
  certificates(): { name: string; validTo: Date }[] {
    return [...this.pairs].map(([name, pair]) => ({ name, validTo: new Date(pair.validTo) }));
  }

  /** The pair for a server name: its own, a `*.parent` one, else the default (RFC 6066 §3: an unknown name still gets a handshake). */
  contextFor(servername: string | undefined): SecureContext {
    if (servername) {
      // smtp-server and imap-core hand over IDN names in Unicode; the table holds the A-labels of the certificates.
      const name = (domainToASCII(servername) || servername).toLowerCase().replace(/\.$/, '');
      const exact = this.pairs.get(name);
      if (exact) return exact.context;
      const dot = name.indexOf('.');
      const wildcard = dot > 0 ? this.pairs.get(`*${name.slice(dot)}`) : undefined;
      if (wildcard) return wildcard.context;
    }
    return this.defaultContext;
  }

  /** node:tls's SNICallback, bound. */
  readonly SNICallback = (servername: string, callback: (err: Error | null, context?: SecureContext) => void): void => {
    callback(null, this.contextFor(servername));
  };

  /** Options for a library that builds its own default context (smtp-server, imap-core): the default pair, the floor, SNI from here. */
  serverOptions(): TlsServerOptions {
    return { key: this.defaultPair.key, cert: this.defaultPair.cert, minVersion: this.minVersion, SNICallback: this.SNICallback };
  }

  /** Runs `listener` after every reload that changed a pair; returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Keeps a library's own default context (smtp-server's and imap-core's
   * `secureContext.get('*')`, used without SNI) on the pair in service, through
   * their public updateSecureContext; returns the unsubscribe.
   */
  keepUpdated(server: { updateSecureContext(options: SecureContextOptions): void }): () => void {
    return this.onChange(() => {
      const { key, cert, minVersion } = this.serverOptions();
      server.updateSecureContext({ key, cert, minVersion });
    });
  }

  /** Reads every pair again; a pair that fails keeps the one in service. `reason` goes to the log (`SIGHUP`, a file name). */
  reload(reason: string): ReloadOutcome {
    const outcome: ReloadOutcome = { changed: [], unchanged: [], failed: [] };
    for (const [name, files] of this.configured()) {
      const current = this.pairs.get(name)!;
      let next: LoadedCertificate;
      try {
        next = loadCertificate(files, this.minVersion);
      } catch (err) {
        // Whatever the files hold, the process goes on with the pair in service.
        const why = err instanceof CertificateError ? err.message : `${files.cert} and ${files.key}: ${String(err)}`;
        outcome.failed.push({ name, reason: why });
        this.logger.warn(
          { event: 'tls_reload_failed', name, reason: why, trigger: reason, fingerprint: current.fingerprint },
          `TLS certificate for ${name === DEFAULT_NAME ? 'every name' : name} not reloaded (${reason}): ${why}; still serving ${current.fingerprint}`,
        );
        continue;
      }
      if (next.cert.equals(current.cert) && next.key.equals(current.key)) {
        outcome.unchanged.push(name);
        continue;
      }
      this.pairs.set(name, next);
      outcome.changed.push(name);
      this.logger.info(
        { event: 'tls_reloaded', name, trigger: reason, fingerprint: next.fingerprint, previous: current.fingerprint, names: next.names, valid_to: next.validTo },
        `TLS certificate for ${name === DEFAULT_NAME ? 'every name' : name} reloaded (${reason}): ${next.names}, valid to ${next.validTo}`,
      );
    }
    if (outcome.changed.length > 0) {
      for (const listener of this.listeners) listener();
    }
    // A link swapped to a new target, or a file replaced by rename, needs its watch set again.
    if (this.watching) this.watchFiles();
    return outcome;
  }

  /**
   * Reloads on changes to the files: their directories are watched because
   * certbot renews by swapping the symlinks in live/HOST/ (the file watch
   * follows a link to its old target), and the files themselves for edits in place.
   */
  watch(): void {
    if (this.closed || this.watching) return;
    this.watching = true;
    const namesByDir = new Map<string, Set<string>>();
    for (const file of this.files()) {
      const names = namesByDir.get(dirname(file)) ?? new Set<string>();
      names.add(basename(file));
      namesByDir.set(dirname(file), names);
    }
    for (const [dir, names] of namesByDir) {
      this.watchPath(this.directoryWatchers, dir, (filename) => filename === null || names.has(filename));
    }
    this.watchFiles();
  }

  private files(): Set<string> {
    return new Set(this.configured().flatMap(([, pair]) => [pair.cert, pair.key]));
  }

  private watchFiles(): void {
    for (const watcher of this.fileWatchers.splice(0)) watcher.close();
    for (const file of this.files()) this.watchPath(this.fileWatchers, file, () => true);
  }

  private watchPath(into: FSWatcher[], path: string, relevant: (filename: string | null) => boolean): void {
    try {
      const watcher = watch(path, { persistent: false }, (_event, filename) => {
        const name = filename === null ? null : String(filename);
        if (relevant(name)) this.schedule(`${name ?? path} changed`);
      });
      watcher.on('error', (err) => {
        this.logger.warn({ event: 'tls_watch_failed', path, err: err.message }, `cannot watch ${path} for certificate renewals: ${err.message} (SIGHUP still reloads)`);
        watcher.close();
      });
      into.push(watcher);
    } catch (err) {
      // A file missing mid-swap: the directory watch sees it come back.
      this.logger.debug({ event: 'tls_watch_failed', path, err: (err as Error).message }, `cannot watch ${path}: ${(err as Error).message}`);
    }
  }

  private schedule(reason: string): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.reload(reason);
    }, this.debounceMs);
    this.timer.unref();
  }


  /** Stops watching. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    for (const watcher of [...this.directoryWatchers.splice(0), ...this.fileWatchers.splice(0)]) watcher.close();
  }
}
