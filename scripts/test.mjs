#!/usr/bin/env node
// Runs every *.test.ts under packages/, apps/ and test/ with Node's test
// runner (TypeScript through tsx). Node 20's --test takes no globs, so the
// files are found here. Extra arguments are passed to node --test, and a
// path argument narrows the run to files under it.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const filters = args.filter((a) => !a.startsWith('-')).map((a) => resolve(a));
const flags = args.filter((a) => a.startsWith('-'));

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = ['packages', 'apps', 'test']
  .flatMap((d) => find(join(root, d), []))
  .filter((f) => filters.length === 0 || filters.some((p) => f.startsWith(p)))
  .sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
console.log(`running ${files.length} test files:\n  ${files.map((f) => relative(root, f)).join('\n  ')}`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...flags, ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(result.status ?? 1);
