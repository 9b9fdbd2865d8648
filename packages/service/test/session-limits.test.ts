import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SessionLimits, SessionSlots } from '../src/index.js';

const limits = { max_connections_per_service: 5, max_connections_per_ip: 2, mail_max_userip_connections: 2 };

function opened(value: SessionSlots | string): SessionSlots {
  assert.ok(value instanceof SessionSlots, `refused: ${String(value)}`);
  return value;
}

describe('SessionLimits (IMAP and POP3)', () => {
  test('a login moves the session from the per-address count to the per-user+address count', () => {
    const l = new SessionLimits(limits);
    const a = opened(l.open('imap', '192.0.2.1'));
    const b = opened(l.open('imap', '192.0.2.1'));
    assert.equal(l.open('imap', '192.0.2.1'), 'address', 'two unauthenticated sessions from one address at most');
    assert.equal(a.login('ann@example.com'), true);
    assert.equal(b.login('ann@example.com'), true);
    const c = opened(l.open('imap', '192.0.2.1'));
    assert.equal(c.login('ANN@example.com'), false, 'a third session of ann from the address (compared case-insensitively)');
    assert.equal(c.login('ben@example.com'), true, 'another user may still log in there');
    a.close();
    a.close();
    const d = opened(l.open('imap', '192.0.2.1'));
    assert.equal(d.login('ann@example.com'), true, 'a closed session gives its slot back, once');
  });

  test('IMAP and POP3 count user+address apart, and each service has its own cap', () => {
    const l = new SessionLimits({ ...limits, max_connections_per_ip: 100 });
    for (let i = 0; i < 2; i++) assert.equal(opened(l.open('imap', '192.0.2.1')).login('ann@example.com'), true);
    assert.equal(opened(l.open('pop3', '192.0.2.1')).login('ann@example.com'), true);
    for (let i = 0; i < 3; i++) opened(l.open('imap', `192.0.2.${10 + i}`));
    assert.equal(l.open('imap', '192.0.2.99'), 'service');
    assert.ok(l.open('pop3', '192.0.2.99') instanceof SessionSlots);
  });

  test('a refused connection holds nothing', () => {
    const l = new SessionLimits({ ...limits, max_connections_per_ip: 1 });
    opened(l.open('imap', '192.0.2.1'));
    for (let i = 0; i < 10; i++) assert.equal(l.open('imap', '192.0.2.1'), 'address');
    assert.equal(l.perService.count('imap'), 1);
  });

  test('reconfigure (a SIGHUP reload): open sessions keep their slots, new ones count against the new limits', () => {
    const l = new SessionLimits(limits);
    const a = opened(l.open('imap', '192.0.2.1'));
    opened(l.open('imap', '192.0.2.1'));
    l.reconfigure({ ...limits, max_connections_per_ip: 1 });
    assert.equal(l.open('imap', '192.0.2.1'), 'address', 'the lowered limit refuses a third');
    assert.equal(l.limits.max_connections_per_ip, 1, 'the refusal text names the new limit');
    a.close();
    assert.equal(l.open('imap', '192.0.2.1'), 'address', 'one still open is already at the new limit of 1');
    l.reconfigure({ ...limits, max_connections_per_ip: 3 });
    opened(l.open('imap', '192.0.2.1'));
  });
});
