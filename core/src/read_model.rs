//! The read model: flat rows of every record, kept beside the documents so the app can show lists, search
//! and reminders without loading a single Automerge document.
//!
//! Rows are derived from documents and never edited directly. Each document's rows are one unit
//! ([`DocRows`]): the app stores that unit in the same IndexedDB transaction as the document's chunk, so
//! rows and document can never disagree on disk, and opening the app reads about a hundred such records
//! instead of sixty thousand rows. After a document changes (a local edit or changes from a peer), only the
//! records named by the Automerge patches are read again ([`changed_records`], [`ReadModel::refresh`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use automerge::{AutoCommit, Patch, Prop};
use serde::{Deserialize, Serialize};

use crate::document::{self, DocumentError};
use crate::ids::{
    ArticleId, AutomationId, CampaignId, ContractId, DealId, EventId, FeedbackId, GoalId,
    InteractionId, KudosId, MemberId, OneOnOneId, PartyId, PipelineId, PurchaseId, ReviewCycleId,
    RoundId, SegmentId, SequenceId, StageId, SurveyId, TaskId, TeamId, TicketId, Timestamp,
    UpdateId,
};
use crate::layout::{Collection, DocKey, Month};
use crate::model::{
    Article, Automation, Campaign, Channel, Contract, Deal, DealStatus, Feedback, Goal,
    Interaction, InteractionKind, InvestorEvent, InvestorUpdate, Kudos, LinkKind, MessageKind,
    OneOnOne, Party, PartyKind, Purchase, RecordRef, RecurrenceUnit, ReviewCycle, Role, Round,
    Segment, Sequence, Survey, Task, Ticket, TicketPriority, names,
};
use crate::search::{SearchIndex, SearchableParty};

mod hydrated;

use hydrated::FromHydrated;

/// Bumped when a row's shape changes: stored rows of another version are rebuilt from the documents.
pub const ROWS_FORMAT: u32 = 23;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartyRow {
    pub id: PartyId,
    pub kind: PartyKindRow,
    pub name: String,
    /// The name folded for sorting and matching (see [`crate::search::fold`]).
    pub sort_name: String,
    pub roles: Vec<RoleRow>,
    pub tags: Vec<String>,
    pub owner: Option<MemberId>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    /// Organisations this party works at (links of kind "works at").
    pub organisations: Vec<PartyId>,
    pub keep_in_touch_days: Option<u32>,
    pub created_at: Timestamp,
    pub archived: bool,
    /// The record this one was merged into (it is then also `archived`).
    pub merged_into: Option<PartyId>,
    /// What its record says of it as a supplier, when it says anything.
    pub supplier: Option<Box<crate::scorecard::SupplierRow>>,
    /// What its record says of them as an employee, when it says anything.
    pub employee: Option<Box<crate::employee::EmployeeRow>>,
    /// The cities and countries of its addresses, as typed.
    pub cities: Vec<String>,
    pub countries: Vec<String>,
    /// Custom field values by definition id, in id order.
    pub custom: Vec<(String, CustomCell)>,
    /// Marketing email consent as the record says it (`None`: not asked).
    pub email_consent: Option<bool>,
    /// The person was erased at their request (the record is then also `archived` and nameless).
    pub erased: bool,
}

/// A serde mirror of [`crate::model::CustomValue`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CustomCell {
    Text(String),
    Number(f64),
    Date(String),
    Choice(String),
    Boolean(bool),
}

impl CustomCell {
    pub fn of(value: &crate::model::CustomValue) -> CustomCell {
        use crate::model::CustomValue;
        match value {
            CustomValue::Text(text) => CustomCell::Text(text.clone()),
            CustomValue::Number(number) => CustomCell::Number(*number),
            CustomValue::Date(day) => CustomCell::Date(day.clone()),
            CustomValue::Choice(choice) => CustomCell::Choice(choice.clone()),
            CustomValue::Boolean(flag) => CustomCell::Boolean(*flag),
        }
    }
}

/// Serde mirrors of model enums, so the model itself need not depend on serde.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyKindRow {
    Person,
    Organisation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RoleRow {
    Customer,
    Prospect,
    Supplier,
    Investor,
    Employee,
    Partner,
    Other,
}

impl RoleRow {
    pub fn role(self) -> Role {
        Role::ALL[self as usize]
    }

    pub fn of(role: Role) -> RoleRow {
        match role {
            Role::Customer => RoleRow::Customer,
            Role::Prospect => RoleRow::Prospect,
            Role::Supplier => RoleRow::Supplier,
            Role::Investor => RoleRow::Investor,
            Role::Employee => RoleRow::Employee,
            Role::Partner => RoleRow::Partner,
            Role::Other => RoleRow::Other,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InteractionRow {
    pub id: InteractionId,
    pub kind: u8,
    pub at: Timestamp,
    pub parties: Vec<PartyId>,
    pub summary: String,
    pub author: Option<MemberId>,
    /// The timeline email it answers (a reply that came back by mail).
    pub answers: Option<InteractionId>,
    /// Sent by a machine (an out-of-office answer): never counted as a reply.
    pub automatic: bool,
}

impl InteractionRow {
    pub fn kind(&self) -> InteractionKind {
        InteractionKind::ALL[usize::from(self.kind).min(InteractionKind::ALL.len() - 1)]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    pub id: TaskId,
    pub title: String,
    pub due: Option<Timestamp>,
    pub assignee: Option<MemberId>,
    /// Parties the task is about (directly linked).
    pub parties: Vec<PartyId>,
    pub deals: Vec<DealId>,
    pub done_at: Option<Timestamp>,
    pub snoozed_until: Option<Timestamp>,
    pub created_at: Timestamp,
    /// How often it comes back once done, if it repeats.
    pub repeats: Option<RepeatRow>,
}

/// A serde mirror of a task's [`crate::model::Recurrence`]: every so many days, weeks or months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RepeatRow {
    Days(u32),
    Weeks(u32),
    Months(u32),
}

impl TaskRow {
    /// When the task is next due: its snooze end if snoozed past the due time.
    pub fn effective_due(&self) -> Option<Timestamp> {
        match (self.due, self.snoozed_until) {
            (Some(due), Some(snooze)) => Some(due.max(snooze)),
            (due, _) => due,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DealRow {
    pub id: DealId,
    pub title: String,
    pub pipeline: PipelineId,
    pub stage: StageId,
    pub amount_minor: i64,
    pub currency: String,
    pub expected_close: Option<Timestamp>,
    pub owner: Option<MemberId>,
    pub parties: Vec<PartyId>,
    pub status: DealStatusRow,
    pub created_at: Timestamp,
    /// When the deal entered its current stage ("days in stage" on its card).
    pub stage_since: Timestamp,
    /// Every stage it entered and when, oldest first: where it stood at a past time (analytics'
    /// forecast as it stood, time in stage).
    pub stages: Vec<(Timestamp, StageId)>,
    /// When it was won or lost (`None` while open, and for deals closed before this was kept).
    pub closed_at: Option<Timestamp>,
    /// Each closing (won, lost) and reopening (open), oldest first: whether it was open at a past
    /// time.
    pub closings: Vec<(Timestamp, DealStatusRow)>,
    /// Its amount and expected close from each change on, oldest first (empty while they never
    /// changed): the forecast as it stood at a past time.
    pub terms: Vec<TermsRow>,
    pub lost_reason: String,
    /// The fundraising round it is an investor of, with what they soft-circled and committed.
    pub round: Option<RoundId>,
    pub soft_circled: Option<i64>,
    pub committed: Option<i64>,
}

/// A deal's amount and expected close from `at` on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsRow {
    pub at: Timestamp,
    pub amount_minor: i64,
    pub currency: String,
    pub expected_close: Option<Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DealStatusRow {
    Open,
    Won,
    Lost,
}

impl DealStatusRow {
    pub fn of(status: DealStatus) -> DealStatusRow {
        match status {
            DealStatus::Open => DealStatusRow::Open,
            DealStatus::Won => DealStatusRow::Won,
            DealStatus::Lost => DealStatusRow::Lost,
        }
    }
}

/// A ticket as lists show it, with the events its SLA clocks are derived from
/// (`crate::service::Desk::clocks`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketRow {
    pub id: TicketId,
    pub subject: String,
    pub party: Option<PartyId>,
    pub channel: Channel,
    pub priority: TicketPriority,
    /// The status key.
    pub status: String,
    pub team: Option<TeamId>,
    pub assignee: Option<MemberId>,
    pub tags: Vec<String>,
    pub created_at: Timestamp,
    /// The opening, the messages and the status changes, by the writing device's clock, oldest first.
    pub events: Vec<TicketEvent>,
    /// The mails of its conversation ([`crate::model::MailLink::id`]): what a customer's answer
    /// names to be threaded to it (`crate::inbound::thread_of`).
    pub mail_ids: Vec<String>,
    /// The customer's satisfaction score (1–5), once they answered the survey.
    pub rating: Option<u8>,
    /// The breaches already escalated ([`crate::model::Escalated::key`]).
    pub escalated: Vec<String>,
}

impl TicketRow {
    /// When anything last happened on it.
    pub fn last_activity(&self) -> Timestamp {
        self.events.iter().map(|event| event.at).max().unwrap_or(self.created_at)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketEvent {
    /// `opened`, or the message's or status change's id: with the ticket's id, what names the
    /// relay's stamp of it (`crate::service::stamp_id`).
    pub id: String,
    pub at: Timestamp,
    pub kind: TicketEventKind,
    /// `at` is the relay's time already (a mail it received), not a device's: no stamp is waited for.
    pub relay_time: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TicketEventKind {
    Opened,
    /// Moved to this status key.
    Status(String),
    Customer,
    Reply,
    Internal,
}

/// The rows derived from one document: the unit stored and replaced together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocRows {
    pub format: u32,
    /// The document's heads when these rows were derived (hex), to tell a stale unit from a current one.
    pub heads: Vec<String>,
    pub rows: Rows,
    /// Records that could not be read, with the reason: shown to the user, never silently skipped.
    pub damaged: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rows {
    Parties(Vec<PartyRow>),
    Interactions(Vec<InteractionRow>),
    Tasks(Vec<TaskRow>),
    Deals(Vec<DealRow>),
    /// A document whose records have no rows yet (root, contracts, …).
    None,
    Tickets(Vec<TicketRow>),
    Articles(Vec<crate::knowledge::ArticleRow>),
    Contracts(Vec<crate::contract::ContractRow>),
    Purchases(Vec<crate::purchase::PurchaseRow>),
    Rounds(Vec<crate::investor::RoundRow>),
    Updates(Vec<crate::investor::UpdateRow>),
    Events(Vec<crate::investor::EventRow>),
    /// Supplier ratings, from the feedback collection.
    Ratings(Vec<crate::scorecard::RatingRow>),
    OneOnOnes(Vec<crate::employee::OneOnOneRow>),
    Kudos(Vec<crate::employee::KudosRow>),
    /// The member's private notes: (record id as text, the note).
    Private(Vec<(String, String)>),
    Surveys(Vec<crate::pulse::SurveyRow>),
    Goals(Vec<crate::goals::GoalRow>),
    Reviews(Vec<crate::reviews::ReviewRow>),
    Segments(Vec<crate::segments::SegmentRow>),
    Campaigns(Vec<crate::campaigns::CampaignRow>),
    Sequences(Vec<crate::sequences::SequenceRow>),
    Automations(Vec<crate::automation::AutomationRow>),
}

/// Why stored rows could not be used.
#[derive(Debug, thiserror::Error)]
pub enum RowsError {
    #[error("stored rows are unreadable: {0}")]
    Decode(#[from] postcard::Error),
    #[error("stored rows have format {found}, this app writes {expected}")]
    Format { found: u32, expected: u32 },
}

impl DocRows {
    pub fn encode(&self) -> Vec<u8> {
        // Serialising plain rows to a Vec cannot fail.
        postcard::to_allocvec(self).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Result<DocRows, RowsError> {
        let rows: DocRows = postcard::from_bytes(bytes)?;
        if rows.format != ROWS_FORMAT {
            return Err(RowsError::Format { found: rows.format, expected: ROWS_FORMAT });
        }
        Ok(rows)
    }
}

/// The heads of `doc` as hex text.
pub fn heads_of(doc: &mut AutoCommit) -> Vec<String> {
    doc.get_heads().iter().map(|hash| hash.to_string()).collect()
}

/// The keys of the records (at the document root) touched by `patches`.
pub fn changed_records(patches: &[Patch]) -> BTreeSet<String> {
    patches
        .iter()
        .filter_map(|patch| match patch.path.first() {
            Some((_, Prop::Map(key))) => Some(key.clone()),
            Some(_) => None,
            None => match &patch.action {
                automerge::PatchAction::PutMap { key, .. }
                | automerge::PatchAction::DeleteMap { key } => Some(key.clone()),
                _ => None,
            },
        })
        .collect()
}

/// Which kinds of rows changed: the screens re-read only what shows them ([`ReadModel::take_changed`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed(u16);

impl Changed {
    pub const NOTHING: Changed = Changed(0);
    pub const PARTIES: Changed = Changed(1);
    pub const TASKS: Changed = Changed(2);
    pub const DEALS: Changed = Changed(4);
    pub const INTERACTIONS: Changed = Changed(8);
    /// The root document: members, pipelines, custom fields, saved views.
    pub const SETTINGS: Changed = Changed(16);
    pub const TICKETS: Changed = Changed(32);
    pub const ARTICLES: Changed = Changed(64);
    pub const CONTRACTS: Changed = Changed(128);
    pub const PURCHASES: Changed = Changed(256);
    /// Feedback: supplier ratings.
    pub const FEEDBACK: Changed = Changed(512);
    /// Fundraising rounds and investor updates.
    pub const INVESTORS: Changed = Changed(1024);
    /// 1:1s (and, as they come, the rest of the employees' records).
    pub const EMPLOYEES: Changed = Changed(2048);
    /// This member's private document.
    pub const PRIVATE: Changed = Changed(4096);
    /// Segments, lists and campaigns.
    pub const MARKETING: Changed = Changed(8192);
    pub const ALL: Changed = Changed(16383);
    /// Each kind on its own, in bit order.
    pub const KINDS: [Changed; 14] = [
        Changed::PARTIES,
        Changed::TASKS,
        Changed::DEALS,
        Changed::INTERACTIONS,
        Changed::SETTINGS,
        Changed::TICKETS,
        Changed::ARTICLES,
        Changed::CONTRACTS,
        Changed::PURCHASES,
        Changed::FEEDBACK,
        Changed::INVESTORS,
        Changed::EMPLOYEES,
        Changed::PRIVATE,
        Changed::MARKETING,
    ];

    /// What a change to document `key` may have changed.
    pub fn of(key: DocKey) -> Changed {
        match key {
            DocKey::Root => Changed::SETTINGS,
            DocKey::Shard { collection: Collection::Parties, .. } => Changed::PARTIES,
            DocKey::Shard { collection: Collection::Tasks, .. } => Changed::TASKS,
            DocKey::Shard { collection: Collection::Deals, .. } => Changed::DEALS,
            DocKey::Shard { collection: Collection::Tickets, .. } => Changed::TICKETS,
            DocKey::Shard { collection: Collection::Articles, .. } => Changed::ARTICLES,
            DocKey::Shard { collection: Collection::Contracts, .. } => Changed::CONTRACTS,
            DocKey::Shard { collection: Collection::Purchases, .. } => Changed::PURCHASES,
            DocKey::Shard { collection: Collection::Feedback, .. } => Changed::FEEDBACK,
            DocKey::Shard {
                collection: Collection::Rounds | Collection::Updates | Collection::Events,
                ..
            } => Changed::INVESTORS,
            DocKey::Shard {
                collection:
                    Collection::OneOnOnes
                    | Collection::Kudos
                    | Collection::Surveys
                    | Collection::Goals
                    | Collection::Reviews,
                ..
            } => Changed::EMPLOYEES,
            DocKey::Shard {
                collection:
                    Collection::Segments
                    | Collection::Campaigns
                    | Collection::Sequences
                    | Collection::Automations,
                ..
            } => Changed::MARKETING,
            DocKey::Interactions(_) => Changed::INTERACTIONS,
            DocKey::Private(_) => Changed::PRIVATE,
        }
    }

    /// Whether any kind of `kinds` changed.
    pub fn touches(self, kinds: Changed) -> bool {
        self.0 & kinds.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// `self | other`, usable in constants.
    pub const fn union(self, other: Changed) -> Changed {
        Changed(self.0 | other.0)
    }
}

impl std::ops::BitOr for Changed {
    type Output = Changed;
    fn bitor(self, other: Changed) -> Changed {
        Changed(self.0 | other.0)
    }
}

impl std::ops::BitOrAssign for Changed {
    fn bitor_assign(&mut self, other: Changed) {
        self.0 |= other.0;
    }
}

/// Which records changed, for screens that show one record ([`ReadModel::take_changed_records`]): a
/// colleague's edit to another person must not make the open record read its document again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangedRecords {
    /// Records read again, by id.
    pub records: BTreeSet<String>,
    /// Documents whose rows were replaced whole: any record in them may have changed.
    pub documents: BTreeSet<DocKey>,
}

impl ChangedRecords {
    /// Whether record `record` of document `key` may have changed.
    pub fn touches(&self, key: DocKey, record: &str) -> bool {
        self.documents.contains(&key) || self.records.contains(record)
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.documents.is_empty()
    }
}

/// The last batches of changed records, each under its number, newest last: enough for a screen showing
/// one record to tell whether it changed since it last read it (one that waited longer reads again).
#[derive(Debug, Default)]
pub struct RecordLog {
    batches: std::collections::VecDeque<(u64, Option<ChangedRecords>)>,
    latest: u64,
}

impl RecordLog {
    const KEPT: usize = 64;

    /// Adds a batch (`None`: anything may have changed) and returns its number; nothing, and `None`,
    /// for an empty batch.
    pub fn push(&mut self, changed: Option<ChangedRecords>) -> Option<u64> {
        if changed.as_ref().is_some_and(ChangedRecords::is_empty) {
            return None;
        }
        self.latest += 1;
        self.batches.push_back((self.latest, changed));
        if self.batches.len() > Self::KEPT {
            self.batches.pop_front();
        }
        Some(self.latest)
    }

    /// Whether record `record` of document `key` may have changed in a batch after number `since`.
    pub fn changed_since(&self, since: u64, key: DocKey, record: &str) -> bool {
        match self.batches.front() {
            // Some batch after `since` is not kept any more.
            Some((oldest, _)) if *oldest > since + 1 => true,
            _ => self.batches.iter().filter(|(n, _)| *n > since).any(|(_, changed)| {
                changed.as_ref().is_none_or(|changed| changed.touches(key, record))
            }),
        }
    }
}

/// Every row of the workspace, indexed for the app's queries.
#[derive(Debug, Default)]
pub struct ReadModel {
    pub parties: BTreeMap<PartyId, PartyRow>,
    pub tasks: BTreeMap<TaskId, TaskRow>,
    pub deals: BTreeMap<DealId, DealRow>,
    pub tickets: BTreeMap<TicketId, TicketRow>,
    pub articles: BTreeMap<ArticleId, crate::knowledge::ArticleRow>,
    pub contracts: BTreeMap<ContractId, crate::contract::ContractRow>,
    /// Archived ones too, like contracts; lists leave them out.
    pub purchases: BTreeMap<PurchaseId, crate::purchase::PurchaseRow>,
    pub ratings: BTreeMap<FeedbackId, crate::scorecard::RatingRow>,
    /// Archived ones too; lists leave them out.
    pub rounds: BTreeMap<RoundId, crate::investor::RoundRow>,
    /// Archived ones too: an archived update is withdrawn from the relay from its row.
    pub updates: BTreeMap<UpdateId, crate::investor::UpdateRow>,
    /// Archived ones too; lists leave them out.
    pub events: BTreeMap<EventId, crate::investor::EventRow>,
    /// Archived ones too; lists leave them out.
    pub one_on_ones: BTreeMap<OneOnOneId, crate::employee::OneOnOneRow>,
    /// Archived ones too; the feed leaves them out.
    pub kudos: BTreeMap<KudosId, crate::employee::KudosRow>,
    pub surveys: BTreeMap<SurveyId, crate::pulse::SurveyRow>,
    pub goals: BTreeMap<GoalId, crate::goals::GoalRow>,
    pub reviews: BTreeMap<ReviewCycleId, crate::reviews::ReviewRow>,
    /// Archived ones too; lists leave them out.
    pub segments: BTreeMap<SegmentId, crate::segments::SegmentRow>,
    /// Archived ones too.
    pub campaigns: BTreeMap<CampaignId, crate::campaigns::CampaignRow>,
    /// Archived ones too.
    pub sequences: BTreeMap<SequenceId, crate::sequences::SequenceRow>,
    /// Automation rules; archived ones too.
    pub automations: BTreeMap<AutomationId, crate::automation::AutomationRow>,
    /// This member's private notes (from their private document), by record id as text.
    pub private_notes: BTreeMap<String, String>,
    /// Interactions by the month document holding them.
    pub interactions: BTreeMap<Month, BTreeMap<InteractionId, InteractionRow>>,
    /// The latest interaction with each party.
    pub last_contact: HashMap<PartyId, Timestamp>,
    pub search: SearchIndex,
    /// People by the organisation they work at, to re-index them when it is renamed.
    members_of: HashMap<PartyId, BTreeSet<PartyId>>,
    pub damaged: BTreeMap<DocKey, Vec<(String, String)>>,
    pub heads: BTreeMap<DocKey, Vec<String>>,
    /// Set while the search index is still to be built (see [`ReadModel::from_units_deferring_search`]):
    /// searches answer nothing until [`ReadModel::build_search`].
    pub search_pending: bool,
    /// Set while the interaction rows are still being read (a device opens its lists first): queries that
    /// depend on the last contact with a party answer nothing rather than something wrong.
    pub interactions_pending: bool,
    /// What changed since [`ReadModel::take_changed`] was last asked.
    changed: Changed,
    /// Which records changed since [`ReadModel::take_changed_records`] was last asked.
    changed_records: ChangedRecords,
}

impl ReadModel {
    /// Builds the model from stored units (as read at start-up).
    pub fn from_units(units: impl IntoIterator<Item = (DocKey, DocRows)>) -> ReadModel {
        let mut model = ReadModel::default();
        for (key, unit) in units {
            model.install(key, unit);
        }
        model.rebuild_derived();
        model
    }

    /// Like [`ReadModel::from_units`] without building the search index, the largest part of the work:
    /// a device shows its lists first and builds the index right after ([`ReadModel::build_search`]).
    pub fn from_units_deferring_search(
        units: impl IntoIterator<Item = (DocKey, DocRows)>,
    ) -> ReadModel {
        let mut model = ReadModel { search_pending: true, ..ReadModel::default() };
        for (key, unit) in units {
            model.install(key, unit);
        }
        model.rebuild_derived();
        model
    }

    /// Records that `kinds` changed outside the rows (the settings read from the root document).
    pub fn note_changed(&mut self, kinds: Changed) {
        self.changed |= kinds;
    }

    /// What changed since this was last asked, to tell the screens showing it; a model built from
    /// stored units has changed everything.
    pub fn take_changed(&mut self) -> Changed {
        std::mem::take(&mut self.changed)
    }

    /// Which records changed since this was last asked (a model built from stored units names none:
    /// opening tells every screen anyway).
    pub fn take_changed_records(&mut self) -> ChangedRecords {
        std::mem::take(&mut self.changed_records)
    }

    /// Builds the search index over every party row (see `search_pending`).
    pub fn build_search(&mut self) {
        self.changed |= Changed::PARTIES;
        self.search = SearchIndex::build(
            self.parties.values().map(|row| (row.id, searchable(&self.parties, row))),
        );
        self.search_pending = false;
    }

    /// Adds stored units read later than the rest (interactions, after the first screen), then clears
    /// `interactions_pending`. A document already derived since (edited meanwhile) keeps its fresher rows.
    pub fn add_units(&mut self, units: impl IntoIterator<Item = (DocKey, DocRows)>) {
        for (key, unit) in units {
            if !self.heads.contains_key(&key) {
                self.install(key, unit);
            }
        }
        self.rebuild_last_contact();
        self.interactions_pending = false;
        self.changed |= Changed::INTERACTIONS | Changed::PARTIES;
    }

    /// Replaces every row of document `key` by what `doc` holds now. Use when a document arrives whole
    /// (first load, import); after a change use [`ReadModel::refresh`].
    /// The whole document is read in one pass (see [`hydrated`]).
    pub fn replace_document(&mut self, key: DocKey, doc: &mut AutoCommit) -> DocRows {
        self.drop_rows_of(key);
        let whole = match automerge::ReadDoc::hydrate(&*doc, automerge::ROOT, None) {
            Ok(automerge::hydrate::Value::Map(records)) => records,
            // Not readable in one pass: each record is read on its own below.
            _ => Default::default(),
        };
        let mut damaged = BTreeMap::new();
        let mut reindex = Vec::new();
        for record in document::keys(&*doc) {
            match self.refresh_record(key, &*doc, &record, whole.get(&record)) {
                Ok(parties) => reindex.extend(parties),
                Err(error) => {
                    damaged.insert(record, error.to_string());
                }
            }
        }
        self.reindex_all(reindex);
        self.finish_refresh(key, doc, damaged)
    }

    /// Replaces every row of document `key` by `unit`, rows derived elsewhere from the whole document
    /// (a worker, see [`crate::offload`]): the same model as [`ReadModel::replace_document`] gives.
    pub fn replace_rows(&mut self, key: DocKey, unit: DocRows) {
        self.drop_rows_of(key);
        self.changed |= Changed::of(key);
        self.heads.insert(key, unit.heads);
        if !unit.damaged.is_empty() {
            self.damaged.insert(key, unit.damaged);
        }
        match (key, unit.rows) {
            (_, Rows::Parties(rows)) => {
                let mut reindex = Vec::with_capacity(rows.len());
                for row in rows {
                    reindex.extend(self.set_party_row(row.id, Some(row)));
                }
                // All of them at once: one pass folding their text (see `SearchIndex::upsert_all`).
                self.reindex_all(reindex);
            }
            (_, Rows::Tasks(rows)) => self.tasks.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Deals(rows)) => self.deals.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Tickets(rows)) => self.tickets.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Articles(rows)) => self.articles.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Contracts(rows)) => {
                self.contracts.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (_, Rows::Purchases(rows)) => {
                self.purchases.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (_, Rows::Rounds(rows)) => self.rounds.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Updates(rows)) => self.updates.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Events(rows)) => self.events.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Ratings(rows)) => self.ratings.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::OneOnOnes(rows)) => {
                self.one_on_ones.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (_, Rows::Private(notes)) => self.private_notes.extend(notes),
            (_, Rows::Kudos(rows)) => self.kudos.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Surveys(rows)) => self.surveys.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Goals(rows)) => self.goals.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Reviews(rows)) => self.reviews.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Segments(rows)) => self.segments.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Campaigns(rows)) => {
                self.campaigns.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (_, Rows::Sequences(rows)) => {
                self.sequences.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (_, Rows::Automations(rows)) => {
                self.automations.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (DocKey::Interactions(month), Rows::Interactions(rows)) => {
                for row in &rows {
                    for party in &row.parties {
                        let last = self.last_contact.entry(*party).or_insert(row.at);
                        *last = (*last).max(row.at);
                    }
                }
                self.interactions
                    .entry(month)
                    .or_default()
                    .extend(rows.into_iter().map(|r| (r.id, r)));
            }
            _ => {}
        }
    }

    /// Brings the rows of document `key` up to date after it changed from `before` (its heads then) to
    /// its current heads: the patches between the two name the records to read again.
    pub fn refresh_since(
        &mut self,
        key: DocKey,
        doc: &mut AutoCommit,
        before: &[automerge::ChangeHash],
    ) -> DocRows {
        let after = doc.get_heads();
        let changed = changed_records(&doc.diff(before, &after));
        self.refresh(key, doc, &changed)
    }

    /// Re-reads the records `changed` of document `key` and returns the document's new unit of rows, to
    /// be stored with the document's chunk.
    pub fn refresh(
        &mut self,
        key: DocKey,
        doc: &mut AutoCommit,
        changed: &BTreeSet<String>,
    ) -> DocRows {
        let mut damaged: BTreeMap<String, String> =
            self.damaged.remove(&key).unwrap_or_default().into_iter().collect();
        let mut reindex = Vec::new();
        self.changed_records.records.extend(changed.iter().cloned());
        for record in changed {
            damaged.remove(record);
            match self.refresh_record(key, &*doc, record, None) {
                Ok(parties) => reindex.extend(parties),
                Err(error) => {
                    damaged.insert(record.clone(), error.to_string());
                }
            }
        }
        self.reindex_all(reindex);
        self.finish_refresh(key, doc, damaged)
    }

    /// Like [`ReadModel::refresh`] for parties just written whose values are at hand (an import): their
    /// rows are derived from the values instead of read back from the document, which costs about as
    /// much as writing them (`cargo bench --bench import`).
    pub fn refresh_written_parties<'p>(
        &mut self,
        key: DocKey,
        doc: &mut AutoCommit,
        written: impl IntoIterator<Item = (PartyId, &'p Party)>,
    ) -> DocRows {
        let mut damaged: BTreeMap<String, String> =
            self.damaged.remove(&key).unwrap_or_default().into_iter().collect();
        let mut reindex = BTreeSet::new();
        for (id, party) in written {
            self.changed_records.records.insert(id.to_string());
            damaged.remove(&id.to_string());
            reindex.extend(self.set_party_row(id, Some(party_row(id, party))));
        }
        // All of them at once: one pass folding their text (see `SearchIndex::upsert_all`).
        self.reindex_all(reindex);
        self.finish_refresh(key, doc, damaged)
    }

    fn finish_refresh(
        &mut self,
        key: DocKey,
        doc: &mut AutoCommit,
        damaged: BTreeMap<String, String>,
    ) -> DocRows {
        let damaged: Vec<(String, String)> = damaged.into_iter().collect();
        if !damaged.is_empty() {
            self.damaged.insert(key, damaged.clone());
        }
        self.changed |= Changed::of(key);
        let heads = heads_of(doc);
        self.heads.insert(key, heads.clone());
        DocRows { format: ROWS_FORMAT, heads, rows: self.rows_of(key), damaged }
    }

    /// Derives the row of `record` in document `key` again. `whole`, when the whole document was read
    /// in one pass, holds the record's value from that pass. Returns the parties to re-index for search.
    fn refresh_record(
        &mut self,
        key: DocKey,
        doc: &AutoCommit,
        record: &str,
        whole: Option<&automerge::hydrate::Value>,
    ) -> Result<Vec<PartyId>, DocumentError> {
        match key {
            DocKey::Shard { collection: Collection::Parties, .. } => {
                let Ok(id) = record.parse::<PartyId>() else { return Ok(Vec::new()) };
                let row = read::<Party>(doc, record, whole)?.map(|p| party_row(id, &p));
                return Ok(self.set_party_row(id, row));
            }
            DocKey::Shard { collection: Collection::Tasks, .. } => {
                let Ok(id) = record.parse::<TaskId>() else { return Ok(Vec::new()) };
                match read::<Task>(doc, record, whole)?.filter(|t| !t.archived) {
                    Some(task) => self.tasks.insert(id, task_row(id, &task)),
                    None => self.tasks.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Deals, .. } => {
                let Ok(id) = record.parse::<DealId>() else { return Ok(Vec::new()) };
                match read::<Deal>(doc, record, whole)?.filter(|d| !d.archived) {
                    Some(deal) => self.deals.insert(id, deal_row(id, &deal)),
                    None => self.deals.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Tickets, .. } => {
                let Ok(id) = record.parse::<TicketId>() else { return Ok(Vec::new()) };
                match read::<Ticket>(doc, record, whole)?.filter(|t| !t.archived) {
                    Some(ticket) => self.tickets.insert(id, ticket_row(id, &ticket)),
                    None => self.tickets.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Articles, .. } => {
                let Ok(id) = record.parse::<ArticleId>() else { return Ok(Vec::new()) };
                match read::<Article>(doc, record, whole)?.filter(|a| !a.archived) {
                    Some(article) => {
                        self.articles.insert(id, crate::knowledge::ArticleRow::of(id, &article))
                    }
                    None => self.articles.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Contracts, .. } => {
                let Ok(id) = record.parse::<ContractId>() else { return Ok(Vec::new()) };
                // Archived ones too: their reminders are cancelled from their rows.
                match read::<Contract>(doc, record, whole)? {
                    Some(contract) => {
                        self.contracts.insert(id, crate::contract::ContractRow::of(id, &contract))
                    }
                    None => self.contracts.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Purchases, .. } => {
                let Ok(id) = record.parse::<PurchaseId>() else { return Ok(Vec::new()) };
                match read::<Purchase>(doc, record, whole)? {
                    Some(purchase) => {
                        self.purchases.insert(id, crate::purchase::PurchaseRow::of(id, &purchase))
                    }
                    None => self.purchases.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Rounds, .. } => {
                let Ok(id) = record.parse::<RoundId>() else { return Ok(Vec::new()) };
                match read::<Round>(doc, record, whole)? {
                    Some(round) => {
                        self.rounds.insert(id, crate::investor::RoundRow::of(id, &round))
                    }
                    None => self.rounds.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Updates, .. } => {
                let Ok(id) = record.parse::<UpdateId>() else { return Ok(Vec::new()) };
                match read::<InvestorUpdate>(doc, record, whole)? {
                    Some(update) => {
                        self.updates.insert(id, crate::investor::UpdateRow::of(id, &update))
                    }
                    None => self.updates.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Events, .. } => {
                let Ok(id) = record.parse::<EventId>() else { return Ok(Vec::new()) };
                match read::<InvestorEvent>(doc, record, whole)? {
                    Some(event) => {
                        self.events.insert(id, crate::investor::EventRow::of(id, &event))
                    }
                    None => self.events.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::OneOnOnes, .. } => {
                let Ok(id) = record.parse::<OneOnOneId>() else { return Ok(Vec::new()) };
                match read::<OneOnOne>(doc, record, whole)? {
                    Some(one) => {
                        self.one_on_ones.insert(id, crate::employee::OneOnOneRow::of(id, &one))
                    }
                    None => self.one_on_ones.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Kudos, .. } => {
                let Ok(id) = record.parse::<KudosId>() else { return Ok(Vec::new()) };
                match read::<Kudos>(doc, record, whole)? {
                    Some(kudos) => self.kudos.insert(id, crate::employee::KudosRow::of(id, &kudos)),
                    None => self.kudos.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Surveys, .. } => {
                let Ok(id) = record.parse::<SurveyId>() else { return Ok(Vec::new()) };
                match read::<Survey>(doc, record, whole)? {
                    Some(survey) => {
                        self.surveys.insert(id, crate::pulse::SurveyRow::of(id, &survey))
                    }
                    None => self.surveys.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Goals, .. } => {
                let Ok(id) = record.parse::<GoalId>() else { return Ok(Vec::new()) };
                match read::<Goal>(doc, record, whole)? {
                    Some(goal) => self.goals.insert(id, crate::goals::GoalRow::of(id, &goal)),
                    None => self.goals.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Reviews, .. } => {
                let Ok(id) = record.parse::<ReviewCycleId>() else { return Ok(Vec::new()) };
                match read::<ReviewCycle>(doc, record, whole)? {
                    Some(cycle) => {
                        self.reviews.insert(id, crate::reviews::ReviewRow::of(id, &cycle))
                    }
                    None => self.reviews.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Segments, .. } => {
                let Ok(id) = record.parse::<SegmentId>() else { return Ok(Vec::new()) };
                match read::<Segment>(doc, record, whole)? {
                    Some(segment) => {
                        self.segments.insert(id, crate::segments::SegmentRow::of(id, &segment))
                    }
                    None => self.segments.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Automations, .. } => {
                let Ok(id) = record.parse::<AutomationId>() else { return Ok(Vec::new()) };
                match read::<Automation>(doc, record, whole)? {
                    Some(rule) => {
                        self.automations.insert(id, crate::automation::AutomationRow::of(id, &rule))
                    }
                    None => self.automations.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Sequences, .. } => {
                let Ok(id) = record.parse::<SequenceId>() else { return Ok(Vec::new()) };
                match read::<Sequence>(doc, record, whole)? {
                    Some(sequence) => {
                        self.sequences.insert(id, crate::sequences::SequenceRow::of(id, &sequence))
                    }
                    None => self.sequences.remove(&id),
                };
            }
            DocKey::Shard { collection: Collection::Campaigns, .. } => {
                let Ok(id) = record.parse::<CampaignId>() else { return Ok(Vec::new()) };
                match read::<Campaign>(doc, record, whole)? {
                    Some(campaign) => {
                        self.campaigns.insert(id, crate::campaigns::CampaignRow::of(id, &campaign))
                    }
                    None => self.campaigns.remove(&id),
                };
            }
            DocKey::Private(_) => {
                match read::<autosurgeon::Text>(doc, record, whole)? {
                    Some(note) => {
                        self.private_notes.insert(record.to_owned(), note.as_str().into())
                    }
                    None => self.private_notes.remove(record),
                };
            }
            DocKey::Shard { collection: Collection::Feedback, .. } => {
                let Ok(id) = record.parse::<FeedbackId>() else { return Ok(Vec::new()) };
                match read::<Feedback>(doc, record, whole)?.and_then(|f| rating_row(id, &f)) {
                    Some(row) => self.ratings.insert(id, row),
                    None => self.ratings.remove(&id),
                };
            }
            DocKey::Interactions(month) => {
                let Ok(id) = record.parse::<InteractionId>() else { return Ok(Vec::new()) };
                let row = read::<Interaction>(doc, record, whole)?
                    .filter(|i| !i.archived)
                    .map(|i| interaction_row(id, &i));
                let rows = self.interactions.entry(month).or_default();
                let old = match row {
                    Some(row) => {
                        let parties = row.parties.clone();
                        let at = row.at;
                        let old = rows.insert(id, row);
                        for party in parties {
                            let last = self.last_contact.entry(party).or_insert(at);
                            *last = (*last).max(at);
                        }
                        old
                    }
                    None => rows.remove(&id),
                };
                // A removed or changed interaction may have been someone's latest contact.
                if let Some(old) = old {
                    for party in old.parties {
                        if self.last_contact.get(&party) == Some(&old.at) {
                            self.recompute_last_contact(party);
                        }
                    }
                }
            }
            _ => {}
        }
        Ok(Vec::new())
    }

    /// Party `party` and the records merged into it (and into those): their interactions, tasks and
    /// deals are all on its timeline.
    pub fn merged_family(&self, party: PartyId) -> Vec<PartyId> {
        let mut family = vec![party];
        let mut next = 0;
        while next < family.len() {
            let survivor = family[next];
            let merged: Vec<PartyId> = self
                .parties
                .values()
                .filter(|row| row.merged_into == Some(survivor) && !family.contains(&row.id))
                .map(|row| row.id)
                .collect();
            family.extend(merged);
            next += 1;
        }
        family
    }

    /// The latest interaction with `party` or a record merged into it.
    pub fn last_contact_of(&self, party: PartyId) -> Option<Timestamp> {
        self.merged_family(party).iter().filter_map(|p| self.last_contact.get(p)).max().copied()
    }

    /// The latest interaction with every party, each merged record's counted for the record it was
    /// merged into (following merges of merges).
    pub fn last_contacts_merged(&self) -> HashMap<PartyId, Timestamp> {
        let mut contacts = self.last_contact.clone();
        for row in self.parties.values().filter(|row| row.merged_into.is_some()) {
            let Some(&at) = self.last_contact.get(&row.id) else { continue };
            let mut survivor = row.id;
            // A cycle (two devices merging each into the other) ends the walk.
            for _ in 0..16 {
                match self.parties.get(&survivor).and_then(|r| r.merged_into) {
                    Some(next) if next != row.id => survivor = next,
                    _ => break,
                }
            }
            let last = contacts.entry(survivor).or_insert(at);
            *last = (*last).max(at);
        }
        contacts
    }

    /// The people who work at organisation `org` (links of kind "works at"), in id order.
    pub fn people_at(&self, org: PartyId) -> impl Iterator<Item = &PartyRow> {
        self.members_of.get(&org).into_iter().flatten().filter_map(|id| self.parties.get(id))
    }

    fn set_party(&mut self, id: PartyId, row: Option<PartyRow>) {
        let changed = self.set_party_row(id, row);
        self.reindex_all(changed);
    }

    /// Stores a party's row and its memberships; returns the parties whose search terms changed: this
    /// one, and when it was renamed, the people working there (found by its name).
    fn set_party_row(&mut self, id: PartyId, row: Option<PartyRow>) -> Vec<PartyId> {
        let old = match row {
            Some(row) => self.parties.insert(id, row),
            None => self.parties.remove(&id),
        };
        if let Some(old) = &old {
            for org in &old.organisations {
                if let Some(members) = self.members_of.get_mut(org) {
                    members.remove(&id);
                }
            }
        }
        let renamed =
            old.as_ref().map(|o| o.name.as_str()) != self.parties.get(&id).map(|p| p.name.as_str());
        if let Some(row) = self.parties.get(&id) {
            for org in row.organisations.clone() {
                self.members_of.entry(org).or_default().insert(id);
            }
        }
        let mut changed = vec![id];
        if renamed {
            changed.extend(self.members_of.get(&id).into_iter().flatten().copied());
        }
        changed
    }

    /// Re-indexes parties `ids` for search, their text folded in one pass.
    fn reindex_all(&mut self, ids: impl IntoIterator<Item = PartyId>) {
        if self.search_pending {
            // The whole index is built from the rows later.
            return;
        }
        let mut gone = Vec::new();
        let mut present = Vec::new();
        for id in ids {
            match self.parties.get(&id) {
                Some(row) => present.push((id, searchable(&self.parties, row))),
                None => gone.push(id),
            }
        }
        self.search.upsert_all(present);
        for id in gone {
            self.search.remove(id);
        }
    }

    fn recompute_last_contact(&mut self, party: PartyId) {
        let latest = self
            .interactions
            .values()
            .flat_map(|rows| rows.values())
            .filter(|row| row.parties.contains(&party))
            .map(|row| row.at)
            .max();
        match latest {
            Some(at) => self.last_contact.insert(party, at),
            None => self.last_contact.remove(&party),
        };
    }

    fn install(&mut self, key: DocKey, unit: DocRows) {
        self.changed |= Changed::of(key);
        self.heads.insert(key, unit.heads);
        if !unit.damaged.is_empty() {
            self.damaged.insert(key, unit.damaged);
        }
        match (key, unit.rows) {
            (_, Rows::Parties(rows)) => self.parties.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Tasks(rows)) => self.tasks.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Deals(rows)) => self.deals.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Tickets(rows)) => self.tickets.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Articles(rows)) => self.articles.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Contracts(rows)) => {
                self.contracts.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (_, Rows::Purchases(rows)) => {
                self.purchases.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (_, Rows::Rounds(rows)) => self.rounds.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Updates(rows)) => self.updates.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Events(rows)) => self.events.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Ratings(rows)) => self.ratings.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::OneOnOnes(rows)) => {
                self.one_on_ones.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (_, Rows::Private(notes)) => self.private_notes.extend(notes),
            (_, Rows::Kudos(rows)) => self.kudos.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Surveys(rows)) => self.surveys.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Goals(rows)) => self.goals.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Reviews(rows)) => self.reviews.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Segments(rows)) => self.segments.extend(rows.into_iter().map(|r| (r.id, r))),
            (_, Rows::Campaigns(rows)) => {
                self.campaigns.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (_, Rows::Sequences(rows)) => {
                self.sequences.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (_, Rows::Automations(rows)) => {
                self.automations.extend(rows.into_iter().map(|r| (r.id, r)))
            }
            (DocKey::Interactions(month), Rows::Interactions(rows)) => self
                .interactions
                .entry(month)
                .or_default()
                .extend(rows.into_iter().map(|r| (r.id, r))),
            _ => {}
        }
    }

    /// Indexes derived from rows across documents: search, last contact, organisation members.
    fn rebuild_derived(&mut self) {
        self.rebuild_last_contact();
        self.members_of.clear();
        for row in self.parties.values() {
            for org in &row.organisations {
                self.members_of.entry(*org).or_default().insert(row.id);
            }
        }
        if !self.search_pending {
            self.build_search();
        }
    }

    fn rebuild_last_contact(&mut self) {
        self.last_contact.clear();
        for row in self.interactions.values().flat_map(|rows| rows.values()) {
            for party in &row.parties {
                let last = self.last_contact.entry(*party).or_insert(row.at);
                *last = (*last).max(row.at);
            }
        }
    }

    /// Forgets document `key` and its rows (a private document replaced by the relay's).
    pub fn forget_document(&mut self, key: DocKey) {
        self.drop_rows_of(key);
        self.heads.remove(&key);
        self.changed |= Changed::of(key);
    }

    fn drop_rows_of(&mut self, key: DocKey) {
        self.changed |= Changed::of(key);
        self.changed_records.documents.insert(key);
        match key {
            DocKey::Shard { collection: Collection::Parties, .. } => {
                let ids: Vec<PartyId> = self
                    .parties
                    .keys()
                    .filter(|id| Party::doc_key_of(id) == key)
                    .copied()
                    .collect();
                for id in ids {
                    self.set_party(id, None);
                }
            }
            DocKey::Shard { collection: Collection::Tasks, .. } => {
                self.tasks.retain(|id, _| <Task as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Deals, .. } => {
                self.deals.retain(|id, _| <Deal as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Tickets, .. } => {
                self.tickets.retain(|id, _| <Ticket as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Articles, .. } => {
                self.articles.retain(|id, _| <Article as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Contracts, .. } => {
                self.contracts.retain(|id, _| <Contract as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Purchases, .. } => {
                self.purchases.retain(|id, _| <Purchase as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Rounds, .. } => {
                self.rounds.retain(|id, _| <Round as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Updates, .. } => self
                .updates
                .retain(|id, _| <InvestorUpdate as document::Record>::doc_key(id) != key),
            DocKey::Shard { collection: Collection::Events, .. } => {
                self.events.retain(|id, _| <InvestorEvent as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Feedback, .. } => {
                self.ratings.retain(|id, _| <Feedback as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::OneOnOnes, .. } => {
                self.one_on_ones.retain(|id, _| <OneOnOne as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Kudos, .. } => {
                self.kudos.retain(|id, _| <Kudos as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Surveys, .. } => {
                self.surveys.retain(|id, _| <Survey as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Goals, .. } => {
                self.goals.retain(|id, _| <Goal as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Reviews, .. } => {
                self.reviews.retain(|id, _| <ReviewCycle as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Segments, .. } => {
                self.segments.retain(|id, _| <Segment as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Campaigns, .. } => {
                self.campaigns.retain(|id, _| <Campaign as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Sequences, .. } => {
                self.sequences.retain(|id, _| <Sequence as document::Record>::doc_key(id) != key)
            }
            DocKey::Shard { collection: Collection::Automations, .. } => self
                .automations
                .retain(|id, _| <Automation as document::Record>::doc_key(id) != key),
            DocKey::Private(_) => self.private_notes.clear(),
            DocKey::Interactions(month) if self.interactions.remove(&month).is_some() => {
                self.rebuild_last_contact();
            }
            _ => {}
        }
        self.damaged.remove(&key);
    }

    /// The current unit of rows of document `key`.
    pub fn rows_of(&self, key: DocKey) -> Rows {
        match key {
            DocKey::Shard { collection: Collection::Parties, .. } => Rows::Parties(
                self.parties
                    .iter()
                    .filter(|(id, _)| Party::doc_key_of(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Tasks, .. } => Rows::Tasks(
                self.tasks
                    .iter()
                    .filter(|(id, _)| <Task as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Deals, .. } => Rows::Deals(
                self.deals
                    .iter()
                    .filter(|(id, _)| <Deal as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Tickets, .. } => Rows::Tickets(
                self.tickets
                    .iter()
                    .filter(|(id, _)| <Ticket as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Articles, .. } => Rows::Articles(
                self.articles
                    .iter()
                    .filter(|(id, _)| <Article as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Contracts, .. } => Rows::Contracts(
                self.contracts
                    .iter()
                    .filter(|(id, _)| <Contract as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Purchases, .. } => Rows::Purchases(
                self.purchases
                    .iter()
                    .filter(|(id, _)| <Purchase as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Rounds, .. } => Rows::Rounds(
                self.rounds
                    .iter()
                    .filter(|(id, _)| <Round as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Updates, .. } => Rows::Updates(
                self.updates
                    .iter()
                    .filter(|(id, _)| <InvestorUpdate as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Events, .. } => Rows::Events(
                self.events
                    .iter()
                    .filter(|(id, _)| <InvestorEvent as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::OneOnOnes, .. } => Rows::OneOnOnes(
                self.one_on_ones
                    .iter()
                    .filter(|(id, _)| <OneOnOne as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Kudos, .. } => Rows::Kudos(
                self.kudos
                    .iter()
                    .filter(|(id, _)| <Kudos as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Surveys, .. } => Rows::Surveys(
                self.surveys
                    .iter()
                    .filter(|(id, _)| <Survey as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Goals, .. } => Rows::Goals(
                self.goals
                    .iter()
                    .filter(|(id, _)| <Goal as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Reviews, .. } => Rows::Reviews(
                self.reviews
                    .iter()
                    .filter(|(id, _)| <ReviewCycle as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Segments, .. } => Rows::Segments(
                self.segments
                    .iter()
                    .filter(|(id, _)| <Segment as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Campaigns, .. } => Rows::Campaigns(
                self.campaigns
                    .iter()
                    .filter(|(id, _)| <Campaign as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Sequences, .. } => Rows::Sequences(
                self.sequences
                    .iter()
                    .filter(|(id, _)| <Sequence as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Shard { collection: Collection::Automations, .. } => Rows::Automations(
                self.automations
                    .iter()
                    .filter(|(id, _)| <Automation as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Private(_) => Rows::Private(
                self.private_notes.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            ),
            DocKey::Shard { collection: Collection::Feedback, .. } => Rows::Ratings(
                self.ratings
                    .iter()
                    .filter(|(id, _)| <Feedback as document::Record>::doc_key(id) == key)
                    .map(|(_, row)| row.clone())
                    .collect(),
            ),
            DocKey::Interactions(month) => Rows::Interactions(
                self.interactions
                    .get(&month)
                    .map(|rows| rows.values().cloned().collect())
                    .unwrap_or_default(),
            ),
            _ => Rows::None,
        }
    }

    /// Every interaction row, in no particular order.
    pub fn all_interactions(&self) -> impl Iterator<Item = &InteractionRow> {
        self.interactions.values().flat_map(|rows| rows.values())
    }
}

impl Party {
    fn doc_key_of(id: &PartyId) -> DocKey {
        <Party as document::Record>::doc_key(id)
    }
}

/// Reads record `record` of `doc` for its row: from `whole` (the one-pass read of the document) when
/// given, else from the record's own one-pass read; autosurgeon reads it when neither is as expected, so a
/// damaged record fails with autosurgeon's reason.
fn read<R: autosurgeon::Hydrate + FromHydrated>(
    doc: &AutoCommit,
    record: &str,
    whole: Option<&automerge::hydrate::Value>,
) -> Result<Option<R>, DocumentError> {
    use automerge::ReadDoc;
    let fast = match whole {
        Some(value) => R::from_hydrated(value),
        None => match doc.get(automerge::ROOT, record) {
            Ok(Some((automerge::Value::Object(automerge::ObjType::Map), obj))) => {
                doc.hydrate(obj, None).ok().and_then(|value| R::from_hydrated(&value))
            }
            _ => None,
        },
    };
    match fast {
        Some(value) => Ok(Some(value)),
        None => document::get::<_, R>(doc, record),
    }
}

/// A supplier rating's row; `None` for other feedback.
fn rating_row(id: FeedbackId, feedback: &Feedback) -> Option<crate::scorecard::RatingRow> {
    let crate::model::FeedbackKind::Scorecard { scores } = &feedback.kind else { return None };
    Some(crate::scorecard::RatingRow {
        id,
        party: feedback.party,
        at: feedback.at,
        scores: scores.iter().map(|(key, score)| (key.clone(), *score)).collect(),
        author: feedback.author,
        note: feedback.notes.as_str().to_owned(),
    })
}

impl PartyRow {
    /// A person with a name and nothing else, for tests and for building rows by hand.
    pub fn named(id: PartyId, name: &str) -> PartyRow {
        PartyRow {
            id,
            kind: PartyKindRow::Person,
            name: name.to_owned(),
            sort_name: crate::search::fold(name),
            roles: Vec::new(),
            tags: Vec::new(),
            owner: None,
            emails: Vec::new(),
            phones: Vec::new(),
            organisations: Vec::new(),
            keep_in_touch_days: None,
            created_at: Timestamp(0),
            archived: false,
            merged_into: None,
            supplier: None,
            employee: None,
            cities: Vec::new(),
            countries: Vec::new(),
            custom: Vec::new(),
            email_consent: None,
            erased: false,
        }
    }
}

/// The name an erased person's row carries: nothing of theirs, and not an empty link where a deal or
/// a ticket names them.
pub const ERASED_NAME: &str = "—";

fn party_row(id: PartyId, party: &Party) -> PartyRow {
    if party.erased.is_some() {
        return PartyRow {
            id,
            created_at: party.created_at,
            archived: true,
            erased: true,
            ..PartyRow::named(id, ERASED_NAME)
        };
    }
    PartyRow {
        id,
        kind: match party.kind {
            PartyKind::Person => PartyKindRow::Person,
            PartyKind::Organisation => PartyKindRow::Organisation,
        },
        name: party.name.clone(),
        sort_name: crate::search::fold(&party.name),
        roles: party.role_list().into_iter().map(RoleRow::of).collect(),
        tags: names(&party.tags).map(str::to_owned).collect(),
        owner: party.owner,
        emails: party.emails.iter().map(|e| e.value.clone()).collect(),
        phones: party.phones.iter().map(|p| p.value.clone()).collect(),
        organisations: party
            .relations
            .values()
            .filter(|link| link.kind == LinkKind::WorksAt)
            .map(|link| link.to)
            .collect(),
        keep_in_touch_days: party.keep_in_touch_days,
        created_at: party.created_at,
        archived: party.archived || party.merged_into.is_some() || party.erased.is_some(),
        merged_into: party.merged_into,
        supplier: crate::scorecard::SupplierRow::of(party).map(Box::new),
        employee: crate::employee::EmployeeRow::of(&party.employment).map(Box::new),
        cities: party
            .addresses
            .iter()
            .filter(|a| !a.city.trim().is_empty())
            .map(|a| a.city.clone())
            .collect(),
        countries: party
            .addresses
            .iter()
            .filter(|a| !a.country.trim().is_empty())
            .map(|a| a.country.clone())
            .collect(),
        custom: party
            .custom
            .iter()
            .map(|(key, value)| (key.clone(), CustomCell::of(value)))
            .collect(),
        email_consent: party.consent.email_marketing,
        erased: party.erased.is_some(),
    }
}

impl ReadModel {
    /// The rows of `demo`'s parties, deals, tickets, interactions, segments and campaigns, built from the records
    /// directly rather than through their documents: for benchmarks of what reads the model, at sizes
    /// whose documents would take the whole run to build.
    pub fn of_demo(demo: &crate::demo::DemoWorkspace) -> ReadModel {
        let mut model = ReadModel {
            parties: demo.parties.iter().map(|(id, p)| (*id, party_row(*id, p))).collect(),
            deals: demo.deals.iter().map(|(id, d)| (*id, deal_row(*id, d))).collect(),
            tickets: demo.tickets.iter().map(|(id, t)| (*id, ticket_row(*id, t))).collect(),
            segments: demo
                .segments
                .iter()
                .map(|(id, s)| (*id, crate::segments::SegmentRow::of(*id, s)))
                .collect(),
            campaigns: demo
                .campaigns
                .iter()
                .map(|(id, c)| (*id, crate::campaigns::CampaignRow::of(*id, c)))
                .collect(),
            ..ReadModel::default()
        };
        for (id, interaction) in &demo.interactions {
            model
                .interactions
                .entry(Month::of(interaction.at))
                .or_default()
                .insert(*id, interaction_row(*id, interaction));
        }
        model.rebuild_last_contact();
        model
    }

    /// Every document's rows of a model [`ReadModel::of_demo`] built, encoded as a device stores them
    /// (document key as text → bytes): what a worker's mirror takes in at its start
    /// (`crate::mirror`), for its benchmarks.
    pub fn stored_units(&self) -> BTreeMap<String, Vec<u8>> {
        let mut keys: BTreeSet<DocKey> = BTreeSet::new();
        keys.extend(self.parties.keys().map(<Party as document::Record>::doc_key));
        keys.extend(self.deals.keys().map(<Deal as document::Record>::doc_key));
        keys.extend(self.tasks.keys().map(<Task as document::Record>::doc_key));
        keys.extend(self.tickets.keys().map(<Ticket as document::Record>::doc_key));
        keys.extend(self.segments.keys().map(<crate::model::Segment as document::Record>::doc_key));
        keys.extend(
            self.campaigns.keys().map(<crate::model::Campaign as document::Record>::doc_key),
        );
        keys.extend(self.interactions.keys().map(|month| DocKey::Interactions(*month)));
        keys.into_iter()
            .map(|key| {
                let unit = DocRows {
                    format: ROWS_FORMAT,
                    heads: Vec::new(),
                    rows: self.rows_of(key),
                    damaged: Vec::new(),
                };
                (key.to_string(), unit.encode())
            })
            .collect()
    }
}

fn interaction_row(id: InteractionId, interaction: &Interaction) -> InteractionRow {
    InteractionRow {
        id,
        kind: InteractionKind::ALL.iter().position(|k| *k == interaction.kind).unwrap_or(5) as u8,
        at: interaction.at,
        parties: interaction.parties.clone(),
        summary: interaction.summary.clone(),
        author: interaction.author,
        answers: interaction.answers,
        automatic: interaction.automatic,
    }
}

fn task_row(id: TaskId, task: &Task) -> TaskRow {
    TaskRow {
        id,
        title: task.title.clone(),
        due: task.due,
        assignee: task.assignee,
        parties: task
            .links
            .iter()
            .filter_map(|link| match link {
                RecordRef::Party(party) => Some(*party),
                _ => None,
            })
            .collect(),
        deals: task
            .links
            .iter()
            .filter_map(|link| match link {
                RecordRef::Deal(deal) => Some(*deal),
                _ => None,
            })
            .collect(),
        done_at: task.done_at,
        snoozed_until: task.snoozed_until,
        created_at: task.created_at,
        repeats: task.recurrence.map(|r| match r.unit {
            RecurrenceUnit::Day => RepeatRow::Days(r.every),
            RecurrenceUnit::Week => RepeatRow::Weeks(r.every),
            RecurrenceUnit::Month => RepeatRow::Months(r.every),
        }),
    }
}

fn deal_row(id: DealId, deal: &Deal) -> DealRow {
    DealRow {
        id,
        title: deal.title.clone(),
        pipeline: deal.pipeline,
        stage: deal.stage,
        amount_minor: deal.amount.minor,
        currency: deal.amount.currency.clone(),
        expected_close: deal.expected_close,
        owner: deal.owner,
        parties: deal.parties.clone(),
        status: DealStatusRow::of(deal.status),
        created_at: deal.created_at,
        stage_since: deal
            .stage_history
            .iter()
            .rev()
            .find(|change| change.stage == deal.stage)
            .map_or(deal.created_at, |change| change.at),
        stages: deal.stage_history.iter().map(|change| (change.at, change.stage)).collect(),
        closed_at: match deal.status {
            DealStatus::Open => None,
            DealStatus::Won | DealStatus::Lost => deal.closed_at,
        },
        closings: deal.closings.iter().map(|c| (c.at, DealStatusRow::of(c.status))).collect(),
        terms: deal
            .terms_history
            .iter()
            .map(|t| TermsRow {
                at: t.at,
                amount_minor: t.amount.minor,
                currency: t.amount.currency.clone(),
                expected_close: t.expected_close,
            })
            .collect(),
        lost_reason: deal.lost_reason.trim().to_owned(),
        round: deal.round,
        soft_circled: deal.soft_circled,
        committed: deal.committed,
    }
}
fn ticket_row(id: TicketId, ticket: &Ticket) -> TicketRow {
    let mut events = Vec::with_capacity(1 + ticket.messages.len() + ticket.status_log.len());
    let received = |message: &crate::model::TicketMessage| {
        message.kind == MessageKind::Customer && message.mail.is_some()
    };
    events.push(TicketEvent {
        id: "opened".into(),
        at: ticket.created_at,
        kind: TicketEventKind::Opened,
        // Opened by a mail the relay received: at the time it received it.
        relay_time: ticket.messages.values().any(|m| received(m) && m.at == ticket.created_at),
    });
    let mut mail_ids = Vec::new();
    for (event, message) in &ticket.messages {
        let kind = match message.kind {
            MessageKind::Customer => TicketEventKind::Customer,
            MessageKind::Reply => TicketEventKind::Reply,
            MessageKind::Internal => TicketEventKind::Internal,
        };
        let relay_time = received(message);
        events.push(TicketEvent { id: event.clone(), at: message.at, kind, relay_time });
        if let Some(mail) = &message.mail {
            mail_ids.push(mail.id.clone());
        }
    }
    for (event, change) in &ticket.status_log {
        let kind = TicketEventKind::Status(change.status.clone());
        events.push(TicketEvent { id: event.clone(), at: change.at, kind, relay_time: false });
    }
    // By time, then by id (UUID v7: the order of writing), the same on every device.
    events.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    TicketRow {
        id,
        subject: ticket.subject.clone(),
        party: ticket.party,
        channel: ticket.channel,
        priority: ticket.priority,
        status: ticket.current_status().to_owned(),
        team: ticket.team,
        assignee: ticket.assignee,
        tags: names(&ticket.tags).map(str::to_owned).collect(),
        created_at: ticket.created_at,
        events,
        mail_ids,
        rating: ticket.rating.as_ref().map(|rating| rating.score),
        escalated: ticket.escalations.values().map(|done| done.key.clone()).collect(),
    }
}

/// What party `row` is found by: its names, its organisations' names, emails, phones and tags.
fn searchable<'a>(
    parties: &'a BTreeMap<PartyId, PartyRow>,
    row: &'a PartyRow,
) -> SearchableParty<'a> {
    let mut names = vec![row.name.as_str()];
    names.extend(
        row.organisations.iter().filter_map(|org| parties.get(org)).map(|o| o.name.as_str()),
    );
    SearchableParty {
        names,
        emails: row.emails.iter().map(String::as_str).collect(),
        phones: row.phones.iter().map(String::as_str).collect(),
        tags: row.tags.iter().map(String::as_str).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{self, DemoSizes};

    #[test]
    fn the_model_names_the_records_an_edit_changed_and_the_documents_replaced_whole() {
        let sizes = DemoSizes {
            parties: 40,
            interactions: 0,
            deals: 0,
            tasks: 0,
            tickets: 0,
            contracts: 0,
            suppliers: 0,
        };
        let documents =
            demo::generate(3, sizes, Timestamp(1_795_000_000_000)).to_documents().unwrap();
        let mut model = ReadModel::default();
        let (key, mut doc) = documents
            .into_iter()
            .find(|(key, doc)| {
                matches!(key, DocKey::Shard { collection: Collection::Parties, .. })
                    && document::keys(doc).len() > 2
            })
            .expect("a shard with parties");
        model.replace_document(key, &mut doc);
        let whole = model.take_changed_records();
        let keys = document::keys(&doc);
        let [first, second, ..] = &keys[..] else { panic!("two parties") };
        assert!(whole.touches(key, first) && whole.touches(key, second), "replaced whole");
        assert!(model.take_changed_records().is_empty(), "told once");

        let before = doc.get_heads();
        document::update(&mut doc, first, |p: &mut crate::model::Party| p.name = "Renamed".into())
            .unwrap();
        doc.commit();
        model.refresh_since(key, &mut doc, &before);
        let edited = model.take_changed_records();
        assert!(edited.touches(key, first));
        assert!(!edited.touches(key, second), "another record of the same document");
    }

    #[test]
    fn a_screen_reads_its_record_again_only_when_a_batch_since_touched_it() {
        const PARTIES: DocKey = DocKey::Shard { collection: Collection::Parties, shard: 1 };
        const OTHER: DocKey = DocKey::Shard { collection: Collection::Parties, shard: 2 };
        let mut log = RecordLog::default();
        let edit =
            |id: &str| ChangedRecords { records: [id.to_owned()].into(), ..Default::default() };
        assert_eq!(log.push(Some(ChangedRecords::default())), None, "an empty batch is no batch");
        let first = log.push(Some(edit("a"))).unwrap();
        assert!(log.changed_since(0, PARTIES, "a"));
        assert!(!log.changed_since(0, PARTIES, "b"));
        let second = log.push(Some(edit("b"))).unwrap();
        assert!(!log.changed_since(first, PARTIES, "a"), "read after its edit");
        assert!(log.changed_since(first, PARTIES, "b"));
        let whole = ChangedRecords { documents: [OTHER].into(), ..Default::default() };
        let third = log.push(Some(whole)).unwrap();
        assert!(log.changed_since(second, OTHER, "c"), "its document replaced whole");
        assert!(!log.changed_since(second, PARTIES, "c"));
        log.push(None);
        assert!(log.changed_since(third, PARTIES, "z"), "anything may have changed");
        for _ in 0..RecordLog::KEPT {
            log.push(Some(edit("x")));
        }
        assert!(log.changed_since(first, PARTIES, "a"), "too long ago to know: read again");
    }

    #[test]
    fn the_model_says_which_kinds_of_rows_changed_once() {
        let sizes = DemoSizes {
            parties: 40,
            interactions: 40,
            deals: 10,
            tasks: 10,
            tickets: 10,
            contracts: 4,
            suppliers: 3,
        };
        let documents =
            demo::generate(3, sizes, Timestamp(1_795_000_000_000)).to_documents().unwrap();
        let mut model = ReadModel::default();
        assert_eq!(model.take_changed(), Changed::NOTHING);
        for (key, mut doc) in documents {
            model.replace_document(key, &mut doc);
            let changed = model.take_changed();
            assert_eq!(changed, Changed::of(key), "document {key}");
            assert_eq!(model.take_changed(), Changed::NOTHING, "told once");
            if let DocKey::Shard { collection: Collection::Tasks, .. } = key {
                let records = document::keys(&doc).into_iter().take(1).collect();
                model.refresh(key, &mut doc, &records);
                assert!(model.take_changed().touches(Changed::TASKS));
                assert!(!Changed::TASKS.touches(Changed::PARTIES | Changed::DEALS));
            }
        }
        model.build_search();
        assert_eq!(model.take_changed(), Changed::PARTIES);
    }
}
