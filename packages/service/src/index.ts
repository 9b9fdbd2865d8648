export { describeAddress, listenOn, removeStaleSocket } from './listen.js';
export { ConnectionLimiter } from './connection-limit.js';
export { InFlight } from './in-flight.js';
export { loadTls, secureContextOptions, type TlsMaterial } from './tls.js';
export { loginGuardFor } from './login-guard.js';
export { PromptSMTPServer } from './smtp-server.js';
export { currentSession, inSession, type SessionScope } from './session-scope.js';
export { installCrashPolicy } from './crash-policy.js';
