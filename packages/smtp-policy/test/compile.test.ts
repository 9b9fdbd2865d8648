// Config errors at start: every problem names its smtpd.<stage>_restrictions[i] key.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '@postern/config';
import { compilePolicy } from '../src/index.js';
import { configWith } from './helpers.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'postern-policy-compile-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The ConfigError compilePolicy throws for these smtpd settings. */
function configError(smtpd: Record<string, unknown>): ConfigError {
  try {
    compilePolicy(configWith(smtpd));
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

function table(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return `file:${path}`;
}

describe('compilePolicy', () => {
  it('compiles the default config', () => {
    const policy = compilePolicy(configWith());
    assert.deepEqual(policy.ruleNames('relay'), ['permit_mynetworks', 'permit_sasl_authenticated', 'reject_unauth_destination']);
  });

  it('names the key and the rule of an unknown rule, suggesting the one meant', () => {
    const error = configError({ recipient_restrictions: ['permit_mynetworks', 'reject_unauth_destination', 'reject_unknwon_sender_domain'] });
    assert.equal(error.message, 'smtpd.recipient_restrictions[2]: unknown rule "reject_unknwon_sender_domain" (did you mean reject_unknown_sender_domain?)');
  });

  it('lists every problem, not only the first', () => {
    const error = configError({ client_restrictions: ['bogus_one'], helo_restrictions: ['permit', 'bogus_two'] });
    assert.deepEqual(error.problems, ['smtpd.client_restrictions[0]: unknown rule "bogus_one"', 'smtpd.helo_restrictions[1]: unknown rule "bogus_two"']);
  });

  it('takes an argument from the next item or from the same item, and names are case-insensitive', () => {
    for (const client of [['reject_rbl_client', 'zen.example', 'permit'], ['reject_rbl_client zen.example', 'PERMIT'], ['reject_rbl_client zen.example, permit']]) {
      assert.deepEqual(compilePolicy(configWith({ client_restrictions: client })).ruleNames('client'), ['reject_rbl_client', 'permit']);
    }
  });

  it('names a missing argument', () => {
    const error = configError({ client_restrictions: ['permit_mynetworks', 'reject_rbl_client'] });
    assert.match(error.message, /^smtpd\.client_restrictions\[1\]: reject_rbl_client needs an argument \(reject_rbl_client DOMAIN\[=PATTERN\]/);
  });

  it('names a bad DNS list domain or reply pattern', () => {
    assert.match(configError({ client_restrictions: ['reject_rbl_client', 'permit'] }).message, /^smtpd\.client_restrictions\[0\]: reject_rbl_client permit: "permit" is not a DNS list domain/);
    assert.match(configError({ client_restrictions: ['reject_rbl_client zen..example'] }).message, /^smtpd\.client_restrictions\[0\]: reject_rbl_client zen\.\.example: "zen\.\.example" is not a DNS list domain/);
    assert.match(
      configError({ client_restrictions: ['reject_rbl_client zen.example=127.0.0.300'] }).message,
      /^smtpd\.client_restrictions\[0\]: reject_rbl_client zen\.example=127\.0\.0\.300: "127\.0\.0\.300" is not a reply pattern/,
    );
    assert.match(configError({ helo_restrictions: ['reject_rhsbl_helo'] }).message, /^smtpd\.helo_restrictions\[0\]: reject_rhsbl_helo needs an argument/);
  });

  it('refuses warn_if_reject with nothing after it', () => {
    assert.equal(configError({ client_restrictions: ['permit_mynetworks', 'warn_if_reject'] }).message, 'smtpd.client_restrictions[1]: warn_if_reject must be followed by the rule it applies to');
  });

  it('reads a bare table as the list\'s own check_*_access, and refuses one where no access check exists', () => {
    const path = table('bare', '192.0.2.1 REJECT\n');
    assert.deepEqual(compilePolicy(configWith({ client_restrictions: [path] })).ruleNames('client'), ['check_client_access']);
    assert.deepEqual(compilePolicy(configWith({ recipient_restrictions: [path] })).ruleNames('recipient'), ['check_recipient_access']);
    assert.match(configError({ data_restrictions: [path] }).message, /^smtpd\.data_restrictions\[0\]: ".*" is a lookup table; write it after check_client_access/);
  });

  it('names an unreadable table, an unknown table type and a table line with a bad action', () => {
    assert.match(configError({ sender_restrictions: ['check_sender_access', `file:${dir}/missing`] }).message, /^smtpd\.sender_restrictions\[0\]: check_sender_access file:.*: cannot read .*missing: ENOENT$/);
    assert.match(configError({ sender_restrictions: ['check_sender_access', 'hash:/etc/postfix/access'] }).message, /^smtpd\.sender_restrictions\[0\]: .*"hash:\/etc\/postfix\/access" is not a table Postern can read/);
    assert.match(configError({ sender_restrictions: ['check_sender_access', 'reject'] }).message, /"reject" is not a table Postern can read/);
    const held = table('held', '# spam\nspammer@example.net HOLD\n');
    assert.match(configError({ sender_restrictions: [`check_sender_access ${held}`] }).message, /: file:.*held line 2: action HOLD is not supported by Postern/);
    const nested = table('nested', 'example.net reject_unknwon_sender_domain\n');
    assert.match(configError({ sender_restrictions: [`check_sender_access ${nested}`] }).message, /file:.*nested line 1: unknown rule "reject_unknwon_sender_domain"/);
    const noText = table('notext', 'example.net 554\n');
    assert.match(configError({ sender_restrictions: [`check_sender_access ${noText}`] }).message, /notext line 1: "554" needs a text after the code/);
    const noAction = table('noaction', 'example.net\n');
    assert.match(configError({ sender_restrictions: [`check_sender_access ${noAction}`] }).message, /noaction line 1: "example\.net" has no action/);
  });
});

describe('open-relay guard', () => {
  it('refuses relay and recipient lists that never reject other destinations', () => {
    const error = configError({ relay_restrictions: ['permit_mynetworks'], recipient_restrictions: ['permit_sasl_authenticated', 'permit'] });
    assert.match(error.message, /^smtpd\.relay_restrictions: this would be an open relay — neither smtpd\.relay_restrictions nor smtpd\.recipient_restrictions contains reject_unauth_destination/);
  });

  it('refuses empty relay and recipient lists', () => {
    assert.match(configError({ relay_restrictions: [], recipient_restrictions: [] }).message, /open relay/);
  });

  it('does not count a guard softened by warn_if_reject', () => {
    assert.match(configError({ relay_restrictions: ['warn_if_reject', 'reject_unauth_destination'] }).message, /open relay/);
  });

  it('accepts the guard in the recipient list (the Postfix < 2.10 layout), or defer_unauth_destination, or reject', () => {
    for (const smtpd of [
      { relay_restrictions: [], recipient_restrictions: ['permit_mynetworks', 'reject_unauth_destination'] },
      { relay_restrictions: ['permit_mynetworks', 'defer_unauth_destination'] },
      { relay_restrictions: ['permit_mynetworks', 'reject'] },
    ]) {
      assert.doesNotThrow(() => compilePolicy(configWith(smtpd)), JSON.stringify(smtpd));
    }
  });
});
