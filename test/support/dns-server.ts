import { createSocket } from 'node:dgram';
import { isIPv4, isIPv6, type Socket } from 'node:net';
import * as dnsPacket from 'dns-packet';
import dns2 from 'dns2';
import type Dns2 from 'dns2';

const { Packet } = dns2;

/** The records of one name. Names not in the zone answer NXDOMAIN; a type the name lacks answers NODATA. */
export interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  /** exchange "" (or ".") with priority 0 is the null MX of RFC 7505. */
  MX?: { exchange: string; priority: number }[];
  /** One item per TXT record: a string (cut into 255-octet character-strings) or its character-strings as given. */
  TXT?: (string | string[])[];
  /** RFC 2782 service records; target "." means the service is not offered (RFC 6186 §4). */
  SRV?: { priority: number; weight: number; port: number; target: string }[];
  /** For reverse names such as 1.0.0.127.in-addr.arpa. */
  PTR?: string[];
  /** RFC 6698 TLSA records, e.g. at _25._tcp.mx.example.test; data as hex or bytes. */
  TLSA?: { usage: number; selector: number; matchingType: number; data: string | Buffer }[];
  /**
   * The name is in a DNSSEC-signed zone and this server stands in for a
   * validating resolver: its answers carry AD (RFC 4035 §3.2.3), as does
   * NXDOMAIN for a name under it that is not in the zone (a secure denial).
   */
  SECURE?: true;
  /** Every query for the name answers SERVFAIL. */
  SERVFAIL?: true;
  /** Queries for the name are never answered (the client times out). */
  TIMEOUT?: true;
  /** TTL of the name's records in seconds (default 300). */
  TTL?: number;
}

export type ZoneRecords = Record<string, ZoneEntry>;

export interface DnsQuery {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
}

export interface DnsTestServer {
  /** "127.0.0.1:PORT", ready for dns.servers / ResolverOptions.servers. */
  address: string;
  port: number;
  /** Replaces the zone; the next query sees the new records. */
  set(zone: ZoneRecords): void;
  /** Every query received, oldest first. */
  readonly queries: readonly DnsQuery[];
  /** How many queries asked for name (of type, when given). */
  count(name: string, type?: string): number;
  stop(): Promise<void>;
}

const TYPE_NAMES = new Map<number, string>([
  [Packet.TYPE.A, 'A'],
  [Packet.TYPE.AAAA, 'AAAA'],
  [Packet.TYPE.MX, 'MX'],
  [Packet.TYPE.TXT, 'TXT'],
  [Packet.TYPE.PTR, 'PTR'],
  [Packet.TYPE.SRV, 'SRV'],
  [52, 'TLSA'],
]);

/**
 * An authoritative DNS server for tests on 127.0.0.1 (UDP, and TCP on the same
 * port for answers too big for 512 octets), answering from `zone`.
 */
export async function startDnsServer(zone: ZoneRecords): Promise<DnsTestServer> {
  let records = normalizeZone(zone);
  const queries: DnsQuery[] = [];

  const handle = (transport: DnsQuery['transport']): Dns2.DnsHandler => (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    response.header.ra = 1;
    const question = request.questions[0];
    if (question === undefined) {
      response.header.rcode = Packet.RCODE.FORMERR;
      reply(send, response);
      return;
    }
    const name = normalizeName(question.name);
    const type = TYPE_NAMES.get(question.type) ?? String(question.type);
    queries.push({ name, type, transport });

    const entry = records.get(name);
    if (entry?.TIMEOUT) return;
    const secure = entry?.SERVFAIL !== true && securedBy(records, name);
    if (type === 'TLSA') {
      send(tlsaResponse(request, question.name, entry, secure) as unknown as Dns2.Packet);
      return;
    }
    if (entry === undefined) response.header.rcode = Packet.RCODE.NXDOMAIN;
    else if (entry.SERVFAIL) response.header.rcode = Packet.RCODE.SERVFAIL;
    else response.answers.push(...answersFor(question, type, entry));
    reply(send, response, secure);
  };

  const { udp, tcp, connections } = await listenOnOnePort(handle('udp'), handle('tcp'));
  const port = udp.address().port;

  return {
    address: `127.0.0.1:${port}`,
    port,
    set(next) {
      records = normalizeZone(next);
    },
    queries,
    count(name, type) {
      const wanted = normalizeName(name);
      return queries.filter((query) => query.name === wanted && (type === undefined || query.type === type.toUpperCase())).length;
    },
    async stop() {
      // c-ares may keep its TCP connection open; end it rather than wait for the idle timeout.
      for (const socket of connections) socket.destroy();
      await Promise.all([new Promise<void>((resolve) => udp.close(() => resolve())), new Promise<void>((resolve) => tcp.close(() => resolve()))]);
    },
  };
}

/** A UDP socket on 127.0.0.1 that reads queries and never answers: a DNS server that has gone silent. */
export async function startSilentDnsServer(): Promise<{ address: string; port: number; received(): number; stop(): Promise<void> }> {
  const socket = createSocket('udp4');
  let received = 0;
  socket.on('message', () => received++);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  return {
    address: `127.0.0.1:${port}`,
    port,
    received: () => received,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Whether the name, or the nearest name above it in the zone, is marked SECURE. */
function securedBy(records: Map<string, ZoneEntry>, name: string): boolean {
  for (let labels = name.split('.'); labels.length > 0; labels = labels.slice(1)) {
    const entry = records.get(labels.join('.'));
    if (entry !== undefined) return entry.SECURE === true;
  }
  return false;
}

/** A TLSA answer, encoded with dns-packet (dns2 has no TLSA type). */
function tlsaResponse(request: Dns2.Packet, qname: string, entry: ZoneEntry | undefined, secure: boolean): Buffer {
  const rcode = entry === undefined ? 'NXDOMAIN' : entry.SERVFAIL ? 'SERVFAIL' : 'NOERROR';
  const answers: dnsPacket.Answer[] = rcode !== 'NOERROR' ? [] : (entry?.TLSA ?? []).map((record) => ({
    type: 'TLSA',
    name: qname,
    ttl: entry?.TTL ?? 300,
    data: { usage: record.usage, selector: record.selector, matchingType: record.matchingType, certificate: typeof record.data === 'string' ? Buffer.from(record.data, 'hex') : record.data },
  }));
  const rcodes: Record<string, number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 };
  return dnsPacket.encode({
    type: 'response',
    id: request.header.id,
    // QR, AA, RD, RA, AD when secure, and the RCODE in the low four bits (RFC 1035 §4.1.1).
    flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (secure ? dnsPacket.AUTHENTIC_DATA : 0) | rcodes[rcode]!,
    questions: [{ type: 'TLSA', name: qname, class: 'IN' }],
    answers,
  });
}

/** Sends a response; one dns2 cannot encode becomes SERVFAIL rather than a silent timeout. */
function reply(send: Parameters<Dns2.DnsHandler>[1], response: Dns2.Packet, secure = false): void {
  try {
    // RFC 4035 §3.2.3: a validating resolver sets AD (flags' low octet, 0x20) on an answer it validated.
    const message = secure ? Buffer.from(response.toBuffer()) : response;
    if (Buffer.isBuffer(message)) message[3] = message[3]! | 0x20;
    // dns2's UDP send returns a promise, its TCP send returns nothing.
    void Promise.resolve(send(message as unknown as Dns2.Packet)).catch(() => undefined);
  } catch {
    response.answers = [];
    response.header.rcode = Packet.RCODE.SERVFAIL;
    void Promise.resolve(send(response)).catch(() => undefined);
  }
}

/** Binds UDP to a free port on 127.0.0.1, then TCP to the same number; retries when TCP finds it taken. */
async function listenOnOnePort(
  onUdp: Dns2.DnsHandler,
  onTcp: Dns2.DnsHandler,
): Promise<{ udp: Dns2.UDPServer; tcp: Dns2.TCPServer; connections: Set<Socket> }> {
  for (let attempt = 1; ; attempt++) {
    const udp = dns2.createUDPServer(onUdp);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => resolve());
    });
    const port = udp.address().port;
    const tcp = dns2.createTCPServer(onTcp);
    const connections = new Set<Socket>();
    tcp.on('connection', (socket: Socket) => {
      connections.add(socket);
      socket.once('close', () => connections.delete(socket));
    });
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, '127.0.0.1', () => resolve());
      });
      return { udp, tcp, connections };
    } catch (error) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (attempt >= 5) throw error;
    }
  }
}

function answersFor(question: Dns2.Packet.Question, type: string, entry: ZoneEntry): Dns2.Packet.Resource[] {
  // The answer takes its name, type and class from the question.
  const record = (fields: Partial<Dns2.Packet.Resource>) => Packet.createResourceFromQuestion(question, { class: Packet.CLASS.IN, ttl: entry.TTL ?? 300, ...fields });
  switch (type) {
    case 'A':
      return (entry.A ?? []).map((address) => record({ address }));
    case 'AAAA':
      return (entry.AAAA ?? []).map((address) => record({ address }));
    case 'MX':
      return (entry.MX ?? []).map(({ exchange, priority }) => record({ exchange: exchange === '.' ? '' : exchange, priority }));
    case 'TXT':
      // dns2 types `data` as strings; it writes Buffers as they are, which keeps multi-byte text intact across cuts.
      return (entry.TXT ?? []).map((text) => record({ data: characterStrings(text) as unknown as string[] }));
    case 'PTR':
      return (entry.PTR ?? []).map((domain) => record({ domain }));
    case 'SRV':
      return (entry.SRV ?? []).map(({ priority, weight, port, target }) => record({ priority, weight, port, target: target === '.' ? '' : target }));
    default:
      return [];
  }
}

/** RFC 1035 §3.3: a character-string holds at most 255 octets, so longer text is cut (RFC 7208 §3.3). */
function characterStrings(text: string | string[]): Buffer[] {
  if (Array.isArray(text)) return text.map((chunk) => Buffer.from(chunk, 'utf8'));
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < bytes.length; offset += 255) chunks.push(bytes.subarray(offset, offset + 255));
  return chunks.length > 0 ? chunks : [Buffer.alloc(0)];
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Lower-cases names and rejects records dns2 could not encode, so a bad fixture fails at set(), not as a timeout. */
function normalizeZone(zone: ZoneRecords): Map<string, ZoneEntry> {
  const records = new Map<string, ZoneEntry>();
  for (const [name, entry] of Object.entries(zone)) {
    for (const address of entry.A ?? []) if (!isIPv4(address)) throw new TypeError(`zone ${name}: A ${address} is not an IPv4 address`);
    for (const address of entry.AAAA ?? []) if (!isIPv6(address)) throw new TypeError(`zone ${name}: AAAA ${address} is not an IPv6 address`);
    for (const text of entry.TXT ?? []) {
      if (Array.isArray(text) && text.some((chunk) => Buffer.byteLength(chunk) > 255)) {
        throw new TypeError(`zone ${name}: a TXT character-string is longer than 255 octets`);
      }
    }
    records.set(normalizeName(name), entry);
  }
  return records;
}
