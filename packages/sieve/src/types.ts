// The public shapes of @postern/sieve: what a caller compiles, runs and gets back.
import type { Node } from './ast.js';

/** Where and why a script failed to compile (1-based line and column, RFC 5804 §1.3 error text). */
export interface SieveCompileError {
  line: number;
  column: number;
  message: string;
}

/** A parsed and checked script, ready for runSieve. Opaque to callers. */
export interface SieveScript {
  readonly kind: 'sieve-script';
  /** The capabilities the script's `require` named (RFC 5228 §3.2). */
  readonly capabilities: readonly string[];
  /** @internal the checked commands */
  readonly commands: readonly Node[];
}

export type CompileResult = { ok: true; script: SieveScript } | { ok: false; error: SieveCompileError };

export interface SieveEnvelope {
  /** The envelope sender (MAIL FROM); '' = the null sender `<>`. */
  from: string;
  /** The recipient being delivered (RCPT TO). */
  to: string;
  /** The recipient before alias expansion, when known. */
  originalTo?: string;
  /** The authenticated submitter, when known (RFC 5228 §5.4 "auth" part). */
  auth?: string;
}

export interface SieveRunInput {
  /** The whole RFC 5322 message as stored. */
  message: Buffer;
  envelope: SieveEnvelope;
  now?: Date;
  /** For mailbox :create / mailboxexists (RFC 5490). */
  mailboxExists?: (name: string) => boolean;
  /** For vacation :addresses defaults: the user's own addresses. */
  userAddresses?: string[];
  /** Defaults: DEFAULT_BUDGET. A script that exceeds them ends with an error and the implicit keep alone. */
  budget?: { steps?: number; actions?: number };
  /** Subaddress separator(s) for :user/:detail (RFC 5233 §3); default '+'. */
  recipientDelimiter?: string;
}

export type SieveAction =
  | { type: 'keep'; flags: string[] }
  | { type: 'fileinto'; mailbox: string; flags: string[]; create: boolean; copy: boolean }
  | { type: 'redirect'; address: string; copy: boolean }
  | { type: 'discard' }
  | { type: 'reject'; reason: string; extended: boolean /* ereject */ }
  | {
      type: 'vacation';
      /** The address to answer (the envelope sender). */
      replyTo: string;
      from: string | null;
      subject: string;
      reason: string;
      mime: boolean;
      handle: string;
      periodSeconds: number;
    }
  | { type: 'addheader'; name: string; value: string; last: boolean }
  | { type: 'deleteheader'; name: string; index?: number; last?: boolean; patterns?: string[] };

export interface SieveResult {
  actions: SieveAction[];
  /** A runtime error or budget exceeded: actions are then [{type:'keep',flags:[]}]. */
  error: string | null;
}

/**
 * The default run budget. Steps: one per command and test evaluated, one per cell of the :matches
 * table, one per 8 bytes of text scanned (headers, bodies, variables); 10 million is about 0.1 s of
 * one core at worst, and lets a 9 MB body be searched. Actions: actions emitted (RFC 5228 §2.10.4).
 */
export const DEFAULT_BUDGET = { steps: 10_000_000, actions: 64 } as const;
