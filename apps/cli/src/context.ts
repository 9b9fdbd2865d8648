import { loadConfig, resolveConfigPath, storeOptions, type PosternConfig } from '@postern/config';
import { openStore, type Store } from '@postern/store';

export interface GlobalOptions {
  config?: string;
}

export function configPath(options: GlobalOptions): string {
  return resolveConfigPath(options.config);
}

export function readConfig(options: GlobalOptions): { path: string; config: PosternConfig } {
  const path = configPath(options);
  return { path, config: loadConfig(path) };
}

/** Runs `fn` with the configured store open, and always closes it. */
export async function withStore<T>(options: GlobalOptions, fn: (store: Store, config: PosternConfig) => Promise<T>): Promise<T> {
  const { config } = readConfig(options);
  const store = await openStore(storeOptions(config));
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}
