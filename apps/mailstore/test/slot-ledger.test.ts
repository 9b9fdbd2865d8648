import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlotLedger } from '../src/cluster/slot-ledger.js';

const limits = { max_connections_per_service: 100, max_connections_per_ip: 2, mail_max_userip_connections: 1 };

test('the primary counts for every worker: a limit holds for the whole mailstore', () => {
  const ledger = new SlotLedger(limits);
  assert.equal(ledger.take(1, 'address', '192.0.2.1'), true);
  assert.equal(ledger.take(2, 'address', '192.0.2.1'), true);
  assert.equal(ledger.take(2, 'address', '192.0.2.1'), false, 'the third from the address, whichever worker asks');
  ledger.release(1, 'address', '192.0.2.1');
  assert.equal(ledger.take(2, 'address', '192.0.2.1'), true);
});

test('a worker that dies gives back everything it held, and only that', () => {
  const ledger = new SlotLedger(limits);
  ledger.take(1, 'address', '192.0.2.1');
  ledger.take(1, 'service', 'imap');
  ledger.take(1, 'userip', 'imap\u0000ann@example.com\u0000192.0.2.1');
  ledger.take(2, 'address', '192.0.2.1');
  ledger.releaseAll(1);
  assert.equal(ledger.count('address', '192.0.2.1'), 1);
  assert.equal(ledger.count('service', 'imap'), 0);
  assert.equal(ledger.take(3, 'userip', 'imap\u0000ann@example.com\u0000192.0.2.1'), true);
});

test('a release the worker holds nothing for frees nobody else’s slot', () => {
  const ledger = new SlotLedger(limits);
  ledger.take(1, 'address', '192.0.2.1');
  ledger.release(2, 'address', '192.0.2.1');
  assert.equal(ledger.count('address', '192.0.2.1'), 1);
});

test('a reload’s limits apply to new takes; counts in hand stay', () => {
  const ledger = new SlotLedger(limits);
  ledger.take(1, 'address', '192.0.2.1');
  ledger.take(1, 'address', '192.0.2.1');
  ledger.setLimits({ ...limits, max_connections_per_ip: 3 });
  assert.equal(ledger.take(2, 'address', '192.0.2.1'), true);
  ledger.setLimits({ ...limits, max_connections_per_ip: 1 });
  ledger.release(1, 'address', '192.0.2.1');
  assert.equal(ledger.take(2, 'address', '192.0.2.1'), false);
});
