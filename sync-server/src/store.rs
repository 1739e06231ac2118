//! The relay's embedded database: one SQLite file in the data folder (`rapport.sqlite3`).
//!
//! Every write is a transaction committed with `synchronous = FULL` in WAL mode, so what a handler
//! reports as done survives `kill -9` and power loss. The schema carries a version (`PRAGMA
//! user_version`) and is migrated forward on open. Calls are blocking: handlers run them on Tokio's
//! blocking pool ([`Store::run`]). The methods are shaped as plain operations (create, find, delete) so a
//! PostgreSQL implementation can follow.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OptionalExtension, params};

pub mod articles;
pub mod ballots;
pub mod files;
pub mod inbound;
pub mod letters;
pub mod once;
pub mod outbox;
pub mod private;
pub mod push;
pub mod ratings;
pub mod updates;

/// The file name of the database inside the data folder.
pub const DATABASE_FILE: &str = "rapport.sqlite3";

/// The triggers that keep `outbox_waiting` (schema 10): created with it, and again whenever the
/// outbox table is rebuilt (dropping a table drops its triggers).
macro_rules! outbox_waiting_triggers {
    () => {
        "
    CREATE TRIGGER outbox_waits_on_insert AFTER INSERT ON outbox
        WHEN NEW.state IN ('queued', 'sending')
    BEGIN
        INSERT INTO outbox_waiting (workspace_id, kind, waiting) VALUES (NEW.workspace_id, NEW.kind, 1)
            ON CONFLICT (workspace_id, kind) DO UPDATE SET waiting = waiting + 1;
    END;
    CREATE TRIGGER outbox_stops_waiting AFTER UPDATE OF state, kind ON outbox
        WHEN OLD.state IN ('queued', 'sending')
    BEGIN
        UPDATE outbox_waiting SET waiting = waiting - 1
            WHERE workspace_id = OLD.workspace_id AND kind = OLD.kind;
    END;
    CREATE TRIGGER outbox_waits_again AFTER UPDATE OF state, kind ON outbox
        WHEN NEW.state IN ('queued', 'sending')
    BEGIN
        INSERT INTO outbox_waiting (workspace_id, kind, waiting) VALUES (NEW.workspace_id, NEW.kind, 1)
            ON CONFLICT (workspace_id, kind) DO UPDATE SET waiting = waiting + 1;
    END;
    CREATE TRIGGER outbox_waits_no_more AFTER DELETE ON outbox
        WHEN OLD.state IN ('queued', 'sending')
    BEGIN
        UPDATE outbox_waiting SET waiting = waiting - 1
            WHERE workspace_id = OLD.workspace_id AND kind = OLD.kind;
    END;"
    };
}

/// Schema migrations, in order; `user_version` counts how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: accounts and their sign-in sessions.
    "CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL
    );
    CREATE INDEX sessions_by_account ON sessions(account_id);",
    // 2: workspaces, who may use them, invitations, and single-use tickets for the sync socket.
    "CREATE TABLE workspaces (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE memberships (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
        PRIMARY KEY (workspace_id, account_id)
    );
    CREATE INDEX memberships_by_account ON memberships(account_id);
    CREATE TABLE invites (
        code_hash TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE tickets (
        ticket_hash TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        expires_at INTEGER NOT NULL
    );",
    // 3: Automerge documents, each in exactly one workspace, stored as appended chunks.
    "CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE
    );
    CREATE INDEX documents_by_workspace ON documents(workspace_id);
    CREATE TABLE chunks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        bytes BLOB NOT NULL
    );
    CREATE INDEX chunks_by_document ON chunks(document_id, seq);",
    // 4: facts about this relay: its storage id (automerge-repo peers subscribe to a storage's heads by
    // it), random and fixed when the database is created.
    "CREATE TABLE relay (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT INTO relay (key, value) VALUES ('storage_id', lower(hex(randomblob(16))));",
    // 5: every workspace has a namespace of its own: a document is keyed by (workspace, document), so a
    // member of one workspace cannot claim the ids another workspace will use (ids derive from the
    // workspace id, so they are guessable). Invitations carry how many uses are left, who made them and
    // who used them (one account, one use: a removed member cannot rejoin with the code they used).
    "ALTER TABLE chunks RENAME TO chunks_v4;
    ALTER TABLE documents RENAME TO documents_v4;
    CREATE TABLE documents (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id)
    );
    CREATE TABLE chunks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id TEXT NOT NULL,
        document_id TEXT NOT NULL,
        bytes BLOB NOT NULL,
        FOREIGN KEY (workspace_id, document_id) REFERENCES documents(workspace_id, id) ON DELETE CASCADE
    );
    INSERT INTO documents (workspace_id, id) SELECT workspace_id, id FROM documents_v4;
    INSERT INTO chunks (seq, workspace_id, document_id, bytes)
        SELECT c.seq, d.workspace_id, c.document_id, c.bytes
        FROM chunks_v4 c JOIN documents_v4 d ON d.id = c.document_id;
    DROP TABLE chunks_v4;
    DROP TABLE documents_v4;
    CREATE INDEX chunks_by_document ON chunks(workspace_id, document_id, seq);
    ALTER TABLE invites ADD COLUMN uses_left INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE invites ADD COLUMN created_by INTEGER;
    ALTER TABLE invites ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE invite_uses (
        code_hash TEXT NOT NULL REFERENCES invites(code_hash) ON DELETE CASCADE,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        PRIMARY KEY (code_hash, account_id)
    );
    CREATE INDEX tickets_by_account ON tickets(account_id);",
    // 6: codes made before invitations knew their maker (schema 4) could not die with that maker's
    // membership, so a removed admin could still hand them out: they go (they lived 7 days at most).
    "DELETE FROM invites WHERE created_by IS NULL;",
    // 7: the services' ledger. `outbox` holds each piece of work a device queued, once per (workspace,
    // id) — ids derive from the cause, so devices repeating a trigger or retrying name the same row —
    // with its state; `version` grows with every change so devices fetch what changed. Consent is an
    // append-only log of opt-ins and opt-outs per address; the latest event of an address decides.
    // `link_secret` signs unsubscribe links.
    "CREATE TABLE outbox (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        queued_by INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
        queued_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'suppressed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        reason TEXT,
        message_id TEXT,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, id)
    );
    CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state IN ('queued', 'sending');
    CREATE INDEX outbox_versions ON outbox(workspace_id, version);
    CREATE TABLE consent_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        address TEXT NOT NULL,
        opted_in INTEGER NOT NULL CHECK (opted_in IN (0, 1)),
        source TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE INDEX consent_by_address ON consent_events(workspace_id, address, seq);
    INSERT INTO relay (key, value) VALUES ('link_secret', lower(hex(randomblob(32))));",
    // 8: attachments each workspace holds (their bytes on disk, named by SHA-256), for its quota.
    "CREATE TABLE files (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        content_type TEXT NOT NULL,
        uploaded_by INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
        uploaded_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, hash)
    );",
    // 9: scheduled jobs and Web Push. An outbox entry may wait for a due time (`due_at`) and be
    // cancelled; `digest` fingerprints the request so devices see which version the relay holds. Push
    // subscriptions belong to an account's session (one per device and browser: signing out, or out
    // everywhere, ends its pushes with the session); `push_deliveries` records each
    // device a job reached, so a retry or a restart never pushes to it twice.
    "CREATE TABLE outbox_v9 (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        queued_by INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
        queued_at INTEGER NOT NULL,
        state TEXT NOT NULL
            CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'suppressed', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        reason TEXT,
        message_id TEXT,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL,
        due_at INTEGER,
        digest TEXT,
        PRIMARY KEY (workspace_id, id)
    );
    INSERT INTO outbox_v9 (workspace_id, id, kind, payload, queued_by, queued_at, state, attempts,
        next_attempt_at, reason, message_id, updated_at, version)
        SELECT workspace_id, id, kind, payload, queued_by, queued_at, state, attempts,
            next_attempt_at, reason, message_id, updated_at, version FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v9 RENAME TO outbox;
    CREATE INDEX outbox_due ON outbox(kind, next_attempt_at) WHERE state IN ('queued', 'sending');
    CREATE INDEX outbox_versions ON outbox(workspace_id, version);
    CREATE TABLE push_subscriptions (
        endpoint TEXT PRIMARY KEY,
        account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        session_hash TEXT NOT NULL REFERENCES sessions(token_hash) ON DELETE CASCADE,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX push_by_account ON push_subscriptions(account_id);
    CREATE TABLE push_deliveries (
        workspace_id TEXT NOT NULL,
        id TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        PRIMARY KEY (workspace_id, id, endpoint),
        FOREIGN KEY (workspace_id, id) REFERENCES outbox(workspace_id, id) ON DELETE CASCADE
    );",
    // 10: how many entries of each kind a workspace has waiting (queued or being sent), kept by the
    // database itself on every change of state, so checking the workspace's limit when a job is
    // registered costs one lookup rather than a count of everything waiting (100,000 jobs registered
    // one by one made that quadratic).
    concat!(
    "CREATE TABLE outbox_waiting (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        waiting INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, kind)
    );
    INSERT INTO outbox_waiting (workspace_id, kind, waiting)
        SELECT workspace_id, kind, COUNT(*) FROM outbox
        WHERE state IN ('queued', 'sending') GROUP BY workspace_id, kind;
    ",
        outbox_waiting_triggers!()
    ),
    // 11: a device whose push service refused a job for good is recorded too (`reached = 0`), so a
    // retry for other devices does not push to it again; a finished job's records are dropped (it is
    // never taken again — a new version of it starts afresh), so the table holds jobs under way only.
    "ALTER TABLE push_deliveries ADD COLUMN reached INTEGER NOT NULL DEFAULT 1;
    DELETE FROM push_deliveries WHERE EXISTS (
        SELECT 1 FROM outbox o
        WHERE o.workspace_id = push_deliveries.workspace_id AND o.id = push_deliveries.id
          AND o.state NOT IN ('queued', 'sending'));",
    // 12: a mail can be `bounced` (a delivery status notification came back after the server took
    // it). SQLite cannot change a CHECK, so the table is rebuilt; dropping it would cascade to
    // `push_deliveries` and drop its triggers, so the deliveries are kept aside and the triggers made
    // again.
    concat!(
        "CREATE TABLE outbox_v12 (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        queued_by INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
        queued_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN
            ('queued', 'sending', 'sent', 'failed', 'suppressed', 'cancelled', 'bounced')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        reason TEXT,
        message_id TEXT,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL,
        due_at INTEGER,
        digest TEXT,
        PRIMARY KEY (workspace_id, id)
    );
    INSERT INTO outbox_v12 SELECT workspace_id, id, kind, payload, queued_by, queued_at, state,
        attempts, next_attempt_at, reason, message_id, updated_at, version, due_at, digest FROM outbox;
    CREATE TEMP TABLE deliveries_kept AS SELECT * FROM push_deliveries;
    DROP TABLE outbox;
    ALTER TABLE outbox_v12 RENAME TO outbox;
    INSERT INTO push_deliveries SELECT * FROM deliveries_kept;
    DROP TABLE deliveries_kept;
    CREATE INDEX outbox_due ON outbox(kind, next_attempt_at) WHERE state IN ('queued', 'sending');
    CREATE INDEX outbox_versions ON outbox(workspace_id, version);",
        outbox_waiting_triggers!()
    ),
    // 13: a stamp (a device asking the relay to note when it first heard of an event) is `recorded`
    // at once; the table is rebuilt as in 12 for the new CHECK. Stamps are never removed, so
    // `outbox_waiting` counts all of a workspace's stamps under kind `stamp`: their limit.
    concat!(
        "CREATE TABLE outbox_v13 (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        queued_by INTEGER REFERENCES accounts(id) ON DELETE SET NULL,
        queued_at INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN
            ('queued', 'sending', 'sent', 'failed', 'suppressed', 'cancelled', 'bounced',
            'recorded')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        reason TEXT,
        message_id TEXT,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL,
        due_at INTEGER,
        digest TEXT,
        PRIMARY KEY (workspace_id, id)
    );
    INSERT INTO outbox_v13 SELECT workspace_id, id, kind, payload, queued_by, queued_at, state,
        attempts, next_attempt_at, reason, message_id, updated_at, version, due_at, digest FROM outbox;
    CREATE TEMP TABLE deliveries_kept AS SELECT * FROM push_deliveries;
    DROP TABLE outbox;
    ALTER TABLE outbox_v13 RENAME TO outbox;
    INSERT INTO push_deliveries SELECT * FROM deliveries_kept;
    DROP TABLE deliveries_kept;
    CREATE INDEX outbox_due ON outbox(kind, next_attempt_at) WHERE state IN ('queued', 'sending');
    CREATE INDEX outbox_versions ON outbox(workspace_id, version);",
        outbox_waiting_triggers!(),
        "
    CREATE TRIGGER outbox_stamps_counted AFTER INSERT ON outbox WHEN NEW.kind = 'stamp'
    BEGIN
        INSERT INTO outbox_waiting (workspace_id, kind, waiting) VALUES (NEW.workspace_id, 'stamp', 1)
            ON CONFLICT (workspace_id, kind) DO UPDATE SET waiting = waiting + 1;
    END;"
    ),
    // 14: email-to-ticket. A workspace's support address (its local part, at the relay's inbound
    // domain) and the mails received for it, kept until a device files them (then only the key stays,
    // so the same mail delivered again is not filed twice).
    "CREATE TABLE inbound_addresses (
        workspace_id TEXT PRIMARY KEY REFERENCES workspaces(id) ON DELETE CASCADE,
        local TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE inbound_mail (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        mail TEXT NOT NULL,
        taken_by TEXT,
        taken_until INTEGER,
        filed_at INTEGER,
        UNIQUE (workspace_id, key)
    );
    CREATE INDEX inbound_unfiled ON inbound_mail(workspace_id, seq) WHERE filed_at IS NULL;",
    // 15: satisfaction surveys' answers, one per survey (a ticket) and workspace, in the order
    // received; devices file them on their tickets.
    "CREATE TABLE ratings (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        score INTEGER NOT NULL,
        comment TEXT NOT NULL,
        answered_at INTEGER NOT NULL,
        UNIQUE (workspace_id, key)
    );",
    // 16: the ledger of things done once although every device sees their cause (`store::once`).
    "CREATE TABLE once_ledger (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        taken_by TEXT NOT NULL,
        taken_until INTEGER NOT NULL,
        done_at INTEGER,
        PRIMARY KEY (workspace_id, key)
    );
    CREATE INDEX once_ledger_done ON once_ledger(workspace_id, done_at);",
    // 17: knowledge-base articles a device published for the help pages, and readers' answers to
    // "was this helpful?", one per reader and article (kept when an article is withdrawn).
    "CREATE TABLE published_articles (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        article TEXT NOT NULL,
        title TEXT NOT NULL,
        category TEXT NOT NULL,
        body TEXT NOT NULL,
        revision TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, article)
    );
    CREATE TABLE article_votes (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        article TEXT NOT NULL,
        reader TEXT NOT NULL,
        helpful INTEGER NOT NULL,
        voted_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, article, reader)
    );",
    // 18: the ballot box (`store::ballots`). Who was invited and whether they took their token;
    // the tokens not yet used, by hash, with their team; the answers, by a random id, with their
    // team and release batch. No column joins an answer to a token or an account, and no table
    // keeps insertion order (no row ids, no times): which answer is whose is not in the database.
    "CREATE TABLE ballots (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        survey TEXT NOT NULL,
        k INTEGER NOT NULL,
        batch INTEGER NOT NULL,
        closes_at INTEGER NOT NULL,
        answered INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace_id, survey)
    ) WITHOUT ROWID;
    CREATE TABLE ballot_invitees (
        workspace_id TEXT NOT NULL,
        survey TEXT NOT NULL,
        member TEXT NOT NULL,
        team TEXT NOT NULL,
        token_taken INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (workspace_id, survey, member),
        FOREIGN KEY (workspace_id, survey) REFERENCES ballots(workspace_id, survey) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE TABLE ballot_tokens (
        token_hash TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        survey TEXT NOT NULL,
        team TEXT NOT NULL,
        FOREIGN KEY (workspace_id, survey) REFERENCES ballots(workspace_id, survey) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE TABLE ballot_answers (
        id TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        survey TEXT NOT NULL,
        team TEXT NOT NULL,
        batch INTEGER NOT NULL,
        answer TEXT NOT NULL,
        FOREIGN KEY (workspace_id, survey) REFERENCES ballots(workspace_id, survey) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX ballot_answers_survey ON ballot_answers(workspace_id, survey);",
    // 19: private documents (`store::private`): one per member and workspace, synced with that
    // account only. The account is not a foreign key: a deleted account's document stays its own,
    // never anybody's.
    "CREATE TABLE private_documents (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        account_id INTEGER NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (workspace_id, account_id),
        UNIQUE (workspace_id, document)
    ) WITHOUT ROWID;",
    // 20: investor updates a device published for their read-only links (`store::updates`), kept
    // as a withdrawn row without their text once withdrawn; each recipient's opens and reaction,
    // kept when the update is withdrawn.
    "CREATE TABLE published_updates (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        update_id TEXT NOT NULL,
        publication TEXT,
        revision TEXT NOT NULL,
        published_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, update_id)
    );
    CREATE TABLE update_readers (
        workspace_id TEXT NOT NULL,
        update_id TEXT NOT NULL,
        reader TEXT NOT NULL,
        opens INTEGER NOT NULL DEFAULT 0,
        first_opened INTEGER,
        last_opened INTEGER,
        reaction TEXT,
        comment TEXT NOT NULL DEFAULT '',
        reacted_at INTEGER,
        PRIMARY KEY (workspace_id, update_id, reader),
        FOREIGN KEY (workspace_id, update_id) REFERENCES published_updates(workspace_id, update_id)
            ON DELETE CASCADE
    ) WITHOUT ROWID;",
    // 21: letters (`store::letters`): what a member wrote to a few others, listed to them alone. The
    // sender and readers are member ids (derived from their accounts' addresses), not accounts: a
    // letter stays theirs whatever becomes of an account, and only members are ever listed any.
    "CREATE TABLE letters (
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        letter TEXT NOT NULL,
        seq INTEGER NOT NULL,
        sender TEXT NOT NULL,
        digest TEXT NOT NULL,
        body TEXT,
        sent_at INTEGER NOT NULL,
        PRIMARY KEY (workspace_id, letter),
        UNIQUE (workspace_id, seq)
    );
    CREATE TABLE letter_readers (
        workspace_id TEXT NOT NULL,
        letter TEXT NOT NULL,
        reader TEXT NOT NULL,
        PRIMARY KEY (workspace_id, reader, letter),
        FOREIGN KEY (workspace_id, letter) REFERENCES letters(workspace_id, letter) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX letters_by_sender ON letters(workspace_id, sender, seq);",
    // Who alone reads a survey's results (a manager their upward reviews); none listed: the
    // workspace's owners and admins.
    "CREATE TABLE ballot_readers (
        workspace_id TEXT NOT NULL,
        survey TEXT NOT NULL,
        reader TEXT NOT NULL,
        PRIMARY KEY (workspace_id, survey, reader),
        FOREIGN KEY (workspace_id, survey) REFERENCES ballots(workspace_id, survey) ON DELETE CASCADE
    ) WITHOUT ROWID;",
    // 23: opens and clicks of tracked mail (`store::outbox::record_engagement`): the first of each
    // (an open, or one link's click) of each mail, once, in the order recorded.
    "CREATE TABLE engagement (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
        item TEXT NOT NULL,
        link TEXT NOT NULL,
        at INTEGER NOT NULL,
        UNIQUE (workspace_id, item, link)
    );
    CREATE INDEX engagement_by_seq ON engagement(workspace_id, seq);",
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database failed: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("the database was written by a newer relay (schema {found}, this relay knows {known})")]
    NewerSchema { found: i64, known: i64 },
    #[error("already exists")]
    Duplicate,
    #[error("a workspace keeps at least one owner")]
    LastOwner,
    #[error("the account owns as many workspaces as it may")]
    TooManyWorkspaces,
    #[error("the workspace has as much unsent work queued as it may")]
    OutboxFull,
    #[error("the entry is being sent and cannot be changed")]
    UnderWay,
    #[error("the workspace's files take as much room as they may")]
    FilesQuota,
    #[error("the workspace has as many mails waiting to be filed as it may")]
    InboundFull,
    #[error("the database task stopped: {0}")]
    Task(String),
}

/// An account as the relay knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub name: String,
}

/// The database. Cheap to clone; one connection shared behind a mutex (SQLite serialises writers anyway).
#[derive(Debug, Clone)]
pub struct Store {
    connection: Arc<Mutex<Connection>>,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and migrates it.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        Store::from_connection(Connection::open(data_dir.join(DATABASE_FILE))?)
    }

    /// A database in memory, for tests that do not restart.
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::from_connection(Connection::open_in_memory()?)
    }

    fn from_connection(mut connection: Connection) -> Result<Store, StoreError> {
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        // Deleted rows are overwritten, not left in free pages: a used ballot token's hash must not
        // stay on disk beside the answer given with it (`store::ballots`).
        connection.pragma_update(None, "secure_delete", "ON")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: i64 = connection.pragma_query_value(None, "user_version", |row| row.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::NewerSchema { found: version, known });
        }
        let tx = connection.transaction()?;
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(migration)?;
            tx.pragma_update(None, "user_version", index as i64 + 1)?;
        }
        tx.commit()?;
        Ok(Store { connection: Arc::new(Mutex::new(connection)) })
    }

    /// Runs `work` on the blocking pool with the connection.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let connection = self.connection.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock cannot leave SQLite half-written (transactions roll back),
            // so a poisoned lock is safe to keep using.
            let mut connection = connection.lock().unwrap_or_else(|poison| poison.into_inner());
            work(&mut connection)
        })
        .await
        .map_err(|error| StoreError::Task(error.to_string()))?
    }
}

pub fn create_account(
    connection: &mut Connection,
    email: &str,
    name: &str,
    password_hash: &str,
    now: i64,
) -> Result<Account, StoreError> {
    let inserted = connection.execute(
        "INSERT INTO accounts (email, name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![email, name, password_hash, now],
    );
    match inserted {
        Ok(_) => Ok(Account {
            id: connection.last_insert_rowid(),
            email: email.to_owned(),
            name: name.to_owned(),
        }),
        Err(rusqlite::Error::SqliteFailure(error, _))
            if error.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(StoreError::Duplicate)
        }
        Err(error) => Err(error.into()),
    }
}

/// The account with `email` and its password hash.
pub fn account_by_email(
    connection: &mut Connection,
    email: &str,
) -> Result<Option<(Account, String)>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT id, email, name, password_hash FROM accounts WHERE email = ?1",
            params![email],
            |row| {
                Ok((
                    Account { id: row.get(0)?, email: row.get(1)?, name: row.get(2)? },
                    row.get(3)?,
                ))
            },
        )
        .optional()?)
}

pub fn create_session(
    connection: &mut Connection,
    token_hash: &str,
    account: i64,
    expires_at: i64,
) -> Result<(), StoreError> {
    connection.execute(
        "INSERT INTO sessions (token_hash, account_id, expires_at) VALUES (?1, ?2, ?3)",
        params![token_hash, account, expires_at],
    )?;
    Ok(())
}

/// The account signed in with the session `token_hash`, if the session exists and has not expired.
pub fn session_account(
    connection: &mut Connection,
    token_hash: &str,
    now: i64,
) -> Result<Option<Account>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT a.id, a.email, a.name FROM sessions s JOIN accounts a ON a.id = s.account_id
             WHERE s.token_hash = ?1 AND s.expires_at > ?2",
            params![token_hash, now],
            |row| Ok(Account { id: row.get(0)?, email: row.get(1)?, name: row.get(2)? }),
        )
        .optional()?)
}

pub fn delete_session(connection: &mut Connection, token_hash: &str) -> Result<(), StoreError> {
    connection.execute("DELETE FROM sessions WHERE token_hash = ?1", params![token_hash])?;
    Ok(())
}

/// What a member may do in a workspace, from most to least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Owner,
    Admin,
    Member,
    Viewer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        [Role::Owner, Role::Admin, Role::Member, Role::Viewer]
            .into_iter()
            .find(|r| r.as_str() == text)
    }

    /// Owners and admins manage members and invitations.
    pub fn manages(self) -> bool {
        self <= Role::Admin
    }

    /// Everyone but viewers may change documents.
    pub fn writes(self) -> bool {
        self <= Role::Member
    }
}

/// A workspace as one member sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub workspace: String,
    pub name: String,
    pub role: Role,
}

/// Creates workspace `id` with `account` as its owner. `Duplicate` if the id is taken.
pub fn create_workspace(
    connection: &mut Connection,
    id: &str,
    name: &str,
    account: i64,
    now: i64,
    most_owned: u64,
) -> Result<(), StoreError> {
    let tx = connection.transaction()?;
    let inserted = tx.execute(
        "INSERT INTO workspaces (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![id, name, now],
    );
    match inserted {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(error, _))
            if error.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            return Err(StoreError::Duplicate);
        }
        Err(error) => return Err(error.into()),
    }
    // Counted after the id is known to be new, so that connecting an existing workspace again is
    // never refused as one too many.
    let owned: i64 = tx.query_row(
        "SELECT COUNT(*) FROM memberships WHERE account_id = ?1 AND role = 'owner'",
        params![account],
        |row| row.get(0),
    )?;
    if owned.unsigned_abs() >= most_owned {
        return Err(StoreError::TooManyWorkspaces);
    }
    tx.execute(
        "INSERT INTO memberships (workspace_id, account_id, role) VALUES (?1, ?2, 'owner')",
        params![id, account],
    )?;
    tx.commit()?;
    Ok(())
}

/// `account`'s membership of `workspace`, if any.
pub fn membership(
    connection: &mut Connection,
    workspace: &str,
    account: i64,
) -> Result<Option<Membership>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT w.id, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
             WHERE m.workspace_id = ?1 AND m.account_id = ?2",
            params![workspace, account],
            membership_row,
        )
        .optional()?)
}

fn membership_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Membership> {
    let role: String = row.get(2)?;
    Ok(Membership {
        workspace: row.get(0)?,
        name: row.get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
    })
}

/// Every workspace `account` belongs to.
pub fn memberships_of(
    connection: &mut Connection,
    account: i64,
) -> Result<Vec<Membership>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT w.id, w.name, m.role FROM memberships m JOIN workspaces w ON w.id = m.workspace_id
         WHERE m.account_id = ?1 ORDER BY w.name",
    )?;
    let rows = statement.query_map(params![account], membership_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The members of `workspace`: account, name, email, role.
pub fn members(
    connection: &mut Connection,
    workspace: &str,
) -> Result<Vec<(Account, Role)>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT a.id, a.email, a.name, m.role FROM memberships m JOIN accounts a ON a.id = m.account_id
         WHERE m.workspace_id = ?1 ORDER BY a.name",
    )?;
    let rows = statement.query_map(params![workspace], |row| {
        let role: String = row.get(3)?;
        Ok((
            Account { id: row.get(0)?, email: row.get(1)?, name: row.get(2)? },
            Role::parse(&role).unwrap_or(Role::Viewer),
        ))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Removes `account` from `workspace`, with its unused tickets and the invitations it made; `false` if
/// it was not a member. Refused
/// with `LastOwner` when it would leave the workspace without an owner.
pub fn remove_member(
    connection: &mut Connection,
    workspace: &str,
    account: i64,
) -> Result<bool, StoreError> {
    let tx = connection.transaction()?;
    let owners_left: i64 = tx.query_row(
        "SELECT count(*) FROM memberships WHERE workspace_id = ?1 AND role = 'owner' AND account_id != ?2",
        params![workspace, account],
        |row| row.get(0),
    )?;
    let is_owner: bool = tx
        .query_row(
            "SELECT role = 'owner' FROM memberships WHERE workspace_id = ?1 AND account_id = ?2",
            params![workspace, account],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(false);
    if is_owner && owners_left == 0 {
        return Err(StoreError::LastOwner);
    }
    let removed = tx.execute(
        "DELETE FROM memberships WHERE workspace_id = ?1 AND account_id = ?2",
        params![workspace, account],
    )?;
    tx.execute(
        "DELETE FROM tickets WHERE workspace_id = ?1 AND account_id = ?2",
        params![workspace, account],
    )?;
    // Codes they made are codes they know: they could let themselves back in.
    tx.execute(
        "DELETE FROM invites WHERE workspace_id = ?1 AND created_by = ?2",
        params![workspace, account],
    )?;
    tx.commit()?;
    Ok(removed > 0)
}

/// A pending invitation as its workspace's managers see it (never its code: only the hash is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// The first 16 hex digits of the code's hash: names the invitation without giving away its code,
    /// and never names another one later (a row id is reused once the last row is deleted, so a stale
    /// revoke could have taken back an invitation made after it).
    pub id: String,
    pub role: Role,
    pub uses_left: i64,
    pub expires_at: i64,
    pub created_at: i64,
    /// The name of the member who made it, if they still have an account.
    pub created_by: Option<String>,
}

/// What a new invitation is.
#[derive(Debug, Clone, Copy)]
pub struct NewInvite<'a> {
    pub code_hash: &'a str,
    pub workspace: &'a str,
    pub role: Role,
    /// How many accounts may join with it.
    pub uses: i64,
    pub created_by: i64,
    pub now: i64,
    pub expires_at: i64,
}

pub fn create_invite(connection: &mut Connection, invite: NewInvite<'_>) -> Result<(), StoreError> {
    connection.execute(
        "INSERT INTO invites (code_hash, workspace_id, role, expires_at, uses_left, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            invite.code_hash,
            invite.workspace,
            invite.role.as_str(),
            invite.expires_at,
            invite.uses,
            invite.created_by,
            invite.now
        ],
    )?;
    Ok(())
}

/// The invitations of `workspace` that can still be used, newest first.
pub fn invites(
    connection: &mut Connection,
    workspace: &str,
    now: i64,
) -> Result<Vec<Invite>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT substr(i.code_hash, 1, 16), i.role, i.uses_left, i.expires_at, i.created_at, a.name
         FROM invites i LEFT JOIN accounts a ON a.id = i.created_by
         WHERE i.workspace_id = ?1 AND i.expires_at > ?2 AND i.uses_left > 0
         ORDER BY i.created_at DESC, i.rowid DESC",
    )?;
    let rows = statement.query_map(params![workspace, now], |row| {
        let role: String = row.get(1)?;
        Ok(Invite {
            id: row.get(0)?,
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            uses_left: row.get(2)?,
            expires_at: row.get(3)?,
            created_at: row.get(4)?,
            created_by: row.get(5)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Deletes invitation `id` of `workspace`; `false` if there was none.
pub fn revoke_invite(
    connection: &mut Connection,
    workspace: &str,
    id: &str,
) -> Result<bool, StoreError> {
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Ok(false);
    }
    let deleted = connection.execute(
        "DELETE FROM invites WHERE substr(code_hash, 1, 16) = ?1 AND workspace_id = ?2",
        params![id, workspace],
    )?;
    Ok(deleted > 0)
}

/// Joins `account` to the workspace of the invitation `code_hash`, using up one of its uses. Someone
/// already a member keeps their role and uses nothing. `None` if the code is unknown, expired, used up,
/// or was already used by this account (so a removed member cannot rejoin with it).
pub fn accept_invite(
    connection: &mut Connection,
    code_hash: &str,
    account: i64,
    now: i64,
) -> Result<Option<Membership>, StoreError> {
    let tx = connection.transaction()?;
    let invite: Option<(String, String)> = tx
        .query_row(
            "SELECT workspace_id, role FROM invites
             WHERE code_hash = ?1 AND expires_at > ?2 AND uses_left > 0",
            params![code_hash, now],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let Some((workspace, role)) = invite else { return Ok(None) };
    let member: bool = tx.query_row(
        "SELECT count(*) > 0 FROM memberships WHERE workspace_id = ?1 AND account_id = ?2",
        params![workspace, account],
        |row| row.get(0),
    )?;
    // Recorded for a member too: were they removed later, the code they accepted must not let them
    // back in.
    let first_use = tx.execute(
        "INSERT OR IGNORE INTO invite_uses (code_hash, account_id) VALUES (?1, ?2)",
        params![code_hash, account],
    )?;
    if !member {
        if first_use == 0 {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO memberships (workspace_id, account_id, role) VALUES (?1, ?2, ?3)",
            params![workspace, account, role],
        )?;
        tx.execute(
            "UPDATE invites SET uses_left = uses_left - 1 WHERE code_hash = ?1",
            params![code_hash],
        )?;
    }
    tx.commit()?;
    membership(connection, &workspace, account)
}

pub fn create_ticket(
    connection: &mut Connection,
    ticket_hash: &str,
    account: i64,
    workspace: &str,
    expires_at: i64,
) -> Result<(), StoreError> {
    connection.execute(
        "INSERT INTO tickets (ticket_hash, account_id, workspace_id, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![ticket_hash, account, workspace, expires_at],
    )?;
    Ok(())
}

/// Uses up ticket `ticket_hash`: the account and its membership if the ticket exists, has not expired
/// and its holder is still a member. A ticket works once.
pub fn consume_ticket(
    connection: &mut Connection,
    ticket_hash: &str,
    now: i64,
) -> Result<Option<(Account, Membership)>, StoreError> {
    let tx = connection.transaction()?;
    let ticket: Option<(i64, String, i64)> = tx
        .query_row(
            "DELETE FROM tickets WHERE ticket_hash = ?1 RETURNING account_id, workspace_id, expires_at",
            params![ticket_hash],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    tx.commit()?;
    let Some((account, workspace, _)) = ticket.filter(|(_, _, expires_at)| *expires_at > now)
    else {
        return Ok(None);
    };
    let Some(membership) = membership(connection, &workspace, account)? else { return Ok(None) };
    let holder = connection
        .query_row("SELECT id, email, name FROM accounts WHERE id = ?1", params![account], |row| {
            Ok(Account { id: row.get(0)?, email: row.get(1)?, name: row.get(2)? })
        })
        .optional()?;
    Ok(holder.map(|holder| (holder, membership)))
}

/// Whether `workspace` has document `id`.
pub fn has_document(
    connection: &mut Connection,
    workspace: &str,
    id: &str,
) -> Result<bool, StoreError> {
    Ok(connection.query_row(
        "SELECT count(*) > 0 FROM documents WHERE workspace_id = ?1 AND id = ?2",
        params![workspace, id],
        |row| row.get(0),
    )?)
}

/// What claiming a document did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The workspace had it already.
    Known,
    /// It is the workspace's now.
    Created,
    /// The workspace holds `max_documents` already.
    OverQuota,
}

/// Adds document `id` to `workspace` unless it has it, or has `max_documents` already.
pub fn claim_document(
    connection: &mut Connection,
    workspace: &str,
    id: &str,
    max_documents: u64,
) -> Result<Claim, StoreError> {
    let tx = connection.transaction()?;
    let known: bool = tx.query_row(
        "SELECT count(*) > 0 FROM documents WHERE workspace_id = ?1 AND id = ?2",
        params![workspace, id],
        |row| row.get(0),
    )?;
    if known {
        return Ok(Claim::Known);
    }
    let held: i64 = tx.query_row(
        "SELECT count(*) FROM documents WHERE workspace_id = ?1",
        params![workspace],
        |row| row.get(0),
    )?;
    if held as u64 >= max_documents {
        return Ok(Claim::OverQuota);
    }
    tx.execute("INSERT INTO documents (workspace_id, id) VALUES (?1, ?2)", params![workspace, id])?;
    tx.commit()?;
    Ok(Claim::Created)
}

/// Appends a chunk (Automerge changes or a saved document) to document `id` of `workspace`; durable on
/// return. Returns the chunk's sequence number.
pub fn append_chunk(
    connection: &mut Connection,
    workspace: &str,
    id: &str,
    bytes: &[u8],
) -> Result<i64, StoreError> {
    connection.execute(
        "INSERT INTO chunks (workspace_id, document_id, bytes) VALUES (?1, ?2, ?3)",
        params![workspace, id, bytes],
    )?;
    Ok(connection.last_insert_rowid())
}

/// Bytes the chunks of every document of `workspace` take.
pub fn workspace_bytes(connection: &mut Connection, workspace: &str) -> Result<u64, StoreError> {
    let bytes: i64 = connection.query_row(
        "SELECT COALESCE(SUM(length(bytes)), 0) FROM chunks WHERE workspace_id = ?1",
        params![workspace],
        |row| row.get(0),
    )?;
    Ok(bytes.unsigned_abs())
}

/// This relay's storage id: the same across restarts, different for every database.
pub fn relay_storage_id(connection: &mut Connection) -> Result<String, StoreError> {
    Ok(connection
        .query_row("SELECT value FROM relay WHERE key = 'storage_id'", [], |row| row.get(0))?)
}

/// Every chunk of document `id` of `workspace`, oldest first, with its sequence number.
pub fn load_chunks(
    connection: &mut Connection,
    workspace: &str,
    id: &str,
) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT seq, bytes FROM chunks WHERE workspace_id = ?1 AND document_id = ?2 ORDER BY seq",
    )?;
    let rows = statement.query_map(params![workspace, id], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Replaces the chunks of document `id` of `workspace` up to and including `through` (the last
/// sequence number the snapshot covers) by `snapshot`, in one transaction: chunks appended meanwhile
/// stay.
pub fn compact_chunks(
    connection: &mut Connection,
    workspace: &str,
    id: &str,
    snapshot: &[u8],
    through: i64,
) -> Result<(), StoreError> {
    let tx = connection.transaction()?;
    tx.execute(
        "DELETE FROM chunks WHERE workspace_id = ?1 AND document_id = ?2 AND seq <= ?3",
        params![workspace, id, through],
    )?;
    // The snapshot must sort before what was appended after it was taken: it takes the place of the
    // last chunk it covers.
    tx.execute(
        "INSERT INTO chunks (seq, workspace_id, document_id, bytes) VALUES (?1, ?2, ?3, ?4)",
        params![through, workspace, id, snapshot],
    )?;
    tx.commit()?;
    Ok(())
}

/// Ends every session of `account` but the one with `keep` (the caller's own, if it stays), and its
/// unused sync tickets.
pub fn end_sessions(
    connection: &mut Connection,
    account: i64,
    keep: Option<&str>,
) -> Result<usize, StoreError> {
    let tx = connection.transaction()?;
    let ended = tx.execute(
        "DELETE FROM sessions WHERE account_id = ?1 AND token_hash IS NOT ?2",
        params![account, keep],
    )?;
    // Tickets already issued would open sockets for a minute more.
    tx.execute("DELETE FROM tickets WHERE account_id = ?1", params![account])?;
    tx.commit()?;
    Ok(ended)
}

/// The password hash of `account`.
pub fn password_hash(connection: &mut Connection, account: i64) -> Result<String, StoreError> {
    Ok(connection.query_row(
        "SELECT password_hash FROM accounts WHERE id = ?1",
        params![account],
        |row| row.get(0),
    )?)
}

pub fn set_password_hash(
    connection: &mut Connection,
    account: i64,
    hash: &str,
) -> Result<(), StoreError> {
    connection
        .execute("UPDATE accounts SET password_hash = ?2 WHERE id = ?1", params![account, hash])?;
    Ok(())
}

/// Whether an account has `email`.
pub fn email_taken(connection: &mut Connection, email: &str) -> Result<bool, StoreError> {
    Ok(connection.query_row(
        "SELECT count(*) > 0 FROM accounts WHERE email = ?1",
        params![email],
        |row| row.get(0),
    )?)
}

/// Unexpired sync tickets `account` holds.
pub fn live_tickets(
    connection: &mut Connection,
    account: i64,
    now: i64,
) -> Result<u64, StoreError> {
    let count: i64 = connection.query_row(
        "SELECT count(*) FROM tickets WHERE account_id = ?1 AND expires_at > ?2",
        params![account, now],
        |row| row.get(0),
    )?;
    Ok(count as u64)
}

/// What [`purge_expired`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: usize,
    pub tickets: usize,
    pub invites: usize,
}

/// Deletes sessions, tickets and invitations that can no longer be used.
pub fn purge_expired(connection: &mut Connection, now: i64) -> Result<Purged, StoreError> {
    let tx = connection.transaction()?;
    let purged = Purged {
        sessions: tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", params![now])?,
        tickets: tx.execute("DELETE FROM tickets WHERE expires_at <= ?1", params![now])?,
        invites: tx.execute(
            "DELETE FROM invites WHERE expires_at <= ?1 OR uses_left <= 0",
            params![now],
        )?,
    };
    tx.commit()?;
    Ok(purged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_and_sessions_survive_reopening_and_sessions_expire() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut connection = store.connection.lock().unwrap();
        let account =
            create_account(&mut connection, "ada@example.test", "Ada", "hash", 1).unwrap();
        assert!(matches!(
            create_account(&mut connection, "ada@example.test", "Other", "hash", 2),
            Err(StoreError::Duplicate)
        ));
        create_session(&mut connection, "token", account.id, 100).unwrap();
        drop(connection);
        drop(store);

        let store = Store::open(dir.path()).unwrap();
        let mut connection = store.connection.lock().unwrap();
        assert_eq!(
            account_by_email(&mut connection, "ada@example.test").unwrap(),
            Some((account.clone(), "hash".into()))
        );
        assert_eq!(session_account(&mut connection, "token", 99).unwrap(), Some(account));
        assert_eq!(session_account(&mut connection, "token", 100).unwrap(), None, "expired");
        delete_session(&mut connection, "token").unwrap();
        assert_eq!(session_account(&mut connection, "token", 0).unwrap(), None);
    }

    /// A database in `dir` as a relay of schema `version` left it.
    fn database_at_schema(dir: &Path, version: usize) -> Connection {
        let connection = Connection::open(dir.join(DATABASE_FILE)).unwrap();
        for migration in &MIGRATIONS[..version] {
            connection.execute_batch(migration).unwrap();
        }
        connection.pragma_update(None, "user_version", version as i64).unwrap();
        connection
    }

    #[test]
    fn schema_11_forgets_whom_finished_jobs_reached_and_keeps_jobs_under_way() {
        let dir = tempfile::tempdir().unwrap();
        let connection = database_at_schema(dir.path(), 10);
        connection
            .execute_batch(
                "INSERT INTO workspaces (id, name, created_at) VALUES ('ws', 'Acme', 1);
                 INSERT INTO outbox (workspace_id, id, kind, payload, queued_at, state,
                     next_attempt_at, updated_at, version)
                 VALUES ('ws', '00000000000000000000000000000001', 'notify', '{}', 1, 'queued', 9, 1, 1),
                        ('ws', '00000000000000000000000000000002', 'notify', '{}', 1, 'sent', 9, 1, 2);
                 INSERT INTO push_deliveries (workspace_id, id, endpoint)
                 VALUES ('ws', '00000000000000000000000000000001', 'https://push.example/a'),
                        ('ws', '00000000000000000000000000000002', 'https://push.example/a'),
                        ('ws', '00000000000000000000000000000002', 'https://push.example/b');",
            )
            .unwrap();
        drop(connection);
        let store = Store::open(dir.path()).unwrap();
        let connection = store.connection.lock().unwrap();
        let kept: Vec<(String, bool)> = connection
            .prepare("SELECT id, reached FROM push_deliveries")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(kept, [("00000000000000000000000000000001".to_owned(), true)]);
    }

    #[test]
    fn schema_12_lets_a_mail_bounce_and_keeps_deliveries_and_the_waiting_count() {
        use rapport_core::outbox::OutboxId;
        let dir = tempfile::tempdir().unwrap();
        let connection = database_at_schema(dir.path(), 11);
        connection
            .execute_batch(
                "INSERT INTO workspaces (id, name, created_at) VALUES ('ws', 'Acme', 1);
                 INSERT INTO outbox (workspace_id, id, kind, payload, queued_at, state,
                     next_attempt_at, updated_at, version, message_id)
                 VALUES ('ws', '00000000000000000000000000000001', 'notify', '{}', 1, 'sending', 9, 1, 1, NULL),
                        ('ws', '00000000000000000000000000000002', 'mail', '{}', 1, 'sent', 9, 1, 2, '<m>');
                 INSERT INTO push_deliveries (workspace_id, id, endpoint, reached)
                 VALUES ('ws', '00000000000000000000000000000001', 'https://push.example/a', 0);",
            )
            .unwrap();
        drop(connection);
        let store = Store::open(dir.path()).unwrap();
        let mut connection = store.connection.lock().unwrap();
        let kept: i64 = connection
            .query_row("SELECT COUNT(*) FROM push_deliveries WHERE reached = 0", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, 1, "a job under way keeps whom it is done with");
        let sent = OutboxId::parse("00000000000000000000000000000002").unwrap();
        assert!(outbox::bounced(&mut connection, "ws", &sent, "5.1.1", 5).unwrap());
        let entry = outbox::entry(&mut connection, "ws", &sent).unwrap().unwrap();
        assert_eq!(entry.state, rapport_core::outbox::State::Bounced);
        assert!(!outbox::bounced(&mut connection, "ws", &sent, "5.1.1", 6).unwrap(), "once");
        // The waiting count's triggers came back with the table.
        connection
            .execute(
                "UPDATE outbox SET state = 'sent' WHERE id = '00000000000000000000000000000001'",
                [],
            )
            .unwrap();
        let waiting: i64 = connection
            .query_row("SELECT waiting FROM outbox_waiting WHERE kind = 'notify'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(waiting, 0);
    }

    #[test]
    fn the_outbox_of_schema_8_keeps_its_mail_when_jobs_arrive() {
        let dir = tempfile::tempdir().unwrap();
        let connection = database_at_schema(dir.path(), 8);
        connection
            .execute_batch(
                "INSERT INTO workspaces (id, name, created_at) VALUES ('ws', 'Acme', 1);
                 INSERT INTO outbox (workspace_id, id, kind, payload, queued_at, state,
                     next_attempt_at, updated_at, version)
                 VALUES ('ws', '0123456789abcdef0123456789abcdef', 'mail', '{}', 1, 'sent', 1, 2, 3);",
            )
            .unwrap();
        drop(connection);
        let store = Store::open(dir.path()).unwrap();
        let mut connection = store.connection.lock().unwrap();
        let id = rapport_core::outbox::OutboxId::parse("0123456789abcdef0123456789abcdef").unwrap();
        let entry = outbox::entry(&mut connection, "ws", &id).unwrap().unwrap();
        assert_eq!((entry.kind.as_str(), entry.version, entry.due_at), ("mail", 3, None));
        let cancelled = outbox::cancel(&mut connection, "ws", &id, 5).unwrap().unwrap();
        assert_eq!(cancelled.state, rapport_core::outbox::State::Sent, "a sent mail stays sent");
    }

    #[test]
    fn the_count_of_waiting_jobs_follows_every_change_and_holds_the_limit() {
        use outbox::{NewWork, Outcome};
        use rapport_core::outbox::{OutboxId, State};
        let dir = tempfile::tempdir().unwrap();
        let connection = database_at_schema(dir.path(), 9);
        // Before schema 10: two jobs waiting (one being pushed) and one pushed.
        connection
            .execute_batch(
                "INSERT INTO workspaces (id, name, created_at) VALUES ('ws', 'Acme', 1);
                 INSERT INTO outbox (workspace_id, id, kind, payload, queued_at, state,
                     next_attempt_at, updated_at, version)
                 VALUES ('ws', '00000000000000000000000000000001', 'notify', '{}', 1, 'queued', 9, 1, 1),
                        ('ws', '00000000000000000000000000000002', 'notify', '{}', 1, 'sending', 9, 1, 2),
                        ('ws', '00000000000000000000000000000003', 'notify', '{}', 1, 'sent', 9, 1, 3),
                        ('ws', '00000000000000000000000000000004', 'mail', '{}', 1, 'queued', 9, 1, 4);",
            )
            .unwrap();
        drop(connection);
        let store = Store::open(dir.path()).unwrap();
        let mut connection = store.connection.lock().unwrap();
        let account = create_account(&mut connection, "ada@example.test", "Ada", "h", 1).unwrap();
        // The kept count equals a count of the rows, after every step.
        let counted = |connection: &Connection| -> (i64, i64) {
            let kept = connection
                .query_row(
                    "SELECT COALESCE(SUM(waiting), 0) FROM outbox_waiting
                     WHERE workspace_id = 'ws' AND kind = 'notify'",
                    [],
                    |row| row.get(0),
                )
                .unwrap();
            let rows = connection
                .query_row(
                    "SELECT COUNT(*) FROM outbox WHERE workspace_id = 'ws' AND kind = 'notify'
                     AND state IN ('queued', 'sending')",
                    [],
                    |row| row.get(0),
                )
                .unwrap();
            (kept, rows)
        };
        assert_eq!(counted(&connection), (2, 2), "counted when migrated");
        let id = |n: u32| OutboxId::parse(&format!("{n:032}")).unwrap();
        let job = |id: &OutboxId, digest: &str, due_at: i64| {
            let (id, digest) = (id.clone(), digest.to_owned());
            move |connection: &mut Connection| {
                outbox::queue(
                    connection,
                    NewWork {
                        workspace: "ws",
                        id: &id,
                        kind: "notify",
                        payload: "{}",
                        digest: &digest,
                        due_at: Some(due_at),
                        replaceable: true,
                        queued_by: account.id,
                        now: 10,
                        most_pending: 3,
                        record_only: false,
                    },
                )
            }
        };
        let (five, six, three) = (&id(5), &id(6), &id(3));

        job(five, "a", 100)(&mut connection).unwrap();
        assert_eq!(counted(&connection), (3, 3));
        assert!(matches!(job(six, "a", 100)(&mut connection), Err(StoreError::OutboxFull)));
        // The pushed job registered again at another time would wait again: refused while full.
        assert!(matches!(job(three, "b", 200)(&mut connection), Err(StoreError::OutboxFull)));
        // A waiting job changed is not one more.
        job(five, "b", 150)(&mut connection).unwrap();
        assert_eq!(counted(&connection), (3, 3));

        outbox::cancel(&mut connection, "ws", five, 11).unwrap();
        assert_eq!(counted(&connection), (2, 2));
        job(five, "b", 150)(&mut connection).unwrap();
        assert_eq!(counted(&connection), (3, 3), "a cancelled job registered again waits again");
        outbox::cancel(&mut connection, "ws", five, 12).unwrap();
        job(three, "b", 200)(&mut connection).unwrap();
        assert_eq!(counted(&connection), (3, 3), "the pushed job waits for its new time");

        let due = outbox::take_due(&mut connection, "notify", 9, 60, 10).unwrap();
        assert_eq!(due.len(), 1, "the queued job of schema 9");
        assert_eq!(counted(&connection), (3, 3), "being pushed still waits");
        let retry = Outcome::Retry { at: 20, reason: "busy".into() };
        outbox::finish(&mut connection, "ws", &due[0].id, due[0].attempt, &retry, 13).unwrap();
        assert_eq!(counted(&connection), (3, 3));
        let due = outbox::take_due(&mut connection, "notify", 20, 80, 10).unwrap();
        let delivered = Outcome::Delivered { reply: "201".into() };
        outbox::finish(&mut connection, "ws", &due[0].id, due[0].attempt, &delivered, 21).unwrap();
        assert_eq!(counted(&connection), (2, 2));
        assert_eq!(outbox::resume_interrupted(&mut connection, "notify", 22).unwrap(), 1);
        assert_eq!(counted(&connection), (2, 2), "taken up again after a restart");
        assert_eq!(
            outbox::entry(&mut connection, "ws", &id(2)).unwrap().unwrap().state,
            State::Queued
        );
        job(six, "a", 100)(&mut connection).unwrap();
        assert_eq!(counted(&connection), (3, 3), "room again once one was pushed");
    }

    #[test]
    fn a_database_from_a_newer_relay_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let connection = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        connection.pragma_update(None, "user_version", 99).unwrap();
        drop(connection);
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::NewerSchema { found: 99, known: 23 })
        ));
        let connection = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        let version: i64 =
            connection.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
        assert_eq!(version, 99);
    }
}

#[cfg(test)]
mod workspace_tests {
    use super::*;

    fn store_with(accounts: &[&str]) -> (Store, Vec<i64>) {
        let store = Store::in_memory().unwrap();
        let ids = {
            let mut db = store.connection.lock().unwrap();
            accounts
                .iter()
                .map(|name| {
                    create_account(&mut db, &format!("{name}@x.test"), name, "h", 0).unwrap().id
                })
                .collect()
        };
        (store, ids)
    }

    fn invite(code_hash: &str, uses: i64, created_by: i64) -> NewInvite<'_> {
        NewInvite {
            code_hash,
            workspace: "ws",
            role: Role::Member,
            uses,
            created_by,
            now: 0,
            expires_at: 100,
        }
    }

    #[test]
    fn an_invitation_admits_as_many_accounts_as_it_has_uses_each_once() {
        let (store, ids) = store_with(&["owner", "ann", "bob", "cat"]);
        let mut db = store.connection.lock().unwrap();
        create_workspace(&mut db, "ws", "Acme", ids[0], 0, 100).unwrap();
        create_invite(&mut db, invite("two", 2, ids[0])).unwrap();
        assert_eq!(invites(&mut db, "ws", 1).unwrap()[0].uses_left, 2);
        assert!(accept_invite(&mut db, "two", ids[0], 1).unwrap().is_some(), "a member uses none");
        assert!(accept_invite(&mut db, "two", ids[1], 1).unwrap().is_some());
        assert!(remove_member(&mut db, "ws", ids[1]).unwrap());
        assert_eq!(accept_invite(&mut db, "two", ids[1], 1).unwrap(), None, "no second use");
        assert!(accept_invite(&mut db, "two", ids[2], 1).unwrap().is_some());
        assert_eq!(accept_invite(&mut db, "two", ids[3], 1).unwrap(), None, "used up");
        assert!(invites(&mut db, "ws", 1).unwrap().is_empty());
        assert_eq!(purge_expired(&mut db, 1).unwrap().invites, 1);

        create_invite(&mut db, invite("9a0e1f2b3c4d5e6f7a8b", 5, ids[0])).unwrap();
        let listed = invites(&mut db, "ws", 1).unwrap();
        assert_eq!(listed[0].created_by.as_deref(), Some("owner"));
        assert!(revoke_invite(&mut db, "ws", &listed[0].id).unwrap());
        assert_eq!(
            accept_invite(&mut db, "9a0e1f2b3c4d5e6f7a8b", ids[3], 1).unwrap(),
            None,
            "revoked"
        );
    }

    #[test]
    fn tickets_work_once_until_they_expire_and_only_for_members() {
        let (store, ids) = store_with(&["owner", "member"]);
        let mut db = store.connection.lock().unwrap();
        create_workspace(&mut db, "ws", "Acme", ids[0], 0, 100).unwrap();
        create_invite(&mut db, invite("code", 1, ids[0])).unwrap();
        assert_eq!(accept_invite(&mut db, "code", ids[1], 100).unwrap(), None, "expired");
        let joined = accept_invite(&mut db, "code", ids[1], 50).unwrap().unwrap();
        assert_eq!(joined.role, Role::Member);

        create_ticket(&mut db, "t1", ids[1], "ws", 60).unwrap();
        assert_eq!(
            consume_ticket(&mut db, "t1", 10).unwrap().map(|(a, m)| (a.id, m.role)),
            Some((ids[1], Role::Member))
        );
        assert_eq!(consume_ticket(&mut db, "t1", 10).unwrap(), None, "replayed");
        create_ticket(&mut db, "t2", ids[1], "ws", 60).unwrap();
        assert_eq!(consume_ticket(&mut db, "t2", 60).unwrap(), None, "expired");

        create_ticket(&mut db, "t3", ids[1], "ws", 60).unwrap();
        assert!(remove_member(&mut db, "ws", ids[1]).unwrap());
        assert_eq!(
            consume_ticket(&mut db, "t3", 10).unwrap(),
            None,
            "removed members' tickets die"
        );
        assert!(matches!(remove_member(&mut db, "ws", ids[0]), Err(StoreError::LastOwner)));
        assert!(matches!(
            create_workspace(&mut db, "ws", "Again", ids[1], 0, 100),
            Err(StoreError::Duplicate)
        ));
    }
}

#[cfg(test)]
mod document_tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT, ReadDoc};

    #[test]
    fn each_workspace_has_its_own_documents_and_their_chunks_survive_compaction_and_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut db = store.connection.lock().unwrap();
        let owner = create_account(&mut db, "o@x.test", "O", "h", 0).unwrap().id;
        create_workspace(&mut db, "a", "A", owner, 0, 100).unwrap();
        create_workspace(&mut db, "b", "B", owner, 0, 100).unwrap();
        assert!(!has_document(&mut db, "a", "doc").unwrap());
        assert_eq!(claim_document(&mut db, "a", "doc", 10).unwrap(), Claim::Created);
        assert_eq!(claim_document(&mut db, "a", "doc", 10).unwrap(), Claim::Known);
        assert_eq!(
            claim_document(&mut db, "b", "doc", 10).unwrap(),
            Claim::Created,
            "own namespace"
        );
        assert_eq!(claim_document(&mut db, "b", "other", 1).unwrap(), Claim::OverQuota);

        let mut doc = AutoCommit::new();
        doc.put(ROOT, "name", "first").unwrap();
        append_chunk(&mut db, "a", "doc", &doc.save_incremental()).unwrap();
        doc.put(ROOT, "name", "second").unwrap();
        let through = append_chunk(&mut db, "a", "doc", &doc.save_incremental()).unwrap();
        let snapshot = doc.save();
        doc.put(ROOT, "more", 1).unwrap();
        append_chunk(&mut db, "a", "doc", &doc.save_incremental()).unwrap();
        compact_chunks(&mut db, "a", "doc", &snapshot, through).unwrap();
        let mut theirs = AutoCommit::new();
        theirs.put(ROOT, "name", "b's own").unwrap();
        append_chunk(&mut db, "b", "doc", &theirs.save()).unwrap();
        drop(db);
        drop(store);

        let store = Store::open(dir.path()).unwrap();
        let mut db = store.connection.lock().unwrap();
        let chunks = load_chunks(&mut db, "a", "doc").unwrap();
        assert_eq!(chunks.len(), 2, "the snapshot and the chunk appended after it");
        let mut loaded = AutoCommit::new();
        for (_, chunk) in &chunks {
            loaded.load_incremental(chunk).unwrap();
        }
        assert_eq!(loaded.get_heads(), doc.get_heads());
        let name = loaded.get(ROOT, "name").unwrap().unwrap().0.into_string().unwrap();
        assert_eq!(name, "second");
        assert_eq!(load_chunks(&mut db, "b", "doc").unwrap().len(), 1);
    }

    #[test]
    fn a_version_4_database_keeps_its_documents_in_their_workspaces() {
        let dir = tempfile::tempdir().unwrap();
        let mut connection = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        let tx = connection.transaction().unwrap();
        for migration in &MIGRATIONS[..4] {
            tx.execute_batch(migration).unwrap();
        }
        tx.pragma_update(None, "user_version", 4).unwrap();
        tx.execute_batch(
            "INSERT INTO accounts VALUES (1, 'o@x.test', 'O', 'h', 0);
             INSERT INTO workspaces VALUES ('a', 'A', 0);
             INSERT INTO documents VALUES ('doc', 'a');
             INSERT INTO chunks (document_id, bytes) VALUES ('doc', x'01'), ('doc', x'02');
             INSERT INTO invites VALUES ('code', 'a', 'member', 100);",
        )
        .unwrap();
        tx.commit().unwrap();
        drop(connection);

        let store = Store::open(dir.path()).unwrap();
        let mut db = store.connection.lock().unwrap();
        let chunks = load_chunks(&mut db, "a", "doc").unwrap();
        assert_eq!(chunks, vec![(1, vec![1]), (2, vec![2])]);
        assert_eq!(append_chunk(&mut db, "a", "doc", &[3]).unwrap(), 3);
        assert!(
            invites(&mut db, "a", 1).unwrap().is_empty(),
            "codes whose maker is unknown could outlive her membership: gone"
        );
    }
}
