//! Email-to-ticket's storage: each workspace's support address and the mails received for it until a
//! device files them. A mail is kept under a key per workspace (a hash of its `Message-ID`), so one
//! delivered twice is kept once; filing drops its content and keeps the key.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// The local part of `workspace`'s support address, if it has one.
pub fn address_of(
    connection: &mut Connection,
    workspace: &str,
) -> Result<Option<String>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT local FROM inbound_addresses WHERE workspace_id = ?1",
            params![workspace],
            |row| row.get(0),
        )
        .optional()?)
}

/// Gives `workspace` the support address `local` unless it has one; returns the one it has.
pub fn make_address(
    connection: &mut Connection,
    workspace: &str,
    local: &str,
    now: i64,
) -> Result<String, StoreError> {
    connection.execute(
        "INSERT INTO inbound_addresses (workspace_id, local, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (workspace_id) DO NOTHING",
        params![workspace, local, now],
    )?;
    address_of(connection, workspace)?.ok_or(StoreError::Task("address not kept".into()))
}

/// Every support address: local part → workspace.
pub fn addresses(connection: &mut Connection) -> Result<HashMap<String, String>, StoreError> {
    let mut statement = connection.prepare("SELECT local, workspace_id FROM inbound_addresses")?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What keeping a received mail did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    New(i64),
    /// The same mail (the same key) was received before: nothing kept.
    Again,
}

/// Keeps mail `key` for `workspace` (its content `mail`, JSON) unless it was received before, or
/// `InboundFull` when `most_waiting` mails already wait to be filed.
pub fn keep(
    connection: &mut Connection,
    workspace: &str,
    key: &str,
    received_at: i64,
    mail: &str,
    most_waiting: u64,
) -> Result<Kept, StoreError> {
    let tx = connection.transaction()?;
    if !admits(&tx, workspace, key, most_waiting)? {
        return Ok(Kept::Again);
    }
    tx.execute(
        "INSERT INTO inbound_mail (workspace_id, key, received_at, mail) VALUES (?1, ?2, ?3, ?4)",
        params![workspace, key, received_at, mail],
    )?;
    let seq = tx.last_insert_rowid();
    tx.commit()?;
    Ok(Kept::New(seq))
}

/// Whether mail `key` would be kept for `workspace`: `false` when it already is, an error when the
/// workspace has `most_waiting` mails not filed. Asked before a mail's files are stored, so a mail
/// delivered again or refused stores none.
pub fn admits(
    connection: &Connection,
    workspace: &str,
    key: &str,
    most_waiting: u64,
) -> Result<bool, StoreError> {
    let known: Option<i64> = connection
        .query_row(
            "SELECT seq FROM inbound_mail WHERE workspace_id = ?1 AND key = ?2",
            params![workspace, key],
            |row| row.get(0),
        )
        .optional()?;
    if known.is_some() {
        return Ok(false);
    }
    let waiting: i64 = connection.query_row(
        "SELECT count(*) FROM inbound_mail WHERE workspace_id = ?1 AND filed_at IS NULL",
        params![workspace],
        |row| row.get(0),
    )?;
    if waiting as u64 >= most_waiting {
        return Err(StoreError::InboundFull);
    }
    Ok(true)
}

/// A mail waiting to be filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub seq: i64,
    pub mail: String,
    /// Another session holds it now.
    pub taken_elsewhere: bool,
}

/// The first `limit` mails of `workspace` not filed yet, oldest first, as `session` sees them.
pub fn waiting(
    connection: &mut Connection,
    workspace: &str,
    session: &str,
    now: i64,
    limit: usize,
) -> Result<Vec<Waiting>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT seq, mail, taken_by IS NOT NULL AND taken_by != ?2 AND taken_until > ?3
         FROM inbound_mail WHERE workspace_id = ?1 AND filed_at IS NULL ORDER BY seq LIMIT ?4",
    )?;
    let rows = statement.query_map(params![workspace, session, now, limit as i64], |row| {
        Ok(Waiting { seq: row.get(0)?, mail: row.get(1)?, taken_elsewhere: row.get(2)? })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// What asking to file a mail got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// This session files it; nobody else may until `until`.
    Taken,
    /// Another session holds it.
    Elsewhere,
    Filed,
    Missing,
}

/// Lets `session` file mail `seq` of `workspace` until `until`, unless another session holds any of
/// the workspace's mail: one filer at a time, so two devices never create the same derived record
/// (a new sender's person) at once, and a mail answering one just filed finds its ticket.
pub fn take(
    connection: &mut Connection,
    workspace: &str,
    seq: i64,
    session: &str,
    now: i64,
    until: i64,
) -> Result<Take, StoreError> {
    let tx = connection.transaction()?;
    let found: Option<(Option<String>, Option<i64>, Option<i64>)> = tx
        .query_row(
            "SELECT taken_by, taken_until, filed_at FROM inbound_mail
             WHERE workspace_id = ?1 AND seq = ?2",
            params![workspace, seq],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let other_holder: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM inbound_mail WHERE workspace_id = ?1 AND filed_at IS NULL
             AND taken_by IS NOT NULL AND taken_by != ?2 AND taken_until > ?3)",
        params![workspace, session, now],
        |row| row.get(0),
    )?;
    let answer = match found {
        None => Take::Missing,
        Some((_, _, Some(_))) => Take::Filed,
        Some(_) if other_holder => Take::Elsewhere,
        Some(_) => {
            tx.execute(
                "UPDATE inbound_mail SET taken_by = ?3, taken_until = ?4
                 WHERE workspace_id = ?1 AND seq = ?2",
                params![workspace, seq, session, until],
            )?;
            Take::Taken
        }
    };
    tx.commit()?;
    Ok(answer)
}

/// Marks mail `seq` filed by `session`, which must hold it (or have held it, if nobody took it
/// since), and drops its content.
pub fn filed(
    connection: &mut Connection,
    workspace: &str,
    seq: i64,
    session: &str,
    now: i64,
) -> Result<Take, StoreError> {
    let tx = connection.transaction()?;
    let found: Option<(Option<String>, Option<i64>)> = tx
        .query_row(
            "SELECT taken_by, filed_at FROM inbound_mail WHERE workspace_id = ?1 AND seq = ?2",
            params![workspace, seq],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let answer = match found {
        None => Take::Missing,
        Some((_, Some(_))) => Take::Filed,
        Some((Some(by), None)) if by == session => {
            tx.execute(
                "UPDATE inbound_mail SET filed_at = ?3, mail = '', taken_until = NULL
                 WHERE workspace_id = ?1 AND seq = ?2",
                params![workspace, seq, now],
            )?;
            Take::Taken
        }
        Some(_) => Take::Elsewhere,
    };
    tx.commit()?;
    Ok(answer)
}
