//! The workspace's ledger of things to do once although every device sees their cause (an escalation
//! of a breached ticket): a device takes a key and holds it for a while, does the thing, and marks the
//! key done; another device finds it taken or done and leaves it. The relay knows nothing of what a
//! key names.

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// Keys held at once (taken, hold not over, not done) a workspace may have: a device takes only what
/// it is about to do.
pub const MOST_OPEN: i64 = 10_000;

/// How long a key taken and never said done is kept after its hold ended: the device that took it
/// went away, and whichever takes it next starts afresh. Done keys are kept (a breach is escalated
/// at most once a ticket and rule, a few bytes each).
pub const KEEP_ABANDONED_SECS: i64 = 24 * 3600;

/// What asking for a key got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This session holds it (taken now, or already its own).
    Held,
    /// Another session holds it and has not said it is done.
    Elsewhere,
    Done,
    /// The workspace holds as many open keys as it may.
    Full,
}

/// Lets `session` do `key` of `workspace` until `until`, unless another session holds it or it is done.
pub fn take(
    connection: &mut Connection,
    workspace: &str,
    key: &str,
    session: &str,
    now: i64,
    until: i64,
) -> Result<Claim, StoreError> {
    let tx = connection.transaction()?;
    tx.execute(
        "DELETE FROM once_ledger WHERE workspace_id = ?1 AND done_at IS NULL AND taken_until < ?2",
        params![workspace, now - KEEP_ABANDONED_SECS],
    )?;
    let found: Option<(String, i64, Option<i64>)> = tx
        .query_row(
            "SELECT taken_by, taken_until, done_at FROM once_ledger
             WHERE workspace_id = ?1 AND key = ?2",
            params![workspace, key],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let claim = match found {
        Some((_, _, Some(_))) => Claim::Done,
        Some((by, until_then, None)) if by != session && until_then > now => Claim::Elsewhere,
        Some(_) => {
            tx.execute(
                "UPDATE once_ledger SET taken_by = ?3, taken_until = ?4
                 WHERE workspace_id = ?1 AND key = ?2",
                params![workspace, key, session, until],
            )?;
            Claim::Held
        }
        None => {
            let open: i64 = tx.query_row(
                "SELECT COUNT(*) FROM once_ledger
                 WHERE workspace_id = ?1 AND done_at IS NULL AND taken_until > ?2",
                params![workspace, now],
                |row| row.get(0),
            )?;
            if open >= MOST_OPEN {
                Claim::Full
            } else {
                tx.execute(
                    "INSERT INTO once_ledger (workspace_id, key, taken_by, taken_until)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![workspace, key, session, until],
                )?;
                Claim::Held
            }
        }
    };
    tx.commit()?;
    Ok(claim)
}

/// Marks `key` of `workspace` done by `session`, which must hold it (or have held it, if nobody took
/// it since). `None`: nobody took it.
pub fn done(
    connection: &mut Connection,
    workspace: &str,
    key: &str,
    session: &str,
    now: i64,
) -> Result<Option<Claim>, StoreError> {
    let tx = connection.transaction()?;
    let found: Option<(String, Option<i64>)> = tx
        .query_row(
            "SELECT taken_by, done_at FROM once_ledger WHERE workspace_id = ?1 AND key = ?2",
            params![workspace, key],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let claim = match found {
        None => None,
        Some((_, Some(_))) => Some(Claim::Done),
        Some((by, None)) if by == session => {
            tx.execute(
                "UPDATE once_ledger SET done_at = ?3 WHERE workspace_id = ?1 AND key = ?2",
                params![workspace, key, now],
            )?;
            Some(Claim::Held)
        }
        Some(_) => Some(Claim::Elsewhere),
    };
    tx.commit()?;
    Ok(claim)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> Connection {
        let connection = Connection::open_in_memory().unwrap();
        for migration in super::super::MIGRATIONS {
            connection.execute_batch(migration).unwrap();
        }
        connection
            .execute("INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'W', 0)", [])
            .unwrap();
        connection
    }

    #[test]
    fn one_session_holds_a_key_until_its_hold_ends_and_nobody_takes_it_once_done() {
        let mut db = ledger();
        assert_eq!(take(&mut db, "w", "k", "a", 100, 220).unwrap(), Claim::Held);
        assert_eq!(take(&mut db, "w", "k", "b", 101, 221).unwrap(), Claim::Elsewhere);
        assert_eq!(take(&mut db, "w", "k", "a", 102, 222).unwrap(), Claim::Held);
        assert_eq!(done(&mut db, "w", "k", "b", 103).unwrap(), Some(Claim::Elsewhere));
        // The holder went quiet: once its hold ends another session may do it.
        assert_eq!(take(&mut db, "w", "k", "b", 300, 420).unwrap(), Claim::Held);
        assert_eq!(done(&mut db, "w", "k", "a", 301).unwrap(), Some(Claim::Elsewhere));
        assert_eq!(done(&mut db, "w", "k", "b", 302).unwrap(), Some(Claim::Held));
        assert_eq!(take(&mut db, "w", "k", "a", 303, 423).unwrap(), Claim::Done);
        assert_eq!(done(&mut db, "w", "k", "b", 304).unwrap(), Some(Claim::Done));
        assert_eq!(done(&mut db, "w", "other", "b", 304).unwrap(), None);
        // A key taken and left is forgotten a day after its hold; a done one stays done.
        assert_eq!(take(&mut db, "w", "left", "a", 400, 520).unwrap(), Claim::Held);
        let later = 520 + KEEP_ABANDONED_SECS + 1;
        assert_eq!(take(&mut db, "w", "x", "b", later, later + 120).unwrap(), Claim::Held);
        assert_eq!(done(&mut db, "w", "left", "a", later).unwrap(), None);
        assert_eq!(take(&mut db, "w", "k", "a", later, later + 120).unwrap(), Claim::Done);
    }

    #[test]
    fn a_workspace_holds_a_bounded_number_of_keys_at_once_and_held_ones_end() {
        let mut db = ledger();
        for n in 0..MOST_OPEN {
            assert_eq!(take(&mut db, "w", &n.to_string(), "a", 100, 220).unwrap(), Claim::Held);
        }
        assert_eq!(take(&mut db, "w", "one more", "a", 100, 220).unwrap(), Claim::Full);
        // Holds over (the device went away): room again.
        assert_eq!(take(&mut db, "w", "one more", "a", 221, 341).unwrap(), Claim::Held);
    }
}
