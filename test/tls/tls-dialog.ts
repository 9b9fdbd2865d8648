// A node:tls client that reaches TLS the way mail clients do on each port: at once (465, 993, 995) or after STARTTLS/STLS (25, 587, 143, 110).
import { lookup as systemLookup, type LookupAddress } from 'node:dns';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';

export const HOST = 'mail.example.test';

export type Protocol = 'smtp' | 'imap' | 'pop3';

/** A TLS listener of Postern, by its [listen] key. */
export interface TlsPort {
  listener: 'submissions' | 'submission' | 'smtp' | 'imaps' | 'imap' | 'pop3s' | 'pop3';
  protocol: Protocol;
  /** RFC 8314 implicit TLS; else STARTTLS (RFC 3207, RFC 3501 §6.2.1) or STLS (RFC 2595 §4). */
  implicit: boolean;
}

export const TLS_PORTS: readonly TlsPort[] = [
  { listener: 'submissions', protocol: 'smtp', implicit: true },
  { listener: 'submission', protocol: 'smtp', implicit: false },
  { listener: 'smtp', protocol: 'smtp', implicit: false },
  { listener: 'imaps', protocol: 'imap', implicit: true },
  { listener: 'imap', protocol: 'imap', implicit: false },
  { listener: 'pop3s', protocol: 'pop3', implicit: true },
  { listener: 'pop3', protocol: 'pop3', implicit: false },
];

/** HOST → 127.0.0.1, every other name through the system: the test's resolver for node's own clients. */
export function lookupTestHost(hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void): void {
  if (hostname !== HOST) return void systemLookup(hostname, options as never, callback as never);
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }] satisfies LookupAddress[]);
  else callback(null, '127.0.0.1', 4);
}

/** Reads until `pattern` matches what has arrived (a whole reply); rejects on close or after 5 s. */
export function readUntil(stream: Duplex, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('close', onClose);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (!pattern.test(text)) return;
      finish();
      resolve(text);
    };
    const onClose = (): void => {
      finish();
      reject(new Error(`connection closed while waiting for ${pattern}; got ${JSON.stringify(text)}`));
    };
    const onError = (error: Error): void => {
      finish();
      reject(error);
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no ${pattern} within ${timeoutMs} ms; got ${JSON.stringify(text)}`));
    }, timeoutMs);
    stream.on('data', onData);
    stream.once('close', onClose);
    stream.once('error', onError);
  });
}

const GREETING: Record<Protocol, RegExp> = { smtp: /^220 .*\r\n/m, imap: /^\* OK.*\r\n/m, pop3: /^\+OK.*\r\n/m };

/** The plaintext dialogue up to the handshake: EHLO + STARTTLS, STARTTLS, or STLS. */
async function startTls(socket: Socket, protocol: Protocol): Promise<void> {
  await readUntil(socket, GREETING[protocol]);
  if (protocol === 'smtp') {
    socket.write('EHLO client.example.test\r\n');
    const ehlo = await readUntil(socket, /^250 .*\r\n/m);
    if (!/^250[- ]STARTTLS\r$/m.test(ehlo)) throw new Error(`no STARTTLS in the EHLO reply: ${ehlo}`);
    socket.write('STARTTLS\r\n');
    await readUntil(socket, /^220 .*\r\n/m);
  } else if (protocol === 'imap') {
    socket.write('s1 STARTTLS\r\n');
    await readUntil(socket, /^s1 OK.*\r\n/m);
  } else {
    socket.write('STLS\r\n');
    await readUntil(socket, /^\+OK.*\r\n/m);
  }
}

/** One command over TLS that proves the session works: EHLO, CAPABILITY, CAPA. */
export async function secureCommand(socket: TLSSocket, protocol: Protocol): Promise<string> {
  if (protocol === 'smtp') {
    socket.write('EHLO client.example.test\r\n');
    return readUntil(socket, /^250 .*\r\n/m);
  }
  if (protocol === 'imap') {
    socket.write('s2 CAPABILITY\r\n');
    return readUntil(socket, /^s2 OK.*\r\n/m);
  }
  socket.write('CAPA\r\n');
  return readUntil(socket, /^\.\r\n/m);
}

export interface Handshake {
  socket: TLSSocket;
  /** The chain verified against the test CA, and the name (when one was checked). */
  authorized: boolean;
  fingerprint: string;
  version: string | null;
}

/**
 * Connects to HOST:port (through lookupTestHost) as a client of `port` does,
 * with `tls` (ca, servername, versions) for the handshake; resolves once the
 * handshake is done and, for implicit TLS, the greeting has arrived.
 */
export async function handshake(port: TlsPort, tcpPort: number, tls: ConnectionOptions): Promise<Handshake> {
  const target = { host: HOST, port: tcpPort, lookup: lookupTestHost as never };
  const secureOptions: ConnectionOptions = { servername: HOST, ...tls };
  let socket: TLSSocket;
  if (port.implicit) {
    socket = tlsConnect({ ...target, ...secureOptions });
  } else {
    const plain = netConnect(target);
    try {
      await new Promise<void>((resolve, reject) => plain.once('connect', resolve).once('error', reject));
      await startTls(plain, port.protocol);
    } catch (error) {
      plain.destroy();
      throw error;
    }
    socket = tlsConnect({ socket: plain, ...secureOptions });
  }
  // A greeting sent right after an implicit handshake must not be missed: listen from the start.
  const greeting = port.implicit ? readUntil(socket, GREETING[port.protocol]) : null;
  greeting?.catch(() => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed during the handshake')));
    });
    if (greeting) await greeting;
  } catch (error) {
    socket.destroy();
    throw error;
  }
  return { socket, authorized: socket.authorized, fingerprint: socket.getPeerCertificate().fingerprint256, version: socket.getProtocol() };
}
