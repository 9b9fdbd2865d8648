import type { PosternConfig } from '@postern/config';
import { parseScannerAddress, type ScannerAddress } from './address.js';
import { describeFailure } from './failure.js';
import { askRspamd } from './rspamd.js';
import { askSpamd } from './spamd.js';
import type { ContentScanner, ScanFacts, ScannerAnswer, ScanResult } from './types.js';
import { verdict } from './verdict.js';

// The ports the scanners listen on out of the box.
const DEFAULT_PORTS = { spamd: 783, rspamd: 11333 } as const;

type Ask = (address: ScannerAddress, message: Buffer, facts: ScanFacts, timeoutMs: number) => Promise<ScannerAnswer>;

const ASK: Readonly<Record<keyof typeof DEFAULT_PORTS, Ask>> = {
  spamd: (address, message, facts, timeoutMs) => askSpamd(address, message, facts.user, timeoutMs),
  rspamd: askRspamd,
};

function notScanned(status: 'unavailable' | 'skipped', detail: string): ScanResult {
  return { status, score: null, threshold: null, headers: '', detail };
}

/**
 * The content scanner [content_filter] names, or null when scanner = "none".
 * Its scan() never throws: a scanner that is down, slow or talking nonsense
 * gives 'unavailable', and the MTA accepts the message unscanned.
 */
export function createContentScanner(config: PosternConfig): ContentScanner | null {
  const settings = config.content_filter;
  if (settings.scanner === 'none') return null;
  const kind = settings.scanner;
  const ask = ASK[kind];
  // The schema insists on an address; the scanner's usual port on loopback otherwise.
  const address = parseScannerAddress(settings.address ?? '127.0.0.1', DEFAULT_PORTS[kind]);
  const name = `${kind} ${address.label}`;
  return {
    async scan(message, facts) {
      // spamc's -s: larger messages pass unscanned rather than tie up the scanner.
      if (message.length > settings.max_size) {
        return notScanned('skipped', `${name}: not scanned, ${message.length} bytes is over content_filter.max_size ${settings.max_size}`);
      }
      const started = Date.now();
      try {
        const answer = await ask(address, Buffer.isBuffer(message) ? message : await message.bytes(), facts, settings.timeout);
        return verdict(name, answer, settings.reject_score, Date.now() - started);
      } catch (err) {
        return notScanned('unavailable', `${name}: ${describeFailure(err)}`);
      }
    },
  };
}
