//! The services' ledger in the embedded database: the outbox (one row per workspace and id, whatever
//! number of devices or retries asked for it) and the consent log.

use rapport_core::outbox::{Changes, ConsentEvent, Entry, OutboxId, State};
use rapport_core::tracking::EngagementEvent;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::StoreError;

/// A piece of work as a device hands it over.
#[derive(Debug)]
pub struct NewWork<'a> {
    pub workspace: &'a str,
    pub id: &'a OutboxId,
    pub kind: &'a str,
    /// The device's request as JSON, checked by the caller.
    pub payload: &'a str,
    /// [`rapport_core::outbox::Work::digest`] of the request.
    pub digest: &'a str,
    /// Not before this time (a scheduled job); now when none.
    pub due_at: Option<i64>,
    /// Handing over other work under an existing id replaces it (a job), rather than changing
    /// nothing (a mail).
    pub replaceable: bool,
    pub queued_by: i64,
    pub now: i64,
    /// The most unfinished entries of this kind a workspace may have (of stamps: the most it may
    /// have at all).
    pub most_pending: u64,
    /// Nothing is to be done but note it (a stamp): it is `recorded` at once.
    pub record_only: bool,
}

/// Queues `work` unless an entry with its id exists in its workspace. An existing entry stays as it
/// is — unless the work is replaceable and differs (another digest, or it was cancelled): then it is
/// replaced and waits for its new time, and the devices it reached may be reached again. Returns the
/// entry, and whether anything changed. A job being handed over right now cannot be replaced
/// ([`StoreError::UnderWay`]).
pub fn queue(connection: &mut Connection, work: NewWork<'_>) -> Result<(Entry, bool), StoreError> {
    let tx = connection.transaction()?;
    let queued = queue_in(&tx, work)?;
    tx.commit()?;
    Ok(queued)
}

/// Queues each of `works` as [`queue`] does, in one transaction (a campaign's thousands of mails are
/// one write, not thousands): each answer is the entry or why that one was not queued (the outbox
/// full, a job under way). A database error fails them all, and nothing is queued.
#[allow(clippy::type_complexity)]
pub fn queue_many(
    connection: &mut Connection,
    works: Vec<NewWork<'_>>,
) -> Result<Vec<Result<(Entry, bool), StoreError>>, StoreError> {
    let tx = connection.transaction()?;
    let mut answers = Vec::with_capacity(works.len());
    for work in works {
        match queue_in(&tx, work) {
            Err(error @ (StoreError::OutboxFull | StoreError::UnderWay)) => {
                answers.push(Err(error))
            }
            Err(error) => return Err(error),
            Ok(queued) => answers.push(Ok(queued)),
        }
    }
    tx.commit()?;
    Ok(answers)
}

/// [`queue`] inside a transaction. Refuses (full, under way) before writing anything.
fn queue_in(tx: &Transaction<'_>, work: NewWork<'_>) -> Result<(Entry, bool), StoreError> {
    let existing = entry_in(tx, work.workspace, work.id)?;
    if let Some(existing) = &existing {
        let same =
            existing.digest.as_deref() == Some(work.digest) && existing.state != State::Cancelled;
        if !work.replaceable || existing.kind != work.kind || same {
            return Ok((existing.clone(), false));
        }
        if existing.state == State::Sending {
            return Err(StoreError::UnderWay);
        }
    }
    // Already pushed, and its time has not moved (the task renamed after its reminder went): the new
    // text is kept for the record, and nobody is reminded again.
    let done_at_same_time = existing
        .as_ref()
        .is_some_and(|entry| entry.state == State::Sent && entry.due_at == work.due_at);
    // An entry that starts to wait — a new one, or a finished or cancelled one replaced — counts
    // against the workspace's limit; one already waiting is only changed.
    let starts_waiting = match &existing {
        None => true,
        Some(entry) => entry.state.is_final() && !done_at_same_time,
    };
    if starts_waiting && waiting(tx, work.workspace, work.kind)? >= work.most_pending {
        return Err(StoreError::OutboxFull);
    }
    let version = next_version(tx, work.workspace)?;
    let next_at = work.due_at.unwrap_or(work.now);
    if done_at_same_time {
        tx.execute(
            "UPDATE outbox SET payload = ?3, queued_by = ?4, updated_at = ?5, version = ?6,
                 digest = ?7
             WHERE workspace_id = ?1 AND id = ?2",
            params![
                work.workspace,
                work.id.as_str(),
                work.payload,
                work.queued_by,
                work.now,
                version,
                work.digest
            ],
        )?;
    } else if existing.is_some() {
        tx.execute(
            "UPDATE outbox SET payload = ?3, queued_by = ?4, state = 'queued', attempts = 0,
                 next_attempt_at = ?5, reason = NULL, updated_at = ?6, version = ?7, due_at = ?8,
                 digest = ?9
             WHERE workspace_id = ?1 AND id = ?2",
            params![
                work.workspace,
                work.id.as_str(),
                work.payload,
                work.queued_by,
                next_at,
                work.now,
                version,
                work.due_at,
                work.digest
            ],
        )?;
        tx.execute(
            "DELETE FROM push_deliveries WHERE workspace_id = ?1 AND id = ?2",
            params![work.workspace, work.id.as_str()],
        )?;
    } else {
        tx.execute(
            "INSERT INTO outbox (workspace_id, id, kind, payload, queued_by, queued_at, state,
                 next_attempt_at, updated_at, version, due_at, digest)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?11, ?7, ?6, ?8, ?9, ?10)",
            params![
                work.workspace,
                work.id.as_str(),
                work.kind,
                work.payload,
                work.queued_by,
                work.now,
                next_at,
                version,
                work.due_at,
                work.digest,
                if work.record_only { State::Recorded } else { State::Queued }.as_str()
            ],
        )?;
    }
    let entry = entry_in(tx, work.workspace, work.id)?.ok_or(StoreError::Duplicate)?;
    Ok((entry, true))
}

/// Cancels the entry `id` if it is waiting (a job not yet due, or a mail not yet handed over):
/// returns it as it now is, `None` when there is no such entry, [`StoreError::UnderWay`] while it is
/// being handed over. A finished entry stays as it is.
pub fn cancel(
    connection: &mut Connection,
    workspace: &str,
    id: &OutboxId,
    now: i64,
) -> Result<Option<Entry>, StoreError> {
    let tx = connection.transaction()?;
    let Some(existing) = entry_in(&tx, workspace, id)? else { return Ok(None) };
    match existing.state {
        State::Sending => return Err(StoreError::UnderWay),
        State::Queued => {
            let version = next_version(&tx, workspace)?;
            tx.execute(
                "UPDATE outbox SET state = 'cancelled', updated_at = ?3, version = ?4
                 WHERE workspace_id = ?1 AND id = ?2",
                params![workspace, id.as_str(), now, version],
            )?;
            // A retry between two attempts is cancelled: the devices it reached no longer matter.
            tx.execute(
                "DELETE FROM push_deliveries WHERE workspace_id = ?1 AND id = ?2",
                params![workspace, id.as_str()],
            )?;
        }
        _ => return Ok(Some(existing)),
    }
    let entry = entry_in(&tx, workspace, id)?;
    tx.commit()?;
    Ok(entry)
}

/// How many entries of `kind` wait in `workspace` (queued or being sent), as the database keeps count
/// (schema 10's triggers).
fn waiting(tx: &Transaction<'_>, workspace: &str, kind: &str) -> Result<u64, StoreError> {
    let waiting: Option<i64> = tx
        .query_row(
            "SELECT waiting FROM outbox_waiting WHERE workspace_id = ?1 AND kind = ?2",
            params![workspace, kind],
            |row| row.get(0),
        )
        .optional()?;
    Ok(waiting.unwrap_or(0).max(0) as u64)
}

fn next_version(tx: &Transaction<'_>, workspace: &str) -> Result<i64, StoreError> {
    Ok(tx.query_row(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM outbox WHERE workspace_id = ?1",
        [workspace],
        |row| row.get(0),
    )?)
}

const ENTRY_COLUMNS: &str =
    "id, kind, state, attempts, queued_at, updated_at, reason, message_id, version, due_at, digest";

fn entry_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    let id: String = row.get(0)?;
    let state: String = row.get(2)?;
    let bad = |column: usize| {
        rusqlite::Error::FromSqlConversionFailure(
            column,
            rusqlite::types::Type::Text,
            "not an outbox id or state".into(),
        )
    };
    Ok(Entry {
        id: OutboxId::parse(&id).map_err(|_| bad(0))?,
        kind: row.get(1)?,
        state: State::parse(&state).ok_or_else(|| bad(2))?,
        attempts: row.get(3)?,
        queued_at: row.get(4)?,
        updated_at: row.get(5)?,
        reason: row.get(6)?,
        message_id: row.get(7)?,
        version: row.get(8)?,
        due_at: row.get(9)?,
        digest: row.get(10)?,
    })
}

fn entry_in(
    connection: &Connection,
    workspace: &str,
    id: &OutboxId,
) -> Result<Option<Entry>, StoreError> {
    Ok(connection
        .query_row(
            &format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE workspace_id = ?1 AND id = ?2"),
            params![workspace, id.as_str()],
            entry_row,
        )
        .optional()?)
}

pub fn entry(
    connection: &mut Connection,
    workspace: &str,
    id: &OutboxId,
) -> Result<Option<Entry>, StoreError> {
    entry_in(connection, workspace, id)
}

/// The entries of `workspace` changed after `after`, oldest change first, `limit` at most.
pub fn changes(
    connection: &mut Connection,
    workspace: &str,
    after: i64,
    limit: usize,
) -> Result<Changes, StoreError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {ENTRY_COLUMNS} FROM outbox WHERE workspace_id = ?1 AND version > ?2
         ORDER BY version LIMIT ?3"
    ))?;
    let mut entries = statement
        .query_map(params![workspace, after, limit as i64 + 1], entry_row)?
        .collect::<Result<Vec<_>, _>>()?;
    let more = entries.len() > limit;
    entries.truncate(limit);
    let version = entries.last().map_or(after, |entry| entry.version);
    Ok(Changes { entries, version, more })
}

/// A piece of work whose turn has come, taken for one attempt.
#[derive(Debug, Clone)]
pub struct Due {
    pub workspace: String,
    pub id: OutboxId,
    pub kind: String,
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempt: u32,
}

/// Takes up to `limit` queued entries of `kind` due at `now` for an attempt each: they become
/// `sending`, their attempt counted (`lease_until` is kept as their next time, for the record). An
/// entry `sending` is never taken again while this relay runs; one a relay was sending when it died
/// is queued again on restart ([`resume_interrupted`]).
pub fn take_due(
    connection: &mut Connection,
    kind: &str,
    now: i64,
    lease_until: i64,
    limit: usize,
) -> Result<Vec<Due>, StoreError> {
    let tx = connection.transaction()?;
    let due = {
        let mut statement = tx.prepare_cached(
            "SELECT workspace_id, id, kind, payload, attempts FROM outbox
             WHERE kind = ?1 AND state = 'queued' AND next_attempt_at <= ?2
             ORDER BY next_attempt_at LIMIT ?3",
        )?;
        statement
            .query_map(params![kind, now, limit as i64], |row| {
                let id: String = row.get(1)?;
                Ok((row.get(0)?, id, row.get(2)?, row.get(3)?, row.get::<_, u32>(4)?))
            })?
            .collect::<Result<Vec<(String, String, String, String, u32)>, _>>()?
    };
    let mut taken = Vec::with_capacity(due.len());
    for (workspace, id, kind, payload, attempts) in due {
        let version = next_version(&tx, &workspace)?;
        tx.execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ?3,
                 updated_at = ?4, version = ?5
             WHERE workspace_id = ?1 AND id = ?2",
            params![workspace, id, lease_until, now, version],
        )?;
        let Ok(id) = OutboxId::parse(&id) else { continue };
        taken.push(Due { workspace, id, kind, payload, attempt: attempts + 1 });
    }
    tx.commit()?;
    Ok(taken)
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        message_id: String,
        reply: String,
    },
    /// Done without a message id (a push): what happened, in words.
    Delivered {
        reply: String,
    },
    /// Try again at `at` (unix seconds).
    Retry {
        at: i64,
        reason: String,
    },
    Failed {
        reason: String,
    },
    Suppressed {
        reason: String,
    },
}

/// The request entry `id` holds (its JSON), if there is one.
pub fn payload(
    connection: &mut Connection,
    workspace: &str,
    id: &OutboxId,
) -> Result<Option<String>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT payload FROM outbox WHERE workspace_id = ?1 AND id = ?2",
            params![workspace, id.as_str()],
            |row| row.get(0),
        )
        .optional()?)
}

/// Marks the sent mail `id` bounced with `reason` (a notification came back); returns whether it was
/// sent (a second notification for it changes nothing).
pub fn bounced(
    connection: &mut Connection,
    workspace: &str,
    id: &OutboxId,
    reason: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let tx = connection.transaction()?;
    let version = next_version(&tx, workspace)?;
    let marked = tx.execute(
        "UPDATE outbox SET state = 'bounced', reason = ?3, updated_at = ?4, version = ?5
         WHERE workspace_id = ?1 AND id = ?2 AND state = 'sent'",
        params![workspace, id.as_str(), reason, now, version],
    )?;
    tx.commit()?;
    Ok(marked > 0)
}

/// Records how attempt `attempt` at `id` ended — only if that attempt is still the one under way.
pub fn finish(
    connection: &mut Connection,
    workspace: &str,
    id: &OutboxId,
    attempt: u32,
    outcome: &Outcome,
    now: i64,
) -> Result<(), StoreError> {
    let tx = connection.transaction()?;
    let version = next_version(&tx, workspace)?;
    let (state, next_at, reason, message_id) = match outcome {
        Outcome::Sent { message_id, reply } => ("sent", now, reply, Some(message_id)),
        Outcome::Delivered { reply } => ("sent", now, reply, None),
        Outcome::Retry { at, reason } => ("queued", *at, reason, None),
        Outcome::Failed { reason } => ("failed", now, reason, None),
        Outcome::Suppressed { reason } => ("suppressed", now, reason, None),
    };
    // Only an attempt still under way is recorded: nothing else may have changed it meanwhile.
    let recorded = tx.execute(
        "UPDATE outbox SET state = ?3, next_attempt_at = ?4, reason = ?5,
             message_id = COALESCE(?6, message_id), updated_at = ?7, version = ?8
         WHERE workspace_id = ?1 AND id = ?2 AND state = 'sending' AND attempts = ?9",
        params![workspace, id.as_str(), state, next_at, reason, message_id, now, version, attempt],
    )?;
    // Finished: never taken again (a new version starts afresh), so which devices it reached no
    // longer matters.
    if recorded > 0 && state != "queued" {
        tx.execute(
            "DELETE FROM push_deliveries WHERE workspace_id = ?1 AND id = ?2",
            params![workspace, id.as_str()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The earliest time an unfinished entry of `kind` is due, if any.
pub fn next_due(connection: &mut Connection, kind: &str) -> Result<Option<i64>, StoreError> {
    Ok(connection.query_row(
        "SELECT MIN(next_attempt_at) FROM outbox WHERE kind = ?1 AND state IN ('queued', 'sending')",
        [kind],
        |row| row.get(0),
    )?)
}

/// After a restart: entries a previous run was handing over when it stopped are due now. At most
/// those are sent twice — the mail server may have taken one before the relay died — and they go
/// again with the same `Message-ID`, so a receiving server or reader can tell.
pub fn resume_interrupted(
    connection: &mut Connection,
    kind: &str,
    now: i64,
) -> Result<usize, StoreError> {
    Ok(connection.execute(
        "UPDATE outbox SET state = 'queued', next_attempt_at = ?2 WHERE kind = ?1 AND state = 'sending'",
        params![kind, now],
    )?)
}

/// The secret that signs unsubscribe links, made when the database was.
pub fn link_secret(connection: &mut Connection) -> Result<String, StoreError> {
    Ok(connection
        .query_row("SELECT value FROM relay WHERE key = 'link_secret'", [], |row| row.get(0))?)
}

pub fn workspace_exists(connection: &mut Connection, workspace: &str) -> Result<bool, StoreError> {
    Ok(connection
        .query_row("SELECT 1 FROM workspaces WHERE id = ?1", [workspace], |_| Ok(()))
        .optional()?
        .is_some())
}

fn consent_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ConsentEvent> {
    Ok(ConsentEvent {
        seq: row.get(0)?,
        address: row.get(1)?,
        opted_in: row.get(2)?,
        source: row.get(3)?,
        at: row.get(4)?,
    })
}

/// The latest consent event of `address` (normalised) in `workspace`.
pub fn latest_consent(
    connection: &Connection,
    workspace: &str,
    address: &str,
) -> Result<Option<ConsentEvent>, StoreError> {
    Ok(connection
        .query_row(
            "SELECT seq, address, opted_in, source, at FROM consent_events
             WHERE workspace_id = ?1 AND address = ?2 ORDER BY seq DESC LIMIT 1",
            params![workspace, address],
            consent_row,
        )
        .optional()?)
}

/// Records that `address` (normalised) opted in or out, unless its latest event already says so;
/// returns the event recorded.
pub fn record_consent(
    connection: &mut Connection,
    workspace: &str,
    address: &str,
    opted_in: bool,
    source: &str,
    now: i64,
) -> Result<Option<ConsentEvent>, StoreError> {
    let tx = connection.transaction()?;
    if latest_consent(&tx, workspace, address)?.is_some_and(|latest| latest.opted_in == opted_in) {
        return Ok(None);
    }
    tx.execute(
        "INSERT INTO consent_events (workspace_id, address, opted_in, source, at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![workspace, address, opted_in, source, now],
    )?;
    let seq = tx.last_insert_rowid();
    tx.commit()?;
    Ok(Some(ConsentEvent {
        seq,
        address: address.to_owned(),
        opted_in,
        source: source.to_owned(),
        at: now,
    }))
}

/// Consent events of `workspace` after `after`, oldest first, `limit` at most.
pub fn consent_events(
    connection: &mut Connection,
    workspace: &str,
    after: i64,
    limit: usize,
) -> Result<Vec<ConsentEvent>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT seq, address, opted_in, source, at FROM consent_events
         WHERE workspace_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let events = statement
        .query_map(params![workspace, after, limit as i64], consent_row)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(events)
}

/// The first of `addresses` (normalised) whose latest consent event is an opt-out, with that event.
pub fn opted_out(
    connection: &mut Connection,
    workspace: &str,
    addresses: &[String],
) -> Result<Option<ConsentEvent>, StoreError> {
    for address in addresses {
        if let Some(latest) = latest_consent(connection, workspace, address)?
            && !latest.opted_in
        {
            return Ok(Some(latest));
        }
    }
    Ok(None)
}

/// Records the first open (`link` `None`) or the first click of `link` of mail `item` in `workspace`:
/// `Some(true)` when this was the first, `Some(false)` when it was recorded before, `None` when the
/// ledger holds no such mail (a token of a workspace deleted since, say), which records nothing.
pub fn record_engagement(
    connection: &mut Connection,
    workspace: &str,
    item: &str,
    link: Option<&str>,
    now: i64,
) -> Result<Option<bool>, StoreError> {
    let tx = connection.transaction()?;
    let held = tx
        .query_row(
            "SELECT 1 FROM outbox WHERE workspace_id = ?1 AND id = ?2",
            params![workspace, item],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if !held {
        return Ok(None);
    }
    let recorded = tx.execute(
        "INSERT INTO engagement (workspace_id, item, link, at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (workspace_id, item, link) DO NOTHING",
        params![workspace, item, link.unwrap_or_default(), now],
    )?;
    tx.commit()?;
    Ok(Some(recorded == 1))
}

/// Opens and clicks in `workspace` after `after`, oldest first, `limit` rows at most; the last row's
/// sequence number (`after` when there is none), to ask after next; and how many rows were read.
pub fn engagement_events(
    connection: &mut Connection,
    workspace: &str,
    after: i64,
    limit: usize,
) -> Result<(Vec<EngagementEvent>, i64, usize), StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT seq, item, link, at FROM engagement
         WHERE workspace_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let rows = statement
        .query_map(params![workspace, after, limit as i64], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get(3)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let (last, read) = (rows.last().map_or(after, |row| row.0), rows.len());
    // Only ids the ledger took are recorded; one that no longer parses is skipped, not fatal.
    let events = rows
        .into_iter()
        .filter_map(|(seq, item, link, at)| {
            Some(EngagementEvent {
                seq,
                item: OutboxId::parse(&item).ok()?,
                link: (!link.is_empty()).then_some(link),
                at,
            })
        })
        .collect();
    Ok((events, last, read))
}
