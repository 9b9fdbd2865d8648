import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LocalSlotCounts, SessionLimits, SessionSlots } from '../src/index.js';

const limits = { max_connections_per_service: 5, max_connections_per_ip: 2, mail_max_userip_connections: 2 };

async function opened(value: Promise<SessionSlots | string>): Promise<SessionSlots> {
  const slots = await value;
  assert.ok(slots instanceof SessionSlots, `refused: ${String(slots)}`);
  return slots;
}

describe('SessionLimits (IMAP and POP3)', () => {
  test('a login moves the session from the per-address count to the per-user+address count', async () => {
    const l = new SessionLimits(limits);
    const a = await opened(l.open('imap', '192.0.2.1'));
    const b = await opened(l.open('imap', '192.0.2.1'));
    assert.equal(await l.open('imap', '192.0.2.1'), 'address', 'two unauthenticated sessions from one address at most');
    assert.equal(await a.login('ann@example.com'), true);
    assert.equal(await b.login('ann@example.com'), true);
    const c = await opened(l.open('imap', '192.0.2.1'));
    assert.equal(await c.login('ANN@example.com'), false, 'a third session of ann from the address (compared case-insensitively)');
    assert.equal(await c.login('ben@example.com'), true, 'another user may still log in there');
    a.close();
    a.close();
    const d = await opened(l.open('imap', '192.0.2.1'));
    assert.equal(await d.login('ann@example.com'), true, 'a closed session gives its slot back, once');
  });

  test('IMAP and POP3 count user+address apart, and each service has its own cap', async () => {
    const l = new SessionLimits({ ...limits, max_connections_per_ip: 100 });
    for (let i = 0; i < 2; i++) assert.equal(await (await opened(l.open('imap', '192.0.2.1'))).login('ann@example.com'), true);
    assert.equal(await (await opened(l.open('pop3', '192.0.2.1'))).login('ann@example.com'), true);
    for (let i = 0; i < 3; i++) await opened(l.open('imap', `192.0.2.${10 + i}`));
    assert.equal(await l.open('imap', '192.0.2.99'), 'service');
    assert.ok((await l.open('pop3', '192.0.2.99')) instanceof SessionSlots);
  });

  test('a refused connection holds nothing', async () => {
    const counts = new LocalSlotCounts({ ...limits, max_connections_per_ip: 1 });
    const l = new SessionLimits({ ...limits, max_connections_per_ip: 1 }, counts);
    await opened(l.open('imap', '192.0.2.1'));
    for (let i = 0; i < 10; i++) assert.equal(await l.open('imap', '192.0.2.1'), 'address');
    assert.equal(counts.count('service', 'imap'), 1);
  });

  test('a session closed while its login was counted gives the login slot straight back', async () => {
    const counts = new LocalSlotCounts(limits);
    const l = new SessionLimits(limits, counts);
    const a = await opened(l.open('imap', '192.0.2.1'));
    const login = a.login('ann@example.com');
    a.close();
    assert.equal(await login, false);
    assert.equal(counts.count('userip', 'imap\u0000ann@example.com\u0000192.0.2.1'), 0);
    assert.equal(counts.count('address', '192.0.2.1'), 0);
  });

  test('reconfigure (a SIGHUP reload): open sessions keep their slots, new ones count against the new limits', async () => {
    const l = new SessionLimits(limits);
    const a = await opened(l.open('imap', '192.0.2.1'));
    await opened(l.open('imap', '192.0.2.1'));
    l.reconfigure({ ...limits, max_connections_per_ip: 1 });
    assert.equal(await l.open('imap', '192.0.2.1'), 'address', 'the lowered limit refuses a third');
    assert.equal(l.limits.max_connections_per_ip, 1, 'the refusal text names the new limit');
    a.close();
    assert.equal(await l.open('imap', '192.0.2.1'), 'address', 'one still open is already at the new limit of 1');
    l.reconfigure({ ...limits, max_connections_per_ip: 3 });
    await opened(l.open('imap', '192.0.2.1'));
  });
});
