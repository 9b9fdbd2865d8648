// Auth bans live in the store: a ban earned on IMAP holds on SMTP AUTH in another process, and after a restart.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { LOGIN_CLIENTS } from '../support/login-clients.js';
import { startPostern, type PosternProcess } from '../support/postern-process.js';
import { python } from '../support/python.js';

const ALICE = 'alice@example.com';
const PASSWORD = 'alice ban password';
/** Each attacker or user comes from its own loopback address. */
const FROM = { attacker: '127.0.0.21', user: '127.0.0.22' };

const IMAP_ANSWER = `
def imap_answer(address, user, password):
    # The tagged answer's text, so that a ban ([UNAVAILABLE]) and a wrong password ([AUTHENTICATIONFAILED]) differ.
    source(address)
    imap = imaplib.IMAP4('127.0.0.1', args['imap'], timeout=10)
    imap.starttls(ssl_context=tls)
    try:
        result = 'OK ' + imap.login(user, password)[0]
    except imaplib.IMAP4.error as e:
        result = 'NO ' + str(e)
    imap.logout()
    return result
`;

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`auth bans in the store on ${backend}`, () => {
    let postern: PosternInstance<'imap' | 'submission' | 'lmtp'>;
    /** The mailstore started again after the restart (stopped by `after`). */
    let restarted: PosternProcess | null = null;

    const logins = (script: string, extra: Record<string, unknown> = {}) =>
      python<Record<string, unknown>>(script, { imap: postern.ports.imap, submission: postern.ports.submission, alice: ALICE, password: PASSWORD, from: FROM, ...extra }, LOGIN_CLIENTS + IMAP_ANSWER);

    before(async () => {
      // The mailstore (IMAP) and the MTA (submission) are two processes over one store.
      postern = await startInstance(backend, {
        listen: ['imap', 'submission', 'lmtp'],
        roles: ['mailstore', 'mta'],
        settings: [
          ['limits.auth_failures_before_ban', '3'],
          ['limits.ban_seconds', '600'],
          ['auth.failure_delay', '"0s"'],
        ],
      });
      await postern.addUser(ALICE, PASSWORD);
    });

    after(async () => {
      await restarted?.stop();
      await postern?.stop();
    });

    test('runs against a real store', (t) => {
      t.diagnostic(postern.instance.server);
    });

    test('three wrong IMAP passwords ban the address; SMTP AUTH in the other process refuses it too', async () => {
      const out = await logins(`
f = args['from']
out['wrong'] = [imap_answer(f['attacker'], args['alice'], 'wrong %d' % i) for i in range(3)]
out['imap'] = imap_answer(f['attacker'], args['alice'], args['password'])
out['smtp'] = smtp_plain(f['attacker'], '\\0' + args['alice'] + '\\0' + args['password'])
out['other'] = [imap_answer(f['user'], args['alice'], args['password']), smtp_plain(f['user'], '\\0' + args['alice'] + '\\0' + args['password'])]
`);
      const wrong = out.wrong as string[];
      assert.equal(wrong.length, 3);
      for (const answer of wrong) assert.match(answer, /^NO .*AUTHENTICATIONFAILED/);
      // The right password from the banned address: refused on IMAP (RFC 5530 UNAVAILABLE) and by the MTA process.
      assert.match(out.imap as string, /^NO .*UNAVAILABLE/);
      assert.equal(out.smtp, 454);
      // Another address is not affected.
      assert.deepEqual(out.other, ['OK OK', 235]);
      await postern.waitForLog((line) => line.event === 'auth_ban' && line.client === FROM.attacker);
    });

    test('the ban survives a restart of the processes', async () => {
      await postern.stopServices();
      restarted = await startPostern(postern.instance.configFile, 'mailstore');
      const out = await logins(`
f = args['from']
out['imap'] = imap_answer(f['attacker'], args['alice'], args['password'])
out['user'] = imap_answer(f['user'], args['alice'], args['password'])
`);
      assert.match(out.imap as string, /^NO .*UNAVAILABLE/);
      assert.equal(out.user, 'OK OK');
      const refused = restarted.logLines().find((line) => line.event === 'auth_banned' && line.client === FROM.attacker);
      assert.ok(refused, 'the restarted process logs the refusal of the banned address');
    });
  });
}
