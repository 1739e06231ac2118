//! Published investor updates and what each recipient did with their link. The relay keeps the copy
//! a device handed it (`rapport_core::investor::UpdatePublication`) to serve without an account; the
//! update itself stays in the workspace's documents. Withdrawing keeps the row without its text, so
//! a link to it says it was withdrawn rather than that it never was, and the readers' activity stays.

use rapport_core::investor::{PublishedUpdate, Reaction, ReaderActivity, UpdatePublication};
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// What happened to a publication handed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    Published,
    /// A new update past the workspace's `most`: nothing changed.
    TooMany,
}

/// Publishes `publication` as update `update` of `workspace`, replacing an earlier revision or a
/// withdrawal.
pub fn publish(
    connection: &mut Connection,
    (workspace, update): (&str, &str),
    publication: &UpdatePublication,
    most: u64,
    at_ms: i64,
) -> Result<Kept, StoreError> {
    let transaction = connection.transaction()?;
    let (count, known): (i64, bool) = transaction.query_row(
        "SELECT COUNT(*), COALESCE(SUM(update_id = ?2), 0) > 0 FROM published_updates
         WHERE workspace_id = ?1",
        params![workspace, update],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    if !known && count as u64 >= most {
        return Ok(Kept::TooMany);
    }
    let text = serde_json::to_string(publication).expect("a publication serialises");
    transaction.execute(
        "INSERT INTO published_updates (workspace_id, update_id, publication, revision, published_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (workspace_id, update_id) DO UPDATE SET publication = ?3, revision = ?4,
             published_at = ?5",
        params![workspace, update, text, publication.revision(), at_ms],
    )?;
    transaction.commit()?;
    Ok(Kept::Published)
}

/// Withdraws update `update` of `workspace`: its links open no more. Says whether it was published.
pub fn withdraw(
    connection: &mut Connection,
    workspace: &str,
    update: &str,
) -> Result<bool, StoreError> {
    let changed = connection.execute(
        "UPDATE published_updates SET publication = NULL, revision = ''
         WHERE workspace_id = ?1 AND update_id = ?2 AND publication IS NOT NULL",
        params![workspace, update],
    )?;
    Ok(changed == 1)
}

/// Where a link leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// The update, which `reader` may read.
    Readable(Box<UpdatePublication>),
    /// Withdrawn, or `reader`'s link was revoked.
    Withdrawn,
    /// Not handed to the relay yet (the mail may arrive before the device that sent it publishes).
    NotYet,
}

/// What reader `reader`'s link to update `update` of `workspace` shows.
pub fn find(
    connection: &mut Connection,
    workspace: &str,
    update: &str,
    reader: &str,
) -> Result<Found, StoreError> {
    Ok(match publication_text(connection, workspace, update)? {
        None => Found::NotYet,
        Some(None) => Found::Withdrawn,
        Some(Some(text)) => match serde_json::from_str::<UpdatePublication>(&text) {
            Ok(publication) if publication.readers.iter().any(|r| r == reader) => {
                Found::Readable(Box::new(publication))
            }
            _ => Found::Withdrawn,
        },
    })
}

/// The publication's JSON: `None` for an update never handed over, `Some(None)` once withdrawn.
fn publication_text(
    connection: &Connection,
    workspace: &str,
    update: &str,
) -> Result<Option<Option<String>>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT publication FROM published_updates WHERE workspace_id = ?1 AND update_id = ?2",
            params![workspace, update],
            |row| row.get(0),
        )
        .optional()?)
}

/// Whether the current publication of update `update` lists `reader`.
fn lists(
    connection: &Connection,
    (workspace, update, reader): (&str, &str, &str),
) -> Result<bool, StoreError> {
    let text = publication_text(connection, workspace, update)?;
    let publication =
        text.flatten().and_then(|t| serde_json::from_str::<UpdatePublication>(&t).ok());
    Ok(publication.is_some_and(|p| p.readers.iter().any(|r| r == reader)))
}

/// Counts one opening of the update by `reader`, if they may still read it (checked in the same
/// transaction: a link revoked meanwhile counts nothing). Says whether it was counted.
pub fn opened(
    connection: &mut Connection,
    (workspace, update, reader): (&str, &str, &str),
    at_ms: i64,
) -> Result<bool, StoreError> {
    let transaction = connection.transaction()?;
    if !lists(&transaction, (workspace, update, reader))? {
        return Ok(false);
    }
    transaction.execute(
        "INSERT INTO update_readers (workspace_id, update_id, reader, opens, first_opened, last_opened)
         VALUES (?1, ?2, ?3, 1, ?4, ?4)
         ON CONFLICT (workspace_id, update_id, reader) DO UPDATE SET opens = opens + 1,
             first_opened = COALESCE(first_opened, ?4), last_opened = ?4",
        params![workspace, update, reader, at_ms],
    )?;
    transaction.commit()?;
    Ok(true)
}

/// Keeps `reader`'s reaction and comment (the latest counts), if they may still read the update
/// (checked in the same transaction). Says whether it was kept.
pub fn react(
    connection: &mut Connection,
    (workspace, update, reader): (&str, &str, &str),
    (reaction, comment): (Reaction, &str),
    at_ms: i64,
) -> Result<bool, StoreError> {
    let transaction = connection.transaction()?;
    if !lists(&transaction, (workspace, update, reader))? {
        return Ok(false);
    }
    transaction.execute(
        "INSERT INTO update_readers (workspace_id, update_id, reader, reaction, comment, reacted_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (workspace_id, update_id, reader) DO UPDATE SET reaction = ?4, comment = ?5,
             reacted_at = ?6",
        params![workspace, update, reader, reaction.code(), comment, at_ms],
    )?;
    transaction.commit()?;
    Ok(true)
}

/// Every update the relay keeps for `workspace`, with what its readers did, by id.
pub fn list(
    connection: &mut Connection,
    workspace: &str,
) -> Result<Vec<PublishedUpdate>, StoreError> {
    let mut updates: Vec<PublishedUpdate> = {
        let mut statement = connection.prepare(
            "SELECT update_id, revision, publication IS NULL FROM published_updates
             WHERE workspace_id = ?1 ORDER BY update_id",
        )?;
        let rows = statement.query_map(params![workspace], |row| {
            Ok(PublishedUpdate {
                id: row.get(0)?,
                revision: row.get(1)?,
                withdrawn: row.get(2)?,
                readers: Vec::new(),
            })
        })?;
        rows.collect::<Result<_, _>>()?
    };
    let mut statement = connection.prepare(
        "SELECT update_id, reader, opens, first_opened, last_opened, reaction, comment, reacted_at
         FROM update_readers WHERE workspace_id = ?1 ORDER BY update_id, reader",
    )?;
    let rows = statement.query_map(params![workspace], |row| {
        let reaction: Option<String> = row.get(5)?;
        Ok((
            row.get::<_, String>(0)?,
            ReaderActivity {
                reader: row.get(1)?,
                opens: row.get(2)?,
                first_opened: row.get(3)?,
                last_opened: row.get(4)?,
                reaction: reaction.as_deref().and_then(Reaction::from_code),
                comment: row.get(6)?,
                reacted_at: row.get(7)?,
            },
        ))
    })?;
    for row in rows {
        let (update, activity) = row?;
        // Both are ordered by update id.
        if let Ok(at) = updates.binary_search_by(|u| u.id.as_str().cmp(&update)) {
            updates[at].readers.push(activity);
        }
    }
    Ok(updates)
}
