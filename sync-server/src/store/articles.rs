//! Published knowledge-base articles and readers' "was this helpful?" answers. The relay keeps the
//! copy a device handed it (`rapport_core::knowledge::Publication`) to serve without an account; the
//! articles themselves stay in the workspace's documents.

use rapport_core::knowledge::{Publication, PublishedArticle};
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// A published article as the help pages show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub article: String,
    pub publication: Publication,
    pub published_at: i64,
}

/// Publishes `publication` as article `article` of `workspace`, replacing an earlier revision; `false`
/// (nothing changed) when it is a new one and the workspace publishes `most` already.
pub fn publish(
    connection: &mut Connection,
    (workspace, article): (&str, &str),
    publication: &Publication,
    most: u64,
    at_ms: i64,
) -> Result<bool, StoreError> {
    let transaction = connection.transaction()?;
    let (count, known): (i64, bool) = transaction.query_row(
        "SELECT COUNT(*), COALESCE(SUM(article = ?2), 0) > 0 FROM published_articles
         WHERE workspace_id = ?1",
        params![workspace, article],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    if !known && count as u64 >= most {
        return Ok(false);
    }
    transaction.execute(
        "INSERT INTO published_articles
             (workspace_id, article, title, category, body, revision, published_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (workspace_id, article) DO UPDATE SET title = ?3, category = ?4, body = ?5,
             revision = ?6, published_at = ?7",
        params![
            workspace,
            article,
            publication.title,
            publication.category,
            publication.body,
            publication.revision(),
            at_ms
        ],
    )?;
    transaction.commit()?;
    Ok(true)
}

/// Takes article `article` of `workspace` off the help pages; says whether it was on them. Readers'
/// answers stay, for when it is published again.
pub fn withdraw(
    connection: &mut Connection,
    workspace: &str,
    article: &str,
) -> Result<bool, StoreError> {
    let removed = connection.execute(
        "DELETE FROM published_articles WHERE workspace_id = ?1 AND article = ?2",
        params![workspace, article],
    )?;
    Ok(removed == 1)
}

/// Every published article of `workspace` with its revision and readers' answers, by id.
pub fn list(
    connection: &mut Connection,
    workspace: &str,
) -> Result<Vec<PublishedArticle>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT p.article, p.revision,
                COALESCE(SUM(v.helpful = 1), 0), COALESCE(SUM(v.helpful = 0), 0)
         FROM published_articles p
         LEFT JOIN article_votes v ON v.workspace_id = p.workspace_id AND v.article = p.article
         WHERE p.workspace_id = ?1 GROUP BY p.article ORDER BY p.article",
    )?;
    let rows = statement.query_map(params![workspace], |row| {
        Ok(PublishedArticle {
            id: row.get(0)?,
            revision: row.get(1)?,
            helpful: row.get(2)?,
            not_helpful: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every published article of `workspace` without its text (id, title, category), for the help
/// pages' index.
pub fn index(
    connection: &mut Connection,
    workspace: &str,
) -> Result<Vec<(String, Publication)>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT article, title, category FROM published_articles WHERE workspace_id = ?1",
    )?;
    let rows = statement.query_map(params![workspace], |row| {
        let publication =
            Publication { title: row.get(1)?, category: row.get(2)?, body: String::new() };
        Ok((row.get(0)?, publication))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Published article `article` of `workspace`, if it is published.
pub fn page_of(
    connection: &mut Connection,
    workspace: &str,
    article: &str,
) -> Result<Option<Page>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT article, title, category, body, published_at FROM published_articles
             WHERE workspace_id = ?1 AND article = ?2",
            params![workspace, article],
            page,
        )
        .optional()?)
}

fn page(row: &rusqlite::Row<'_>) -> rusqlite::Result<Page> {
    Ok(Page {
        article: row.get(0)?,
        publication: Publication { title: row.get(1)?, category: row.get(2)?, body: row.get(3)? },
        published_at: row.get(4)?,
    })
}

/// The name of `workspace`, if it exists.
pub fn workspace_name(
    connection: &mut Connection,
    workspace: &str,
) -> Result<Option<String>, StoreError> {
    Ok(connection
        .query_row("SELECT name FROM workspaces WHERE id = ?1", params![workspace], |row| {
            row.get(0)
        })
        .optional()?)
}

/// Keeps reader `reader`'s answer about article `article` (a published one): one per reader, the
/// latest counting. Says whether the article is published.
pub fn vote(
    connection: &mut Connection,
    workspace: &str,
    article: &str,
    reader: &str,
    helpful: bool,
    at_ms: i64,
) -> Result<bool, StoreError> {
    let kept = connection.execute(
        "INSERT INTO article_votes (workspace_id, article, reader, helpful, voted_at)
         SELECT ?1, ?2, ?3, ?4, ?5 WHERE EXISTS
             (SELECT 1 FROM published_articles WHERE workspace_id = ?1 AND article = ?2)
         ON CONFLICT (workspace_id, article, reader) DO UPDATE SET helpful = ?4, voted_at = ?5",
        params![workspace, article, reader, helpful, at_ms],
    )?;
    Ok(kept == 1)
}
