//! Campaigns: what a campaign sends, to whom, and where each copy stands.
//!
//! Who receives a campaign is decided on the device that sends it, at that moment ([`plan`]): the
//! people of its segments and lists, less those of its exclusions, less those who refused marketing
//! email or unsubscribed through the relay's link (and, when the campaign asks for consent, those
//! never asked), one copy per address. The recipients are then kept in the campaign, so every device
//! shows the same ones. Each copy is queued under an id derived from the campaign and the recipient
//! ([`outbox_id`]): sending twice — from two devices at once, a retry, a replay after days offline —
//! queues each person's mail once. The relay checks its suppression list again when it sends.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::ids::{CampaignId, MemberId, PartyId, SegmentId, Timestamp, WorkspaceId};
use crate::model::{Campaign, ConsentState, names};
use crate::outbox::{
    DeviceOutbox, Mail, OutboxId, Recipient, State, Status, Work, WorkError, normalise_address,
    plausible_address,
};
use crate::read_model::{PartyKindRow, PartyRow, ReadModel};
use crate::segments::Audience;
use crate::template::{MergeFields, PARTY_FIELDS, Template, TemplateError};

/// A campaign as the read model keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignRow {
    pub id: CampaignId,
    pub name: String,
    pub subject: String,
    pub body: String,
    /// Segments and lists, in id order.
    pub include: Vec<SegmentId>,
    pub exclude: Vec<SegmentId>,
    pub consented_only: bool,
    /// The draft's choice of time and pace ([`Campaign::send_at`], [`Campaign::per_hour`]), and as
    /// sent ([`Campaign::scheduled_for`], [`Campaign::paced`]).
    pub send_at: Option<Timestamp>,
    pub per_hour: u32,
    pub scheduled_for: Option<Timestamp>,
    pub paced: u32,
    pub sent_at: Option<Timestamp>,
    pub sent_by: Option<MemberId>,
    /// [`Campaign::round`].
    pub round: u32,
    /// Who it was sent to and at which address, in id order.
    pub recipients: Vec<(PartyId, String)>,
    /// The subject and text as sent (empty for a draft).
    pub sent_subject: String,
    pub sent_body: String,
    /// A subject test ([`Campaign::subject_b`]): the second subject and the test's share (percent).
    pub subject_b: String,
    pub test_percent: u32,
    pub sent_subject_b: String,
    /// Who received which subject in the test, in id order.
    pub got_a: Vec<PartyId>,
    pub got_b: Vec<PartyId>,
    pub winner_subject: String,
    pub winner_sent_at: Option<Timestamp>,
    pub created_by: Option<MemberId>,
    pub created_at: Timestamp,
    pub archived: bool,
}

impl CampaignRow {
    pub fn of(id: CampaignId, campaign: &Campaign) -> CampaignRow {
        let ids = |set| names(set).filter_map(|id| id.parse().ok()).collect();
        CampaignRow {
            id,
            name: campaign.name.clone(),
            subject: campaign.subject.clone(),
            body: campaign.body.clone(),
            include: ids(&campaign.include),
            exclude: ids(&campaign.exclude),
            consented_only: campaign.consented_only,
            send_at: campaign.send_at,
            per_hour: campaign.per_hour,
            scheduled_for: campaign.scheduled_for,
            paced: campaign.paced,
            sent_at: campaign.sent_at,
            sent_by: campaign.sent_by,
            round: campaign.round,
            recipients: {
                let mut recipients: Vec<(PartyId, String)> = campaign
                    .recipients
                    .iter()
                    .filter_map(|(party, address)| Some((party.parse().ok()?, address.clone())))
                    .collect();
                // In id order whatever form the keys were written in: looked up by binary search.
                recipients.sort_by_key(|(party, _)| *party);
                recipients.dedup_by_key(|(party, _)| *party);
                recipients
            },
            sent_subject: campaign.sent_subject.clone(),
            sent_body: campaign.sent_body.clone(),
            subject_b: campaign.subject_b.clone(),
            test_percent: campaign.test_percent.min(100),
            sent_subject_b: campaign.sent_subject_b.clone(),
            got_a: party_ids(&campaign.got_a),
            got_b: party_ids(&campaign.got_b),
            winner_subject: campaign.winner_subject.clone(),
            winner_sent_at: campaign.winner_sent_at,
            created_by: campaign.created_by,
            created_at: campaign.created_at,
            archived: campaign.archived,
        }
    }

    /// The campaign as it went: its subject and text as sent (a draft as it is).
    pub fn as_sent(&self) -> CampaignRow {
        let mut sent = self.clone();
        if self.sent_at.is_some() && !self.sent_subject.is_empty() {
            sent.subject = self.sent_subject.clone();
            sent.body = self.sent_body.clone();
        }
        sent
    }

    /// Whether `party` was sent it.
    pub fn sent_to(&self, party: PartyId) -> bool {
        self.recipients.binary_search_by_key(&party, |(id, _)| *id).is_ok()
    }

    /// When its first copies go, if it was sent for a time still to come at `now` (scheduled).
    pub fn scheduled(&self, now: Timestamp) -> Option<Timestamp> {
        self.sent_at?;
        self.scheduled_for.filter(|at| *at > now)
    }

    /// Whether it was scheduled and then taken back: a draft whose recipients' copies every device
    /// withdraws ([`withdrawn_copies`]).
    pub fn taken_back(&self) -> bool {
        self.sent_at.is_none() && !self.recipients.is_empty()
    }

    /// The id of `party`'s copy of it, in its round ([`outbox_id`]).
    pub fn copy_id(&self, workspace: WorkspaceId, party: PartyId) -> OutboxId {
        outbox_id(workspace, self.id, party, self.round)
    }

    /// The campaign as its next send makes its copies: a round of its own if it was taken back.
    pub fn next_round(&self) -> CampaignRow {
        let round = if self.taken_back() { self.round + 1 } else { self.round };
        CampaignRow { round, ..self.clone() }
    }

    /// Whether it tests two subjects before sending to everyone.
    pub fn tests_subjects(&self) -> bool {
        !self.subject_b.trim().is_empty() && self.test_percent > 0 && self.test_percent < 100
    }

    /// Whether its subject test went and the rest are still to be sent the better subject.
    pub fn awaits_winner(&self) -> bool {
        self.sent_at.is_some() && !self.got_b.is_empty() && self.winner_sent_at.is_none()
    }

    /// The subject `party`'s copy went with: the second of a test to those who had it, the one sent
    /// to the rest after a test to them, else the first.
    pub fn subject_for(&self, party: PartyId) -> &str {
        let sent = if self.sent_subject.is_empty() { &self.subject } else { &self.sent_subject };
        if self.got_b.binary_search(&party).is_ok() {
            &self.sent_subject_b
        } else if self.winner_sent_at.is_some()
            && !self.got_b.is_empty()
            && self.got_a.binary_search(&party).is_err()
        {
            &self.winner_subject
        } else {
            sent
        }
    }

    /// The campaign with another subject: what a copy with the second subject is filled in from.
    pub fn with_subject(&self, subject: &str) -> CampaignRow {
        CampaignRow { subject: subject.to_owned(), ..self.clone() }
    }
}

/// An A/B subject test's groups over the recipients a plan chose: `a` and `b` the test's two halves
/// (`a` the larger by one at most), `rest` those who wait for the better subject. Whom the test takes
/// follows from a hash of the campaign and each party, so every device draws the same people, and
/// they are a fair sample of the audience, not its first names.
#[derive(Debug)]
pub struct Groups<'p, 'm> {
    pub a: Vec<&'p (&'m PartyRow, String)>,
    pub b: Vec<&'p (&'m PartyRow, String)>,
    pub rest: Vec<&'p (&'m PartyRow, String)>,
}

pub fn groups<'p, 'm>(
    campaign: &CampaignRow,
    recipients: &'p [(&'m PartyRow, String)],
) -> Groups<'p, 'm> {
    use sha2::{Digest, Sha256};
    if !campaign.tests_subjects() {
        return Groups { a: recipients.iter().collect(), b: Vec::new(), rest: Vec::new() };
    }
    let mut drawn: Vec<([u8; 32], &'p (&'m PartyRow, String))> = recipients
        .iter()
        .map(|recipient| {
            let hash = Sha256::new()
                .chain_update(campaign.id.to_string())
                .chain_update(recipient.0.id.to_string())
                .finalize();
            (hash.into(), recipient)
        })
        .collect();
    drawn.sort_by_key(|x| x.0);
    // At least one each, when there are two to test with.
    let tested = (recipients.len() * campaign.test_percent as usize)
        .div_ceil(100)
        .max(2.min(recipients.len()));
    let mut groups = Groups { a: Vec::new(), b: Vec::new(), rest: Vec::new() };
    for (n, (_, recipient)) in drawn.into_iter().enumerate() {
        match n {
            n if n >= tested => groups.rest.push(recipient),
            n if n % 2 == 0 => groups.a.push(recipient),
            _ => groups.b.push(recipient),
        }
    }
    groups
}

/// How each subject of a test did: its copies' opens and clicks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubjectTest {
    pub a: Engagement,
    pub b: Engagement,
}

/// Which subject did better: `Some(false)` the first, `Some(true)` the second, `None` a tie (or
/// nothing sent yet). Opens decide, as a share of the copies sent; clicks break a tie.
impl SubjectTest {
    pub fn leader(&self) -> Option<bool> {
        let rate = |e: Engagement, n: usize| (n * 1_000_000).checked_div(e.sent).unwrap_or(0);
        let (a, b) = (self.a, self.b);
        let by_opens = rate(a, a.opened).cmp(&rate(b, b.opened));
        let by_clicks = rate(a, a.clicked).cmp(&rate(b, b.clicked));
        match by_opens.then(by_clicks) {
            std::cmp::Ordering::Greater => Some(false),
            std::cmp::Ordering::Less => Some(true),
            std::cmp::Ordering::Equal => None,
        }
    }
}

/// How each subject of `campaign`'s test did, among the copies of the test.
pub fn subject_test(
    workspace: WorkspaceId,
    campaign: &CampaignRow,
    outbox: &DeviceOutbox,
) -> SubjectTest {
    SubjectTest {
        a: engagement_of(workspace, campaign, outbox, campaign.got_a.iter().copied()),
        b: engagement_of(workspace, campaign, outbox, campaign.got_b.iter().copied()),
    }
}

/// The party ids of a set, in id order.
fn party_ids(set: &crate::model::NameSet) -> Vec<PartyId> {
    let mut ids: Vec<PartyId> = names(set).filter_map(|id| id.parse().ok()).collect();
    ids.sort();
    ids
}

/// Why someone in a campaign's audience is not sent it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// Their record has no email address that can be written to.
    NoAddress,
    /// They refused marketing email, or unsubscribed.
    Refused,
    /// Never asked, and the campaign goes only to those who agreed.
    NotAsked,
    /// Someone before them (by id) has the same address: one copy per address.
    SameAddress,
}

/// Who a campaign would be sent to now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan<'m> {
    /// Each recipient with the address their copy goes to, in id order.
    pub recipients: Vec<(&'m PartyRow, String)>,
    /// How many of the audience are left out, by why.
    pub skipped: BTreeMap<Skip, usize>,
    /// How many of the included are in an excluded segment or list.
    pub excluded: usize,
}

/// Whom `campaign` would be sent to over `audience` now. Its segments and lists count whether or not
/// they were archived since they were chosen (the page shows them as archived): archiving a "do not
/// email" list must not send to its people.
pub fn plan<'m>(audience: &Audience<'m>, model: &'m ReadModel, campaign: &CampaignRow) -> Plan<'m> {
    let people_of = |ids: &[SegmentId]| {
        let mut people: BTreeMap<PartyId, &'m PartyRow> = BTreeMap::new();
        for segment in ids.iter().filter_map(|id| model.segments.get(id)) {
            people.extend(audience.of_segment(segment).into_iter().map(|row| (row.id, row)));
        }
        people
    };
    let included = people_of(&campaign.include);
    let excluded: HashSet<PartyId> = people_of(&campaign.exclude).into_keys().collect();
    let mut plan = Plan::default();
    let mut addresses = HashSet::new();
    for (id, row) in included {
        if excluded.contains(&id) {
            plan.excluded += 1;
            continue;
        }
        let skip = match audience.consent(row) {
            ConsentState::Refused => Some(Skip::Refused),
            ConsentState::Unknown if campaign.consented_only => Some(Skip::NotAsked),
            _ => None,
        };
        let address = row.emails.iter().map(|e| e.trim()).find(|e| plausible_address(e));
        // Only someone sent a copy takes their address: one refused or never asked leaves it to
        // the next with it.
        let skip = skip.or_else(|| match address {
            None => Some(Skip::NoAddress),
            Some(address) if !addresses.insert(normalise_address(address)) => {
                Some(Skip::SameAddress)
            }
            Some(_) => None,
        });
        match (skip, address) {
            (None, Some(address)) => plan.recipients.push((row, address.to_owned())),
            (Some(skip), _) => *plan.skipped.entry(skip).or_default() += 1,
            (None, None) => unreachable!("no address is a skip"),
        }
    }
    plan
}

/// Every recipient's copy of `campaign`, each under its id: `(party, address, copy)`; and how many of
/// them could not be filled in (a subject grown past its limit with a long name, say), who are left
/// out and counted rather than holding up everyone else's.
pub fn copies(
    workspace: WorkspaceId,
    campaign: &CampaignRow,
    model: &ReadModel,
    recipients: &[(&PartyRow, String)],
    how: Sending,
) -> (Vec<(PartyId, String, OutboxId, Work)>, usize) {
    let mut unfilled = 0;
    let mut copies = Vec::with_capacity(recipients.len());
    for (row, address) in recipients {
        match mail(campaign, model, row, address, how) {
            Ok(work) => {
                copies.push((row.id, address.clone(), campaign.copy_id(workspace, row.id), work))
            }
            Err(_) => unfilled += 1,
        }
    }
    (copies, unfilled)
}

/// The id of `party`'s copy of `campaign` in `round` ([`Campaign::round`]): the same on every
/// device, so it is queued once. (Two devices sending at once to records they see differently — one
/// not yet merged on one of them — could each send an address its own copy.)
pub fn outbox_id(
    workspace: WorkspaceId,
    campaign: CampaignId,
    party: PartyId,
    round: u32,
) -> OutboxId {
    let (campaign, party) = (campaign.to_string(), party.to_string());
    match round {
        // As copies were named before rounds: ledgers already hold them.
        0 => OutboxId::from_cause(workspace, &["campaign", &campaign, &party]),
        round => {
            OutboxId::from_cause(workspace, &["campaign", &campaign, &party, &round.to_string()])
        }
    }
}

/// The copies each device withdraws ([`DeviceOutbox::withdraw_many`]), whichever device took a
/// campaign back: those of every campaign scheduled and then taken back, and any campaign copy
/// waiting on this device that no campaign sends now (one of a round since taken back, made while
/// this device was offline) — so no device hands over a copy of a draft, or of a round before the
/// one that went. (Bulk mail is a campaign's copy or a sequence's email, whose mails
/// [`crate::sequences::mail_ids`] names: a sequence archived takes back its emails not handed over.)
pub fn withdrawn_copies(
    workspace: WorkspaceId,
    model: &ReadModel,
    outbox: &DeviceOutbox,
) -> Vec<OutboxId> {
    fn copies(workspace: WorkspaceId, campaign: &CampaignRow) -> impl Iterator<Item = OutboxId> {
        campaign.recipients.iter().map(move |(party, _)| campaign.copy_id(workspace, *party))
    }
    let mut withdrawn: Vec<OutboxId> = model
        .campaigns
        .values()
        .filter(|c| c.taken_back())
        .flat_map(|c| copies(workspace, c))
        .collect();
    let waiting: Vec<&OutboxId> = outbox
        .waiting()
        .iter()
        .filter(|w| w.work.kind() == "bulk" && !w.from_runner)
        .map(|w| &w.id)
        .collect();
    if !waiting.is_empty() {
        let live: HashSet<OutboxId> = model
            .campaigns
            .values()
            .filter(|c| c.sent_at.is_some())
            .flat_map(|c| copies(workspace, c))
            .chain(crate::sequences::mail_ids(workspace, model))
            .collect();
        let taken_back: HashSet<OutboxId> = withdrawn.iter().cloned().collect();
        let stale =
            waiting.into_iter().filter(|id| !live.contains(*id) && !taken_back.contains(*id));
        withdrawn.extend(stale.cloned());
    }
    withdrawn
}

/// How long before its time a scheduled campaign can still be taken back: the relay sends by its own
/// clock, and a device's may be a little off.
pub const TAKE_BACK_BEFORE_MS: i64 = 60_000;

/// Whether `campaign` can still be taken back to a draft at `now`: scheduled at least
/// [`TAKE_BACK_BEFORE_MS`] ahead, and no copy of it heard to be on its way or sent.
pub fn can_take_back(
    workspace: WorkspaceId,
    campaign: &CampaignRow,
    outbox: &DeviceOutbox,
    now: Timestamp,
) -> bool {
    let ahead = campaign.scheduled(Timestamp(now.0 + TAKE_BACK_BEFORE_MS)).is_some();
    ahead
        && !campaign
            .recipients
            .iter()
            .any(|(party, _)| gone(outbox, &campaign.copy_id(workspace, *party)))
}

/// Whether `party`'s copy of an earlier round of `campaign` (one taken back) was sent, or is being
/// sent, as this device has heard: a later round leaves them out.
pub fn reached_before(
    workspace: WorkspaceId,
    campaign: &CampaignRow,
    party: PartyId,
    outbox: &DeviceOutbox,
) -> bool {
    (0..campaign.round).any(|round| gone(outbox, &outbox_id(workspace, campaign.id, party, round)))
}

/// Whether the copy `id` is heard to be past waiting: being sent, or sent (or given up on) — no
/// longer something a take-back can stop.
fn gone(outbox: &DeviceOutbox, id: &OutboxId) -> bool {
    matches!(
        outbox.status(id),
        Some(Status::Relay(entry)) if !matches!(entry.state, State::Queued | State::Cancelled)
    )
}

/// How far each recipient went with each campaign: sent (the relay handed their copy to the mail
/// server: not one still waiting for its time, suppressed, failed or cancelled), or opened or
/// clicked as the relay counted it — what segments' campaign conditions read
/// ([`crate::segments::Audience::with_campaigns`]). Every device that has heard the same ledger and
/// log reads the same.
pub fn activity(
    workspace: WorkspaceId,
    model: &ReadModel,
    outbox: &DeviceOutbox,
) -> crate::segments::CampaignFacts {
    use crate::model::CampaignActivity;
    let mut facts = Vec::new();
    for campaign in model.campaigns.values().filter(|c| c.sent_at.is_some()) {
        for (party, _) in &campaign.recipients {
            let id = campaign.copy_id(workspace, *party);
            let went = matches!(
                outbox.status(&id),
                Some(Status::Relay(entry)) if entry.state == State::Sent
            );
            let engaged = outbox.engaged(&id);
            if !went && engaged.is_none() {
                continue;
            }
            let activity = match engaged {
                Some(engaged) if !engaged.clicks.is_empty() => CampaignActivity::Clicked,
                Some(engaged) if engaged.opened_at.is_some() => CampaignActivity::Opened,
                _ => CampaignActivity::Sent,
            };
            facts.push((*party, campaign.id, activity));
        }
    }
    facts
}

/// How often a paced campaign's batches go, in seconds: every ten minutes, a sixth of its hourly
/// pace each time — steady enough for a mail provider's limits, without a copy each few seconds.
pub const BATCH_EVERY_SECS: i64 = 600;
/// The paces a campaign offers (copies an hour at most), besides all at once.
pub const PACES: [u32; 5] = [100, 500, 1000, 2000, 5000];

/// When the copy at `index` (in sending order) goes, in Unix seconds: at `start` (none: at once),
/// or, paced at `per_hour`, in batches of a sixth of that every [`BATCH_EVERY_SECS`] from `start`
/// (or `now`). The relay holds each copy until its time, whether or not any device is online then.
pub fn send_time(start: Option<i64>, per_hour: u32, now: i64, index: usize) -> Option<i64> {
    if per_hour == 0 {
        return start;
    }
    // Never more than the pace in any hour: a sixth, rounded down (one at least).
    let batch = (per_hour / 6).max(1) as usize;
    Some(start.unwrap_or(now) + (index / batch) as i64 * BATCH_EVERY_SECS)
}

/// Sets each of `copies`' time to go (as [`send_time`] says, in their order).
pub fn pace(
    copies: &mut [(PartyId, String, OutboxId, Work)],
    start: Option<i64>,
    per_hour: u32,
    now: i64,
) {
    for (index, (_, _, _, work)) in copies.iter_mut().enumerate() {
        if let Work::Mail(mail) = work {
            mail.send_at = send_time(start, per_hour, now, index);
        }
    }
}

/// The id of a test send of `campaign` made at `at_ms`: each test is its own.
pub fn test_id(workspace: WorkspaceId, campaign: CampaignId, at_ms: i64) -> OutboxId {
    OutboxId::from_cause(workspace, &["campaign-test", &campaign.to_string(), &at_ms.to_string()])
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    #[error("a campaign needs a subject")]
    NoSubject,
    #[error("a campaign needs a text")]
    NoBody,
    #[error("the subject: {0}")]
    Subject(TemplateError),
    #[error("the text: {0}")]
    Body(TemplateError),
    #[error("a campaign needs an audience: a segment or a list")]
    NoAudience,
    #[error("it has been sent")]
    Sent,
    #[error(transparent)]
    Mail(WorkError),
}

/// What can be checked before anyone is chosen: a subject and a text whose merge fields are all
/// known, and an audience.
pub fn check(campaign: &CampaignRow) -> Result<(), CampaignError> {
    if campaign.sent_at.is_some() {
        return Err(CampaignError::Sent);
    }
    if campaign.subject.trim().is_empty() {
        return Err(CampaignError::NoSubject);
    }
    if campaign.body.trim().is_empty() {
        return Err(CampaignError::NoBody);
    }
    let sample =
        MergeFields(PARTY_FIELDS.iter().map(|f| ((*f).to_owned(), String::new())).collect());
    let fill = |text| Template::parse(text).and_then(|t| t.render(&sample));
    fill(&campaign.subject).map_err(CampaignError::Subject)?;
    if campaign.tests_subjects() {
        fill(&campaign.subject_b).map_err(CampaignError::Subject)?;
    }
    fill(&campaign.body).map_err(CampaignError::Body)?;
    if campaign.include.is_empty() {
        return Err(CampaignError::NoAudience);
    }
    Ok(())
}

/// How a workspace sends its campaigns (Settings → Email): whether the relay tracks opens and clicks,
/// and whether links carry UTM tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sending {
    pub track: bool,
    pub utm: bool,
}

impl Sending {
    pub fn of(settings: &crate::model::WorkspaceSettings) -> Sending {
        Sending { track: !settings.no_campaign_tracking, utm: !settings.no_utm_tags }
    }
}

/// `row`'s copy of `campaign`, to `address`: merge fields filled in from their record, links tagged
/// and tracked as the workspace asks, with the one-click unsubscribe headers of bulk mail. The text
/// is Markdown: the relay sends it with an HTML part.
pub fn mail(
    campaign: &CampaignRow,
    model: &ReadModel,
    row: &PartyRow,
    address: &str,
    how: Sending,
) -> Result<Work, CampaignError> {
    let mail =
        filled_mail(&campaign.subject, &campaign.body, &campaign.name, model, row, address, how)?;
    mail.check().map_err(CampaignError::Mail)?;
    Ok(Work::Mail(mail))
}

/// A marketing mail to `address` of `row`, its `subject` and Markdown `body` filled in from their
/// record; `tag` (a campaign's or sequence's name) tags its links when the workspace asks for UTM tags.
pub fn filled_mail(
    subject: &str,
    body: &str,
    tag: &str,
    model: &ReadModel,
    row: &PartyRow,
    address: &str,
    how: Sending,
) -> Result<Mail, CampaignError> {
    let organisation = match row.kind {
        PartyKindRow::Organisation => Some(row.name.as_str()),
        PartyKindRow::Person => row
            .organisations
            .iter()
            .find_map(|org| model.parties.get(org))
            .map(|org| org.name.as_str()),
    };
    let mut fields = MergeFields::of_row(row, organisation);
    // The address this copy goes to, whichever of the record's it is.
    fields.0.insert("email".to_owned(), address.to_owned());
    let subject =
        Template::parse(subject).and_then(|t| t.render(&fields)).map_err(CampaignError::Subject)?;
    // The text is Markdown: a value reads as written (a name is never a link or emphasis).
    for value in fields.0.values_mut() {
        *value = crate::tracking::escape_markdown(value);
    }
    let text =
        Template::parse(body).and_then(|t| t.render(&fields)).map_err(CampaignError::Body)?;
    // A header line: a name with line breaks or brackets is left out rather than refused.
    let name = if row.name.contains(['\r', '\n', '<', '>']) || row.name.len() > 200 {
        String::new()
    } else {
        row.name.clone()
    };
    let mail = Mail {
        to: vec![Recipient { address: address.to_owned(), name }],
        // A merge field filled with a line break would make the subject unsendable.
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        text,
        reply_to: None,
        bulk: true,
        in_reply_to: None,
        references: Vec::new(),
        rating_for: None,
        update_link: None,
        markdown: true,
        track: how.track,
        utm: how.utm.then(|| crate::tracking::campaign_tag(tag)),
        send_at: None,
    };
    Ok(mail)
}

/// A test send to `to` (a member's own address), filled in from `sample`: marked as a test, without
/// the unsubscribe headers, which would opt the member out, and untracked (its links tagged as the
/// copies' are).
pub fn test_mail(
    campaign: &CampaignRow,
    model: &ReadModel,
    sample: &PartyRow,
    to: &str,
    how: Sending,
) -> Result<Work, CampaignError> {
    let Work::Mail(mut mail) = mail(campaign, model, sample, to, how)? else {
        unreachable!("a campaign's copy is a mail")
    };
    mail.bulk = false;
    mail.track = false;
    mail.to[0].name = String::new();
    mail.subject = format!("[Test] {}", mail.subject);
    mail.check().map_err(CampaignError::Mail)?;
    Ok(Work::Mail(mail))
}

/// Where one recipient's copy stands, as this device knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Delivery {
    /// Not heard of on this device yet: the sending device has not handed it over, or this one has
    /// not heard the relay's news of it.
    Unknown,
    /// On this device, not yet at the relay.
    Waiting,
    /// At the relay, waiting for its turn.
    Queued,
    Sent,
    /// Sent, and opened: its image fetched (`crate::tracking`).
    Opened,
    /// Sent, and a link in it followed.
    Clicked,
    /// Sent, and the address has unsubscribed since (through any mail's link or by a member's hand).
    Unsubscribed,
    /// Not sent: the address opted out (or bounced before).
    Suppressed,
    /// Accepted, then returned as undeliverable.
    Bounced,
    /// Refused by the mail server or the relay.
    Failed,
}

impl Delivery {
    pub fn of(status: Option<Status<'_>>) -> Delivery {
        match status {
            None | Some(Status::Stamped) => Delivery::Unknown,
            Some(Status::Waiting) => Delivery::Waiting,
            Some(Status::Refused(_)) => Delivery::Failed,
            Some(Status::Relay(entry)) => match entry.state {
                State::Queued | State::Sending => Delivery::Queued,
                State::Sent | State::Recorded => Delivery::Sent,
                State::Suppressed => Delivery::Suppressed,
                State::Bounced => Delivery::Bounced,
                State::Failed | State::Cancelled => Delivery::Failed,
            },
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Delivery::Unknown => "unknown",
            Delivery::Waiting => "waiting",
            Delivery::Queued => "queued",
            Delivery::Sent => "sent",
            Delivery::Opened => "opened",
            Delivery::Clicked => "clicked",
            Delivery::Unsubscribed => "unsubscribed",
            Delivery::Suppressed => "suppressed",
            Delivery::Bounced => "bounced",
            Delivery::Failed => "failed",
        }
    }

    pub const ALL: [Delivery; 10] = [
        Delivery::Unknown,
        Delivery::Waiting,
        Delivery::Queued,
        Delivery::Sent,
        Delivery::Opened,
        Delivery::Clicked,
        Delivery::Unsubscribed,
        Delivery::Suppressed,
        Delivery::Bounced,
        Delivery::Failed,
    ];
}

/// Where each recipient's copy of a sent campaign stands, in recipient order.
pub fn deliveries(
    workspace: WorkspaceId,
    campaign: &CampaignRow,
    outbox: &DeviceOutbox,
) -> Vec<(PartyId, Delivery)> {
    let ids: Vec<OutboxId> =
        campaign.recipients.iter().map(|(party, _)| campaign.copy_id(workspace, *party)).collect();
    let statuses = outbox.statuses(&ids);
    // The consent log counts in seconds.
    let sent_at = campaign.sent_at.map_or(i64::MAX, |at| at.0 / 1000);
    campaign
        .recipients
        .iter()
        .zip(statuses)
        .zip(&ids)
        .map(|(((party, address), status), id)| {
            let engaged = outbox.engaged(id);
            let delivery = match Delivery::of(status) {
                Delivery::Sent
                    if outbox.opted_out(address).is_some_and(|event| event.at >= sent_at) =>
                {
                    Delivery::Unsubscribed
                }
                Delivery::Sent if engaged.is_some_and(|e| e.clicked()) => Delivery::Clicked,
                Delivery::Sent if engaged.is_some_and(|e| e.opened()) => Delivery::Opened,
                other => other,
            };
            (*party, delivery)
        })
        .collect()
}

/// How many of a campaign's copies went, and how many of those were opened (a click counts as an
/// open) and clicked — whatever else became of them since (an unsubscribe).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Engagement {
    pub sent: usize,
    pub opened: usize,
    pub clicked: usize,
}

pub fn engagement(
    workspace: WorkspaceId,
    campaign: &CampaignRow,
    outbox: &DeviceOutbox,
) -> Engagement {
    engagement_of(workspace, campaign, outbox, campaign.recipients.iter().map(|(party, _)| *party))
}

fn engagement_of(
    workspace: WorkspaceId,
    campaign: &CampaignRow,
    outbox: &DeviceOutbox,
    parties: impl Iterator<Item = PartyId>,
) -> Engagement {
    let mut counted = Engagement::default();
    for party in parties {
        let id = campaign.copy_id(workspace, party);
        let went = matches!(
            outbox.status(&id),
            Some(Status::Relay(entry)) if matches!(entry.state, State::Sent | State::Recorded)
        );
        if !went {
            continue;
        }
        counted.sent += 1;
        if let Some(engaged) = outbox.engaged(&id) {
            counted.opened += usize::from(engaged.opened());
            counted.clicked += usize::from(engaged.clicked());
        }
    }
    counted
}

/// How many copies stand where.
pub fn tally(deliveries: &[(PartyId, Delivery)]) -> BTreeMap<Delivery, usize> {
    let mut tally = BTreeMap::new();
    for (_, delivery) in deliveries {
        *tally.entry(*delivery).or_default() += 1;
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoSizes, DemoWorkspace};
    use crate::model::{Segment, SegmentRule};

    struct Fixture {
        model: ReadModel,
        demo: DemoWorkspace,
        list: SegmentId,
        vip: SegmentId,
    }

    /// The demo, with a list of every third record and a list of every fifth.
    fn fixture() -> Fixture {
        let sizes =
            DemoSizes { parties: 300, interactions: 300, deals: 60, ..DemoSizes::default() };
        let mut demo = crate::demo::generate(42, sizes, Timestamp(1_795_000_000_000));
        let (list, vip) = (SegmentId::from_bytes([1; 16]), SegmentId::from_bytes([2; 16]));
        for (id, step) in [(list, 3), (vip, 5)] {
            let members =
                demo.parties.iter().step_by(step).map(|(p, _)| (p.to_string(), true)).collect();
            let segment = Segment {
                name: format!("every {step}"),
                list: true,
                rule: SegmentRule::default(),
                members,
                created_by: None,
                created_at: Timestamp(0),
                archived: false,
            };
            demo.segments.push((id, segment));
        }
        let mut model = ReadModel::default();
        for (key, mut doc) in demo.to_documents().unwrap() {
            model.replace_document(key, &mut doc);
        }
        Fixture { model, demo, list, vip }
    }

    fn campaign(include: &[SegmentId], exclude: &[SegmentId], consented_only: bool) -> CampaignRow {
        let ids = |ids: &[SegmentId]| ids.iter().map(|id| (id.to_string(), true)).collect();
        let draft = Campaign {
            name: "Spring".into(),
            subject: "Hello {{first_name|there}}".into(),
            body: "Dear {{name}} of {{organisation|your company}},\nsee you at the fair: \
                   https://acme.test/fair."
                .into(),
            include: ids(include),
            exclude: ids(exclude),
            consented_only,
            ..Default::default()
        };
        CampaignRow::of(CampaignId::from_bytes([9; 16]), &draft)
    }

    #[test]
    fn an_address_goes_to_the_first_who_may_receive_it_and_archived_lists_still_count() {
        let mut model = ReadModel::default();
        let (desk, ann) = (PartyId::from_bytes([1; 16]), PartyId::from_bytes([2; 16]));
        // The front desk, never asked, shares the address with Ann, who agreed.
        for (id, name, consent) in [(desk, "Front Desk", None), (ann, "Ann Lee", Some(true))] {
            let mut row = PartyRow::named(id, name);
            row.emails = vec!["info@acme.example".into()];
            row.email_consent = consent;
            model.parties.insert(id, row);
        }
        let list = |id: SegmentId, members: Vec<PartyId>| crate::segments::SegmentRow {
            id,
            name: id.to_string(),
            list: true,
            rule: crate::model::SegmentRule::default(),
            members,
            created_by: None,
            created_at: Timestamp(0),
            // Archived since they were chosen.
            archived: true,
        };
        let (both, do_not_email) = (SegmentId::from_bytes([5; 16]), SegmentId::from_bytes([6; 16]));
        model.segments.insert(both, list(both, vec![desk, ann]));
        model.segments.insert(do_not_email, list(do_not_email, vec![ann]));
        let settings = crate::model::WorkspaceSettings::default();
        let audience = Audience::new(&model, &settings, Vec::<String>::new(), Timestamp(0));
        let sent = plan(&audience, &model, &campaign(&[both], &[], true));
        assert_eq!(sent.recipients.iter().map(|(r, _)| r.id).collect::<Vec<_>>(), [ann]);
        assert_eq!(sent.skipped, BTreeMap::from([(Skip::NotAsked, 1)]));
        // An archived exclusion still excludes.
        let sent = plan(&audience, &model, &campaign(&[both], &[do_not_email], true));
        assert!(sent.recipients.is_empty());
        assert_eq!(sent.excluded, 1);
    }

    #[test]
    fn the_plan_is_the_audience_less_exclusions_refusals_and_repeated_addresses() {
        let f = fixture();
        let opted_out: Vec<String> = f
            .model
            .parties
            .values()
            .filter_map(|row| row.emails.first())
            .step_by(11)
            .cloned()
            .collect();
        let audience = Audience::new(&f.model, &f.demo.settings, opted_out.clone(), Timestamp(0));
        for consented_only in [false, true] {
            let c = campaign(&[f.list], &[f.vip], consented_only);
            let plan = plan(&audience, &f.model, &c);
            let listed = audience.of_segment(&f.model.segments[&f.list]);
            let vip: HashSet<PartyId> =
                audience.of_segment(&f.model.segments[&f.vip]).iter().map(|r| r.id).collect();
            // Every one of the audience is sent it or counted out, once.
            let counted =
                plan.recipients.len() + plan.skipped.values().sum::<usize>() + plan.excluded;
            assert_eq!(counted, listed.len());
            assert_eq!(plan.excluded, listed.iter().filter(|r| vip.contains(&r.id)).count());
            let mut seen = HashSet::new();
            for (row, address) in &plan.recipients {
                assert!(!vip.contains(&row.id), "{} is excluded", row.name);
                assert_ne!(audience.consent(row), ConsentState::Refused);
                if consented_only {
                    assert_eq!(audience.consent(row), ConsentState::Given);
                }
                assert!(
                    !opted_out.iter().any(|o| normalise_address(o) == normalise_address(address))
                );
                assert!(seen.insert(normalise_address(address)), "{address} twice");
            }
            assert!(plan.skipped.get(&Skip::Refused).is_some_and(|n| *n > 0));
            assert_eq!(plan.skipped.contains_key(&Skip::NotAsked), consented_only);
        }
        // Nothing included, nobody: an exclusion alone sends nothing.
        let c = campaign(&[], &[f.vip], false);
        assert!(plan(&audience, &f.model, &c).recipients.is_empty());
    }

    #[test]
    fn a_subject_test_draws_the_same_fair_halves_on_every_device_and_the_better_subject_leads() {
        let f = fixture();
        let audience = Audience::new(&f.model, &f.demo.settings, Vec::new(), Timestamp(0));
        let mut c = campaign(&[f.list], &[], false);
        let plan = plan(&audience, &f.model, &c);
        let everyone = plan.recipients.len();
        assert!(everyone > 20, "{everyone}");
        let untested = groups(&c, &plan.recipients);
        assert_eq!((untested.a.len(), untested.b.len(), untested.rest.len()), (everyone, 0, 0));
        c.subject_b = "A question for {{first_name|you}}".into();
        c.test_percent = 20;
        let drawn = groups(&c, &plan.recipients);
        let tested = (everyone * 20).div_ceil(100);
        assert_eq!(drawn.a.len() + drawn.b.len(), tested);
        assert!(drawn.a.len() - drawn.b.len() <= 1, "halves");
        assert_eq!(drawn.rest.len(), everyone - tested);
        let ids = |g: &[&(&PartyRow, String)]| g.iter().map(|(r, _)| r.id).collect::<HashSet<_>>();
        let (a, b, rest) = (ids(&drawn.a), ids(&drawn.b), ids(&drawn.rest));
        assert!(a.is_disjoint(&b) && a.is_disjoint(&rest) && b.is_disjoint(&rest));
        let again = groups(&c, &plan.recipients);
        assert_eq!((ids(&again.a), ids(&again.b)), (a.clone(), b), "every device draws the same");
        // Not simply the first by id: another campaign draws others.
        let first: HashSet<PartyId> =
            plan.recipients.iter().take(tested).map(|(r, _)| r.id).collect();
        assert_ne!(ids(&drawn.a).union(&ids(&drawn.b)).copied().collect::<HashSet<_>>(), first);
        c.id = CampaignId::from_bytes([7; 16]);
        assert_ne!(ids(&groups(&c, &plan.recipients).a), a);
        // Two recipients still test both subjects.
        let two = &plan.recipients[..2];
        let small = groups(&c, two);
        assert_eq!((small.a.len(), small.b.len(), small.rest.len()), (1, 1, 0));

        let e = |sent, opened, clicked| Engagement { sent, opened, clicked };
        let test = |a, b| SubjectTest { a, b }.leader();
        assert_eq!(test(e(10, 5, 0), e(10, 6, 0)), Some(true), "more opens");
        assert_eq!(test(e(10, 5, 0), e(12, 6, 0)), None, "the same share opened, no clicks");
        assert_eq!(test(e(10, 5, 2), e(12, 6, 1)), Some(false), "clicks break a tie");
        assert_eq!(test(e(20, 5, 0), e(10, 3, 0)), Some(true), "shares, not counts");
        assert_eq!(test(e(0, 0, 0), e(0, 0, 0)), None);

        // Each copy's subject, as the page queues again the copies nobody heard of.
        let mut went = c.clone();
        went.sent_subject = c.subject.clone();
        went.sent_subject_b = c.subject_b.clone();
        went.got_a = drawn.a.iter().map(|(r, _)| r.id).collect();
        went.got_b = drawn.b.iter().map(|(r, _)| r.id).collect();
        went.got_a.sort();
        went.got_b.sort();
        let (in_a, in_b, later) = (drawn.a[0].0.id, drawn.b[0].0.id, drawn.rest[0].0.id);
        assert_eq!(went.subject_for(in_a), c.subject);
        assert_eq!(went.subject_for(in_b), c.subject_b);
        went.winner_subject = c.subject_b.clone();
        went.winner_sent_at = Some(Timestamp(1));
        assert_eq!(went.subject_for(later), c.subject_b, "the rest had the winner");
        assert_eq!(went.subject_for(in_a), c.subject, "the test's first half kept theirs");
    }

    #[test]
    fn each_copy_is_filled_in_from_its_recipient_and_queued_under_one_id() {
        let f = fixture();
        let audience = Audience::new(&f.model, &f.demo.settings, Vec::new(), Timestamp(0));
        let c = campaign(&[f.list], &[], false);
        assert_eq!(check(&c), Ok(()));
        let plan = plan(&audience, &f.model, &c);
        let (row, address) = &plan.recipients[0];
        let how = Sending { track: true, utm: true };
        let Work::Mail(mail) = mail(&c, &f.model, row, address, how).unwrap() else { panic!() };
        let first = row.name.split_whitespace().next().unwrap();
        assert_eq!(mail.subject, format!("Hello {first}"));
        assert!(mail.text.starts_with(&format!("Dear {} of ", row.name)), "{}", mail.text);
        assert!(mail.bulk);
        assert!(mail.markdown && mail.track, "sent formatted and tracked");
        assert_eq!(mail.utm.as_deref(), Some("spring"), "the relay tags its links");
        assert!(mail.text.ends_with("fair: https://acme.test/fair."), "{}", mail.text);
        assert_eq!(Work::Mail(mail.clone()).kind(), "bulk", "sent in the relay's bulk lane");
        // A workspace that switched both off: the link as written, no tracking.
        let plain = Sending { track: false, utm: false };
        let Work::Mail(untracked) = super::mail(&c, &f.model, row, address, plain).unwrap() else {
            panic!()
        };
        assert!(!untracked.track && untracked.utm.is_none());
        assert_eq!(mail.to[0].address, *address);
        let Work::Mail(test) = test_mail(&c, &f.model, row, "anna@example.test", how).unwrap()
        else {
            panic!()
        };
        assert!(!test.bulk, "a test carries no unsubscribe link");
        assert!(!test.track, "a member's test opens count for nobody");
        assert!(test.check().is_ok() && test.utm.is_some(), "its links tagged as the copies'");
        assert_eq!(test.subject, format!("[Test] Hello {first}"));

        let ws = WorkspaceId::from_bytes([3; 16]);
        assert_eq!(outbox_id(ws, c.id, row.id, 0), outbox_id(ws, c.id, row.id, 0));
        assert_ne!(outbox_id(ws, c.id, row.id, 0), outbox_id(ws, c.id, plan.recipients[1].0.id, 0));
        assert_ne!(test_id(ws, c.id, 1), test_id(ws, c.id, 2));
        let (all, unfilled) = copies(ws, &c, &f.model, &plan.recipients, how);
        assert_eq!((all.len(), unfilled), (plan.recipients.len(), 0));
        assert_eq!(all[0].2, outbox_id(ws, c.id, row.id, 0));
        // A subject filled in past its limit leaves that one out, not everyone.
        let mut long = c.clone();
        // Room for the shortest name of all, and no more.
        let shortest = plan.recipients.iter().map(|(r, _)| r.name.chars().count()).min().unwrap();
        let room = crate::outbox::MOST_SUBJECT_CHARS - shortest;
        long.subject = format!("{}{{{{name}}}}", "x".repeat(room));
        let (some, unfilled) = copies(ws, &long, &f.model, &plan.recipients, how);
        assert!(
            unfilled > 0 && !some.is_empty(),
            "{unfilled} left out of {}",
            plan.recipients.len()
        );
        assert_eq!(some.len() + unfilled, plan.recipients.len());
        // Queued twice (two devices, a replay), it is queued once.
        let mut outbox = DeviceOutbox::default();
        let work =
            self::mail(&c, &f.model, row, address, Sending { track: true, utm: true }).unwrap();
        assert!(outbox.queue(outbox_id(ws, c.id, row.id, 0), work.clone(), 1));
        assert!(!outbox.queue(outbox_id(ws, c.id, row.id, 0), work, 2));
    }

    #[test]
    fn a_paced_campaign_goes_in_batches_of_a_sixth_of_its_hourly_pace_every_ten_minutes() {
        let (start, now) = (2_000_000_000, 1_900_000_000);
        // All at once: at its time, or now (no time at all).
        assert_eq!(send_time(Some(start), 0, now, 9_999), Some(start));
        assert_eq!(send_time(None, 0, now, 9_999), None);
        // 500 an hour: 83 each ten minutes, the first batch at the start (now when not scheduled).
        assert_eq!(send_time(Some(start), 500, now, 0), Some(start));
        assert_eq!(send_time(Some(start), 500, now, 82), Some(start));
        assert_eq!(send_time(Some(start), 500, now, 83), Some(start + 600));
        assert_eq!(send_time(None, 500, now, 166), Some(now + 1200));
        // Never more than the pace in any hour (six batches), and hardly fewer.
        for per_hour in PACES.into_iter().chain([7]) {
            let in_first_hour =
                (0..20_000).filter(|i| send_time(None, per_hour, 0, *i).unwrap() < 3600).count();
            assert!(in_first_hour as u32 <= per_hour.max(6), "{per_hour}: {in_first_hour}");
            assert!(in_first_hour as u32 + 6 > per_hour, "{per_hour}: {in_first_hour}");
        }

        let f = fixture();
        let c = campaign(&[f.list], &[], false);
        let audience = Audience::new(&f.model, &f.demo.settings, Vec::new(), Timestamp(0));
        let plan = plan(&audience, &f.model, &c);
        let how = Sending { track: false, utm: false };
        let (mut copies, _) =
            copies(WorkspaceId::from_bytes([7; 16]), &c, &f.model, &plan.recipients, how);
        assert!(copies.len() > 17, "{}", copies.len());
        pace(&mut copies, Some(start), 100, now);
        let times: Vec<Option<i64>> = copies
            .iter()
            .map(|(.., work)| match work {
                Work::Mail(mail) => mail.send_at,
                _ => None,
            })
            .collect();
        assert_eq!(times[0], Some(start));
        assert_eq!(times[15], Some(start));
        assert_eq!(times[16], Some(start + 600));
        assert!(copies.iter().all(|(.., work)| work.check().is_ok()));
    }

    #[test]
    fn a_campaign_taken_back_is_withdrawn_on_every_device_and_sent_again_in_a_round_of_its_own() {
        use crate::outbox::{Changes, Entry};
        let workspace = WorkspaceId::from_bytes([7; 16]);
        let (ann, bob) = (PartyId::from_bytes([1; 16]), PartyId::from_bytes([2; 16]));
        let f = fixture();
        let mut c = campaign(&[f.list], &[], false);
        let copy = |c: &CampaignRow, party| {
            let row = PartyRow::named(party, "Ann");
            let Work::Mail(mut mail) =
                mail(c, &f.model, &row, "ann@x.test", Sending { track: false, utm: false })
                    .unwrap()
            else {
                unreachable!()
            };
            mail.send_at = Some(2_000_000_000);
            (c.copy_id(workspace, party), Work::Mail(mail))
        };
        c.recipients = vec![(ann, "ann@x.test".into()), (bob, "bob@x.test".into())];
        c.sent_at = Some(Timestamp(1_000));
        c.scheduled_for = Some(Timestamp(5_000));
        assert_eq!(c.scheduled(Timestamp(4_999)), Some(Timestamp(5_000)));
        assert_eq!(c.scheduled(Timestamp(5_000)), None, "its time has come");
        assert_eq!(c.copy_id(workspace, ann), outbox_id(workspace, c.id, ann, 0));
        assert_eq!(c.next_round().round, 0, "sent: no new round");

        // This device queued Ann's copy; the relay holds Bob's (another device's).
        let mut outbox = DeviceOutbox::default();
        outbox.queue_many([copy(&c, ann)], 1);
        let bobs = Entry {
            id: c.copy_id(workspace, bob),
            kind: "bulk".into(),
            state: State::Queued,
            attempts: 0,
            queued_at: 1,
            updated_at: 1,
            reason: None,
            message_id: None,
            due_at: Some(2_000_000_000),
            digest: None,
            version: 1,
        };
        outbox.apply(Changes { entries: vec![bobs], version: 1, more: false });
        let mut model = ReadModel::default();
        model.campaigns.insert(c.id, c.clone());
        assert!(
            withdrawn_copies(workspace, &model, &outbox).is_empty(),
            "scheduled, not taken back"
        );

        // Taken back (on any device): both withdrawn here.
        c.sent_at = None;
        assert!(c.taken_back());
        model.campaigns.insert(c.id, c.clone());
        let withdrawn = withdrawn_copies(workspace, &model, &outbox);
        assert_eq!(withdrawn, vec![c.copy_id(workspace, ann), c.copy_id(workspace, bob)]);
        assert_eq!(outbox.withdraw_many(withdrawn), 2, "Ann's forgotten, Bob's cancelled");

        // Sent again: a round of its own, other ids; a copy of the old round still waiting on a
        // device that was offline is withdrawn there, and the new round's are not.
        let again = c.next_round();
        assert_eq!(again.round, 1);
        assert_ne!(again.copy_id(workspace, ann), c.copy_id(workspace, ann));
        let mut offline = DeviceOutbox::default();
        offline.queue_many([copy(&c, ann)], 1);
        let mut sent = again.clone();
        sent.sent_at = Some(Timestamp(9_000));
        sent.recipients = vec![(ann, "ann@x.test".into())];
        offline.queue_many([copy(&sent, ann)], 2);
        model.campaigns.insert(c.id, sent.clone());
        assert_eq!(
            withdrawn_copies(workspace, &model, &offline),
            vec![c.copy_id(workspace, ann)],
            "the old round's copy only"
        );

        // A sequence's email waiting to be handed over is no stale copy; archived, it is.
        let sequence = crate::ids::SequenceId::from_bytes([4; 16]);
        let mut drip = crate::model::Sequence::default();
        let step = crate::model::SequenceStep { kind: "email".into(), ..Default::default() };
        drip.steps.insert("intro".into(), step);
        let enrolled = crate::model::Enrolment { at: Timestamp(1), by: None };
        drip.enrolled.insert(ann.to_string(), enrolled);
        let interaction = crate::sequences::mail_interaction(workspace, sequence, ann, "intro");
        let mail = OutboxId::of_mail(workspace, interaction);
        let mut waiting = DeviceOutbox::default();
        let (_, work) = copy(&sent, ann);
        waiting.queue_many([(mail.clone(), work)], 3);
        model.sequences.insert(sequence, crate::sequences::SequenceRow::of(sequence, &drip));
        assert!(withdrawn_copies(workspace, &model, &waiting).is_empty());
        drip.archived = true;
        model.sequences.insert(sequence, crate::sequences::SequenceRow::of(sequence, &drip));
        assert_eq!(withdrawn_copies(workspace, &model, &waiting), vec![mail]);

        // An automation's email, queued by the device that took its occurrence (before the run that
        // names it is written): never a stale copy.
        let welcome = OutboxId::from_cause(workspace, &["a welcome"]);
        let mut runner = DeviceOutbox::default();
        let (_, work) = copy(&sent, ann);
        assert!(runner.queue_from_runner(welcome, work, 4));
        assert!(withdrawn_copies(workspace, &model, &runner).is_empty());
    }

    #[test]
    fn a_campaign_that_cannot_be_sent_says_why() {
        let f = fixture();
        let mut c = campaign(&[f.list], &[], false);
        c.subject = "Hi {{frist_name}}".into();
        assert!(matches!(check(&c), Err(CampaignError::Subject(TemplateError::UnknownFields(_)))));
        c.subject = " ".into();
        assert_eq!(check(&c), Err(CampaignError::NoSubject));
        c.subject = "Hi".into();
        c.body = "Dear {{name".into();
        assert!(matches!(check(&c), Err(CampaignError::Body(TemplateError::Unclosed { .. }))));
        c.body = "Dear {{name}}".into();
        c.include.clear();
        assert_eq!(check(&c), Err(CampaignError::NoAudience));
        c.include.push(f.list);
        c.sent_at = Some(Timestamp(1));
        assert_eq!(check(&c), Err(CampaignError::Sent));
    }
}

#[cfg(test)]
mod delivery_tests {
    use super::*;
    use crate::outbox::{Changes, ConsentEvent, Entry, State};

    /// The relay's news that each of `ids` was sent.
    fn sent(outbox: &mut DeviceOutbox, ids: impl Iterator<Item = OutboxId>) {
        let entries = ids
            .map(|id| Entry {
                id,
                kind: "bulk".into(),
                state: State::Sent,
                attempts: 1,
                queued_at: 10_000,
                updated_at: 10_001,
                reason: None,
                message_id: None,
                due_at: None,
                digest: None,
                version: 1,
            })
            .collect();
        outbox.apply(Changes { entries, version: 1, more: false });
    }

    #[test]
    fn a_copy_sent_before_its_address_unsubscribed_shows_as_unsubscribed_since() {
        let workspace = WorkspaceId::from_bytes([1; 16]);
        let parties = [1u8, 2, 3].map(|n| PartyId::from_bytes([n; 16]));
        let addresses = ["Ann@Example.com", "bob@example.com", "cat@example.com"];
        let mut campaign = CampaignRow::of(CampaignId::from_bytes([9; 16]), &Default::default());
        campaign.sent_at = Some(Timestamp(10_000_000));
        campaign.recipients =
            parties.iter().zip(addresses).map(|(p, a)| (*p, a.to_owned())).collect();
        let mut outbox = DeviceOutbox::default();
        sent(&mut outbox, parties.iter().map(|party| outbox_id(workspace, campaign.id, *party, 0)));
        // Ann unsubscribed after it went (the relay's log writes addresses normalised); Bob long before (his copy
        // was sent all the same by an older relay: it says sent); Cat never.
        let event = |seq, address: &str, at| ConsentEvent {
            seq,
            address: address.into(),
            opted_in: false,
            source: "one-click unsubscribe".into(),
            at,
        };
        outbox.apply_consent(vec![
            event(1, "bob@example.com", 5_000),
            event(2, "ann@example.com", 20_000),
        ]);
        let states: Vec<Delivery> =
            deliveries(workspace, &campaign, &outbox).into_iter().map(|(_, d)| d).collect();
        assert_eq!(states, [Delivery::Unsubscribed, Delivery::Sent, Delivery::Sent]);
        assert_eq!(tally(&deliveries(workspace, &campaign, &outbox))[&Delivery::Unsubscribed], 1);
    }

    #[test]
    fn a_copy_shows_whether_it_was_opened_or_clicked_and_an_unsubscribe_after_wins() {
        use crate::tracking::EngagementEvent;
        let workspace = WorkspaceId::from_bytes([1; 16]);
        let parties = [1u8, 2, 3, 4].map(|n| PartyId::from_bytes([n; 16]));
        let addresses =
            ["ann@example.com", "bob@example.com", "cat@example.com", "dan@example.com"];
        let mut campaign = CampaignRow::of(CampaignId::from_bytes([9; 16]), &Default::default());
        campaign.sent_at = Some(Timestamp(10_000_000));
        campaign.recipients =
            parties.iter().zip(addresses).map(|(p, a)| (*p, a.to_owned())).collect();
        let id = |n: usize| outbox_id(workspace, campaign.id, parties[n], 0);
        let mut outbox = DeviceOutbox::default();
        sent(&mut outbox, (0..4).map(id));
        let event = |seq, n: usize, link: Option<&str>| EngagementEvent {
            seq,
            item: id(n),
            link: link.map(str::to_owned),
            at: 10_100 + seq,
        };
        // Ann opened it; Bob's app blocks images, he clicked; Cat opened, clicked, then unsubscribed;
        // Dan did nothing (and a mail not of this campaign was opened).
        let other = OutboxId::from_cause(workspace, &["elsewhere"]);
        let events = vec![
            event(1, 0, None),
            event(2, 1, Some("https://acme.test/offer")),
            event(3, 2, None),
            event(4, 2, Some("https://acme.test/offer")),
            EngagementEvent { seq: 5, item: other, link: None, at: 10_200 },
        ];
        assert!(outbox.apply_engagement(events.clone(), 5));
        assert!(!outbox.apply_engagement(events, 5), "heard again, nothing changes");
        assert_eq!(outbox.engagement_seq(), 5);
        outbox.apply_consent(vec![ConsentEvent {
            seq: 1,
            address: "cat@example.com".into(),
            opted_in: false,
            source: "one-click unsubscribe".into(),
            at: 10_300,
        }]);
        let states: Vec<Delivery> =
            deliveries(workspace, &campaign, &outbox).into_iter().map(|(_, d)| d).collect();
        assert_eq!(
            states,
            [Delivery::Opened, Delivery::Clicked, Delivery::Unsubscribed, Delivery::Sent]
        );
        assert_eq!(
            engagement(workspace, &campaign, &outbox),
            Engagement { sent: 4, opened: 3, clicked: 2 },
            "Cat's open and click count, though she unsubscribed since"
        );
    }
}
