//! The people a company employs: who they are at work (on their party record) and the 1:1s between
//! a manager and a report.
//!
//! Everything here lives in shared workspace documents, which every member's device receives and
//! whose every change names its author. What only one person may read — their private notes on a 1:1
//! — lives in that person's private document instead (`crate::layout::DocKey::Private`: one text per
//! record at its root, `crate::employee::write_private_note`), which the relay syncs with their own
//! devices only.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use crate::ids::{GoalId, MemberId, PartyId, TaskId, Timestamp};

/// A person as an employee: kept on their party record (`Party::employment`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Employment {
    /// Their job title ("Account executive").
    #[autosurgeon(missing = "Default::default")]
    pub title: String,
    /// The team they belong to ("Sales"); also the group their answers to a pulse survey count in.
    #[autosurgeon(missing = "Default::default")]
    pub team: String,
    /// The person they report to.
    #[autosurgeon(missing = "Default::default")]
    pub manager: Option<PartyId>,
    /// Their own account in this workspace, when they have one: whom 1:1s, surveys and reminders reach.
    #[autosurgeon(missing = "Default::default")]
    pub member: Option<MemberId>,
    /// `YYYY-MM-DD`; empty while not known.
    #[autosurgeon(missing = "Default::default")]
    pub start_date: String,
    /// Skill name → level, 1 (learning) to 5 (expert).
    #[autosurgeon(missing = "Default::default")]
    pub skills: BTreeMap<String, u8>,
    /// Trainings taken, by training id (as text).
    #[autosurgeon(missing = "Default::default")]
    pub trainings: BTreeMap<String, Training>,
}

impl Employment {
    /// The highest skill level.
    pub const MOST_LEVEL: u8 = 5;
}

impl super::sparse::Sparse for Employment {
    fn is_unset(&self) -> bool {
        *self == Employment::default()
    }
}

/// A training or course someone took; one that must be renewed (first aid, a safety course) has an
/// expiry day, and its holder and their manager are reminded before it.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Training {
    pub name: String,
    /// `YYYY-MM-DD`; empty while not done or not known.
    #[autosurgeon(missing = "Default::default")]
    pub completed: String,
    /// Its last valid day, `YYYY-MM-DD`; empty when it does not expire.
    #[autosurgeon(missing = "Default::default")]
    pub expires: String,
    /// Removed from the record: kept so that every device cancels its reminder.
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// A recurring 1:1 between a manager and a report: the shared agenda both add talking points to
/// (carried over meeting after meeting until done), the action items agreed (each a task), and the
/// meetings held. Both sides' private notes are not here but in each one's private document.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct OneOnOne {
    pub manager: MemberId,
    pub report: MemberId,
    /// Meets every this many weeks (1, 2 or 4).
    pub every_weeks: u8,
    /// The next meeting's day, `YYYY-MM-DD`; empty while not planned.
    #[autosurgeon(missing = "Default::default")]
    pub next: String,
    /// Talking points and action items by point id (as text).
    #[autosurgeon(missing = "Default::default")]
    pub points: BTreeMap<String, TalkingPoint>,
    /// Meetings held, by the day each was held (`YYYY-MM-DD`), so two devices closing the same
    /// meeting record one (`crate::employee::close_meeting`).
    #[autosurgeon(missing = "Default::default")]
    pub meetings: BTreeMap<String, Meeting>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// Something to talk about, or an action item agreed.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct TalkingPoint {
    pub text: String,
    pub by: MemberId,
    pub at: Timestamp,
    /// Talked through (a talking point) — an action item is done when its task is.
    #[autosurgeon(missing = "Default::default")]
    pub done: bool,
    /// The meeting it was covered at (its day); a point not done when its meeting closes keeps none
    /// and is on the next agenda again.
    #[autosurgeon(missing = "Default::default")]
    pub meeting: Option<String>,
    /// An action item: the task it became (its id derives from the point,
    /// `crate::employee::action_task`).
    #[autosurgeon(missing = "Default::default")]
    pub task: Option<TaskId>,
    /// Where it is listed among the open points (smaller first), so both sides can reorder.
    #[autosurgeon(missing = "Default::default")]
    pub position: i64,
}

/// A 1:1 that took place.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Meeting {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Who closed it, and when.
    pub by: MemberId,
    pub at: Timestamp,
}

/// Recognition: praise for living one of the company's values, public to the whole workspace (a
/// feed on the Team page, counted per person and value).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Kudos {
    pub from: MemberId,
    /// The people recognised.
    pub to: Vec<PartyId>,
    /// One of the company's values (`WorkspaceSettings::company_values`), as named when given;
    /// empty for none.
    #[autosurgeon(missing = "Default::default")]
    pub value: String,
    pub message: String,
    pub at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// An anonymous pulse survey: its questions, whom it asks and how often. Its answers are never in a
/// document (every change names its author and time): each round of it is a ballot at the relay
/// (`crate::ballot`), with an id derived from the survey and the round (`crate::pulse`), so every
/// device registers and answers the same one. Its questions do not change once made: a round's
/// answers are read against them.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Survey {
    pub title: String,
    pub questions: Vec<SurveyQuestion>,
    /// The teams asked (`Employment::team`); none: everyone employed who has an account.
    #[autosurgeon(missing = "Default::default")]
    pub teams: Vec<String>,
    /// The smallest group of answers shown (`crate::ballot::MIN_K` at least).
    pub k: u32,
    /// Answers are shown as they come, this many at a time; `0`: only when a round closes.
    #[autosurgeon(missing = "Default::default")]
    pub batch: u32,
    /// When the first round opens: the start of the day chosen, where it was chosen (a day alone
    /// would open it hours apart on devices in different time zones).
    pub starts: Timestamp,
    /// A new round every this many weeks; `0`: one round only.
    #[autosurgeon(missing = "Default::default")]
    pub every_weeks: u8,
    /// How many days each round takes answers.
    pub open_days: u8,
    pub created_by: MemberId,
    pub created_at: Timestamp,
    /// When it was stopped: no round opens after it (the one open then runs to its close).
    #[autosurgeon(missing = "Default::default")]
    pub stopped_at: Option<Timestamp>,
}

/// One question of a survey.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct SurveyQuestion {
    /// Names the question in answers (`q1`, `q2`, …).
    pub key: String,
    pub text: String,
    /// `scale` (1–5), `enps` (0–10), `choice` (one of `options`) or `text`.
    pub kind: String,
    #[autosurgeon(missing = "Default::default")]
    pub options: Vec<String>,
}

/// A review cycle: the reviews its template asks for (self, manager, peer, upward) of the people
/// employed when it was launched, each with their manager as it was then — kept here so every
/// device assigns the same reviews whatever changes in the records later. The reviews themselves
/// never live in a document (each change names its author, and every member's device receives it):
/// self, manager and peer reviews travel as letters to their readers alone
/// (`crate::letters::Note::Review`), upward ones through the relay's ballot box, shown to the
/// manager alone and only when enough answered (`crate::reviews`).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct ReviewCycle {
    pub title: String,
    /// `quarterly`, `annual` or `probation`: what its questions came from.
    pub template: String,
    /// The reviews asked for: `self`, `manager`, `peer`, `upward`.
    pub kinds: Vec<String>,
    /// The questions of self, manager and peer reviews.
    pub questions: Vec<SurveyQuestion>,
    /// The questions a report answers about their manager, anonymously.
    #[autosurgeon(missing = "Default::default")]
    pub upward_questions: Vec<SurveyQuestion>,
    /// Who is reviewed, by member id as text, with their manager's member id then (empty: none).
    pub participants: BTreeMap<String, String>,
    /// Peer reviewers asked, `"<subject>/<reviewer>"` → still asked (`false`: taken back), so an
    /// addition and a removal of different pairs on two devices both hold.
    #[autosurgeon(missing = "Default::default")]
    pub peers: BTreeMap<String, bool>,
    /// The fewest upward reviews a manager is shown (`crate::ballot::MIN_K` at least); a manager
    /// with fewer reports in the cycle is not reviewed upward.
    pub k: u32,
    /// When it stops taking reviews.
    pub closes: Timestamp,
    /// Closed early by hand.
    #[autosurgeon(missing = "Default::default")]
    pub closed_at: Option<Timestamp>,
    pub created_by: MemberId,
    pub created_at: Timestamp,
}

/// An objective with measurable key results: the company's, a team's or one person's, serving a
/// parent goal (company → team → person). Its progress comes from check-ins, whenever they are made
/// — not from appraisal cycles — and is derived, never stored (`crate::goals::GoalRow`).
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Goal {
    pub title: String,
    /// A team's goal: the team's name (`Employment::team`); empty for the company's or a person's.
    #[autosurgeon(missing = "Default::default")]
    pub team: String,
    /// A person's goal: whose (their party).
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<PartyId>,
    /// The goal it serves.
    #[autosurgeon(missing = "Default::default")]
    pub parent: Option<GoalId>,
    /// The day it is due, `YYYY-MM-DD`; empty for none.
    #[autosurgeon(missing = "Default::default")]
    pub due: String,
    /// Key results by id (as text).
    #[autosurgeon(missing = "Default::default")]
    pub key_results: BTreeMap<String, KeyResult>,
    /// Check-ins by id (as text): each device adds its own, so two made at once both count.
    #[autosurgeon(missing = "Default::default")]
    pub check_ins: BTreeMap<String, CheckIn>,
    pub created_by: MemberId,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// A measurable result: from where it started to its target, in a unit ("customers", "%", "k€").
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct KeyResult {
    pub title: String,
    pub start: f64,
    pub target: f64,
    #[autosurgeon(missing = "Default::default")]
    pub unit: String,
    #[autosurgeon(missing = "Default::default")]
    pub position: i64,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// Where a goal stood when someone looked: the value each key result reached, how confident they
/// are it will be met, from 1 (it will not) to 10 (it will), and a note.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct CheckIn {
    pub at: Timestamp,
    pub by: MemberId,
    /// Key result id → value reached.
    #[autosurgeon(missing = "Default::default")]
    pub values: BTreeMap<String, f64>,
    pub confidence: u8,
    #[autosurgeon(missing = "Default::default")]
    pub note: String,
}
