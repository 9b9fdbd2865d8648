import { splitRecipientDelimiter } from '@postern/address';
import { addressKey, domainOf, type Store, type User } from '@postern/store';
import { DirectoryError } from './errors.js';
import type { SenderRewriting } from './sender-rewriting.js';

// Postfix's virtual_alias_recursion_limit and virtual_alias_expansion_limit.
const MAX_DEPTH = 100;
const MAX_EXPANSION = 1000;

export interface LocalDelivery {
  user: User;
  /** The `+tag` of the address that reached this user, for folder filing. */
  tag: string | null;
}

/** Where mail for one recipient goes after virtual alias expansion. */
export interface RecipientResolution {
  /** Local mailboxes, one per user. */
  local: LocalDelivery[];
  /** Addresses outside the local domains the message is forwarded to. */
  remote: string[];
  /** Local addresses that led nowhere (no user, no alias, no catch-all). */
  unknown: string[];
  /** Users it reached whose account is disabled (`postern user disable`): they get nothing. */
  disabled: LocalDelivery[];
  /** Why an SRS address of ours was refused (forged, expired, malformed); null otherwise. */
  srsRefused: string | null;
}

export interface ResolveOptions {
  /** recipient_delimiter characters, e.g. "+". */
  recipientDelimiter: string;
  /** Alias definitions to consult before the store's (for checking a change before it is made). */
  overlay?: ReadonlyMap<string, readonly string[]>;
  /** SRS: our SRS addresses lead back to the original sender (null or unset: SRS is off). */
  srs?: SenderRewriting | null;
}

export class AliasLoopError extends DirectoryError {
  constructor(readonly chain: string[]) {
    super(`alias loop: ${chain.join(' → ')}`);
    this.name = 'AliasLoopError';
  }
}

/**
 * Expands one recipient the way virtual_alias_maps do, in this order:
 * the exact alias, the user, the alias and user without `+tag`, then the
 * domain's catch-all. Users win over the catch-all (unlike Postfix's
 * classic gotcha). An alias listing itself delivers to that address as well.
 */
export async function resolveRecipient(store: Store, recipient: string, options: ResolveOptions): Promise<RecipientResolution> {
  const result: RecipientResolution = { local: [], remote: [], unknown: [], disabled: [], srsRefused: null };
  const seenUsers = new Set<string>();
  const localDomains = new Map<string, boolean>();
  let expansions = 0;

  const isLocalDomain = async (domain: string): Promise<boolean> => {
    let known = localDomains.get(domain);
    if (known === undefined) {
      known = (await store.getDomain(domain)) !== null;
      localDomains.set(domain, known);
    }
    return known;
  };

  const aliasTargets = async (address: string): Promise<readonly string[] | null> => {
    const overlaid = options.overlay?.get(address);
    if (overlaid) return overlaid;
    return (await store.getAlias(address))?.targets ?? null;
  };

  const deliver = (user: User, tag: string | null): void => {
    if (seenUsers.has(user.id)) return;
    seenUsers.add(user.id);
    (user.disabled ? result.disabled : result.local).push({ user, tag });
  };

  const findUser = async (address: string, base: string | null, tag: string | null): Promise<boolean> => {
    const user = (await store.getUser(address)) ?? (base ? await store.getUser(base) : null);
    if (user) deliver(user, user.address === address ? null : tag);
    return user !== null;
  };

  const expand = async (address: string, chain: string[]): Promise<void> => {
    if (chain.length > MAX_DEPTH || ++expansions > MAX_EXPANSION) {
      throw new DirectoryError(`alias expansion of ${chain[0] ?? address} exceeds ${MAX_EXPANSION} addresses or ${MAX_DEPTH} levels`);
    }
    const domain = domainOf(address);
    if (!(await isLocalDomain(domain))) {
      if (!result.remote.includes(address)) result.remote.push(address);
      return;
    }
    const at = address.lastIndexOf('@');
    const { base: baseLocal, tag } = splitRecipientDelimiter(address.slice(0, at), options.recipientDelimiter);
    const base = tag === null ? null : `${baseLocal}@${domain}`;

    const follow = async (targets: readonly string[]): Promise<void> => {
      for (const target of targets) {
        const key = addressKey(target);
        if (key === address) {
          // "alias → itself, others": keep a copy in the address's own mailbox.
          if (!(await findUser(address, base, tag))) result.unknown.push(address);
        } else if (chain.includes(key)) {
          throw new AliasLoopError([...chain, address, key]);
        } else {
          await expand(key, [...chain, address]);
        }
      }
    };

    const exact = (await aliasTargets(address)) ?? (base ? await aliasTargets(base) : null);
    if (exact) return follow(exact);
    if (await findUser(address, base, tag)) return;
    const catchAll = await aliasTargets(`@${domain}`);
    if (catchAll) return follow(catchAll);
    result.unknown.push(address);
  };

  // An SRS address of ours (a bounce to a forward we made) is the original sender's: Postfix+postsrsd's
  // recipient_canonical_maps, before the virtual alias expansion.
  const reversal = options.srs ? await options.srs.reverse(recipient) : { kind: 'none' as const };
  if (reversal.kind === 'refused') {
    result.srsRefused = reversal.reason;
    return result;
  }
  if (reversal.kind === 'reversed' && !(await isLocalDomain(domainOf(reversal.address)))) {
    result.remote.push(reversal.address);
    return result;
  }
  await expand(addressKey(reversal.kind === 'reversed' ? reversal.address : recipient), []);
  return result;
}
