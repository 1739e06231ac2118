//! Private documents (schema 19): a member's document in a workspace that only their own account
//! syncs — what a 1:1's private notes live in. Every other document of a workspace is readable by all
//! its members; the relay checks this table before any other rule (`sync::Connection::may_sync`).

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// The private document of `account` in `workspace`: the one it has, or `candidate` (a fresh random
/// id) made its own now.
pub fn private_document(
    connection: &mut Connection,
    workspace: &str,
    account: i64,
    candidate: &str,
) -> Result<String, StoreError> {
    connection.execute(
        "INSERT INTO private_documents (workspace_id, account_id, document) VALUES (?1, ?2, ?3)
         ON CONFLICT (workspace_id, account_id) DO NOTHING",
        params![workspace, account, candidate],
    )?;
    Ok(connection.query_row(
        "SELECT document FROM private_documents WHERE workspace_id = ?1 AND account_id = ?2",
        params![workspace, account],
        |row| row.get(0),
    )?)
}

/// The account whose private document `document` of `workspace` is, if it is one.
pub fn owner_of(
    connection: &Connection,
    workspace: &str,
    document: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT account_id FROM private_documents WHERE workspace_id = ?1 AND document = ?2",
            params![workspace, document],
            |row| row.get(0),
        )
        .optional()?)
}
