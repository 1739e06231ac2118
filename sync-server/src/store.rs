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

/// The file name of the database inside the data folder.
pub const DATABASE_FILE: &str = "rapport.sqlite3";

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
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database failed: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("the database was written by a newer relay (schema {found}, this relay knows {known})")]
    NewerSchema { found: i64, known: i64 },
    #[error("already exists")]
    Duplicate,
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

    #[test]
    fn a_database_from_a_newer_relay_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).unwrap());
        let connection = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        connection.pragma_update(None, "user_version", 99).unwrap();
        drop(connection);
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::NewerSchema { found: 99, known: 1 })
        ));
        let connection = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        let version: i64 =
            connection.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
        assert_eq!(version, 99);
    }
}
