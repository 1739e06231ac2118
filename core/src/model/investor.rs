//! Raising money and keeping investors informed: fundraising rounds, whose investors are the deals
//! of the round's pipeline, and the periodic updates sent to them.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};

use super::{Attachment, Money, NameSet};
use crate::ids::{MemberId, PipelineId, RoundId, Timestamp};

/// A fundraising round ("Seed", "Series A"). Its investors are the deals that name it
/// (`Deal::round`), each with the amount the investor soft-circled and then committed; what the round
/// has raised is summed from them on every device (`crate::investor::RoundSummary`), never stored.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct Round {
    pub name: String,
    pub instrument: Instrument,
    /// How much is raised, in the currency every investor's amount is in.
    pub target: Money,
    /// Minor units of the target's currency; `None` when not agreed (or not priced, for a SAFE).
    #[autosurgeon(missing = "Default::default")]
    pub pre_money: Option<i64>,
    /// A SAFE's or a note's valuation cap, in minor units.
    #[autosurgeon(missing = "Default::default")]
    pub valuation_cap: Option<i64>,
    /// A SAFE's or a note's discount, in percent.
    #[autosurgeon(missing = "Default::default")]
    pub discount: Option<u8>,
    /// The day the round is meant to close, `YYYY-MM-DD`; empty while not set.
    #[autosurgeon(missing = "Default::default")]
    pub close_date: String,
    /// The fundraising pipeline its investors move through.
    pub pipeline: PipelineId,
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<MemberId>,
    #[autosurgeon(missing = "Default::default")]
    pub notes: Text,
    /// The data room: the deck, the model, the term sheet — by the hex SHA-256 of their bytes.
    #[autosurgeon(missing = "Default::default")]
    pub files: BTreeMap<String, Attachment>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// What investors get for their money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub enum Instrument {
    /// Priced shares.
    Equity,
    /// A simple agreement for future equity.
    Safe,
    ConvertibleNote,
    Other,
}

impl Instrument {
    pub const ALL: [Instrument; 4] =
        [Instrument::Equity, Instrument::Safe, Instrument::ConvertibleNote, Instrument::Other];

    pub fn code(self) -> &'static str {
        match self {
            Instrument::Equity => "equity",
            Instrument::Safe => "safe",
            Instrument::ConvertibleNote => "note",
            Instrument::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Instrument> {
        Instrument::ALL.into_iter().find(|instrument| instrument.code() == code)
    }

    /// Whether it converts later at a cap and a discount rather than being priced now.
    pub fn converts(self) -> bool {
        matches!(self, Instrument::Safe | Instrument::ConvertibleNote)
    }
}

/// A periodic report to investors: figures, highlights and asks, mailed through the relay to the
/// chosen recipients, each with a read-only link the relay serves without an account.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct InvestorUpdate {
    /// "November 2026": the mail's subject and the page's title.
    pub title: String,
    /// Metric id (as text) → its figure this period.
    #[autosurgeon(missing = "Default::default")]
    pub metrics: BTreeMap<String, Metric>,
    /// Markdown.
    #[autosurgeon(missing = "Default::default")]
    pub highlights: Text,
    /// What investors could help with; Markdown.
    #[autosurgeon(missing = "Default::default")]
    pub asks: Text,
    /// Who it goes to.
    pub audience: Audience,
    /// Once sent: the parties it was sent to (their ids as text), fixed then so that the audience
    /// changing later neither mails nor unlinks anybody.
    #[autosurgeon(missing = "Default::default")]
    pub recipients: NameSet,
    #[autosurgeon(missing = "Default::default")]
    pub sent_at: Option<Timestamp>,
    #[autosurgeon(missing = "Default::default")]
    pub sent_by: Option<MemberId>,
    /// Recipients whose link no longer opens (party ids as text).
    #[autosurgeon(missing = "Default::default")]
    pub revoked: NameSet,
    /// Every link withdrawn at once.
    #[autosurgeon(missing = "Default::default")]
    pub withdrawn: bool,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

/// One figure of an update ("Monthly revenue: €84k, was €71k").
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Metric {
    pub name: String,
    /// As written: "€84k", "1,240", "11 %".
    pub value: String,
    /// Last period's, carried over from the previous update.
    #[autosurgeon(missing = "Default::default")]
    pub previous: String,
    #[autosurgeon(missing = "Default::default")]
    pub note: String,
    /// Where it is listed.
    #[autosurgeon(missing = "Default::default")]
    pub position: u32,
}

/// The recipients an update goes to, resolved when it is sent (`crate::investor::audience`).
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub enum Audience {
    /// Every person and organisation with the investor role.
    Investors,
    /// The investors of a round who have not passed.
    Round(RoundId),
    /// Everyone with a tag ("board", "angels").
    Tag(String),
}

/// An investor-relations event — an earnings call, a roadshow, an investor day — with whom it was
/// for and who came. Follow-ups are tasks, one per attendee, whose ids derive from the event and the
/// party (`crate::investor::follow_up_task`), so two devices asking for them make one each.
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct InvestorEvent {
    pub title: String,
    pub kind: EventKind,
    /// `YYYY-MM-DD`; empty while not set.
    #[autosurgeon(missing = "Default::default")]
    pub day: String,
    #[autosurgeon(missing = "Default::default")]
    pub location: String,
    /// Party id (as text) → whether they were invited, came or did not.
    #[autosurgeon(missing = "Default::default")]
    pub attendees: BTreeMap<String, Attendance>,
    #[autosurgeon(missing = "Default::default")]
    pub notes: Text,
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<MemberId>,
    pub created_at: Timestamp,
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub enum EventKind {
    EarningsCall,
    Roadshow,
    InvestorDay,
    Conference,
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::EarningsCall,
        EventKind::Roadshow,
        EventKind::InvestorDay,
        EventKind::Conference,
        EventKind::Other,
    ];

    pub fn code(self) -> &'static str {
        match self {
            EventKind::EarningsCall => "earnings-call",
            EventKind::Roadshow => "roadshow",
            EventKind::InvestorDay => "investor-day",
            EventKind::Conference => "conference",
            EventKind::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|kind| kind.code() == code)
    }
}

/// Whether someone invited to an event came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub enum Attendance {
    Invited,
    Attended,
    Absent,
}

impl Attendance {
    pub const ALL: [Attendance; 3] =
        [Attendance::Invited, Attendance::Attended, Attendance::Absent];

    pub fn code(self) -> &'static str {
        match self {
            Attendance::Invited => "invited",
            Attendance::Attended => "attended",
            Attendance::Absent => "absent",
        }
    }

    pub fn from_code(code: &str) -> Option<Attendance> {
        Attendance::ALL.into_iter().find(|a| a.code() == code)
    }
}
