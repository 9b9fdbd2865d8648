// A running LMTP service over a real store for the LMTP unit tests.
import type { ListenAddress, PosternConfig } from '@postern/config';
import type { Store } from '@postern/store';
import { startLmtp } from '../src/lmtp/index.js';
import { runService, testConfig, type RunningService } from './fixture.js';
import type { Target } from './lmtp-client.js';

/** Small limits, so that the size and recipient limits are quick to reach. */
export function lmtpConfig(smtpd: Record<string, unknown> = {}): PosternConfig {
  return testConfig({ smtpd: { message_size_limit: '64K', recipient_limit: 5, ...smtpd } });
}

export interface RunningLmtp extends RunningService {
  target: Target;
}

/** startLmtp on a free loopback port (or the given address) over `store`. */
export async function runLmtp(store: Store, config = lmtpConfig(), address?: ListenAddress): Promise<RunningLmtp> {
  const running = await runService(startLmtp, store, config, address ? { address } : {});
  const bound = running.address;
  return { ...running, target: bound.kind === 'unix' ? { path: bound.path } : { host: bound.host, port: bound.port } };
}
