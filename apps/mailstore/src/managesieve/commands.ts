// The ManageSieve commands (RFC 5804 §2), each with the state it runs in.
import { decodePlainResponse } from '@postern/service';
import { checkScript, ScriptRefusal } from '../sieve/scripts.js';
import type { SieveArg } from './parser.js';
import { response, sieveString } from './responses.js';
import type { ManageSieveSession } from './session.js';

export interface Command {
  state: 'any' | 'non-authenticated' | 'authenticated';
  run(session: ManageSieveSession, args: SieveArg[]): Promise<void>;
}

/** The arguments as the command's grammar wants them (string or number), or null. */
function shape(args: SieveArg[], kinds: readonly ('string' | 'number')[], optional = 0): (string | number)[] | null {
  if (args.length > kinds.length || args.length < kinds.length - optional) return null;
  const values: (string | number)[] = [];
  for (const [i, arg] of args.entries()) {
    if (arg.kind !== kinds[i]) return null;
    values.push(arg.value);
  }
  return values;
}

function usage(session: ManageSieveSession, syntax: string): Promise<void> {
  return session.badCommand(`Syntax: ${syntax}`);
}

/** Runs a script change; a refusal becomes NO with its RFC 5804 §1.3 code. */
async function refusable(session: ManageSieveSession, change: () => Promise<void>, done: string): Promise<void> {
  try {
    await change();
  } catch (error) {
    if (!(error instanceof ScriptRefusal)) throw error;
    await session.no(error.message, error.code ?? undefined);
    return;
  }
  await session.ok(done);
}

const authenticate: Command = {
  state: 'non-authenticated',
  async run(session, args) {
    // RFC 5804 §2.1: AUTHENTICATE <mechanism> [<initial response>]; the mechanism is a string.
    const values = args.length >= 1 && args.length <= 2 && args.every((a) => a.kind !== 'number') ? args.map((a) => String(a.value)) : null;
    if (!values) return usage(session, 'AUTHENTICATE "PLAIN" ["<base64>"]');
    const [mechanism, initial] = values as [string, string | undefined];
    if (mechanism.toUpperCase() !== 'PLAIN') return session.badCommand(`Unsupported SASL mechanism ${sieveString(mechanism.slice(0, 32))}`);
    if (!session.loginAllowed) return session.badCommand('Authentication needs TLS: use STARTTLS first', 'ENCRYPT-NEEDED');
    const finish = async (answer: string): Promise<void> => {
      const credentials = decodePlainResponse(answer);
      if (!credentials) return session.badCommand('Malformed PLAIN response (RFC 4616)');
      await session.authenticate({ mechanism: 'PLAIN', ...credentials });
    };
    if (initial !== undefined) return finish(initial);
    // RFC 5804 §2.1: an empty challenge; the client answers with a string, or "*" to cancel.
    session.expectContinuation(async (event) => {
      const arg = event.kind === 'line' && event.args.length === 1 ? event.args[0] : undefined;
      if (arg?.kind !== 'string') return session.badCommand('Expected the SASL response as a string');
      if (arg.value === '*') return session.no('Authentication cancelled');
      await finish(arg.value);
    });
    await session.send(`${sieveString('')}\r\n`);
  },
};

const starttls: Command = {
  state: 'non-authenticated',
  async run(session, args) {
    if (args.length > 0) return usage(session, 'STARTTLS');
    if (!session.transport.canStartTls) return session.badCommand(session.transport.secure ? 'TLS is already active' : 'TLS is not available');
    await session.startTls();
  },
};

const logout: Command = {
  state: 'any',
  async run(session) {
    // RFC 5804 §2.3: OK, then the server closes the connection.
    await session.ok('Logout completed');
    session.close();
  },
};

const capability: Command = {
  state: 'any',
  async run(session, args) {
    if (args.length > 0) return usage(session, 'CAPABILITY');
    await session.send(session.capabilities() + response('OK', 'Capability completed'));
  },
};

const noop: Command = {
  state: 'any',
  async run(session, args) {
    // RFC 5804 §2.13: NOOP [tag]; the tag comes back in a TAG response code.
    const values = shape(args, ['string'], 1);
    if (!values) return usage(session, 'NOOP ["tag"]');
    const [tag] = values as [string | undefined];
    await session.ok('Done', tag === undefined ? undefined : { tag });
  },
};

const unauthenticate: Command = {
  state: 'authenticated',
  async run(session, args) {
    if (args.length > 0) return usage(session, 'UNAUTHENTICATE');
    session.unauthenticate();
    await session.ok('Unauthenticated');
  },
};

const havespace: Command = {
  state: 'authenticated',
  async run(session, args) {
    const values = shape(args, ['string', 'number']);
    if (!values) return usage(session, 'HAVESPACE "name" size');
    const [name, size] = values as [string, number];
    await refusable(session, () => session.scripts!.haveSpace(name, size), 'Putscript would succeed');
  },
};

const putscript: Command = {
  state: 'authenticated',
  async run(session, args) {
    const values = shape(args, ['string', 'string']);
    if (!values) return usage(session, 'PUTSCRIPT "name" {size+} script');
    const [name, content] = values as [string, string];
    await refusable(
      session,
      async () => {
        await session.scripts!.put(name, content);
        session.log.info({ event: 'sieve_put', user: session.user?.address, script: name, size: Buffer.byteLength(content) }, `managesieve ${session.user?.address} stored script ${name}`);
      },
      'Script stored',
    );
  },
};

const checkscript: Command = {
  state: 'authenticated',
  async run(session, args) {
    const values = shape(args, ['string']);
    if (!values) return usage(session, 'CHECKSCRIPT {size+} script');
    // RFC 5804 §2.12: compiled, never stored.
    const problem = checkScript(values[0] as string);
    if (problem !== null) return session.no(problem);
    await session.ok('Script is valid');
  },
};

const listscripts: Command = {
  state: 'authenticated',
  async run(session, args) {
    if (args.length > 0) return usage(session, 'LISTSCRIPTS');
    // RFC 5804 §2.7: one line per script, the active one marked ACTIVE.
    const lines = (await session.scripts!.list()).map((s) => `${sieveString(s.name)}${s.active ? ' ACTIVE' : ''}\r\n`).join('');
    await session.send(lines + response('OK', 'Listscripts completed'));
  },
};

const setactive: Command = {
  state: 'authenticated',
  async run(session, args) {
    const values = shape(args, ['string']);
    if (!values) return usage(session, 'SETACTIVE "name"');
    const name = values[0] as string;
    await refusable(session, () => session.scripts!.activate(name), name === '' ? 'No script is active' : 'Script activated');
  },
};

const getscript: Command = {
  state: 'authenticated',
  async run(session, args) {
    const values = shape(args, ['string']);
    if (!values) return usage(session, 'GETSCRIPT "name"');
    try {
      const script = await session.scripts!.get(values[0] as string);
      // RFC 5804 §2.9: the script as a literal, CRLF, then OK.
      await session.send(`{${Buffer.byteLength(script.content, 'utf8')}}\r\n${script.content}\r\n${response('OK', 'Getscript completed')}`);
    } catch (error) {
      if (!(error instanceof ScriptRefusal)) throw error;
      await session.no(error.message, error.code ?? undefined);
    }
  },
};

const deletescript: Command = {
  state: 'authenticated',
  async run(session, args) {
    const values = shape(args, ['string']);
    if (!values) return usage(session, 'DELETESCRIPT "name"');
    await refusable(session, () => session.scripts!.delete(values[0] as string), 'Script deleted');
  },
};

const renamescript: Command = {
  state: 'authenticated',
  async run(session, args) {
    const values = shape(args, ['string', 'string']);
    if (!values) return usage(session, 'RENAMESCRIPT "old" "new"');
    const [from, to] = values as [string, string];
    await refusable(session, () => session.scripts!.rename(from, to), 'Script renamed');
  },
};

export const COMMANDS: ReadonlyMap<string, Command> = new Map([
  ['AUTHENTICATE', authenticate],
  ['STARTTLS', starttls],
  ['LOGOUT', logout],
  ['CAPABILITY', capability],
  ['NOOP', noop],
  ['UNAUTHENTICATE', unauthenticate],
  ['HAVESPACE', havespace],
  ['PUTSCRIPT', putscript],
  ['CHECKSCRIPT', checkscript],
  ['LISTSCRIPTS', listscripts],
  ['SETACTIVE', setactive],
  ['GETSCRIPT', getscript],
  ['DELETESCRIPT', deletescript],
  ['RENAMESCRIPT', renamescript],
]);
