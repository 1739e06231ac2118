//! Automation rules: when something happens to a record — a person or organisation is created, one of
//! their fields becomes a value, a tag is added, a deal enters a stage, a date comes, a lead's score
//! reaches a line, or someone asks by hand — and the record meets the rule's condition (a segment),
//! the rule's actions are done: a field set, a tag added, a task made, an owner given in turn, a deal
//! moved, an email sent, colleagues notified, the person enrolled in a sequence.
//!
//! Every device sees every occurrence. Each is named by its cause — the record and what happened to
//! it (a deal's entry into a stage by when it entered, a date by its day) — and done once: by the
//! device that takes the cause's key in the relay's ledger, with every id it writes derived from the
//! cause (two devices making "the" task make one), the email and the notification queued under
//! derived ids the relay sends once, and the run written into the rule under the cause — its run
//! log: a device that sees the run does nothing.
//!
//! Only what happens once a rule is on sets it off: records created since, deals that entered the
//! stage since, dates that came since. A field's value, a tag or a score has no time of its own in
//! the records, so the records that already met such a trigger when the rule was switched on are
//! written down with it (its baseline) and never set it off; the others do once, when they meet it.
//! Text being typed sets nothing off: a field trigger waits for the whole value it names, and a field
//! is saved when it is left.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::campaigns::Sending;
use crate::ids::{
    AutomationId, DealId, InteractionId, MemberId, PartyId, SegmentId, SequenceId, StageId, TaskId,
    Timestamp, WorkspaceId,
};
use crate::model::{
    Automation, AutomationRun, ConsentState, CustomValue, Interaction, RecordKind, RecordRef, Task,
    WorkspaceSettings, names,
};
use crate::outbox::{Notify, OutboxId, Recipient, Work, plausible_address};
use crate::read_model::{CustomCell, DealRow, DealStatusRow, PartyRow, ReadModel};
use crate::segments::Audience;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// The hour (UTC) a date trigger fires on its day: records name days, not moments, and every device
/// must derive the same moment whatever its time zone.
const DATE_HOUR_MS: i64 = 9 * 60 * 60 * 1000;
/// The most days a date trigger may be moved, either way, and a task may be due after.
pub const MOST_DAYS: i64 = 3650;
/// An occurrence older than this when a device looks is left alone (7 days): a rule switched on does
/// not act on every date of the past year, and a record created last month that joins the rule's
/// segment today is not welcomed as a new sign-up. Devices all offline for longer miss what happened
/// meanwhile.
pub const GRACE_MS: i64 = 7 * DAY_MS;

/// What sets a rule off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Trigger {
    /// A person or organisation created.
    Created,
    /// One of their custom fields became the rule's value.
    Field,
    /// The rule's tag added to them.
    Tag,
    /// A deal entered the rule's stage.
    Stage,
    /// A date came: a custom date field of theirs, or a deal's expected close, moved by some days.
    Date,
    /// Their lead score reached the rule's points.
    Score,
    /// Someone asked, on their record.
    Manual,
}

impl Trigger {
    pub const ALL: [Trigger; 7] = [
        Trigger::Created,
        Trigger::Field,
        Trigger::Tag,
        Trigger::Stage,
        Trigger::Date,
        Trigger::Score,
        Trigger::Manual,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Trigger::Created => "created",
            Trigger::Field => "field",
            Trigger::Tag => "tag",
            Trigger::Stage => "stage",
            Trigger::Date => "date",
            Trigger::Score => "score",
            Trigger::Manual => "manual",
        }
    }

    pub fn from_key(key: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|trigger| trigger.key() == key)
    }

    /// Whether a rule switched on writes down who already meets it (see the module's notes).
    pub fn has_baseline(self) -> bool {
        matches!(self, Trigger::Field | Trigger::Tag | Trigger::Score)
    }
}

/// What a rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActionKind {
    /// Sets a custom field of the person to a value (an empty value clears it).
    Field,
    /// Adds a tag to the person.
    Tag,
    /// Makes a task for the record's owner, due after some days.
    Task,
    /// Gives the record an owner from a list, spread evenly among them.
    Owner,
    /// Moves the deal to a stage of its pipeline.
    Stage,
    /// Emails the person (merge fields as in campaigns), on their timeline.
    Email,
    /// Tells colleagues on their devices (the record's owner when none are named).
    Notify,
    /// Enrols the person in a sequence.
    Sequence,
}

impl ActionKind {
    pub const ALL: [ActionKind; 8] = [
        ActionKind::Field,
        ActionKind::Tag,
        ActionKind::Task,
        ActionKind::Owner,
        ActionKind::Stage,
        ActionKind::Email,
        ActionKind::Notify,
        ActionKind::Sequence,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ActionKind::Field => "field",
            ActionKind::Tag => "tag",
            ActionKind::Task => "task",
            ActionKind::Owner => "owner",
            ActionKind::Stage => "stage",
            ActionKind::Email => "email",
            ActionKind::Notify => "notify",
            ActionKind::Sequence => "sequence",
        }
    }

    pub fn from_key(key: &str) -> Option<ActionKind> {
        ActionKind::ALL.into_iter().find(|kind| kind.key() == key)
    }
}

/// One action of a rule as the read model keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRow {
    pub id: String,
    /// None: a kind from a newer version, done by nobody here.
    pub kind: Option<ActionKind>,
    /// A field action's custom field.
    pub field: String,
    /// A field action's value, a tag, a stage or a sequence (ids as text).
    pub value: String,
    /// An email's subject, a task's title, a notification's text.
    pub subject: String,
    /// An email's text.
    pub body: String,
    /// After how many days a task is due.
    pub days: u32,
    /// The owners spread among, or the colleagues notified.
    pub members: Vec<MemberId>,
}

/// A rule as the read model keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutomationRow {
    pub id: AutomationId,
    pub name: String,
    pub on_since: Option<Timestamp>,
    /// None: a trigger from a newer version, which sets nothing off here.
    pub trigger: Option<Trigger>,
    pub field: String,
    pub value: String,
    pub stage: Option<StageId>,
    pub days: i64,
    pub points: i64,
    pub segment: Option<SegmentId>,
    /// In order.
    pub actions: Vec<ActionRow>,
    /// Subjects ([`Subject::key`]) that met the trigger when it was switched on.
    pub baseline: BTreeSet<String>,
    /// Asked by hand: when and by whom, under `subject/millis`.
    pub asked: BTreeMap<String, (Timestamp, Option<MemberId>)>,
    /// The run log, by cause.
    pub runs: BTreeMap<String, AutomationRun>,
    pub created_by: Option<MemberId>,
    pub created_at: Timestamp,
    pub archived: bool,
}

impl AutomationRow {
    pub fn of(id: AutomationId, rule: &Automation) -> AutomationRow {
        let mut actions: Vec<(u32, ActionRow)> = rule
            .actions
            .iter()
            .map(|(id, action)| {
                let row = ActionRow {
                    id: id.clone(),
                    kind: ActionKind::from_key(&action.kind),
                    field: action.field.clone(),
                    value: action.value.clone(),
                    subject: action.subject.clone(),
                    body: action.body.clone(),
                    days: action.days.min(MOST_DAYS as u32),
                    members: names(&action.members).filter_map(|m| m.parse().ok()).collect(),
                };
                (action.position, row)
            })
            .collect();
        actions.sort_by(|(a, one), (b, other)| a.cmp(b).then_with(|| one.id.cmp(&other.id)));
        AutomationRow {
            id,
            name: rule.name.clone(),
            on_since: rule.on_since,
            trigger: Trigger::from_key(&rule.trigger),
            field: rule.field.trim().to_owned(),
            value: rule.value.trim().to_owned(),
            stage: rule.stage.parse().ok(),
            days: rule.days.clamp(-MOST_DAYS, MOST_DAYS),
            points: rule.points,
            segment: rule.segment.as_deref().and_then(|s| s.parse().ok()),
            actions: actions.into_iter().map(|(_, row)| row).collect(),
            baseline: rule.baseline.keys().cloned().collect(),
            asked: rule
                .asked
                .iter()
                .map(|(key, asked)| (key.clone(), (asked.at, asked.by)))
                .collect(),
            runs: rule.runs.clone(),
            created_by: rule.created_by,
            created_at: rule.created_at,
            archived: rule.archived,
        }
    }

    /// Whether it acts now: switched on, not archived, with a trigger this version knows.
    pub fn is_on(&self) -> bool {
        self.on_since.is_some() && !self.archived && self.trigger.is_some()
    }
}

/// The record an occurrence happened to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Party(PartyId),
    Deal(DealId),
}

impl Subject {
    /// How the rule's baseline, requests and run log name it: a party by its id — the keys a
    /// person's export and erasure find as theirs (`crate::privacy`) — and a deal as `deal:id`.
    pub fn key(self) -> String {
        match self {
            Subject::Party(id) => id.to_string(),
            Subject::Deal(id) => format!("deal:{id}"),
        }
    }

    pub fn from_key(key: &str) -> Option<Subject> {
        match key.strip_prefix("deal:") {
            Some(id) => id.parse().ok().map(Subject::Deal),
            None => key.parse().ok().map(Subject::Party),
        }
    }

    /// Where its record is shown.
    pub fn path(self) -> String {
        match self {
            Subject::Party(id) => format!("/parties/{id}"),
            Subject::Deal(id) => format!("/deals/{id}"),
        }
    }
}

/// One occurrence of a rule's trigger, to be acted on once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firing {
    pub rule: AutomationId,
    /// What happened, as the run log names it: the subject's key and the occurrence.
    pub cause: String,
    pub subject: Subject,
    /// The person or organisation it concerns (a deal's first party).
    pub party: Option<PartyId>,
    /// When it happened (for a date, its moment; for a value, a tag or a score, when it was seen).
    pub at: Timestamp,
}

impl Firing {
    /// The key one device takes in the relay's ledger to act on it.
    pub fn key(&self, workspace: WorkspaceId) -> OutboxId {
        run_key(workspace, self.rule, &self.cause)
    }
}

pub fn run_key(workspace: WorkspaceId, rule: AutomationId, cause: &str) -> OutboxId {
    OutboxId::from_cause(workspace, &["automation", &rule.to_string(), cause])
}

/// An id derived from an occurrence and one of its rule's actions: the same on every device.
fn derived(workspace: WorkspaceId, rule: AutomationId, cause: &str, action: &str) -> [u8; 16] {
    crate::outbox::derived_uuid(workspace, &["automation", &rule.to_string(), cause, action])
}

pub fn action_task(
    workspace: WorkspaceId,
    rule: AutomationId,
    cause: &str,
    action: &str,
) -> TaskId {
    TaskId::from_bytes(derived(workspace, rule, cause, action))
}

pub fn action_mail(
    workspace: WorkspaceId,
    rule: AutomationId,
    cause: &str,
    action: &str,
) -> InteractionId {
    InteractionId::from_bytes(derived(workspace, rule, cause, action))
}

pub fn action_notification(
    workspace: WorkspaceId,
    rule: AutomationId,
    cause: &str,
    action: &str,
) -> OutboxId {
    OutboxId::from_cause(workspace, &["automation-notify", &rule.to_string(), cause, action])
}

/// Why an action did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// It needs a person or organisation, and the record has none (a deal with no party).
    NoParty,
    /// It needs a deal.
    NotADeal,
    /// Nothing chosen yet, or what was chosen is gone (a field, a stage, a sequence, the owners).
    Unset,
    /// The value does not fit the field.
    BadValue(String),
    /// The deal is won or lost.
    DealClosed,
    /// No address they may be mailed at, or they said no to marketing email.
    NoAddress,
    NoConsent,
    /// The email's merge fields could not be filled.
    Unfilled(String),
    /// Already enrolled in that sequence.
    Enrolled,
    /// An action kind from a newer version.
    Unknown,
}

impl Skip {
    /// How the run log words it (the screen words it in its language).
    pub fn key(&self) -> String {
        match self {
            Skip::NoParty => "no_party".into(),
            Skip::NotADeal => "not_a_deal".into(),
            Skip::Unset => "unset".into(),
            Skip::BadValue(why) => format!("bad_value:{why}"),
            Skip::DealClosed => "deal_closed".into(),
            Skip::NoAddress => "no_address".into(),
            Skip::NoConsent => "no_consent".into(),
            Skip::Unfilled(why) => format!("unfilled:{why}"),
            Skip::Enrolled => "enrolled".into(),
            Skip::Unknown => "unknown".into(),
        }
    }
}

/// What each of a rule's actions does for one occurrence, in order, with the action's kind.
pub type Plan = Vec<(Option<ActionKind>, Effect)>;

/// What one action does to one occurrence's record.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    SetField {
        party: PartyId,
        field: String,
        value: Option<CustomValue>,
    },
    AddTag {
        party: PartyId,
        tag: String,
    },
    Task {
        id: TaskId,
        record: Box<Task>,
    },
    Owner {
        subject: Subject,
        member: MemberId,
    },
    Stage {
        deal: DealId,
        stage: StageId,
    },
    /// The email on the party's timeline, and its mail (queued under [`OutboxId::of_mail`]).
    Email {
        interaction: InteractionId,
        record: Box<Interaction>,
        mail: Box<Work>,
    },
    /// A notification the relay pushes at once, under its derived id.
    Notify {
        id: OutboxId,
        work: Box<Work>,
    },
    Enrol {
        sequence: SequenceId,
        party: PartyId,
    },
    Skip(Skip),
}

impl Effect {
    /// How the run log names what it did: the action's kind, or `skip:` and why.
    pub fn log(&self, kind: Option<ActionKind>) -> String {
        match (self, kind) {
            (Effect::Skip(why), _) => format!("skip:{}", why.key()),
            (_, Some(kind)) => kind.key().to_owned(),
            (_, None) => "skip:unknown".to_owned(),
        }
    }
}

/// What the records say about every rule, for one round.
#[derive(Debug)]
pub struct Automations<'m> {
    workspace: WorkspaceId,
    model: &'m ReadModel,
    settings: &'m WorkspaceSettings,
    audience: &'m Audience<'m>,
    scores: Option<&'m HashMap<PartyId, i64>>,
    /// The members of each segment a rule names.
    segments: HashMap<SegmentId, HashSet<PartyId>>,
    /// The records merged into each surviving one.
    merged_into: HashMap<PartyId, Vec<PartyId>>,
}

impl<'m> Automations<'m> {
    /// `scores` are the lead scores, when a rule reaches for them (none: no score trigger fires).
    pub fn new(
        workspace: WorkspaceId,
        model: &'m ReadModel,
        settings: &'m WorkspaceSettings,
        audience: &'m Audience<'m>,
        scores: Option<&'m HashMap<PartyId, i64>>,
    ) -> Automations<'m> {
        let mut segments = HashMap::new();
        for rule in model.automations.values().filter(|rule| rule.is_on()) {
            let Some(id) = rule.segment else { continue };
            if segments.contains_key(&id) {
                continue;
            }
            let members = match model.segments.get(&id).filter(|s| !s.archived) {
                Some(segment) => audience.of_segment(segment).iter().map(|row| row.id).collect(),
                None => HashSet::new(),
            };
            segments.insert(id, members);
        }
        let mut merged_into: HashMap<PartyId, Vec<PartyId>> = HashMap::new();
        for row in model.parties.values().filter(|row| row.merged_into.is_some()) {
            merged_into.entry(crate::segments::survivor(model, row.id)).or_default().push(row.id);
        }
        Automations { workspace, model, settings, audience, scores, segments, merged_into }
    }

    /// Every occurrence due now, of every rule that is on, not yet in its run log (under the record
    /// or one merged into it), no older than [`GRACE_MS`]: oldest first.
    pub fn due(&self, now: Timestamp) -> Vec<Firing> {
        let mut due = Vec::new();
        for rule in self.model.automations.values().filter(|rule| rule.is_on()) {
            for firing in self.occurrences(rule, now, false) {
                if now.0 - firing.at.0 <= GRACE_MS
                    && !self.ran(rule, &firing)
                    && self.meets_condition(rule, &firing)
                {
                    due.push(firing);
                }
            }
        }
        due.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.cause.cmp(&b.cause)));
        due
    }

    /// Whether `rule` ran for `firing`, under its record or a record merged into it since (the same
    /// occurrence: what the merged record had, the survivor has now).
    fn ran(&self, rule: &AutomationRow, firing: &Firing) -> bool {
        if rule.runs.contains_key(&firing.cause) {
            return true;
        }
        let Subject::Party(party) = firing.subject else { return false };
        let what = &firing.cause[firing.subject.key().len()..];
        self.merged(party).any(|old| rule.runs.contains_key(&format!("{old}{what}")))
    }

    /// The records merged into `party`, however many merges ago.
    fn merged(&self, party: PartyId) -> impl Iterator<Item = PartyId> + '_ {
        self.merged_into.get(&party).into_iter().flatten().copied()
    }

    /// The subjects that meet `rule`'s trigger now, written down when it is switched on (see the
    /// module's notes); none for a trigger with no baseline. Archived records too: restored, they
    /// must not set it off for what they had.
    pub fn baseline(&self, rule: &AutomationRow, now: Timestamp) -> Vec<String> {
        if !rule.trigger.is_some_and(Trigger::has_baseline) {
            return Vec::new();
        }
        let mut keys: Vec<String> =
            self.occurrences(rule, now, true).into_iter().map(|f| f.subject.key()).collect();
        keys.sort();
        keys.dedup();
        keys
    }

    /// The occurrences of `rule`'s trigger as the records stand at `now`. `all` ignores when the
    /// rule was switched on and its baseline (a test against a record, a baseline being taken).
    fn occurrences(&self, rule: &AutomationRow, now: Timestamp, all: bool) -> Vec<Firing> {
        let since =
            if all { Timestamp(i64::MIN) } else { rule.on_since.unwrap_or(Timestamp(i64::MAX)) };
        // Not in the baseline, nor any record merged into it.
        let fresh = |subject: Subject| {
            let Subject::Party(party) = subject else { return true };
            all || !(rule.baseline.contains(&subject.key())
                || self.merged(party).any(|old| rule.baseline.contains(&old.to_string())))
        };
        let parties = || {
            self.model.parties.values().filter(move |row| {
                !row.erased && row.merged_into.is_none() && (all || !row.archived)
            })
        };
        let firing = |subject: Subject, party: Option<PartyId>, what: String, at: Timestamp| {
            Firing { rule: rule.id, cause: format!("{}/{what}", subject.key()), subject, party, at }
        };
        let mut found = Vec::new();
        match rule.trigger {
            None => {}
            Some(Trigger::Created) => {
                // Those past the week's grace are not even named: a workspace holds years of them.
                let recent = |row: &&PartyRow| all || now.0 - row.created_at.0 <= GRACE_MS;
                for row in parties().filter(|row| row.created_at >= since).filter(recent) {
                    let subject = Subject::Party(row.id);
                    found.push(firing(subject, Some(row.id), "created".into(), row.created_at));
                }
            }
            Some(Trigger::Field) => {
                let Some(wanted) = self.field_value(&rule.field, &rule.value) else {
                    return found;
                };
                for row in parties() {
                    let has =
                        row.custom.iter().any(|(key, cell)| *key == rule.field && *cell == wanted);
                    let subject = Subject::Party(row.id);
                    if has && fresh(subject) {
                        let what = format!("field/{}={}", rule.field, rule.value);
                        found.push(firing(subject, Some(row.id), what, now));
                    }
                }
            }
            Some(Trigger::Tag) => {
                let tag = rule.value.as_str();
                if tag.is_empty() {
                    return found;
                }
                for row in parties() {
                    let subject = Subject::Party(row.id);
                    if row.tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) && fresh(subject) {
                        found.push(firing(subject, Some(row.id), format!("tag/{tag}"), now));
                    }
                }
            }
            Some(Trigger::Score) => {
                let Some(scores) = self.scores else { return found };
                for row in parties() {
                    let subject = Subject::Party(row.id);
                    let points = scores.get(&row.id).copied().unwrap_or(0);
                    if points >= rule.points && fresh(subject) {
                        let what = format!("score/{}", rule.points);
                        found.push(firing(subject, Some(row.id), what, now));
                    }
                }
            }
            Some(Trigger::Stage) => {
                let Some(stage) = rule.stage else { return found };
                for deal in self.model.deals.values() {
                    if deal.stage != stage
                        || deal.status != DealStatusRow::Open
                        || deal.stage_since < since
                    {
                        continue;
                    }
                    let subject = Subject::Deal(deal.id);
                    let what = format!("stage/{stage}/{}", deal.stage_since.0);
                    found.push(firing(
                        subject,
                        first_party(self.model, deal),
                        what,
                        deal.stage_since,
                    ));
                }
            }
            Some(Trigger::Date) => {
                for (subject, party, day) in self.dates(&rule.field) {
                    let Some(moment) = date_moment(&day, rule.days) else { continue };
                    let came = moment <= now.0 && moment >= since.0;
                    if came {
                        let what = format!("date/{}/{day}/{}", rule.field, rule.days);
                        found.push(firing(subject, party, what, Timestamp(moment)));
                    }
                }
            }
            Some(Trigger::Manual) => {
                for (key, (at, _)) in &rule.asked {
                    let Some((subject_key, _)) = key.rsplit_once('/') else { continue };
                    // The record as it is now: one merged since counts as its survivor; one gone
                    // (erased, or a deal no longer there) is not run on.
                    let subject = match Subject::from_key(subject_key) {
                        Some(Subject::Party(id)) => {
                            let id = crate::segments::survivor(self.model, id);
                            match self.model.parties.get(&id).filter(|row| live(row)) {
                                Some(_) => Subject::Party(id),
                                None => continue,
                            }
                        }
                        Some(Subject::Deal(id)) if self.model.deals.contains_key(&id) => {
                            Subject::Deal(id)
                        }
                        _ => continue,
                    };
                    let party = match subject {
                        Subject::Party(id) => Some(id),
                        Subject::Deal(id) => {
                            self.model.deals.get(&id).and_then(|deal| first_party(self.model, deal))
                        }
                    };
                    if all || *at >= since {
                        found.push(firing(subject, party, format!("manual/{}", at.0), *at));
                    }
                }
            }
        }
        found
    }

    /// The value a field trigger waits for, as a record's cell would hold it; none when the field
    /// is not a custom field of people or the value does not fit it.
    fn field_value(&self, field: &str, value: &str) -> Option<CustomCell> {
        let def = self.settings.custom_fields.get(field)?;
        if def.applies_to != RecordKind::Party {
            return None;
        }
        def.parse(value).ok().flatten().map(|value| CustomCell::of(&value))
    }

    /// Every date `field` names: a custom date field of people and organisations, or the expected
    /// close of open deals (`expected_close`), as a day (`YYYY-MM-DD`).
    fn dates(&self, field: &str) -> Vec<(Subject, Option<PartyId>, String)> {
        if field == "expected_close" {
            return self
                .model
                .deals
                .values()
                .filter(|deal| deal.status == DealStatusRow::Open)
                .filter_map(|deal| {
                    let day =
                        crate::contract::write_day(crate::contract::utc_day(deal.expected_close?));
                    Some((Subject::Deal(deal.id), first_party(self.model, deal), day))
                })
                .collect();
        }
        self.model
            .parties
            .values()
            .filter(|row| live(row))
            .filter_map(|row| {
                let day = row.custom.iter().find_map(|(key, cell)| match cell {
                    CustomCell::Date(day) if key == field => Some(day.clone()),
                    _ => None,
                })?;
                Some((Subject::Party(row.id), Some(row.id), day))
            })
            .collect()
    }

    /// Whether the firing's person is in the rule's segment (anyone, when it names none; nobody,
    /// when the segment is gone or the firing has no person).
    fn meets_condition(&self, rule: &AutomationRow, firing: &Firing) -> bool {
        let Some(segment) = rule.segment else { return true };
        let Some(party) = firing.party else { return false };
        let party = crate::segments::survivor(self.model, party);
        self.segments.get(&segment).is_some_and(|members| members.contains(&party))
    }

    /// What `rule`'s actions do for `firing` at `now`: each action's effect, in order. `support` is
    /// the workspace's support address (emails answer to it, so replies come back to the timeline).
    pub fn plan(
        &self,
        rule: &AutomationRow,
        firing: &Firing,
        how: Sending,
        support: Option<&str>,
        now: Timestamp,
    ) -> Plan {
        rule.actions
            .iter()
            .map(|action| (action.kind, self.effect(rule, firing, action, how, support, now)))
            .collect()
    }

    fn effect(
        &self,
        rule: &AutomationRow,
        firing: &Firing,
        action: &ActionRow,
        how: Sending,
        support: Option<&str>,
        now: Timestamp,
    ) -> Effect {
        let model = self.model;
        let party = firing.party.and_then(|id| model.parties.get(&id)).filter(|row| live(row));
        let deal = match firing.subject {
            Subject::Deal(id) => model.deals.get(&id),
            Subject::Party(_) => None,
        };
        let owner = match firing.subject {
            Subject::Deal(_) => deal.and_then(|deal| deal.owner),
            Subject::Party(_) => party.and_then(|row| row.owner),
        };
        let Some(kind) = action.kind else { return Effect::Skip(Skip::Unknown) };
        let members = |list: &[MemberId]| -> Vec<MemberId> {
            list.iter()
                .copied()
                .filter(|m| self.settings.members.contains_key(&m.to_string()))
                .collect()
        };
        match kind {
            ActionKind::Field => {
                let Some(row) = party else { return Effect::Skip(Skip::NoParty) };
                let Some(def) = self.settings.custom_fields.get(&action.field) else {
                    return Effect::Skip(Skip::Unset);
                };
                if def.applies_to != RecordKind::Party {
                    return Effect::Skip(Skip::Unset);
                }
                match def.parse(&action.value) {
                    Ok(value) => {
                        Effect::SetField { party: row.id, field: action.field.clone(), value }
                    }
                    Err(error) => Effect::Skip(Skip::BadValue(error.to_string())),
                }
            }
            ActionKind::Tag => {
                let Some(row) = party else { return Effect::Skip(Skip::NoParty) };
                match action.value.trim() {
                    "" => Effect::Skip(Skip::Unset),
                    tag => Effect::AddTag { party: row.id, tag: tag.to_owned() },
                }
            }
            ActionKind::Task => {
                let name = match (deal, party) {
                    (Some(deal), _) => deal.title.clone(),
                    (None, Some(row)) => row.name.clone(),
                    (None, None) => return Effect::Skip(Skip::NoParty),
                };
                let title = match action.subject.trim() {
                    "" => rule.name.trim().to_owned(),
                    title => title.to_owned(),
                };
                let mut links = Vec::new();
                if let Some(row) = party {
                    links.push(RecordRef::Party(row.id));
                }
                if let Some(deal) = deal {
                    links.push(RecordRef::Deal(deal.id));
                }
                let task = Task {
                    title: format!("{title} — {name}"),
                    due: Some(Timestamp(now.0 + i64::from(action.days) * DAY_MS)),
                    assignee: owner.or(rule.created_by),
                    links,
                    done_at: None,
                    recurrence: None,
                    snoozed_until: None,
                    created_at: now,
                    archived: false,
                };
                let id = action_task(self.workspace, rule.id, &firing.cause, &action.id);
                Effect::Task { id, record: Box::new(task) }
            }
            ActionKind::Owner => {
                let pool = members(&action.members);
                if pool.is_empty() {
                    return Effect::Skip(Skip::Unset);
                }
                if firing.party.is_some() && party.is_none() && deal.is_none() {
                    return Effect::Skip(Skip::NoParty);
                }
                // Spread evenly, by the occurrence: every device, and a device doing it again, gives
                // the same one.
                let pick = derived(self.workspace, rule.id, &firing.cause, &action.id);
                let n = u64::from_be_bytes(pick[..8].try_into().unwrap_or_default());
                let member = pool[(n % pool.len() as u64) as usize];
                Effect::Owner { subject: firing.subject, member }
            }
            ActionKind::Stage => {
                let Some(deal) = deal else { return Effect::Skip(Skip::NotADeal) };
                if deal.status != DealStatusRow::Open {
                    return Effect::Skip(Skip::DealClosed);
                }
                let stage = action.value.parse::<StageId>().ok().filter(|stage| {
                    self.settings
                        .pipelines
                        .get(&deal.pipeline.to_string())
                        .is_some_and(|pipeline| pipeline.probability(*stage).is_some())
                });
                match stage {
                    Some(stage) => Effect::Stage { deal: deal.id, stage },
                    None => Effect::Skip(Skip::Unset),
                }
            }
            ActionKind::Email => {
                let Some(row) = party else { return Effect::Skip(Skip::NoParty) };
                if self.audience.consent(row) == ConsentState::Refused {
                    return Effect::Skip(Skip::NoConsent);
                }
                let address = row.emails.iter().map(|e| e.trim()).find(|e| plausible_address(e));
                let Some(address) = address else { return Effect::Skip(Skip::NoAddress) };
                let filled = crate::campaigns::filled_mail(
                    &action.subject,
                    &action.body,
                    &rule.name,
                    model,
                    row,
                    address,
                    how,
                );
                let mut mail = match filled {
                    Ok(mail) => mail,
                    Err(problem) => return Effect::Skip(Skip::Unfilled(problem.to_string())),
                };
                mail.reply_to = support
                    .map(|address| Recipient { address: address.to_owned(), name: String::new() });
                if let Err(problem) = mail.check() {
                    return Effect::Skip(Skip::Unfilled(problem.to_string()));
                }
                let interaction = action_mail(self.workspace, rule.id, &firing.cause, &action.id);
                let record = crate::sequences::timeline_email(&mail, row.id, now);
                Effect::Email {
                    interaction,
                    record: Box::new(record),
                    mail: Box::new(Work::Mail(mail)),
                }
            }
            ActionKind::Notify => {
                let mut to = members(&action.members);
                if to.is_empty() {
                    to.extend(owner.or(rule.created_by));
                }
                if to.is_empty() {
                    return Effect::Skip(Skip::Unset);
                }
                to.sort();
                to.dedup();
                to.truncate(crate::outbox::MOST_NOTIFIED);
                let name = match (deal, party) {
                    (Some(deal), _) => deal.title.as_str(),
                    (None, Some(row)) => row.name.as_str(),
                    (None, None) => rule.name.as_str(),
                };
                let text = match action.subject.trim() {
                    "" => rule.name.trim(),
                    text => text,
                };
                let notify = Notify {
                    due_at: now.0.div_euclid(1000),
                    to,
                    title: crate::jobs::title(name),
                    body: crate::jobs::title(text),
                    open: firing.subject.path(),
                };
                let id = action_notification(self.workspace, rule.id, &firing.cause, &action.id);
                Effect::Notify { id, work: Box::new(Work::Notify(notify)) }
            }
            ActionKind::Sequence => {
                let Some(row) = party else { return Effect::Skip(Skip::NoParty) };
                let sequence = action
                    .value
                    .parse::<SequenceId>()
                    .ok()
                    .and_then(|id| model.sequences.get(&id))
                    .filter(|sequence| !sequence.archived);
                let Some(sequence) = sequence else { return Effect::Skip(Skip::Unset) };
                if crate::sequences::newcomers(sequence, model, [row.id]).is_empty() {
                    return Effect::Skip(Skip::Enrolled);
                }
                Effect::Enrol { sequence: sequence.id, party: row.id }
            }
        }
    }

    /// A test of `rule` against one record before it is switched on: whether its trigger holds for
    /// the record now (whenever it was switched on, and whoever met it then), whether the record
    /// meets its condition, and what each action would do.
    pub fn preview(
        &self,
        rule: &AutomationRow,
        subject: Subject,
        how: Sending,
        support: Option<&str>,
        now: Timestamp,
    ) -> Preview {
        let found = self.occurrences(rule, now, true).into_iter().find(|f| f.subject == subject);
        let party = match subject {
            Subject::Party(id) => Some(id),
            Subject::Deal(id) => self.model.deals.get(&id).and_then(|d| first_party(self.model, d)),
        };
        let firing = found.clone().unwrap_or_else(|| Firing {
            rule: rule.id,
            cause: format!("{}/preview", subject.key()),
            subject,
            party,
            at: now,
        });
        let already = found.as_ref().is_some_and(|f| rule.runs.contains_key(&f.cause));
        Preview {
            triggered: found.is_some(),
            already,
            condition: self.meets_condition_now(rule, &firing),
            effects: self.plan(rule, &firing, how, support, now),
        }
    }

    /// [`Automations::meets_condition`] for a rule that may be off (its segment not gathered).
    fn meets_condition_now(&self, rule: &AutomationRow, firing: &Firing) -> bool {
        let Some(segment) = rule.segment else { return true };
        if self.segments.contains_key(&segment) {
            return self.meets_condition(rule, firing);
        }
        let Some(party) = firing.party else { return false };
        let party = crate::segments::survivor(self.model, party);
        self.model
            .segments
            .get(&segment)
            .filter(|s| !s.archived)
            .is_some_and(|s| self.audience.of_segment(s).iter().any(|row| row.id == party))
    }
}

/// What testing a rule against a record found.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The trigger holds for the record now.
    pub triggered: bool,
    /// The rule already ran for that occurrence.
    pub already: bool,
    /// The record meets the rule's condition.
    pub condition: bool,
    /// What each action would do.
    pub effects: Plan,
}

fn live(row: &PartyRow) -> bool {
    !row.archived && row.merged_into.is_none() && !row.erased
}

fn first_party(model: &ReadModel, deal: &DealRow) -> Option<PartyId> {
    deal.parties.first().map(|party| crate::segments::survivor(model, *party))
}

/// The moment (Unix ms) a date trigger fires for `day` (`YYYY-MM-DD`) moved by `days`: 09:00 UTC.
fn date_moment(day: &str, days: i64) -> Option<i64> {
    let date = crate::contract::parse_day(day)?;
    let midnight = crate::contract::utc_midnight(date).0;
    Some(midnight + days * DAY_MS + DATE_HOUR_MS)
}

/// The run written into the rule once its actions are done.
pub fn run(
    firing: &Firing,
    by: Option<MemberId>,
    did: Vec<String>,
    now: Timestamp,
) -> AutomationRun {
    AutomationRun { at: now, subject: firing.subject.key(), by, did }
}

#[cfg(test)]
mod tests;
