import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedKeys, parseConfigText } from '../src/index.js';

const BASE = 'hostname = "mail.example.com"\n';
const load = (text: string) => parseConfigText(text, '/etc/postern/postern.toml');

test('changedKeys names each changed section key, nothing for an equal file', () => {
  const before = load(`${BASE}[smtpd]\nrecipient_restrictions = ["permit"]\n`);
  assert.deepEqual(changedKeys(before, load(`${BASE}[smtpd]\nrecipient_restrictions = ["permit"]\n`)), []);
  const after = load(`${BASE}data_dir = "/srv/mail"\n[smtpd]\nrecipient_restrictions = ["reject"]\n[listen]\nsmtp = ["127.0.0.1:2525"]\n[smtp.transport_maps]\n"example.net" = "[10.0.0.5]:2525"\n`);
  assert.deepEqual(changedKeys(before, after), ['data_dir', 'listen.smtp', 'smtp.transport_maps', 'smtpd.recipient_restrictions']);
});
