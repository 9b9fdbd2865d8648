// Debian's sieve-connect (a real ManageSieve client, Perl) against `postern mailstore` on both
// backends: STARTTLS, AUTHENTICATE PLAIN, upload, list, activate, download, checkscript, delete.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startInstance, type PosternInstance } from '../support/instance.js';
import { requireTool, runTool } from '../support/tools.js';

const PASSWORD = 'sieve-connect password';
const SCRIPT = 'require ["fileinto"];\n# uploaded with sieve-connect\nif header :contains "Subject" "[report]" {\n  fileinto "Reports";\n}\n';

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`sieve-connect against postern mailstore on ${backend}`, { timeout: 120_000 }, () => {
    let postern: PosternInstance<'managesieve' | 'lmtp'> | undefined;

    before(async () => {
      postern = await startInstance(backend, { listen: ['managesieve', 'lmtp'], roles: ['mailstore'] });
      await postern.addUser('alice@example.com', PASSWORD);
    });
    after(async () => {
      await postern?.stop();
    });

    /** sieve-connect with STARTTLS (the test certificate is self-signed) and the password on fd 0. */
    function sieveConnect(tool: string, args: string[]): ReturnType<typeof runTool> {
      const common = ['--server', '127.0.0.1', '--port', String(postern!.ports.managesieve), '--user', 'alice@example.com', '--authmech', 'PLAIN', '--notlsverify', '--passwordfd', '0'];
      return runTool(tool, [...common, ...args], { input: `${PASSWORD}\n`, timeoutMs: 60_000 });
    }

    it('uploads, lists, activates, downloads, checks and deletes scripts', async (t) => {
      const tool = requireTool(t, 'sieve-connect', 'sieve-connect');
      if (!tool) return;
      const local = join(postern!.instance.dir, 'reports.sieve');
      writeFileSync(local, SCRIPT);
      const upload = await sieveConnect(tool, ['--upload', '--localsieve', local, '--remotesieve', 'reports']);
      assert.equal(upload.code, 0, upload.stderr);
      const activate = await sieveConnect(tool, ['--activate', '--remotesieve', 'reports']);
      assert.equal(activate.code, 0, activate.stderr);
      const list = await sieveConnect(tool, ['--list']);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^"reports" ACTIVE$/m);
      const downloaded = join(postern!.instance.dir, 'downloaded.sieve');
      const download = await sieveConnect(tool, ['--download', '--remotesieve', 'reports', '--localsieve', downloaded]);
      assert.equal(download.code, 0, download.stderr);
      assert.equal(readFileSync(downloaded, 'utf8'), SCRIPT);
      const alice = (await postern!.store.getUser('alice@example.com'))!;
      assert.equal((await postern!.store.getActiveSieveScript(alice.id))?.content, SCRIPT);

      const broken = join(postern!.instance.dir, 'broken.sieve');
      writeFileSync(broken, 'if true { frobnicate; }\n');
      const check = await sieveConnect(tool, ['--checkscript', '--localsieve', broken]);
      assert.notEqual(check.code, 0, 'an invalid script is refused');
      assert.match(`${check.stdout}${check.stderr}`, /line 1 column \d+/);

      const refused = await sieveConnect(tool, ['--delete', '--remotesieve', 'reports']);
      assert.notEqual(refused.code, 0, 'the active script is not deleted (RFC 5804 §2.10)');
      assert.equal((await sieveConnect(tool, ['--deactivate'])).code, 0);
      const deleted = await sieveConnect(tool, ['--delete', '--remotesieve', 'reports']);
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.deepEqual(await postern!.store.listSieveScripts(alice.id), []);
    });
  });
}
