//! Which attachments each workspace holds, for its quota: a row per file (the bytes live on disk, see
//! `crate::files`).

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// A file as the catalogue knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub size: u64,
    pub content_type: String,
}

#[derive(Debug)]
pub struct NewFile<'a> {
    pub workspace: &'a str,
    pub hash: &'a str,
    pub size: u64,
    pub content_type: &'a str,
    /// The member who uploaded it; none for a file the relay received itself (a mail's).
    pub uploaded_by: Option<i64>,
    pub now: i64,
    /// What all of the workspace's files may take, this one included.
    pub quota: u64,
}

pub fn find(
    connection: &mut Connection,
    workspace: &str,
    hash: &str,
) -> Result<Option<Known>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT size, content_type FROM files WHERE workspace_id = ?1 AND hash = ?2",
            params![workspace, hash],
            |row| Ok(Known { size: row.get::<_, i64>(0)? as u64, content_type: row.get(1)? }),
        )
        .optional()?)
}

/// Stops counting file `hash` of `workspace` (nothing happens when it is not counted).
pub fn remove(connection: &mut Connection, workspace: &str, hash: &str) -> Result<(), StoreError> {
    connection.execute(
        "DELETE FROM files WHERE workspace_id = ?1 AND hash = ?2",
        params![workspace, hash],
    )?;
    Ok(())
}

/// Bytes all of `workspace`'s files take.
pub fn used(connection: &mut Connection, workspace: &str) -> Result<u64, StoreError> {
    let used: i64 = connection.query_row(
        "SELECT COALESCE(SUM(size), 0) FROM files WHERE workspace_id = ?1",
        [workspace],
        |row| row.get(0),
    )?;
    Ok(used as u64)
}

/// What the files of `workspace` the relay received itself (mails' attachments, no uploader) take.
pub fn received(connection: &mut Connection, workspace: &str) -> Result<u64, StoreError> {
    let received: i64 = connection.query_row(
        "SELECT COALESCE(SUM(size), 0) FROM files WHERE workspace_id = ?1 AND uploaded_by IS NULL",
        [workspace],
        |row| row.get(0),
    )?;
    Ok(received as u64)
}

/// Counts `file` in its workspace unless it is there already (returns whether it was added);
/// `FilesQuota` if it would take the workspace past its quota. One transaction: two uploads at once
/// cannot both fit where one does.
pub fn add(connection: &mut Connection, file: NewFile<'_>) -> Result<bool, StoreError> {
    let tx = connection.transaction()?;
    let used: i64 = tx.query_row(
        "SELECT COALESCE(SUM(size), 0) FROM files WHERE workspace_id = ?1",
        [file.workspace],
        |row| row.get(0),
    )?;
    let exists = tx
        .query_row(
            "SELECT 1 FROM files WHERE workspace_id = ?1 AND hash = ?2",
            params![file.workspace, file.hash],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if exists {
        return Ok(false);
    }
    if (used as u64).saturating_add(file.size) > file.quota {
        return Err(StoreError::FilesQuota);
    }
    tx.execute(
        "INSERT INTO files (workspace_id, hash, size, content_type, uploaded_by, uploaded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            file.workspace,
            file.hash,
            file.size as i64,
            file.content_type,
            file.uploaded_by,
            file.now
        ],
    )?;
    tx.commit()?;
    Ok(true)
}
