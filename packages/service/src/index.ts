export { describeAddress, listenOn, removeStaleSocket } from './listen.js';
export { ConnectionLimiter } from './connection-limit.js';
export { SessionLimits, SessionSlots, limitText, type LimitRefusal } from './session-limits.js';
export { InFlight } from './in-flight.js';
export { CertificateError, loadCertificate, type CertificateFiles, type LoadedCertificate, type TlsMinVersion } from './tls.js';
export { TlsProvider, type ReloadOutcome, type TlsProviderOptions, type TlsServerOptions } from './tls-provider.js';
export { loginGuardFor } from './login-guard.js';
export { PromptSMTPServer } from './smtp-server.js';
export { SASL_TEXT, authzidAllowed, decodePlainResponse, saslLogin, type PlainCredentials, type SaslAttempt, type SaslOutcome } from './sasl-plain.js';
