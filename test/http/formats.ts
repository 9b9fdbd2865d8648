// Readers of what the HTTP side serves, written from the formats' specifications: XML parsed by
// Python's ElementTree, Apple plists by plistlib, and the Prometheus text exposition format.
import { python } from '../support/python.js';

export interface XmlElement {
  tag: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlElement[];
}

/** Parses a document with Python's xml.etree (a real XML parser: malformed or unescaped XML fails here). */
export async function parseXml(document: string): Promise<XmlElement> {
  const { tree } = await python<{ tree: XmlElement }>(
    `
import xml.etree.ElementTree as ET
def walk(e):
    tag = e.tag.split('}', 1)[-1]
    return {'tag': tag, 'attrs': dict(e.attrib), 'text': (e.text or '').strip(), 'children': [walk(c) for c in e]}
out['tree'] = walk(ET.fromstring(args['doc'].encode('utf-8')))
`,
    { doc: document },
  );
  return tree;
}

/** Parses an Apple property list with Python's plistlib; resolves with it as JSON. */
export async function parsePlist(document: string): Promise<Record<string, unknown>> {
  const { plist } = await python<{ plist: Record<string, unknown> }>(
    `
import plistlib
out['plist'] = plistlib.loads(args['doc'].encode('utf-8'))
`,
    { doc: document },
  );
  return plist;
}

/** An element's grammar: the children it may hold, in order, each with how often it may occur. */
interface ElementRule {
  attrs?: Record<string, RegExp>;
  children?: [name: string, min: number, max: number][];
  text?: RegExp;
}

const SERVER_CHILDREN: ElementRule['children'] = [
  ['hostname', 1, 1],
  ['port', 1, 1],
  ['socketType', 1, 1],
  ['username', 1, 1],
  ['authentication', 1, Infinity],
];

/**
 * Thunderbird's config-v1.1.xml, as its format page and its own reader (mailnews/base/src/
 * accountcreation readFromXML) define it: clientConfig > emailProvider > domain+, displayName,
 * displayShortName?, incomingServer+ (imap|pop3), outgoingServer+ (smtp); each server has hostname,
 * port, socketType (plain|SSL|STARTTLS), username and authentication.
 */
const THUNDERBIRD: Record<string, ElementRule> = {
  clientConfig: { attrs: { version: /^1\.1$/ }, children: [['emailProvider', 1, 1]] },
  emailProvider: {
    attrs: { id: /^[a-z0-9.-]+$/ },
    children: [
      ['domain', 1, Infinity],
      ['displayName', 1, 1],
      ['displayShortName', 0, 1],
      ['incomingServer', 1, Infinity],
      ['outgoingServer', 1, Infinity],
    ],
  },
  domain: { text: /^[a-z0-9.-]+$/ },
  displayName: { text: /./ },
  displayShortName: { text: /./ },
  incomingServer: { attrs: { type: /^(imap|pop3)$/ }, children: SERVER_CHILDREN },
  outgoingServer: { attrs: { type: /^smtp$/ }, children: SERVER_CHILDREN },
  hostname: { text: /^[a-z0-9.-]+$/ },
  port: { text: /^\d{1,5}$/ },
  socketType: { text: /^(plain|SSL|STARTTLS)$/ },
  username: { text: /^(%EMAILADDRESS%|%EMAILLOCALPART%|.+@.+)$/ },
  authentication: { text: /^(password-cleartext|password-encrypted|NTLM|GSSAPI|client-IP-address|TLS-client-cert|OAuth2|none)$/ },
};

/** Problems of `root` against Thunderbird's config-v1.1 grammar; [] when it is valid. */
export function thunderbirdProblems(root: XmlElement): string[] {
  const problems: string[] = [];
  const check = (element: XmlElement, path: string): void => {
    const rule = THUNDERBIRD[element.tag];
    if (!rule) return void problems.push(`${path}: unknown element <${element.tag}>`);
    for (const [name, pattern] of Object.entries(rule.attrs ?? {})) {
      if (!pattern.test(element.attrs[name] ?? '')) problems.push(`${path}: ${name}="${element.attrs[name] ?? ''}" does not match ${pattern}`);
    }
    if (rule.text && !rule.text.test(element.text)) problems.push(`${path}: text "${element.text}" does not match ${rule.text}`);
    // Children in the grammar's order, each within its count.
    let index = 0;
    for (const [name, min, max] of rule.children ?? []) {
      let count = 0;
      while (index < element.children.length && element.children[index]!.tag === name) {
        check(element.children[index]!, `${path}/${name}`);
        index += 1;
        count += 1;
      }
      if (count < min || count > max) problems.push(`${path}: ${count} <${name}> (expected ${min}..${max})`);
    }
    for (const extra of element.children.slice(index)) problems.push(`${path}: <${extra.tag}> not allowed here`);
  };
  if (root.tag !== 'clientConfig') return [`root is <${root.tag}>, not <clientConfig>`];
  check(root, 'clientConfig');
  return problems;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
  /** The value of `name` with exactly these labels, 0 when absent. */
  value(name: string, labels?: Record<string, string>): number;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** The Prometheus text exposition format 0.0.4: HELP/TYPE comments and `name{label="value",…} value` lines; throws on a malformed line. */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const comment = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!comment) continue;
      if (!METRIC_NAME.test(comment[2]!)) throw new Error(`bad metric name in: ${line}`);
      if (comment[1] === 'TYPE') {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(comment[3]!)) throw new Error(`bad type in: ${line}`);
        if (types.has(comment[2]!)) throw new Error(`second TYPE for ${comment[2]}`);
        types.set(comment[2]!, comment[3]!);
      }
      continue;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!match) throw new Error(`malformed sample line: ${line}`);
    const labels: Record<string, string> = {};
    let rest = match[3] ?? '';
    while (rest !== '') {
      const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)",?/.exec(rest);
      if (!label) throw new Error(`malformed labels in: ${line}`);
      labels[label[1]!] = label[2]!.replace(/\\(["\\n])/g, (_all, char: string) => (char === 'n' ? '\n' : char));
      rest = rest.slice(label[0].length);
    }
    const raw = match[4]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`bad value in: ${line}`);
    // A histogram's (and summary's) samples are NAME_bucket, NAME_sum and NAME_count under NAME's TYPE.
    const family = /^(.*)_(bucket|sum|count)$/.exec(match[1]!)?.[1];
    const ofFamily = family !== undefined && /^(histogram|summary)$/.test(types.get(family) ?? '');
    if (!types.has(match[1]!) && !ofFamily) throw new Error(`sample before its TYPE: ${line}`);
    samples.push({ name: match[1]!, labels, value });
  }
  const same = (a: Record<string, string>, b: Record<string, string>): boolean => Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);
  return { types, samples, value: (name, labels = {}) => samples.find((s) => s.name === name && same(s.labels, labels))?.value ?? 0 };
}
