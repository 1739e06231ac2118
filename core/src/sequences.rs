//! Drip sequences, decided: where each enrolled party stands in a sequence is derived from the
//! sequence (its steps, who was enrolled when, the steps done) and what is known of the party (their
//! replies, opt-outs and won deals, how they took the sequence's mails) — never stored, so every
//! device agrees on it ([`standing`]).
//!
//! A step is done once for each party although every device sees it come due: the device that takes
//! its key in the relay's ledger ([`step_key`]) does it and writes a run into the sequence; what it
//! writes has ids derived from the sequence, the party and the step ([`mail_interaction`],
//! [`step_task`]), so a device that does it again (its hold lapsed before it said it was done) writes
//! the same records and queues the same mail, which the relay sends once.
//!
//! Waits count from when the step before was done, not from the enrolment: a sequence paused for a
//! week goes on where it stood instead of sending every step it missed at once. A step not yet
//! written (an email without its subject or text) holds those who reach it until it is. Once a party
//! went through or left, a device writes it down ([`Sequence::outcomes`]): a step added later,
//! consent given again or a deal reopened does not take them back in.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::campaigns::{CampaignError, Sending};
use crate::ids::{InteractionId, MemberId, PartyId, SequenceId, TaskId, Timestamp, WorkspaceId};
use crate::model::{
    ConsentState, Enrolment, Interaction, InteractionKind, RecordRef, Sequence, StepRun, Task,
};
use crate::outbox::{DeviceOutbox, Mail, OutboxId, Recipient, Work, plausible_address};
use crate::read_model::{DealStatusRow, PartyRow, ReadModel};

const DAY_MS: i64 = 86_400_000;
/// The longest wait or task delay a step may have, in days.
pub const MOST_DAYS: u32 = 3_650;

/// What a step does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StepKind {
    /// A mail to the party, on their timeline.
    Email,
    /// A task for the party's owner (the sequence's author when they have none).
    Task,
    /// Nothing for some days.
    Wait,
    /// Goes to a later step (or the end) as soon as the party opened, clicked or replied to the
    /// sequence's mails so far; on to the next step if they have not within its days.
    Branch,
    /// The end of a path: the party is through the sequence.
    End,
}

impl StepKind {
    pub const ALL: [StepKind; 5] =
        [StepKind::Email, StepKind::Task, StepKind::Wait, StepKind::Branch, StepKind::End];

    pub fn key(self) -> &'static str {
        match self {
            StepKind::Email => "email",
            StepKind::Task => "task",
            StepKind::Wait => "wait",
            StepKind::Branch => "branch",
            StepKind::End => "end",
        }
    }

    pub fn from_key(key: &str) -> Option<StepKind> {
        StepKind::ALL.into_iter().find(|kind| kind.key() == key)
    }
}

/// What a branch asks of the sequence's mails to a party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reaction {
    Opened,
    Clicked,
    Replied,
}

impl Reaction {
    pub const ALL: [Reaction; 3] = [Reaction::Opened, Reaction::Clicked, Reaction::Replied];

    pub fn key(self) -> &'static str {
        match self {
            Reaction::Opened => "opened",
            Reaction::Clicked => "clicked",
            Reaction::Replied => "replied",
        }
    }

    pub fn from_key(key: &str) -> Option<Reaction> {
        Reaction::ALL.into_iter().find(|reaction| reaction.key() == key)
    }
}

/// A step as the read model keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepRow {
    pub id: String,
    /// `None` for a kind this version does not know: it holds those who reach it (a newer version
    /// does it).
    pub kind: Option<StepKind>,
    pub subject: String,
    pub body: String,
    pub days: u32,
    /// A branch's question (opened when unset; `None` for one this version does not know, which
    /// holds those who reach it like an unknown step).
    pub on: Option<Reaction>,
    /// A branch's step when the answer is yes; `None` for the end.
    pub then: Option<String>,
}

impl StepRow {
    /// Whether it may be done: an email needs its subject and text, each a template that reads; a
    /// step or a branch's question this version does not know cannot be. Such a step holds those
    /// who reach it, rather than being passed over for good.
    pub fn written(&self) -> bool {
        match self.kind {
            None => false,
            Some(StepKind::Branch) => self.on.is_some(),
            Some(StepKind::Email) => {
                let reads = |text: &str| {
                    !text.trim().is_empty() && crate::template::Template::parse(text).is_ok()
                };
                reads(&self.subject) && reads(&self.body)
            }
            _ => true,
        }
    }
}

/// A sequence as the read model keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceRow {
    pub id: SequenceId,
    pub name: String,
    /// In order.
    pub steps: Vec<StepRow>,
    pub stay_on_reply: bool,
    pub paused: bool,
    pub enrolled: BTreeMap<PartyId, Enrolment>,
    pub removed: BTreeMap<PartyId, Timestamp>,
    /// Steps done, by party and step id.
    pub runs: BTreeMap<(PartyId, String), StepRun>,
    /// How it ended for those through it or gone from it, as first seen.
    pub outcomes: BTreeMap<PartyId, (Timestamp, Leave)>,
    pub created_by: Option<MemberId>,
    pub created_at: Timestamp,
    pub archived: bool,
}

impl SequenceRow {
    pub fn of(id: SequenceId, sequence: &Sequence) -> SequenceRow {
        let mut steps: Vec<(u32, StepRow)> = sequence
            .steps
            .iter()
            .map(|(id, step)| {
                let then = step.then.trim();
                let row = StepRow {
                    id: id.clone(),
                    kind: StepKind::from_key(&step.kind),
                    subject: step.subject.clone(),
                    body: step.body.clone(),
                    days: step.days.min(MOST_DAYS),
                    on: match step.on.trim() {
                        "" => Some(Reaction::Opened),
                        key => Reaction::from_key(key),
                    },
                    then: (!then.is_empty()).then(|| then.to_owned()),
                };
                (step.position, row)
            })
            .collect();
        steps.sort_by(|(a, one), (b, other)| a.cmp(b).then_with(|| one.id.cmp(&other.id)));
        let parties = |text: &str| text.parse::<PartyId>().ok();
        SequenceRow {
            id,
            name: sequence.name.clone(),
            steps: steps.into_iter().map(|(_, row)| row).collect(),
            stay_on_reply: sequence.stay_on_reply,
            paused: sequence.paused,
            enrolled: sequence
                .enrolled
                .iter()
                .filter_map(|(party, enrolment)| Some((parties(party)?, *enrolment)))
                .collect(),
            removed: sequence
                .removed
                .iter()
                .filter_map(|(party, at)| Some((parties(party)?, *at)))
                .collect(),
            runs: sequence
                .runs
                .iter()
                .filter_map(|(key, run)| {
                    let (party, step) = key.split_once('/')?;
                    Some(((parties(party)?, step.to_owned()), *run))
                })
                .collect(),
            outcomes: sequence
                .outcomes
                .iter()
                .filter_map(|(party, outcome)| {
                    Some((parties(party)?, (outcome.at, Leave::from_key(&outcome.how)?)))
                })
                .collect(),
            created_by: sequence.created_by,
            created_at: sequence.created_at,
            archived: sequence.archived,
        }
    }

    /// Where a branch at `index` goes when its answer is yes: the index of its later step, or the end
    /// (a step that is gone or comes before the branch is the end, so a sequence never loops).
    fn yes_of(&self, index: usize) -> usize {
        let end = self.steps.len();
        let Some(then) = self.steps[index].then.as_deref() else { return end };
        match self.steps.iter().position(|step| step.id == then) {
            Some(target) if target > index => target,
            _ => end,
        }
    }

    /// The steps a branch at `index` may go to: those after it.
    pub fn later_steps(&self, index: usize) -> &[StepRow] {
        self.steps.get(index + 1..).unwrap_or(&[])
    }
}

/// The key of a run in [`Sequence::runs`].
pub fn run_key(party: PartyId, step: &str) -> String {
    format!("{party}/{step}")
}

/// Why a party's time in a sequence ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Leave {
    /// They went through its steps.
    Finished,
    /// They answered one of its mails (unless the sequence keeps those who reply).
    Replied,
    /// They unsubscribed or refused marketing mail.
    Unsubscribed,
    /// A deal of theirs was won after they were enrolled.
    DealWon,
    /// A member took them out.
    Removed,
    /// Their record was archived, merged or erased.
    Gone,
}

impl Leave {
    pub fn key(self) -> &'static str {
        match self {
            Leave::Finished => "finished",
            Leave::Replied => "replied",
            Leave::Unsubscribed => "unsubscribed",
            Leave::DealWon => "deal_won",
            Leave::Removed => "removed",
            Leave::Gone => "gone",
        }
    }

    pub fn from_key(key: &str) -> Option<Leave> {
        [
            Leave::Finished,
            Leave::Replied,
            Leave::Unsubscribed,
            Leave::DealWon,
            Leave::Removed,
            Leave::Gone,
        ]
        .into_iter()
        .find(|leave| leave.key() == key)
    }

    /// Whether it is kept once seen ([`Sequence::outcomes`]): a record archived by mistake and
    /// brought back goes on where it stood, and one taken out by hand is already written down.
    fn kept(self) -> bool {
        !matches!(self, Leave::Gone | Leave::Removed)
    }
}

/// Where an enrolled party stands in a sequence. Steps are counted by index in
/// [`SequenceRow::steps`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Step `step` is to be done now; its time came at `since`.
    Due { step: usize, since: Timestamp },
    /// Waiting (step `step`, a wait or a branch waiting for its answer) until `until`.
    Waiting { step: usize, until: Timestamp },
    /// Step `step` is due, and the sequence is paused.
    Paused { step: usize },
    /// Step `step` is due but not written yet (an email without its subject or text), or made by a
    /// newer version.
    Unwritten { step: usize },
    /// The sequence has no steps yet: those enrolled wait for them.
    NoSteps,
    /// Through it ([`Leave::Finished`]) or gone from it.
    Left { why: Leave },
}

impl Standing {
    /// Whether the party is still in it.
    pub fn in_it(self) -> bool {
        !matches!(self, Standing::Left { .. })
    }
}

/// How a party took one of the sequence's mails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reacted {
    pub opened: bool,
    pub clicked: bool,
    pub replied: bool,
}

impl Reacted {
    /// Whether they took it as a branch asks (a click is an open).
    pub fn as_asked(self, on: Reaction) -> bool {
        match on {
            Reaction::Opened => self.opened || self.clicked,
            Reaction::Clicked => self.clicked,
            Reaction::Replied => self.replied,
        }
    }
}

/// What a sequence reads of a party besides the sequence itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub gone: bool,
    pub unsubscribed: bool,
    pub won: bool,
    /// How they took each of the sequence's email steps (by step id) that went to them.
    pub mails: HashMap<String, Reacted>,
}

impl Facts {
    /// Whether they replied to any of its mails.
    pub fn replied(&self) -> bool {
        self.mails.values().any(|mail| mail.replied)
    }
}

/// Where `party`, enrolled at `since`, stands in `sequence` at `now`, given what is known of them.
pub fn standing(
    sequence: &SequenceRow,
    party: PartyId,
    since: Timestamp,
    facts: &Facts,
    now: Timestamp,
) -> Standing {
    walk(sequence, party, since, facts, now).0
}

/// [`standing`], and the email steps since the last branch on the party's path (what a branch due
/// now asks about).
fn walk<'s>(
    sequence: &'s SequenceRow,
    party: PartyId,
    since: Timestamp,
    facts: &Facts,
    now: Timestamp,
) -> (Standing, Vec<&'s str>) {
    if let Some((_, why)) = sequence.outcomes.get(&party) {
        return (Standing::Left { why: *why }, Vec::new());
    }
    let leave = if sequence.removed.contains_key(&party) {
        Some(Leave::Removed)
    } else if facts.gone {
        Some(Leave::Gone)
    } else if facts.unsubscribed {
        Some(Leave::Unsubscribed)
    } else if facts.replied() && !sequence.stay_on_reply {
        Some(Leave::Replied)
    } else if facts.won {
        Some(Leave::DealWon)
    } else {
        None
    };
    let stop = |standing: Standing| match leave {
        Some(why) => Standing::Left { why },
        None => standing,
    };
    // The emails a branch reached now asks about: those since the branch before it.
    let mut asked: Vec<&str> = Vec::new();
    if sequence.steps.is_empty() {
        return (stop(Standing::NoSteps), Vec::new());
    }
    let mut at = since;
    let mut index = 0;
    while let Some(step) = sequence.steps.get(index) {
        let run = sequence.runs.get(&(party, step.id.clone()));
        match (step.kind, run) {
            (None, _) => return (stop(Standing::Unwritten { step: index }), asked),
            (Some(StepKind::End), _) => break,
            (Some(StepKind::Wait), _) => {
                let until = Timestamp(at.0.saturating_add(i64::from(step.days) * DAY_MS));
                if until > now {
                    return (stop(Standing::Waiting { step: index, until }), asked);
                }
                at = until;
                index += 1;
            }
            (Some(StepKind::Branch), None) => {
                let Some(on) = step.on else {
                    return (stop(Standing::Unwritten { step: index }), asked);
                };
                // Asked as soon as the answer is yes, or once its days are over.
                let until = Timestamp(at.0.saturating_add(i64::from(step.days) * DAY_MS));
                let yes =
                    asked.iter().any(|mail| facts.mails.get(*mail).is_some_and(|r| r.as_asked(on)));
                let standing = if until > now && !yes {
                    Standing::Waiting { step: index, until }
                } else if sequence.paused {
                    Standing::Paused { step: index }
                } else {
                    Standing::Due { step: index, since: at }
                };
                return (stop(standing), asked);
            }
            (Some(kind), Some(run)) => {
                at = at.max(run.at);
                if kind == StepKind::Email {
                    asked.push(&step.id);
                }
                index = if kind == StepKind::Branch {
                    asked.clear();
                    if run.yes { sequence.yes_of(index) } else { index + 1 }
                } else {
                    index + 1
                };
            }
            (Some(_), None) => {
                let standing = if !step.written() {
                    Standing::Unwritten { step: index }
                } else if sequence.paused {
                    Standing::Paused { step: index }
                } else {
                    Standing::Due { step: index, since: at }
                };
                return (stop(standing), asked);
            }
        }
    }
    // Through it before anything made them leave.
    (Standing::Left { why: Leave::Finished }, asked)
}

/// Everything the sequences read, over one read model and this device's outbox.
#[derive(Debug)]
pub struct World<'a> {
    pub workspace: WorkspaceId,
    pub model: &'a ReadModel,
    pub outbox: &'a DeviceOutbox,
    /// When each mail interaction (the timeline's email) was first answered by a person.
    answered: HashMap<InteractionId, Timestamp>,
    /// Won deals' parties, with when the deal came to its won stage (the latest).
    won: HashMap<PartyId, Timestamp>,
}

impl<'a> World<'a> {
    pub fn new(workspace: WorkspaceId, model: &'a ReadModel, outbox: &'a DeviceOutbox) -> Self {
        let mut answered: HashMap<InteractionId, Timestamp> = HashMap::new();
        for row in model.interactions.values().flat_map(BTreeMap::values) {
            if let Some(answers) = row.answers.filter(|_| !row.automatic) {
                let at = answered.entry(answers).or_insert(row.at);
                *at = (*at).min(row.at);
            }
        }
        let mut won: HashMap<PartyId, Timestamp> = HashMap::new();
        for deal in model.deals.values().filter(|deal| deal.status == DealStatusRow::Won) {
            for party in &deal.parties {
                let at = won.entry(*party).or_insert(deal.stage_since);
                *at = (*at).max(deal.stage_since);
            }
        }
        World { workspace, model, outbox, answered, won }
    }

    /// What `sequence` reads of `party`, enrolled at `since`.
    pub fn facts(&self, sequence: &SequenceRow, party: PartyId, since: Timestamp) -> Facts {
        let Some(row) = self.model.parties.get(&party).filter(|row| !row.archived) else {
            return Facts { gone: true, ..Facts::default() };
        };
        let mut facts = Facts {
            unsubscribed: self.consent(row) == ConsentState::Refused,
            won: self.won.get(&party).is_some_and(|at| *at >= since),
            ..Facts::default()
        };
        let sent = sequence.steps.iter().filter(|step| step.kind == Some(StepKind::Email)).filter(
            |step| sequence.runs.get(&(party, step.id.clone())).is_some_and(|r| !r.skipped),
        );
        for step in sent {
            let interaction = mail_interaction(self.workspace, sequence.id, party, &step.id);
            let engaged = self.outbox.engaged(&OutboxId::of_mail(self.workspace, interaction));
            let reacted = Reacted {
                opened: engaged.is_some_and(|e| e.opened()),
                clicked: engaged.is_some_and(|e| e.clicked()),
                replied: self.answered.contains_key(&interaction),
            };
            facts.mails.insert(step.id.clone(), reacted);
        }
        facts
    }

    /// Whether the party may be sent marketing mail: the relay's opt-outs, then their record.
    fn consent(&self, row: &PartyRow) -> ConsentState {
        if row.emails.iter().any(|email| self.outbox.opted_out(email).is_some()) {
            return ConsentState::Refused;
        }
        match row.email_consent {
            Some(true) => ConsentState::Given,
            Some(false) => ConsentState::Refused,
            None => ConsentState::Unknown,
        }
    }

    /// Where `party` stands in `sequence` at `now`; `None` if never enrolled.
    pub fn standing(
        &self,
        sequence: &SequenceRow,
        party: PartyId,
        now: Timestamp,
    ) -> Option<Standing> {
        let enrolment = sequence.enrolled.get(&party)?;
        if let Some((_, why)) = sequence.outcomes.get(&party) {
            // Settled: nothing of theirs needs reading.
            return Some(Standing::Left { why: *why });
        }
        let facts = self.facts(sequence, party, enrolment.at);
        Some(standing(sequence, party, enrolment.at, &facts, now))
    }

    /// Every step due now in the workspace's sequences that are not archived, those whose time in
    /// one ended unwritten yet, and the next moment a wait ends (when to look again).
    pub fn due(&self, now: Timestamp) -> Due {
        let mut due = Due::default();
        for sequence in self.model.sequences.values().filter(|s| !s.archived) {
            for party in sequence.enrolled.keys() {
                match self.standing(sequence, *party, now) {
                    Some(Standing::Due { step, .. }) => due.steps.push(DueStep {
                        sequence: sequence.id,
                        party: *party,
                        step: sequence.steps[step].clone(),
                    }),
                    Some(Standing::Waiting { until, .. }) => {
                        due.next = Some(due.next.map_or(until, |next: Timestamp| next.min(until)));
                    }
                    // Through a paused sequence is not yet for good: steps added before it is
                    // resumed are theirs.
                    Some(Standing::Left { why })
                        if why.kept()
                            && !(why == Leave::Finished && sequence.paused)
                            && !sequence.outcomes.contains_key(party) =>
                    {
                        due.settled.push((sequence.id, *party, why));
                    }
                    _ => {}
                }
            }
        }
        due
    }
}

/// Steps due now, outcomes to write down, and when a wait ends next.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Due {
    pub steps: Vec<DueStep>,
    /// Those through a sequence or gone from it whose outcome is not written yet.
    pub settled: Vec<(SequenceId, PartyId, Leave)>,
    pub next: Option<Timestamp>,
}

/// A step due for a party.
#[derive(Debug, Clone, PartialEq)]
pub struct DueStep {
    pub sequence: SequenceId,
    pub party: PartyId,
    pub step: StepRow,
}

impl DueStep {
    /// The key the step is taken under in the relay's ledger, so that one device does it.
    pub fn key(&self, workspace: WorkspaceId) -> OutboxId {
        step_key(workspace, self.sequence, self.party, &self.step.id)
    }
}

pub fn step_key(
    workspace: WorkspaceId,
    sequence: SequenceId,
    party: PartyId,
    step: &str,
) -> OutboxId {
    OutboxId::from_cause(
        workspace,
        &["sequence-step", &sequence.to_string(), &party.to_string(), step],
    )
}

/// The outcome written down for a party through a sequence or gone from it.
pub fn outcome(why: Leave, at: Timestamp) -> crate::model::Outcome {
    crate::model::Outcome { at, how: why.key().to_owned() }
}

/// The timeline email an email step sends `party` as: every device derives the same id, and the mail
/// goes under [`OutboxId::of_mail`] of it, so its state and the answers to it find it.
pub fn mail_interaction(
    workspace: WorkspaceId,
    sequence: SequenceId,
    party: PartyId,
    step: &str,
) -> InteractionId {
    InteractionId::from_bytes(crate::outbox::derived_uuid(
        workspace,
        &["sequence-mail", &sequence.to_string(), &party.to_string(), step],
    ))
}

/// The mails of every email step for every party enrolled in a sequence not archived, whether it
/// went yet or not: what a device hands over (bulk mail no campaign or sequence sends is withdrawn,
/// [`crate::campaigns::withdrawn_copies`]).
pub fn mail_ids(workspace: WorkspaceId, model: &ReadModel) -> impl Iterator<Item = OutboxId> + '_ {
    model.sequences.values().filter(|s| !s.archived).flat_map(move |sequence| {
        let emails: Vec<&str> = sequence
            .steps
            .iter()
            .filter(|step| step.kind == Some(StepKind::Email))
            .map(|step| step.id.as_str())
            .collect();
        sequence.enrolled.keys().flat_map(move |party| {
            emails.clone().into_iter().map(move |step| {
                OutboxId::of_mail(workspace, mail_interaction(workspace, sequence.id, *party, step))
            })
        })
    })
}

/// The task a task step makes for `party`.
pub fn step_task(
    workspace: WorkspaceId,
    sequence: SequenceId,
    party: PartyId,
    step: &str,
) -> TaskId {
    TaskId::from_bytes(crate::outbox::derived_uuid(
        workspace,
        &["sequence-task", &sequence.to_string(), &party.to_string(), step],
    ))
}

/// Why an email step went to nobody.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// The party has no email address.
    NoAddress,
    /// Filled in from their record, it cannot go (a subject grown past its limit with a long name).
    Unfilled(String),
}

/// What doing a due step writes.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The email on the party's timeline, and its mail (queued under [`OutboxId::of_mail`]).
    Email {
        interaction: InteractionId,
        record: Box<Interaction>,
        mail: Box<Work>,
    },
    Task {
        id: TaskId,
        record: Box<Task>,
    },
    /// Which way a branch goes.
    Branch {
        yes: bool,
    },
    /// An email that goes to nobody: the sequence goes on without it.
    Skip(Skip),
    /// Nothing to do now: the step, the sequence or the record is gone since it was found due.
    Nothing,
}

impl Action {
    /// The run the sequence keeps of it; none when there is nothing to do.
    pub fn run(&self, at: Timestamp) -> Option<StepRun> {
        (!matches!(self, Action::Nothing)).then_some(StepRun {
            at,
            yes: matches!(self, Action::Branch { yes: true }),
            skipped: matches!(self, Action::Skip(_)),
        })
    }
}

impl World<'_> {
    /// What doing `due` at `now` writes: an email filled in from the party's record (replies to the
    /// workspace's support address when it has one, so they come back to the timeline), a task for
    /// the party's owner, a branch's answer about the emails since the branch before it.
    pub fn act(
        &self,
        due: &DueStep,
        how: Sending,
        support_address: Option<&str>,
        now: Timestamp,
    ) -> Action {
        let Some(sequence) = self.model.sequences.get(&due.sequence) else {
            return Action::Nothing;
        };
        let Some(row) = self.model.parties.get(&due.party) else { return Action::Nothing };
        let Some(step) = sequence.steps.iter().find(|step| step.id == due.step.id) else {
            return Action::Nothing;
        };
        match step.kind {
            Some(StepKind::Branch) => {
                let Some(enrolment) = sequence.enrolled.get(&due.party) else {
                    return Action::Nothing;
                };
                let facts = self.facts(sequence, due.party, enrolment.at);
                let Some(on) = step.on else { return Action::Nothing };
                let (_, asked) = walk(sequence, due.party, enrolment.at, &facts, now);
                let yes =
                    asked.iter().any(|mail| facts.mails.get(*mail).is_some_and(|r| r.as_asked(on)));
                Action::Branch { yes }
            }
            Some(StepKind::Task) => {
                let title = match step.subject.trim() {
                    "" => sequence.name.clone(),
                    title => title.to_owned(),
                };
                let task = Task {
                    title: format!("{title} — {}", row.name),
                    due: Some(Timestamp(now.0 + i64::from(step.days) * DAY_MS)),
                    assignee: row.owner.or(sequence.created_by),
                    links: vec![RecordRef::Party(due.party)],
                    done_at: None,
                    recurrence: None,
                    snoozed_until: None,
                    created_at: now,
                    archived: false,
                };
                let id = step_task(self.workspace, due.sequence, due.party, &step.id);
                Action::Task { id, record: Box::new(task) }
            }
            Some(StepKind::Email) if step.written() => {
                let address = row.emails.iter().map(|e| e.trim()).find(|e| plausible_address(e));
                let Some(address) = address else { return Action::Skip(Skip::NoAddress) };
                match self.email(sequence, step, row, address, how, support_address, now) {
                    Ok(action) => action,
                    Err(problem) => Action::Skip(Skip::Unfilled(problem.to_string())),
                }
            }
            Some(StepKind::Email | StepKind::Wait | StepKind::End) | None => Action::Nothing,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn email(
        &self,
        sequence: &SequenceRow,
        step: &StepRow,
        row: &PartyRow,
        address: &str,
        how: Sending,
        support_address: Option<&str>,
        now: Timestamp,
    ) -> Result<Action, CampaignError> {
        let mut mail: Mail = crate::campaigns::filled_mail(
            &step.subject,
            &step.body,
            &sequence.name,
            self.model,
            row,
            address,
            how,
        )?;
        mail.reply_to = support_address
            .map(|address| Recipient { address: address.to_owned(), name: String::new() });
        mail.check().map_err(CampaignError::Mail)?;
        let interaction = mail_interaction(self.workspace, sequence.id, row.id, &step.id);
        let record = timeline_email(&mail, row.id, now);
        Ok(Action::Email {
            interaction,
            record: Box::new(record),
            mail: Box::new(Work::Mail(mail)),
        })
    }
}

/// The email `mail` to `party` as their timeline shows it, sent by the workspace at `now` (a
/// sequence's step, an automation's action).
pub fn timeline_email(mail: &Mail, party: PartyId, now: Timestamp) -> Interaction {
    Interaction {
        kind: InteractionKind::Email,
        at: now,
        parties: vec![party],
        members: Vec::new(),
        summary: mail.subject.clone(),
        notes: autosurgeon::Text::with_value(mail.text.clone()),
        outcome: String::new(),
        location: None,
        follow_up: None,
        author: None,
        archived: false,
        answers: None,
        automatic: false,
    }
}

/// Who of `parties` may be enrolled in `sequence` now: those never enrolled — neither they nor a
/// record merged into them or that they were merged into (a party enters a sequence once) — whose
/// record is there and not archived.
pub fn newcomers(
    sequence: &SequenceRow,
    model: &ReadModel,
    parties: impl IntoIterator<Item = PartyId>,
) -> Vec<PartyId> {
    // Each enrolled record's family: itself, the record it ended up merged into, and those merged
    // into it, all under the one that survived.
    let mut families: std::collections::HashSet<PartyId> = std::collections::HashSet::new();
    for party in sequence.enrolled.keys() {
        families.insert(crate::segments::survivor(model, *party));
    }
    let mut fresh: Vec<PartyId> = parties
        .into_iter()
        // A record there and not archived is its own survivor.
        .filter(|party| !families.contains(party))
        .filter(|party| model.parties.get(party).is_some_and(|row| !row.archived))
        .collect();
    fresh.sort();
    fresh.dedup();
    fresh
}

#[cfg(test)]
mod tests;
