export { DirectoryError } from './errors.js';
export { addDomain, deleteDomain, requireLocalDomain } from './domains.js';
export { addUser, deleteUser, requireUser, setPasswordHash, type NewUserInput } from './users.js';
export { addAlias, removeAlias } from './aliases.js';
export { allowSender, denySender, senderOwners } from './senders.js';
export { DEFAULT_MAILBOXES, ensureDefaultMailboxes } from './mailboxes.js';
export { AliasLoopError, resolveRecipient, type LocalDelivery, type RecipientResolution, type ResolveOptions } from './recipients.js';
export { authenticateLogin, type LoginOptions } from './login.js';
export { LoginGuard, type LoginGuardOptions, type LoginLogger, type LoginResult } from './login-guard.js';
