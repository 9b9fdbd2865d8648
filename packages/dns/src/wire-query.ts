// One DNS query on the wire (RFC 1035 §4.2), for what node:dns cannot ask or show: the AD bit and TLSA.
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import * as dnsPacket from 'dns-packet';

export interface WireServer {
  host: string;
  port: number;
}

/** What a server answered: its RCODE, the AD bit, and the answer section. */
export interface WireAnswer {
  rcode: string;
  authenticated: boolean;
  answers: dnsPacket.Answer[];
}

/** A query that got no usable answer: timeout, connection trouble, a malformed or mismatched reply. */
export class WireQueryError extends Error {
  constructor(
    readonly code: 'ETIMEOUT' | 'ECONNREFUSED' | 'EBADRESP',
    message: string,
  ) {
    super(message);
    this.name = 'WireQueryError';
  }
}

// RFC 8914-era guidance (DNS flag day 2020): 1232 octets avoids IP fragmentation.
const UDP_PAYLOAD_SIZE = 1232;

function encodeQuery(id: number, name: string, type: dnsPacket.RecordType): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id,
    // RFC 6840 §5.7: AD in a query asks a validating resolver to report it; RD: recursion wanted.
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.AUTHENTIC_DATA,
    questions: [{ type, name, class: 'IN' }],
    // RFC 3225 §3: the DO bit (in the EDNS0 OPT record, RFC 6891 §6.1.4) says we understand DNSSEC.
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: UDP_PAYLOAD_SIZE, flags: dnsPacket.DNSSEC_OK } as dnsPacket.Answer],
  });
}

function decodeAnswer(id: number, name: string, message: Buffer): WireAnswer {
  let packet: dnsPacket.Packet;
  try {
    packet = dnsPacket.decode(message);
  } catch (error) {
    throw new WireQueryError('EBADRESP', `malformed DNS answer for ${name}: ${(error as Error).message}`);
  }
  const question = packet.questions?.[0];
  // RFC 5452 §4.3: an answer counts only when its ID and question match ours.
  if (packet.id !== id || question === undefined || question.name.toLowerCase() !== name.toLowerCase()) {
    throw new WireQueryError('EBADRESP', `DNS answer for ${name} does not match the query`);
  }
  const flags = packet as unknown as { flag_ad: boolean; rcode: string };
  return { rcode: flags.rcode, authenticated: flags.flag_ad, answers: packet.answers ?? [] };
}

/**
 * Asks `server` for `name`/`type` over UDP, and again over TCP when the answer
 * is truncated (RFC 7766 §5). Rejects with WireQueryError when no answer
 * comes within timeoutMs (per transport).
 */
export async function wireQuery(server: WireServer, name: string, type: dnsPacket.RecordType, timeoutMs: number): Promise<WireAnswer> {
  const id = randomInt(0, 0x10000);
  const query = encodeQuery(id, name, type);
  const datagram = await overUdp(server, query, timeoutMs);
  // RFC 2181 §9: a truncated answer may be cut mid-record; its header's TC bit is read before anything else.
  const truncated = datagram.length >= 3 && (datagram[2]! & 0x02) !== 0;
  if (!truncated) return decodeAnswer(id, name, datagram);
  return decodeAnswer(id, name, await overTcp(server, query, timeoutMs));
}

/**
 * One exchange on a socket: `start` wires the socket to `finish`, which
 * settles once, within timeoutMs, and then closes the socket.
 */
function exchange(close: () => void, timeout: WireQueryError, timeoutMs: number, start: (finish: (result: Buffer | Error) => void) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (result: Buffer | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      close();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const timer = setTimeout(() => finish(timeout), timeoutMs);
    start(finish);
  });
}

function overUdp(server: WireServer, query: Buffer, timeoutMs: number): Promise<Buffer> {
  const socket = createSocket(server.host.includes(':') ? 'udp6' : 'udp4');
  const timeout = new WireQueryError('ETIMEOUT', `no DNS answer from ${server.host}:${server.port} within ${timeoutMs} ms`);
  return exchange(() => socket.close(), timeout, timeoutMs, (finish) => {
    socket.once('message', (message: Buffer) => finish(message));
    socket.once('error', (error: Error) => finish(new WireQueryError('ECONNREFUSED', `DNS server ${server.host}:${server.port}: ${error.message}`)));
    socket.send(query, server.port, server.host);
  });
}

function overTcp(server: WireServer, query: Buffer, timeoutMs: number): Promise<Buffer> {
  const socket = connect({ host: server.host, port: server.port });
  const timeout = new WireQueryError('ETIMEOUT', `no DNS answer over TCP from ${server.host}:${server.port} within ${timeoutMs} ms`);
  return exchange(() => socket.destroy(), timeout, timeoutMs, (finish) => {
    let received = Buffer.alloc(0);
    // RFC 1035 §4.2.2: over TCP each message is preceded by its two-octet length.
    socket.once('connect', () => socket.write(Buffer.concat([lengthPrefix(query.length), query])));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) finish(received.subarray(2, 2 + received.readUInt16BE(0)));
    });
    socket.once('error', (error: Error) => finish(new WireQueryError('ECONNREFUSED', `DNS server ${server.host}:${server.port} over TCP: ${error.message}`)));
    socket.once('close', () => finish(new WireQueryError('EBADRESP', `DNS server ${server.host}:${server.port} closed the TCP connection before answering`)));
  });
}

function lengthPrefix(length: number): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(length);
  return prefix;
}
