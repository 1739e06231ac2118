//! The ballot box's tables (schema 18): surveys, who was invited and whether they took their token,
//! the tokens not used yet (by hash, with their team), and the answers (by a random id, with their
//! team and release batch). An answer is written in the same transaction that deletes its token, and
//! nothing written names the other: which answer is whose is not in the database.

use std::collections::BTreeMap;

use rapport_core::ballot::{self, Ballot, Results};
use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;

/// The most surveys one workspace registers.
pub const MOST_BALLOTS: i64 = ballot::MOST_BALLOTS as i64;

/// What registering a survey did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    New,
    Updated,
    /// Its `k` or batch would change after a token was taken, or it is closed: refused, nothing
    /// changed.
    Locked,
    /// The workspace has as many surveys as it may.
    Full,
    /// With the invitees kept from before, a team would have fewer than `k`, or there would be too
    /// many: refused, nothing changed.
    Invalid,
    /// The caller is among those who read its results: refused, nothing changed.
    ReadByCaller,
}

/// Registers survey `survey` of `workspace`, or changes it while it is open: its close may change,
/// its invitees and their teams until the first token is taken and after that only by more
/// invitees (those kept keep their team, whatever the list sent says); its `k` and batch only until the first token is taken, so nobody can narrow a group once answers may exist. A closed
/// survey changes no more: reopened, it would let its answers be read once at the close and again a
/// few answers later, and the difference would be those few.
pub fn register(
    connection: &mut Connection,
    workspace: &str,
    survey: &str,
    ballot: &Ballot,
    caller: &str,
    now: i64,
) -> Result<Registered, StoreError> {
    let tx = connection.transaction()?;
    if readers_of(&tx, workspace, survey)?.iter().any(|reader| reader == caller) {
        return Ok(Registered::ReadByCaller);
    }
    let invited_before: i64 = tx.query_row(
        "SELECT count(*) FROM ballot_invitees WHERE workspace_id = ?1 AND survey = ?2",
        params![workspace, survey],
        |row| row.get(0),
    )?;
    let known: Option<(u32, u32, i64)> = tx
        .query_row(
            "SELECT k, batch, closes_at FROM ballots WHERE workspace_id = ?1 AND survey = ?2",
            params![workspace, survey],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let registered = match known {
        None => {
            let count: i64 = tx.query_row(
                "SELECT count(*) FROM ballots WHERE workspace_id = ?1",
                params![workspace],
                |row| row.get(0),
            )?;
            if count >= MOST_BALLOTS {
                return Ok(Registered::Full);
            }
            tx.execute(
                "INSERT INTO ballots (workspace_id, survey, k, batch, closes_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![workspace, survey, ballot.k, ballot.batch, ballot.closes_at],
            )?;
            Registered::New
        }
        Some((_, _, closes_at)) if closes_at <= now => return Ok(Registered::Locked),
        Some((k, batch, _)) => {
            let taken = any_token_taken(&tx, workspace, survey)?;
            if taken && (k, batch) != (ballot.k, ballot.batch) {
                return Ok(Registered::Locked);
            }
            tx.execute(
                "UPDATE ballots SET k = ?3, batch = ?4, closes_at = ?5
                 WHERE workspace_id = ?1 AND survey = ?2",
                params![workspace, survey, ballot.k, ballot.batch, ballot.closes_at],
            )?;
            // Once a token is out, invitees are only added: were one left out, whether the count of
            // invitees dropped would tell whether they took a token.
            if !taken {
                tx.execute(
                    "DELETE FROM ballot_invitees WHERE workspace_id = ?1 AND survey = ?2",
                    params![workspace, survey],
                )?;
            }
            Registered::Updated
        }
    };
    {
        let mut team_of = tx.prepare(
            "SELECT team FROM ballot_invitees WHERE workspace_id = ?1 AND survey = ?2 AND member = ?3",
        )?;
        let mut invite = tx.prepare(
            "INSERT INTO ballot_invitees (workspace_id, survey, member, team) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for invitee in &ballot.invitees {
            // Checked by the caller (`Ballot::refused`); in the one text form.
            let Some(member) = invitee.member_id().map(|id| id.to_string()) else { continue };
            let stored: Option<String> = team_of
                .query_row(params![workspace, survey, member], |row| row.get(0))
                .optional()?;
            // One already invited keeps the team they had at the first token: nobody moves to
            // another team after it (their token, if they took one, counts in the team they were
            // in). The devices that register a survey work out the teams from who is employed where
            // now, so a move is kept quiet rather than refused: refused, nobody who joined since
            // would be added.
            if stored.is_none() {
                invite.execute(params![workspace, survey, member, invitee.team])?;
            }
        }
    }
    // What is stored is the invitees kept plus those added: checked as a whole, so no team ends up
    // with fewer than k (the list sent may have been fine on its own).
    let (total, smallest_team): (i64, Option<i64>) = tx.query_row(
        "SELECT (SELECT count(*) FROM ballot_invitees WHERE workspace_id = ?1 AND survey = ?2),
                (SELECT min(n) FROM (SELECT count(*) AS n FROM ballot_invitees
                 WHERE workspace_id = ?1 AND survey = ?2 AND team != '' GROUP BY team))",
        params![workspace, survey],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let k = i64::from(ballot.k);
    if total as usize > ballot::MOST_INVITEES || smallest_team.is_some_and(|n| n < k) {
        return Ok(Registered::Invalid);
    }
    // Its readers, like its k, are fixed once a token is out: nobody is added to read answers
    // given on the promise of who would.
    let stored = readers_of(&tx, workspace, survey)?;
    // In the one text form member ids are kept in (checked by `Ballot::refused`).
    let mut wanted: Vec<String> = ballot
        .readers
        .iter()
        .filter_map(|r| r.parse::<rapport_core::ids::MemberId>().ok())
        .map(|m| m.to_string())
        .collect();
    wanted.sort();
    let taken = any_token_taken(&tx, workspace, survey)?;
    // A survey read by a few takes nobody new once a token is out: someone added later by whoever
    // registers it could be one whose answer the readers know.
    if taken && !wanted.is_empty() && total > invited_before {
        return Ok(Registered::Locked);
    }
    if stored != wanted {
        if taken {
            return Ok(Registered::Locked);
        }
        tx.execute(
            "DELETE FROM ballot_readers WHERE workspace_id = ?1 AND survey = ?2",
            params![workspace, survey],
        )?;
        for reader in &wanted {
            tx.execute(
                "INSERT INTO ballot_readers (workspace_id, survey, reader) VALUES (?1, ?2, ?3)",
                params![workspace, survey, reader],
            )?;
        }
    }
    // A reader who answers could tell their answer from the others'.
    let reader_invited: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM ballot_readers r JOIN ballot_invitees i
         ON i.workspace_id = r.workspace_id AND i.survey = r.survey AND i.member = r.reader
         WHERE r.workspace_id = ?1 AND r.survey = ?2)",
        params![workspace, survey],
        |row| row.get(0),
    )?;
    if reader_invited {
        return Ok(Registered::Invalid);
    }
    tx.commit()?;
    Ok(registered)
}

/// Whether anyone took a token for survey `survey` yet.
fn any_token_taken(
    connection: &Connection,
    workspace: &str,
    survey: &str,
) -> Result<bool, StoreError> {
    let taken = connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM ballot_invitees
         WHERE workspace_id = ?1 AND survey = ?2 AND token_taken = 1)",
        params![workspace, survey],
        |row| row.get(0),
    )?;
    Ok(taken)
}

/// Survey `survey`'s terms as a device taking a token is told them: its `k` and its readers.
pub fn terms(
    connection: &Connection,
    workspace: &str,
    survey: &str,
) -> Result<Option<(u32, Vec<String>)>, StoreError> {
    let k: Option<u32> = connection
        .query_row(
            "SELECT k FROM ballots WHERE workspace_id = ?1 AND survey = ?2",
            params![workspace, survey],
            |row| row.get(0),
        )
        .optional()?;
    match k {
        Some(k) => Ok(Some((k, readers_of(connection, workspace, survey)?))),
        None => Ok(None),
    }
}

/// Who alone may read survey `survey`'s results (member ids, sorted); none: its owners and admins.
pub fn readers_of(
    connection: &Connection,
    workspace: &str,
    survey: &str,
) -> Result<Vec<String>, StoreError> {
    let mut statement = connection.prepare(
        "SELECT reader FROM ballot_readers WHERE workspace_id = ?1 AND survey = ?2 ORDER BY reader",
    )?;
    let readers = statement
        .query_map(params![workspace, survey], |row| row.get(0))?
        .collect::<Result<Vec<String>, _>>()?;
    Ok(readers)
}

/// What asking for a token got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenTaken {
    Taken,
    /// This member took theirs before (a token is given once: the relay cannot tell which is theirs).
    AlreadyTaken,
    NotInvited,
    Closed,
}

/// Gives `member` the token whose hash is `token_hash` for survey `survey`, once.
pub fn take_token(
    connection: &mut Connection,
    workspace: &str,
    survey: &str,
    member: &str,
    token_hash: &str,
    now: i64,
) -> Result<TokenTaken, StoreError> {
    let tx = connection.transaction()?;
    let found: Option<(String, bool, i64)> = tx
        .query_row(
            "SELECT i.team, i.token_taken, b.closes_at FROM ballot_invitees i
             JOIN ballots b ON b.workspace_id = i.workspace_id AND b.survey = i.survey
             WHERE i.workspace_id = ?1 AND i.survey = ?2 AND i.member = ?3",
            params![workspace, survey, member],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    let Some((team, taken, closes_at)) = found else { return Ok(TokenTaken::NotInvited) };
    if closes_at <= now {
        return Ok(TokenTaken::Closed);
    }
    if taken {
        // Asked again with the token the device chose and asked for before (its answer lost on
        // the way): the same token, still unused, is theirs — only they know it.
        let again: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM ballot_tokens
             WHERE token_hash = ?1 AND workspace_id = ?2 AND survey = ?3)",
            params![token_hash, workspace, survey],
            |row| row.get(0),
        )?;
        return Ok(if again { TokenTaken::Taken } else { TokenTaken::AlreadyTaken });
    }
    // A token chosen by a device that is someone else's already: not shared, not theirs.
    let in_use: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM ballot_tokens WHERE token_hash = ?1)",
        params![token_hash],
        |row| row.get(0),
    )?;
    if in_use {
        return Ok(TokenTaken::AlreadyTaken);
    }
    tx.execute(
        "UPDATE ballot_invitees SET token_taken = 1
         WHERE workspace_id = ?1 AND survey = ?2 AND member = ?3",
        params![workspace, survey, member],
    )?;
    tx.execute(
        "INSERT INTO ballot_tokens (token_hash, workspace_id, survey, team) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, workspace, survey, team],
    )?;
    tx.commit()?;
    Ok(TokenTaken::Taken)
}

/// What an answer got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answered {
    Kept,
    /// No such token: never given, or used already.
    UnknownToken,
    Closed,
}

/// Keeps `answer` under the random `id` for the survey token `token_hash` was given for, and
/// forgets the token, in one transaction.
pub fn answer(
    connection: &mut Connection,
    token_hash: &str,
    id: &str,
    answer: &str,
    now: i64,
) -> Result<Answered, StoreError> {
    let tx = connection.transaction()?;
    let found: Option<(String, String, String, u32, i64, i64, u32)> = tx
        .query_row(
            "SELECT t.workspace_id, t.survey, t.team, b.batch, b.closes_at, b.answered, b.k
             FROM ballot_tokens t
             JOIN ballots b ON b.workspace_id = t.workspace_id AND b.survey = t.survey
             WHERE t.token_hash = ?1",
            params![token_hash],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                    row.get(5)?,
                    row.get(6)?,
                ))
            },
        )
        .optional()?;
    let Some((workspace, survey, team, batch, closes_at, answered, k)) = found else {
        return Ok(Answered::UnknownToken);
    };
    if closes_at <= now {
        return Ok(Answered::Closed);
    }
    // Who could have given an answer of this team is who of it took a token: the team is kept on
    // the answer only when they are k at least, else the answer counts with everyone's alone.
    let takers: i64 = tx.query_row(
        "SELECT count(*) FROM ballot_invitees
         WHERE workspace_id = ?1 AND survey = ?2 AND team = ?3 AND token_taken = 1",
        params![workspace, survey, team],
        |row| row.get(0),
    )?;
    let team = if takers >= i64::from(k) { team } else { String::new() };
    let batch = ballot::batch_of(answered as u64, batch) as i64;
    tx.execute("DELETE FROM ballot_tokens WHERE token_hash = ?1", params![token_hash])?;
    tx.execute(
        "INSERT INTO ballot_answers (id, workspace_id, survey, team, batch, answer)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![id, workspace, survey, team, batch, answer],
    )?;
    tx.execute(
        "UPDATE ballots SET answered = answered + 1 WHERE workspace_id = ?1 AND survey = ?2",
        params![workspace, survey],
    )?;
    tx.commit()?;
    // The write-ahead log holds this transaction's pages and the token's earlier ones side by side
    // until it is checkpointed: emptied now, so no file the relay keeps joins the answer to the token
    // (and the token to whoever took it). The answer is kept whatever this gives: a checkpoint
    // another reader blocks (its first column 1) or that fails is logged, and the next answer's
    // empties the log.
    let checkpoint =
        connection.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| row.get::<_, i64>(0));
    match checkpoint {
        Ok(0) => {}
        Ok(_) => tracing::warn!("the write-ahead log could not be emptied after an answer: busy"),
        Err(error) => {
            tracing::warn!(%error, "the write-ahead log could not be emptied after an answer")
        }
    }
    Ok(Answered::Kept)
}

/// Survey `survey` of `workspace` as its owners may see it at `now`: the counts, and the answers
/// [`ballot::release`] allows, ordered by their random ids.
pub fn results(
    connection: &mut Connection,
    workspace: &str,
    survey: &str,
    now: i64,
) -> Result<Option<Results>, StoreError> {
    let found: Option<(u32, u32, i64, i64)> = connection
        .query_row(
            "SELECT k, batch, closes_at, answered FROM ballots WHERE workspace_id = ?1 AND survey = ?2",
            params![workspace, survey],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?;
    let Some((k, batch, closes_at, answered)) = found else { return Ok(None) };
    let (invited, tokens_taken): (i64, i64) = connection.query_row(
        "SELECT count(*), coalesce(sum(token_taken), 0) FROM ballot_invitees
         WHERE workspace_id = ?1 AND survey = ?2",
        params![workspace, survey],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let mut counts = BTreeMap::new();
    {
        let mut statement = connection.prepare(
            "SELECT batch, team, count(*) FROM ballot_answers
             WHERE workspace_id = ?1 AND survey = ?2 GROUP BY batch, team",
        )?;
        let rows = statement.query_map(params![workspace, survey], |row| {
            Ok(((row.get::<_, i64>(0)? as u64, row.get::<_, String>(1)?), row.get::<_, i64>(2)?))
        })?;
        for row in rows {
            let (key, count) = row?;
            counts.insert(key, count as u64);
        }
    }
    let closed = closes_at <= now;
    let release = ballot::release(k, batch, closed, &counts);
    let mut results = Results {
        k,
        batch,
        closes_at,
        closed,
        invited: invited as u64,
        tokens_taken: tokens_taken as u64,
        answered: answered as u64,
        ..Results::default()
    };
    if release.shown > 0 {
        let shown_batches = i64::try_from(release.batches_shown).unwrap_or(i64::MAX);
        let mut statement = connection.prepare(
            "SELECT team, answer FROM ballot_answers
             WHERE workspace_id = ?1 AND survey = ?2 AND batch < ?3 ORDER BY id",
        )?;
        let rows = statement.query_map(params![workspace, survey, shown_batches], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (team, answer) = row?;
            if release.teams.contains(&team) {
                results.teams.entry(team).or_default().push(answer.clone());
            }
            results.answers.push(answer);
        }
    }
    Ok(Some(results))
}
