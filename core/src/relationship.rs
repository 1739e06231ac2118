//! Relationship health: how a relationship is kept, as a score from 0 to 100 with the reasons it is
//! not 100 — the seed's best practices (communicate, keep at it, listen) made visible. Derived on
//! every device from what the read model holds, never stored:
//!
//! - *recency*: the last contact (an interaction, or a ticket they opened) against the party's
//!   keep-in-touch cadence (60 days when it has none); a record newer than its cadence is not yet
//!   overdue for a first contact;
//! - *frequency*: interactions in the last 90 days, against as many as the cadence asks for (two at
//!   most);
//! - *reciprocity*: of the emails we sent in the last 90 days, whether any was answered or they
//!   reached out themselves (a reply by mail, a ticket they opened);
//! - *open issues*: their tickets not yet resolved;
//! - *overdue next steps*: tasks about them past their due time.
//!
//! What was recorded against a record later merged into another counts for the one it was merged
//! into, as on its timeline.
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::ids::{PartyId, Timestamp};
use crate::model::{InteractionKind, WorkspaceSettings};
use crate::read_model::{PartyRow, ReadModel};
use crate::service::Statuses;
use crate::sla::StatusCategory;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How far back frequency and reciprocity look.
pub const WINDOW_DAYS: i64 = 90;
/// The cadence of a party whose record sets none.
pub const DEFAULT_CADENCE_DAYS: u32 = 60;
/// Below this a relationship is "going cold".
pub const COLD_BELOW: u8 = 60;

/// What lowers a relationship's score, with its numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reason {
    /// Nobody has been in touch yet.
    NeverContacted,
    /// The last contact was `days` ago, past the cadence.
    Overdue {
        days: i64,
        cadence: u32,
    },
    /// Only this many interactions in the last 90 days.
    Quiet {
        interactions: u32,
    },
    /// We wrote this many emails in the last 90 days and heard nothing back.
    Unanswered {
        sent: u32,
    },
    OpenTickets(u32),
    OverdueSteps(u32),
}

impl Reason {
    /// Points it takes off the score.
    pub fn penalty(self) -> u8 {
        match self {
            Reason::NeverContacted => 40,
            Reason::Overdue { days, cadence } => {
                let cadence = i64::from(cadence.max(1));
                let over = (days - cadence).clamp(0, cadence);
                (10 + 30 * over / cadence) as u8
            }
            Reason::Quiet { interactions: 0 } => 20,
            Reason::Quiet { .. } => 10,
            Reason::Unanswered { .. } => 15,
            Reason::OpenTickets(n) | Reason::OverdueSteps(n) => (5 * n.min(3)) as u8,
        }
    }
}

/// A relationship's score and why it is not 100, the heaviest reason first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub score: u8,
    pub reasons: Vec<Reason>,
}

impl Health {
    pub fn going_cold(&self) -> bool {
        self.score < COLD_BELOW
    }
}

/// What the health of each party is computed from, gathered in one pass over the read model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals {
    pub last_contact: Option<Timestamp>,
    /// Interactions and tickets they opened in the window, machine answers left out.
    pub recent: u32,
    /// Emails we sent in the window.
    pub sent: u32,
    /// Their replies and the tickets they opened, in the window.
    pub heard: u32,
    pub open_tickets: u32,
    pub overdue_steps: u32,
}

/// Every party's signals at `now`.
pub fn signals(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    now: Timestamp,
) -> HashMap<PartyId, Signals> {
    gather(model, settings, now, |_| true)
}

/// One party's signals at `now` (what its record shows).
pub fn signals_of(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    party: PartyId,
    now: Timestamp,
) -> Signals {
    gather(model, settings, now, |p| p == party).remove(&party).unwrap_or_default()
}

/// The record each merged record was merged into, following merges of merges.
fn survivors(model: &ReadModel) -> HashMap<PartyId, PartyId> {
    let mut survivors = HashMap::new();
    for row in model.parties.values().filter(|row| row.merged_into.is_some()) {
        let mut survivor = row.id;
        // A cycle (two devices merging each into the other) ends the walk.
        for _ in 0..16 {
            match model.parties.get(&survivor).and_then(|r| r.merged_into) {
                Some(next) if next != row.id => survivor = next,
                _ => break,
            }
        }
        survivors.insert(row.id, survivor);
    }
    survivors
}

fn gather(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    now: Timestamp,
    wanted: impl Fn(PartyId) -> bool,
) -> HashMap<PartyId, Signals> {
    let since = Timestamp(now.0 - WINDOW_DAYS * DAY_MS);
    let survivors = survivors(model);
    let own = |party: PartyId| {
        let party = survivors.get(&party).copied().unwrap_or(party);
        wanted(party).then_some(party)
    };
    let mut all: HashMap<PartyId, Signals> = HashMap::new();
    let contacted = |all: &mut HashMap<PartyId, Signals>, party: PartyId, at: Timestamp| {
        let last = &mut all.entry(party).or_default().last_contact;
        *last = Some(last.map_or(at, |last| last.max(at)));
    };
    for (party, at) in &model.last_contact {
        if let Some(party) = own(*party) {
            contacted(&mut all, party, *at);
        }
    }
    let months = crate::layout::Month::of(since)..=crate::layout::Month::of(now);
    for rows in model.interactions.range(months).map(|(_, rows)| rows) {
        for row in rows.values().filter(|r| r.at >= since && r.at <= now && !r.automatic) {
            let ours = row.kind() == InteractionKind::Email
                && row.answers.is_none()
                && row.author.is_some();
            let theirs = row.answers.is_some();
            for party in row.parties.iter().filter_map(|party| own(*party)) {
                let signals = all.entry(party).or_default();
                signals.recent += 1;
                signals.sent += u32::from(ours);
                signals.heard += u32::from(theirs);
            }
        }
    }
    let statuses = Statuses::of(settings);
    for ticket in model.tickets.values() {
        let Some(party) = ticket.party.and_then(own) else { continue };
        // Their writing in is contact too.
        contacted(&mut all, party, ticket.created_at);
        let signals = all.entry(party).or_default();
        let open = !matches!(
            statuses.category(&ticket.status),
            StatusCategory::Resolved | StatusCategory::Closed
        );
        signals.open_tickets += u32::from(open);
        let lately = ticket.created_at >= since && ticket.created_at <= now;
        signals.recent += u32::from(lately);
        signals.heard += u32::from(lately);
    }
    for task in model.tasks.values() {
        let overdue = task.done_at.is_none() && task.effective_due().is_some_and(|due| due < now);
        if overdue {
            for party in task.parties.iter().filter_map(|party| own(*party)) {
                all.entry(party).or_default().overdue_steps += 1;
            }
        }
    }
    all
}

/// The health of `party` from its signals at `now`.
pub fn health(party: &PartyRow, signals: &Signals, now: Timestamp) -> Health {
    let cadence = party.keep_in_touch_days.unwrap_or(DEFAULT_CADENCE_DAYS);
    let mut reasons = Vec::new();
    match signals.last_contact {
        // A record newer than its cadence is not late for a first contact yet.
        None if now.0 - party.created_at.0 > i64::from(cadence) * DAY_MS => {
            reasons.push(Reason::NeverContacted);
        }
        None => {}
        Some(last) => {
            let days = (now.0 - last.0).max(0) / DAY_MS;
            if days > i64::from(cadence) {
                reasons.push(Reason::Overdue { days, cadence });
            }
        }
    }
    // As many contacts as the cadence asks for in the window, two at most: a quarterly cadence is
    // kept by one call a quarter.
    let expected = (WINDOW_DAYS / i64::from(cadence.max(1))).clamp(1, 2) as u32;
    if signals.last_contact.is_some() && signals.recent < expected {
        reasons.push(Reason::Quiet { interactions: signals.recent });
    }
    if signals.sent >= 2 && signals.heard == 0 {
        reasons.push(Reason::Unanswered { sent: signals.sent });
    }
    if signals.open_tickets > 0 {
        reasons.push(Reason::OpenTickets(signals.open_tickets));
    }
    if signals.overdue_steps > 0 {
        reasons.push(Reason::OverdueSteps(signals.overdue_steps));
    }
    reasons.sort_by_key(|reason| std::cmp::Reverse(reason.penalty()));
    let lost: u32 = reasons.iter().map(|r| u32::from(r.penalty())).sum();
    Health { score: 100u32.saturating_sub(lost) as u8, reasons }
}

/// Everyone's health as lists read it, computed once per change off the page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Everyone {
    /// Every active record not at 100 (a record missing here is in good health).
    pub health: HashMap<PartyId, Health>,
    /// Those going cold, the coldest first (ties by name): a screen showing the first ten reads ten,
    /// not ninety thousand.
    pub coldest: Vec<PartyId>,
}

/// The health of every active record at `now` ([`Everyone`]).
pub fn everyone(model: &ReadModel, settings: &WorkspaceSettings, now: Timestamp) -> Everyone {
    let signals = signals(model, settings, now);
    let none = Signals::default();
    let health: HashMap<PartyId, Health> = model
        .parties
        .values()
        .filter(|p| !p.archived && p.merged_into.is_none())
        .map(|p| (p.id, health(p, signals.get(&p.id).unwrap_or(&none), now)))
        .filter(|(_, health)| health.score < 100)
        .collect();
    let (_, cold) = coldest(model, &health, |_| true, usize::MAX);
    let coldest = cold.into_iter().map(|(party, _)| party.id).collect();
    Everyone { health, coldest }
}

/// Of health by record, how many records `wanted` going cold there are, and the first `limit`
/// of them, the coldest first (ties by name). Only those are sorted.
pub fn coldest<'m, 'h>(
    model: &'m ReadModel,
    everyone: &'h HashMap<PartyId, Health>,
    wanted: impl Fn(&PartyRow) -> bool,
    limit: usize,
) -> (usize, Vec<(&'m PartyRow, &'h Health)>) {
    let mut cold: Vec<(&PartyRow, &Health)> = everyone
        .iter()
        .filter(|(_, health)| health.going_cold())
        .filter_map(|(id, health)| Some((model.parties.get(id)?, health)))
        // Archived or merged since `everyone` was computed.
        .filter(|(party, _)| !party.archived && party.merged_into.is_none() && wanted(party))
        .collect();
    let count = cold.len();
    let order = |a: &(&PartyRow, &Health), b: &(&PartyRow, &Health)| {
        (a.1.score.cmp(&b.1.score))
            .then_with(|| a.0.sort_name.cmp(&b.0.sort_name))
            .then_with(|| a.0.id.cmp(&b.0.id))
    };
    if limit < count {
        cold.select_nth_unstable_by(limit, order);
        cold.truncate(limit);
    }
    cold.sort_unstable_by(order);
    (count, cold)
}

/// The records going cold at `now`, the coldest first (ties by name): active records only.
pub fn going_cold<'m>(
    model: &'m ReadModel,
    settings: &WorkspaceSettings,
    now: Timestamp,
) -> Vec<(&'m PartyRow, Health)> {
    let Everyone { health, coldest } = everyone(model, settings, now);
    let mut health = health;
    coldest
        .into_iter()
        .filter_map(|id| Some((model.parties.get(&id)?, health.remove(&id)?)))
        .collect()
}

#[cfg(test)]
mod tests;
