//! Web Push in the embedded database: each account's push subscriptions (one per device and browser),
//! the relay's VAPID key, and which devices each job has reached.

use rapport_core::ids::MemberId;
use rapport_core::outbox::OutboxId;
use rapport_core::workspace::member_of_account;
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// A device's push subscription, as its browser gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub endpoint: String,
    /// The browser's P-256 public key (base64url, uncompressed point).
    pub p256dh: String,
    /// The browser's authentication secret (base64url).
    pub auth: String,
}

/// Keeps `subscription` for `account`'s session `session_hash` (it ends with the session). A browser
/// that subscribed under another account or session before (a shared device, an account switched)
/// now belongs to this one. Returns whether it is new.
pub fn subscribe(
    connection: &mut Connection,
    account: i64,
    session_hash: &str,
    subscription: &Subscription,
    now: i64,
    most_per_account: u64,
) -> Result<bool, StoreError> {
    let tx = connection.transaction()?;
    let known: Option<i64> = tx
        .query_row(
            "SELECT account_id FROM push_subscriptions WHERE endpoint = ?1",
            [&subscription.endpoint],
            |row| row.get(0),
        )
        .optional()?;
    if known.is_none() {
        let held: i64 = tx.query_row(
            "SELECT COUNT(*) FROM push_subscriptions WHERE account_id = ?1",
            [account],
            |row| row.get(0),
        )?;
        if held as u64 >= most_per_account {
            // The oldest goes: a person's old phones and browsers give way to the new one.
            tx.execute(
                "DELETE FROM push_subscriptions WHERE endpoint IN (SELECT endpoint FROM
                     push_subscriptions WHERE account_id = ?1 ORDER BY created_at, endpoint LIMIT 1)",
                [account],
            )?;
        }
    }
    // An endpoint changes hands only with its browser's own secret: someone who merely learnt the
    // address cannot take another person's pushes.
    tx.execute(
        "INSERT INTO push_subscriptions (endpoint, account_id, session_hash, p256dh, auth, created_at)
         VALUES (?1, ?2, ?6, ?3, ?4, ?5)
         ON CONFLICT (endpoint) DO UPDATE SET account_id = ?2, session_hash = ?6, p256dh = ?3
         WHERE push_subscriptions.auth = ?4",
        params![
            subscription.endpoint,
            account,
            subscription.p256dh,
            subscription.auth,
            now,
            session_hash
        ],
    )?;
    tx.commit()?;
    Ok(known.is_none())
}

/// Forgets `endpoint` if `account` holds it; returns whether it did.
pub fn unsubscribe(
    connection: &mut Connection,
    account: i64,
    endpoint: &str,
) -> Result<bool, StoreError> {
    Ok(connection.execute(
        "DELETE FROM push_subscriptions WHERE endpoint = ?1 AND account_id = ?2",
        params![endpoint, account],
    )? > 0)
}

/// Forgets `endpoint` whoever holds it (the push service said it is gone).
pub fn forget(connection: &mut Connection, endpoint: &str) -> Result<(), StoreError> {
    connection.execute("DELETE FROM push_subscriptions WHERE endpoint = ?1", [endpoint])?;
    Ok(())
}

/// How many subscriptions `account` holds.
pub fn count(connection: &mut Connection, account: i64) -> Result<u64, StoreError> {
    let n: i64 = connection.query_row(
        "SELECT COUNT(*) FROM push_subscriptions WHERE account_id = ?1",
        [account],
        |row| row.get(0),
    )?;
    Ok(n as u64)
}

/// The subscriptions job `id` of `workspace` is still to reach: those of the workspace's current
/// members (of `to`, or every member when `to` is empty) that it has not reached yet. Membership is
/// read now, at send time: someone removed since the job was registered gets nothing.
pub fn targets(
    connection: &mut Connection,
    workspace: &str,
    id: &OutboxId,
    to: &[MemberId],
) -> Result<Vec<Subscription>, StoreError> {
    let mut statement = connection.prepare_cached(
        "SELECT a.email, s.endpoint, s.p256dh, s.auth
         FROM memberships m
         JOIN accounts a ON a.id = m.account_id
         JOIN push_subscriptions s ON s.account_id = m.account_id
         WHERE m.workspace_id = ?1
           AND NOT EXISTS (SELECT 1 FROM push_deliveries d
                           WHERE d.workspace_id = ?1 AND d.id = ?2 AND d.endpoint = s.endpoint)
         ORDER BY s.endpoint",
    )?;
    let rows = statement.query_map(params![workspace, id.as_str()], |row| {
        let email: String = row.get(0)?;
        Ok((email, Subscription { endpoint: row.get(1)?, p256dh: row.get(2)?, auth: row.get(3)? }))
    })?;
    let mut targets = Vec::new();
    for row in rows {
        let (email, subscription) = row?;
        if to.is_empty() || to.contains(&member_of_account(&email)) {
            targets.push(subscription);
        }
    }
    Ok(targets)
}

/// How many devices job `id` has reached, and how many refused it for good.
pub fn delivered_count(
    connection: &mut Connection,
    workspace: &str,
    id: &OutboxId,
) -> Result<(u64, u64), StoreError> {
    let (reached, refused): (i64, i64) = connection.query_row(
        "SELECT COALESCE(SUM(reached), 0), COUNT(*) - COALESCE(SUM(reached), 0)
         FROM push_deliveries WHERE workspace_id = ?1 AND id = ?2",
        params![workspace, id.as_str()],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    Ok((reached as u64, refused as u64))
}

/// Records that job `id` is done with `endpoint`: it `reached` the device, or its push service refused
/// it for good. Either way the job is not pushed there again.
pub fn delivered(
    connection: &mut Connection,
    workspace: &str,
    id: &OutboxId,
    endpoint: &str,
    reached: bool,
) -> Result<(), StoreError> {
    connection.execute(
        "INSERT OR IGNORE INTO push_deliveries (workspace_id, id, endpoint, reached)
         VALUES (?1, ?2, ?3, ?4)",
        params![workspace, id.as_str(), endpoint, reached],
    )?;
    Ok(())
}

/// The relay's VAPID private key (base64url of the P-256 scalar), made by `make` the first time.
pub fn vapid_key(
    connection: &mut Connection,
    make: impl FnOnce() -> String,
) -> Result<String, StoreError> {
    let tx = connection.transaction()?;
    let known: Option<String> = tx
        .query_row("SELECT value FROM relay WHERE key = 'vapid_private'", [], |row| row.get(0))
        .optional()?;
    let key = match known {
        Some(key) => key,
        None => {
            let key = make();
            tx.execute("INSERT INTO relay (key, value) VALUES ('vapid_private', ?1)", [&key])?;
            key
        }
    };
    tx.commit()?;
    Ok(key)
}
