import type { SqliteDb } from './db.js';

/*
 * The schema, one migration per PRAGMA user_version step. Dates are integer
 * milliseconds, booleans 0/1, lists and objects JSON text. Every query the
 * backend runs has an index (or the primary key) behind it.
 */
const MIGRATIONS: readonly string[] = [
  /* 1: the first schema */ `
  CREATE TABLE domains (
    name        TEXT PRIMARY KEY,
    created_at  INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    address       TEXT NOT NULL UNIQUE,
    domain        TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    name          TEXT,
    quota         INTEGER NOT NULL DEFAULT 0,
    storage_used  INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
  );
  CREATE INDEX users_by_domain ON users (domain, address);

  CREATE TABLE aliases (
    address     TEXT PRIMARY KEY,
    domain      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX aliases_by_domain ON aliases (domain, address);

  -- position keeps targets in the order they were added
  CREATE TABLE alias_targets (
    address   TEXT NOT NULL REFERENCES aliases (address) ON DELETE CASCADE,
    target    TEXT NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (address, target)
  ) WITHOUT ROWID;
  CREATE INDEX alias_targets_by_target ON alias_targets (target, address);

  CREATE TABLE sender_logins (
    address     TEXT NOT NULL,
    login       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (address, login)
  ) WITHOUT ROWID;
  CREATE INDEX sender_logins_by_login ON sender_logins (login, address);

  CREATE TABLE mailboxes (
    id              TEXT PRIMARY KEY,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    path            TEXT NOT NULL,
    special_use     TEXT,
    subscribed      INTEGER NOT NULL DEFAULT 0,
    uid_validity    INTEGER NOT NULL,
    uid_next        INTEGER NOT NULL,
    highest_modseq  INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (user_id, path)
  );

  -- seen mirrors the \\Seen flag so that unseen counts use an index
  CREATE TABLE messages (
    id             TEXT PRIMARY KEY,
    mailbox_id     TEXT NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL,
    uid            INTEGER NOT NULL,
    modseq         INTEGER NOT NULL,
    flags          TEXT NOT NULL,
    seen           INTEGER NOT NULL,
    internal_date  INTEGER NOT NULL,
    size           INTEGER NOT NULL,
    headers        TEXT NOT NULL,
    parts          TEXT NOT NULL,
    meta           TEXT,
    UNIQUE (mailbox_id, uid)
  );
  CREATE INDEX messages_by_modseq ON messages (mailbox_id, modseq);
  CREATE INDEX messages_by_seen ON messages (mailbox_id, seen);

  CREATE TABLE journal (
    mailbox_id  TEXT NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    modseq      INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    uid         INTEGER NOT NULL,
    message_id  TEXT NOT NULL,
    flags       TEXT,
    PRIMARY KEY (mailbox_id, modseq)
  ) WITHOUT ROWID;

  CREATE TABLE blobs (
    hash  TEXT PRIMARY KEY,
    data  BLOB NOT NULL,
    size  INTEGER NOT NULL,
    refs  INTEGER NOT NULL
  );

  CREATE TABLE queue (
    id               TEXT PRIMARY KEY,
    sender           TEXT NOT NULL,
    recipients       TEXT NOT NULL,
    parts            TEXT NOT NULL,
    size             INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    held             INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until      INTEGER,
    meta             TEXT
  );
  CREATE INDEX queue_by_due ON queue (held, next_attempt_at);
  CREATE INDEX queue_by_created ON queue (created_at, id);

  CREATE TABLE dkim_keys (
    domain       TEXT NOT NULL,
    selector     TEXT NOT NULL,
    algorithm    TEXT NOT NULL,
    private_key  TEXT NOT NULL,
    public_key   TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 1,
    created_at   INTEGER NOT NULL,
    retire_at    INTEGER,
    UNIQUE (domain, selector)
  );
  CREATE INDEX dkim_keys_by_created ON dkim_keys (domain, created_at);
  `,
  /* 2: the \Recent mark (RFC 3501 §2.3.2) */ `
  ALTER TABLE mailboxes ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 0;
  `,
  /* 3: journal retention: when each entry was written (older entries count from the upgrade) */ `
  ALTER TABLE journal ADD COLUMN written_at INTEGER NOT NULL DEFAULT 0;
  UPDATE journal SET written_at = CAST(strftime('%s', 'now') AS INTEGER) * 1000;
  CREATE INDEX journal_by_age ON journal (mailbox_id, written_at);
  `,
  /* 4: login throttling shared by every process: failures per key in a window, and bans */ `
  CREATE TABLE auth_throttle (
    key           TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    window_start  INTEGER NOT NULL,
    banned_until  INTEGER NOT NULL
  );
  CREATE INDEX auth_throttle_by_age ON auth_throttle (window_start);
  `,
  /* 5: the delivery identity (queue id) of a message delivered over LMTP: one copy per mailbox */ `
  ALTER TABLE messages ADD COLUMN delivery_id TEXT;
  CREATE UNIQUE INDEX messages_by_delivery ON messages (mailbox_id, delivery_id) WHERE delivery_id IS NOT NULL;
  `,
  /* 6: the MTA-STS policy cache (RFC 8461 §5.1) and TLS-RPT session counts per day (RFC 8460 §4) */ `
  CREATE TABLE mta_sts_policies (
    domain      TEXT PRIMARY KEY,
    policy_id   TEXT NOT NULL,
    policy      TEXT NOT NULL,
    fetched_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
  );
  CREATE TABLE tls_results (
    day            TEXT NOT NULL,
    policy_domain  TEXT NOT NULL,
    policy_type    TEXT NOT NULL,
    policy_string  TEXT NOT NULL,
    mx_host        TEXT NOT NULL,
    result_type    TEXT NOT NULL,
    sending_ip     TEXT NOT NULL,
    receiving_ip   TEXT NOT NULL,
    count          INTEGER NOT NULL,
    PRIMARY KEY (day, policy_domain, policy_type, policy_string, mx_host, result_type, sending_ip, receiving_ip)
  );
  `,
  /* 7: Sieve scripts per user (RFC 5804; at most one active, §2.8) and the vacation memory (RFC 5230 §4.2) */ `
  CREATE TABLE sieve_scripts (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    content     TEXT NOT NULL,
    size        INTEGER NOT NULL,
    active      INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, name)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX sieve_scripts_one_active ON sieve_scripts (user_id) WHERE active = 1;

  CREATE TABLE vacation_replies (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    handle      TEXT NOT NULL,
    sender      TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, handle, sender)
  ) WITHOUT ROWID;
  CREATE INDEX vacation_replies_by_expiry ON vacation_replies (user_id, expires_at);
  `,
  /* 8: a rotated DKIM key waits, pending, until its record is published (or this time at the latest) */ `
  ALTER TABLE dkim_keys ADD COLUMN activate_at INTEGER;
  `,
  /* 9: DMARC evaluations of received mail counted per day for aggregate reports (RFC 7489 §7.2); results is the JSON of the rest of a report record */ `
  CREATE TABLE dmarc_results (
    day            TEXT NOT NULL,
    policy_domain  TEXT NOT NULL,
    header_from    TEXT NOT NULL,
    source_ip      TEXT NOT NULL,
    results        TEXT NOT NULL,
    published      TEXT NOT NULL,
    count          INTEGER NOT NULL,
    PRIMARY KEY (day, policy_domain, header_from, source_ip, results)
  );
  `,
  /* 10: the bans in force, for `postern ban list` */ `
  CREATE INDEX auth_throttle_by_ban ON auth_throttle (banned_until);
  `,
  /* 11: flag searches and STATUS sums from indexes: deleted mirrors \Deleted (flags are stored canonical);
     UID SEARCH UNSEEN/DELETED read UIDs off an index in UID order, and STATUS SIZE/DELETED sum one without the rows */ `
  ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
  UPDATE messages SET deleted = 1 WHERE EXISTS (SELECT 1 FROM json_each(messages.flags) WHERE value = '\\Deleted');
  DROP INDEX messages_by_seen;
  CREATE INDEX messages_by_seen ON messages (mailbox_id, seen, uid);
  CREATE INDEX messages_by_deleted ON messages (mailbox_id, deleted, uid, size);
  `,
  /* 12: RFC 7162 §3.1.1: HIGHESTMODSEQ is positive, a never-changed mailbox starts at 1 (NEW_MAILBOX_MODSEQ; its
     first change gets 2). A mailbox with changes keeps its value: every MODSEQ given out stays valid. */ `
  UPDATE mailboxes SET highest_modseq = 1 WHERE highest_modseq = 0;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the file up to SCHEMA_VERSION (tests: to `target`, a file as an older
 * Postern left it). Runs under BEGIN IMMEDIATE so that two processes opening a
 * new file together create the schema exactly once.
 */
export function migrate(db: SqliteDb, target = SCHEMA_VERSION): void {
  db.write(() => {
    const current = db.raw.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `store: ${db.raw.name} has schema version ${current}, newer than this Postern (${SCHEMA_VERSION}); upgrade Postern`,
      );
    }
    for (let version = current; version < target; version++) {
      db.raw.exec(MIGRATIONS[version] as string);
    }
    if (current < target) db.raw.pragma(`user_version = ${target}`);
  });
}
