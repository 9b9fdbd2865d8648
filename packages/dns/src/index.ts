export { DnsError } from './types.js';
export type { DnsErrorKind, MxRecord, Resolver, ResolverOptions, SrvRecord } from './types.js';
export { createResolver } from './resolver.js';
export type { CachingResolver, CreateResolverOptions } from './resolver.js';
export { DnsCache, DEFAULT_CACHE_OPTIONS } from './cache.js';
export type { DnsCacheOptions } from './cache.js';
export type { MailauthResolver, NodeDnsError } from './mailauth.js';
export { reverseName, reversedLabels } from './reverse.js';
