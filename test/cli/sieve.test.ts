// `postern sieve …` and `postern vacation on|off` (issue 13) on both backends: the same rules as
// ManageSieve (compile check, quota, one active script), one clear line and exit 1 when refused.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initInstance, type CliInstance } from './backends.js';

for (const backend of ['sqlite', 'mongodb'] as const) {
  describe(`postern sieve and vacation on ${backend}`, { timeout: 120_000 }, () => {
    let cli: CliInstance;
    const run = (args: string[], input?: string) => cli.run(args, input === undefined ? {} : { input });
    const ok = async (args: string[], input?: string): Promise<string> => {
      const result = await run(args, input);
      assert.equal(result.code, 0, `postern ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    };

    before(async () => {
      cli = await initInstance(backend);
      await ok(['user', 'add', 'alice@example.com', '--password-stdin'], 'cli sieve password\n');
    });
    after(async () => {
      await cli?.dispose();
    });

    it('puts a script from a file and from stdin, lists, gets, activates, deactivates and deletes', async () => {
      const file = join(cli.dir, 'work.sieve');
      writeFileSync(file, 'require "fileinto";\nif address :is "from" "boss@example.org" { fileinto "Work"; }\n');
      assert.match(await ok(['sieve', 'put', 'alice@example.com', 'work', file]), /stored work/);
      await ok(['sieve', 'put', 'alice@example.com', 'spare', '-'], 'keep;\n');
      await ok(['sieve', 'activate', 'alice@example.com', 'work']);
      const listed = JSON.parse(await ok(['sieve', 'list', 'alice@example.com', '--json'])) as { name: string; active: boolean }[];
      assert.deepEqual(listed.map((s) => [s.name, s.active]), [['spare', false], ['work', true]]);
      assert.match(await ok(['sieve', 'get', 'alice@example.com', 'work']), /fileinto "Work"/);
      const refused = await run(['sieve', 'delete', 'alice@example.com', 'work']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr.trim(), /^[^\n]*active script cannot be deleted[^\n]*$/);
      await ok(['sieve', 'deactivate', 'alice@example.com']);
      await ok(['sieve', 'delete', 'alice@example.com', 'work']);
      await ok(['sieve', 'delete', 'alice@example.com', 'spare']);
      assert.deepEqual(JSON.parse(await ok(['sieve', 'list', 'alice@example.com', '--json'])), []);
    });

    it('refuses a script that does not compile with its line and column, and an unknown user', async () => {
      const put = await run(['sieve', 'put', 'alice@example.com', 'bad', '-'], 'if header :is "Subject" {\n');
      assert.equal(put.code, 1);
      assert.match(put.stderr, /line \d+ column \d+/);
      const check = await run(['sieve', 'check', '-'], 'frobnicate;\n');
      assert.equal(check.code, 1);
      assert.match(check.stderr, /stdin: line 1 column 1: /);
      assert.match(await ok(['sieve', 'check', '-'], 'keep;\n'), /stdin: ok/);
      const nobody = await run(['sieve', 'list', 'nobody@example.com']);
      assert.equal(nobody.code, 1);
      assert.match(nobody.stderr, /no such user: nobody@example\.com/);
    });

    it('vacation on writes an active "vacation" script, refuses while another script is active, and off removes it', async () => {
      await ok(['vacation', 'on', 'alice@example.com', '--subject', 'Away "for now"', '--days', '5', '--message', 'Back soon.\nReally.']);
      const script = await ok(['sieve', 'get', 'alice@example.com', 'vacation']);
      assert.match(script, /vacation :days 5 :subject "Away \\"for now\\""/);
      assert.match(await ok(['sieve', 'check', '-'], script), /ok/);
      await ok(['vacation', 'on', 'alice@example.com', '--subject', 'Still away', '--message', 'x']);
      await ok(['vacation', 'off', 'alice@example.com']);
      assert.deepEqual(JSON.parse(await ok(['sieve', 'list', 'alice@example.com', '--json'])), []);

      await ok(['sieve', 'put', 'alice@example.com', 'filters', '-', '--activate'], 'keep;\n');
      const refused = await run(['vacation', 'on', 'alice@example.com', '--subject', 'Away', '--message', 'x']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /has the active script "filters"/);
      const badDays = await run(['vacation', 'on', 'alice@example.com', '--subject', 'Away', '--days', '0', '--message', 'x']);
      assert.equal(badDays.code, 1);
      assert.match(badDays.stderr, /--days 0/);
      assert.match(await ok(['vacation', 'off', 'alice@example.com']), /has no vacation reply/);
    });
  });
}
