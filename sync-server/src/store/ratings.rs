//! Satisfaction surveys' answers: one per survey key (a ticket's id) and workspace, kept in the order
//! received for devices to file.

use rapport_core::satisfaction::Answer;
use rusqlite::{Connection, params};

use super::StoreError;

/// Keeps the answer to survey `key` of `workspace` unless it was answered before; says whether it
/// was kept.
pub fn answer(
    connection: &mut Connection,
    workspace: &str,
    key: &str,
    score: u8,
    comment: &str,
    at_ms: i64,
) -> Result<bool, StoreError> {
    let kept = connection.execute(
        "INSERT INTO ratings (workspace_id, key, score, comment, answered_at)
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (workspace_id, key) DO NOTHING",
        params![workspace, key, score, comment, at_ms],
    )?;
    Ok(kept == 1)
}

/// Whether survey `key` of `workspace` was answered.
pub fn answered(
    connection: &mut Connection,
    workspace: &str,
    key: &str,
) -> Result<bool, StoreError> {
    Ok(connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM ratings WHERE workspace_id = ?1 AND key = ?2)",
        params![workspace, key],
        |row| row.get(0),
    )?)
}

/// At most `most` answers of `workspace` received after `after`, oldest first.
pub fn after(
    connection: &mut Connection,
    workspace: &str,
    after: i64,
    most: usize,
) -> Result<Vec<Answer>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT seq, key, score, comment, answered_at FROM ratings
         WHERE workspace_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = statement.query_map(params![workspace, after, most as i64], |row| {
        Ok(Answer {
            seq: row.get(0)?,
            key: row.get(1)?,
            score: row.get(2)?,
            comment: row.get(3)?,
            at: row.get(4)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
