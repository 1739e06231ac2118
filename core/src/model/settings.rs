//! Workspace settings: members, currencies, pipelines, custom-field definitions and saved views. They live in the
//! workspace's root document, which every device loads first.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use crate::ids::StageId;
use crate::model::CustomValue;

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct WorkspaceSettings {
    pub name: String,
    /// Member id (as text) → member.
    pub members: BTreeMap<String, Member>,
    /// ISO 4217 codes offered for amounts; the first is the default.
    pub currencies: Vec<String>,
    /// Pipeline id (as text) → pipeline.
    pub pipelines: BTreeMap<String, Pipeline>,
    /// Field id (as text) → definition.
    pub custom_fields: BTreeMap<String, CustomFieldDef>,
    /// Saved views of the people list, shared by the team: view id (as text) → view.
    #[autosurgeon(missing = "Default::default")]
    pub saved_views: BTreeMap<String, SavedView>,
    /// Saved views of the support queue, shared by the team: view id (as text) → view.
    #[autosurgeon(missing = "Default::default")]
    pub ticket_views: BTreeMap<String, TicketViewDef>,
    /// Email templates the team writes from, merge fields and all: template id (as text) → template.
    #[autosurgeon(missing = "Default::default")]
    pub mail_templates: BTreeMap<String, MailTemplate>,
    /// Ticket statuses the workspace added or renamed: status key → status. The built-in ones
    /// (`crate::service::Statuses`) apply where this says nothing.
    #[autosurgeon(missing = "Default::default")]
    pub ticket_statuses: BTreeMap<String, TicketStatusDef>,
    /// Support teams, each a queue of tickets: team id (as text) → team.
    #[autosurgeon(missing = "Default::default")]
    pub teams: BTreeMap<String, Team>,
    /// Service-level policies: policy id (as text) → policy. A ticket follows the first, by
    /// `position`, whose conditions it meets.
    #[autosurgeon(missing = "Default::default")]
    pub sla_policies: BTreeMap<String, SlaPolicy>,
    /// Answers the support team gives often, merge fields and all: reply id (as text) → reply.
    #[autosurgeon(missing = "Default::default")]
    pub canned_replies: BTreeMap<String, CannedReply>,
    /// Customers are not asked to rate resolved tickets (`crate::satisfaction`); they are unless
    /// this is set.
    #[autosurgeon(missing = "Default::default")]
    pub no_satisfaction_surveys: bool,
    /// Campaigns go untracked: no redirect through the relay, no image (`crate::tracking`).
    #[autosurgeon(missing = "Default::default")]
    pub no_campaign_tracking: bool,
    /// Campaigns' links go without UTM tags.
    #[autosurgeon(missing = "Default::default")]
    pub no_utm_tags: bool,
    /// What happens to a ticket whose SLA clock runs past its deadline (`crate::escalation`): rule id
    /// (as text) → rule.
    #[autosurgeon(missing = "Default::default")]
    pub escalation_rules: BTreeMap<String, EscalationRule>,
    /// What suppliers are scored on (`crate::scorecard`): criterion key → criterion. Empty: the
    /// built-in four ([`crate::scorecard::default_criteria`]); once edited, all are kept here.
    #[autosurgeon(missing = "Default::default")]
    pub scorecard_criteria: BTreeMap<String, super::ScorecardCriterion>,
    /// A supplier scoring below this (0–100) is on watch; 70 when not set.
    #[autosurgeon(missing = "Default::default")]
    pub scorecard_watch_below: Option<u8>,
    /// A supplier scoring below this is blocked; 50 when not set.
    #[autosurgeon(missing = "Default::default")]
    pub scorecard_block_below: Option<u8>,
    /// The company's values ("Customer first", "Own it") that kudos are given for; a set, so two
    /// people adding values at once keep both.
    #[autosurgeon(missing = "Default::default")]
    pub company_values: super::NameSet,
    /// What earns a lead its score (`crate::scoring`): rule id (as text) → rule.
    #[autosurgeon(missing = "Default::default")]
    pub scoring_rules: BTreeMap<String, ScoringRule>,
    /// A lead whose score reaches this is handed to sales: given an owner (when it has none) and a
    /// follow-up task, once (`crate::scoring::handoffs`). None: leads are not handed over.
    #[autosurgeon(missing = "Default::default")]
    pub lead_threshold: Option<i64>,
    /// Member id (as text) a lead without an owner is given when it is handed over.
    #[autosurgeon(missing = "Default::default")]
    pub lead_owner: Option<String>,
    /// Reports the team saved from the report builder (`crate::report`): report id (as text) →
    /// report.
    #[autosurgeon(missing = "Default::default")]
    pub reports: BTreeMap<String, SavedReport>,
}

/// A report as the settings keep it: its question in stable keys (`crate::report::ReportDef::saved`),
/// so that an app that does not know a key says so rather than counting something else. Flat, so two
/// people changing two of its parts at once keep both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Reconcile, Hydrate)]
pub struct SavedReport {
    pub name: String,
    /// `deals`, `parties`, `interactions`, `tickets` or `tasks`.
    pub source: String,
    /// The date the period and a grouping by month or week read (`created`, `closed`, …).
    pub date: String,
    /// Whole months ending with the current one; 0 for all time.
    pub months: u8,
    /// What the records are grouped by; none for one number.
    pub group: Option<String>,
    /// What each group is split by, into the parts of a bar (`stage`, `owner`, …); none for whole bars.
    #[autosurgeon(missing = "Default::default")]
    pub split: Option<String>,
    /// `count`, `sum`, `average` or `median`.
    pub measure: String,
    /// The number a sum, average or median reads (`amount`, `rating`, `cycle_days`).
    pub number: Option<String>,
    /// Conditions as `dimension=value`, all of which a record meets.
    pub conditions: Vec<String>,
    pub currency: Option<String>,
    /// `bar`, `line`, `donut`, `table` or `stacked`.
    pub chart: String,
    /// Shown on the analytics page, under the sales dashboard.
    pub pinned: bool,
    /// Where it is among the pinned ones (`crate::arrange`); empty until someone moves one.
    #[autosurgeon(missing = "Default::default")]
    pub place: String,
}

/// A lead-scoring rule: points a party earns for being in a segment, or for each interaction or each
/// campaign it opened or clicked through — those worth half as much every `half_life_days` days,
/// so a lead cools as it goes quiet (`crate::scoring`). Flat, so two people changing two of its
/// fields at once keep both.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Reconcile, Hydrate)]
pub struct ScoringRule {
    /// Where it is listed; every rule counts.
    pub position: u32,
    /// What earns the points: `segment`, `interaction`, `opened` or `clicked`
    /// ([`crate::scoring::Signal`]); a rule whose signal this version does not know earns nothing.
    pub signal: String,
    /// The segment (id as text) of a `segment` rule.
    pub segment: Option<String>,
    /// The interaction kind (`call`, `meeting`, …) an `interaction` rule counts; none for any.
    pub interaction_kind: Option<String>,
    /// Points earned (negative ones take away), for being in the segment or for each event.
    pub points: i64,
    /// Days after which an event is worth half; 0: it never loses value. Segments do not decay.
    pub half_life_days: u32,
}

/// A rule the team sets for breached tickets: when one of the chosen clocks runs past its deadline
/// on a ticket of one of the chosen priorities, the ticket is raised a priority, reassigned, moved to
/// another queue and named members are told — each at most once per breach (`crate::escalation`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Reconcile, Hydrate)]
pub struct EscalationRule {
    pub name: String,
    /// Where it is listed; every rule that applies is applied.
    pub position: u32,
    /// The clocks whose breach sets it off (`first_response`, `next_response`, `resolution`); empty
    /// for any.
    pub metrics: super::NameSet,
    /// Priority keys of the tickets it applies to; empty for any.
    pub priorities: super::NameSet,
    /// Raises the ticket's priority one step (an urgent one stays urgent).
    pub raise_priority: bool,
    /// Member id (as text) the ticket is given to.
    pub assign_to: Option<String>,
    /// Team id (as text) whose queue the ticket moves to.
    pub team: Option<String>,
    /// Member ids (as text) told by a notification.
    pub notify: super::NameSet,
}

/// A reply the support team inserts in a ticket's conversation, `{{first_name}}` and the other merge
/// fields filled in from the ticket's customer.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Reconcile, Hydrate)]
pub struct CannedReply {
    pub name: String,
    pub text: String,
}

/// A ticket status as the workspace names it; the SLA clocks read only its category.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub struct TicketStatusDef {
    pub name: String,
    pub category: crate::sla::StatusCategory,
    /// Where it is listed among the statuses.
    pub position: u32,
    /// Removed after tickets went through it: no longer offered, but its category still read for
    /// those tickets' past, so their deadlines do not move.
    #[autosurgeon(missing = "Default::default")]
    pub retired: bool,
}

/// A support team: who is in it, when it works and how new tickets find an assignee.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub struct Team {
    pub name: String,
    /// Member ids (as text).
    pub members: super::NameSet,
    /// The team's working hours, in its time zone; none: the policy's, or around the clock.
    pub hours: Option<crate::sla::WorkingHours>,
    pub assignment: Assignment,
}

/// How a ticket put in a team's queue with nobody on it gets an assignee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Reconcile, Hydrate)]
pub enum Assignment {
    /// People take tickets themselves.
    #[default]
    Manual,
    /// Each member in turn.
    RoundRobin,
    /// The member with the fewest open tickets.
    LeastLoaded,
}

/// Which tickets a policy covers, and the times it promises them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub struct SlaPolicy {
    pub name: String,
    /// Policies are tried in this order; the first that applies wins.
    pub position: u32,
    /// Priority keys it applies to; empty for any.
    pub priorities: super::NameSet,
    /// It applies to tickets with any of these tags; empty for any.
    pub tags: super::NameSet,
    /// It applies to tickets of parties with any of these role keys; empty for any.
    pub roles: super::NameSet,
    /// Targets by priority key; a priority missing here has none.
    pub targets: BTreeMap<String, crate::sla::Targets>,
    /// Working hours for teams that keep none of their own; none: around the clock.
    pub hours: Option<crate::sla::WorkingHours>,
}

/// A saved email: its subject and text as written, `{{first_name}}` and the other merge fields
/// filled in from the record each time it is used (`crate::template`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Reconcile, Hydrate)]
pub struct MailTemplate {
    pub name: String,
    pub subject: String,
    pub text: String,
}

/// A named view of the support queue ("My urgent ones", "Billing by age"): which queue, what is
/// searched and filtered, in which order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Reconcile, Hydrate)]
pub struct TicketViewDef {
    pub name: String,
    /// The queue: `breaching`, `mine` (whoever opens the view), `unassigned`, `team-<team id>`,
    /// `open` or `done`.
    pub queue: String,
    /// Words searched for; empty for none.
    pub query: String,
    /// A [`TicketPriority`] key, or none for every priority.
    pub priority: Option<String>,
    pub tag: Option<String>,
    /// A `crate::service::TicketSort` key.
    pub sort: String,
}

/// A named search, filter and sort of the people list ("Suppliers in Moscow", "My prospects").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Reconcile, Hydrate)]
pub struct SavedView {
    pub name: String,
    /// Words searched for; empty for none.
    pub query: String,
    /// A [`crate::model::Role`] key, or none for every role.
    pub role: Option<String>,
    pub tag: Option<String>,
    /// Only the parties owned by whoever opens the view.
    pub only_mine: bool,
    /// A `PartySort` key (`queries::PartySort::key`).
    pub sort: String,
    /// Only the parties in this segment or list (its id as text).
    #[autosurgeon(missing = "Default::default")]
    pub segment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Member {
    pub display_name: String,
    /// `#rrggbb`, for avatars and presence.
    pub colour: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub struct Pipeline {
    pub name: String,
    pub kind: PipelineKind,
    /// Stages in board order.
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub enum PipelineKind {
    Sales,
    Fundraising,
    Procurement,
    Hiring,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Reconcile, Hydrate)]
pub struct Stage {
    pub id: StageId,
    pub name: String,
    /// Chance a deal in this stage is won, 0–100, for the weighted forecast.
    pub probability: u8,
}

#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub struct CustomFieldDef {
    pub label: String,
    pub kind: FieldKind,
    pub applies_to: RecordKind,
    /// Allowed values of a `Choice` field.
    pub choices: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum FieldKind {
    Text,
    Number,
    Date,
    Choice,
    Boolean,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum RecordKind {
    Party,
    Deal,
    Task,
    Ticket,
    Contract,
}

impl Pipeline {
    /// The win probability of `stage`, or `None` if the stage is not (or no longer) in this pipeline.
    pub fn probability(&self, stage: StageId) -> Option<u8> {
        self.stages.iter().find(|s| s.id == stage).map(|s| s.probability)
    }

    /// The same pipeline with its name and its stages' names as `translate` gives them, where it
    /// gives one: [`Pipeline::starting`] and the default sales pipeline are written in English, and
    /// a screen in another language passes its own words for them.
    pub fn named_by(mut self, translate: impl Fn(&str) -> Option<String>) -> Pipeline {
        if let Some(name) = translate(&self.name) {
            self.name = name;
        }
        for stage in &mut self.stages {
            if let Some(name) = translate(&stage.name) {
                stage.name = name;
            }
        }
        self
    }

    /// A new pipeline of `kind` with the stages such a pipeline usually has (ids from `ids`, in order).
    pub fn starting(
        name: &str,
        kind: PipelineKind,
        ids: impl IntoIterator<Item = StageId>,
    ) -> Pipeline {
        let stages: &[(&str, u8)] = match kind {
            PipelineKind::Sales => {
                &[("Lead", 10), ("Qualified", 25), ("Proposal", 50), ("Negotiation", 75)]
            }
            PipelineKind::Fundraising => {
                &[("Intro", 10), ("Pitch", 25), ("Due diligence", 50), ("Term sheet", 80)]
            }
            PipelineKind::Procurement => {
                &[("Request", 10), ("Quotes", 30), ("Evaluation", 60), ("Contract", 90)]
            }
            PipelineKind::Hiring => {
                &[("Applied", 10), ("Screening", 25), ("Interview", 50), ("Offer", 80)]
            }
        };
        let stages = stages
            .iter()
            .zip(ids)
            .map(|((name, probability), id)| Stage {
                id,
                name: (*name).into(),
                probability: *probability,
            })
            .collect();
        Pipeline { name: name.trim().to_owned(), kind, stages }
    }

    /// Adds a stage at the end.
    pub fn add_stage(&mut self, id: StageId, name: &str, probability: u8) {
        self.stages.push(Stage {
            id,
            name: name.trim().to_owned(),
            probability: probability.min(100),
        });
    }

    /// Renames `stage` and sets its probability (at most 100).
    pub fn edit_stage(&mut self, stage: StageId, name: &str, probability: u8) {
        if let Some(s) = self.stages.iter_mut().find(|s| s.id == stage) {
            s.name = name.trim().to_owned();
            s.probability = probability.min(100);
        }
    }

    /// Moves `stage` one place earlier (`-1`) or later (`1`) on the board; at either end it stays.
    pub fn move_stage(&mut self, stage: StageId, by: isize) {
        let Some(at) = self.stages.iter().position(|s| s.id == stage) else { return };
        let to = at as isize + by;
        if (0..self.stages.len() as isize).contains(&to) {
            self.stages.swap(at, to as usize);
        }
    }

    /// Removes `stage`, which must hold no open deal (`open_deals` of them now): deals are never left
    /// in a stage that no longer exists. The last stage stays.
    pub fn remove_stage(&mut self, stage: StageId, open_deals: usize) -> Result<(), StageInUse> {
        if open_deals > 0 {
            return Err(StageInUse::HasDeals(open_deals));
        }
        if self.stages.len() <= 1 {
            return Err(StageInUse::LastStage);
        }
        self.stages.retain(|s| s.id != stage);
        Ok(())
    }
}

impl WorkspaceSettings {
    /// The custom fields of people and organisations, by label: the order forms show them in.
    pub fn party_fields(&self) -> impl Iterator<Item = (&String, &CustomFieldDef)> {
        let mut fields: Vec<(&String, &CustomFieldDef)> =
            self.custom_fields.iter().filter(|(_, f)| f.applies_to == RecordKind::Party).collect();
        fields.sort_by(|a, b| a.1.label.cmp(&b.1.label));
        fields.into_iter()
    }
}

/// Why a value typed into a custom field was refused (each names the field and what was typed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomValueError {
    #[error("{label}: “{text}” is not a number")]
    NotANumber { label: String, text: String },
    #[error("{label}: “{text}” is not a date (YYYY-MM-DD)")]
    NotADate { label: String, text: String },
    #[error("{label}: “{text}” is not one of {choices}")]
    NotAChoice { label: String, text: String, choices: String },
}

impl CustomFieldDef {
    /// Reads what a person typed into this field: `None` clears it. Numbers take a comma or a point
    /// and spaces between thousands; dates are `YYYY-MM-DD` (what a date input gives); a choice must be
    /// one of the field's; yes/no is `true`/`false` (a checkbox).
    pub fn parse(&self, text: &str) -> Result<Option<CustomValue>, CustomValueError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let value = match self.kind {
            FieldKind::Text => CustomValue::Text(text.to_owned()),
            FieldKind::Number => {
                let plain: String =
                    text.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
                let plain = plain.replace(',', ".");
                match plain.parse::<f64>() {
                    Ok(n) if n.is_finite() => CustomValue::Number(n),
                    _ => {
                        let (label, text) = (self.label.clone(), text.to_owned());
                        return Err(CustomValueError::NotANumber { label, text });
                    }
                }
            }
            FieldKind::Date => {
                let valid = text.len() == 10
                    && text.as_bytes()[4] == b'-'
                    && text.as_bytes()[7] == b'-'
                    && text.split('-').all(|part| part.chars().all(|c| c.is_ascii_digit()));
                if !valid {
                    let (label, text) = (self.label.clone(), text.to_owned());
                    return Err(CustomValueError::NotADate { label, text });
                }
                CustomValue::Date(text.to_owned())
            }
            FieldKind::Choice => {
                if !self.choices.iter().any(|c| c == text) {
                    return Err(CustomValueError::NotAChoice {
                        label: self.label.clone(),
                        text: text.to_owned(),
                        choices: self.choices.join(", "),
                    });
                }
                CustomValue::Choice(text.to_owned())
            }
            FieldKind::Boolean => CustomValue::Boolean(text == "true"),
        };
        Ok(Some(value))
    }
}

impl CustomValue {
    /// The value as a form field holds it (the inverse of [`CustomFieldDef::parse`]).
    pub fn as_input(&self) -> String {
        match self {
            CustomValue::Text(text) | CustomValue::Date(text) | CustomValue::Choice(text) => {
                text.clone()
            }
            CustomValue::Number(n) => n.to_string(),
            CustomValue::Boolean(b) => b.to_string(),
        }
    }
}

impl FieldKind {
    pub const ALL: [FieldKind; 5] = [
        FieldKind::Text,
        FieldKind::Number,
        FieldKind::Date,
        FieldKind::Choice,
        FieldKind::Boolean,
    ];

    /// How the kind is written in a form.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Number => "number",
            FieldKind::Date => "date",
            FieldKind::Choice => "choice",
            FieldKind::Boolean => "yes-no",
        }
    }

    pub fn from_key(key: &str) -> Option<FieldKind> {
        FieldKind::ALL.into_iter().find(|kind| kind.as_str() == key)
    }
}

/// Why a stage cannot be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StageInUse {
    #[error("this stage holds {0} open deal(s): move them to another stage first")]
    HasDeals(usize),
    #[error("a pipeline keeps at least one stage")]
    LastStage,
}

impl PipelineKind {
    pub const ALL: [PipelineKind; 4] = [
        PipelineKind::Sales,
        PipelineKind::Fundraising,
        PipelineKind::Procurement,
        PipelineKind::Hiring,
    ];

    /// How the kind is written in a form or a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            PipelineKind::Sales => "sales",
            PipelineKind::Fundraising => "fundraising",
            PipelineKind::Procurement => "procurement",
            PipelineKind::Hiring => "hiring",
        }
    }

    pub fn from_key(key: &str) -> Option<PipelineKind> {
        PipelineKind::ALL.into_iter().find(|kind| kind.as_str() == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> StageId {
        StageId::from_bytes([n; 16])
    }

    #[test]
    fn a_pipeline_takes_its_words_from_the_screens_language_where_it_has_them() {
        let translated =
            Pipeline::starting("Sales", PipelineKind::Sales, (1..).map(id)).named_by(|name| {
                match name {
                    "Sales" => Some("Продажи".into()),
                    "Lead" => Some("Лид".into()),
                    _ => None,
                }
            });
        assert_eq!(translated.name, "Продажи");
        let names: Vec<&str> = translated.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Лид", "Qualified", "Proposal", "Negotiation"], "unknown names kept");
        assert_eq!(translated.stages[0].probability, 10);
    }

    #[test]
    fn a_pipeline_is_set_up_edited_reordered_and_keeps_stages_with_deals() {
        let mut pipeline =
            Pipeline::starting(" Seed round ", PipelineKind::Fundraising, (1..).map(id));
        assert_eq!(pipeline.name, "Seed round");
        let names = |p: &Pipeline| p.stages.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&pipeline), ["Intro", "Pitch", "Due diligence", "Term sheet"]);
        pipeline.add_stage(id(9), "Closed", 250);
        assert_eq!(pipeline.probability(id(9)), Some(100), "at most 100 %");
        pipeline.edit_stage(id(2), "Partner pitch ", 30);
        pipeline.move_stage(id(9), -1);
        pipeline.move_stage(id(1), -1);
        assert_eq!(
            names(&pipeline),
            ["Intro", "Partner pitch", "Due diligence", "Closed", "Term sheet"]
        );
        assert_eq!(pipeline.probability(id(2)), Some(30));
        assert_eq!(pipeline.remove_stage(id(3), 2), Err(StageInUse::HasDeals(2)));
        assert_eq!(pipeline.stages.len(), 5);
        pipeline.remove_stage(id(3), 0).unwrap();
        assert_eq!(names(&pipeline), ["Intro", "Partner pitch", "Closed", "Term sheet"]);
        let mut single = Pipeline::starting("One", PipelineKind::Sales, [id(1)]);
        assert_eq!(single.remove_stage(id(1), 0), Err(StageInUse::LastStage));
        for kind in PipelineKind::ALL {
            assert_eq!(PipelineKind::from_key(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn custom_field_values_are_read_as_people_type_them_and_refused_with_a_reason() {
        let field = |kind, choices: &[&str]| CustomFieldDef {
            label: "Region".into(),
            kind,
            applies_to: RecordKind::Party,
            choices: choices.iter().map(|c| (*c).to_owned()).collect(),
        };
        let number = field(FieldKind::Number, &[]);
        assert_eq!(number.parse(" 1 200,5 "), Ok(Some(CustomValue::Number(1200.5))));
        assert_eq!(number.parse(""), Ok(None), "empty clears");
        assert!(number.parse("a lot").unwrap_err().to_string().contains("not a number"));
        let date = field(FieldKind::Date, &[]);
        assert_eq!(date.parse("2026-12-01"), Ok(Some(CustomValue::Date("2026-12-01".into()))));
        assert!(date.parse("1.12.2026").unwrap_err().to_string().contains("not a date"));
        let choice = field(FieldKind::Choice, &["North", "South"]);
        assert_eq!(choice.parse("South"), Ok(Some(CustomValue::Choice("South".into()))));
        assert!(choice.parse("East").unwrap_err().to_string().contains("North, South"));
        let yes_no = field(FieldKind::Boolean, &[]);
        assert_eq!(yes_no.parse("true"), Ok(Some(CustomValue::Boolean(true))));
        for text in ["1200.5", "2026-12-01", "South", "true", "plain words"] {
            let kind = match text {
                "1200.5" => FieldKind::Number,
                "2026-12-01" => FieldKind::Date,
                "South" => FieldKind::Choice,
                "true" => FieldKind::Boolean,
                _ => FieldKind::Text,
            };
            let value = field(kind, &["North", "South"]).parse(text).unwrap().unwrap();
            assert_eq!(value.as_input(), text, "round trip through the form");
        }
        for kind in FieldKind::ALL {
            assert_eq!(FieldKind::from_key(kind.as_str()), Some(kind));
        }
    }
}
