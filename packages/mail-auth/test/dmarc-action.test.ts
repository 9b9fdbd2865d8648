import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { appliedPolicy, dmarcAction, type DmarcEvaluation } from '../src/dmarc-action.js';

const ON = { dmarc_reject: true, dmarc_quarantine: true };

function failure(overrides: Partial<DmarcEvaluation> = {}): DmarcEvaluation {
  return { result: 'fail', fromDomain: 'example.com', policy: 'reject', pct: undefined, temperrorCouldPass: false, identicalPass: false, ...overrides };
}

describe('appliedPolicy (RFC 7489 §6.3, §6.6.4)', () => {
  test('pct= selects that share of failures; the rest get the next policy down', () => {
    const sampled = (draw: number) => appliedPolicy({ policy: 'reject', pct: 50 }, () => draw);
    assert.equal(sampled(0.49), 'reject');
    assert.equal(sampled(0.5), 'quarantine');
    assert.equal(appliedPolicy({ policy: 'quarantine', pct: 50 }, () => 0.9), 'none');
    assert.equal(appliedPolicy({ policy: 'reject', pct: undefined }, () => 0.999), 'reject');
    assert.equal(appliedPolicy({ policy: 'reject', pct: 0 }, () => 0), 'quarantine');
  });

  test('an unknown or missing p= counts as none', () => {
    assert.equal(appliedPolicy({ policy: 'discard', pct: 100 }), 'none');
    assert.equal(appliedPolicy({ policy: undefined, pct: 100 }), 'none');
    assert.equal(appliedPolicy({ policy: ' REJECT ', pct: 100 }), 'reject');
  });
});

describe('dmarcAction', () => {
  test('rejects with 550 5.7.1 naming the From domain', () => {
    assert.deepEqual(dmarcAction(failure(), ON), {
      dmarcPolicy: 'reject',
      action: 'reject',
      reply: { code: 550, enhanced: '5.7.1', text: 'Email rejected per DMARC policy for example.com' },
    });
  });

  test('a failure DNS trouble may have caused is 451 4.7.5, for quarantine as for reject', () => {
    for (const policy of ['reject', 'quarantine']) {
      const decision = dmarcAction(failure({ policy, temperrorCouldPass: true }), ON);
      assert.equal(decision.action, 'tempfail');
      assert.deepEqual([decision.reply?.code, decision.reply?.enhanced], [451, '4.7.5']);
    }
    assert.equal(dmarcAction(failure({ policy: 'none', temperrorCouldPass: true }), ON).action, 'accept');
  });

  test('a DMARC temperror tempfails unless nothing would come of a failure', () => {
    const temperror = failure({ result: 'temperror' });
    assert.equal(dmarcAction(temperror, ON).action, 'tempfail');
    assert.equal(dmarcAction({ ...temperror, identicalPass: true }, ON).action, 'accept');
    assert.equal(dmarcAction(temperror, { dmarc_reject: false, dmarc_quarantine: false }).action, 'accept');
  });

  test('pass and none are accepted with no policy', () => {
    for (const result of ['pass', 'none', 'permerror']) {
      assert.deepEqual(dmarcAction(failure({ result }), ON), { dmarcPolicy: null, action: 'accept', reply: null });
    }
  });
});
