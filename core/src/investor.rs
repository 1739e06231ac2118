//! Investors: what a fundraising round has raised, and the periodic updates sent to investors.
//!
//! **Rounds.** A round's investors are the deals naming it, each with the amount soft-circled and
//! the amount committed; the round's totals are summed from them on every device ([`RoundSummary`]),
//! so two people entering commitments at once both count and nothing is left to go stale.
//!
//! **Updates.** An update is written in the workspace like any record, then sent: its audience is
//! resolved to parties once ([`audience`]), and each gets a mail through the relay's outbox, named by
//! the update and the party ([`update_mail_id`]) so that sending twice, or from two devices, mails
//! each investor once. The mail carries the whole update and a read-only link the relay writes and
//! signs where [`crate::outbox::UPDATE_LINK`] marks it. The relay cannot read the workspace's
//! documents, so the page behind the link is a [`UpdatePublication`] a writing device hands it, kept
//! current by [`plan`] (as the help pages' articles are): which recipients may open it is part of
//! the publication, so revoking one link — or withdrawing the update — is publishing again. The relay
//! counts each recipient's opens and keeps their reaction; devices show them on the update and on
//! each investor's timeline.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{
    DealId, EventId, MemberId, PartyId, PipelineId, RoundId, TaskId, Timestamp, UpdateId,
    WorkspaceId,
};
use crate::model::{
    Attendance, Audience, Instrument, InvestorEvent, InvestorUpdate, Metric, Round, names,
};
use crate::outbox::{Mail, OutboxId, Recipient, UPDATE_LINK, UpdateLink};
use crate::read_model::{DealRow, DealStatusRow, PartyRow, RoleRow};

/// A round as lists and summaries use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundRow {
    pub id: RoundId,
    pub name: String,
    /// [`Instrument::code`].
    pub instrument: String,
    pub target_minor: i64,
    pub currency: String,
    pub pre_money: Option<i64>,
    pub valuation_cap: Option<i64>,
    pub discount: Option<u8>,
    /// `YYYY-MM-DD`, empty when not set.
    pub close_date: String,
    pub pipeline: PipelineId,
    pub owner: Option<MemberId>,
    /// How many files the data room holds.
    pub files: usize,
    pub created_at: Timestamp,
    pub archived: bool,
}

impl RoundRow {
    pub fn of(id: RoundId, round: &Round) -> RoundRow {
        RoundRow {
            id,
            name: round.name.clone(),
            instrument: round.instrument.code().to_owned(),
            target_minor: round.target.minor,
            currency: round.target.currency.clone(),
            pre_money: round.pre_money,
            valuation_cap: round.valuation_cap,
            discount: round.discount,
            close_date: round.close_date.clone(),
            pipeline: round.pipeline,
            owner: round.owner,
            files: round.files.len(),
            created_at: round.created_at,
            archived: round.archived,
        }
    }

    pub fn instrument(&self) -> Instrument {
        Instrument::from_code(&self.instrument).unwrap_or(Instrument::Other)
    }
}

/// One investor of a round: the deal and what it says of the money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundInvestor {
    pub deal: DealId,
    pub party: Option<PartyId>,
    pub title: String,
    pub status: DealStatusRow,
    pub soft_circled: i64,
    pub committed: i64,
    /// Its deal is in another currency than the round's target: shown, not summed.
    pub other_currency: bool,
}

/// What a round has raised, summed from its investors' deals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundSummary {
    pub target: i64,
    pub currency: String,
    /// Committed by investors who have not passed.
    pub committed: i64,
    /// Soft-circled beyond what the same investors committed: what may still come.
    pub soft_circled: i64,
    /// Whole percent of the target committed (0 for a target of 0).
    pub percent_committed: u32,
    /// Investors who have not passed, most committed first (then most soft-circled, then by name).
    pub investors: Vec<RoundInvestor>,
    /// Investors who passed (lost deals).
    pub passed: Vec<RoundInvestor>,
}

impl RoundSummary {
    /// Sums the deals of `deals` that are in `round`. A won deal with no committed amount entered
    /// counts its amount as committed: closing the deal is how most people say "they signed". A deal
    /// in another currency than the target's is listed but not summed (its amounts would be wrong).
    pub fn of<'a>(round: &RoundRow, deals: impl IntoIterator<Item = &'a DealRow>) -> RoundSummary {
        let (mut investors, mut passed) = (Vec::new(), Vec::new());
        for deal in deals.into_iter().filter(|deal| deal.round == Some(round.id)) {
            let committed = deal.committed.unwrap_or(match deal.status {
                DealStatusRow::Won => deal.amount_minor,
                _ => 0,
            });
            let investor = RoundInvestor {
                deal: deal.id,
                party: deal.parties.first().copied(),
                title: deal.title.clone(),
                status: deal.status,
                soft_circled: deal.soft_circled.unwrap_or(0),
                committed,
                other_currency: deal.currency != round.currency,
            };
            match deal.status {
                DealStatusRow::Lost => passed.push(investor),
                _ => investors.push(investor),
            }
        }
        investors.sort_by(|a, b| {
            (b.committed, b.soft_circled, &a.title, a.deal).cmp(&(
                a.committed,
                a.soft_circled,
                &b.title,
                b.deal,
            ))
        });
        passed.sort_by(|a, b| (&a.title, a.deal).cmp(&(&b.title, b.deal)));
        // Amounts in another currency are not added to the target's: the deal's page says which.
        let counted = || investors.iter().filter(|i| !i.other_currency);
        let committed: i64 = counted().map(|i| i.committed).sum();
        let soft_circled = counted().map(|i| (i.soft_circled - i.committed).max(0)).sum();
        let target = round.target_minor;
        let percent_committed = if target > 0 {
            u32::try_from((i128::from(committed.max(0)) * 100 / i128::from(target)).min(10_000))
                .unwrap_or(0)
        } else {
            0
        };
        RoundSummary {
            target,
            currency: round.currency.clone(),
            committed,
            soft_circled,
            percent_committed,
            investors,
            passed,
        }
    }
}

/// An update as lists, timelines and [`plan`] use it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateRow {
    pub id: UpdateId,
    pub title: String,
    pub audience: AudienceRow,
    /// Whom it was sent to, by id.
    pub recipients: Vec<PartyId>,
    pub revoked: Vec<PartyId>,
    pub sent_at: Option<Timestamp>,
    pub sent_by: Option<MemberId>,
    pub withdrawn: bool,
    pub created_at: Timestamp,
    pub archived: bool,
    /// Names what the relay should publish of it: equal revisions, equal pages.
    pub revision: String,
}

/// A serde mirror of [`Audience`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AudienceRow {
    Investors,
    Round(RoundId),
    Tag(String),
}

impl UpdateRow {
    pub fn of(id: UpdateId, update: &InvestorUpdate) -> UpdateRow {
        let parties = |set: &crate::model::NameSet| -> Vec<PartyId> {
            names(set).filter_map(|id| id.parse().ok()).collect()
        };
        UpdateRow {
            id,
            title: update.title.clone(),
            audience: match &update.audience {
                Audience::Investors => AudienceRow::Investors,
                Audience::Round(round) => AudienceRow::Round(*round),
                Audience::Tag(tag) => AudienceRow::Tag(tag.clone()),
            },
            recipients: parties(&update.recipients),
            revoked: parties(&update.revoked),
            sent_at: update.sent_at,
            sent_by: update.sent_by,
            withdrawn: update.withdrawn,
            created_at: update.created_at,
            archived: update.archived,
            revision: UpdatePublication::of(update).revision(),
        }
    }

    /// Whether the relay should serve it: sent, not withdrawn or archived.
    pub fn published(&self) -> bool {
        self.sent_at.is_some() && !self.withdrawn && !self.archived
    }

    /// Whether `party`'s link opens.
    pub fn readable_by(&self, party: PartyId) -> bool {
        self.published() && self.recipients.contains(&party) && !self.revoked.contains(&party)
    }
}

/// The metrics of an update in the order they are listed, with their ids.
pub fn metrics_in_order(update: &InvestorUpdate) -> Vec<(&String, &Metric)> {
    let mut metrics: Vec<(&String, &Metric)> = update.metrics.iter().collect();
    metrics.sort_by_key(|(key, metric)| (metric.position, *key));
    metrics
}

/// A new update made from the previous one, as a template: the same metrics (same ids, so a trend
/// can follow them) with last period's values as "previous" and nothing entered yet, the same
/// audience, no highlights or asks.
pub fn next_update(
    previous: Option<&InvestorUpdate>,
    title: String,
    now: Timestamp,
) -> InvestorUpdate {
    let metrics = previous
        .map(|previous| {
            previous
                .metrics
                .iter()
                .map(|(key, metric)| {
                    let carried = Metric {
                        name: metric.name.clone(),
                        value: String::new(),
                        previous: metric.value.clone(),
                        note: String::new(),
                        position: metric.position,
                    };
                    (key.clone(), carried)
                })
                .collect()
        })
        .unwrap_or_default();
    InvestorUpdate {
        title,
        metrics,
        highlights: Default::default(),
        asks: Default::default(),
        audience: previous.map_or(Audience::Investors, |previous| previous.audience.clone()),
        recipients: Default::default(),
        sent_at: None,
        sent_by: None,
        revoked: Default::default(),
        withdrawn: false,
        created_at: now,
        archived: false,
    }
}

/// Figures an update can take from the workspace itself, rather than have typed: each worked out
/// from the rows on the device that writes the update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// People and organisations with the customer role.
    pub customers: usize,
    /// Open deals of the sales pipelines in `currency`, in minor units (deals in another currency
    /// are not added).
    pub open_pipeline: i64,
    /// Each round not archived, by creation: its name, what was committed and its target.
    pub rounds: Vec<(String, i64, i64)>,
    pub currency: String,
}

/// The workspace's own figures for an update, amounts in `currency`.
pub fn figures(
    model: &crate::read_model::ReadModel,
    settings: &crate::model::WorkspaceSettings,
    currency: &str,
) -> Figures {
    let customers = model
        .parties
        .values()
        .filter(|p| !p.archived && p.merged_into.is_none() && p.roles.contains(&RoleRow::Customer))
        .count();
    let sales = |pipeline: PipelineId| {
        settings
            .pipelines
            .get(&pipeline.to_string())
            .is_some_and(|p| p.kind == crate::model::PipelineKind::Sales)
    };
    let open_pipeline = model
        .deals
        .values()
        .filter(|d| d.status == DealStatusRow::Open && d.currency == currency && sales(d.pipeline))
        .map(|d| d.amount_minor)
        .sum();
    let mut rounds: Vec<&RoundRow> = model.rounds.values().filter(|r| !r.archived).collect();
    rounds.sort_by_key(|r| (r.created_at, r.id));
    let rounds = rounds
        .into_iter()
        .map(|round| {
            let summary = RoundSummary::of(round, model.deals.values());
            (round.name.clone(), summary.committed, summary.target)
        })
        .collect();
    Figures { customers, open_pipeline, rounds, currency: currency.to_owned() }
}

/// Someone an update goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub party: PartyId,
    pub name: String,
    /// Their record's first email; `None` when it has none (they cannot be mailed).
    pub address: Option<String>,
}

/// Whom `audience` names now, by name: parties neither archived nor merged away.
pub fn audience<'a>(
    audience: &Audience,
    parties: impl IntoIterator<Item = &'a PartyRow>,
    deals: impl IntoIterator<Item = &'a DealRow>,
) -> Vec<Reader> {
    let in_round: Vec<PartyId> = match audience {
        Audience::Round(round) => deals
            .into_iter()
            .filter(|deal| deal.round == Some(*round) && deal.status != DealStatusRow::Lost)
            .flat_map(|deal| deal.parties.first().copied())
            .collect(),
        _ => Vec::new(),
    };
    let mut readers: Vec<(&str, Reader)> = parties
        .into_iter()
        .filter(|party| !party.archived && party.merged_into.is_none())
        .filter(|party| match audience {
            Audience::Investors => party.roles.contains(&RoleRow::Investor),
            Audience::Round(_) => in_round.contains(&party.id),
            Audience::Tag(tag) => party.tags.iter().any(|t| t == tag),
        })
        .map(|party| {
            let reader = Reader {
                party: party.id,
                name: party.name.clone(),
                address: party.emails.first().cloned(),
            };
            (party.sort_name.as_str(), reader)
        })
        .collect();
    readers.sort_by(|a, b| (a.0, a.1.party).cmp(&(b.0, b.1.party)));
    readers.into_iter().map(|(_, reader)| reader).collect()
}

/// The mail of update `update` to `party`: one per update and party, however often it is sent.
pub fn update_mail_id(workspace: WorkspaceId, update: UpdateId, party: PartyId) -> OutboxId {
    OutboxId::from_cause(workspace, &["investor-update", &update.to_string(), &party.to_string()])
}

/// The words around an update's figures, in the language of whoever sends it.
#[derive(Debug, Clone, Copy)]
pub struct UpdateWords<'a> {
    /// Heading of the figures: "Key figures".
    pub metrics: &'a str,
    /// Before a previous value: "was".
    pub was: &'a str,
    pub highlights: &'a str,
    pub asks: &'a str,
    /// Before the link: "Read it online and tell us what you think:".
    pub read_online: &'a str,
}

/// Update `id` as a mail to `reader` (who has an address): the whole update as text, then the
/// relay's link. Replies go to the member who sent it.
pub fn update_mail(
    id: UpdateId,
    update: &InvestorUpdate,
    (party, to): (PartyId, Recipient),
    words: &UpdateWords<'_>,
    reply_to: Option<Recipient>,
) -> Mail {
    let mut text = String::new();
    let metrics = metrics_in_order(update);
    if !metrics.is_empty() {
        text.push_str(&format!("{}\n", words.metrics));
        for (_, metric) in metrics {
            text.push_str(&format!("• {}: {}", metric.name.trim(), metric.value.trim()));
            if !metric.previous.trim().is_empty() {
                text.push_str(&format!(" ({} {})", words.was, metric.previous.trim()));
            }
            if !metric.note.trim().is_empty() {
                text.push_str(&format!(" — {}", metric.note.trim()));
            }
            text.push('\n');
        }
        text.push('\n');
    }
    for (heading, body) in [(words.highlights, &update.highlights), (words.asks, &update.asks)] {
        if !body.as_str().trim().is_empty() {
            text.push_str(&format!("{heading}\n{}\n\n", body.as_str().trim()));
        }
    }
    text.push_str(&format!("{}\n{UPDATE_LINK}\n", words.read_online));
    Mail {
        to: vec![to],
        subject: update.title.trim().chars().take(crate::outbox::MOST_SUBJECT_CHARS).collect(),
        text,
        reply_to,
        bulk: false,
        in_reply_to: None,
        references: Vec::new(),
        rating_for: None,
        update_link: Some(Box::new(UpdateLink {
            update: id.to_string(),
            reader: party.to_string(),
        })),
        markdown: false,
        track: false,
        utm: None,
        send_at: None,
    }
}

/// The most characters of an update's title.
pub const MOST_TITLE_CHARS: usize = 200;
/// The most metrics an update shows.
pub const MOST_METRICS: usize = 40;
/// The most characters of a metric's name, value, previous value or note.
pub const MOST_METRIC_CHARS: usize = 300;
/// The most bytes of the highlights and of the asks, each.
pub const MOST_TEXT_BYTES: usize = 100_000;
/// The most recipients one update may have.
pub const MOST_READERS: usize = 10_000;
/// The most characters of a reader's comment on an update.
pub const MOST_COMMENT_CHARS: usize = 2_000;

/// One figure as the relay shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedMetric {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub previous: String,
    #[serde(default)]
    pub note: String,
}

/// What the relay is given to serve an update's read-only page: the text as written (the relay
/// renders it with [`render`], never HTML a device wrote) and who may open it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePublication {
    pub title: String,
    pub metrics: Vec<PublishedMetric>,
    pub highlights: String,
    pub asks: String,
    /// The parties (ids as text) whose links open it, sorted.
    pub readers: Vec<String>,
}

impl UpdatePublication {
    pub fn of(update: &InvestorUpdate) -> UpdatePublication {
        let metrics = metrics_in_order(update)
            .into_iter()
            .map(|(_, metric)| PublishedMetric {
                name: metric.name.trim().to_owned(),
                value: metric.value.trim().to_owned(),
                previous: metric.previous.trim().to_owned(),
                note: metric.note.trim().to_owned(),
            })
            .collect();
        let readers = names(&update.recipients)
            .filter(|party| !update.revoked.get(*party).copied().unwrap_or(false))
            .map(str::to_owned)
            .collect();
        UpdatePublication {
            title: update.title.trim().to_owned(),
            metrics,
            highlights: update.highlights.as_str().trim().to_owned(),
            asks: update.asks.as_str().trim().to_owned(),
            readers,
        }
    }

    /// A hash of everything published: equal revisions, equal pages and readers.
    pub fn revision(&self) -> String {
        let mut hasher = Sha256::new();
        let mut part = |text: &str| {
            hasher.update((text.len() as u64).to_be_bytes());
            hasher.update(text.as_bytes());
        };
        part(&self.title);
        for metric in &self.metrics {
            for text in [&metric.name, &metric.value, &metric.previous, &metric.note] {
                part(text);
            }
        }
        part(&self.highlights);
        part(&self.asks);
        for reader in &self.readers {
            part(reader);
        }
        hasher.finalize()[..16].iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// Why the relay would refuse it, if it would.
    pub fn refused(&self) -> Option<UpdateRefused> {
        let too_long = |text: &str| text.chars().count() > MOST_METRIC_CHARS;
        if self.title.trim().is_empty() {
            Some(UpdateRefused::NoTitle)
        } else if self.title.chars().count() > MOST_TITLE_CHARS {
            Some(UpdateRefused::TitleTooLong)
        } else if self.metrics.len() > MOST_METRICS
            || self.metrics.iter().any(|m| {
                too_long(&m.name)
                    || too_long(&m.value)
                    || too_long(&m.previous)
                    || too_long(&m.note)
            })
        {
            Some(UpdateRefused::TooManyMetrics)
        } else if self.highlights.len() > MOST_TEXT_BYTES || self.asks.len() > MOST_TEXT_BYTES {
            Some(UpdateRefused::TooLong)
        } else if self.readers.len() > MOST_READERS
            || self.readers.iter().any(|reader| reader.parse::<PartyId>().is_err())
        {
            Some(UpdateRefused::BadReaders)
        } else {
            None
        }
    }
}

/// Why an update cannot be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UpdateRefused {
    #[error("an update needs a title")]
    NoTitle,
    #[error("the title is longer than {MOST_TITLE_CHARS} characters")]
    TitleTooLong,
    #[error(
        "an update shows at most {MOST_METRICS} figures of at most {MOST_METRIC_CHARS} characters each"
    )]
    TooManyMetrics,
    #[error("the highlights or the asks are longer than {MOST_TEXT_BYTES} bytes")]
    TooLong,
    #[error("the readers are not all parties, or more than {MOST_READERS}")]
    BadReaders,
}

/// How a reader reacted to an update, from its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reaction {
    Like,
    Celebrate,
    /// "I can help with an ask."
    Help,
    Question,
}

impl Reaction {
    pub const ALL: [Reaction; 4] =
        [Reaction::Like, Reaction::Celebrate, Reaction::Help, Reaction::Question];

    pub fn code(self) -> &'static str {
        match self {
            Reaction::Like => "like",
            Reaction::Celebrate => "celebrate",
            Reaction::Help => "help",
            Reaction::Question => "question",
        }
    }

    pub fn from_code(code: &str) -> Option<Reaction> {
        Reaction::ALL.into_iter().find(|reaction| reaction.code() == code)
    }

    pub fn emoji(self) -> &'static str {
        match self {
            Reaction::Like => "👍",
            Reaction::Celebrate => "🎉",
            Reaction::Help => "🤝",
            Reaction::Question => "❓",
        }
    }
}

/// What one recipient did with an update's link, as the relay counted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderActivity {
    /// The party's id, as text.
    pub reader: String,
    pub opens: u32,
    /// Milliseconds since 1970.
    pub first_opened: Option<i64>,
    pub last_opened: Option<i64>,
    pub reaction: Option<Reaction>,
    #[serde(default)]
    pub comment: String,
    pub reacted_at: Option<i64>,
}

/// An update the relay keeps, as its members see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedUpdate {
    pub id: String,
    /// Empty once withdrawn.
    pub revision: String,
    pub withdrawn: bool,
    /// Readers who opened or reacted, by id.
    pub readers: Vec<ReaderActivity>,
}

/// The relay's list of a workspace's updates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedUpdates {
    pub updates: Vec<PublishedUpdate>,
}

impl PublishedUpdates {
    /// What `party` did with update `update`, if anything.
    pub fn activity(&self, update: UpdateId, party: PartyId) -> Option<&ReaderActivity> {
        let (update, party) = (update.to_string(), party.to_string());
        self.updates
            .iter()
            .find(|u| u.id == update)?
            .readers
            .iter()
            .find(|reader| reader.reader == party)
    }
}

/// What a writing device does so the relay serves each update as it is now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Sent, not withdrawn, and missing on the relay or an older revision there.
    pub publish: Vec<UpdateId>,
    /// Served by the relay but withdrawn, archived or unknown here.
    pub withdraw: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.publish.is_empty() && self.withdraw.is_empty()
    }
}

/// Compares the updates' rows with what the relay serves. Like the articles' plan, only a device in
/// step with the relay may act on it.
pub fn plan(rows: &BTreeMap<UpdateId, UpdateRow>, on_relay: &PublishedUpdates) -> Plan {
    let relay: BTreeMap<&str, &PublishedUpdate> =
        on_relay.updates.iter().map(|u| (u.id.as_str(), u)).collect();
    let publish = rows
        .values()
        .filter(|row| {
            row.published()
                && relay
                    .get(row.id.to_string().as_str())
                    .is_none_or(|on| on.withdrawn || on.revision != row.revision)
        })
        .map(|row| row.id)
        .collect();
    let withdraw = on_relay
        .updates
        .iter()
        .filter(|u| !u.withdrawn)
        .filter(|u| {
            u.id.parse::<UpdateId>()
                .ok()
                .and_then(|id| rows.get(&id))
                .is_none_or(|r| !r.published())
        })
        .map(|u| u.id.clone())
        .collect();
    Plan { publish, withdraw }
}

/// An investor-relations event as lists and timelines use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: EventId,
    pub title: String,
    /// [`crate::model::EventKind::code`].
    pub kind: String,
    /// `YYYY-MM-DD`, empty when not set.
    pub day: String,
    /// Every party invited, with [`Attendance::code`], by party id.
    pub attendees: Vec<(PartyId, String)>,
    pub owner: Option<MemberId>,
    pub created_at: Timestamp,
    pub archived: bool,
}

impl EventRow {
    pub fn of(id: EventId, event: &InvestorEvent) -> EventRow {
        let mut attendees: Vec<(PartyId, String)> = event
            .attendees
            .iter()
            .filter_map(|(party, attendance)| {
                Some((party.parse().ok()?, attendance.code().to_owned()))
            })
            .collect();
        attendees.sort();
        EventRow {
            id,
            title: event.title.clone(),
            kind: event.kind.code().to_owned(),
            day: event.day.clone(),
            attendees,
            owner: event.owner,
            created_at: event.created_at,
            archived: event.archived,
        }
    }

    /// When it is on a timeline: its day (midnight UTC), or when it was written down.
    pub fn at(&self) -> Timestamp {
        crate::contract::parse_day(&self.day).map_or(self.created_at, crate::contract::utc_midnight)
    }

    /// Whether `party` came.
    pub fn attended(&self, party: PartyId) -> bool {
        self.attendees.iter().any(|(p, a)| *p == party && a == Attendance::Attended.code())
    }
}

/// The follow-up task with `party` after event `event`: the same id on every device, so asking for
/// the follow-ups twice, or on two devices, makes one task each.
pub fn follow_up_task(workspace: WorkspaceId, event: EventId, party: PartyId) -> TaskId {
    TaskId::from_bytes(crate::outbox::derived_uuid(
        workspace,
        &["follow-up", &event.to_string(), &party.to_string()],
    ))
}

/// Those who came to `event` and have no follow-up task yet (`tasks`: the tasks' ids this device
/// holds), for "Plan follow-ups".
pub fn follow_ups_missing(
    workspace: WorkspaceId,
    event: &EventRow,
    has_task: impl Fn(TaskId) -> bool,
) -> Vec<(PartyId, TaskId)> {
    event
        .attendees
        .iter()
        .filter(|(_, attendance)| attendance == Attendance::Attended.code())
        .map(|(party, _)| (*party, follow_up_task(workspace, event.id, *party)))
        .filter(|(_, task)| !has_task(*task))
        .collect()
}

/// The words of an update's page, in the workspace's language.
#[derive(Debug, Clone, Copy)]
pub struct PageWords<'a> {
    pub metrics: &'a str,
    pub was: &'a str,
    pub highlights: &'a str,
    pub asks: &'a str,
}

/// The update's page body as HTML that is safe to serve, under a byline naming who it is `from`:
/// every text escaped, the highlights and asks rendered from Markdown by
/// [`crate::knowledge::render`] (raw HTML shown as text, unsafe links without their target).
pub fn render(publication: &UpdatePublication, from: &str, words: &PageWords<'_>) -> String {
    let mut html = format!("<h1>{}</h1>", escape(&publication.title));
    if !from.is_empty() {
        html.push_str(&format!("<p class=from>{}</p>", escape(from)));
    }
    if !publication.metrics.is_empty() {
        html.push_str(&format!("<h2>{}</h2><table class=metrics>", escape(words.metrics)));
        for metric in &publication.metrics {
            html.push_str(&format!(
                "<tr><th scope=row>{}</th><td>{}{}</td></tr>",
                escape(&metric.name),
                escape(&metric.value),
                detail(metric, words),
            ));
        }
        html.push_str("</table>");
    }
    for (heading, body) in
        [(words.highlights, &publication.highlights), (words.asks, &publication.asks)]
    {
        if !body.is_empty() {
            html.push_str(&format!(
                "<h2>{}</h2>{}",
                escape(heading),
                crate::knowledge::render(body)
            ));
        }
    }
    html
}

/// Last period's value and the note, under the value (two columns read on a phone too).
fn detail(metric: &PublishedMetric, words: &PageWords<'_>) -> String {
    let mut parts = Vec::new();
    if !metric.previous.is_empty() {
        parts.push(format!("{} {}", escape(words.was), escape(&metric.previous)));
    }
    if !metric.note.is_empty() {
        parts.push(escape(&metric.note));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("<br><small>{}</small>", parts.join(" · "))
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::StageId;
    use crate::model::Money;

    fn round() -> RoundRow {
        let round = Round {
            name: "Seed".into(),
            instrument: Instrument::Safe,
            target: Money { minor: 100_000_000, currency: "EUR".into() },
            pre_money: None,
            valuation_cap: Some(800_000_000),
            discount: Some(20),
            close_date: "2027-03-31".into(),
            pipeline: PipelineId::from_bytes([1; 16]),
            owner: None,
            notes: Default::default(),
            files: BTreeMap::new(),
            created_at: Timestamp(0),
            archived: false,
        };
        RoundRow::of(RoundId::from_bytes([2; 16]), &round)
    }

    fn deal(n: u8, status: DealStatusRow, soft: Option<i64>, committed: Option<i64>) -> DealRow {
        DealRow {
            id: DealId::from_bytes([n; 16]),
            title: format!("Investor {n}"),
            pipeline: PipelineId::from_bytes([1; 16]),
            stage: StageId::from_bytes([3; 16]),
            amount_minor: 30_000_000,
            currency: "EUR".into(),
            expected_close: None,
            owner: None,
            parties: vec![PartyId::from_bytes([n; 16])],
            status,
            created_at: Timestamp(0),
            stage_since: Timestamp(0),
            stages: Vec::new(),
            closed_at: None,
            closings: Vec::new(),
            terms: Vec::new(),
            lost_reason: String::new(),
            round: Some(RoundId::from_bytes([2; 16])),
            soft_circled: soft,
            committed,
        }
    }

    #[test]
    fn a_round_sums_what_its_investors_committed_and_what_may_still_come() {
        let round = round();
        let mut elsewhere = deal(9, DealStatusRow::Won, None, Some(99_000_000));
        elsewhere.round = None;
        let deals = [
            deal(1, DealStatusRow::Open, Some(20_000_000), Some(15_000_000)),
            deal(2, DealStatusRow::Open, Some(10_000_000), None),
            // Won with nothing entered: its amount was committed.
            deal(3, DealStatusRow::Won, None, None),
            // Passed: counts for nothing, listed apart.
            deal(4, DealStatusRow::Lost, Some(50_000_000), Some(50_000_000)),
            elsewhere,
        ];
        let summary = RoundSummary::of(&round, &deals);
        assert_eq!(summary.committed, 15_000_000 + 30_000_000);
        assert_eq!(summary.soft_circled, 5_000_000 + 10_000_000, "beyond what each committed");
        assert_eq!(summary.percent_committed, 45);
        let order: Vec<u8> = summary.investors.iter().map(|i| i.deal.as_bytes()[0]).collect();
        assert_eq!(order, [3, 1, 2], "most committed first");
        assert_eq!(summary.passed.len(), 1);
        let mut dollars = deal(5, DealStatusRow::Won, Some(9_000_000), Some(9_000_000));
        dollars.currency = "USD".into();
        let with_dollars: Vec<DealRow> = deals.iter().cloned().chain([dollars]).collect();
        let mixed = RoundSummary::of(&round, &with_dollars);
        assert_eq!(
            (mixed.committed, mixed.soft_circled),
            (summary.committed, summary.soft_circled)
        );
        assert!(mixed.investors.iter().any(|i| i.other_currency), "listed, not summed");
        let empty = RoundRow { target_minor: 0, ..round };
        assert_eq!(RoundSummary::of(&empty, &deals).percent_committed, 0, "no target, no percent");
    }

    fn update() -> InvestorUpdate {
        let mut update = next_update(None, "November 2026".into(), Timestamp(5));
        update.metrics.insert(
            MetricId::from_bytes([1; 16]).to_string(),
            Metric {
                name: "Revenue".into(),
                value: "€84k".into(),
                previous: "€71k".into(),
                note: String::new(),
                position: 1,
            },
        );
        update.metrics.insert(
            MetricId::from_bytes([2; 16]).to_string(),
            Metric {
                name: "Runway <months>".into(),
                value: "19".into(),
                previous: String::new(),
                note: "after the seed".into(),
                position: 0,
            },
        );
        update.highlights = "Signed **Acme**. <script>alert(1)</script>".into();
        update.asks = "Intros to [CFOs](javascript:alert(1))".into();
        update
    }

    use crate::ids::MetricId;

    #[test]
    fn the_next_update_carries_the_figures_over_as_last_period_s() {
        let previous = update();
        let next = next_update(Some(&previous), "December 2026".into(), Timestamp(9));
        let runway = &next.metrics[&MetricId::from_bytes([2; 16]).to_string()];
        assert_eq!((runway.name.as_str(), runway.value.as_str()), ("Runway <months>", ""));
        assert_eq!(runway.previous, "19", "last period's value");
        assert_eq!(next.highlights.as_str(), "");
        let order: Vec<&str> =
            metrics_in_order(&next).iter().map(|(_, m)| m.name.as_str()).collect();
        assert_eq!(order, ["Runway <months>", "Revenue"], "by position");
    }

    #[test]
    fn an_update_is_mailed_once_per_investor_with_the_relay_s_link_and_every_figure() {
        let workspace = WorkspaceId::from_bytes([7; 16]);
        let (id, ann, bob) = (
            UpdateId::from_bytes([1; 16]),
            PartyId::from_bytes([2; 16]),
            PartyId::from_bytes([3; 16]),
        );
        assert_eq!(update_mail_id(workspace, id, ann), update_mail_id(workspace, id, ann));
        assert_ne!(update_mail_id(workspace, id, ann), update_mail_id(workspace, id, bob));
        let words = UpdateWords {
            metrics: "Key figures",
            was: "was",
            highlights: "Highlights",
            asks: "Asks",
            read_online: "Read it online:",
        };
        let to = Recipient { address: "ann@example.com".into(), name: "Ann".into() };
        let mail = update_mail(id, &update(), (ann, to), &words, None);
        assert_eq!(mail.check(), Ok(()));
        assert_eq!(mail.subject, "November 2026");
        assert!(
            mail.text.starts_with(
                "Key figures\n• Runway <months>: 19 — after the seed\n• Revenue: €84k (was €71k)\n"
            ),
            "{}",
            mail.text
        );
        assert!(mail.text.contains("Highlights\nSigned **Acme**."));
        assert!(mail.text.ends_with(&format!("Read it online:\n{UPDATE_LINK}\n")));
        assert_eq!(
            mail.update_link,
            Some(Box::new(UpdateLink { update: id.to_string(), reader: ann.to_string() }))
        );
    }

    #[test]
    fn the_audience_is_resolved_to_parties_by_role_round_or_tag() {
        let party = |n: u8, name: &str| {
            let mut row = PartyRow::named(PartyId::from_bytes([n; 16]), name);
            row.emails = vec![format!("{}@example.com", name.to_lowercase())];
            row
        };
        let mut ann = party(1, "Ann");
        ann.roles = vec![RoleRow::Investor];
        let mut bob = party(2, "Bob");
        bob.roles = vec![RoleRow::Investor];
        bob.tags = vec!["board".into()];
        bob.emails.clear();
        let mut gone = party(3, "Cy");
        gone.roles = vec![RoleRow::Investor];
        gone.archived = true;
        let dee = party(4, "Dee");
        let parties = [bob.clone(), ann.clone(), gone, dee];
        let deals =
            [deal(4, DealStatusRow::Open, None, None), deal(1, DealStatusRow::Lost, None, None)];
        let names = |audience: Audience| -> Vec<String> {
            super::audience(&audience, &parties, &deals).into_iter().map(|r| r.name).collect()
        };
        assert_eq!(names(Audience::Investors), ["Ann", "Bob"], "by name, archived left out");
        assert_eq!(names(Audience::Tag("board".into())), ["Bob"]);
        assert_eq!(names(Audience::Round(RoundId::from_bytes([2; 16]))), ["Dee"], "not who passed");
        let readers = super::audience(&Audience::Investors, &parties, &deals);
        assert_eq!(readers[1].address, None, "Bob has no address to mail");
    }

    #[test]
    fn revoking_a_link_or_withdrawing_the_update_changes_what_the_relay_is_given() {
        let (ann, bob) = (PartyId::from_bytes([2; 16]), PartyId::from_bytes([3; 16]));
        let id = UpdateId::from_bytes([1; 16]);
        let mut update = update();
        let rows = |update: &InvestorUpdate| BTreeMap::from([(id, UpdateRow::of(id, update))]);
        let relay = |revision: &str, withdrawn: bool| PublishedUpdates {
            updates: vec![PublishedUpdate {
                id: id.to_string(),
                revision: revision.into(),
                withdrawn,
                readers: Vec::new(),
            }],
        };
        assert!(
            plan(&rows(&update), &PublishedUpdates::default()).is_empty(),
            "a draft is not served"
        );
        update.recipients.insert(ann.to_string(), true);
        update.recipients.insert(bob.to_string(), true);
        update.sent_at = Some(Timestamp(10));
        let sent = UpdateRow::of(id, &update);
        assert!(sent.readable_by(ann) && sent.readable_by(bob));
        assert_eq!(plan(&rows(&update), &PublishedUpdates::default()).publish, [id]);
        assert!(plan(&rows(&update), &relay(&sent.revision, false)).is_empty(), "current");
        update.revoked.insert(bob.to_string(), true);
        let revoked = UpdateRow::of(id, &update);
        assert!(revoked.readable_by(ann) && !revoked.readable_by(bob));
        assert_ne!(revoked.revision, sent.revision);
        assert_eq!(UpdatePublication::of(&update).readers, [ann.to_string()]);
        assert_eq!(plan(&rows(&update), &relay(&sent.revision, false)).publish, [id], "again");
        update.withdrawn = true;
        let withdrawn = plan(&rows(&update), &relay(&revoked.revision, false));
        assert_eq!((withdrawn.publish.len(), withdrawn.withdraw), (0, vec![id.to_string()]));
        assert!(plan(&rows(&update), &relay("", true)).is_empty(), "already withdrawn");
        let unknown = plan(&BTreeMap::new(), &relay(&sent.revision, false));
        assert_eq!(unknown.withdraw, [id.to_string()], "an update no device knows");
    }

    #[test]
    fn the_page_escapes_every_text_and_renders_markdown_safely() {
        let mut update = update();
        update.recipients.insert(PartyId::from_bytes([2; 16]).to_string(), true);
        let publication = UpdatePublication::of(&update);
        assert_eq!(publication.refused(), None);
        let words =
            PageWords { metrics: "Figures", was: "was", highlights: "Highlights", asks: "Asks" };
        let html = render(&publication, "Acme & Co", &words);
        assert!(
            html.starts_with("<h1>November 2026</h1><p class=from>Acme &amp; Co</p>"),
            "{html}"
        );
        assert!(
            html.contains("<th scope=row>Runway &lt;months&gt;</th><td>19<br><small>after the seed</small></td>"),
            "{html}"
        );
        assert!(html.contains("<td>€84k<br><small>was €71k</small></td>"), "{html}");
        assert!(html.contains("<strong>Acme</strong>"));
        assert!(!html.contains("<script"), "raw HTML is text: {html}");
        assert!(!html.contains("javascript:"), "unsafe links lose their target: {html}");
    }

    #[test]
    fn follow_ups_are_one_task_per_attendee_with_the_same_id_on_every_device() {
        use crate::model::EventKind;
        let workspace = WorkspaceId::from_bytes([7; 16]);
        let (ann, bob, cy) = (
            PartyId::from_bytes([1; 16]),
            PartyId::from_bytes([2; 16]),
            PartyId::from_bytes([3; 16]),
        );
        let mut event = InvestorEvent {
            title: "Q3 earnings call".into(),
            kind: EventKind::EarningsCall,
            day: "2026-11-05".into(),
            location: String::new(),
            attendees: BTreeMap::new(),
            notes: Default::default(),
            owner: None,
            created_at: Timestamp(1),
            archived: false,
        };
        event.attendees.insert(ann.to_string(), Attendance::Attended);
        event.attendees.insert(bob.to_string(), Attendance::Absent);
        event.attendees.insert(cy.to_string(), Attendance::Attended);
        let id = EventId::from_bytes([4; 16]);
        let row = EventRow::of(id, &event);
        assert!(row.attended(ann) && !row.attended(bob));
        assert_eq!(
            row.at(),
            crate::contract::utc_midnight(crate::contract::parse_day("2026-11-05").unwrap())
        );
        let missing = follow_ups_missing(workspace, &row, |_| false);
        assert_eq!(
            missing.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
            [ann, cy],
            "those who came"
        );
        assert_eq!(missing[0].1, follow_up_task(workspace, id, ann), "derived, not random");
        assert_ne!(missing[0].1, missing[1].1);
        assert_ne!(follow_up_task(workspace, EventId::from_bytes([5; 16]), ann), missing[0].1);
        let text = missing[0].1.to_string();
        assert_eq!(text.parse::<TaskId>().unwrap(), missing[0].1, "a valid id in its text form");
        assert_eq!(&text[14..15], "8", "a UUID of version 8: {text}");
        let first = missing[0].1;
        let left = follow_ups_missing(workspace, &row, |task| task == first);
        assert_eq!(
            left.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
            [cy],
            "asked again: only what is missing"
        );
    }

    #[test]
    fn the_workspace_s_own_figures_are_counted_from_its_rows() {
        use crate::model::{Pipeline, PipelineKind, WorkspaceSettings};
        let mut model = crate::read_model::ReadModel::default();
        let mut settings = WorkspaceSettings::default();
        let (sales, fundraising) =
            (PipelineId::from_bytes([1; 16]), PipelineId::from_bytes([8; 16]));
        let stages = [crate::ids::StageId::from_bytes([3; 16])];
        settings
            .pipelines
            .insert(sales.to_string(), Pipeline::starting("Sales", PipelineKind::Sales, stages));
        settings.pipelines.insert(
            fundraising.to_string(),
            Pipeline::starting("Fundraising", PipelineKind::Fundraising, stages),
        );
        for n in 1..=3u8 {
            let mut party = PartyRow::named(PartyId::from_bytes([n; 16]), &format!("P{n}"));
            party.roles = vec![RoleRow::Customer];
            party.archived = n == 3;
            model.parties.insert(party.id, party);
        }
        let mut open = deal(10, DealStatusRow::Open, None, None);
        open.round = None;
        let mut won = deal(11, DealStatusRow::Won, None, None);
        won.round = None;
        let mut dollars = deal(12, DealStatusRow::Open, None, None);
        dollars.round = None;
        dollars.currency = "USD".into();
        let mut raising = deal(13, DealStatusRow::Open, None, Some(40_000_000));
        raising.pipeline = fundraising;
        for deal in [open, won, dollars, raising] {
            model.deals.insert(deal.id, deal);
        }
        let round = round();
        model.rounds.insert(round.id, round);
        let figures = figures(&model, &settings, "EUR");
        assert_eq!(figures.customers, 2, "not the archived one");
        assert_eq!(figures.open_pipeline, 30_000_000, "open sales deals in euros only");
        assert_eq!(figures.rounds, [("Seed".to_owned(), 40_000_000, 100_000_000)]);
    }

    #[test]
    fn a_publication_past_the_limits_is_refused_with_the_reason() {
        let mut update = update();
        update.recipients.insert(PartyId::from_bytes([2; 16]).to_string(), true);
        let good = UpdatePublication::of(&update);
        let refused = |change: &dyn Fn(&mut UpdatePublication)| {
            let mut publication = good.clone();
            change(&mut publication);
            publication.refused()
        };
        assert_eq!(refused(&|p| p.title = " ".into()), Some(UpdateRefused::NoTitle));
        assert_eq!(
            refused(&|p| p.title = "x".repeat(MOST_TITLE_CHARS + 1)),
            Some(UpdateRefused::TitleTooLong)
        );
        assert_eq!(
            refused(&|p| p.metrics = vec![p.metrics[0].clone(); MOST_METRICS + 1]),
            Some(UpdateRefused::TooManyMetrics)
        );
        assert_eq!(
            refused(&|p| p.metrics[0].note = "x".repeat(MOST_METRIC_CHARS + 1)),
            Some(UpdateRefused::TooManyMetrics)
        );
        assert_eq!(
            refused(&|p| p.asks = "x".repeat(MOST_TEXT_BYTES + 1)),
            Some(UpdateRefused::TooLong)
        );
        assert_eq!(refused(&|p| p.readers.push("ann".into())), Some(UpdateRefused::BadReaders));
    }
}
