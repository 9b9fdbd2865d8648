#!/usr/bin/env node
// `pnpm bench` (SPEC §6): runs every benchmark script under apps/*/bench/ in
// turn. Each prints its own table (Postern, and Postfix+Dovecot where they are
// installed, side by side). Benchmarks are scripts that print numbers, never
// timed assertions in the test suite.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const scripts = readdirSync(join(root, 'apps'))
  .map((app) => join(root, 'apps', app, 'bench'))
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => join(dir, f)))
  .sort();
let failed = 0;
for (const script of scripts) {
  console.log(`\n== ${relative(root, script)}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', script], { stdio: 'inherit', cwd: root });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
