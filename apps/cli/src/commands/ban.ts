import type { Command } from 'commander';
import { parseDuration } from '@postern/config';
import { banClient, liftClientBan, listClientBans } from '@postern/directory';
import { withStore, type GlobalOptions } from '../context.js';
import { UsageFailure } from '../errors.js';
import { printJson, printTable } from '../output.js';

/** The ban's length from --time, else limits.ban_seconds (what a ban after repeated failures lasts). */
function banLength(text: string | undefined, defaultSeconds: number): number {
  if (text === undefined) return defaultSeconds * 1000;
  try {
    const ms = parseDuration(text);
    if (ms > 0) return ms;
  } catch (error) {
    throw new UsageFailure(`--time: ${(error as Error).message}`);
  }
  throw new UsageFailure('--time: a ban must last longer than 0s');
}

export function registerBan(program: Command): void {
  const ban = program
    .command('ban')
    .description('client addresses banned from logging in (SMTP AUTH, IMAP, POP3, ManageSieve) after repeated failures: what fail2ban-client shows and unbans');

  ban
    .command('list')
    .option('--json', 'print JSON')
    .description('list the bans in force, the soonest ending first')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const now = new Date();
        const bans = await listClientBans(store, now);
        if (opts.json) return printJson(bans.map((b) => ({ ip: b.ip, until: b.until.toISOString() })));
        printTable(['ADDRESS', 'UNTIL', 'SECONDS LEFT'], bans.map((b) => [b.ip, b.until.toISOString(), Math.ceil((b.until.getTime() - now.getTime()) / 1000)]));
      });
    });

  ban
    .command('add')
    .argument('<ip>', 'client IP address')
    .option('--time <duration>', 'how long: 600s, 10m, 4h, 5d, 1w (default: limits.ban_seconds)')
    .description('ban IP from logging in, as repeated failures would')
    .action(async (ip: string, opts: { time?: string }, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store, config) => {
        const until = new Date(Date.now() + banLength(opts.time, config.limits.ban_seconds));
        const banned = await banClient(store, ip, until);
        process.stdout.write(`${banned.ip} banned until ${banned.until.toISOString()}\n`);
      });
    });

  ban
    .command('del')
    .argument('<ip>', 'client IP address')
    .description("lift IP's ban and forget its failed logins (running services stop refusing its connections within a minute)")
    .action(async (ip: string, _opts, cmd: Command) => {
      await withStore(cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const lifted = await liftClientBan(store, ip);
        process.stdout.write(lifted ? `${ip} may log in again\n` : `${ip} was not banned\n`);
      });
    });
}
