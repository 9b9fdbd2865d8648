// One SASL rule on every protocol, checked with Python's smtplib, imaplib and poplib against
// `postern start`: RFC 4616 §2's authorization identity (empty or the login itself, compared as
// addresses), passwords taken as sent (spaces at either end kept), and the auth cache dropping an
// old password as soon as `postern user passwd` (another process) changes it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { python } from '../support/python.js';
import { requireTool } from '../support/tools.js';

const ALICE = 'alice@example.com';
const PASSWORD = 'alice sasl password';
const SPACED = '  spaces at both ends  ';

const HELPERS = `
import imaplib, poplib, smtplib

def imap_plain(message):
    imap = imaplib.IMAP4('127.0.0.1', args['imap'], timeout=10)
    imap.starttls(ssl_context=tls)
    try:
        typ, data = imap.authenticate('PLAIN', lambda _: message.encode())
        result = typ + ' ' + data[0].decode()
    except imaplib.IMAP4.error as e:
        result = 'NO ' + str(e)
    imap.shutdown()
    return result

def imap_login(user, password):
    imap = imaplib.IMAP4('127.0.0.1', args['imap'], timeout=10)
    imap.starttls(ssl_context=tls)
    try:
        typ, data = imap.login(user, password)
        result = typ
    except imaplib.IMAP4.error as e:
        result = 'NO ' + str(e)
    imap.shutdown()
    return result

def smtp_plain(message):
    smtp = smtplib.SMTP('127.0.0.1', args['submission'], timeout=10)
    smtp.ehlo()
    smtp.starttls(context=tls)
    smtp.ehlo()
    try:
        code, text = smtp.auth('PLAIN', lambda challenge=None: message)
    except smtplib.SMTPAuthenticationError as e:
        code, text = e.smtp_code, e.smtp_error
    smtp.quit()
    return str(code) + ' ' + text.decode()

def pop_session():
    pop = poplib.POP3('127.0.0.1', args['pop3'], timeout=10)
    pop.stls(context=tls)
    return pop

def pop_plain(message):
    pop = pop_session()
    try:
        # RFC 5034 §4: AUTH PLAIN with an initial response (poplib has no AUTH of its own).
        result = pop._shortcmd('AUTH PLAIN ' + base64.b64encode(message.encode()).decode()).decode()
    except poplib.error_proto as e:
        result = e.args[0].decode()
    pop.quit()
    return result

def pop_pass(user, password):
    pop = pop_session()
    try:
        pop.user(user)
        result = pop.pass_(password).decode()
    except poplib.error_proto as e:
        result = e.args[0].decode()
    pop.quit()
    return result
`;

type Replies = Record<string, string>;

describe('SASL PLAIN and the login path over SMTP, IMAP and POP3', () => {
  let mail: PosternInstance<'submission' | 'imap' | 'pop3' | 'lmtp'>;
  const run = (script: string): Promise<Replies> => python<Replies>(script, { ...mail.ports }, HELPERS);

  before(async () => {
    mail = await startInstance('sqlite', { listen: ['submission', 'imap', 'pop3', 'lmtp'] });
    await mail.addUser(ALICE, PASSWORD);
    await mail.addUser('bob@example.com', 'bob sasl password');
    await mail.addUser('spaced@example.com', SPACED);
  });
  after(() => mail?.stop());

  it('refuses an authorization identity other than the login on all three (RFC 4616 §2), and logs it', async (t) => {
    if (!requireTool(t, 'python3', 'python3')) return;
    const message = `bob@example.com\0${ALICE}\0${PASSWORD}`;
    const out = await run(`
m = args['message']
out['imap'] = imap_plain(m)
out['smtp'] = smtp_plain(m)
out['pop3'] = pop_plain(m)
`.replace("args['message']", JSON.stringify(message)));
    assert.match(out.imap!, /^NO .*\[AUTHORIZATIONFAILED\] Authorization as another user is not allowed/);
    assert.match(out.smtp!, /^535 5\.7\.8 /);
    assert.match(out.pop3!, /^-ERR \[AUTH\] Authorization as another user is not allowed/);
    // The log line follows the failure's record in the store, which the client's answer need not wait for.
    for (const protocol of ['imap', 'pop3', 'submission']) await mail.waitForLog((line) => line.event === 'auth_authzid_refused' && line.protocol === protocol);
    const refused = mail.logLines().filter((line) => line.event === 'auth_authzid_refused');
    assert.deepEqual(refused.map((line) => line.protocol).sort(), ['imap', 'pop3', 'submission']);
    assert.ok(refused.every((line) => String(line.msg).startsWith('auth failure from 127.0.0.1')), 'the fail2ban line');
  });

  it('takes an authorization identity naming the login itself, compared as an address', async (t) => {
    if (!requireTool(t, 'python3', 'python3')) return;
    const out = await run(`
m = ${JSON.stringify(`ALICE@Example.COM\0${ALICE}\0${PASSWORD}`)}
out['imap'] = imap_plain(m)
out['smtp'] = smtp_plain(m)
out['pop3'] = pop_plain(m)
out['empty'] = imap_plain(${JSON.stringify(`\0${ALICE}\0${PASSWORD}`)})
`);
    assert.match(out.imap!, /^OK /);
    assert.match(out.smtp!, /^235 /);
    assert.match(out.pop3!, /^\+OK /);
    assert.match(out.empty!, /^OK /);
  });

  it('takes a password with spaces at both ends as sent, and refuses it trimmed', async (t) => {
    if (!requireTool(t, 'python3', 'python3')) return;
    const out = await run(`
u, p = 'spaced@example.com', ${JSON.stringify(SPACED)}
out['imap_plain'] = imap_plain('\\0' + u + '\\0' + p)
out['imap_login'] = imap_login(u, p)  # imaplib sends it as a quoted string
out['smtp_plain'] = smtp_plain('\\0' + u + '\\0' + p)
out['pop3_plain'] = pop_plain('\\0' + u + '\\0' + p)
out['pop3_pass'] = pop_pass(u, p)
out['imap_trimmed'] = imap_plain('\\0' + u + '\\0' + p.strip())
out['smtp_trimmed'] = smtp_plain('\\0' + u + '\\0' + p.strip())
out['pop3_trimmed'] = pop_pass(u, p.strip())
`);
    assert.match(out.imap_plain!, /^OK /);
    assert.equal(out.imap_login, 'OK');
    assert.match(out.smtp_plain!, /^235 /);
    assert.match(out.pop3_plain!, /^\+OK /);
    assert.match(out.pop3_pass!, /^\+OK /);
    assert.match(out.imap_trimmed!, /AUTHENTICATIONFAILED/);
    assert.match(out.smtp_trimmed!, /^535 /);
    assert.match(out.pop3_trimmed!, /^-ERR \[AUTH\]/);
  });

  it('refuses the old password right after `postern user passwd`, though the auth cache had it', async (t) => {
    if (!requireTool(t, 'python3', 'python3')) return;
    const first = await run(`out['imap'] = imap_login('bob@example.com', 'bob sasl password')\nout['again'] = imap_login('bob@example.com', 'bob sasl password')`);
    assert.deepEqual(first, { imap: 'OK', again: 'OK' });
    const changed = await mail.instance.run(['user', 'passwd', 'bob@example.com', '--password-stdin'], { input: 'bob new password\n' });
    assert.equal(changed.code, 0, changed.stderr);
    const out = await run(`
out['old_imap'] = imap_login('bob@example.com', 'bob sasl password')
out['old_smtp'] = smtp_plain('\\0bob@example.com\\0bob sasl password')
out['new_pop3'] = pop_pass('bob@example.com', 'bob new password')
`);
    assert.match(out.old_imap!, /^NO /);
    assert.match(out.old_smtp!, /^535 /);
    assert.match(out.new_pop3!, /^\+OK /);
  });
});
