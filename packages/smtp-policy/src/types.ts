import type { PosternConfig } from '@postern/config';
import type { Resolver } from '@postern/dns';
import type { Store } from '@postern/store';

/** Postfix's restriction stages, in the order a session meets them. */
export const STAGES = ['client', 'helo', 'sender', 'relay', 'recipient', 'data', 'end_of_data'] as const;
export type Stage = (typeof STAGES)[number];

/** What the rules may look at: the facts of one SMTP session at the current command. */
export interface SessionFacts {
  /** smtp (25), submission (587) or submissions (465). */
  service: 'smtp' | 'submission' | 'submissions';
  clientAddress: string;
  /** The verified reverse name (PTR whose A/AAAA leads back), or null: Postfix's client_name "unknown". */
  clientHostname: string | null;
  /** The PTR name even when it does not verify: Postfix's reverse_client_name. */
  reverseClientHostname: string | null;
  helo: string | null;
  saslUsername: string | null;
  tls: boolean;
  /** Envelope sender: null before MAIL FROM, '' for the null reverse-path. */
  sender: string | null;
  /** The recipient of the RCPT TO being checked (recipient/relay stages). */
  recipient: string | null;
  /** Recipients accepted so far. */
  recipientCount: number;
  /** The client sent a command before it was allowed to (reject_unauth_pipelining). */
  pipelinedEarly: boolean;
  /** What only the policy delegation protocol passes on (SMTPD_POLICY_README); absent where unknown. */
  session?: SessionDetails;
}

/** The session's details a policy service is told about, beyond what the built-in rules use. */
export interface SessionDetails {
  /** The session's id, unique in this process: the base of Postfix's "instance" attribute. */
  id: string;
  /** The open transaction's queue id, when there is one. */
  queueId: string | null;
  /** SMTP or ESMTP (how the client greeted). */
  protocolName: 'SMTP' | 'ESMTP';
  clientPort: number;
  serverAddress: string;
  serverPort: number;
  /** The SIZE= of MAIL FROM, or null. */
  size: number | null;
  saslMethod: string | null;
  tlsProtocol: string | null;
  tlsCipher: string | null;
}

/** A temporary refusal that waits on the outcome of the rest of the command's checks (access(5) DEFER_IF_PERMIT, DEFER_IF_REJECT). */
export interface Deferral {
  code: number;
  enhanced: string;
  text: string;
  rule: string;
}

/** A rule's answer: decide for the list, or pass to the next rule (Postfix DUNNO). */
export type RuleResult = (
  | { action: 'permit' }
  | { action: 'dunno' }
  | {
      action: 'reject';
      /** 4xx or 5xx; per-class codes come from config (smtpd.reject_code and friends). */
      code: number;
      /** RFC 3463 enhanced status code, e.g. 5.7.1. */
      enhanced: string;
      text: string;
    }
) & {
  /** Lines for the log that do not change the decision (a DNSBL lookup error, an access-table WARN, a reject_warning). */
  warnings?: string[];
  /** Header fields to put in front of the message if it is accepted (access(5) PREPEND). */
  prepend?: string[];
  /** access(5) DEFER_IF_PERMIT: a 4xx if the command's checks end up accepting. */
  deferIfPermit?: Omit<Deferral, 'rule'>;
  /** access(5) DEFER_IF_REJECT: a later reject of this command becomes this 4xx. */
  deferIfReject?: Omit<Deferral, 'rule'>;
};

/** What the rules may use besides the facts: one store, one resolver, one config. */
export interface PolicyEnvironment {
  config: PosternConfig;
  store: Store;
  resolver: Resolver;
}

export interface RuleContext {
  facts: SessionFacts;
  env: PolicyEnvironment;
  stage: Stage;
}

/** A compiled rule: a name as written in the config, and the function that decides. */
export interface Rule {
  name: string;
  evaluate(ctx: RuleContext): Promise<RuleResult>;
}

/**
 * A rule factory: `reject_rbl_client zen.spamhaus.org` has name
 * `reject_rbl_client` and one argument. Throws an Error with a one-line
 * reason when the arguments are wrong (a config error at start).
 */
export interface RuleDefinition {
  name: string;
  /** How many arguments the rule takes from the list (0 for most). */
  arity: number;
  /** How the rule is written with its arguments, for error messages: `reject_rbl_client DOMAIN[=PATTERN]`. */
  usage?: string;
  create(args: string[], config: PosternConfig): Rule;
}

/** The outcome of a stage (or of all stages due at RCPT with delay_reject). */
export type Verdict =
  /** prepend: header fields (access(5) PREPEND) for the message of this transaction. */
  | { action: 'accept'; warnings: string[]; prepend?: string[] }
  | { action: 'reject'; code: number; enhanced: string; text: string; stage: Stage; rule: string; warnings: string[] };
