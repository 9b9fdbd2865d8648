// What each command and test takes: its capability, tagged arguments and positional argument forms
// (RFC 5228 §§3-5 and the extensions' syntax sections).

export type ArgType = 'string' | 'string-list' | 'number';

export interface TagSpec {
  /** The argument the tag takes (RFC 5228 §2.6.2), if any. */
  takes?: ArgType;
  /** Tags of one group exclude each other (one match type, one address part, ...). */
  group?: string;
  capability?: string;
}

export interface Spec {
  capability?: string;
  tags: Record<string, TagSpec>;
  /** The accepted positional argument forms; the first whose length matches applies. */
  positional: ArgType[][];
  tests: 'none' | 'one' | 'list';
  block: boolean;
}

// RFC 5228 §2.7.3 COMPARATOR, §2.7.1 MATCH-TYPE (+ RFC 5231 :value/:count), §2.7.4 ADDRESS-PART (+ RFC 5233 :user/:detail).
const COMPARATOR: Record<string, TagSpec> = { comparator: { takes: 'string', group: 'comparator' } };
const MATCH_TYPE: Record<string, TagSpec> = {
  is: { group: 'match' },
  contains: { group: 'match' },
  matches: { group: 'match' },
  value: { takes: 'string', group: 'match', capability: 'relational' },
  count: { takes: 'string', group: 'match', capability: 'relational' },
};
const ADDRESS_PART: Record<string, TagSpec> = {
  all: { group: 'address-part' },
  localpart: { group: 'address-part' },
  domain: { group: 'address-part' },
  user: { group: 'address-part', capability: 'subaddress' },
  detail: { group: 'address-part', capability: 'subaddress' },
};
// RFC 5260 §6: :index <fieldno> [:last] on header, address and date.
const INDEX: Record<string, TagSpec> = { index: { takes: 'number', capability: 'index' }, last: { capability: 'index' } };
// RFC 5232 §5: :flags on keep and fileinto.
const FLAGS: Record<string, TagSpec> = { flags: { takes: 'string-list', capability: 'imap4flags' } };
const NONE: Record<string, TagSpec> = {};

const command = (positional: ArgType[][], tags = NONE, capability?: string, block = false, tests: Spec['tests'] = 'none'): Spec => ({
  tags,
  positional,
  tests,
  block,
  ...(capability ? { capability } : {}),
});
const test = (positional: ArgType[][], tags = NONE, capability?: string, tests: Spec['tests'] = 'none'): Spec =>
  command(positional, tags, capability, false, tests);

export const COMMANDS: Record<string, Spec> = {
  // RFC 5228 §3 control commands.
  require: command([['string-list']]),
  if: command([[]], NONE, undefined, true, 'one'),
  elsif: command([[]], NONE, undefined, true, 'one'),
  else: command([[]], NONE, undefined, true),
  stop: command([[]]),
  // RFC 5228 §4 actions.
  keep: command([[]], FLAGS),
  discard: command([[]]),
  redirect: command([['string']], { copy: { capability: 'copy' } }),
  fileinto: command([['string']], { ...FLAGS, copy: { capability: 'copy' }, create: { capability: 'mailbox' } }, 'fileinto'),
  // RFC 5429 §2.1, §2.2.
  reject: command([['string']], NONE, 'reject'),
  ereject: command([['string']], NONE, 'ereject'),
  // RFC 5230 §4 (and RFC 6131 :seconds).
  vacation: command(
    [['string']],
    {
      days: { takes: 'number', group: 'period' },
      seconds: { takes: 'number', group: 'period', capability: 'vacation-seconds' },
      subject: { takes: 'string' },
      from: { takes: 'string' },
      addresses: { takes: 'string-list' },
      mime: {},
      handle: { takes: 'string' },
    },
    'vacation',
  ),
  // RFC 5232 §3: setflag/addflag/removeflag [<variablename: string>] <list-of-flags: string-list>.
  setflag: command([['string-list'], ['string', 'string-list']], NONE, 'imap4flags'),
  addflag: command([['string-list'], ['string', 'string-list']], NONE, 'imap4flags'),
  removeflag: command([['string-list'], ['string', 'string-list']], NONE, 'imap4flags'),
  // RFC 5229 §4.
  set: command(
    [['string', 'string']],
    {
      lower: { group: 'case' },
      upper: { group: 'case' },
      lowerfirst: { group: 'first' },
      upperfirst: { group: 'first' },
      quotewildcard: {},
      length: {},
    },
    'variables',
  ),
  // RFC 5293 §§4-5.
  addheader: command([['string', 'string']], { last: {} }, 'editheader'),
  // RFC 5293 §5 defines its own :index/:last, without the "index" capability.
  deleteheader: command([['string'], ['string', 'string-list']], { index: { takes: 'number' }, last: {}, ...COMPARATOR, ...MATCH_TYPE }, 'editheader'),
};

export const TESTS: Record<string, Spec> = {
  // RFC 5228 §5.
  address: test([['string-list', 'string-list']], { ...COMPARATOR, ...ADDRESS_PART, ...MATCH_TYPE, ...INDEX }),
  allof: test([[]], NONE, undefined, 'list'),
  anyof: test([[]], NONE, undefined, 'list'),
  envelope: test([['string-list', 'string-list']], { ...COMPARATOR, ...ADDRESS_PART, ...MATCH_TYPE }, 'envelope'),
  exists: test([['string-list']]),
  false: test([[]]),
  header: test([['string-list', 'string-list']], { ...COMPARATOR, ...MATCH_TYPE, ...INDEX }),
  not: test([[]], NONE, undefined, 'one'),
  size: test([['number']], { over: { group: 'size' }, under: { group: 'size' } }),
  true: test([[]]),
  // RFC 5173 §4.
  body: test([['string-list']], { ...COMPARATOR, ...MATCH_TYPE, raw: { group: 'transform' }, content: { takes: 'string-list', group: 'transform' }, text: { group: 'transform' } }, 'body'),
  // RFC 5229 §5.
  string: test([['string-list', 'string-list']], { ...COMPARATOR, ...MATCH_TYPE }, 'variables'),
  // RFC 5232 §4: hasflag [MATCH-TYPE] [COMPARATOR] [<variable-list: string-list>] <list-of-flags: string-list>.
  hasflag: test([['string-list'], ['string-list', 'string-list']], { ...COMPARATOR, ...MATCH_TYPE }, 'imap4flags'),
  // RFC 5490 §3.1.
  mailboxexists: test([['string-list']], NONE, 'mailbox'),
  // RFC 5260 §4, §5.
  date: test([['string', 'string', 'string-list']], { ...COMPARATOR, ...MATCH_TYPE, ...INDEX, zone: { takes: 'string', group: 'zone' }, originalzone: { group: 'zone' } }, 'date'),
  currentdate: test([['string', 'string-list']], { ...COMPARATOR, ...MATCH_TYPE, zone: { takes: 'string', group: 'zone' } }, 'date'),
};

/** Capabilities `require` accepts (RFC 5228 §3.2); also ManageSieve's "SIEVE" capability list (RFC 5804 §1.7). */
export const CAPABILITIES: readonly string[] = [
  'fileinto',
  'reject',
  'ereject',
  'envelope',
  'encoded-character',
  'imap4flags',
  'copy',
  'body',
  'variables',
  'vacation',
  'vacation-seconds',
  'relational',
  'comparator-i;ascii-numeric',
  'comparator-i;octet',
  'comparator-i;ascii-casemap',
  'subaddress',
  'mailbox',
  'date',
  'index',
  'editheader',
];

/** RFC 5231 §4: the relational operators. */
export const RELATIONS = ['gt', 'ge', 'lt', 'le', 'eq', 'ne'] as const;
export type Relation = (typeof RELATIONS)[number];

/** RFC 5260 §4.2 date-part names. */
export const DATE_PARTS = ['year', 'month', 'day', 'date', 'julian', 'hour', 'minute', 'second', 'time', 'iso8601', 'std11', 'zone', 'weekday'] as const;
