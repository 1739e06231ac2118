//! The report builder: a question a person puts together — which records, over which period, grouped
//! by what, measured how — and its answer, each bar with the records behind it so that a click lists
//! exactly what it counts. A pure function of the read model, so every device draws the same chart.
//!
//! A report reads one kind of record ([`Source`]) and one of its dates ([`DateField`]): the period
//! (`months`) and the grouping by month or week both read that date. Conditions keep the records with
//! a given value of a [`Dimension`]; a record with several values of it (a party's tags) is counted in
//! each of their groups. Amounts of different currencies are never added: a money measure counts the
//! deals of one currency only. At most [`MAX_BARS`] groups are drawn; the rest are one "others" bar.
//!
//! A grouped report can split each group again by a second dimension (`split`): each bar then has a
//! part per value of it — the same [`MAX_SERIES`] values in every bar, the rest one "others" part —
//! each measured over the group's records with that value, so a click on a part lists exactly its
//! records; split by a dimension of one value a record ([`Dimension::one_per_record`]), the parts of
//! a count or sum add up to their group's, and can be stacked.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Bound;

use serde::{Deserialize, Serialize};

use crate::analytics::Months;
use crate::ids::{
    DealId, InteractionId, MemberId, PartyId, SegmentId, TaskId, TicketId, Timestamp,
};
use crate::layout::Month;
use crate::model::{SavedReport, WorkspaceSettings};
use crate::read_model::{
    DealRow, DealStatusRow, InteractionRow, PartyKindRow, PartyRow, ReadModel, TaskRow, TicketRow,
};
use crate::segments::{Audience, SegmentRow};

/// At most this many bars (Twenty's cap): past it, the smallest groups are counted as one.
pub const MAX_BARS: usize = 100;

/// At most this many parts in a split bar (the colours a chart tells apart): past it, the values
/// smallest over the whole answer are one "others" part.
pub const MAX_SERIES: usize = 5;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Dates further from 1970 than this (about 6,900 years) are no dates: every month and week around
/// them has a first millisecond, and no arithmetic on them overflows.
const LATEST: i64 = 220_000_000_000_000;

/// The kind of record a report counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Source {
    Deals,
    Parties,
    Interactions,
    Tickets,
    Tasks,
}

/// A date of a record: what the period and a grouping by month or week read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DateField {
    /// When it was created (an interaction: when it happened).
    Created,
    /// A deal: when it was won or lost.
    Closed,
    /// A deal: when it is expected to close.
    ExpectedClose,
    /// A task: when it is due.
    Due,
    /// A task: when it was done.
    Done,
}

/// What records are grouped or filtered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Dimension {
    /// The month of the report's date (UTC).
    Month,
    /// The ISO week of the report's date (UTC, from Monday).
    Week,
    /// A deal's or party's owner, an interaction's author, a ticket's or task's assignee.
    Owner,
    Pipeline,
    Stage,
    /// Open, won or lost (a deal); its status key (a ticket); open or done (a task).
    Status,
    Currency,
    LostReason,
    /// Person or organisation (a party); call, meeting… (an interaction).
    Kind,
    Role,
    /// A party's or ticket's tags.
    Tag,
    Country,
    City,
    Priority,
    Channel,
    Team,
    /// A ticket's satisfaction score, 1–5.
    Rating,
    /// The segments a record's people and organisations are in ([`SegmentsOf`]).
    Segment,
}

/// A number of a record that can be added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Number {
    /// A deal's amount, in minor units of the report's currency.
    Amount,
    /// A ticket's satisfaction score, 1–5.
    Rating,
    /// Days from a deal's creation to its closing.
    CycleDays,
}

/// How a group's records become its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Measure {
    Count,
    Sum(Number),
    Average(Number),
    Median(Number),
}

/// How the answer is drawn; the numbers are the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Chart {
    Bar,
    Line,
    /// Each group's share of the whole, as a ring.
    Donut,
    Table,
    /// Each group's bar made of its parts (`split`), one after the other.
    Stacked,
}

/// Only the records with this value of the dimension.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Condition {
    pub dimension: Dimension,
    /// As [`Key::Value`] holds it; empty for "none" ([`Key::Missing`]).
    pub value: String,
}

/// A report as it is asked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReportDef {
    pub source: Source,
    pub date: DateField,
    /// Whole months ending with the current one; 0 for all time.
    pub months: u8,
    /// Groups, or one number for all the records when `None`.
    pub group: Option<Dimension>,
    /// Each group split again by this: a part per value (with a group only, and not the group's).
    pub split: Option<Dimension>,
    pub measure: Measure,
    pub conditions: Vec<Condition>,
    /// The currency of a money measure; the one most deals are in when `None`.
    pub currency: Option<String>,
    pub chart: Chart,
}

/// A group's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Key {
    /// A month's or week's first millisecond.
    Period(Timestamp),
    /// A value as stored: an id, a key, a tag or a city as typed.
    Value(String),
    /// Records with no value.
    Missing,
    /// The groups past [`MAX_BARS`], together.
    Others,
    /// Every record, when the report has no grouping.
    All,
}

/// One of the records behind a bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Item {
    Deal(DealId),
    Party(PartyId),
    Interaction(InteractionId),
    Ticket(TicketId),
    Task(TaskId),
}

/// One bar of the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub key: Key,
    /// `None` for an average or median of no records.
    pub value: Option<f64>,
    /// The records measured, in id order.
    pub records: Vec<Item>,
    /// Split: a part for each of the answer's `series`, in its order.
    pub parts: Vec<Part>,
}

/// The records of a bar with one value of the split, measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part {
    /// `None` for an average or median of no records.
    pub value: Option<f64>,
    /// In id order.
    pub records: Vec<Item>,
}

/// A report's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub rows: Vec<Row>,
    /// The currency a money measure counted.
    pub currency: Option<String>,
    /// Split: the values of the split each bar has a part for — periods in time order, others the
    /// largest over the whole answer first, then [`Key::Others`] for the rest.
    pub series: Vec<Key>,
    /// An ungrouped report over a period that ends now: its one number in the period before, as far
    /// into it as now is into this one ([`Months::previous_to_date`]), in the same currency.
    pub before: Option<Row>,
}

/// Why a saved report cannot be read: written by a newer app, most likely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the report names an unknown {what} \"{key}\"")]
    Unknown { what: &'static str, key: String },
}

impl Source {
    pub const ALL: [Source; 5] =
        [Source::Deals, Source::Parties, Source::Interactions, Source::Tickets, Source::Tasks];

    /// The dates its records have, the default first.
    pub fn dates(self) -> &'static [DateField] {
        use DateField::*;
        match self {
            Source::Deals => &[Created, Closed, ExpectedClose],
            Source::Tasks => &[Created, Due, Done],
            Source::Parties | Source::Interactions | Source::Tickets => &[Created],
        }
    }

    /// What its records can be grouped and filtered by.
    pub fn dimensions(self) -> &'static [Dimension] {
        use Dimension::*;
        match self {
            Source::Deals => {
                &[Month, Week, Owner, Pipeline, Stage, Status, Currency, LostReason, Segment]
            }
            Source::Parties => &[Month, Week, Owner, Kind, Role, Tag, Country, City, Segment],
            Source::Interactions => &[Month, Week, Owner, Kind, Segment],
            Source::Tickets => {
                &[Month, Week, Owner, Status, Priority, Channel, Team, Tag, Rating, Segment]
            }
            Source::Tasks => &[Month, Week, Owner, Status, Segment],
        }
    }

    /// The numbers its records have.
    pub fn numbers(self) -> &'static [Number] {
        match self {
            Source::Deals => &[Number::Amount, Number::CycleDays],
            Source::Tickets => &[Number::Rating],
            Source::Parties | Source::Interactions | Source::Tasks => &[],
        }
    }
}

impl Dimension {
    /// Whether a record has one value of it: not tags, roles, countries or cities, of which a record
    /// counted in several parts would make a stack of its parts longer than its whole.
    pub fn one_per_record(self) -> bool {
        !matches!(
            self,
            Dimension::Tag
                | Dimension::Role
                | Dimension::Country
                | Dimension::City
                | Dimension::Segment
        )
    }
}

impl Measure {
    pub fn number(self) -> Option<Number> {
        match self {
            Measure::Count => None,
            Measure::Sum(n) | Measure::Average(n) | Measure::Median(n) => Some(n),
        }
    }

    /// Its value over the numbers of a group's records (`None` for an average of none).
    fn of(self, mut numbers: Vec<f64>) -> Option<f64> {
        match self {
            Measure::Count => Some(numbers.len() as f64),
            // Folded from +0: a sum of nothing is 0, not the -0 `Iterator::sum` gives.
            Measure::Sum(_) => Some(numbers.iter().fold(0.0, |a, b| a + b)),
            Measure::Average(_) if numbers.is_empty() => None,
            Measure::Average(_) => {
                Some(numbers.iter().fold(0.0, |a, b| a + b) / numbers.len() as f64)
            }
            Measure::Median(_) => {
                numbers.sort_by(f64::total_cmp);
                let half = numbers.len() / 2;
                match numbers.len() {
                    0 => None,
                    n if n % 2 == 1 => Some(numbers[half]),
                    _ => Some((numbers[half - 1] + numbers[half]) / 2.0),
                }
            }
        }
    }
}

/// Stable keys for the settings and for tests, never shown.
macro_rules! keyed {
    ($name:ident { $($variant:ident => $key:literal),* $(,)? }) => {
        impl $name {
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key),* }
            }

            pub fn from_key(key: &str) -> Option<$name> {
                match key { $($key => Some($name::$variant),)* _ => None }
            }
        }
    };
}

keyed!(Source { Deals => "deals", Parties => "parties", Interactions => "interactions", Tickets => "tickets", Tasks => "tasks" });
keyed!(DateField { Created => "created", Closed => "closed", ExpectedClose => "expected_close", Due => "due", Done => "done" });
keyed!(Dimension {
    Month => "month", Week => "week", Owner => "owner", Pipeline => "pipeline", Stage => "stage",
    Status => "status", Currency => "currency", LostReason => "lost_reason", Kind => "kind",
    Role => "role", Tag => "tag", Country => "country", City => "city", Priority => "priority",
    Channel => "channel", Team => "team", Rating => "rating", Segment => "segment",
});
keyed!(Number { Amount => "amount", Rating => "rating", CycleDays => "cycle_days" });
keyed!(Chart { Bar => "bar", Line => "line", Donut => "donut", Table => "table", Stacked => "stacked" });

impl ReportDef {
    /// What the settings keep of it.
    pub fn saved(&self, name: &str, pinned: bool) -> SavedReport {
        let (measure, number) = match self.measure {
            Measure::Count => ("count", None),
            Measure::Sum(n) => ("sum", Some(n)),
            Measure::Average(n) => ("average", Some(n)),
            Measure::Median(n) => ("median", Some(n)),
        };
        SavedReport {
            name: name.trim().to_owned(),
            source: self.source.key().to_owned(),
            date: self.date.key().to_owned(),
            months: self.months,
            group: self.group.map(|d| d.key().to_owned()),
            split: self.split.map(|d| d.key().to_owned()),
            measure: measure.to_owned(),
            number: number.map(|n| n.key().to_owned()),
            conditions: self
                .conditions
                .iter()
                .map(|c| format!("{}={}", c.dimension.key(), c.value))
                .collect(),
            currency: self.currency.clone(),
            chart: self.chart.key().to_owned(),
            pinned,
            place: String::new(),
        }
    }

    /// The report a saved one asks, or what this app does not know of it. Parts that do not fit
    /// together — two people changed the record kind and the grouping at once — are mended rather
    /// than refused: a date the records do not have is their first date, a grouping or condition
    /// they do not have is dropped, a sum of no number is a count.
    pub fn from_saved(saved: &SavedReport) -> Result<ReportDef, ReportError> {
        fn known<T>(what: &'static str, key: &str, found: Option<T>) -> Result<T, ReportError> {
            found.ok_or_else(|| ReportError::Unknown { what, key: key.to_owned() })
        }
        let source = known("record kind", &saved.source, Source::from_key(&saved.source))?;
        let date = known("date", &saved.date, DateField::from_key(&saved.date))?;
        let date = if source.dates().contains(&date) { date } else { source.dates()[0] };
        let dimension = |key: &str| known("grouping", key, Dimension::from_key(key));
        let group = saved.group.as_deref().map(dimension).transpose()?;
        let split = saved.split.as_deref().map(dimension).transpose()?;
        let number = saved
            .number
            .as_deref()
            .map(|key| known("number", key, Number::from_key(key)))
            .transpose()?
            .filter(|n| source.numbers().contains(n));
        let measure = match (saved.measure.as_str(), number) {
            ("count", _) | ("sum" | "average" | "median", None) => Measure::Count,
            ("sum", Some(n)) => Measure::Sum(n),
            ("average", Some(n)) => Measure::Average(n),
            ("median", Some(n)) => Measure::Median(n),
            (other, _) => {
                return Err(ReportError::Unknown { what: "measure", key: other.to_owned() });
            }
        };
        let mut conditions = Vec::new();
        for condition in &saved.conditions {
            let Some((key, value)) = condition.split_once('=') else {
                return Err(ReportError::Unknown { what: "condition", key: condition.clone() });
            };
            let dimension = dimension(key)?;
            if source.dimensions().contains(&dimension) {
                conditions.push(Condition { dimension, value: value.to_owned() });
            }
        }
        let chart = known("chart", &saved.chart, Chart::from_key(&saved.chart))?;
        let group = group.filter(|d| source.dimensions().contains(d));
        Ok(ReportDef {
            source,
            date,
            months: saved.months,
            group,
            split: split
                .filter(|d| source.dimensions().contains(d) && group.is_some_and(|g| g != *d)),
            measure,
            conditions,
            currency: saved.currency.clone().filter(|c| !c.trim().is_empty()),
            chart,
        })
    }
}

/// A dashboard the app ships: the sales one is `crate::analytics`; these are made of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Board {
    /// Tickets: how many, in what state, from where, how urgent, how satisfied.
    Service,
    /// New contacts, leads and what came of them, and the contact the team keeps.
    Marketing,
    /// Suppliers, investors and employees: who they are and where.
    Relationships,
}

/// A report of a default dashboard, named so that a screen can title it in its language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Builtin {
    TicketsByMonth,
    TicketsByStatus,
    RatingByMonth,
    TicketsByChannel,
    TicketsByPriority,
    NewContactsByMonth,
    NewProspectsByMonth,
    WonByMonth,
    InteractionsByKind,
    RelationshipsByRole,
    SuppliersByCountry,
    InvestorsByTag,
    EmployeesByCity,
}

keyed!(Board { Service => "service", Marketing => "marketing", Relationships => "relationships" });
keyed!(Builtin {
    TicketsByMonth => "tickets-by-month", TicketsByStatus => "tickets-by-status",
    RatingByMonth => "rating-by-month", TicketsByChannel => "tickets-by-channel",
    TicketsByPriority => "tickets-by-priority", NewContactsByMonth => "new-contacts-by-month",
    NewProspectsByMonth => "new-prospects-by-month", WonByMonth => "won-by-month",
    InteractionsByKind => "interactions-by-kind", RelationshipsByRole => "relationships-by-role",
    SuppliersByCountry => "suppliers-by-country", InvestorsByTag => "investors-by-tag",
    EmployeesByCity => "employees-by-city",
});

impl Board {
    pub const ALL: [Board; 3] = [Board::Service, Board::Marketing, Board::Relationships];

    /// Its reports, in the order they are shown.
    pub fn reports(self) -> Vec<(Builtin, ReportDef)> {
        use Builtin as B;
        let report = ReportDef::grouped;
        let only = |mut def: ReportDef, dimension, value: &str| {
            def.conditions.push(Condition { dimension, value: value.to_owned() });
            def
        };
        let line = |def: ReportDef| ReportDef { chart: Chart::Line, ..def };
        match self {
            Board::Service => vec![
                (
                    B::TicketsByMonth,
                    line(report(Source::Tickets, 6, Dimension::Month, Measure::Count)),
                ),
                (B::TicketsByStatus, report(Source::Tickets, 0, Dimension::Status, Measure::Count)),
                (
                    B::RatingByMonth,
                    line(report(
                        Source::Tickets,
                        6,
                        Dimension::Month,
                        Measure::Average(Number::Rating),
                    )),
                ),
                (
                    B::TicketsByChannel,
                    report(Source::Tickets, 6, Dimension::Channel, Measure::Count),
                ),
                (
                    B::TicketsByPriority,
                    report(Source::Tickets, 6, Dimension::Priority, Measure::Count),
                ),
            ],
            Board::Marketing => vec![
                (
                    B::NewContactsByMonth,
                    line(report(Source::Parties, 6, Dimension::Month, Measure::Count)),
                ),
                (
                    B::NewProspectsByMonth,
                    only(
                        report(Source::Parties, 6, Dimension::Month, Measure::Count),
                        Dimension::Role,
                        "prospect",
                    ),
                ),
                (
                    B::WonByMonth,
                    only(
                        ReportDef {
                            date: DateField::Closed,
                            ..report(Source::Deals, 6, Dimension::Month, Measure::Count)
                        },
                        Dimension::Status,
                        "won",
                    ),
                ),
                (
                    B::InteractionsByKind,
                    report(Source::Interactions, 6, Dimension::Kind, Measure::Count),
                ),
            ],
            Board::Relationships => vec![
                (
                    B::RelationshipsByRole,
                    report(Source::Parties, 0, Dimension::Role, Measure::Count),
                ),
                (
                    B::SuppliersByCountry,
                    only(
                        report(Source::Parties, 0, Dimension::Country, Measure::Count),
                        Dimension::Role,
                        "supplier",
                    ),
                ),
                (
                    B::InvestorsByTag,
                    only(
                        report(Source::Parties, 0, Dimension::Tag, Measure::Count),
                        Dimension::Role,
                        "investor",
                    ),
                ),
                (
                    B::EmployeesByCity,
                    only(
                        report(Source::Parties, 0, Dimension::City, Measure::Count),
                        Dimension::Role,
                        "employee",
                    ),
                ),
            ],
        }
    }
}

/// The start of the ISO week (Monday, UTC) containing `at`.
pub fn week_of(at: Timestamp) -> Timestamp {
    let day = at.0.div_euclid(DAY_MS);
    // 1 January 1970 was a Thursday: days since a Monday are (day + 3) mod 7.
    Timestamp((day - (day + 3).rem_euclid(7)) * DAY_MS)
}

/// A record of any source, as the report reads it.
#[derive(Clone, Copy)]
enum Record<'a> {
    Deal(&'a DealRow),
    Party(&'a PartyRow),
    Interaction(&'a InteractionRow),
    Ticket(&'a TicketRow),
    Task(&'a TaskRow),
}

/// A value's key, trimmed; [`Key::Missing`] when empty.
fn typed(value: &str) -> Key {
    match value.trim() {
        "" => Key::Missing,
        value => Key::Value(value.to_owned()),
    }
}

fn present(value: Option<String>) -> Key {
    value.map_or(Key::Missing, Key::Value)
}

impl<'a> Record<'a> {
    fn item(self) -> Item {
        match self {
            Record::Deal(d) => Item::Deal(d.id),
            Record::Party(p) => Item::Party(p.id),
            Record::Interaction(i) => Item::Interaction(i.id),
            Record::Ticket(t) => Item::Ticket(t.id),
            Record::Task(t) => Item::Task(t.id),
        }
    }

    /// A date of it; one past any calendar (synced from a broken device) is no date.
    fn date(self, field: DateField) -> Option<Timestamp> {
        self.raw_date(field).filter(|at| (-LATEST..=LATEST).contains(&at.0))
    }

    fn raw_date(self, field: DateField) -> Option<Timestamp> {
        match (self, field) {
            (Record::Deal(d), DateField::Created) => Some(d.created_at),
            (Record::Deal(d), DateField::Closed) => d.closed_at,
            (Record::Deal(d), DateField::ExpectedClose) => d.expected_close,
            (Record::Party(p), DateField::Created) => Some(p.created_at),
            (Record::Interaction(i), DateField::Created) => Some(i.at),
            (Record::Ticket(t), DateField::Created) => Some(t.created_at),
            (Record::Task(t), DateField::Created) => Some(t.created_at),
            (Record::Task(t), DateField::Due) => t.due,
            (Record::Task(t), DateField::Done) => t.done_at,
            _ => None,
        }
    }

    fn number(self, number: Number) -> Option<f64> {
        match (self, number) {
            (Record::Deal(d), Number::Amount) => Some(d.amount_minor as f64),
            // As the sales dashboard counts it: never below 0 (an imported deal may be created
            // after it closed).
            (Record::Deal(_), Number::CycleDays) => {
                let (created, closed) =
                    (self.date(DateField::Created)?, self.date(DateField::Closed)?);
                Some((closed.0 - created.0).max(0) as f64 / DAY_MS as f64)
            }
            (Record::Ticket(t), Number::Rating) => t.rating.map(f64::from),
            _ => None,
        }
    }

    /// The people and organisations it is about (a party: itself).
    fn parties(self) -> &'a [PartyId] {
        match self {
            Record::Deal(d) => &d.parties,
            Record::Party(p) => std::slice::from_ref(&p.id),
            Record::Interaction(i) => &i.parties,
            Record::Ticket(t) => t.party.as_slice(),
            Record::Task(t) => &t.parties,
        }
    }

    /// Its values of `dimension` (none when the dimension is not one of its source's); its
    /// segments are those `segments` says its parties are in.
    fn keys(self, dimension: Dimension, date: DateField, segments: &SegmentsOf) -> Vec<Key> {
        use Dimension as D;
        let one = |key: Key| vec![key];
        match (self, dimension) {
            (_, D::Segment) => {
                let mut ids: Vec<&str> =
                    self.parties().iter().flat_map(|party| segments.of_party(*party)).collect();
                ids.sort_unstable();
                ids.dedup();
                many(ids.into_iter().map(str::to_owned))
            }
            (_, D::Month) => {
                one(self.date(date).map_or(Key::Missing, |at| Key::Period(Month::of(at).start())))
            }
            (_, D::Week) => {
                one(self.date(date).map_or(Key::Missing, |at| Key::Period(week_of(at))))
            }
            (Record::Deal(d), D::Owner) => one(present(d.owner.map(|m| m.to_string()))),
            (Record::Deal(d), D::Pipeline) => one(Key::Value(d.pipeline.to_string())),
            (Record::Deal(d), D::Stage) => one(Key::Value(d.stage.to_string())),
            (Record::Deal(d), D::Status) => one(Key::Value(
                match d.status {
                    DealStatusRow::Open => "open",
                    DealStatusRow::Won => "won",
                    DealStatusRow::Lost => "lost",
                }
                .to_owned(),
            )),
            (Record::Deal(d), D::Currency) => one(typed(&d.currency)),
            (Record::Deal(d), D::LostReason) => match d.status {
                DealStatusRow::Lost => one(typed(&d.lost_reason)),
                _ => one(Key::Missing),
            },
            (Record::Party(p), D::Owner) => one(present(p.owner.map(|m| m.to_string()))),
            (Record::Party(p), D::Kind) => one(Key::Value(
                match p.kind {
                    PartyKindRow::Person => "person",
                    PartyKindRow::Organisation => "organisation",
                }
                .to_owned(),
            )),
            (Record::Party(p), D::Role) => many(p.roles.iter().map(|r| r.role().key().to_owned())),
            // Folded, as the people list and segments match tags: "VIP" and "vip" are one.
            (Record::Party(p), D::Tag) => many(p.tags.iter().map(|t| crate::search::fold(t))),
            (Record::Party(p), D::Country) => many(p.countries.iter().cloned()),
            (Record::Party(p), D::City) => many(p.cities.iter().cloned()),
            (Record::Interaction(i), D::Owner) => one(present(i.author.map(|m| m.to_string()))),
            (Record::Interaction(i), D::Kind) => one(crate::scoring::INTERACTION_KEYS
                .get(usize::from(i.kind))
                .map_or(Key::Missing, |key| Key::Value((*key).to_owned()))),
            (Record::Ticket(t), D::Owner) => one(present(t.assignee.map(|m| m.to_string()))),
            (Record::Ticket(t), D::Status) => one(typed(&t.status)),
            (Record::Ticket(t), D::Priority) => one(Key::Value(t.priority.as_str().to_owned())),
            (Record::Ticket(t), D::Channel) => one(Key::Value(t.channel.as_str().to_owned())),
            (Record::Ticket(t), D::Team) => one(present(t.team.map(|team| team.to_string()))),
            (Record::Ticket(t), D::Tag) => many(t.tags.iter().map(|t| crate::search::fold(t))),
            (Record::Ticket(t), D::Rating) => one(present(t.rating.map(|r| r.to_string()))),
            (Record::Task(t), D::Owner) => one(present(t.assignee.map(|m| m.to_string()))),
            (Record::Task(t), D::Status) => {
                one(Key::Value(if t.done_at.is_some() { "done" } else { "open" }.to_owned()))
            }
            _ => Vec::new(),
        }
    }
}

/// The trimmed values, or [`Key::Missing`] for none. A value twice counts once: a group counts a
/// record once ([`Group::new`]).
fn many(values: impl Iterator<Item = String>) -> Vec<Key> {
    let mut keys: Vec<Key> = values.map(|v| typed(&v)).filter(|k| *k != Key::Missing).collect();
    if keys.is_empty() {
        keys.push(Key::Missing);
    }
    keys
}

/// The records of `source`; of interactions, only those of `months`' documents (a month's document
/// holds the interactions that happened in it).
fn records(
    model: &ReadModel,
    source: Source,
    months: (Bound<Month>, Bound<Month>),
) -> Box<dyn Iterator<Item = Record<'_>> + '_> {
    match source {
        Source::Deals => Box::new(model.deals.values().map(Record::Deal)),
        // Archived and merged records are not counted, as no list shows them.
        Source::Parties => {
            Box::new(model.parties.values().filter(|p| !p.archived).map(Record::Party))
        }
        // Machine answers (out-of-office) are not contact.
        Source::Interactions => Box::new(
            model
                .interactions
                .range(months)
                .flat_map(|(_, month)| month.values())
                .filter(|i| !i.automatic)
                .map(Record::Interaction),
        ),
        Source::Tickets => Box::new(model.tickets.values().map(Record::Ticket)),
        Source::Tasks => Box::new(model.tasks.values().map(Record::Task)),
    }
}

impl Condition {
    /// The key it keeps (a period's first millisecond is written as a number).
    fn wanted(&self) -> Key {
        match self.value.as_str() {
            "" => Key::Missing,
            value => match (self.dimension, value.parse()) {
                (Dimension::Month | Dimension::Week, Ok(at)) => Key::Period(Timestamp(at)),
                (Dimension::Tag, _) => Key::Value(crate::search::fold(value)),
                _ => Key::Value(value.to_owned()),
            },
        }
    }
}

impl ReportDef {
    /// `measure` of the records of `source` created in the last `months` (0: ever), by `group`, as
    /// bars: the question the builder starts from.
    pub fn grouped(source: Source, months: u8, group: Dimension, measure: Measure) -> ReportDef {
        ReportDef {
            source,
            date: DateField::Created,
            months,
            group: Some(group),
            split: None,
            measure,
            conditions: Vec::new(),
            currency: None,
            chart: Chart::Bar,
        }
    }

    /// The report under its dashboard's filters: a period of `months` when it has a period (one
    /// over all time stays so), and only `owner`'s records when one is chosen (in place of an owner
    /// the report names; its other conditions stay).
    pub fn under(mut self, months: u8, owner: Option<MemberId>) -> ReportDef {
        if self.months > 0 && months > 0 {
            self.months = months;
        }
        if let Some(owner) = owner
            && self.source.dimensions().contains(&Dimension::Owner)
        {
            self.conditions.retain(|c| c.dimension != Dimension::Owner);
            self.conditions
                .push(Condition { dimension: Dimension::Owner, value: owner.to_string() });
        }
        self
    }
}

impl DateField {
    /// Whether it is mostly ahead of today (when a deal is expected to close, when a task is due):
    /// the months of a period then start with this one rather than end with it.
    pub fn looks_ahead(self) -> bool {
        matches!(self, DateField::ExpectedClose | DateField::Due)
    }
}

impl ReportDef {
    /// The months the report counts at `now`, when it has a period: the `months` ending with this
    /// one, or starting with it for a date that looks ahead.
    pub fn period(&self, now: Timestamp) -> Option<Months> {
        (self.months > 0).then(|| match self.date.looks_ahead() {
            true => Months { first: Month::of(now), count: self.months },
            false => Months::ending_at(now, self.months),
        })
    }

    /// From the first millisecond counted to the first one after: the period, from the Monday of its
    /// first week when grouped by week (so that no week's bar counts only part of it).
    fn window(&self, now: Timestamp) -> Option<(Timestamp, Timestamp)> {
        let months = self.period(now)?;
        let from = match self.group {
            Some(Dimension::Week) => week_of(months.from()),
            _ => months.from(),
        };
        Some((from, months.to()))
    }
}

/// What a report's segments are evaluated over besides the rows ([`run_reading`]).
#[derive(Debug, Clone, Default)]
pub struct Reading {
    pub facts: crate::segments::AudienceFacts,
    /// Everyone's lead scores, when computed (without them score conditions admit nobody).
    pub scores: Option<std::sync::Arc<HashMap<PartyId, i64>>>,
    /// Everyone's health; computed here when a segment reads it and none is given.
    pub health: Option<std::sync::Arc<crate::relationship::Everyone>>,
}

/// The answer to `def` at `now`, the segments it reads (if any) evaluated over the rows and `read`,
/// as the marketing screens evaluate them.
pub fn run_reading(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    def: &ReportDef,
    now: Timestamp,
    read: Reading,
) -> Answer {
    let named = def.segments_read();
    if named == SegmentsRead::None {
        return run(model, settings, def, now);
    }
    let mut audience = Audience::new(model, settings, read.facts.opted_out, now);
    if let Some(campaigns) = read.facts.campaigns {
        audience = audience.with_campaigns(campaigns);
    }
    if let Some(scores) = read.scores {
        audience = audience.with_scores(scores);
    }
    let health = read.health.or_else(|| {
        let reads = named.in_model(model).any(|s| !s.list && s.rule.reads_health());
        reads.then(|| std::sync::Arc::new(crate::relationship::everyone(model, settings, now)))
    });
    if let Some(health) = health {
        audience = audience.with_health(health);
    }
    run_with(model, settings, def, now, &SegmentsOf::of(&audience, model, &named))
}

/// The segments a report reads: those its conditions name, or every one when it groups or splits
/// by segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentsRead {
    None,
    These(BTreeSet<SegmentId>),
    All,
}

impl ReportDef {
    /// Every segment when it groups or splits by segment, or keeps the records in none (a
    /// condition of no value: in none of them all); else those its conditions name.
    pub fn segments_read(&self) -> SegmentsRead {
        if self.group == Some(Dimension::Segment) || self.split == Some(Dimension::Segment) {
            return SegmentsRead::All;
        }
        let mut named = BTreeSet::new();
        for condition in self.conditions.iter().filter(|c| c.dimension == Dimension::Segment) {
            match condition.value.parse::<SegmentId>() {
                Ok(id) => named.insert(id),
                Err(_) => return SegmentsRead::All,
            };
        }
        match named.is_empty() {
            true => SegmentsRead::None,
            false => SegmentsRead::These(named),
        }
    }
}

impl SegmentsRead {
    /// The workspace's segments it reads; archived ones are no segments.
    pub fn in_model<'m>(&'m self, model: &'m ReadModel) -> impl Iterator<Item = &'m SegmentRow> {
        model.segments.values().filter(|s| !s.archived).filter(move |s| match self {
            SegmentsRead::None => false,
            SegmentsRead::These(named) => named.contains(&s.id),
            SegmentsRead::All => true,
        })
    }

    /// Whether one of them selects on lead scores.
    pub fn read_scores(&self, model: &ReadModel) -> bool {
        self.in_model(model).any(|s| !s.list && s.rule.reads_scores())
    }
}

/// The segments each party is in, of those a report reads: a record's [`Dimension::Segment`]
/// values are the segments any of its parties is in. Segments are evaluated over facts beyond the
/// rows (scores, health, the relay's opens and clicks), so the caller evaluates them
/// ([`SegmentsOf::of`]) with the facts it has, as the marketing screens do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SegmentsOf(HashMap<PartyId, Vec<String>>);

impl SegmentsOf {
    /// The segments `read` names (archived ones are no segments), as `audience` admits their
    /// members; a record merged into another is in the segments of the one it was merged into.
    pub fn of(audience: &Audience<'_>, model: &ReadModel, read: &SegmentsRead) -> SegmentsOf {
        let mut of: HashMap<PartyId, Vec<String>> = HashMap::new();
        for segment in read.in_model(model) {
            let id = segment.id.to_string();
            for member in audience.of_segment(segment) {
                of.entry(member.id).or_default().push(id.clone());
            }
        }
        let merged: Vec<(PartyId, Vec<String>)> = (model.parties.values())
            .filter(|row| row.merged_into.is_some())
            .filter_map(|row| {
                let survivor = crate::segments::survivor(model, row.id);
                Some((row.id, of.get(&survivor)?.clone()))
            })
            .collect();
        of.extend(merged);
        SegmentsOf(of)
    }

    /// The segments (ids) `party` is in.
    fn of_party(&self, party: PartyId) -> impl Iterator<Item = &str> {
        self.0.get(&party).into_iter().flatten().map(String::as_str)
    }
}

/// How the saved reports on a member's own analytics page are kept: in their private document
/// (`crate::employee::write_private_note`, which only their devices receive), one note per report
/// under this prefix and the report's key, "1" while it is on the page and empty once taken off. A
/// note of its own each, so that two devices pinning different reports at once keep both, and a
/// device writes a fixed value rather than an edit of what it last read.
pub const MY_DASHBOARD: &str = "dashboard:";

/// The note that says whether saved report `report` is on its member's own analytics page.
pub fn my_dashboard_note(report: &str) -> String {
    format!("{MY_DASHBOARD}{report}")
}

/// What that note says: on the page, or not.
pub fn my_dashboard_text(pinned: bool) -> &'static str {
    if pinned { "1" } else { "" }
}

/// The keys of the saved reports on the member's own analytics page, from the `notes` of their
/// private document (by note, as `crate::read_model::ReadModel::private_notes` holds them).
pub fn my_dashboard<'a>(
    notes: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> BTreeSet<&'a str> {
    my_places(notes).into_keys().collect()
}

/// The same, each with its place on the page (`crate::arrange`): the note's text once the member
/// moved one, "1" until then.
pub fn my_places<'a>(
    notes: impl IntoIterator<Item = (&'a String, &'a String)>,
) -> BTreeMap<&'a str, &'a str> {
    notes
        .into_iter()
        .filter(|(_, text)| !text.trim().is_empty())
        .filter_map(|(note, text)| Some((note.strip_prefix(MY_DASHBOARD)?, text.as_str())))
        .filter(|(report, _)| !report.is_empty())
        .collect()
}

/// The currency chosen of those `deals` are in: the most used (the first in the alphabet on a tie),
/// or `fallback` when there are none.
pub fn most_used<'a>(deals: impl Iterator<Item = &'a str>, fallback: &str) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for currency in deals {
        *counts.entry(currency).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map_or(fallback, |(currency, _)| currency)
        .to_owned()
}

/// The answer to `def` at `now`, for a report that reads no segment (one that does counts nobody in
/// any: see [`run_with`]).
pub fn run(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    def: &ReportDef,
    now: Timestamp,
) -> Answer {
    run_with(model, settings, def, now, &SegmentsOf::default())
}

/// The answer to `def` at `now`, the records' segments as `segments` has them (those
/// [`ReportDef::segments_read`] names).
pub fn run_with(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    def: &ReportDef,
    now: Timestamp,
    segments: &SegmentsOf,
) -> Answer {
    let mut answer = answer_in(model, settings, def, def.window(now), segments);
    // A number is read against the one before it. Not for dates that look ahead: the months
    // before this one are not "to date" for what is still to come.
    if def.group.is_none()
        && !def.date.looks_ahead()
        && let Some(months) = def.period(now)
    {
        let same_currency = ReportDef { currency: answer.currency.clone(), ..def.clone() };
        let before = answer_in(
            model,
            settings,
            &same_currency,
            Some(months.previous_to_date(now)),
            segments,
        );
        answer.before = before.rows.into_iter().next();
    }
    answer
}

/// The answer to `def` over `window` (from the first millisecond counted to the first one after;
/// all time when `None`).
fn answer_in(
    model: &ReadModel,
    settings: &WorkspaceSettings,
    def: &ReportDef,
    window: Option<(Timestamp, Timestamp)>,
    segments: &SegmentsOf,
) -> Answer {
    let number = def.measure.number();
    let wanted: Vec<(Dimension, Key)> =
        def.conditions.iter().map(|c| (c.dimension, c.wanted())).collect();
    // Interactions are kept by month: only the months of the window are read.
    let months = match (window, def.date) {
        (Some((from, to)), DateField::Created) => {
            (Bound::Included(Month::of(from)), Bound::Included(Month::of(Timestamp(to.0 - 1))))
        }
        _ => (Bound::Unbounded, Bound::Unbounded),
    };
    let counted = records(model, def.source, months).filter_map(|record| {
        if let Some((from, to)) = window
            && !record.date(def.date).is_some_and(|at| (from..to).contains(&at))
        {
            return None;
        }
        let holds = |(dimension, wanted): &(Dimension, Key)| {
            record.keys(*dimension, def.date, segments).contains(wanted)
        };
        if !wanted.iter().all(holds) {
            return None;
        }
        let value = match number {
            None => 1.0,
            // Not measurable: not behind any bar either.
            Some(number) => record.number(number)?,
        };
        Some((record, value))
    });
    let counted: Vec<(Record<'_>, f64)> = counted.collect();
    // Amounts of one currency only: the one asked, else the one most of the deals counted are in.
    let currency = (number == Some(Number::Amount)).then(|| {
        let deals = counted.iter().filter_map(|(record, _)| match record {
            Record::Deal(deal) => Some(deal.currency.as_str()),
            _ => None,
        });
        let fallback = settings.currencies.first().map_or("EUR", String::as_str);
        def.currency.clone().filter(|c| !c.is_empty()).unwrap_or_else(|| most_used(deals, fallback))
    });
    // Each group's records and their numbers; split, each record's number and values of the split.
    let mut groups: BTreeMap<Key, Vec<(Item, f64)>> = BTreeMap::new();
    let split_by = def.split.filter(|split| {
        def.group.is_some_and(|group| group != *split) && def.source.dimensions().contains(split)
    });
    let mut by_item: BTreeMap<Item, (f64, Vec<Key>)> = BTreeMap::new();
    for (record, value) in counted {
        if let (Some(currency), Record::Deal(deal)) = (&currency, record)
            && deal.currency != *currency
        {
            continue;
        }
        if let Some(split) = split_by {
            by_item.insert(record.item(), (value, record.keys(split, def.date, segments)));
        }
        let keys = match def.group {
            None => vec![Key::All],
            Some(dimension) => record.keys(dimension, def.date, segments),
        };
        for key in keys {
            groups.entry(key).or_default().push((record.item(), value));
        }
    }
    if def.group.is_none() {
        // One number, even of nothing.
        groups.entry(Key::All).or_default();
    }
    let by_period = matches!(def.group, Some(Dimension::Month | Dimension::Week));
    if by_period {
        fill_periods(&mut groups, def.group, window);
    }
    let mut measured: Vec<Group> =
        groups.into_iter().map(|(key, records)| Group::new(def.measure, key, records)).collect();
    if !by_period {
        largest_first(&mut measured);
    }
    let mut rows: Vec<Row> =
        cap(def.measure, measured, by_period, MAX_BARS).into_iter().map(Group::row).collect();
    let series = match split_by {
        Some(dimension) => split_rows(def.measure, dimension, &by_item, &mut rows),
        None => Vec::new(),
    };
    Answer { rows, currency, series, before: None }
}

/// Splits each of `rows` into parts by the split's values of its records (`by_item`: each record's
/// number and values), the same series in every row; returns the series.
fn split_rows(
    measure: Measure,
    dimension: Dimension,
    by_item: &BTreeMap<Item, (f64, Vec<Key>)>,
    rows: &mut [Row],
) -> Vec<Key> {
    // The series: each value measured over every record the bars count.
    let mut overall: BTreeMap<&Key, Vec<(Item, f64)>> = BTreeMap::new();
    for item in rows.iter().flat_map(|row| &row.records) {
        if let Some((value, keys)) = by_item.get(item) {
            for key in keys {
                overall.entry(key).or_default().push((*item, *value));
            }
        }
    }
    let by_period = matches!(dimension, Dimension::Month | Dimension::Week);
    let mut measured: Vec<Group> = overall
        .into_iter()
        .map(|(key, records)| Group::new(measure, key.clone(), records))
        .collect();
    if !by_period {
        largest_first(&mut measured);
    }
    let series: Vec<Key> =
        cap(measure, measured, by_period, MAX_SERIES).into_iter().map(|g| g.key).collect();
    let others = series.iter().position(|key| *key == Key::Others);
    for row in rows {
        let mut parts: Vec<Vec<(Item, f64)>> = vec![Vec::new(); series.len()];
        for item in &row.records {
            let Some((value, keys)) = by_item.get(item) else { continue };
            for key in keys {
                if let Some(at) = series.iter().position(|s| s == key).or(others) {
                    parts[at].push((*item, *value));
                }
            }
        }
        row.parts = parts
            .into_iter()
            .map(|records| {
                let group = Group::new(measure, Key::All, records);
                Part { value: group.value, records: group.row().records }
            })
            .collect();
    }
    series
}

/// The largest first; ties and empty averages in key order, so every device agrees.
fn largest_first(groups: &mut [Group]) {
    groups.sort_by(|a, b| {
        let value = |g: &Group| g.value.unwrap_or(f64::NEG_INFINITY);
        value(b).total_cmp(&value(a)).then_with(|| a.key.cmp(&b.key))
    });
}

/// A group being measured: its records with their numbers.
struct Group {
    key: Key,
    records: Vec<(Item, f64)>,
    value: Option<f64>,
}

impl Group {
    fn new(measure: Measure, key: Key, mut records: Vec<(Item, f64)>) -> Group {
        records.sort_by_key(|a| a.0);
        // A record counts once in a group, however many of its values name it.
        records.dedup_by(|a, b| a.0 == b.0);
        let value = measure.of(records.iter().map(|(_, v)| *v).collect());
        Group { key, records, value }
    }

    fn row(self) -> Row {
        Row {
            key: self.key,
            value: self.value,
            records: self.records.into_iter().map(|(item, _)| item).collect(),
            parts: Vec::new(),
        }
    }
}

/// Adds the months or weeks with nothing in them, to the window's end (or the last record's) from its
/// start (or the first record's) — at most [`MAX_BARS`] of them back, as earlier ones are drawn as
/// one bar anyway — so a chart over time has no hidden gaps.
fn fill_periods(
    groups: &mut BTreeMap<Key, Vec<(Item, f64)>>,
    group: Option<Dimension>,
    window: Option<(Timestamp, Timestamp)>,
) {
    let starts =
        || groups.keys().filter_map(|k| if let Key::Period(at) = k { Some(*at) } else { None });
    let (first, last) = match window {
        Some((from, to)) => (from, Timestamp(to.0 - 1)),
        None => match (starts().min(), starts().max()) {
            (Some(first), Some(last)) => (first, last),
            _ => return,
        },
    };
    // Dates are within ±LATEST (`Record::date`), so none of this overflows.
    let (mut at, first) = match group {
        Some(Dimension::Week) => {
            let last = week_of(last);
            (last, week_of(first).max(Timestamp(last.0 - MAX_BARS as i64 * 7 * DAY_MS)))
        }
        _ => {
            let last = Month::of(last);
            (last.start(), Month::of(first).start().max(last.plus(-(MAX_BARS as i32)).start()))
        }
    };
    while at >= first {
        groups.entry(Key::Period(at)).or_default();
        at = match group {
            Some(Dimension::Week) => Timestamp(at.0 - 7 * DAY_MS),
            _ => Month::of(at).plus(-1).start(),
        };
    }
}

/// At most `most` groups: past them, the latest periods or the largest groups are kept and the rest
/// measured together as [`Key::Others`] (first among periods, last among the others).
fn cap(measure: Measure, mut groups: Vec<Group>, by_period: bool, most: usize) -> Vec<Group> {
    if groups.len() <= most {
        return groups;
    }
    let rest: Vec<Group> = if by_period {
        // Periods are in time order with the records of no date last: keep the latest.
        let missing = groups.iter().position(|g| g.key == Key::Missing).map(|at| groups.remove(at));
        let keep = most - 1 - usize::from(missing.is_some());
        let rest = groups.drain(..groups.len() - keep).collect();
        groups.extend(missing);
        rest
    } else {
        groups.split_off(most - 1)
    };
    let others =
        Group::new(measure, Key::Others, rest.into_iter().flat_map(|g| g.records).collect());
    if by_period {
        groups.insert(0, others);
    } else {
        groups.push(others);
    }
    groups
}

#[cfg(test)]
mod tests;
