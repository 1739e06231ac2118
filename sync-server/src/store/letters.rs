//! Letters (schema 21, `rapport_core::letters`): what one member wrote to a few others, listed to
//! its sender and recipients alone. A letter's id is the device's, so a retry finds it; its digest
//! tells a retry from a different letter under the same id. A withdrawn letter keeps its row without
//! its body, moved to the end of the listing so every reader's device hears of it.

use rapport_core::letters::{Letter, Posting};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::StoreError;

/// The most letters one workspace keeps.
pub const MOST_LETTERS: i64 = 200_000;
/// The most letters one listing carries.
pub const PAGE: i64 = 500;

/// What sending a letter did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    New,
    /// The same letter was sent before: nothing changed.
    Again,
    /// Another letter (or another sender's) has this id: refused, nothing changed.
    Taken,
    /// The workspace keeps as many letters as it may.
    Full,
}

fn digest(sender: &str, posting: &Posting) -> String {
    let mut hash = Sha256::new();
    for part in [sender, &posting.to.join(","), &posting.body] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part.as_bytes());
    }
    crate::accounts::hex(&hash.finalize())
}

fn next_seq(connection: &Connection, workspace: &str) -> Result<i64, StoreError> {
    Ok(connection.query_row(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM letters WHERE workspace_id = ?1",
        params![workspace],
        |row| row.get(0),
    )?)
}

/// Keeps letter `id` from `sender` (a member id), unless it was sent before.
pub fn send(
    connection: &mut Connection,
    workspace: &str,
    id: &str,
    sender: &str,
    posting: &Posting,
    now: i64,
) -> Result<Sent, StoreError> {
    let tx = connection.transaction()?;
    let digest = digest(sender, posting);
    let known: Option<String> = tx
        .query_row(
            "SELECT digest FROM letters WHERE workspace_id = ?1 AND letter = ?2",
            params![workspace, id],
            |row| row.get(0),
        )
        .optional()?;
    if let Some(known) = known {
        return Ok(if known == digest { Sent::Again } else { Sent::Taken });
    }
    let count: i64 = tx.query_row(
        "SELECT count(*) FROM letters WHERE workspace_id = ?1",
        params![workspace],
        |row| row.get(0),
    )?;
    if count >= MOST_LETTERS {
        return Ok(Sent::Full);
    }
    let seq = next_seq(&tx, workspace)?;
    tx.execute(
        "INSERT INTO letters (workspace_id, letter, seq, sender, digest, body, sent_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![workspace, id, seq, sender, digest, posting.body, now],
    )?;
    for reader in &posting.to {
        tx.execute(
            "INSERT INTO letter_readers (workspace_id, letter, reader) VALUES (?1, ?2, ?3)",
            params![workspace, id, reader],
        )?;
    }
    tx.commit()?;
    Ok(Sent::New)
}

/// Withdraws letter `id` if `sender` sent it: its body goes. Whether there was such a letter.
pub fn withdraw(
    connection: &mut Connection,
    workspace: &str,
    id: &str,
    sender: &str,
) -> Result<bool, StoreError> {
    let tx = connection.transaction()?;
    let body: Option<Option<String>> = tx
        .query_row(
            "SELECT body FROM letters WHERE workspace_id = ?1 AND letter = ?2 AND sender = ?3",
            params![workspace, id, sender],
            |row| row.get(0),
        )
        .optional()?;
    match body {
        None => return Ok(false),
        Some(None) => return Ok(true),
        Some(Some(_)) => {}
    }
    let seq = next_seq(&tx, workspace)?;
    tx.execute(
        "UPDATE letters SET body = NULL, seq = ?3 WHERE workspace_id = ?1 AND letter = ?2",
        params![workspace, id, seq],
    )?;
    tx.commit()?;
    Ok(true)
}

/// The letters `member` sent or was sent after `after`, oldest first, a page at a time.
pub fn list(
    connection: &Connection,
    workspace: &str,
    member: &str,
    after: i64,
) -> Result<Vec<Letter>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT l.letter, l.seq, l.sender, l.sent_at, l.body FROM letters l
         WHERE l.workspace_id = ?1 AND l.seq > ?3
           AND (l.sender = ?2 OR EXISTS (SELECT 1 FROM letter_readers r
                WHERE r.workspace_id = l.workspace_id AND r.letter = l.letter AND r.reader = ?2))
         ORDER BY l.seq LIMIT ?4",
    )?;
    let rows = statement.query_map(params![workspace, member, after, PAGE], |row| {
        Ok(Letter {
            id: row.get(0)?,
            seq: row.get(1)?,
            from: row.get(2)?,
            at: row.get(3)?,
            body: row.get(4)?,
            to: Vec::new(),
        })
    })?;
    let mut letters = rows.collect::<Result<Vec<_>, _>>()?;
    let mut readers = connection.prepare(
        "SELECT reader FROM letter_readers WHERE workspace_id = ?1 AND letter = ?2 ORDER BY reader",
    )?;
    for letter in &mut letters {
        let rows = readers.query_map(params![workspace, letter.id], |row| row.get(0))?;
        letter.to = rows.collect::<Result<_, _>>()?;
    }
    Ok(letters)
}
