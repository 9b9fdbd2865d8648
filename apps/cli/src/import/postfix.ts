// Postfix's main.cf and maps into Postern: the settings that have Postern names go to the config
// file, virtual_alias_maps and smtpd_sender_login_maps to the store; every other setting is listed.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '@postern/config';
import { addAlias, allowSender } from '@postern/directory';
import type { Store } from '@postern/store';
import type { ConfigEdits } from './config-edits.js';
import { expand, listOf, parseMainCf, readPatternLines, readTextTable, tableRef, TEXT_TABLE_TYPES, type MainCf } from './postfix-source.js';
import type { ImportReport } from './report.js';

type Convert = (value: string, settings: MainCf) => unknown;

const text: Convert = (value, settings) => expand(settings, value);
const yesNo: Convert = (value) => /^(yes|true|1)$/i.test(value.trim());
const list: Convert = (value, settings) => listOf(expand(settings, value));
const integer: Convert = (value) => Number(value);
const seconds: Convert = (value) => Math.round(parseDuration(/^\d+$/.test(value) ? `${value}s` : value) / 1000);
// Restriction lists keep their $names unexpanded only where Postern knows them; Postfix's own
// lists are written out as the items Postern compiles (the same tokens Postfix reads).
const restrictions: Convert = (value, settings) => listOf(expand(settings, value));

/** main.cf names with a Postern key of the same meaning. */
const SETTINGS: Record<string, { key: string; convert: Convert }> = {
  myhostname: { key: 'hostname', convert: text },
  myorigin: { key: 'myorigin', convert: text },
  // $myhostname stays a name Postern knows; localhost.$mydomain and the like are expanded.
  mydestination: { key: 'mydestination', convert: (value, settings) => listOf(value).map((item) => (item === '$myhostname' ? item : expand(settings, item))) },
  mynetworks: { key: 'smtpd.mynetworks', convert: list },
  message_size_limit: { key: 'smtpd.message_size_limit', convert: integer },
  recipient_delimiter: { key: 'smtpd.recipient_delimiter', convert: text },
  // Postern's banner carries no $mail_name/$mail_version: it says ESMTP and nothing of the software.
  smtpd_banner: { key: 'smtpd.banner', convert: (value) => value.replace(/\s*\(?\$\{?mail_(name|version)\}?\)?/g, '').trim() },
  smtpd_helo_required: { key: 'smtpd.helo_required', convert: yesNo },
  disable_vrfy_command: { key: 'smtpd.disable_vrfy_command', convert: yesNo },
  strict_rfc821_envelopes: { key: 'smtpd.strict_rfc821_envelopes', convert: yesNo },
  smtpd_delay_reject: { key: 'smtpd.delay_reject', convert: yesNo },
  smtpd_recipient_limit: { key: 'smtpd.recipient_limit', convert: integer },
  smtpd_hard_error_limit: { key: 'smtpd.hard_error_limit', convert: integer },
  smtpd_timeout: { key: 'smtpd.timeout_seconds', convert: seconds },
  hopcount_limit: { key: 'smtpd.hopcount_limit', convert: integer },
  smtpd_tls_security_level: { key: 'smtpd.tls_security_level', convert: text },
  smtpd_tls_auth_only: { key: 'smtpd.tls_auth_only', convert: yesNo },
  smtpd_sasl_local_domain: { key: 'smtpd.sasl_local_domain', convert: text },
  smtpd_tls_cert_file: { key: 'tls.cert', convert: text },
  smtpd_tls_key_file: { key: 'tls.key', convert: text },
  smtp_tls_security_level: { key: 'smtp.tls_security_level', convert: text },
  smtp_tls_CAfile: { key: 'smtp.tls_CAfile', convert: text },
  smtp_bind_address: { key: 'smtp.bind_address', convert: text },
  relayhost: { key: 'smtp.relayhost', convert: text },
  maximal_queue_lifetime: { key: 'queue.maximal_queue_lifetime', convert: text },
  bounce_queue_lifetime: { key: 'queue.bounce_queue_lifetime', convert: text },
  delay_warning_time: { key: 'queue.delay_warning_time', convert: text },
  minimal_backoff_time: { key: 'queue.minimal_backoff_time', convert: text },
  maximal_backoff_time: { key: 'queue.maximal_backoff_time', convert: text },
  smtpd_client_restrictions: { key: 'smtpd.client_restrictions', convert: restrictions },
  smtpd_helo_restrictions: { key: 'smtpd.helo_restrictions', convert: restrictions },
  smtpd_sender_restrictions: { key: 'smtpd.sender_restrictions', convert: restrictions },
  smtpd_relay_restrictions: { key: 'smtpd.relay_restrictions', convert: restrictions },
  smtpd_recipient_restrictions: { key: 'smtpd.recipient_restrictions', convert: restrictions },
  smtpd_data_restrictions: { key: 'smtpd.data_restrictions', convert: restrictions },
  smtpd_end_of_data_restrictions: { key: 'smtpd.end_of_data_restrictions', convert: restrictions },
};

/** Settings whose job Postern does itself, with where it went: listed, as every setting without an equivalent is. */
const OWN_JOB: Record<string, string> = {
  virtual_mailbox_maps: 'Postern delivers to its own users (postern import dovecot-users)',
  virtual_transport: 'Postern delivers over its own LMTP',
  virtual_mailbox_domains: 'imported as Postern domains',
  smtpd_sasl_type: 'Postern authenticates against its own users',
  smtpd_sasl_path: 'Postern authenticates against its own users',
  smtpd_sasl_auth_enable: 'AUTH is on at submission/submissions',
  smtpd_milters: 'Postern signs DKIM itself (postern import opendkim)',
  non_smtpd_milters: 'Postern signs DKIM itself (postern import opendkim)',
};

/** The entries of a map, as text; pattern and database-backed tables are listed instead. */
function tableEntries(spec: string, dir: string, setting: string, report: ImportReport): { key: string; value: string }[] {
  const entries: { key: string; value: string }[] = [];
  for (const item of listOf(spec)) {
    const ref = tableRef(item, dir);
    if (!ref || !existsSync(ref.file)) {
      report.notImported(`${setting}: ${item} (${ref ? `no source file ${ref.file}` : 'not a type:name table'})`);
      continue;
    }
    if (TEXT_TABLE_TYPES.has(ref.type)) entries.push(...readTextTable(ref.file));
    else if (ref.type === 'regexp' || ref.type === 'pcre') {
      for (const line of readPatternLines(ref.file)) report.notImported(`${setting}: ${item}: ${line} (Postern maps exact addresses and @domain, not patterns)`);
    } else report.notImported(`${setting}: ${item} (a ${ref.type}: table; export it as text and import that)`);
  }
  return entries;
}

async function importDomains(store: Store, settings: MainCf, dir: string, report: ImportReport): Promise<void> {
  const value = settings.get('virtual_mailbox_domains');
  if (value === undefined) return;
  const domains = listOf(expand(settings, value)).flatMap((item) => (item.includes(':') ? tableEntries(item, dir, 'virtual_mailbox_domains', report).map((e) => e.key) : [item]));
  for (const domain of domains.map((d) => d.toLowerCase())) {
    if (await store.getDomain(domain)) report.same(`domain ${domain}`);
    else {
      report.change(`add domain ${domain}`);
      if (!report.dryRun) await store.addDomain(domain);
    }
  }
}

async function importAliases(store: Store, settings: MainCf, dir: string, delimiter: string, report: ImportReport): Promise<void> {
  const spec = settings.get('virtual_alias_maps');
  if (spec === undefined) return;
  for (const { key, value } of tableEntries(expand(settings, spec), dir, 'virtual_alias_maps', report)) {
    if (!key.includes('@')) {
      report.notImported(`virtual_alias_maps: ${key} ${value} (a bare name or virtual alias domain; Postern's domains come from postern domain add)`);
      continue;
    }
    const address = key.toLowerCase();
    const targets = listOf(value).map((t) => t.toLowerCase());
    const existing = new Set((await store.getAlias(address))?.targets ?? []);
    const missing = targets.filter((t) => !existing.has(t));
    if (missing.length === 0) {
      report.same(`alias ${address} → ${targets.join(', ')}`);
      continue;
    }
    report.change(`add alias ${address} → ${missing.join(', ')}`);
    if (report.dryRun) continue;
    try {
      await addAlias(store, address, missing, { recipientDelimiter: delimiter });
    } catch (err) {
      report.notImported(`virtual_alias_maps: ${key} ${value}: ${(err as Error).message}`);
    }
  }
}

async function importSenderLogins(store: Store, settings: MainCf, dir: string, report: ImportReport): Promise<void> {
  const spec = settings.get('smtpd_sender_login_maps');
  if (spec === undefined) return;
  for (const { key, value } of tableEntries(expand(settings, spec), dir, 'smtpd_sender_login_maps', report)) {
    const address = key.toLowerCase();
    for (const login of listOf(value).map((l) => l.toLowerCase())) {
      // A user owns its own address without a grant (as Postern's sender-login check has it).
      if (login === address) continue;
      const granted = await store.listSenderLogins({ address, login });
      if (granted.length > 0) {
        report.same(`sender ${address} ← ${login}`);
        continue;
      }
      report.change(`allow ${login} to send as ${address}`);
      if (report.dryRun) continue;
      try {
        await allowSender(store, address, login);
      } catch (err) {
        report.notImported(`smtpd_sender_login_maps: ${key} ${value}: ${(err as Error).message}`);
      }
    }
  }
}

/** transport_maps: `domain smtp:[host]:port` → smtp.transport_maps; other transports are listed. */
function transports(settings: MainCf, dir: string, report: ImportReport): Record<string, string> | null {
  const spec = settings.get('transport_maps');
  if (spec === undefined) return null;
  const table: Record<string, string> = {};
  for (const { key, value } of tableEntries(expand(settings, spec), dir, 'transport_maps', report)) {
    const match = /^(smtp)?:(.+)$/.exec(value);
    if (match?.[2]) table[key.toLowerCase()] = match[2];
    else report.notImported(`transport_maps: ${key} ${value} (Postern relays over SMTP only)`);
  }
  return table;
}

/** smtp_sasl_password_maps: the `user:password` of the relayhost's entry. */
function relayLogin(settings: MainCf, dir: string, relayhost: string, report: ImportReport): { username: string; password: string } | null {
  const spec = settings.get('smtp_sasl_password_maps');
  if (spec === undefined) return null;
  for (const { key, value } of tableEntries(expand(settings, spec), dir, 'smtp_sasl_password_maps', report)) {
    if (key !== relayhost) {
      report.notImported(`smtp_sasl_password_maps: the entry for ${key} (Postern logs in to smtp.relayhost only)`);
      continue;
    }
    const colon = value.indexOf(':');
    if (colon > 0) return { username: value.slice(0, colon), password: value.slice(colon + 1) };
  }
  return null;
}

export async function importPostfix(store: Store, dir: string, edits: ConfigEdits, report: ImportReport): Promise<void> {
  const mainCf = join(dir, 'main.cf');
  if (!existsSync(mainCf)) throw new Error(`${mainCf} does not exist (give the Postfix configuration directory)`);
  const settings = parseMainCf(readFileSync(mainCf, 'utf8'));
  // Read below (maps) or only through other settings: still listed unless imported as such.
  const handled = new Set(['virtual_alias_maps', 'smtpd_sender_login_maps', 'transport_maps', 'smtp_sasl_password_maps']);
  const throughOthers: Record<string, string> = {
    mydomain: 'used to expand $mydomain in the settings imported here',
    smtp_sasl_auth_enable: 'Postern logs in to the relay host whenever smtp.relayhost_username is set',
  };
  for (const [name, value] of settings) {
    const mapping = SETTINGS[name];
    if (mapping) {
      let converted: unknown;
      try {
        converted = mapping.convert(value, settings);
      } catch (err) {
        report.notImported(`main.cf ${name} = ${value}: ${(err as Error).message}`);
        continue;
      }
      edits.set(mapping.key, converted, `main.cf ${name}`);
    } else if (OWN_JOB[name] !== undefined) report.notImported(`main.cf ${name} = ${value} (${OWN_JOB[name]})`);
    else if (throughOthers[name] !== undefined) report.notImported(`main.cf ${name} = ${value} (${throughOthers[name]})`);
    else if (!handled.has(name)) report.notImported(`main.cf ${name} = ${value} (no Postern equivalent)`);
  }
  const table = transports(settings, dir, report);
  if (table !== null) edits.set('smtp.transport_maps', table, 'main.cf transport_maps');
  const relayhost = settings.get('relayhost');
  const login = relayhost ? relayLogin(settings, dir, expand(settings, relayhost), report) : null;
  if (login) {
    edits.set('smtp.relayhost_username', login.username, 'smtp_sasl_password_maps');
    edits.set('smtp.relayhost_password', login.password, 'smtp_sasl_password_maps', '(the password from sasl_passwd)');
  }
  await importDomains(store, settings, dir, report);
  await importAliases(store, settings, dir, expand(settings, settings.get('recipient_delimiter') ?? '+'), report);
  await importSenderLogins(store, settings, dir, report);
}
