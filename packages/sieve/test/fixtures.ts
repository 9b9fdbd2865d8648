// Fixture messages and a compile-and-run helper for the sieve tests.
import assert from 'node:assert/strict';
import { compileSieve, runSieve, type SieveAction, type SieveEnvelope, type SieveResult, type SieveRunInput } from '../src/index.js';

/** Builds an RFC 5322 message from header lines and a body, CRLF line ends. */
export function message(headers: string[], body = 'Hello.\r\n'): Buffer {
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}`);
}

export const ENVELOPE: SieveEnvelope = { from: 'coyote@desert.example.org', to: 'roadrunner@acme.example.com' };

/** RFC 5228 §6 example message (the coyote and the roadrunner). */
export const COYOTE = message(
  [
    'Date: Tue, 1 Apr 1997 09:06:31 -0800 (PST)',
    'From: coyote@desert.example.org',
    'To: roadrunner@acme.example.com',
    'Subject: I have a present for you',
  ],
  "Look, I'm sorry about the whole anvil thing, and I really\r\ndidn't mean to try and drop it on you from the top of the\r\ncliff.  I want to try to make it up to you.  I've got some\r\ngreat birdseed over here at my place--top of the line\r\nstuff--and if you come by, I'll have it all wrapped up\r\nfor you.  I'm really sorry for all the problems I've caused\r\nfor you over the years, but I know we can work this out.\r\n--\r\nWile E. Coyote   \"Super Genius\"   coyote@desert.example.org\r\n",
);

export function compile(source: string) {
  const result = compileSieve(source);
  if (!result.ok) assert.fail(`compile failed at ${result.error.line}:${result.error.column}: ${result.error.message}\n${source}`);
  return result.script;
}

export function run(source: string, input: Partial<SieveRunInput> & { message: Buffer }): SieveResult {
  return runSieve(compile(source), { envelope: ENVELOPE, ...input });
}

export function actions(source: string, input: Partial<SieveRunInput> & { message: Buffer }): SieveAction[] {
  const result = run(source, input);
  assert.equal(result.error, null, `runtime error: ${result.error}`);
  return result.actions;
}

export const KEEP: SieveAction = { type: 'keep', flags: [] };
export const fileinto = (mailbox: string, extra: Partial<{ flags: string[]; create: boolean; copy: boolean }> = {}): SieveAction => ({
  type: 'fileinto',
  mailbox,
  flags: [],
  create: false,
  copy: false,
  ...extra,
});
