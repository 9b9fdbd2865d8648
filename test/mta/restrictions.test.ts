// The restriction stages as the MTA runs them: the facts it gathers (client
// names from PTR + forward lookup through the test DNS server, HELO, sender,
// pipelining) reach the rules at the right command, with smtpd_delay_reject on
// (everything at RCPT) and off (client at connect, HELO at HELO).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ZoneRecords } from '../support/dns-server.js';
import { startMtaInstance, type MtaInstance } from './instance.js';
import { SmtpDialogue, message, sendMail } from './smtp-dialogue.js';

const ZONE: ZoneRecords = {
  // 127.0.0.2: a client whose name verifies; 127.0.0.3: a PTR that does not lead back; 127.0.0.4: listed.
  '2.0.0.127.in-addr.arpa': { PTR: ['good.client.test'] },
  'good.client.test': { A: ['127.0.0.2'] },
  '3.0.0.127.in-addr.arpa': { PTR: ['liar.client.test'] },
  'liar.client.test': { A: ['192.0.2.99'] },
  '4.0.0.127.in-addr.arpa': { PTR: ['listed.client.test'] },
  'listed.client.test': { A: ['127.0.0.4'] },
  '4.0.0.127.rbl.test': { A: ['127.0.0.2'], TXT: ['listed for testing'] },
  'sender.test': { MX: [{ exchange: 'mx.sender.test', priority: 10 }] },
  'mx.sender.test': { A: ['192.0.2.25'] },
};

const RESTRICTIONS: [string, string][] = [
  ['smtpd.client_restrictions', '["permit_mynetworks", "reject_rbl_client rbl.test", "reject_unknown_client_hostname"]'],
  ['smtpd.helo_restrictions', '["permit_mynetworks", "reject_invalid_helo_hostname", "reject_non_fqdn_helo_hostname"]'],
  ['smtpd.sender_restrictions', '["permit_mynetworks", "reject_non_fqdn_sender", "reject_unknown_sender_domain"]'],
  ['smtpd.data_restrictions', '["reject_unauth_pipelining"]'],
];

async function rcptReply(mta: MtaInstance, from: string, options: { client: string; helo?: string; sender?: string }): Promise<string> {
  const smtp = await SmtpDialogue.open(mta.ports.smtp, { localAddress: options.client });
  await smtp.ehlo(options.helo ?? 'good.client.test');
  assert.equal((await smtp.command(`MAIL FROM:<${options.sender ?? from}>`)).code, 250, 'MAIL is not judged yet (smtpd_delay_reject)');
  const reply = await smtp.command('RCPT TO:<alice@example.com>');
  smtp.close();
  return reply.line;
}

describe('restriction stages through the MTA, smtpd_delay_reject = yes (sqlite)', { timeout: 180_000 }, () => {
  let mta: MtaInstance;
  before(async () => {
    mta = await startMtaInstance('sqlite', { zone: ZONE, settings: RESTRICTIONS });
    await mta.addUser('alice@example.com', 'pw');
  });
  after(() => mta?.stop());

  it('a verified client with a proper HELO and sender passes every stage', async () => {
    assert.match(await rcptReply(mta, 'someone@sender.test', { client: '127.0.0.2' }), /^250 /);
    await mta.waitForLog((line) => line.event === 'connect' && line.client === 'good.client.test[127.0.0.2]');
  });

  it('reject_unknown_client_hostname fires at RCPT for a PTR that does not lead back (450 4.7.25)', async () => {
    assert.match(await rcptReply(mta, 'someone@sender.test', { client: '127.0.0.3' }), /^450 4\.7\.25 .*cannot find your hostname, \[127\.0\.0\.3\]/);
  });

  it('reject_rbl_client fires for a listed client (554)', async () => {
    const reply = await rcptReply(mta, 'someone@sender.test', { client: '127.0.0.4' });
    assert.match(reply, /^554 5\.7\.1 /);
    assert.match(reply, /rbl\.test/);
  });

  it('reject_non_fqdn_helo_hostname and reject_unknown_sender_domain fire at RCPT; mynetworks is exempt', async () => {
    assert.match(await rcptReply(mta, 'someone@sender.test', { client: '127.0.0.2', helo: 'localhost' }), /^504 5\.5\.2 <localhost>: Helo command rejected: need fully-qualified hostname/);
    assert.match(await rcptReply(mta, 'someone@nowhere.test', { client: '127.0.0.2' }), /^450 4\.1\.8 <someone@nowhere\.test>: Sender address rejected: Domain not found/);
    assert.match(await rcptReply(mta, 'someone@nowhere.test', { client: '127.0.0.1', helo: 'localhost' }), /^250 /);
    const reject = await mta.waitForLog((line) => line.event === 'reject' && line.rule === 'reject_unknown_sender_domain');
    assert.equal(reject.stage, 'sender');
  });

  it('reject_unauth_pipelining refuses DATA sent together with the message, and lets a patient client through', async () => {
    const eager = await SmtpDialogue.open(mta.ports.smtp, { localAddress: '127.0.0.2' });
    await eager.ehlo('good.client.test');
    await eager.command('MAIL FROM:<someone@sender.test>');
    await eager.command('RCPT TO:<alice@example.com>');
    eager.send(`DATA\r\n${message('too eager')}.\r\n`);
    assert.match((await eager.reply()).line, /^503 5\.5\.0 <DATA>: Data command rejected: Improper use of SMTP command pipelining/);
    eager.close();
    const patient = await SmtpDialogue.open(mta.ports.smtp, { localAddress: '127.0.0.2' });
    await patient.ehlo('good.client.test');
    assert.match((await sendMail(patient, 'someone@sender.test', ['alice@example.com'], message('patient'))).line, /^250 /);
    patient.close();
  });

  it('pipelining MAIL, RCPT and DATA after EHLO (RFC 2920) is fine', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp, { localAddress: '127.0.0.2' });
    await smtp.ehlo('good.client.test');
    smtp.send('MAIL FROM:<someone@sender.test>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n');
    assert.deepEqual([(await smtp.reply()).code, (await smtp.reply()).code, (await smtp.reply()).code], [250, 250, 354]);
    smtp.send(`${message('pipelined group')}.\r\n`);
    assert.match((await smtp.reply()).line, /^250 /);
    smtp.close();
  });
});

describe('restriction stages through the MTA, smtpd_delay_reject = no (sqlite)', { timeout: 180_000 }, () => {
  let mta: MtaInstance;
  before(async () => {
    mta = await startMtaInstance('sqlite', { zone: ZONE, settings: [...RESTRICTIONS, ['smtpd.delay_reject', 'false']] });
    await mta.addUser('alice@example.com', 'pw');
  });
  after(() => mta?.stop());

  it('a listed client is refused in the greeting', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp, { localAddress: '127.0.0.4' });
    assert.match(smtp.greeting.line, /^554 5\.7\.1 /);
    await smtp.closed;
  });

  it('a bad HELO is refused at HELO, a bad sender at MAIL', async () => {
    const smtp = await SmtpDialogue.open(mta.ports.smtp, { localAddress: '127.0.0.2' });
    assert.match((await smtp.ehlo('localhost')).line, /^504 5\.5\.2 <localhost>: Helo command rejected/);
    assert.equal((await smtp.command('MAIL FROM:<someone@sender.test>')).code, 503, 'no HELO was accepted');
    assert.equal((await smtp.ehlo('good.client.test')).code, 250);
    assert.match((await smtp.command('MAIL FROM:<someone@nowhere.test>')).line, /^450 4\.1\.8 /);
    assert.equal((await smtp.command('MAIL FROM:<someone@sender.test>')).code, 250);
    assert.equal((await smtp.command('RCPT TO:<alice@example.com>')).code, 250);
    smtp.close();
  });
});
