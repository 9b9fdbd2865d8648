// The rules for a user's Sieve scripts, shared by ManageSieve and `postern sieve`: names
// (RFC 5804 §1.6), the quota (§2.5 HAVESPACE) and the compile check before storing (§2.6).
import type { PosternConfig } from '@postern/config';
import { compileSieve } from '@postern/sieve';
import { StoreConflictError, type SieveScriptRecord, type Store, type UserId } from '@postern/store';

/** Why a change was refused, with the RFC 5804 §1.3 response code a ManageSieve client gets. */
export class ScriptRefusal extends Error {
  constructor(
    readonly code: 'QUOTA/MAXSCRIPTS' | 'QUOTA/MAXSIZE' | 'NONEXISTENT' | 'ACTIVE' | 'ALREADYEXISTS' | null,
    message: string,
  ) {
    super(message);
  }
}

const MAX_NAME_OCTETS = 255;

/**
 * RFC 5804 §1.6: a script name is non-empty Net-Unicode without control characters
 * (U+0000-U+001F, U+007F-U+009F) or the line and paragraph separators (U+2028, U+2029).
 */
export function validScriptName(name: string): boolean {
  return name !== '' && Buffer.byteLength(name, 'utf8') <= MAX_NAME_OCTETS && !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/.test(name);
}

/** "line L column C: message", or null when the script compiles. */
export function checkScript(content: string): string | null {
  const result = compileSieve(content);
  return result.ok ? null : `line ${result.error.line} column ${result.error.column}: ${result.error.message}`;
}

export type SieveQuota = Pick<PosternConfig['sieve'], 'max_scripts' | 'max_script_size'>;

/** One user's scripts under the rules. Every method throws ScriptRefusal for a refused change. */
export class UserScripts {
  constructor(
    private readonly store: Store,
    private readonly userId: UserId,
    private readonly quota: SieveQuota,
  ) {}

  list(): Promise<SieveScriptRecord[]> {
    return this.store.listSieveScripts(this.userId);
  }

  async get(name: string): Promise<SieveScriptRecord> {
    const script = await this.store.getSieveScript(this.userId, name);
    if (!script) throw new ScriptRefusal('NONEXISTENT', `There is no script named ${name}`);
    return script;
  }

  /** RFC 5804 §2.5: would a script of `size` octets named `name` fit? */
  async haveSpace(name: string, size: number): Promise<void> {
    this.checkName(name);
    if (size > this.quota.max_script_size) throw new ScriptRefusal('QUOTA/MAXSIZE', `Scripts are limited to ${this.quota.max_script_size} octets`);
    const scripts = await this.list();
    if (!scripts.some((s) => s.name === name) && scripts.length >= this.quota.max_scripts) {
      throw new ScriptRefusal('QUOTA/MAXSCRIPTS', `You already have the maximum of ${this.quota.max_scripts} scripts`);
    }
  }

  /** RFC 5804 §2.6: checked for quota and compiled before it is stored; an active script stays active. */
  async put(name: string, content: string): Promise<SieveScriptRecord> {
    await this.haveSpace(name, Buffer.byteLength(content, 'utf8'));
    const problem = checkScript(content);
    if (problem !== null) throw new ScriptRefusal(null, problem);
    return this.store.putSieveScript(this.userId, name, content);
  }

  /** RFC 5804 §2.8: "" deactivates. */
  async activate(name: string): Promise<void> {
    if (name !== '' && !validScriptName(name)) throw new ScriptRefusal('NONEXISTENT', `There is no script named ${name}`);
    if (!(await this.store.setActiveSieveScript(this.userId, name === '' ? null : name))) {
      throw new ScriptRefusal('NONEXISTENT', `There is no script named ${name}`);
    }
  }

  async delete(name: string): Promise<void> {
    const result = await this.store.deleteSieveScript(this.userId, name);
    if (result === 'active') throw new ScriptRefusal('ACTIVE', 'The active script cannot be deleted; deactivate it first');
    if (result === 'not-found') throw new ScriptRefusal('NONEXISTENT', `There is no script named ${name}`);
  }

  async rename(from: string, to: string): Promise<void> {
    this.checkName(to);
    try {
      if (!(await this.store.renameSieveScript(this.userId, from, to))) throw new ScriptRefusal('NONEXISTENT', `There is no script named ${from}`);
    } catch (error) {
      if (error instanceof StoreConflictError) throw new ScriptRefusal('ALREADYEXISTS', `A script named ${to} already exists`);
      throw error;
    }
  }

  private checkName(name: string): void {
    if (!validScriptName(name)) throw new ScriptRefusal(null, 'Invalid script name: it must not be empty or hold control characters');
  }
}
