//! Marketing records: segments — saved audiences over people and organisations — and campaigns, a
//! mail written once for segments and lists.
//!
//! A segment's rule is data in the workspace, edited on screen and evaluated on every device by
//! [`crate::segments`]; its types also derive serde, since its row carries the rule as it is. What a
//! campaign sends to whom is decided by [`crate::campaigns`].

use autosurgeon::{Hydrate, Reconcile};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::NameSet;
use crate::ids::{CampaignId, MemberId, SegmentId, StageId, Timestamp};

/// A saved audience: either a rule (who matches it now, counted afresh as records change) or a static
/// list of parties added by hand.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Segment {
    pub name: String,
    /// A static list (its `members`) rather than a rule.
    #[autosurgeon(missing = "Default::default")]
    pub list: bool,
    #[autosurgeon(missing = "Default::default")]
    pub rule: SegmentRule,
    /// A list's parties, by id as text: a set, so two devices adding different people keep both.
    #[autosurgeon(missing = "Default::default")]
    pub members: NameSet,
    #[autosurgeon(missing = "Default::default")]
    pub created_by: Option<MemberId>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// A mail written once and sent to the people of segments and lists (less those of others), each
/// copy filled in from its recipient's record ([`crate::template`] merge fields).
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Campaign {
    pub name: String,
    #[autosurgeon(missing = "Default::default")]
    pub subject: String,
    /// The text, with merge fields (`Hello {{first_name|there}}`).
    #[autosurgeon(missing = "Default::default")]
    pub body: String,
    /// The segments and lists (ids as text) whose people receive it.
    #[autosurgeon(missing = "Default::default")]
    pub include: NameSet,
    /// The segments and lists whose people do not, even when included.
    #[autosurgeon(missing = "Default::default")]
    pub exclude: NameSet,
    /// Only to those whose record says they agreed to marketing email; otherwise also to those never
    /// asked. Those who refused or unsubscribed never receive it.
    #[autosurgeon(missing = "Default::default")]
    pub consented_only: bool,
    /// When its copies are to go (at once when none, or when the time has passed by the time it is
    /// sent), and how many an hour at most (all at once when 0): a draft's choices.
    #[autosurgeon(missing = "Default::default")]
    pub send_at: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub per_hour: u32,
    /// As sent: when its first copies go (none: at once), and the pace they went at (0: all at once).
    #[autosurgeon(missing = "Default::default")]
    pub scheduled_for: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub paced: u32,
    /// When it was sent (a draft until then; a scheduled campaign taken back is a draft again), and
    /// by whom.
    #[autosurgeon(missing = "Default::default")]
    pub sent_at: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub sent_by: Option<MemberId>,
    /// How many times it was sent again after being taken back: each round's copies have ids of
    /// their own, so a round taken back is cancelled, and copies of it still waiting on a device
    /// offline meanwhile withdrawn, without touching the next round's.
    #[autosurgeon(missing = "Default::default")]
    pub round: u32,
    /// Who it was sent to, fixed when it was sent: party id (as text) → the address used. A draft
    /// that has them was scheduled and taken back: every device withdraws their copies.
    #[autosurgeon(missing = "Default::default")]
    pub recipients: std::collections::BTreeMap<String, String>,
    /// The subject and text as they were sent: an edit from a device that had not heard of the send
    /// changes the draft fields, never what went.
    #[autosurgeon(missing = "Default::default")]
    pub sent_subject: String,
    #[autosurgeon(missing = "Default::default")]
    pub sent_body: String,
    /// A subject test: a second subject, and the share of the audience (in percent) that receives
    /// one subject or the other first; the rest later receive the subject that did better. No test
    /// while the second subject is empty or the share 0.
    #[autosurgeon(missing = "Default::default")]
    pub subject_b: String,
    #[autosurgeon(missing = "Default::default")]
    pub test_percent: u32,
    /// The second subject as sent, and who received which subject in the test (party ids as text).
    #[autosurgeon(missing = "Default::default")]
    pub sent_subject_b: String,
    #[autosurgeon(missing = "Default::default")]
    pub got_a: NameSet,
    #[autosurgeon(missing = "Default::default")]
    pub got_b: NameSet,
    /// The subject sent to the rest after a test, and when.
    #[autosurgeon(missing = "Default::default")]
    pub winner_subject: String,
    #[autosurgeon(missing = "Default::default")]
    pub winner_sent_at: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub created_by: Option<MemberId>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// Groups of conditions: every group (`any == false`) or any of them must hold. No group at all is
/// everyone.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Hash, Reconcile, Hydrate, Serialize, Deserialize,
)]
pub struct SegmentRule {
    pub any: bool,
    pub groups: Vec<ConditionGroup>,
}

/// Conditions of which every one (`any == false`) or any one must hold. No condition is everyone.
///
/// Groups and conditions carry ids (`#[key]`), so a list edited on two devices at once is merged item
/// by item — one person removing a condition while another changes the next keeps both — rather than
/// position by position.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Hash, Reconcile, Hydrate, Serialize, Deserialize,
)]
pub struct ConditionGroup {
    #[key]
    pub id: String,
    pub any: bool,
    pub conditions: Vec<RuleCondition>,
}

/// A condition in a group, under its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct RuleCondition {
    #[key]
    pub id: String,
    pub test: Condition,
}

/// One change to a rule, by the ids of what it changes, applied to the rule as it is stored when it is
/// written ([`SegmentRule::apply`]): a colleague's change elsewhere in the rule is kept, and a change to
/// a condition a colleague removed meanwhile changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleEdit {
    /// Whether any group (rather than every one) must hold.
    Any(bool),
    AddGroup {
        group: String,
        first: RuleCondition,
    },
    RemoveGroup {
        group: String,
    },
    GroupAny {
        group: String,
        any: bool,
    },
    Add {
        group: String,
        condition: RuleCondition,
    },
    Remove {
        group: String,
        condition: String,
    },
    Set {
        group: String,
        condition: String,
        test: Condition,
    },
}

impl SegmentRule {
    /// Applies `edit`; whether the rule changed.
    pub fn apply(&mut self, edit: &RuleEdit) -> bool {
        let group_of = |rule: &mut SegmentRule, id: &str| -> Option<usize> {
            rule.groups.iter().position(|g| g.id == id)
        };
        match edit {
            RuleEdit::Any(any) => std::mem::replace(&mut self.any, *any) != *any,
            RuleEdit::AddGroup { group, first } => {
                if group_of(self, group).is_some() {
                    return false;
                }
                self.groups.push(ConditionGroup {
                    id: group.clone(),
                    any: false,
                    conditions: vec![first.clone()],
                });
                true
            }
            RuleEdit::RemoveGroup { group } => match group_of(self, group) {
                Some(at) => {
                    self.groups.remove(at);
                    true
                }
                None => false,
            },
            RuleEdit::GroupAny { group, any } => match group_of(self, group) {
                Some(at) => std::mem::replace(&mut self.groups[at].any, *any) != *any,
                None => false,
            },
            RuleEdit::Add { group, condition } => match group_of(self, group) {
                Some(at) if !self.groups[at].conditions.iter().any(|c| c.id == condition.id) => {
                    self.groups[at].conditions.push(condition.clone());
                    true
                }
                _ => false,
            },
            RuleEdit::Remove { group, condition } => match group_of(self, group) {
                Some(at) => {
                    let before = self.groups[at].conditions.len();
                    self.groups[at].conditions.retain(|c| c.id != *condition);
                    self.groups[at].conditions.len() != before
                }
                None => false,
            },
            RuleEdit::Set { group, condition, test } => {
                let found = group_of(self, group).and_then(|at| {
                    self.groups[at].conditions.iter_mut().find(|c| c.id == *condition)
                });
                match found {
                    Some(c) if c.test != *test => {
                        c.test = test.clone();
                        true
                    }
                    _ => false,
                }
            }
        }
    }

    /// Whether any of its conditions reads campaign activity (which costs a look at every copy).
    pub fn reads_campaigns(&self) -> bool {
        self.groups
            .iter()
            .flat_map(|g| &g.conditions)
            .any(|c| matches!(c.test, Condition::Campaign { .. }))
    }

    /// Whether any of its conditions reads lead scores (which are computed for everyone first).
    pub fn reads_scores(&self) -> bool {
        self.groups
            .iter()
            .flat_map(|g| &g.conditions)
            .any(|c| matches!(c.test, Condition::Score { .. }))
    }

    /// Whether any of its conditions reads relationship health (which is computed for everyone
    /// first).
    pub fn reads_health(&self) -> bool {
        self.groups
            .iter()
            .flat_map(|g| &g.conditions)
            .any(|c| matches!(c.test, Condition::Health { .. }))
    }

    /// The condition `condition` of group `group`, if both are there.
    pub fn condition(&self, group: &str, condition: &str) -> Option<&Condition> {
        let group = self.groups.iter().find(|g| g.id == group)?;
        group.conditions.iter().find(|c| c.id == condition).map(|c| &c.test)
    }
}

/// One test of a party. Each reads the party's record and what the workspace holds about it (deals,
/// tickets, interactions, lists), never anything stored for the segment's sake.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Reconcile, Hydrate, Serialize, Deserialize)]
pub enum Condition {
    /// Organisations (`true`) or people.
    Kind { organisation: bool },
    /// Has (or has not) the role with this [`super::Role`] key.
    Role { role: String, has: bool },
    /// Has (or has not) the tag, compared as the search box compares words.
    Tag { tag: String, has: bool },
    /// Owned by the member; `None`: by nobody.
    Owner { owner: Option<MemberId> },
    /// One of the record's own fields.
    Field { field: PartyField, op: Op, value: String },
    /// A custom field, by definition id; its value compared by the field's kind.
    Custom { field: String, op: Op, value: String },
    /// Last contacted within the last `days` days (`within`), or not (never contacted included).
    Contacted { within: bool, days: u32 },
    /// Has (or has not) a deal in that state (and stage, and of at least that amount in minor units
    /// of the deal's own currency).
    Deal { has: bool, state: DealState, stage: Option<StageId>, at_least: Option<i64> },
    /// Has (or has not) a ticket, only open ones when `open`.
    Ticket { has: bool, open: bool },
    /// Where the party stands on marketing email.
    Consent { state: ConsentState },
    /// Is (or is not) on the static list.
    InList { list: SegmentId, has: bool },
    /// Added within the last `days` days.
    Created { days: u32 },
    /// Was (or was not) sent a campaign — the one named, or any — or opened it, or followed one of
    /// its links.
    Campaign { campaign: Option<CampaignId>, activity: CampaignActivity, has: bool },
    /// Has a lead score of at least `points` (`at_least`), or below it ([`crate::scoring`]). A
    /// segment a scoring rule names is evaluated without scores, where this admits nobody.
    Score { at_least: bool, points: i64 },
    /// Has a relationship health of at least `points` (`at_least`), or below it
    /// ([`crate::relationship::health`], 0 to 100, derived: as the device last computed it, once per
    /// change it reads and once a day).
    Health { at_least: bool, points: u8 },
}

/// How far someone went with a campaign, each step including the one before: a click counts as an
/// open too (a reader whose mail program blocks images opened it all the same).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Reconcile,
    Hydrate,
    Serialize,
    Deserialize,
)]
pub enum CampaignActivity {
    Sent,
    Opened,
    Clicked,
}

impl CampaignActivity {
    pub const ALL: [CampaignActivity; 3] =
        [CampaignActivity::Sent, CampaignActivity::Opened, CampaignActivity::Clicked];

    pub fn key(self) -> &'static str {
        match self {
            CampaignActivity::Sent => "sent",
            CampaignActivity::Opened => "opened",
            CampaignActivity::Clicked => "clicked",
        }
    }

    pub fn from_key(key: &str) -> Option<CampaignActivity> {
        CampaignActivity::ALL.into_iter().find(|&a| a.key() == key)
    }
}

/// A party's own field a condition reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate, Serialize, Deserialize)]
pub enum PartyField {
    Name,
    Email,
    Phone,
    City,
    Country,
}

/// How a value is compared. Text compares folded (case and diacritics aside); numbers and dates
/// (`YYYY-MM-DD`) by order for `AtLeast`/`AtMost`; a field with several values (emails) matches when
/// any does, and `Empty` when it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate, Serialize, Deserialize)]
pub enum Op {
    Contains,
    Is,
    IsNot,
    Empty,
    NotEmpty,
    AtLeast,
    AtMost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate, Serialize, Deserialize)]
pub enum DealState {
    Any,
    Open,
    Won,
    Lost,
}

/// Marketing email consent: given on the record and not withdrawn through an unsubscribe link; refused
/// on the record or through a link; or never asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate, Serialize, Deserialize)]
pub enum ConsentState {
    Given,
    Refused,
    Unknown,
}

impl Op {
    pub const ALL: [Op; 7] =
        [Op::Contains, Op::Is, Op::IsNot, Op::Empty, Op::NotEmpty, Op::AtLeast, Op::AtMost];

    /// Whether the op compares with a typed value (not `Empty`/`NotEmpty`).
    pub fn takes_value(self) -> bool {
        !matches!(self, Op::Empty | Op::NotEmpty)
    }

    pub fn key(self) -> &'static str {
        match self {
            Op::Contains => "contains",
            Op::Is => "is",
            Op::IsNot => "is_not",
            Op::Empty => "empty",
            Op::NotEmpty => "not_empty",
            Op::AtLeast => "at_least",
            Op::AtMost => "at_most",
        }
    }

    pub fn from_key(key: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|&op| op.key() == key)
    }
}

impl PartyField {
    pub const ALL: [PartyField; 5] = [
        PartyField::Name,
        PartyField::Email,
        PartyField::Phone,
        PartyField::City,
        PartyField::Country,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PartyField::Name => "name",
            PartyField::Email => "email",
            PartyField::Phone => "phone",
            PartyField::City => "city",
            PartyField::Country => "country",
        }
    }

    pub fn from_key(key: &str) -> Option<PartyField> {
        PartyField::ALL.into_iter().find(|&field| field.key() == key)
    }
}

impl DealState {
    pub const ALL: [DealState; 4] =
        [DealState::Any, DealState::Open, DealState::Won, DealState::Lost];

    pub fn key(self) -> &'static str {
        match self {
            DealState::Any => "any",
            DealState::Open => "open",
            DealState::Won => "won",
            DealState::Lost => "lost",
        }
    }

    pub fn from_key(key: &str) -> Option<DealState> {
        DealState::ALL.into_iter().find(|&state| state.key() == key)
    }
}

impl ConsentState {
    pub const ALL: [ConsentState; 3] =
        [ConsentState::Given, ConsentState::Refused, ConsentState::Unknown];

    pub fn key(self) -> &'static str {
        match self {
            ConsentState::Given => "given",
            ConsentState::Refused => "refused",
            ConsentState::Unknown => "unknown",
        }
    }

    pub fn from_key(key: &str) -> Option<ConsentState> {
        ConsentState::ALL.into_iter().find(|&state| state.key() == key)
    }
}

/// A drip sequence: steps a party goes through one after another from the moment they are enrolled —
/// mails, tasks for their owner, waits and branches on how they answered (`crate::sequences` derives
/// where each party stands). Steps and enrolments are maps under ids, so two people editing two steps,
/// or enrolling two people, keep both.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Sequence {
    pub name: String,
    /// Steps by id, in the order of their `position`.
    #[autosurgeon(missing = "Default::default")]
    pub steps: BTreeMap<String, SequenceStep>,
    /// A reply does not end the sequence for its sender (a branch on replies decides instead).
    #[autosurgeon(missing = "Default::default")]
    pub stay_on_reply: bool,
    /// Nothing is sent or created while paused; waits count from when a step was done, so a pause
    /// does not make the steps after it come all at once.
    #[autosurgeon(missing = "Default::default")]
    pub paused: bool,
    /// Who was enrolled (party id as text) and when: a party enters a sequence once.
    #[autosurgeon(missing = "Default::default")]
    pub enrolled: BTreeMap<String, Enrolment>,
    /// Parties taken out by hand (party id as text), and when.
    #[autosurgeon(missing = "Default::default")]
    pub removed: BTreeMap<String, Timestamp>,
    /// Steps done, under `party/step` (ids as text): written by the device that took the step's key
    /// in the relay's ledger, so each step is done once for each party.
    #[autosurgeon(missing = "Default::default")]
    pub runs: BTreeMap<String, StepRun>,
    /// Who went through it or left it (party id as text), as a device first saw it: kept, so a
    /// step added later, consent given again or a deal reopened does not take them back in.
    #[autosurgeon(missing = "Default::default")]
    pub outcomes: BTreeMap<String, Outcome>,
    #[autosurgeon(missing = "Default::default")]
    pub created_by: Option<MemberId>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// One step of a [`Sequence`]. Flat, so two people changing two of its fields at once keep both; the
/// fields a kind does not use are kept, so switching a step's kind back loses nothing typed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct SequenceStep {
    pub position: u32,
    /// `email`, `task`, `wait`, `branch` or `end` ([`crate::sequences::StepKind`]); a kind this
    /// version does not know is passed over.
    pub kind: String,
    /// An email's subject and text (merge fields as in campaigns), or a task's title (`subject`).
    #[autosurgeon(missing = "Default::default")]
    pub subject: String,
    #[autosurgeon(missing = "Default::default")]
    pub body: String,
    /// How many days a wait lasts, a branch waits for its answer, or after how many days a task is
    /// due.
    #[autosurgeon(missing = "Default::default")]
    pub days: u32,
    /// What a branch asks of the sequence's mails to this party so far: `opened`, `clicked` or
    /// `replied` — yes as soon as they did, no once its days are over.
    #[autosurgeon(missing = "Default::default")]
    pub on: String,
    /// Where a branch goes when the answer is yes: a later step's id, or empty for the end. When
    /// it is no, the next step follows.
    #[autosurgeon(missing = "Default::default")]
    pub then: String,
}

/// When and by whom a party was enrolled in a sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Enrolment {
    pub at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub by: Option<MemberId>,
}

/// How a party's time in a sequence ended, and when it was seen to.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Outcome {
    pub at: Timestamp,
    /// `finished`, `replied`, `unsubscribed` or `deal_won` ([`crate::sequences::Leave`]).
    pub how: String,
}

/// A step done for one party: when, and for a branch, which way it went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct StepRun {
    pub at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub yes: bool,
    /// Done without effect: an email to a party with no address they may be mailed at.
    #[autosurgeon(missing = "Default::default")]
    pub skipped: bool,
}

/// An automation rule (`crate::automation`): when its trigger happens to a record that meets its
/// condition, its actions are done — once for each occurrence, by the one device that takes the
/// occurrence's key in the relay's ledger. Flat fields and maps under ids, so two people editing two
/// parts of it keep both.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Automation {
    pub name: String,
    /// Switched on at; none while off. Only what happens from then on sets it off.
    #[autosurgeon(missing = "Default::default")]
    pub on_since: Option<Timestamp>,
    /// `created`, `field`, `tag`, `stage`, `date`, `score` or `manual`
    /// ([`crate::automation::Trigger`]); one this version does not know sets nothing off.
    #[autosurgeon(missing = "Default::default")]
    pub trigger: String,
    /// A `field` trigger's custom field, or a `date` trigger's (a custom date field of people, or
    /// `expected_close` of deals).
    #[autosurgeon(missing = "Default::default")]
    pub field: String,
    /// The value a `field` trigger waits for; a `tag` trigger's tag.
    #[autosurgeon(missing = "Default::default")]
    pub value: String,
    /// A `stage` trigger's stage (id as text).
    #[autosurgeon(missing = "Default::default")]
    pub stage: String,
    /// Days after a `date` trigger's date (before it, when negative).
    #[autosurgeon(missing = "Default::default")]
    pub days: i64,
    /// The score a `score` trigger waits for.
    #[autosurgeon(missing = "Default::default")]
    pub points: i64,
    /// Only for people in this segment or list (id as text); none: anyone.
    #[autosurgeon(missing = "Default::default")]
    pub segment: Option<String>,
    /// What it does, by id, in the order of their `position`.
    #[autosurgeon(missing = "Default::default")]
    pub actions: BTreeMap<String, AutomationAction>,
    /// Records (a party's id, `deal:…`) that already met a field, tag or score trigger when it was
    /// switched on, and when: they do not set it off.
    #[autosurgeon(missing = "Default::default")]
    pub baseline: BTreeMap<String, Timestamp>,
    /// Runs asked for by hand on a record, under `record/millis`.
    #[autosurgeon(missing = "Default::default")]
    pub asked: BTreeMap<String, Asked>,
    /// The run log: each occurrence acted on, under its cause, written by the device that took its
    /// key — so a device that sees it does nothing.
    #[autosurgeon(missing = "Default::default")]
    pub runs: BTreeMap<String, AutomationRun>,
    #[autosurgeon(missing = "Default::default")]
    pub created_by: Option<MemberId>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// One action of an [`Automation`]. Flat, so two people changing two of its fields keep both; the
/// fields its kind does not use are kept, so switching the kind back loses nothing typed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct AutomationAction {
    pub position: u32,
    /// `field`, `tag`, `task`, `owner`, `stage`, `email`, `notify` or `sequence`
    /// ([`crate::automation::ActionKind`]); one this version does not know is passed over.
    pub kind: String,
    /// A field action's custom field.
    #[autosurgeon(missing = "Default::default")]
    pub field: String,
    /// A field action's value, a tag, a stage or a sequence (ids as text).
    #[autosurgeon(missing = "Default::default")]
    pub value: String,
    /// An email's subject, a task's title, a notification's text.
    #[autosurgeon(missing = "Default::default")]
    pub subject: String,
    /// An email's text (merge fields as in campaigns).
    #[autosurgeon(missing = "Default::default")]
    pub body: String,
    /// After how many days a task is due.
    #[autosurgeon(missing = "Default::default")]
    pub days: u32,
    /// The owners spread among, or the colleagues notified (member ids as text).
    #[autosurgeon(missing = "Default::default")]
    pub members: NameSet,
}

/// A run asked for by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct Asked {
    pub at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub by: Option<MemberId>,
}

/// One entry of a rule's run log.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate, Serialize, Deserialize)]
pub struct AutomationRun {
    pub at: Timestamp,
    /// The record it ran for (a party's id, `deal:…`).
    pub subject: String,
    /// The member whose device did it.
    #[autosurgeon(missing = "Default::default")]
    pub by: Option<MemberId>,
    /// What each action did, in order: its kind, or `skip:` and why.
    #[autosurgeon(missing = "Default::default")]
    pub did: Vec<String>,
}
