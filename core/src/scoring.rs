//! Lead scoring, decided: how many points each party has earned under the workspace's rules
//! ([`crate::model::ScoringRule`]), and why — the same on every device, so nothing is stored.
//!
//! A rule gives points for being in a segment (its fit: the segment's full editor says who), or for
//! each interaction or each campaign opened or clicked through (its activity), an event worth half
//! as much every `half_life_days` days — a lead cools as it goes quiet without anyone recomputing
//! anything. What was recorded against a record merged into another counts for the survivor.
//!
//! A lead reaching the workspace's threshold is handed to sales once ([`handoffs`]): the follow-up
//! task's id derives from the party, so two devices handing it over at once make one task.

use std::collections::{HashMap, HashSet};

use crate::ids::{MemberId, PartyId, SegmentId, TaskId, Timestamp, WorkspaceId};
use crate::model::{CampaignActivity, InteractionKind, ScoringRule, WorkspaceSettings};
use crate::read_model::{PartyRow, ReadModel};
use crate::segments::{Audience, CampaignFacts, survivor};

const DAY_MS: f64 = 24.0 * 60.0 * 60.0 * 1000.0;

/// What earns a rule's points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// Being in the segment (a list's member, or admitted by its rule).
    Segment(SegmentId),
    /// Each interaction, of the kind or any.
    Interaction(Option<InteractionKind>),
    /// Each campaign opened (a click counts as an open), or clicked through.
    Campaign(CampaignActivity),
}

impl Signal {
    /// The keys rules store signals by.
    pub const KEYS: [&'static str; 4] = ["segment", "interaction", "opened", "clicked"];

    /// The signal `rule` names; none while it names something this version does not know, or a
    /// segment rule names no segment yet — such a rule earns nothing.
    pub fn of(rule: &ScoringRule) -> Option<Signal> {
        match rule.signal.as_str() {
            "segment" => rule.segment.as_deref()?.parse().ok().map(Signal::Segment),
            "interaction" => match rule.interaction_kind.as_deref() {
                None | Some("") => Some(Signal::Interaction(None)),
                Some(key) => interaction_kind(key).map(|kind| Signal::Interaction(Some(kind))),
            },
            "opened" => Some(Signal::Campaign(CampaignActivity::Opened)),
            "clicked" => Some(Signal::Campaign(CampaignActivity::Clicked)),
            _ => None,
        }
    }
}

/// The keys interaction kinds are stored by in rules, in [`InteractionKind::ALL`]'s order.
pub const INTERACTION_KEYS: [&str; 6] = ["call", "meeting", "visit", "email", "message", "note"];

pub fn interaction_key(kind: InteractionKind) -> &'static str {
    let index = InteractionKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    INTERACTION_KEYS[index]
}

pub fn interaction_kind(key: &str) -> Option<InteractionKind> {
    INTERACTION_KEYS.iter().position(|k| *k == key).map(|index| InteractionKind::ALL[index])
}

/// The workspace's rules in the order they are listed, with their ids.
pub fn rules(settings: &WorkspaceSettings) -> Vec<(&str, &ScoringRule)> {
    let mut rules: Vec<(&str, &ScoringRule)> =
        settings.scoring_rules.iter().map(|(id, rule)| (id.as_str(), rule)).collect();
    rules.sort_by_key(|(id, rule)| (rule.position, *id));
    rules
}

/// How much an event `age_ms` old is worth of its full points: half every `half_life_days` (0:
/// always all of them). An event in the future — a meeting booked ahead — is worth all of them.
pub fn weight(age_ms: i64, half_life_days: u32) -> f64 {
    if half_life_days == 0 || age_ms <= 0 {
        return 1.0;
    }
    (-(age_ms as f64) / (f64::from(half_life_days) * DAY_MS) * std::f64::consts::LN_2).exp()
}

/// One campaign engagement: who, how far (a click is also an open), and when (Unix milliseconds).
pub type Engagement = (PartyId, CampaignActivity, Timestamp);

/// Each campaign recipient's engagement as the relay counted it (`engaged`: by copy id), at the time
/// of the first open or click — what [`Signal::Campaign`] rules count. A click without a recorded
/// open is an open at the click's time.
pub fn engagement(
    workspace: WorkspaceId,
    model: &ReadModel,
    engaged: impl Fn(&crate::outbox::OutboxId) -> Option<crate::tracking::Engaged>,
) -> Vec<Engagement> {
    let mut found = Vec::new();
    for campaign in model.campaigns.values().filter(|c| c.sent_at.is_some()) {
        for (party, _) in &campaign.recipients {
            let Some(engaged) = engaged(&campaign.copy_id(workspace, *party)) else { continue };
            let clicked = engaged.clicks.values().min().copied();
            if let Some(opened) = engaged.opened_at.or(clicked) {
                found.push((*party, CampaignActivity::Opened, Timestamp(opened * 1000)));
            }
            if let Some(clicked) = clicked {
                found.push((*party, CampaignActivity::Clicked, Timestamp(clicked * 1000)));
            }
        }
    }
    found
}

/// What one rule gave a party: the points (unrounded: only the total is rounded) and the events
/// counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// The rule's id.
    pub rule: String,
    pub signal: Signal,
    pub points: f64,
    /// The events counted (1 for a segment the party is in).
    pub events: u32,
}

/// A party's score and the rules that made it, in the rules' order (only those that gave anything).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Score {
    pub points: i64,
    pub reasons: Vec<Reason>,
}

/// Everything scores are computed from, gathered once.
#[derive(Debug)]
pub struct Scorer<'m> {
    model: &'m ReadModel,
    settings: &'m WorkspaceSettings,
    engagement: &'m [Engagement],
    now: Timestamp,
    rules: Vec<(String, ScoringRule, Signal)>,
    merges: bool,
    /// What segments read beyond the records ([`Scorer::with_audience_facts`]).
    opted_out: Vec<String>,
    campaigns: Option<CampaignFacts>,
}

impl<'m> Scorer<'m> {
    pub fn new(
        model: &'m ReadModel,
        settings: &'m WorkspaceSettings,
        engagement: &'m [Engagement],
        now: Timestamp,
    ) -> Scorer<'m> {
        let rules = rules(settings)
            .into_iter()
            .filter_map(|(id, rule)| Some((id.to_owned(), rule.clone(), Signal::of(rule)?)))
            .filter(|(_, rule, _)| rule.points != 0)
            .collect();
        let merges = model.parties.values().any(|row| row.merged_into.is_some());
        Scorer {
            model,
            settings,
            engagement,
            now,
            rules,
            merges,
            opted_out: Vec::new(),
            campaigns: None,
        }
    }

    /// With what fit segments read beyond the records, as the segments' own pages read it: the
    /// relay's opt-outs and how far each recipient went with each campaign.
    pub fn with_audience_facts(
        mut self,
        opted_out: Vec<String>,
        campaigns: Option<CampaignFacts>,
    ) -> Scorer<'m> {
        self.opted_out = opted_out;
        self.campaigns = campaigns;
        self
    }

    /// Whether any rule gives points.
    pub fn scores_anything(&self) -> bool {
        !self.rules.is_empty()
    }

    fn resolve(&self, party: PartyId) -> PartyId {
        if self.merges { survivor(self.model, party) } else { party }
    }

    /// Who is in each segment some rule names (`only` that party, if any): segment rules are
    /// evaluated without scores, so a segment on scores never feeds scores back.
    fn segments(&self, only: Option<PartyId>) -> HashMap<SegmentId, HashSet<PartyId>> {
        let wanted: HashSet<SegmentId> = self
            .rules
            .iter()
            .filter_map(|(_, _, signal)| match signal {
                Signal::Segment(segment) => Some(*segment),
                _ => None,
            })
            .collect();
        if wanted.is_empty() {
            return HashMap::new();
        }
        let mut audience =
            Audience::new(self.model, self.settings, self.opted_out.clone(), self.now);
        if let Some(campaigns) = &self.campaigns {
            audience = audience.with_campaigns(campaigns.clone());
        }
        let row = only.and_then(|party| self.model.parties.get(&party));
        wanted
            .into_iter()
            .filter_map(|id| {
                let segment = self.model.segments.get(&id).filter(|s| !s.archived)?;
                let members = match row {
                    None => audience.of_segment(segment).iter().map(|row| row.id).collect(),
                    Some(row) if segment.list => {
                        let listed =
                            !row.archived && !segment.places_of(self.model, row.id).is_empty();
                        listed.then_some(row.id).into_iter().collect()
                    }
                    Some(row) => {
                        let admitted = audience.matches(&audience.compile(&segment.rule), row);
                        admitted.then_some(row.id).into_iter().collect()
                    }
                };
                Some((id, members))
            })
            .collect()
    }

    /// Calls `earn(party, rule index, points, events)` for everything any rule gives, `only` one
    /// party's or everyone's.
    fn each(&self, only: Option<PartyId>, mut earn: impl FnMut(PartyId, usize, f64, u32)) {
        let wanted = |party: PartyId| only.is_none_or(|only| only == party);
        let segments = self.segments(only);
        let interactions: Vec<(usize, Option<InteractionKind>, f64, u32)> = (self.rules.iter())
            .enumerate()
            .filter_map(|(index, (_, rule, signal))| match signal {
                Signal::Interaction(kind) => {
                    Some((index, *kind, rule.points as f64, rule.half_life_days))
                }
                _ => None,
            })
            .collect();
        if !interactions.is_empty() {
            for row in self.model.all_interactions() {
                for (n, party) in row.parties.iter().enumerate() {
                    let party = self.resolve(*party);
                    // One interaction with two records since merged counts once.
                    let earlier = &row.parties[..n];
                    if !wanted(party)
                        || self.merges && earlier.iter().any(|p| self.resolve(*p) == party)
                    {
                        continue;
                    }
                    for (index, kind, points, half_life_days) in &interactions {
                        if kind.is_none_or(|kind| row.kind() == kind) {
                            let age = self.now.0 - row.at.0;
                            earn(party, *index, points * weight(age, *half_life_days), 1);
                        }
                    }
                }
            }
        }
        for (index, (_, rule, signal)) in self.rules.iter().enumerate() {
            let points = rule.points as f64;
            match *signal {
                Signal::Segment(segment) => {
                    let Some(members) = segments.get(&segment) else { continue };
                    match only {
                        Some(party) if members.contains(&party) => earn(party, index, points, 1),
                        Some(_) => {}
                        None => members.iter().for_each(|party| earn(*party, index, points, 1)),
                    }
                }
                // All of them in one pass over the interactions, below.
                Signal::Interaction(_) => {}
                Signal::Campaign(activity) => {
                    for (party, reached, at) in self.engagement {
                        if *reached != activity {
                            continue;
                        }
                        let party = self.resolve(*party);
                        if wanted(party) {
                            let worth = points * weight(self.now.0 - at.0, rule.half_life_days);
                            earn(party, index, worth, 1);
                        }
                    }
                }
            }
        }
    }

    /// Every scored party's points: parties no rule gave anything are left out (their score is 0),
    /// as are archived and merged records.
    pub fn scores(&self) -> HashMap<PartyId, i64> {
        let mut sums: HashMap<PartyId, f64> = HashMap::new();
        self.each(None, |party, _, points, _| *sums.entry(party).or_default() += points);
        sums.into_iter()
            .filter(|(party, _)| self.model.parties.get(party).is_some_and(|row| !row.archived))
            .map(|(party, sum)| (party, sum.round() as i64))
            .filter(|(_, points)| *points != 0)
            .collect()
    }

    /// `party`'s score and why: the same figure [`Scorer::scores`] gives it (added up in the same
    /// order), 0 for an archived or merged record.
    pub fn score(&self, party: PartyId) -> Score {
        if self.model.parties.get(&party).is_none_or(|row| row.archived) {
            return Score::default();
        }
        let mut reasons: Vec<Reason> = Vec::new();
        let mut total = 0.0;
        self.each(Some(party), |_, index, points, events| {
            total += points;
            match reasons.iter_mut().find(|r| r.rule == self.rules[index].0) {
                Some(reason) => {
                    reason.points += points;
                    reason.events += events;
                }
                None => reasons.push(Reason {
                    rule: self.rules[index].0.clone(),
                    signal: self.rules[index].2,
                    points,
                    events,
                }),
            }
        });
        let place = |rule: &str| self.rules.iter().position(|(id, _, _)| id == rule);
        reasons.sort_by_key(|reason| place(&reason.rule));
        Score { points: total.round() as i64, reasons }
    }
}

/// The follow-up task a lead handed to sales gets: the same id on every device, so two devices
/// handing the lead over at once make one task.
pub fn handoff_task(workspace: WorkspaceId, party: PartyId) -> TaskId {
    TaskId::from_bytes(crate::outbox::derived_uuid(
        workspace,
        &["lead-handoff", &party.to_string()],
    ))
}

/// A lead to hand to sales now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handoff {
    pub party: PartyId,
    pub points: i64,
    pub task: TaskId,
    /// The owner to give it (the workspace's choice), when it has none; the task goes to its owner.
    pub owner: Option<MemberId>,
}

/// The key a lead's handoff is taken under in the relay's ledger, so that one device does it.
pub fn handoff_key(workspace: WorkspaceId, party: PartyId) -> crate::outbox::OutboxId {
    crate::outbox::OutboxId::from_cause(workspace, &["lead-handoff", &party.to_string()])
}

/// The leads whose score reaches the workspace's threshold and that were never handed over (no
/// device holds their handoff task, nor that of a record since merged into them): each once,
/// whatever its score does afterwards. A record archived or merged, and colleagues, suppliers and
/// investors, are left alone.
pub fn handoffs(
    workspace: WorkspaceId,
    model: &ReadModel,
    settings: &WorkspaceSettings,
    scores: &HashMap<PartyId, i64>,
    has_task: impl Fn(TaskId) -> bool,
) -> Vec<Handoff> {
    let Some(threshold) = settings.lead_threshold else { return Vec::new() };
    let chosen = settings
        .lead_owner
        .as_deref()
        .and_then(|id| id.parse::<MemberId>().ok())
        .filter(|id| settings.members.contains_key(&id.to_string()));
    // Records merged into each survivor: a lead handed over before it was merged was handed over.
    let mut merged: HashMap<PartyId, Vec<PartyId>> = HashMap::new();
    for row in model.parties.values().filter(|row| row.merged_into.is_some()) {
        merged.entry(survivor(model, row.id)).or_default().push(row.id);
    }
    let mut due: Vec<Handoff> = scores
        .iter()
        .filter(|(_, points)| **points >= threshold)
        .filter_map(|(party, points)| {
            // Colleagues, suppliers and investors are no leads, whatever they score.
            let row: &PartyRow =
                model.parties.get(party).filter(|row| crate::leads::is_lead(row))?;
            let task = handoff_task(workspace, *party);
            let family = merged.get(party).into_iter().flatten();
            if has_task(task) || family.into_iter().any(|p| has_task(handoff_task(workspace, *p))) {
                return None;
            }
            Some(Handoff { party: *party, points: *points, task, owner: row.owner.or(chosen) })
        })
        .collect();
    due.sort_by_key(|h| h.party);
    due
}

#[cfg(test)]
mod tests;
