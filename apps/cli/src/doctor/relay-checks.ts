import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { mynetworksMatcher, parseListenAddress, type PosternConfig } from '@postern/config';
import { finding, type DoctorFinding } from './finding.js';
import { SmtpDialogue, type SmtpReply } from './smtp-dialogue.js';

const PROBE_MS = 10_000;
// RFC 2606 §2: .invalid names can never be delivered to, whatever the MTA does with them.
const TEST_SENDER = 'doctor@relay-test.invalid';
const TEST_RECIPIENT = 'postern-relay-test@relay-test.invalid';
/** Loopback addresses a probe can bind to (all of 127.0.0.0/8 is this host's, RFC 1122 §3.2.1.3 (g)); the first outside mynetworks is used. */
const LOOPBACK_SOURCES = ['127.0.0.2', '127.0.1.1', '127.1.2.3', '127.255.255.254', '127.0.0.1'];
const CLOSED_RESTRICTIONS = '["permit_mynetworks", "permit_sasl_authenticated", "reject_unauth_destination"]';

interface RelayProbe {
  /** Where to connect. */
  host: string;
  port: number;
  /** The source address, outside smtpd.mynetworks. */
  localAddress: string;
}

function isLoopback(ip: string): boolean {
  return ip === '::1' || (isIPv4(ip) && ip.startsWith('127.'));
}

/** This host's addresses of the families the listener accepts; link-local IPv6 ones need a scope and are left out. */
function hostAddresses(families: { ipv4: boolean; ipv6: boolean }): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((iface) => (iface.family === 'IPv4' ? families.ipv4 : families.ipv6) && !iface.address.toLowerCase().startsWith('fe80:'))
    .map((iface) => iface.address);
}

/**
 * A connection the MTA sees as coming from outside smtpd.mynetworks: from a
 * loopback address mynetworks leaves out to a loopback listener, or from one
 * of the host's addresses to a listener on it (a wildcard listener is reached
 * on that same address). { none } with the reason when there is none.
 */
function chooseProbe(config: PosternConfig): RelayProbe | { none: string } {
  const first = config.listen.smtp[0];
  if (first === undefined) return { none: 'listen.smtp is empty: nothing to test' };
  const address = parseListenAddress(first);
  if (address.kind !== 'tcp') return { none: `listen.smtp ${first} is not a TCP address` };
  const trusted = mynetworksMatcher(config.smtpd.mynetworks);
  const wildcard = address.host === '' || address.host === '0.0.0.0' || address.host === '::';
  // A "::" listener is dual-stack on Linux: it takes IPv4 clients too.
  const ipv4 = address.host === '' || address.host === '0.0.0.0' || address.host === '::' || isIPv4(address.host);
  const ipv6 = address.host === '::' || (address.host.includes(':') && !wildcard);
  const candidates = [...(ipv4 && (wildcard || isLoopback(address.host)) ? LOOPBACK_SOURCES : []), ...hostAddresses({ ipv4, ipv6 })];
  for (const source of candidates.filter((ip) => !trusted(ip))) {
    // A loopback listener is reached from loopback; a listener on an interface from that interface's addresses.
    if (!wildcard && isLoopback(address.host) !== isLoopback(source)) continue;
    return { host: wildcard ? source : address.host, port: address.port, localAddress: source };
  }
  return { none: `every address of this host that can reach ${first} is in smtpd.mynetworks (${config.smtpd.mynetworks.join(', ')})` };
}

function said(command: string, reply: SmtpReply): string {
  return `${command} → ${reply.code} ${reply.text}`.slice(0, 160);
}

/**
 * The open-relay self-test (RFC 5321 §7.1, RFC 2505 §2): from outside
 * mynetworks, without AUTH, a recipient in a domain that is not ours must be
 * refused. Never sends DATA; RSET and QUIT whatever the answer.
 */
export async function checkOpenRelay(config: PosternConfig): Promise<DoctorFinding> {
  const probe = chooseProbe(config);
  if ('none' in probe) return finding('relay', 'open-relay test', 'warn', `not run: ${probe.none}`, 'run postern doctor where listen.smtp is reachable from an address outside smtpd.mynetworks, or test from outside (e.g. swaks --to postern-relay-test@relay-test.invalid --server HOST)');
  const subject = `smtp ${probe.host.includes(':') ? `[${probe.host}]` : probe.host}:${probe.port} from ${probe.localAddress}`;
  let opened: Awaited<ReturnType<typeof SmtpDialogue.open>>;
  try {
    opened = await SmtpDialogue.open(probe, PROBE_MS);
  } catch (err) {
    return finding('relay', subject, 'warn', `not run: ${(err as Error).message}`, 'start the MTA (the port findings say more), then postern doctor again');
  }
  const { dialogue, greeting } = opened;
  try {
    if (greeting.code !== 220) return finding('relay', subject, 'ok', `refused at the greeting: ${greeting.code} ${greeting.text}`.slice(0, 160));
    // RFC 5321 §4.1.3: an address literal is the neutral way to name ourselves.
    const steps: [string, string][] = [
      ['EHLO', `EHLO ${isIPv4(probe.localAddress) ? `[${probe.localAddress}]` : `[IPv6:${probe.localAddress}]`}`],
      ['MAIL FROM', `MAIL FROM:<${TEST_SENDER}>`],
      ['RCPT TO', `RCPT TO:<${TEST_RECIPIENT}>`],
    ];
    for (const [name, line] of steps) {
      const reply = await dialogue.command(line);
      if (reply.code >= 400) return finding('relay', subject, 'ok', `relaying refused without AUTH: ${said(name, reply)}`);
    }
    await dialogue.command('RSET').catch(() => undefined);
    return finding('relay', subject, 'fail', `OPEN RELAY: accepted RCPT TO:<${TEST_RECIPIENT}> from ${probe.localAddress} (outside mynetworks) without AUTH: anyone can send spam through this server`, `postern config set smtpd.relay_restrictions '${CLOSED_RESTRICTIONS}', keep smtpd.mynetworks to your own hosts, then postern reload`);
  } catch (err) {
    return finding('relay', subject, 'warn', `not finished: ${(err as Error).message}`, 'check the MTA log for the session, then postern doctor again');
  } finally {
    await dialogue.quit();
  }
}
