//! Review cycles, decided: who reviews whom, who reads each review, and what may be shown when.
//!
//! A cycle ([`ReviewCycle`]) is launched from a template over the people employed then, each with
//! their manager as it was then, so every device assigns the same reviews whatever changes in the
//! records later. The reviews never live in a document — every change names its author and every
//! member's device receives every document — so:
//! - **self** review: the subject writes it to their manager (to whoever ran the cycle, for someone
//!   without one);
//! - **peer** review: a colleague the manager asked writes it to the subject's manager alone;
//! - **manager** review: the manager writes it to the subject, who is shown it once the cycle has
//!   closed;
//!
//! each as a letter (`crate::letters::Note::Review`) the relay lists to its sender and recipients
//! alone. **Upward** reviews (report → manager) are anonymous: they go to the relay's ballot box,
//! one ballot per manager ([`upward_ballot`]) whose sole reader is that manager, shown only once
//! the cycle has closed and only when `k` or more answered — so a manager with fewer than `k`
//! reports in the cycle is not reviewed upward at all.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::ballot::{Ballot, Invitee, MIN_K};
use crate::ids::{MemberId, ReviewCycleId, Timestamp, WorkspaceId};
use crate::letters::{Note, Read};
use crate::model::{ReviewCycle, SurveyQuestion};
use crate::pulse::{QuestionKind, QuestionRow};
use crate::read_model::ReadModel;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// How recently someone must have started for a probation review.
const PROBATION_DAYS: i64 = 183;

/// A kind of review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ReviewKind {
    /// Of oneself.
    Own,
    /// Of a report, by their manager.
    Manager,
    /// Of a colleague, asked by their manager.
    Peer,
    /// Of one's manager, anonymous.
    Upward,
}

impl ReviewKind {
    pub const ALL: [ReviewKind; 4] =
        [ReviewKind::Own, ReviewKind::Manager, ReviewKind::Peer, ReviewKind::Upward];

    pub fn name(self) -> &'static str {
        match self {
            ReviewKind::Own => "self",
            ReviewKind::Manager => "manager",
            ReviewKind::Peer => "peer",
            ReviewKind::Upward => "upward",
        }
    }

    pub fn parse(name: &str) -> Option<ReviewKind> {
        ReviewKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// What a cycle's questions come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Template {
    Quarterly,
    Annual,
    /// Of those who started in the last six months: self and manager reviews, ending in a
    /// recommendation.
    Probation,
}

/// A question a template asks, its words chosen by the app in the user's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Asked {
    Overall,
    Values,
    WentWell,
    Better,
    NextFocus,
    /// Confirm, extend or end a probation (three options).
    Recommendation,
    ClearGoals,
    UsefulFeedback,
    KeepOrChange,
}

impl Asked {
    pub fn kind(self) -> QuestionKind {
        match self {
            Asked::Overall | Asked::Values | Asked::ClearGoals | Asked::UsefulFeedback => {
                QuestionKind::Scale
            }
            Asked::Recommendation => QuestionKind::Choice,
            Asked::WentWell | Asked::Better | Asked::NextFocus | Asked::KeepOrChange => {
                QuestionKind::Text
            }
        }
    }
}

impl Template {
    pub const ALL: [Template; 3] = [Template::Quarterly, Template::Annual, Template::Probation];

    pub fn name(self) -> &'static str {
        match self {
            Template::Quarterly => "quarterly",
            Template::Annual => "annual",
            Template::Probation => "probation",
        }
    }

    pub fn parse(name: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The reviews it asks for unless changed.
    pub fn kinds(self) -> Vec<ReviewKind> {
        match self {
            Template::Quarterly | Template::Annual => ReviewKind::ALL.to_vec(),
            Template::Probation => vec![ReviewKind::Own, ReviewKind::Manager],
        }
    }

    /// How many days it stays open unless changed.
    pub fn days_open(self) -> i64 {
        match self {
            Template::Quarterly => 14,
            Template::Annual => 21,
            Template::Probation => 7,
        }
    }

    /// The questions of its self, manager and peer reviews.
    pub fn asks(self) -> &'static [Asked] {
        match self {
            Template::Quarterly => &[Asked::Overall, Asked::WentWell, Asked::Better],
            Template::Annual => {
                &[Asked::Overall, Asked::Values, Asked::WentWell, Asked::Better, Asked::NextFocus]
            }
            Template::Probation => {
                &[Asked::Overall, Asked::WentWell, Asked::Better, Asked::Recommendation]
            }
        }
    }

    /// The questions of an upward review.
    pub const UPWARD: [Asked; 3] = [Asked::ClearGoals, Asked::UsefulFeedback, Asked::KeepOrChange];

    /// Questions keyed `q1`, `q2`, … from `asked`, in the words `words` gives each (its text and,
    /// for a choice, its options).
    pub fn questions(
        asked: &[Asked],
        words: impl Fn(Asked) -> (String, Vec<String>),
    ) -> Vec<SurveyQuestion> {
        asked
            .iter()
            .enumerate()
            .map(|(i, asked)| {
                let (text, options) = words(*asked);
                SurveyQuestion {
                    key: format!("q{}", i + 1),
                    text,
                    kind: asked.kind().name().to_owned(),
                    options: if asked.kind() == QuestionKind::Choice {
                        options
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect()
    }
}

/// Why a cycle cannot be launched as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CycleRefused {
    #[error("a cycle has a title")]
    NoTitle,
    #[error("a cycle asks for at least one kind of review")]
    NoKinds,
    #[error("nobody is employed with an account to review")]
    NobodyToReview,
    #[error("upward reviews are shown from {MIN_K} answers")]
    KTooSmall,
    #[error("a cycle closes after it opens")]
    ClosesTooSoon,
}

/// Why `cycle` cannot be launched, if it cannot.
pub fn refused(cycle: &ReviewCycle) -> Option<CycleRefused> {
    if cycle.title.trim().is_empty() {
        return Some(CycleRefused::NoTitle);
    }
    if !cycle.kinds.iter().any(|k| ReviewKind::parse(k).is_some()) {
        return Some(CycleRefused::NoKinds);
    }
    if cycle.participants.is_empty() {
        return Some(CycleRefused::NobodyToReview);
    }
    if cycle.k < MIN_K {
        return Some(CycleRefused::KTooSmall);
    }
    (cycle.closes <= cycle.created_at).then_some(CycleRefused::ClosesTooSoon)
}

/// Who a cycle of `template` launched at `now` reviews: everyone employed with an account (for a
/// probation, those who started in the last six months), by member id as text, with their
/// manager's member id as text (empty: none).
pub fn participants(
    model: &ReadModel,
    template: Template,
    now: Timestamp,
) -> BTreeMap<String, String> {
    let current = |row: &&crate::read_model::PartyRow| !row.archived && row.merged_into.is_none();
    let mut participants = BTreeMap::new();
    for row in model.parties.values().filter(current) {
        let Some(employee) = row.employee.as_deref() else { continue };
        let Some(member) = employee.member else { continue };
        if template == Template::Probation {
            let started =
                crate::contract::parse_day(&employee.start_date).map(crate::contract::utc_midnight);
            let recent = started.is_some_and(|at| now.0 - at.0 <= PROBATION_DAYS * DAY_MS);
            if !recent {
                continue;
            }
        }
        let manager = employee
            .manager
            .and_then(|party| model.parties.get(&party))
            .filter(|party| !party.archived)
            .and_then(|party| party.employee.as_deref()?.member)
            .filter(|manager| *manager != member);
        participants
            .entry(member.to_string())
            .or_insert_with(|| manager.map(|m| m.to_string()).unwrap_or_default());
    }
    participants
}

/// The key of a peer reviewer in [`ReviewCycle::peers`].
pub fn peer_key(subject: MemberId, reviewer: MemberId) -> String {
    format!("{subject}/{reviewer}")
}

/// A cycle as the pages read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRow {
    pub id: ReviewCycleId,
    pub title: String,
    /// `None` for a template this version does not know.
    pub template: Option<Template>,
    pub kinds: Vec<ReviewKind>,
    pub questions: Vec<QuestionRow>,
    pub upward_questions: Vec<QuestionRow>,
    /// Who is reviewed, with their manager at launch.
    pub participants: BTreeMap<MemberId, Option<MemberId>>,
    /// (subject, reviewer) pairs asked for a peer review.
    pub peers: BTreeSet<(MemberId, MemberId)>,
    pub k: u32,
    pub closes: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub created_by: MemberId,
    pub created_at: Timestamp,
}

fn question_rows(questions: &[SurveyQuestion]) -> Vec<QuestionRow> {
    questions
        .iter()
        .map(|q| QuestionRow {
            key: q.key.clone(),
            text: q.text.clone(),
            kind: QuestionKind::of(q).filter(|kind| *kind != QuestionKind::Enps),
            options: q.options.clone(),
        })
        .collect()
}

impl ReviewRow {
    pub fn of(id: ReviewCycleId, cycle: &ReviewCycle) -> ReviewRow {
        let participants = cycle
            .participants
            .iter()
            .filter_map(|(member, manager)| Some((member.parse().ok()?, manager.parse().ok())))
            .collect();
        let peers = cycle
            .peers
            .iter()
            .filter(|(_, asked)| **asked)
            .filter_map(|(key, _)| {
                let (subject, reviewer) = key.split_once('/')?;
                Some((subject.parse().ok()?, reviewer.parse().ok()?))
            })
            .filter(|(subject, reviewer)| subject != reviewer)
            .collect();
        let mut kinds: Vec<ReviewKind> =
            cycle.kinds.iter().filter_map(|k| ReviewKind::parse(k)).collect();
        kinds.sort();
        kinds.dedup();
        ReviewRow {
            id,
            title: cycle.title.clone(),
            template: Template::parse(&cycle.template),
            kinds,
            questions: question_rows(&cycle.questions),
            upward_questions: question_rows(&cycle.upward_questions),
            participants,
            peers,
            k: cycle.k.max(MIN_K),
            closes: cycle.closes,
            closed_at: cycle.closed_at,
            created_by: cycle.created_by,
            created_at: cycle.created_at,
        }
    }

    pub fn asks(&self, kind: ReviewKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// When it stopped, or stops, taking reviews: its close, or earlier when closed by hand.
    pub fn ends(&self) -> Timestamp {
        self.closed_at.map_or(self.closes, |at| at.min(self.closes))
    }

    pub fn is_open(&self, now: Timestamp) -> bool {
        now < self.ends()
    }

    pub fn manager_of(&self, subject: MemberId) -> Option<MemberId> {
        self.participants.get(&subject).copied().flatten()
    }

    /// Who reads `subject`'s self and peer reviews: their manager, or whoever ran the cycle.
    pub fn reader_of(&self, subject: MemberId) -> MemberId {
        self.manager_of(subject).unwrap_or(self.created_by)
    }

    /// Those reviewed in the cycle whose manager was `manager`.
    pub fn reports_of(&self, manager: MemberId) -> Vec<MemberId> {
        self.participants
            .iter()
            .filter(|(_, m)| **m == Some(manager))
            .map(|(member, _)| *member)
            .collect()
    }

    /// The colleagues asked to review `subject`.
    pub fn peers_of(&self, subject: MemberId) -> Vec<MemberId> {
        self.peers.iter().filter(|(s, _)| *s == subject).map(|(_, r)| *r).collect()
    }

    /// Whether `manager` is reviewed upward: asked for, and `k` or more reports to answer.
    pub fn reviewed_upward(&self, manager: MemberId) -> bool {
        self.asks(ReviewKind::Upward) && self.reports_of(manager).len() >= self.k as usize
    }

    /// Everyone who manages someone in the cycle.
    pub fn managers(&self) -> BTreeSet<MemberId> {
        self.participants.values().flatten().copied().collect()
    }
}

/// A review `member` is asked to write in a cycle, and to whom it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub kind: ReviewKind,
    pub about: MemberId,
    pub to: Vec<MemberId>,
}

/// The letter-borne reviews `me` is asked to write in `cycle`: their own, their reports', and
/// those of colleagues they were asked to review (upward ones: [`upward_open_for`]).
pub fn assignments(cycle: &ReviewRow, me: MemberId) -> Vec<Assignment> {
    let mut assignments = Vec::new();
    if cycle.asks(ReviewKind::Own) && cycle.participants.contains_key(&me) {
        assignments.push(Assignment {
            kind: ReviewKind::Own,
            about: me,
            to: vec![cycle.reader_of(me)],
        });
    }
    if cycle.asks(ReviewKind::Manager) {
        for report in cycle.reports_of(me) {
            assignments.push(Assignment {
                kind: ReviewKind::Manager,
                about: report,
                to: vec![report],
            });
        }
    }
    if cycle.asks(ReviewKind::Peer) {
        for (subject, _) in cycle.peers.iter().filter(|(_, reviewer)| *reviewer == me) {
            let reader = cycle.reader_of(*subject);
            if cycle.participants.contains_key(subject) && reader != me {
                assignments.push(Assignment {
                    kind: ReviewKind::Peer,
                    about: *subject,
                    to: vec![reader],
                });
            }
        }
    }
    assignments
}

/// A review written in a cycle, as a letter carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub letter: String,
    pub from: MemberId,
    pub kind: ReviewKind,
    pub about: MemberId,
    /// The answers' text (`crate::pulse::answers_text`).
    pub answers: String,
    /// Unix seconds at the relay; `None` while it waits on the writer's device.
    pub at: Option<i64>,
}

/// Whether `from` may write a review of `kind` about `about` in `cycle`: one's own, one's report's,
/// a colleague's one was asked for. A letter claiming more (anyone may write to anyone) is passed
/// over, so nobody's note passes for their manager's review.
pub fn may_write(cycle: &ReviewRow, from: MemberId, kind: ReviewKind, about: MemberId) -> bool {
    match kind {
        ReviewKind::Own => from == about && cycle.participants.contains_key(&about),
        ReviewKind::Manager => cycle.manager_of(about) == Some(from),
        ReviewKind::Peer => cycle.peers.contains(&(about, from)),
        ReviewKind::Upward => false,
    }
}

/// The reviews of `cycle` among `letters` that their writers may write: for each writer, kind and
/// subject the latest only (a review written again replaces the one before).
pub fn reviews_in<'a>(
    cycle: &ReviewRow,
    letters: impl IntoIterator<Item = &'a Read>,
) -> Vec<Review> {
    let row = cycle;
    let cycle = cycle.id.to_string();
    let mut latest: BTreeMap<(MemberId, ReviewKind, MemberId), Review> = BTreeMap::new();
    for letter in letters {
        let Note::Review { cycle: of, review, about, answers } = &letter.note else { continue };
        let (Some(kind), Ok(about)) = (ReviewKind::parse(review), about.parse()) else { continue };
        if *of != cycle || !may_write(row, letter.from, kind, about) {
            continue;
        }
        let review = Review {
            letter: letter.id.clone(),
            from: letter.from,
            kind,
            about,
            answers: answers.clone(),
            at: letter.at,
        };
        let key = (letter.from, kind, about);
        // Waiting ones (no time yet) are the newest.
        let newer = |kept: &Review| kept.at.unwrap_or(i64::MAX) <= review.at.unwrap_or(i64::MAX);
        if latest.get(&key).is_none_or(newer) {
            latest.insert(key, review);
        }
    }
    latest.into_values().collect()
}

/// Whether `me` is shown `review`: a manager's review of its subject only once the cycle closed
/// (the manager writes it while the cycle runs, and the subject reads it with everyone else's).
pub fn shown_to(cycle: &ReviewRow, review: &Review, me: MemberId, now: Timestamp) -> bool {
    review.from == me || review.kind != ReviewKind::Manager || !cycle.is_open(now)
}

/// Where one subject's reviews stand, as the one who reads them sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub subject: MemberId,
    pub own_written: bool,
    pub manager_written: bool,
    pub peers_asked: Vec<MemberId>,
    pub peers_written: BTreeSet<MemberId>,
}

/// How the reviews stand of everyone whose self and peer reviews `reader` reads in `cycle` (their
/// reports; for whoever ran it, those without a manager too), from the reviews `reader` can read.
pub fn progress(cycle: &ReviewRow, reviews: &[Review], reader: MemberId) -> Vec<Progress> {
    cycle
        .participants
        .keys()
        .copied()
        .filter(|subject| *subject != reader && cycle.reader_of(*subject) == reader)
        .map(|subject| {
            let written = |kind: ReviewKind, from: MemberId| {
                reviews.iter().any(|r| r.kind == kind && r.about == subject && r.from == from)
            };
            let peers_asked = cycle.peers_of(subject);
            let peers_written =
                peers_asked.iter().copied().filter(|p| written(ReviewKind::Peer, *p)).collect();
            Progress {
                subject,
                own_written: written(ReviewKind::Own, subject),
                manager_written: cycle
                    .manager_of(subject)
                    .is_some_and(|manager| written(ReviewKind::Manager, manager)),
                peers_asked,
                peers_written,
            }
        })
        .collect()
}

/// The relay's id for the upward reviews of `manager` in `cycle`: the same on every device.
pub fn upward_ballot(workspace: WorkspaceId, cycle: ReviewCycleId, manager: MemberId) -> String {
    let bytes = crate::outbox::derived_uuid(
        workspace,
        &["upward", &cycle.to_string(), &manager.to_string()],
    );
    uuid::Uuid::from_bytes(bytes).to_string()
}

/// The ballot of `manager`'s upward reviews in `cycle`: their reports in the cycle answer, the
/// manager alone reads, nothing is shown before the close.
pub fn upward_ballot_of(cycle: &ReviewRow, manager: MemberId) -> Ballot {
    Ballot {
        k: cycle.k,
        batch: 0,
        closes_at: cycle.ends().0.div_euclid(1000),
        invitees: cycle
            .reports_of(manager)
            .into_iter()
            .map(|member| Invitee { member: member.to_string(), team: String::new() })
            .collect(),
        readers: vec![manager.to_string()],
    }
}

/// How long after its planned close a cycle's ballots are still registered: one closed early by
/// hand moves its ballots' close, and the devices that register may have been offline then.
const REGISTER_AFTER_CLOSE_MS: i64 = DAY_MS;

/// Every upward ballot to register now, by its relay id: those of cycles still open, or closed
/// lately (their new close to be told).
pub fn upward_ballots(
    model: &ReadModel,
    workspace: WorkspaceId,
    now: Timestamp,
) -> Vec<(String, Ballot)> {
    model
        .reviews
        .values()
        .filter(|cycle| now.0 < cycle.closes.0 + REGISTER_AFTER_CLOSE_MS)
        .flat_map(|cycle| {
            cycle.managers().into_iter().filter(|manager| cycle.reviewed_upward(*manager)).map(
                |manager| {
                    (upward_ballot(workspace, cycle.id, manager), upward_ballot_of(cycle, manager))
                },
            )
        })
        .collect()
}

/// The cycles open now in which `me` reviews their manager upward, with that manager.
pub fn upward_open_for(
    model: &ReadModel,
    me: MemberId,
    now: Timestamp,
) -> Vec<(&ReviewRow, MemberId)> {
    model
        .reviews
        .values()
        .filter(|cycle| cycle.is_open(now))
        .filter_map(|cycle| {
            let manager = cycle.manager_of(me)?;
            cycle.reviewed_upward(manager).then_some((cycle, manager))
        })
        .collect()
}

#[cfg(test)]
mod tests;
