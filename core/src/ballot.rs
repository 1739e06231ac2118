//! The ballot box, decided: anonymous answers to a survey (an engagement pulse) cannot live in a
//! synced document — every Automerge change carries its author and time, and every member's device
//! receives the workspace's documents — so they go to the relay, which keeps them without the account
//! that gave them and shows them only in groups large enough that nobody can be picked out.
//!
//! How: a survey is registered with the relay ([`Ballot`]: who is invited, in which team, the
//! minimum group `k`, when it closes, how answers are released). Each invited member's device takes
//! one single-use token for it; the answer is sent later with that token alone (no session), and the
//! relay keeps the answer with its team and release batch but neither the account nor the token.
//! What may be shown ([`Release`]) follows from the counts alone: nothing below `k` answers, answers
//! only in whole batches (or at the close), a team's answers only when it has `k`, and never a set of
//! teams whose hidden remainder is smaller than `k` (the remainder would be the total minus the teams
//! shown).
//!
//! What the relay's operator can see: who was invited, who took a token (not which), how many
//! answered, and the answers with their teams. What they cannot read from the database: which
//! answer is whose. A relay changed to log requests could note which member took which token; the
//! app says so.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ids::MemberId;

/// No group smaller than this is ever shown, whatever a survey asks.
pub const MIN_K: u32 = 3;
/// The group a survey shows at least, unless it asks for more.
pub const DEFAULT_K: u32 = 5;
/// The most people one survey invites.
pub const MOST_INVITEES: usize = 10_000;
/// The longest team name, in characters.
pub const MOST_TEAM_CHARS: usize = 100;
/// The largest answer, in bytes (the answers to every question of one survey, as the app wrote them).
pub const MOST_ANSWER_BYTES: usize = 16 * 1024;
/// The most surveys (each pulse round, each upward review is one) the relay keeps for a workspace.
pub const MOST_BALLOTS: usize = 1_000;
/// The most members named to read one survey's results.
pub const MOST_READERS: usize = 20;

/// A survey as the relay's ballot box knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ballot {
    /// The smallest group shown ([`MIN_K`] at least).
    #[serde(default = "default_k")]
    pub k: u32,
    /// Answers are shown this many at a time (`k` at least); `0`: only once the survey closes.
    #[serde(default)]
    pub batch: u32,
    /// When it stops taking answers (Unix seconds).
    pub closes_at: i64,
    pub invitees: Vec<Invitee>,
    /// Who alone may read its results (member ids): none, the workspace's owners and admins. A
    /// manager reads their upward reviews so, and nobody else does — the owners neither.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readers: Vec<String>,
}

fn default_k() -> u32 {
    DEFAULT_K
}

/// A member invited to answer (their member id as text), and the team their answer counts in
/// (empty: none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitee {
    pub member: String,
    #[serde(default)]
    pub team: String,
}

impl Invitee {
    pub fn member_id(&self) -> Option<MemberId> {
        self.member.parse().ok()
    }
}

/// Why a survey cannot be registered as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BallotRefused {
    #[error("no group smaller than {MIN_K} is ever shown")]
    KTooSmall,
    #[error("answers are shown at least k at a time")]
    BatchTooSmall,
    #[error("a survey invites at most {MOST_INVITEES} people")]
    TooManyInvitees,
    #[error("a survey invites somebody")]
    NoInvitees,
    #[error("a member is invited twice")]
    InvitedTwice,
    #[error("a team's name is at most {MOST_TEAM_CHARS} characters")]
    TeamNameTooLong,
    #[error("an invitee is not a member id")]
    NotAMember,
    #[error("a team has fewer than k people invited")]
    TeamTooSmall,
    #[error("a survey names at most {MOST_READERS} readers, each a member id once, none invited")]
    BadReaders,
}

impl Ballot {
    /// What is wrong with it, if anything.
    pub fn refused(&self) -> Option<BallotRefused> {
        if self.k < MIN_K {
            return Some(BallotRefused::KTooSmall);
        }
        if self.batch != 0 && self.batch < self.k {
            return Some(BallotRefused::BatchTooSmall);
        }
        if self.invitees.is_empty() {
            return Some(BallotRefused::NoInvitees);
        }
        if self.invitees.len() > MOST_INVITEES {
            return Some(BallotRefused::TooManyInvitees);
        }
        if self.invitees.iter().any(|i| i.team.chars().count() > MOST_TEAM_CHARS) {
            return Some(BallotRefused::TeamNameTooLong);
        }
        let members: Option<BTreeSet<MemberId>> =
            self.invitees.iter().map(Invitee::member_id).collect();
        let Some(members) = members else { return Some(BallotRefused::NotAMember) };
        if members.len() != self.invitees.len() {
            return Some(BallotRefused::InvitedTwice);
        }
        // A reader who answers could tell their own answer from the others'.
        let readers: Option<BTreeSet<MemberId>> =
            self.readers.iter().map(|r| r.parse().ok()).collect();
        let fits = readers.is_some_and(|readers| {
            readers.len() == self.readers.len()
                && readers.len() <= MOST_READERS
                && readers.is_disjoint(&members)
        });
        if !fits {
            return Some(BallotRefused::BadReaders);
        }
        // A team of fewer than k could never be shown, yet its name on an answer kept by the relay
        // would point at the few who could have given it.
        let mut teams: BTreeMap<&str, u32> = BTreeMap::new();
        for invitee in self.invitees.iter().filter(|i| !i.team.is_empty()) {
            *teams.entry(invitee.team.as_str()).or_default() += 1;
        }
        if teams.values().any(|count| *count < self.k) {
            return Some(BallotRefused::TeamTooSmall);
        }
        None
    }
}

/// Which answers may be shown now. Every release contains the one before it and differs from it by
/// `k` answers at least, so no comparison of two releases singles anyone out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Release {
    /// Answers of batches before this one are shown (every batch once the survey closed).
    pub batches_shown: u64,
    /// How many answers that is; zero when fewer than `k`.
    pub shown: u64,
    /// The teams whose own answers are shown apart.
    pub teams: BTreeSet<String>,
}

/// The batch an answer falls in, given how many answered before it.
pub fn batch_of(answered_before: u64, batch: u32) -> u64 {
    match batch {
        0 => 0,
        size => answered_before / u64::from(size),
    }
}

/// What may be shown of a survey with `k` and `batch` whose answers so far number `per_batch_team`
/// (answers by batch and team), closed or not.
pub fn release(
    k: u32,
    batch: u32,
    closed: bool,
    per_batch_team: &BTreeMap<(u64, String), u64>,
) -> Release {
    let k = u64::from(k.max(MIN_K));
    let answered: u64 = per_batch_team.values().sum();
    // While open, whole batches only; at the close, the last batch too if it holds k — otherwise
    // the close would show a handful more than the batches before it, and the difference is theirs.
    let batches_shown = match (closed, batch) {
        (true, 0) => u64::MAX,
        (false, 0) => 0,
        (closed, size) => {
            let whole = answered / u64::from(size);
            let rest = answered % u64::from(size);
            whole + u64::from(closed && rest >= k)
        }
    };
    let mut teams: BTreeMap<&str, u64> = BTreeMap::new();
    for ((batch, team), count) in per_batch_team {
        if *batch < batches_shown {
            *teams.entry(team.as_str()).or_default() += count;
        }
    }
    let shown: u64 = teams.values().sum();
    if shown < k {
        return Release::default();
    }
    // Teams apart only at the close, and only teams with k — in every batch shown, none or k: the
    // batches shown before tell which answers came in which, so a team's answers within one batch
    // are a group too. Then, while what stays hidden — in all, or in any batch — is some but fewer
    // than k, the smallest team shown goes back to the hidden rest: no group is the total (or a
    // batch) minus the teams shown.
    if !closed {
        return Release { batches_shown, shown, teams: BTreeSet::new() };
    }
    let some_but_few = |count: u64| count > 0 && count < k;
    let mut batch_totals: BTreeMap<u64, u64> = BTreeMap::new();
    for ((batch, _), count) in per_batch_team.range(..(batches_shown, String::new())) {
        *batch_totals.entry(*batch).or_default() += count;
    }
    let shown_batches: Vec<u64> = batch_totals.keys().copied().collect();
    let in_batch = |team: &str, batch: u64| {
        per_batch_team.get(&(batch, team.to_owned())).copied().unwrap_or_default()
    };
    let batch_total = |batch: u64| batch_totals.get(&batch).copied().unwrap_or_default();
    let mut apart: Vec<(&str, u64)> = teams
        .iter()
        .filter(|(team, count)| !team.is_empty() && **count >= k)
        .filter(|(team, _)| !shown_batches.iter().any(|b| some_but_few(in_batch(team, *b))))
        .map(|(team, count)| (*team, *count))
        .collect();
    apart.sort_by_key(|(team, count)| (std::cmp::Reverse(*count), *team));
    loop {
        let hidden_in = |batch: Option<u64>| -> u64 {
            let total = batch.map_or(shown, batch_total);
            let apart: u64 =
                apart.iter().map(|(team, count)| batch.map_or(*count, |b| in_batch(team, b))).sum();
            total - apart
        };
        let exposed = some_but_few(hidden_in(None))
            || shown_batches.iter().any(|b| some_but_few(hidden_in(Some(*b))));
        if !exposed || apart.pop().is_none() {
            break;
        }
    }
    Release {
        batches_shown,
        shown,
        teams: apart.into_iter().map(|(team, _)| team.to_owned()).collect(),
    }
}

/// The relay's account of a survey, for its owners and admins: counts, and the answers it may show
/// (each an answer as the app wrote it, in no order that follows time).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Results {
    pub k: u32,
    pub batch: u32,
    pub closes_at: i64,
    pub closed: bool,
    pub invited: u64,
    /// Invitees who took their token.
    pub tokens_taken: u64,
    pub answered: u64,
    /// Every answer shown, without its team.
    pub answers: Vec<String>,
    /// The answers of each team shown apart.
    pub teams: BTreeMap<String, Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(entries: &[(u64, &str, u64)]) -> BTreeMap<(u64, String), u64> {
        entries.iter().map(|(batch, team, n)| ((*batch, (*team).to_owned()), *n)).collect()
    }

    fn teams(release: &Release) -> Vec<&str> {
        release.teams.iter().map(String::as_str).collect()
    }

    #[test]
    fn nothing_is_shown_below_k_nor_before_the_close_without_batches() {
        let four = counts(&[(0, "", 4)]);
        assert_eq!(release(5, 0, true, &four), Release::default());
        let five = counts(&[(0, "", 5)]);
        assert_eq!(release(5, 0, false, &five), Release::default(), "open, no batches");
        assert_eq!(release(5, 0, true, &five).shown, 5);
        // A survey asking for less than the floor gets the floor.
        assert_eq!(release(1, 0, true, &counts(&[(0, "", 2)])), Release::default());
    }

    #[test]
    fn answers_are_shown_by_whole_batches_while_open() {
        // Batches of five: the sixth answer shows nothing new until the tenth.
        let answers = counts(&[(0, "", 5), (1, "", 1)]);
        let shown = release(5, 5, false, &answers);
        assert_eq!((shown.batches_shown, shown.shown), (1, 5));
        let answers = counts(&[(0, "", 5), (1, "", 5)]);
        assert_eq!(release(5, 5, false, &answers).shown, 10);
        // Closed with a last batch of fewer than k: those stay hidden for good (shown, they would be
        // the difference from the batch before); with k, they show.
        let answers = counts(&[(0, "", 5), (1, "", 5), (2, "", 2)]);
        assert_eq!(release(5, 5, true, &answers).shown, 10);
        let answers = counts(&[(0, "", 6), (1, "", 5)]);
        assert_eq!(release(3, 6, true, &answers).shown, 11);
        assert_eq!(batch_of(0, 5), 0);
        assert_eq!(batch_of(4, 5), 0);
        assert_eq!(batch_of(5, 5), 1);
        assert_eq!(batch_of(7, 0), 0);
    }

    #[test]
    fn a_team_is_shown_apart_only_with_k_and_never_leaving_fewer_than_k_hidden() {
        // Sales 6, Support 5, Legal 2: Legal's two would be the total minus the others.
        let answers = counts(&[(0, "Sales", 6), (0, "Support", 5), (0, "Legal", 2)]);
        let shown = release(5, 0, true, &answers);
        assert_eq!(shown.shown, 13);
        assert_eq!(teams(&shown), ["Sales"], "Support goes back with Legal: 7 hidden");
        // Legal with 0: both large teams apart.
        let answers = counts(&[(0, "Sales", 6), (0, "Support", 5)]);
        assert_eq!(teams(&release(5, 0, true, &answers)), ["Sales", "Support"]);
        // Two small teams make a hidden rest of k together.
        let answers = counts(&[(0, "Sales", 6), (0, "Legal", 2), (0, "Ops", 3)]);
        assert_eq!(teams(&release(5, 0, true, &answers)), ["Sales"]);
        // One team only, and some without a team: the team would give the rest away.
        let answers = counts(&[(0, "Sales", 6), (0, "", 1)]);
        assert_eq!(teams(&release(5, 0, true, &answers)), Vec::<&str>::new());
        // Only at the close, counted from the batches shown.
        let answers = counts(&[(0, "Sales", 5), (0, "Ops", 5), (1, "Ops", 3)]);
        assert_eq!(teams(&release(5, 10, false, &answers)), Vec::<&str>::new(), "open");
        assert_eq!(teams(&release(5, 10, true, &answers)), ["Ops", "Sales"]);
        // A team whose answers in one batch are fewer than k is not shown apart: the batches shown
        // before tell which answers came in which (Sales has one in the second); nor is Support,
        // whose nine in the second batch would leave that one answer as the rest.
        let answers =
            counts(&[(0, "Sales", 5), (0, "Support", 5), (1, "Sales", 1), (1, "Support", 9)]);
        assert_eq!(teams(&release(5, 10, true, &answers)), Vec::<&str>::new());
    }

    #[test]
    fn a_survey_that_could_single_someone_out_is_refused() {
        let member = |n: u8| MemberId::from_bytes([n; 16]);
        let invitee = |n: u8| Invitee { member: member(n).to_string(), team: "Sales".into() };
        let mut ballot = Ballot {
            k: 5,
            batch: 0,
            closes_at: 1,
            invitees: (1..=6).map(invitee).collect(),
            readers: Vec::new(),
        };
        assert_eq!(ballot.refused(), None);
        ballot.k = 2;
        assert_eq!(ballot.refused(), Some(BallotRefused::KTooSmall));
        ballot.k = 5;
        ballot.batch = 1;
        assert_eq!(ballot.refused(), Some(BallotRefused::BatchTooSmall));
        ballot.batch = 5;
        assert_eq!(ballot.refused(), None);
        ballot.invitees.push(invitee(1));
        assert_eq!(ballot.refused(), Some(BallotRefused::InvitedTwice));
        ballot.invitees.pop();
        ballot.invitees[0].member = "max".into();
        assert_eq!(ballot.refused(), Some(BallotRefused::NotAMember));
        ballot.invitees[0].member = member(1).to_string();
        ballot.invitees[0].team = "x".repeat(MOST_TEAM_CHARS + 1);
        assert_eq!(ballot.refused(), Some(BallotRefused::TeamNameTooLong));
        ballot.invitees[0].team = "Legal".into();
        assert_eq!(ballot.refused(), Some(BallotRefused::TeamTooSmall), "a team of one");
        ballot.invitees[0].team = String::new();
        assert_eq!(ballot.refused(), None, "no team: counted only with everyone");
        ballot.readers = vec![member(9).to_string()];
        assert_eq!(ballot.refused(), None, "a manager reads their reports' answers");
        ballot.readers.push(member(9).to_string());
        assert_eq!(ballot.refused(), Some(BallotRefused::BadReaders), "named twice");
        ballot.readers = vec![member(2).to_string()];
        assert_eq!(ballot.refused(), Some(BallotRefused::BadReaders), "a reader who answers");
        ballot.readers = vec!["boss".into()];
        assert_eq!(ballot.refused(), Some(BallotRefused::BadReaders), "not a member id");
        ballot.readers = (0..=MOST_READERS as u128)
            .map(|n| MemberId::from_bytes((n + 1000).to_be_bytes()).to_string())
            .collect();
        assert_eq!(ballot.refused(), Some(BallotRefused::BadReaders), "too many");
        ballot.readers.clear();
        ballot.invitees.clear();
        assert_eq!(ballot.refused(), Some(BallotRefused::NoInvitees));
        ballot.invitees = (0..=MOST_INVITEES)
            .map(|n| Invitee {
                member: MemberId::from_bytes((n as u128).to_be_bytes()).to_string(),
                team: String::new(),
            })
            .collect();
        assert_eq!(ballot.refused(), Some(BallotRefused::TooManyInvitees));
    }

    proptest::proptest! {
        /// Answers arrive one by one; whatever the counts, every release shows no group smaller
        /// than k, leaves none smaller than k to subtract, and differs from the one before by k or
        /// more answers.
        #[test]
        fn no_group_smaller_than_k_is_ever_shown_or_left_to_subtract(
            k in MIN_K..8,
            batch in proptest::prop_oneof![proptest::strategy::Just(0u32), 8u32..20],
            arrivals in proptest::collection::vec(0usize..5, 0..80),
        ) {
            let names = ["", "Sales", "Support", "Legal", "Ops"];
            let batch = if batch == 0 { 0 } else { batch.max(k) };
            let mut counts: BTreeMap<(u64, String), u64> = BTreeMap::new();
            let mut releases = vec![release(k, batch, false, &counts)];
            for (before, team) in arrivals.iter().enumerate() {
                let key = (batch_of(before as u64, batch), names[*team].to_owned());
                *counts.entry(key).or_default() += 1;
                releases.push(release(k, batch, false, &counts));
            }
            releases.push(release(k, batch, true, &counts));
            let k = u64::from(k);
            let mut last_shown = 0;
            for (n, shown) in releases.iter().enumerate() {
                let closed = n == releases.len() - 1;
                proptest::prop_assert!(shown.shown == 0 || shown.shown >= k);
                let step = shown.shown - last_shown;
                proptest::prop_assert!(step == 0 || step >= k, "{step} more than before");
                last_shown = shown.shown;
                proptest::prop_assert!(closed || shown.teams.is_empty());
                let mut apart = 0;
                for team in &shown.teams {
                    let count: u64 = counts
                        .iter()
                        .filter(|((b, t), _)| b < &shown.batches_shown && t == team)
                        .map(|(_, n)| n)
                        .sum();
                    proptest::prop_assert!(count >= k && !team.is_empty());
                    apart += count;
                }
                let hidden = shown.shown - apart;
                proptest::prop_assert!(hidden == 0 || hidden >= k, "{hidden} hidden");
                // And within each batch shown: each team apart, and the hidden rest, none or k.
                for b in (0..shown.batches_shown).take_while(|b| counts.keys().any(|(x, _)| x == b)) {
                    let in_batch = |team: &str| counts.get(&(b, team.to_owned())).copied().unwrap_or(0);
                    let total: u64 = counts.iter().filter(|((x, _), _)| *x == b).map(|(_, n)| n).sum();
                    let mut apart = 0;
                    for team in &shown.teams {
                        let count = in_batch(team);
                        proptest::prop_assert!(count == 0 || count >= k, "{team}: {count} in batch {b}");
                        apart += count;
                    }
                    let hidden = total - apart;
                    proptest::prop_assert!(hidden == 0 || hidden >= k, "{hidden} hidden in batch {b}");
                }
            }
        }
    }
}
