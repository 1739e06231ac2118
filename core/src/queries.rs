//! Questions the screens ask of the read model: lists with sort and filter, a party's timeline, what is
//! due, and the pipeline forecast. Pure functions over [`ReadModel`] rows; no document is loaded.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};

use crate::ids::{MemberId, PartyId, PipelineId, StageId, Timestamp};
use crate::layout::Month;
use crate::model::{Role, SavedView, WorkspaceSettings};

use crate::read_model::{
    DealRow, DealStatusRow, InteractionRow, PartyKindRow, PartyRow, ReadModel, RoleRow, TaskRow,
    TicketRow,
};
use crate::search::{fold, natural_cmp};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PartySort {
    /// A to Z, numbers in names by value ("Person 2" before "Person 10").
    #[default]
    Name,
    /// Z to A.
    NameDescending,
    Newest,
    Oldest,
    /// Longest since the last interaction first (never contacted first): who needs a call.
    LeastRecentlyContacted,
    /// Latest interaction first (never contacted last).
    MostRecentlyContacted,
    /// Highest lead score first ([`PartySort::by_score`]; ties by name).
    HighestScore,
    /// Lowest lead score first.
    LowestScore,
    /// Lowest relationship health first ([`PartySort::by_health`]; ties by name): who is going cold.
    Coldest,
    /// Highest relationship health first.
    Healthiest,
}

impl PartySort {
    pub const ALL: [PartySort; 10] = [
        PartySort::Name,
        PartySort::NameDescending,
        PartySort::Newest,
        PartySort::Oldest,
        PartySort::LeastRecentlyContacted,
        PartySort::MostRecentlyContacted,
        PartySort::HighestScore,
        PartySort::LowestScore,
        PartySort::Coldest,
        PartySort::Healthiest,
    ];

    /// How a saved view stores it.
    pub fn key(self) -> &'static str {
        match self {
            PartySort::Name => "name",
            PartySort::NameDescending => "name-descending",
            PartySort::Newest => "newest",
            PartySort::Oldest => "oldest",
            PartySort::LeastRecentlyContacted => "least-recently-contacted",
            PartySort::MostRecentlyContacted => "most-recently-contacted",
            PartySort::HighestScore => "highest-score",
            PartySort::LowestScore => "lowest-score",
            PartySort::Coldest => "coldest",
            PartySort::Healthiest => "healthiest",
        }
    }

    /// Whether it orders by lead score, which the rows do not hold: [`parties`] orders such a sort
    /// by name, and the caller reorders by the scores it has ([`PartySort::by_score`]).
    pub fn reads_scores(self) -> bool {
        matches!(self, PartySort::HighestScore | PartySort::LowestScore)
    }

    /// Reorders `ids` (already by name) by `scores` (parties missing score 0), ties kept in order.
    pub fn by_score(self, ids: &mut [PartyId], scores: &HashMap<PartyId, i64>) {
        let score = |id: &PartyId| scores.get(id).copied().unwrap_or(0);
        match self {
            PartySort::HighestScore => ids.sort_by_key(|id| std::cmp::Reverse(score(id))),
            PartySort::LowestScore => ids.sort_by_key(score),
            _ => {}
        }
    }

    /// Whether it orders by relationship health, which the rows do not hold: as with scores, the
    /// caller reorders by the health it has ([`PartySort::by_health`]).
    pub fn reads_health(self) -> bool {
        matches!(self, PartySort::Coldest | PartySort::Healthiest)
    }

    /// Reorders `ids` (already by name) by `health` (`relationship::everyone`: parties missing are at
    /// 100), ties kept in order.
    pub fn by_health(
        self,
        ids: &mut [PartyId],
        health: &HashMap<PartyId, crate::relationship::Health>,
    ) {
        let score = |id: &PartyId| health.get(id).map_or(100, |health| health.score);
        match self {
            PartySort::Coldest => ids.sort_by_key(score),
            PartySort::Healthiest => ids.sort_by_key(|id| std::cmp::Reverse(score(id))),
            _ => {}
        }
    }

    /// The same column sorted the other way (a second click on a column's heading).
    pub fn reversed(self) -> PartySort {
        match self {
            PartySort::Name => PartySort::NameDescending,
            PartySort::NameDescending => PartySort::Name,
            PartySort::Newest => PartySort::Oldest,
            PartySort::Oldest => PartySort::Newest,
            PartySort::LeastRecentlyContacted => PartySort::MostRecentlyContacted,
            PartySort::MostRecentlyContacted => PartySort::LeastRecentlyContacted,
            PartySort::HighestScore => PartySort::LowestScore,
            PartySort::LowestScore => PartySort::HighestScore,
            PartySort::Coldest => PartySort::Healthiest,
            PartySort::Healthiest => PartySort::Coldest,
        }
    }

    /// The sort stored as `key`; an unknown key (a newer version's) sorts by name.
    pub fn from_key(key: &str) -> PartySort {
        PartySort::ALL.into_iter().find(|sort| sort.key() == key).unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PartyFilter {
    /// Words to search for (see [`crate::search`]); empty lists everyone.
    pub query: String,
    pub role: Option<Role>,
    pub tag: Option<String>,
    pub owner: Option<MemberId>,
    /// Only people, or only organisations.
    pub kind: Option<PartyKindRow>,
    pub include_archived: bool,
}

impl PartyFilter {
    /// The filter a saved view stands for, opened by `me`.
    pub fn of_view(view: &SavedView, me: Option<MemberId>) -> (PartyFilter, PartySort) {
        let filter = PartyFilter {
            query: view.query.clone(),
            role: view.role.as_deref().and_then(Role::from_key),
            tag: view.tag.clone(),
            owner: if view.only_mine { me } else { None },
            kind: None,
            include_archived: false,
        };
        (filter, PartySort::from_key(&view.sort))
    }
}

/// Parties matching `filter`, sorted.
pub fn parties<'m>(
    model: &'m ReadModel,
    filter: &PartyFilter,
    sort: PartySort,
) -> Vec<&'m PartyRow> {
    let (_, rows) = parties_page(model, filter, sort, usize::MAX);
    rows
}

/// How many parties match `filter`, and the first `limit` of them in order. Only those are sorted
/// fully: a screen showing the first hundred of ten thousand need not order the rest.
pub fn parties_page<'m>(
    model: &'m ReadModel,
    filter: &PartyFilter,
    sort: PartySort,
    limit: usize,
) -> (usize, Vec<&'m PartyRow>) {
    let role = filter.role.map(RoleRow::of);
    let tag = filter.tag.as_deref().map(fold);
    // The same few tags repeat on thousands of rows: each distinct one is folded once.
    let mut tag_matches: HashMap<&'m str, bool> = HashMap::new();
    let keep = |row: &&'m PartyRow| {
        (filter.include_archived || !row.archived)
            && role.is_none_or(|role| row.roles.contains(&role))
            && tag.as_deref().is_none_or(|tag| {
                row.tags.iter().any(|t| *tag_matches.entry(t).or_insert_with(|| fold(t) == tag))
            })
            && filter.owner.is_none_or(|owner| row.owner == Some(owner))
            && filter.kind.is_none_or(|kind| row.kind == kind)
    };
    let mut rows: Vec<&PartyRow> = if filter.query.trim().is_empty() {
        model.parties.values().filter(keep).collect()
    } else if model.search_pending {
        Vec::new()
    } else {
        model
            .search
            .matching(&filter.query)
            .iter()
            .filter_map(|id| model.parties.get(id))
            .filter(keep)
            .collect()
    };
    let total = rows.len();
    let last = |row: &PartyRow| model.last_contact.get(&row.id).map(|at| at.0);
    let order = |a: &&'m PartyRow, b: &&'m PartyRow| {
        let by = match sort {
            PartySort::Name
            | PartySort::HighestScore
            | PartySort::LowestScore
            | PartySort::Coldest
            | PartySort::Healthiest => natural_cmp(&a.sort_name, &b.sort_name),
            PartySort::NameDescending => natural_cmp(&b.sort_name, &a.sort_name),
            PartySort::Newest => b.created_at.cmp(&a.created_at),
            PartySort::Oldest => a.created_at.cmp(&b.created_at),
            // `None` (never contacted) orders before any time.
            PartySort::LeastRecentlyContacted => last(a).cmp(&last(b)),
            PartySort::MostRecentlyContacted => last(b).cmp(&last(a)),
        };
        by.then(a.id.cmp(&b.id))
    };
    if limit < rows.len() {
        rows.select_nth_unstable_by(limit, order);
        rows.truncate(limit);
    }
    rows.sort_unstable_by(order);
    (total, rows)
}

/// One entry of a party's timeline: the row itself, so a screen shows it without looking it up again.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimelineItem<'m> {
    Interaction(&'m InteractionRow),
    Task(&'m TaskRow),
    Deal(&'m DealRow),
    Ticket(&'m TicketRow),
    /// An investor update sent to the party.
    Update(&'m crate::investor::UpdateRow),
    /// An investor-relations event the party was invited to.
    Event(&'m crate::investor::EventRow),
    /// Kudos given to the party (an employee).
    Kudos(&'m crate::employee::KudosRow),
    /// A campaign sent to the party: the campaign, and the record (the party or one since merged into
    /// it) it went to.
    Campaign(&'m crate::campaigns::CampaignRow, PartyId),
}

impl TimelineItem<'_> {
    /// Orders entries of the same moment: interactions, tasks, deals, tickets, each by id.
    fn tie_break(&self) -> (u8, [u8; 16]) {
        match self {
            TimelineItem::Interaction(row) => (0, *row.id.as_bytes()),
            TimelineItem::Task(row) => (1, *row.id.as_bytes()),
            TimelineItem::Deal(row) => (2, *row.id.as_bytes()),
            TimelineItem::Ticket(row) => (3, *row.id.as_bytes()),
            TimelineItem::Update(row) => (4, *row.id.as_bytes()),
            TimelineItem::Event(row) => (5, *row.id.as_bytes()),
            TimelineItem::Kudos(row) => (6, *row.id.as_bytes()),
            TimelineItem::Campaign(row, _) => (7, *row.id.as_bytes()),
        }
    }
}

/// Everything involving `party`, newest first: interactions by their time, tasks by due date (or
/// creation), deals by creation, tickets by their latest activity, investor updates sent to it by
/// when they were sent, investor-relations events it was invited to by their day, kudos given to it
/// by when they were given, campaigns sent to it by when they were sent.
pub fn timeline(model: &ReadModel, party: PartyId) -> Vec<(Timestamp, TimelineItem<'_>)> {
    // Records merged into this one bring their timelines.
    let family = model.merged_family(party);
    let involves = |parties: &[PartyId]| parties.iter().any(|p| family.contains(p));
    let mut items: Vec<(Timestamp, TimelineItem<'_>)> = model
        .all_interactions()
        .filter(|row| involves(&row.parties))
        .map(|row| (row.at, TimelineItem::Interaction(row)))
        .chain(
            model
                .tasks
                .values()
                .filter(|row| involves(&row.parties))
                .map(|row| (row.due.unwrap_or(row.created_at), TimelineItem::Task(row))),
        )
        .chain(
            model
                .deals
                .values()
                .filter(|row| involves(&row.parties))
                .map(|row| (row.created_at, TimelineItem::Deal(row))),
        )
        .chain(
            model
                .tickets
                .values()
                .filter(|row| row.party.is_some_and(|p| family.contains(&p)))
                .map(|row| (row.last_activity(), TimelineItem::Ticket(row))),
        )
        .chain(
            model
                .updates
                .values()
                .filter(|row| !row.archived && involves(&row.recipients))
                .filter_map(|row| row.sent_at.map(|at| (at, TimelineItem::Update(row)))),
        )
        .chain(
            model
                .events
                .values()
                .filter(|row| {
                    !row.archived && row.attendees.iter().any(|(p, _)| family.contains(p))
                })
                .map(|row| (row.at(), TimelineItem::Event(row))),
        )
        .chain(
            model
                .kudos
                .values()
                .filter(|row| !row.archived && involves(&row.to))
                .map(|row| (row.at, TimelineItem::Kudos(row))),
        )
        .chain(model.campaigns.values().filter_map(|row| {
            let at = row.sent_at?;
            // Recipients are in id order.
            let to = family
                .iter()
                .find(|p| row.recipients.binary_search_by(|(id, _)| id.cmp(p)).is_ok())?;
            Some((at, TimelineItem::Campaign(row, *to)))
        }))
        .collect();
    items.sort_by_key(|(at, item)| (Reverse(*at), item.tie_break()));
    items
}

/// Open tasks split by when they are due, for "my day".
#[derive(Debug, Default, PartialEq)]
pub struct DueTasks<'m> {
    /// Due before today started, oldest first.
    pub overdue: Vec<&'m TaskRow>,
    /// Due today.
    pub today: Vec<&'m TaskRow>,
    /// Due later, soonest first.
    pub upcoming: Vec<&'m TaskRow>,
    /// No due date.
    pub someday: Vec<&'m TaskRow>,
}

/// Open tasks (of `assignee`, or everyone's); `day_start` is when the user's local day began, so
/// "today" follows the user's time zone.
pub fn due_tasks(
    model: &ReadModel,
    assignee: Option<MemberId>,
    day_start: Timestamp,
) -> DueTasks<'_> {
    let day_end = Timestamp(day_start.0 + DAY_MS);
    let mut due = DueTasks::default();
    for row in model.tasks.values() {
        if row.done_at.is_some() || assignee.is_some_and(|a| row.assignee != Some(a)) {
            continue;
        }
        match row.effective_due() {
            None => due.someday.push(row),
            Some(at) if at < day_start => due.overdue.push(row),
            Some(at) if at < day_end => due.today.push(row),
            Some(_) => due.upcoming.push(row),
        }
    }
    for list in [&mut due.overdue, &mut due.today, &mut due.upcoming] {
        list.sort_by_key(|row| (row.effective_due(), row.id));
    }
    due.someday.sort_by_key(|row| (Reverse(row.created_at), row.id));
    due
}

/// The open tasks about `party`: its next steps, the soonest due first and the undated last.
pub fn next_steps(model: &ReadModel, party: PartyId) -> Vec<&TaskRow> {
    let mut rows: Vec<&TaskRow> = model
        .tasks
        .values()
        .filter(|row| row.done_at.is_none() && row.parties.contains(&party))
        .collect();
    rows.sort_by_key(|row| (row.effective_due().is_none(), row.effective_due(), row.id));
    rows
}

/// A "keep in touch" reminder: the party has a cadence and it has run out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepInTouch {
    pub party: PartyId,
    /// When contact was due: the last interaction (or the party's creation) plus the cadence.
    pub due: Timestamp,
    pub last_contact: Option<Timestamp>,
}

/// Open tasks for `me` (assigned to me or to nobody) whose time has come by `now`: what a reminder
/// notification announces, oldest first.
pub fn reminders_due(model: &ReadModel, me: Option<MemberId>, now: Timestamp) -> Vec<&TaskRow> {
    let mut due: Vec<&TaskRow> = model
        .tasks
        .values()
        .filter(|task| task.done_at.is_none())
        .filter(|task| task.assignee.is_none() || task.assignee == me)
        .filter(|task| task.effective_due().is_some_and(|due| due <= now))
        .collect();
    due.sort_by_key(|task| (task.effective_due(), task.id));
    due
}

/// Parties whose keep-in-touch cadence has run out by `now`, most overdue first.
pub fn keep_in_touch_due(model: &ReadModel, now: Timestamp) -> Vec<KeepInTouch> {
    let mut due: Vec<KeepInTouch> =
        keep_in_touch_dates(model).into_iter().filter(|reminder| reminder.due <= now).collect();
    due.sort_by_key(|reminder| (reminder.due, reminder.party));
    due
}

/// When contact is next due with every party that has a cadence and is not archived, overdue or
/// not; nothing while interactions are still loading (the last contact would be wrong).
pub fn keep_in_touch_dates(model: &ReadModel) -> Vec<KeepInTouch> {
    if model.interactions_pending {
        return Vec::new();
    }
    let contacts = model.last_contacts_merged();
    model
        .parties
        .values()
        .filter(|row| !row.archived)
        .filter_map(|row| {
            let days = i64::from(row.keep_in_touch_days?);
            let last_contact = contacts.get(&row.id).copied();
            let since = last_contact.unwrap_or(row.created_at);
            Some(KeepInTouch {
                party: row.id,
                due: Timestamp(since.0 + days * DAY_MS),
                last_contact,
            })
        })
        .collect()
}

/// Open deals' value in one month and currency: the total and the total weighted by each deal's stage
/// probability.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ForecastCell {
    pub deals: usize,
    pub total_minor: i64,
    pub weighted_minor: i64,
}

/// Open deals' value by expected-close month (`None`: no date) and currency.
pub type Forecast = BTreeMap<(Option<Month>, String), ForecastCell>;
/// The forecast by the deals' owners (`None`: nobody's) and currency.
pub type ForecastByOwner = BTreeMap<(Option<MemberId>, String), ForecastCell>;

/// The weighted forecast of `pipeline` (or every pipeline) by expected-close month and currency. Deals
/// without an expected close date are under `None`.
pub fn forecast(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    pipeline: Option<PipelineId>,
) -> Forecast {
    forecast_by(model, settings, pipeline, |deal| deal.expected_close.map(Month::of))
}

/// The weighted forecast of `pipeline` (or every pipeline) by owner and currency.
pub fn forecast_by_owner(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    pipeline: Option<PipelineId>,
) -> ForecastByOwner {
    forecast_by(model, settings, pipeline, |deal| deal.owner)
}

fn forecast_by<K: Ord>(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    pipeline: Option<PipelineId>,
    key: impl Fn(&DealRow) -> K,
) -> BTreeMap<(K, String), ForecastCell> {
    let mut cells = BTreeMap::new();
    for deal in open_deals(model, pipeline) {
        let probability = stage_probability(settings, deal.pipeline, deal.stage);
        let cell: &mut ForecastCell = cells.entry((key(deal), deal.currency.clone())).or_default();
        cell.deals += 1;
        cell.total_minor += deal.amount_minor;
        cell.weighted_minor += deal.amount_minor * i64::from(probability) / 100;
    }
    cells
}

/// Open deals per stage of `pipeline`, in stage order: the kanban columns and their totals.
pub fn pipeline_columns<'m>(
    model: &'m ReadModel,
    settings: &WorkspaceSettings,
    pipeline: PipelineId,
) -> Vec<(StageId, Vec<&'m DealRow>)> {
    let Some(definition) = settings.pipelines.get(&pipeline.to_string()) else { return Vec::new() };
    definition
        .stages
        .iter()
        .map(|stage| {
            let mut deals: Vec<&DealRow> =
                open_deals(model, Some(pipeline)).filter(|d| d.stage == stage.id).collect();
            deals.sort_by_key(|d| (d.expected_close, d.id));
            (stage.id, deals)
        })
        .collect()
}

fn open_deals(model: &ReadModel, pipeline: Option<PipelineId>) -> impl Iterator<Item = &DealRow> {
    model.deals.values().filter(move |d| {
        d.status == DealStatusRow::Open && pipeline.is_none_or(|p| d.pipeline == p)
    })
}

fn stage_probability(settings: &WorkspaceSettings, pipeline: PipelineId, stage: StageId) -> u8 {
    settings.pipelines.get(&pipeline.to_string()).and_then(|p| p.probability(stage)).unwrap_or(0)
}

/// Won deals' share of closed deals (won + lost), in percent, or `None` if none closed.
pub fn win_rate(model: &ReadModel, pipeline: Option<PipelineId>) -> Option<u8> {
    let (won, closed) = model
        .deals
        .values()
        .filter(|d| pipeline.is_none_or(|p| d.pipeline == p) && d.status != DealStatusRow::Open)
        .fold((0u64, 0u64), |(won, closed), d| {
            (won + u64::from(d.status == DealStatusRow::Won), closed + 1)
        });
    (closed > 0).then(|| (won * 100 / closed) as u8)
}

#[cfg(test)]
mod tests {
    use automerge::AutoCommit;

    use super::*;
    use crate::document::{self, Record};
    use crate::ids::{DealId, InteractionId, TaskId};
    use crate::layout::DocKey;
    use crate::model::{
        Deal, DealStatus, Interaction, InteractionKind, Money, Party, Pipeline, PipelineKind,
        RecordRef, Stage, Task,
    };
    use crate::read_model::DocRows;

    const T0: i64 = 1_790_000_000_000;

    fn party(n: u8) -> PartyId {
        PartyId::from_bytes([n; 16])
    }

    struct Fixture {
        model: ReadModel,
        settings: WorkspaceSettings,
        pipeline: PipelineId,
    }

    fn fixture() -> Fixture {
        let mut docs: BTreeMap<DocKey, AutoCommit> = BTreeMap::new();
        let mut put = |key: DocKey, id: String, write: &dyn Fn(&mut AutoCommit, &str)| {
            let doc = docs.entry(key).or_insert_with(document::new_document);
            write(doc, &id);
        };
        for (n, name, role, cadence) in [
            (1, "Zoë Adams", Role::Customer, Some(7)),
            (2, "Борис Петров", Role::Supplier, Some(30)),
            (3, "Acme", Role::Customer, None),
        ] {
            let mut record = Party {
                name: name.into(),
                created_at: Timestamp(T0 + i64::from(n)),
                keep_in_touch_days: cadence,
                ..Party::default()
            };
            record.set_role(role, true);
            put(Party::doc_key(&party(n)), party(n).to_string(), &|doc, id| {
                document::put(doc, id, &record).unwrap()
            });
        }
        // Party 1 was called 10 days ago, party 2 five days ago.
        for (n, who, days_ago) in [(1u8, 1u8, 10i64), (2, 2, 5), (3, 1, 40)] {
            let at = Timestamp(T0 + 100 * DAY_MS - days_ago * DAY_MS);
            let record = Interaction {
                kind: InteractionKind::Call,
                at,
                parties: vec![party(who)],
                members: vec![],
                summary: format!("call {n}"),
                notes: Default::default(),
                outcome: String::new(),
                location: None,
                follow_up: None,
                author: None,
                archived: false,
                answers: None,
                automatic: false,
            };
            put(
                DocKey::Interactions(Month::of(at)),
                InteractionId::from_bytes([n; 16]).to_string(),
                &|doc, id| document::put(doc, id, &record).unwrap(),
            );
        }
        let day_start = T0 + 100 * DAY_MS;
        for (n, due, done) in [
            (1u8, Some(day_start - DAY_MS), false),
            (2, Some(day_start + 3_600_000), false),
            (3, Some(day_start + 5 * DAY_MS), false),
            (4, None, false),
            (5, Some(day_start - DAY_MS), true),
        ] {
            let id = TaskId::from_bytes([n; 16]);
            let record = Task {
                title: format!("task {n}"),
                due: due.map(Timestamp),
                assignee: None,
                links: vec![RecordRef::Party(party(1))],
                done_at: done.then_some(Timestamp(T0)),
                recurrence: None,
                snoozed_until: None,
                created_at: Timestamp(T0),
                archived: false,
            };
            put(Task::doc_key(&id), id.to_string(), &|doc, key| {
                document::put(doc, key, &record).unwrap()
            });
        }
        let pipeline = PipelineId::from_bytes([9; 16]);
        let (early, late) = (StageId::from_bytes([1; 16]), StageId::from_bytes([2; 16]));
        let mut settings = WorkspaceSettings::default();
        settings.pipelines.insert(
            pipeline.to_string(),
            Pipeline {
                name: "Sales".into(),
                kind: PipelineKind::Sales,
                stages: vec![
                    Stage { id: early, name: "Lead".into(), probability: 10 },
                    Stage { id: late, name: "Proposal".into(), probability: 50 },
                ],
            },
        );
        let close = Timestamp(T0 + 120 * DAY_MS);
        for (n, stage, minor, status) in [
            (1u8, early, 100_000, DealStatus::Open),
            (2, late, 300_000, DealStatus::Open),
            (3, late, 50_000, DealStatus::Won),
            (4, early, 10_000, DealStatus::Lost),
            (5, late, 20_000, DealStatus::Won),
        ] {
            let id = DealId::from_bytes([n; 16]);
            let record = Deal {
                title: format!("deal {n}"),
                pipeline,
                stage,
                amount: Money { minor, currency: "EUR".into() },
                expected_close: Some(close),
                owner: (n == 2).then_some(MemberId::from_bytes([7; 16])),
                parties: vec![party(2)],
                status,
                lost_reason: String::new(),
                stage_history: vec![],
                closed_at: None,
                closings: Vec::new(),
                terms_history: Vec::new(),
                files: Default::default(),
                created_at: Timestamp(T0 + i64::from(n)),
                archived: false,
                round: None,
                soft_circled: None,
                committed: None,
            };
            put(Deal::doc_key(&id), id.to_string(), &|doc, key| {
                document::put(doc, key, &record).unwrap()
            });
        }
        let mut model = ReadModel::default();
        for (key, doc) in docs.iter_mut() {
            model.replace_document(*key, doc);
        }
        Fixture { model, settings, pipeline }
    }

    #[test]
    fn a_saved_view_reopens_the_same_list_for_whoever_opens_it() {
        let f = fixture();
        let me = MemberId::from_bytes([7; 16]);
        let filter = PartyFilter {
            query: "adams".into(),
            role: Some(Role::Customer),
            tag: Some("vip".into()),
            owner: Some(me),
            kind: None,
            include_archived: false,
        };
        let view = SavedView {
            name: "My VIP customers".into(),
            query: "adams".into(),
            role: Some("customer".into()),
            tag: Some("vip".into()),
            only_mine: true,
            sort: "least-recently-contacted".into(),
            segment: None,
        };
        assert_eq!(
            PartyFilter::of_view(&view, Some(me)),
            (filter, PartySort::LeastRecentlyContacted)
        );
        // "Mine" is whoever opens it.
        let other = MemberId::from_bytes([8; 16]);
        assert_eq!(PartyFilter::of_view(&view, Some(other)).0.owner, Some(other));

        let view = SavedView {
            name: "Customers".into(),
            role: Some("customer".into()),
            sort: "newest".into(),
            ..SavedView::default()
        };
        let (filter, sort) = PartyFilter::of_view(&view, None);
        let names: Vec<&str> =
            parties(&f.model, &filter, sort).iter().map(|row| row.name.as_str()).collect();
        assert_eq!(names, ["Acme", "Zoë Adams"]);
        // A sort this version does not know falls back to names.
        assert_eq!(PartySort::from_key("by-mood"), PartySort::Name);
        for sort in PartySort::ALL {
            assert_eq!(PartySort::from_key(sort.key()), sort);
        }
    }

    #[test]
    fn parties_filter_by_role_and_sort_by_name_or_contact() {
        let f = fixture();
        let customers = PartyFilter { role: Some(Role::Customer), ..PartyFilter::default() };
        let names: Vec<&str> = parties(&f.model, &customers, PartySort::Name)
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(names, ["Acme", "Zoë Adams"]);
        let everyone = PartyFilter::default();
        let by_contact: Vec<&str> = parties(&f.model, &everyone, PartySort::LeastRecentlyContacted)
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(by_contact, ["Acme", "Zoë Adams", "Борис Петров"], "never contacted first");
        let searched = PartyFilter { query: "бор".into(), ..PartyFilter::default() };
        assert_eq!(parties(&f.model, &searched, PartySort::Name).len(), 1);
        let of_kind = |kind| PartyFilter { kind: Some(kind), ..PartyFilter::default() };
        assert_eq!(parties(&f.model, &of_kind(PartyKindRow::Person), PartySort::Name).len(), 3);
        assert!(
            parties(&f.model, &of_kind(PartyKindRow::Organisation), PartySort::Name).is_empty()
        );
        let newest: Vec<&str> = parties(&f.model, &everyone, PartySort::Newest)
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        let newest_rows = parties(&f.model, &everyone, PartySort::Newest);
        assert!(newest_rows.windows(2).all(|p| p[0].created_at >= p[1].created_at), "{newest:?}");
        // A page is the head of the full order, and counts everything.
        for sort in [PartySort::Name, PartySort::Newest, PartySort::LeastRecentlyContacted] {
            let all = parties(&f.model, &everyone, sort);
            let (total, page) = parties_page(&f.model, &everyone, sort, 2);
            assert_eq!((total, page.as_slice()), (all.len(), &all[..2]));
        }
    }

    #[test]
    fn the_coldest_sort_puts_the_lowest_health_first_and_those_in_full_health_last() {
        let f = fixture();
        let everyone = PartyFilter::default();
        let by_name: Vec<PartyId> =
            parties(&f.model, &everyone, PartySort::Coldest).iter().map(|r| r.id).collect();
        let names = |ids: &[PartyId]| -> Vec<String> {
            ids.iter().map(|id| f.model.parties[id].name.clone()).collect()
        };
        assert_eq!(names(&by_name), ["Acme", "Zoë Adams", "Борис Петров"], "by name first");
        let health = |score| crate::relationship::Health { score, reasons: Vec::new() };
        // Boris is missing: in full health.
        let scores = HashMap::from([(by_name[0], health(70)), (by_name[1], health(20))]);
        let mut coldest = by_name.clone();
        PartySort::Coldest.by_health(&mut coldest, &scores);
        assert_eq!(names(&coldest), ["Zoë Adams", "Acme", "Борис Петров"]);
        let mut healthiest = by_name.clone();
        PartySort::Coldest.reversed().by_health(&mut healthiest, &scores);
        assert_eq!(names(&healthiest), ["Борис Петров", "Acme", "Zoë Adams"]);
        // Other sorts are not the health's to reorder.
        let mut untouched = by_name.clone();
        PartySort::Name.by_health(&mut untouched, &scores);
        assert_eq!(untouched, by_name);
        assert!(PartySort::Coldest.reads_health() && !PartySort::LowestScore.reads_health());
    }

    /// A device opens its lists from stored rows first, then builds the search index and reads the
    /// interactions: until then, searches and keep-in-touch answer nothing rather than something wrong.
    #[test]
    fn a_model_opened_in_two_steps_answers_only_once_complete() {
        let f = fixture();
        let units: Vec<_> = f
            .model
            .heads
            .keys()
            .map(|key| {
                (
                    *key,
                    DocRows {
                        format: 1,
                        heads: vec![],
                        rows: f.model.rows_of(*key),
                        damaged: vec![],
                    },
                )
            })
            .collect();
        let (history, lists): (Vec<_>, Vec<_>) =
            units.into_iter().partition(|(key, _)| matches!(key, DocKey::Interactions(_)));
        let mut model = ReadModel::from_units_deferring_search(lists);
        model.interactions_pending = true;
        let searched = PartyFilter { query: "бор".into(), ..PartyFilter::default() };
        let later = Timestamp(T0 + 100 * DAY_MS);
        assert_eq!(parties(&model, &PartyFilter::default(), PartySort::Name).len(), 3);
        assert!(parties(&model, &searched, PartySort::Name).is_empty());
        assert!(keep_in_touch_due(&model, later).is_empty());

        model.build_search();
        model.add_units(history);
        assert_eq!(parties(&model, &searched, PartySort::Name).len(), 1);
        assert_eq!(keep_in_touch_due(&model, later), keep_in_touch_due(&f.model, later));
        assert_eq!(model.last_contact, f.model.last_contact);
    }

    #[test]
    fn tasks_are_split_into_overdue_today_and_upcoming() {
        let f = fixture();
        let due = due_tasks(&f.model, None, Timestamp(T0 + 100 * DAY_MS));
        let titles = |rows: &[&TaskRow]| rows.iter().map(|r| r.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(&due.overdue), ["task 1"], "a done task is not overdue");
        assert_eq!(titles(&due.today), ["task 2"]);
        assert_eq!(titles(&due.upcoming), ["task 3"]);
        assert_eq!(titles(&due.someday), ["task 4"]);
    }

    #[test]
    fn next_steps_are_the_open_tasks_about_a_party_soonest_first_undated_last() {
        let f = fixture();
        let titles: Vec<&str> =
            next_steps(&f.model, party(1)).iter().map(|row| row.title.as_str()).collect();
        assert_eq!(
            titles,
            ["task 1", "task 2", "task 3", "task 4"],
            "the done task 5 is not a step"
        );
        assert!(next_steps(&f.model, party(2)).is_empty());
    }

    #[test]
    fn keep_in_touch_is_due_when_the_cadence_ran_out() {
        let f = fixture();
        let due = keep_in_touch_due(&f.model, Timestamp(T0 + 100 * DAY_MS));
        assert_eq!(
            due.iter().map(|r| r.party).collect::<Vec<_>>(),
            [party(1)],
            "called 10 days ago, cadence 7"
        );
        assert_eq!(due[0].due, Timestamp(T0 + 97 * DAY_MS));
    }

    #[test]
    fn forecast_weights_open_deals_by_stage_probability() {
        let f = fixture();
        let cells = forecast(&f.model, &f.settings, Some(f.pipeline));
        let close = Month::of(Timestamp(T0 + 120 * DAY_MS));
        let cell = &cells[&(Some(close), "EUR".to_owned())];
        assert_eq!(cell.deals, 2);
        assert_eq!(cell.total_minor, 400_000);
        assert_eq!(cell.weighted_minor, 10_000 + 150_000);
        assert_eq!(win_rate(&f.model, None), Some(66));
        let by_owner = forecast_by_owner(&f.model, &f.settings, Some(f.pipeline));
        let olga = MemberId::from_bytes([7; 16]);
        assert_eq!(by_owner[&(Some(olga), "EUR".to_owned())].weighted_minor, 150_000);
        assert_eq!(by_owner[&(None, "EUR".to_owned())].weighted_minor, 10_000);
        assert_eq!(by_owner.len(), 2);
        let columns = pipeline_columns(&f.model, &f.settings, f.pipeline);
        assert_eq!(columns.iter().map(|(_, deals)| deals.len()).collect::<Vec<_>>(), [1, 1]);
    }

    #[test]
    fn a_merged_record_brings_its_timeline_and_last_contact() {
        let (survivor, merged) = (party(1), party(2));
        let mut model = ReadModel::default();
        let mut docs: BTreeMap<DocKey, AutoCommit> = BTreeMap::new();
        for (id, record) in [
            (
                survivor,
                Party { name: "Ivan".into(), keep_in_touch_days: Some(30), ..Party::default() },
            ),
            (
                merged,
                Party { name: "Иван".into(), merged_into: Some(survivor), ..Party::default() },
            ),
        ] {
            let doc = docs.entry(Party::doc_key(&id)).or_insert_with(document::new_document);
            document::put(doc, &id.to_string(), &record).unwrap();
        }
        let at = Timestamp(T0 + 10 * DAY_MS);
        let call = Interaction {
            kind: InteractionKind::Call,
            at,
            parties: vec![merged],
            members: vec![],
            summary: "call".into(),
            notes: Default::default(),
            outcome: String::new(),
            location: None,
            follow_up: None,
            author: None,
            archived: false,
            answers: None,
            automatic: false,
        };
        let doc =
            docs.entry(DocKey::Interactions(Month::of(at))).or_insert_with(document::new_document);
        document::put(doc, &InteractionId::from_bytes([1; 16]).to_string(), &call).unwrap();
        for (key, doc) in docs.iter_mut() {
            model.replace_document(*key, doc);
        }
        assert_eq!(model.merged_family(survivor), vec![survivor, merged]);
        assert_eq!(timeline(&model, survivor).len(), 1, "the call with the merged record");
        assert_eq!(model.last_contact_of(survivor), Some(at));
        // Due 30 days after that call, not 30 days after the survivor was created.
        assert!(keep_in_touch_due(&model, Timestamp(at.0 + 29 * DAY_MS)).is_empty());
        let due = keep_in_touch_due(&model, Timestamp(at.0 + 31 * DAY_MS));
        assert_eq!(due.iter().map(|d| d.party).collect::<Vec<_>>(), [survivor]);
        // The merged record is out of the lists.
        assert_eq!(parties(&model, &PartyFilter::default(), PartySort::Name).len(), 1);
    }

    #[test]
    fn reminders_are_due_for_open_tasks_whose_time_has_come() {
        let f = fixture();
        let day_start = T0 + 100 * DAY_MS;
        let titles = |now: i64| -> Vec<String> {
            reminders_due(&f.model, None, Timestamp(now)).iter().map(|t| t.title.clone()).collect()
        };
        assert_eq!(
            titles(day_start + 2 * 3_600_000),
            ["task 1", "task 2"],
            "not done, not later, not undated"
        );
        assert_eq!(titles(day_start), ["task 1"]);
    }

    #[test]
    fn timeline_is_newest_first_across_kinds() {
        let f = fixture();
        let items = timeline(&f.model, party(1));
        assert!(items.windows(2).all(|pair| pair[0].0 >= pair[1].0));
        let interactions =
            items.iter().filter(|(_, item)| matches!(item, TimelineItem::Interaction(_))).count();
        let tasks = items.iter().filter(|(_, item)| matches!(item, TimelineItem::Task(_))).count();
        assert_eq!((interactions, tasks), (2, 5));
        assert!(
            timeline(&f.model, party(2))
                .iter()
                .any(|(_, item)| matches!(item, TimelineItem::Deal(_)))
        );
    }

    #[test]
    fn an_investor_update_is_on_the_timeline_of_whom_it_was_sent_to() {
        let mut f = fixture();
        let mut update = crate::investor::next_update(None, "Q4".into(), Timestamp(T0));
        update.recipients.insert(party(1).to_string(), true);
        let id = crate::ids::UpdateId::from_bytes([1; 16]);
        let updates = |model: &ReadModel, p: PartyId| -> usize {
            timeline(model, p).iter().filter(|(_, i)| matches!(i, TimelineItem::Update(_))).count()
        };
        f.model.updates.insert(id, crate::investor::UpdateRow::of(id, &update));
        assert_eq!(updates(&f.model, party(1)), 0, "a draft is not on it");
        update.sent_at = Some(Timestamp(T0 + DAY_MS));
        f.model.updates.insert(id, crate::investor::UpdateRow::of(id, &update));
        assert_eq!((updates(&f.model, party(1)), updates(&f.model, party(2))), (1, 0));
    }

    #[test]
    fn a_campaign_is_on_the_timeline_of_whom_it_went_to_and_of_what_they_were_merged_into() {
        let mut f = fixture();
        let mut campaign = crate::model::Campaign {
            name: "Spring".into(),
            created_at: Timestamp(T0),
            ..Default::default()
        };
        let id = crate::ids::CampaignId::from_bytes([1; 16]);
        let on = |model: &ReadModel, p: PartyId| -> Vec<PartyId> {
            timeline(model, p)
                .iter()
                .filter_map(|(_, i)| match i {
                    TimelineItem::Campaign(_, to) => Some(*to),
                    _ => None,
                })
                .collect()
        };
        campaign.recipients.insert(party(1).to_string(), "a@example.com".into());
        f.model.campaigns.insert(id, crate::campaigns::CampaignRow::of(id, &campaign));
        assert!(on(&f.model, party(1)).is_empty(), "a draft is not on it");
        campaign.sent_at = Some(Timestamp(T0 + DAY_MS));
        f.model.campaigns.insert(id, crate::campaigns::CampaignRow::of(id, &campaign));
        assert_eq!((on(&f.model, party(1)), on(&f.model, party(2))), (vec![party(1)], vec![]));
        // Party 1 merged into party 2: the campaign it received is on the survivor's timeline.
        f.model.parties.get_mut(&party(1)).unwrap().merged_into = Some(party(2));
        assert_eq!(on(&f.model, party(2)), vec![party(1)]);
    }

    #[test]
    fn kudos_are_on_the_timeline_of_whom_they_were_given_until_withdrawn() {
        let mut f = fixture();
        let mut kudos = crate::model::Kudos {
            from: crate::ids::MemberId::from_bytes([9; 16]),
            to: vec![party(1), party(2)],
            value: "Ownership".into(),
            message: "Closed Nordwind".into(),
            at: Timestamp(T0 + DAY_MS),
            archived: false,
        };
        let id = crate::ids::KudosId::from_bytes([1; 16]);
        let kudos_on = |model: &ReadModel, p: PartyId| -> Vec<Timestamp> {
            timeline(model, p)
                .iter()
                .filter(|(_, i)| matches!(i, TimelineItem::Kudos(_)))
                .map(|(at, _)| *at)
                .collect()
        };
        f.model.kudos.insert(id, crate::employee::KudosRow::of(id, &kudos));
        assert_eq!(kudos_on(&f.model, party(1)), vec![Timestamp(T0 + DAY_MS)]);
        assert_eq!(kudos_on(&f.model, party(2)).len(), 1, "each person given them");
        kudos.archived = true;
        f.model.kudos.insert(id, crate::employee::KudosRow::of(id, &kudos));
        assert!(kudos_on(&f.model, party(1)).is_empty(), "withdrawn");
    }

    #[test]
    fn an_event_is_on_the_timeline_of_everyone_invited_on_its_day() {
        use crate::model::{Attendance, EventKind, InvestorEvent};
        let mut f = fixture();
        let mut event = InvestorEvent {
            title: "Roadshow".into(),
            kind: EventKind::Roadshow,
            day: String::new(),
            location: "Frankfurt".into(),
            attendees: Default::default(),
            notes: Default::default(),
            owner: None,
            created_at: Timestamp(T0),
            archived: false,
        };
        event.attendees.insert(party(2).to_string(), Attendance::Invited);
        let id = crate::ids::EventId::from_bytes([1; 16]);
        f.model.events.insert(id, crate::investor::EventRow::of(id, &event));
        let on = |model: &ReadModel, p: PartyId| -> Vec<Timestamp> {
            timeline(model, p)
                .iter()
                .filter(|(_, i)| matches!(i, TimelineItem::Event(_)))
                .map(|(at, _)| *at)
                .collect()
        };
        assert_eq!(on(&f.model, party(2)), [Timestamp(T0)], "undated: when it was written down");
        assert!(on(&f.model, party(1)).is_empty());
        event.day = "2026-03-10".into();
        f.model.events.insert(id, crate::investor::EventRow::of(id, &event));
        let day = crate::contract::utc_midnight(crate::contract::parse_day("2026-03-10").unwrap());
        assert_eq!(on(&f.model, party(2)), [day]);
    }
}
