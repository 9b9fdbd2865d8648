// The administrator's side of the login bans (`postern ban`): the same store keys the LoginGuard writes.
import { isIP } from 'node:net';
import { plainClientIp } from '@postern/config';
import type { Store } from '@postern/store';
import { DirectoryError } from './errors.js';
import { ipKey } from './login-guard.js';

export interface ClientBan {
  ip: string;
  until: Date;
}

const IP_KEY_PREFIX = ipKey('');

function clientAddress(text: string): string {
  const ip = plainClientIp(text.trim());
  if (isIP(ip) === 0) throw new DirectoryError(`${JSON.stringify(text)} is not an IP address`);
  return ip;
}

/** Every client address banned at `now`, the ban ending soonest first. */
export async function listClientBans(store: Store, now = new Date()): Promise<ClientBan[]> {
  const bans = await store.listAuthBans(now);
  return bans.filter((ban) => ban.key.startsWith(IP_KEY_PREFIX)).map((ban) => ({ ip: ban.key.slice(IP_KEY_PREFIX.length), until: ban.bannedUntil }));
}

/** Bans the address from logging in until `until` (a longer ban already in force stays). */
export async function banClient(store: Store, text: string, until: Date): Promise<ClientBan> {
  const ip = clientAddress(text);
  await store.banAuth(ipKey(ip), until);
  const state = await store.getAuthThrottle(ipKey(ip), new Date(), 0);
  return { ip, until: state.bannedUntil ?? until };
}

/** Lifts the address's ban and forgets its failures; false when it was not banned. */
export async function liftClientBan(store: Store, text: string, now = new Date()): Promise<boolean> {
  const ip = clientAddress(text);
  const banned = (await store.getAuthThrottle(ipKey(ip), now, 0)).bannedUntil !== null;
  await store.liftAuthBan(ipKey(ip));
  return banned;
}
