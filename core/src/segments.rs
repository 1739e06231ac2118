//! Segments, decided: who a segment's rule admits, over the read model, the same on every device.
//!
//! Nothing about membership is stored: a rule is evaluated afresh against each party's row and what the
//! workspace holds about it (deals, tickets, last contact, static lists, the relay's opt-outs), so a
//! segment follows every change and two devices holding the same documents count the same people.
//! [`Audience`] gathers those per-party facts once; [`Audience::compile`] reads a rule's typed values
//! once (folding text, parsing numbers), so counting 100,000 people while a person types stays cheap.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::ids::{CampaignId, MemberId, PartyId, SegmentId, StageId, Timestamp};
use crate::model::{
    CampaignActivity, Condition, ConditionGroup, ConsentState, DealState, FieldKind, Op,
    PartyField, Role, Segment, SegmentRule, WorkspaceSettings, names,
};
use crate::outbox::normalise_address;
use crate::read_model::{
    CustomCell, DealRow, DealStatusRow, PartyKindRow, PartyRow, ReadModel, RoleRow,
};
use crate::search::fold;
use crate::service::Statuses;
use crate::sla::StatusCategory;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// A segment as lists and screens read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentRow {
    pub id: SegmentId,
    pub name: String,
    pub list: bool,
    pub rule: SegmentRule,
    /// A list's members, in id order.
    pub members: Vec<PartyId>,
    pub created_by: Option<MemberId>,
    pub created_at: Timestamp,
    pub archived: bool,
}

impl SegmentRow {
    /// The list's member ids that stand for `party`: its own, and those of records merged into it.
    /// Taking `party` off the list removes them all.
    pub fn places_of(&self, model: &ReadModel, party: PartyId) -> Vec<PartyId> {
        self.members.iter().copied().filter(|id| survivor(model, *id) == party).collect()
    }

    pub fn of(id: SegmentId, segment: &Segment) -> SegmentRow {
        SegmentRow {
            id,
            name: segment.name.clone(),
            list: segment.list,
            rule: segment.rule.clone(),
            members: names(&segment.members).filter_map(|id| id.parse().ok()).collect(),
            created_by: segment.created_by,
            created_at: segment.created_at,
            archived: segment.archived,
        }
    }
}

/// What is wrong with a condition as typed; such a condition admits nobody until it is corrected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConditionError {
    #[error("“{0}” is not a number")]
    NotANumber(String),
    #[error("“{0}” is not a date (YYYY-MM-DD)")]
    NotADate(String),
    #[error("no such custom field")]
    UnknownField,
    #[error("a value is needed")]
    NoValue,
    #[error("“{0}” has no digits of a phone number")]
    NotAPhone(String),
}

/// What reading a rule's typed values needs: the custom fields' kinds and the time.
#[derive(Debug)]
pub struct Reader<'m> {
    custom_kinds: HashMap<&'m str, FieldKind>,
    now: Timestamp,
}

impl<'m> Reader<'m> {
    pub fn new(settings: &'m WorkspaceSettings, now: Timestamp) -> Reader<'m> {
        let custom_kinds =
            settings.custom_fields.iter().map(|(id, field)| (id.as_str(), field.kind)).collect();
        Reader { custom_kinds, now }
    }

    /// What is wrong with each condition of `group` that cannot be read, by the condition's id.
    pub fn problems(&self, group: &ConditionGroup) -> Vec<(String, ConditionError)> {
        group
            .conditions
            .iter()
            .filter_map(|c| self.test(&c.test).err().map(|error| (c.id.clone(), error)))
            .collect()
    }

    fn test(&self, condition: &Condition) -> Result<Test, ConditionError> {
        let days_ago = |days: u32| Timestamp(self.now.0 - i64::from(days) * DAY_MS);
        Ok(match condition {
            Condition::Kind { organisation } => Test::Kind(if *organisation {
                PartyKindRow::Organisation
            } else {
                PartyKindRow::Person
            }),
            Condition::Role { role, has } => match Role::from_key(role) {
                Some(role) => Test::Role(RoleRow::of(role), *has),
                None => Test::UnknownRole(*has),
            },
            Condition::Tag { tag, has } => {
                let tag = fold(tag.trim());
                if tag.is_empty() {
                    return Err(ConditionError::NoValue);
                }
                Test::Tag(tag, *has)
            }
            Condition::Owner { owner } => Test::Owner(*owner),
            Condition::Field { field, op, value } => {
                if op.takes_value() && value.trim().is_empty() {
                    return Err(ConditionError::NoValue);
                }
                let value = match field {
                    PartyField::Phone => {
                        let digits = phone_digits(value);
                        if op.takes_value() && digits.is_empty() {
                            return Err(ConditionError::NotAPhone(value.trim().to_owned()));
                        }
                        digits
                    }
                    _ => fold(value.trim()),
                };
                Test::Field(*field, *op, value)
            }
            Condition::Custom { field, op, value } => {
                let kind =
                    *self.custom_kinds.get(field.as_str()).ok_or(ConditionError::UnknownField)?;
                let value =
                    if !op.takes_value() { Value::None } else { custom_value(kind, value)? };
                Test::Custom(field.clone(), *op, value)
            }
            Condition::Contacted { within, days } => Test::Contacted(*within, days_ago(*days)),
            Condition::Deal { has, state, stage, at_least } => {
                Test::Deal { has: *has, state: *state, stage: *stage, at_least: *at_least }
            }
            Condition::Ticket { has, open } => Test::Ticket { has: *has, open: *open },
            Condition::Consent { state } => Test::Consent(*state),
            Condition::InList { list, has } => Test::InList(*list, *has),
            Condition::Created { days } => Test::Created(days_ago(*days)),
            Condition::Campaign { campaign, activity, has } => {
                Test::Campaign(*campaign, *activity, *has)
            }
            Condition::Score { at_least, points } => Test::Score(*at_least, *points),
            Condition::Health { at_least, points } => Test::Health(*at_least, *points),
        })
    }
}

/// What the workspace holds about each party beyond its row, gathered once for many evaluations.
/// What was recorded against a record merged into another counts for the survivor.
#[derive(Debug)]
pub struct Audience<'m> {
    model: &'m ReadModel,
    reader: Reader<'m>,
    deals: HashMap<PartyId, Vec<&'m DealRow>>,
    /// Per party: (has any ticket, has an open one).
    tickets: HashMap<PartyId, (bool, bool)>,
    lists: HashMap<SegmentId, HashSet<PartyId>>,
    /// The latest contact with each party and those merged into it.
    contacts: std::borrow::Cow<'m, HashMap<PartyId, Timestamp>>,
    /// Normalised addresses whose latest consent event at the relay is an opt-out.
    opted_out: HashSet<String>,
    /// How far each party went with each campaign sent to them ([`Audience::with_campaigns`]).
    campaigns: HashMap<PartyId, Vec<(CampaignId, CampaignActivity)>>,
    /// Each party's lead score, 0 for those missing ([`Audience::with_scores`]); without them, score
    /// conditions admit nobody.
    scores: Option<std::sync::Arc<HashMap<PartyId, i64>>>,
    /// Everyone's relationship health ([`Audience::with_health`]); without it, health conditions
    /// admit nobody.
    health: Option<std::sync::Arc<crate::relationship::Everyone>>,
}

/// What segments read beyond the rows that a device has from the relay: the addresses that opted
/// out, and how far each recipient went with each campaign (when a segment reads campaigns).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AudienceFacts {
    pub opted_out: Vec<String>,
    pub campaigns: Option<CampaignFacts>,
}

/// How far each recipient went with each campaign: `(party, campaign, activity)`, as
/// [`crate::campaigns::activity`] reads it from the campaigns and the relay's log of opens and clicks.
pub type CampaignFacts = Vec<(PartyId, CampaignId, CampaignActivity)>;

/// A rule with its values read: text folded, numbers parsed.
#[derive(Debug, Clone)]
pub struct Compiled {
    any: bool,
    groups: Vec<(bool, Vec<Test>)>,
    /// Text folded so far, by the text as stored: cities, countries, tags and choices repeat across
    /// thousands of rows, and folding text that is not ASCII is most of a count's work (in wasm it
    /// asks the browser's Unicode tables).
    folds: std::cell::RefCell<HashMap<String, String>>,
}

impl Compiled {
    fn folded(&self, raw: &str) -> String {
        if raw.is_ascii() {
            return raw.trim().to_ascii_lowercase();
        }
        if let Some(folded) = self.folds.borrow().get(raw) {
            return folded.clone();
        }
        let folded = fold(raw.trim());
        self.folds.borrow_mut().insert(raw.to_owned(), folded.clone());
        folded
    }
}

#[derive(Debug, Clone)]
enum Test {
    Kind(PartyKindRow),
    Role(RoleRow, bool),
    /// A role key this version does not know: nobody has it.
    UnknownRole(bool),
    Tag(String, bool),
    Owner(Option<MemberId>),
    Field(PartyField, Op, String),
    Custom(String, Op, Value),
    Contacted(bool, Timestamp),
    Deal {
        has: bool,
        state: DealState,
        stage: Option<StageId>,
        at_least: Option<i64>,
    },
    Ticket {
        has: bool,
        open: bool,
    },
    Consent(ConsentState),
    InList(SegmentId, bool),
    Created(Timestamp),
    Campaign(Option<CampaignId>, CampaignActivity, bool),
    Score(bool, i64),
    Health(bool, u8),
    /// A condition whose value cannot be read: admits nobody.
    Nobody,
}

#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Number(f64),
    Flag(bool),
    None,
}

/// The record `party` was merged into, following merges of merges (a cycle ends the walk).
pub(crate) fn survivor(model: &ReadModel, party: PartyId) -> PartyId {
    let mut at = party;
    for _ in 0..16 {
        match model.parties.get(&at).and_then(|row| row.merged_into) {
            Some(next) if next != party => at = next,
            _ => break,
        }
    }
    at
}

impl<'m> Audience<'m> {
    /// The facts for evaluating segments over `model` at `now`; `opted_out` are the addresses the
    /// relay's consent log says unsubscribed (in any spelling).
    pub fn new(
        model: &'m ReadModel,
        settings: &'m WorkspaceSettings,
        opted_out: impl IntoIterator<Item = String>,
        now: Timestamp,
    ) -> Audience<'m> {
        let merges = model.parties.values().any(|row| row.merged_into.is_some());
        let resolve = |party: PartyId| if merges { survivor(model, party) } else { party };
        let mut deals: HashMap<PartyId, Vec<&DealRow>> = HashMap::new();
        for deal in model.deals.values() {
            for party in &deal.parties {
                deals.entry(resolve(*party)).or_default().push(deal);
            }
        }
        let statuses = Statuses::of(settings);
        let mut tickets: HashMap<PartyId, (bool, bool)> = HashMap::new();
        for ticket in model.tickets.values() {
            let Some(party) = ticket.party else { continue };
            let open = !matches!(
                statuses.category(&ticket.status),
                StatusCategory::Resolved | StatusCategory::Closed
            );
            let entry = tickets.entry(resolve(party)).or_default();
            *entry = (true, entry.1 || open);
        }
        let lists = model
            .segments
            .values()
            .filter(|segment| segment.list)
            .map(|segment| (segment.id, segment.members.iter().map(|p| resolve(*p)).collect()))
            .collect();
        let contacts = if merges {
            std::borrow::Cow::Owned(model.last_contacts_merged())
        } else {
            std::borrow::Cow::Borrowed(&model.last_contact)
        };
        Audience {
            model,
            reader: Reader::new(settings, now),
            deals,
            tickets,
            lists,
            contacts,
            opted_out: opted_out.into_iter().map(|a| normalise_address(&a)).collect(),
            campaigns: HashMap::new(),
            scores: None,
            health: None,
        }
    }

    /// With everyone's relationship health ([`crate::relationship::everyone`]; records missing are
    /// at 100), shared: a device computes it once for every screen that reads it.
    pub fn with_health(
        mut self,
        health: std::sync::Arc<crate::relationship::Everyone>,
    ) -> Audience<'m> {
        self.health = Some(health);
        self
    }

    /// With each party's lead score ([`crate::scoring::Scorer::scores`]; parties missing score 0),
    /// shared: a device computes them once for every screen that reads them.
    pub fn with_scores(mut self, scores: std::sync::Arc<HashMap<PartyId, i64>>) -> Audience<'m> {
        self.scores = Some(scores);
        self
    }

    /// With how far each recipient went with each campaign (without them, nobody was sent any): a
    /// copy sent to a record since merged counts for the record it was merged into.
    pub fn with_campaigns(mut self, facts: CampaignFacts) -> Audience<'m> {
        let merges = self.model.parties.values().any(|row| row.merged_into.is_some());
        for (party, campaign, activity) in facts {
            let party = if merges { survivor(self.model, party) } else { party };
            self.campaigns.entry(party).or_default().push((campaign, activity));
        }
        self
    }

    /// Reads `rule`'s values once. A condition that cannot be read admits nobody
    /// (see [`Audience::problems`]).
    pub fn compile(&self, rule: &SegmentRule) -> Compiled {
        Compiled {
            any: rule.any,
            groups: rule
                .groups
                .iter()
                .map(|group| {
                    (
                        group.any,
                        group
                            .conditions
                            .iter()
                            .map(|c| self.reader.test(&c.test).unwrap_or(Test::Nobody))
                            .collect(),
                    )
                })
                .collect(),
            folds: Default::default(),
        }
    }

    /// What is wrong with each condition of `group` that cannot be read, by the condition's id.
    pub fn problems(&self, group: &ConditionGroup) -> Vec<(String, ConditionError)> {
        self.reader.problems(group)
    }

    /// Whether `row` is in the audience `rule` describes. Archived and merged records never are.
    pub fn matches(&self, rule: &Compiled, row: &PartyRow) -> bool {
        if row.archived {
            return false;
        }
        let group = |(any, tests): &(bool, Vec<Test>)| {
            if tests.is_empty() {
                true
            } else if *any {
                tests.iter().any(|test| self.passes(rule, test, row))
            } else {
                tests.iter().all(|test| self.passes(rule, test, row))
            }
        };
        if rule.groups.is_empty() {
            true
        } else if rule.any {
            rule.groups.iter().any(group)
        } else {
            rule.groups.iter().all(group)
        }
    }

    /// How many parties `rule` admits.
    pub fn count(&self, rule: &SegmentRule) -> usize {
        let compiled = self.compile(rule);
        self.model.parties.values().filter(|row| self.matches(&compiled, row)).count()
    }

    /// The parties `rule` admits, in id order.
    pub fn members(&self, rule: &SegmentRule) -> Vec<&'m PartyRow> {
        let compiled = self.compile(rule);
        self.model.parties.values().filter(|row| self.matches(&compiled, row)).collect()
    }

    /// The parties in `segment`: a list's members still in the workspace and not archived, or whom
    /// its rule admits.
    pub fn of_segment(&self, segment: &crate::segments::SegmentRow) -> Vec<&'m PartyRow> {
        if segment.list {
            let mut members: Vec<PartyId> =
                segment.members.iter().map(|id| survivor(self.model, *id)).collect();
            members.sort_unstable();
            members.dedup();
            members
                .iter()
                .filter_map(|id| self.model.parties.get(id))
                .filter(|row| !row.archived)
                .collect()
        } else {
            self.members(&segment.rule)
        }
    }

    /// Where `row` stands on marketing email.
    pub fn consent(&self, row: &PartyRow) -> ConsentState {
        let unsubscribed =
            row.emails.iter().any(|email| self.opted_out.contains(&normalise_address(email)));
        match row.email_consent {
            _ if unsubscribed => ConsentState::Refused,
            Some(true) => ConsentState::Given,
            Some(false) => ConsentState::Refused,
            None => ConsentState::Unknown,
        }
    }

    fn passes(&self, rule: &Compiled, test: &Test, row: &PartyRow) -> bool {
        match test {
            Test::Kind(kind) => row.kind == *kind,
            Test::Role(role, has) => row.roles.contains(role) == *has,
            Test::UnknownRole(has) => !has,
            Test::Tag(tag, has) => row.tags.iter().any(|t| rule.folded(t) == *tag) == *has,
            Test::Owner(owner) => row.owner == *owner,
            Test::Field(field, op, value) => {
                let values: &[String] = match field {
                    PartyField::Name => std::slice::from_ref(&row.sort_name),
                    PartyField::Email => &row.emails,
                    PartyField::Phone => &row.phones,
                    PartyField::City => &row.cities,
                    PartyField::Country => &row.countries,
                };
                let folded = values.iter().map(|v| match field {
                    PartyField::Name => v.clone(),
                    PartyField::Phone => phone_digits(v),
                    _ => rule.folded(v),
                });
                compare_texts(folded, *op, value)
            }
            Test::Custom(field, op, value) => {
                let cell = row.custom.iter().find(|(key, _)| key == field).map(|(_, cell)| cell);
                compare_custom(rule, cell, *op, value)
            }
            Test::Contacted(within, since) => {
                let recent = self.contacts.get(&row.id).is_some_and(|at| *at >= *since);
                recent == *within
            }
            Test::Deal { has, state, stage, at_least } => {
                let found = self.deals.get(&row.id).is_some_and(|deals| {
                    deals.iter().any(|deal| {
                        let in_state = match state {
                            DealState::Any => true,
                            DealState::Open => deal.status == DealStatusRow::Open,
                            DealState::Won => deal.status == DealStatusRow::Won,
                            DealState::Lost => deal.status == DealStatusRow::Lost,
                        };
                        in_state
                            && stage.is_none_or(|stage| deal.stage == stage)
                            && at_least.is_none_or(|least| deal.amount_minor >= least)
                    })
                });
                found == *has
            }
            Test::Ticket { has, open } => {
                let (any, any_open) = self.tickets.get(&row.id).copied().unwrap_or_default();
                (if *open { any_open } else { any }) == *has
            }
            Test::Consent(state) => self.consent(row) == *state,
            Test::InList(list, has) => {
                self.lists.get(list).is_some_and(|members| members.contains(&row.id)) == *has
            }
            Test::Created(since) => row.created_at >= *since,
            Test::Campaign(campaign, activity, has) => {
                let went = self.campaigns.get(&row.id).is_some_and(|done| {
                    done.iter().any(|(c, a)| campaign.is_none_or(|x| x == *c) && a >= activity)
                });
                went == *has
            }
            Test::Score(at_least, points) => self.scores.as_ref().is_some_and(|scores| {
                let score = scores.get(&row.id).copied().unwrap_or(0);
                (score >= *points) == *at_least
            }),
            Test::Health(at_least, points) => self.health.as_ref().is_some_and(|everyone| {
                let score = everyone.health.get(&row.id).map_or(100, |health| health.score);
                (score >= *points) == *at_least
            }),
            Test::Nobody => false,
        }
    }
}

/// A field with several values matches `Contains`, `Is`, `AtLeast` and `AtMost` when any value does,
/// `IsNot` when none is the value, `Empty` when it has none.
fn compare_texts(mut values: impl Iterator<Item = String>, op: Op, wanted: &str) -> bool {
    match op {
        Op::Contains => values.any(|v| v.contains(wanted)),
        Op::Is => values.any(|v| v == wanted),
        Op::IsNot => values.all(|v| v != wanted),
        Op::Empty => values.all(|v| v.is_empty()),
        Op::NotEmpty => values.any(|v| !v.is_empty()),
        Op::AtLeast => values.any(|v| v.as_str() >= wanted),
        Op::AtMost => values.any(|v| !v.is_empty() && v.as_str() <= wanted),
    }
}

fn compare_custom(rule: &Compiled, cell: Option<&CustomCell>, op: Op, wanted: &Value) -> bool {
    match op {
        Op::Empty => return cell.is_none(),
        Op::NotEmpty => return cell.is_some(),
        _ => {}
    }
    let Some(cell) = cell else { return op == Op::IsNot };
    match (cell, wanted) {
        (CustomCell::Number(number), Value::Number(wanted)) => match op {
            Op::Is => number == wanted,
            Op::IsNot => number != wanted,
            Op::AtLeast => number >= wanted,
            Op::AtMost => number <= wanted,
            _ => false,
        },
        (CustomCell::Boolean(flag), Value::Flag(wanted)) => match op {
            Op::Is => flag == wanted,
            Op::IsNot => flag != wanted,
            _ => false,
        },
        (
            CustomCell::Text(text) | CustomCell::Choice(text) | CustomCell::Date(text),
            Value::Text(wanted),
        ) => compare_texts(std::iter::once(rule.folded(text)), op, wanted),
        // A value of another kind than the field's (the field's kind changed since): it is not the value.
        _ => op == Op::IsNot,
    }
}

fn custom_value(kind: FieldKind, text: &str) -> Result<Value, ConditionError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ConditionError::NoValue);
    }
    match kind {
        FieldKind::Number => crate::goals::parse_number(text)
            .map(Value::Number)
            .ok_or_else(|| ConditionError::NotANumber(text.to_owned())),
        FieldKind::Date => match crate::contract::parse_day(text) {
            Some(_) if text.len() == 10 => Ok(Value::Text(text.to_owned())),
            _ => Err(ConditionError::NotADate(text.to_owned())),
        },
        FieldKind::Boolean => {
            Ok(Value::Flag(matches!(fold(text).as_str(), "true" | "yes" | "да" | "1")))
        }
        FieldKind::Text | FieldKind::Choice => Ok(Value::Text(fold(text))),
    }
}

/// A phone as its digits, so "+7 916 123-45-67" is "79161234567" however it was typed.
fn phone_digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use proptest::prelude::*;

    use super::*;
    use crate::demo::{self, DemoSizes, DemoWorkspace};
    use crate::model::{CustomFieldDef, CustomValue, Party, PartyKind, RecordKind, RuleCondition};

    const NOW: Timestamp = Timestamp(1_795_000_000_000);

    struct Fixture {
        demo: DemoWorkspace,
        model: ReadModel,
        list: SegmentId,
        opted_out: Vec<String>,
        /// Each record merged into another, with the one it was merged into.
        merged: HashMap<PartyId, PartyId>,
        listed: HashSet<PartyId>,
        /// Two campaigns' recipients and how far each went (some since merged into others).
        campaigns: CampaignFacts,
        /// Lead scores of every second record (from -2 to 10); the others score 0.
        scores: HashMap<PartyId, i64>,
        /// Everyone's relationship health at `NOW`, and each record's signals it is computed from.
        health: crate::relationship::Everyone,
        signals: HashMap<PartyId, crate::relationship::Signals>,
    }

    const SPRING: CampaignId = CampaignId::from_bytes([5; 16]);
    const AUTUMN: CampaignId = CampaignId::from_bytes([6; 16]);

    impl Fixture {
        fn audience(&self) -> Audience<'_> {
            Audience::new(&self.model, &self.demo.settings, self.opted_out.clone(), NOW)
                .with_campaigns(self.campaigns.clone())
                .with_scores(std::sync::Arc::new(self.scores.clone()))
                .with_health(std::sync::Arc::new(self.health.clone()))
        }
    }

    /// A demo workspace of a few hundred parties with every kind of custom field, some records
    /// archived and some merged into others (one merged twice over), a static list and a few
    /// unsubscribed addresses; its read model built the way a device builds it: from the documents.
    fn fixture() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            let sizes = DemoSizes {
                parties: 300,
                interactions: 1_500,
                deals: 200,
                tasks: 0,
                tickets: 120,
                contracts: 0,
                suppliers: 0,
            };
            let mut demo = demo::generate(11, sizes, NOW);
            let field = |label: &str, kind: FieldKind| CustomFieldDef {
                label: label.into(),
                kind,
                applies_to: RecordKind::Party,
                choices: Vec::new(),
            };
            for (key, label, kind) in [
                ("text", "Notes", FieldKind::Text),
                ("date", "Renewal", FieldKind::Date),
                ("flag", "Newsletter", FieldKind::Boolean),
            ] {
                demo.settings.custom_fields.insert(key.into(), field(label, kind));
            }
            let ids: Vec<PartyId> = demo.parties.iter().map(|(id, _)| *id).collect();
            let mut merged = HashMap::new();
            for (n, (id, party)) in demo.parties.iter_mut().enumerate() {
                match n % 5 {
                    0 => party
                        .custom
                        .insert("text".into(), CustomValue::Text(format!("VIP lead {n}"))),
                    1 => party.custom.insert(
                        "date".into(),
                        CustomValue::Date(format!("2026-{:02}-{:02}", n % 12 + 1, n % 28 + 1)),
                    ),
                    2 => party.custom.insert("flag".into(), CustomValue::Boolean(n % 2 == 0)),
                    _ => None,
                };
                if n % 47 == 2 {
                    party.archived = true;
                }
                // Merged into the next record; the one at 60 into 61, which is itself merged into 62.
                if n % 53 == 8 || n == 60 || n == 61 {
                    party.merged_into = Some(ids[n + 1]);
                    merged.insert(*id, ids[n + 1]);
                }
            }
            let mut model = ReadModel::default();
            for (key, mut doc) in demo.to_documents().unwrap() {
                model.replace_document(key, &mut doc);
            }
            let list = SegmentId::from_bytes([7; 16]);
            // Every seventh, and one merged twice over with the record it ended in.
            let mut listed: HashSet<PartyId> = ids.iter().step_by(7).copied().collect();
            listed.extend([ids[60], ids[62]]);
            let segment = Segment {
                name: "Fair 2026".into(),
                list: true,
                rule: SegmentRule::default(),
                members: listed.iter().map(|id| (id.to_string(), true)).collect(),
                created_by: None,
                created_at: NOW,
                archived: false,
            };
            model.segments.insert(list, SegmentRow::of(list, &segment));
            let opted_out = demo
                .parties
                .iter()
                .step_by(11)
                .filter_map(|(_, p)| p.emails.first())
                .map(|e| e.value.to_uppercase())
                .collect();
            // Spring went to every third record: of those, every second opened it and every fourth
            // clicked; autumn to every seventh, of whom every third clicked.
            let mut campaigns = CampaignFacts::new();
            for (n, (id, _)) in demo.parties.iter().enumerate() {
                if n % 3 == 0 {
                    let activity = match n / 3 % 4 {
                        0 => CampaignActivity::Clicked,
                        2 => CampaignActivity::Opened,
                        _ => CampaignActivity::Sent,
                    };
                    campaigns.push((*id, SPRING, activity));
                }
                if n % 7 == 0 {
                    let clicked = n / 7 % 3 == 0;
                    let activity =
                        if clicked { CampaignActivity::Clicked } else { CampaignActivity::Sent };
                    campaigns.push((*id, AUTUMN, activity));
                }
            }
            let scores = ids.iter().enumerate().step_by(2).map(|(n, id)| (*id, n as i64 % 13 - 2));
            let scores = scores.collect();
            let health = crate::relationship::everyone(&model, &demo.settings, NOW);
            let signals = crate::relationship::signals(&model, &demo.settings, NOW);
            Fixture {
                demo,
                model,
                list,
                opted_out,
                merged,
                listed,
                campaigns,
                scores,
                health,
                signals,
            }
        })
    }

    /// The records `id` stands for: itself and every record merged into it, however indirectly.
    fn family(f: &Fixture, id: PartyId) -> Vec<PartyId> {
        let mut family = vec![id];
        loop {
            let more: Vec<PartyId> = f
                .merged
                .iter()
                .filter(|(from, into)| family.contains(into) && !family.contains(from))
                .map(|(from, _)| *from)
                .collect();
            if more.is_empty() {
                return family;
            }
            family.extend(more);
        }
    }

    /// The rule's meaning read straight off the records, as docs/data-model.md states it, with none
    /// of the evaluator's shortcuts.
    fn naive(f: &Fixture, rule: &SegmentRule, id: PartyId, party: &Party) -> bool {
        if party.archived || party.merged_into.is_some() {
            return false;
        }
        let holds = |g: &ConditionGroup| {
            let results: Vec<bool> =
                g.conditions.iter().map(|c| naive_condition(f, &c.test, id, party)).collect();
            results.is_empty()
                || if g.any { results.contains(&true) } else { !results.contains(&false) }
        };
        let results: Vec<bool> = rule.groups.iter().map(holds).collect();
        results.is_empty()
            || if rule.any { results.contains(&true) } else { !results.contains(&false) }
    }

    /// Lowercase without accents, as the search box compares.
    fn plain(text: &str) -> String {
        crate::search::fold(text.trim())
    }

    /// One value of a field against what was typed.
    fn one(value: &str, op: Op, wanted: &str) -> bool {
        match op {
            Op::Contains => value.contains(wanted),
            Op::Is => value == wanted,
            Op::IsNot => value != wanted,
            Op::AtLeast => value >= wanted,
            Op::AtMost => !value.is_empty() && value <= wanted,
            Op::Empty => value.is_empty(),
            Op::NotEmpty => !value.is_empty(),
        }
    }

    /// A field with several values: `IsNot` and `Empty` must hold of every value, the rest of one.
    fn several(values: &[String], op: Op, wanted: &str) -> bool {
        let mut hold = values.iter().filter(|v| one(v, op, wanted));
        match op {
            Op::IsNot | Op::Empty => hold.count() == values.len(),
            _ => hold.next().is_some(),
        }
    }

    fn naive_condition(f: &Fixture, condition: &Condition, id: PartyId, party: &Party) -> bool {
        let settings = &f.demo.settings;
        let since = |days: u32| Timestamp(NOW.0 - i64::from(days) * 86_400_000);
        let family = family(f, id);
        match condition {
            Condition::Kind { organisation } => {
                (party.kind == PartyKind::Organisation) == *organisation
            }
            Condition::Role { role, has } => {
                let known = Role::from_key(role).is_some();
                (known && party.roles.get(role.as_str()) == Some(&true)) == *has
            }
            Condition::Tag { tag, has } => {
                if plain(tag).is_empty() {
                    return false;
                }
                names(&party.tags).any(|t| plain(t) == plain(tag)) == *has
            }
            Condition::Owner { owner } => party.owner == *owner,
            Condition::Field { field, op, value } => {
                let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
                if op.takes_value() && plain(value).is_empty() {
                    return false;
                }
                if *field == PartyField::Phone && op.takes_value() && digits(value).is_empty() {
                    return false;
                }
                let values: Vec<String> = match field {
                    PartyField::Name => vec![plain(&party.name)],
                    PartyField::Email => party.emails.iter().map(|e| plain(&e.value)).collect(),
                    PartyField::Phone => party.phones.iter().map(|p| digits(&p.value)).collect(),
                    PartyField::City => party
                        .addresses
                        .iter()
                        .map(|a| plain(&a.city))
                        .filter(|c| !c.is_empty())
                        .collect(),
                    PartyField::Country => party
                        .addresses
                        .iter()
                        .map(|a| plain(&a.country))
                        .filter(|c| !c.is_empty())
                        .collect(),
                };
                let wanted = if *field == PartyField::Phone { digits(value) } else { plain(value) };
                several(&values, *op, &wanted)
            }
            Condition::Custom { field, op, value } => {
                let Some(def) = settings.custom_fields.get(field) else { return false };
                let stored = party.custom.get(field);
                if *op == Op::Empty || *op == Op::NotEmpty {
                    return stored.is_none() == (*op == Op::Empty);
                }
                // A value that cannot be read as the field's kind admits nobody.
                let readable = match def.kind {
                    FieldKind::Number => crate::goals::parse_number(value).is_some(),
                    FieldKind::Date => {
                        value.trim().len() == 10
                            && crate::contract::parse_day(value.trim()).is_some()
                    }
                    _ => !plain(value).is_empty(),
                };
                if !readable {
                    return false;
                }
                match (def.kind, stored) {
                    (_, None) => *op == Op::IsNot,
                    (FieldKind::Number, Some(CustomValue::Number(n))) => {
                        let Some(wanted) = crate::goals::parse_number(value) else { return false };
                        match op {
                            Op::Is => *n == wanted,
                            Op::IsNot => *n != wanted,
                            Op::AtLeast => *n >= wanted,
                            Op::AtMost => *n <= wanted,
                            _ => false,
                        }
                    }
                    (FieldKind::Boolean, Some(CustomValue::Boolean(flag))) => {
                        let wanted = ["true", "yes", "да", "1"].contains(&plain(value).as_str());
                        match op {
                            Op::Is => *flag == wanted,
                            Op::IsNot => *flag != wanted,
                            _ => false,
                        }
                    }
                    (FieldKind::Date, Some(CustomValue::Date(day))) => {
                        let valid = value.trim().len() == 10
                            && crate::contract::parse_day(value.trim()).is_some();
                        valid && one(&plain(day), *op, &plain(value))
                    }
                    (
                        FieldKind::Text | FieldKind::Choice,
                        Some(CustomValue::Text(text) | CustomValue::Choice(text)),
                    ) => one(&plain(text), *op, &plain(value)),
                    _ => *op == Op::IsNot,
                }
            }
            Condition::Contacted { within, days } => {
                let recent = f.demo.interactions.iter().any(|(_, i)| {
                    i.at >= since(*days) && i.parties.iter().any(|p| family.contains(p))
                });
                recent == *within
            }
            Condition::Deal { has, state, stage, at_least } => {
                use crate::model::DealStatus;
                let found = f.demo.deals.iter().any(|(_, deal)| {
                    deal.parties.iter().any(|p| family.contains(p))
                        && match state {
                            DealState::Any => true,
                            DealState::Open => deal.status == DealStatus::Open,
                            DealState::Won => deal.status == DealStatus::Won,
                            DealState::Lost => deal.status == DealStatus::Lost,
                        }
                        && stage.is_none_or(|s| deal.stage == s)
                        && at_least.is_none_or(|least| deal.amount.minor >= least)
                });
                found == *has
            }
            Condition::Ticket { has, open } => {
                let statuses = Statuses::of(settings);
                let found = f.demo.tickets.iter().any(|(_, ticket)| {
                    ticket.party.is_some_and(|p| family.contains(&p))
                        && (!open
                            || !matches!(
                                statuses.category(ticket.current_status()),
                                StatusCategory::Resolved | StatusCategory::Closed
                            ))
                });
                found == *has
            }
            Condition::Consent { state } => {
                let unsubscribed = party.emails.iter().any(|e| {
                    f.opted_out
                        .iter()
                        .any(|o| o.trim().to_lowercase() == e.value.trim().to_lowercase())
                });
                let actual = if unsubscribed || party.consent.email_marketing == Some(false) {
                    ConsentState::Refused
                } else if party.consent.email_marketing == Some(true) {
                    ConsentState::Given
                } else {
                    ConsentState::Unknown
                };
                actual == *state
            }
            Condition::InList { list, has } => {
                let listed = *list == f.list && family.iter().any(|p| f.listed.contains(p));
                listed == *has
            }
            Condition::Created { days } => party.created_at >= since(*days),
            Condition::Campaign { campaign, activity, has } => {
                let went = f.campaigns.iter().any(|(p, c, a)| {
                    family.contains(p) && campaign.is_none_or(|x| x == *c) && a >= activity
                });
                went == *has
            }
            Condition::Score { at_least, points } => {
                let score = f.scores.get(&id).copied().unwrap_or(0);
                (score >= *points) == *at_least
            }
            Condition::Health { at_least, points } => {
                // The record's own health, from its signals (not from the shared map of everyone).
                let none = crate::relationship::Signals::default();
                let signals = f.signals.get(&id).unwrap_or(&none);
                let score = crate::relationship::health(&f.model.parties[&id], signals, NOW).score;
                (score >= *points) == *at_least
            }
        }
    }

    fn condition() -> impl Strategy<Value = Condition> {
        let f = fixture();
        let members: Vec<Option<MemberId>> = std::iter::once(None)
            .chain(f.demo.settings.members.keys().map(|m| m.parse().ok()))
            .collect();
        let stages: Vec<Option<StageId>> = std::iter::once(None)
            .chain(
                f.demo
                    .settings
                    .pipelines
                    .values()
                    .flat_map(|p| p.stages.iter().map(|s| Some(s.id))),
            )
            .collect();
        let fields: Vec<String> =
            f.demo.settings.custom_fields.keys().cloned().chain(["nosuch".into()]).collect();
        let roles: Vec<String> =
            Role::ALL.iter().map(|r| r.key().to_owned()).chain(["nosuch".into()]).collect();
        let tags: Vec<String> = f
            .demo
            .parties
            .iter()
            .flat_map(|(_, p)| names(&p.tags).map(str::to_uppercase).collect::<Vec<_>>())
            .chain(["nosuch".into(), " ".into()])
            .collect();
        let words = prop::sample::select(vec![
            "",
            " ",
            "an",
            "AN",
            "mail.test",
            "berlin",
            "Москва",
            "россия",
            "germany",
            "+7 9",
            "44",
            "info@",
            "Retail",
            "software",
            "100",
            "2500",
            "1,5",
            "abc",
            "vip",
            "2026-06-01",
            "2026-13-01",
            "true",
            "yes",
            "no",
        ]);
        let op = prop::sample::select(Op::ALL.to_vec());
        prop_oneof![
            any::<bool>().prop_map(|organisation| Condition::Kind { organisation }),
            (prop::sample::select(roles), any::<bool>())
                .prop_map(|(role, has)| Condition::Role { role, has }),
            (prop::sample::select(tags), any::<bool>())
                .prop_map(|(tag, has)| Condition::Tag { tag, has }),
            prop::sample::select(members).prop_map(|owner| Condition::Owner { owner }),
            (prop::sample::select(PartyField::ALL.to_vec()), op.clone(), words.clone())
                .prop_map(|(field, op, value)| Condition::Field { field, op, value: value.into() }),
            (prop::sample::select(fields), op, words).prop_map(|(field, op, value)| {
                Condition::Custom { field, op, value: value.into() }
            }),
            (any::<bool>(), prop::sample::select(vec![0u32, 30, 365, 800]))
                .prop_map(|(within, days)| Condition::Contacted { within, days }),
            (
                any::<bool>(),
                prop::sample::select(DealState::ALL.to_vec()),
                prop::sample::select(stages),
                prop::sample::select(vec![None, Some(100_000i64), Some(20_000_000)]),
            )
                .prop_map(|(has, state, stage, at_least)| Condition::Deal {
                    has,
                    state,
                    stage,
                    at_least
                }),
            (any::<bool>(), any::<bool>()).prop_map(|(has, open)| Condition::Ticket { has, open }),
            prop::sample::select(ConsentState::ALL.to_vec())
                .prop_map(|state| Condition::Consent { state }),
            (prop::sample::select(vec![f.list, SegmentId::from_bytes([8; 16])]), any::<bool>())
                .prop_map(|(list, has)| Condition::InList { list, has }),
            prop::sample::select(vec![30u32, 365, 1_000])
                .prop_map(|days| Condition::Created { days }),
            (
                prop::sample::select(vec![
                    None,
                    Some(SPRING),
                    Some(AUTUMN),
                    Some(CampaignId::from_bytes([7; 16]))
                ]),
                prop::sample::select(CampaignActivity::ALL.to_vec()),
                any::<bool>(),
            )
                .prop_map(|(campaign, activity, has)| Condition::Campaign {
                    campaign,
                    activity,
                    has
                }),
            (any::<bool>(), prop::sample::select(vec![-5_i64, -1, 0, 3, 10, 11]))
                .prop_map(|(at_least, points)| Condition::Score { at_least, points }),
            (any::<bool>(), prop::sample::select(vec![0_u8, 40, 60, 85, 100]))
                .prop_map(|(at_least, points)| Condition::Health { at_least, points }),
        ]
    }

    fn keyed(conditions: Vec<Condition>) -> Vec<RuleCondition> {
        conditions
            .into_iter()
            .enumerate()
            .map(|(n, test)| RuleCondition { id: format!("c{n}"), test })
            .collect()
    }

    fn rule() -> impl Strategy<Value = SegmentRule> {
        let group = (any::<bool>(), prop::collection::vec(condition(), 0..4)).prop_map(
            |(any, conditions)| ConditionGroup {
                id: String::new(),
                any,
                conditions: keyed(conditions),
            },
        );
        (any::<bool>(), prop::collection::vec(group, 0..3))
            .prop_map(|(any, groups)| SegmentRule { any, groups })
    }

    fn only(condition: Condition) -> SegmentRule {
        SegmentRule {
            any: false,
            groups: vec![ConditionGroup {
                id: "g".into(),
                any: false,
                conditions: keyed(vec![condition]),
            }],
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(384))]

        #[test]
        fn a_segment_admits_exactly_whom_a_naive_filter_over_the_records_admits(rule in rule()) {
            let f = fixture();
            let audience = f.audience();
            let admitted: Vec<PartyId> = audience.members(&rule).iter().map(|row| row.id).collect();
            let mut expected: Vec<PartyId> =
                f.demo.parties.iter().filter(|(id, p)| naive(f, &rule, *id, p)).map(|(id, _)| *id).collect();
            expected.sort();
            prop_assert_eq!(audience.count(&rule), expected.len());
            prop_assert_eq!(admitted, expected);
        }
    }

    #[test]
    fn the_fixture_gives_every_kind_of_condition_someone_to_admit_and_someone_to_refuse() {
        // Without variety the property above would hold vacuously: each condition here splits the
        // workspace.
        let f = fixture();
        let audience = f.audience();
        let everyone = audience.count(&SegmentRule::default());
        let standing =
            f.demo.parties.iter().filter(|(_, p)| !p.archived && p.merged_into.is_none()).count();
        assert_eq!(everyone, standing, "archived and merged records are in no segment");
        assert!(everyone < f.demo.parties.len());
        let field = |label: &str| {
            f.demo.settings.custom_fields.iter().find(|(_, d)| d.label == label).unwrap().0.clone()
        };
        for condition in [
            Condition::Kind { organisation: true },
            Condition::Role { role: "customer".into(), has: true },
            Condition::Field { field: PartyField::City, op: Op::Is, value: "BERLIN".into() },
            Condition::Field {
                field: PartyField::Country, op: Op::Contains, value: "росс".into()
            },
            Condition::Field { field: PartyField::Phone, op: Op::Contains, value: "+7 9".into() },
            Condition::Custom { field: field("Industry"), op: Op::Is, value: "retail".into() },
            Condition::Custom { field: field("Employees"), op: Op::AtLeast, value: "2 500".into() },
            Condition::Custom { field: field("Notes"), op: Op::Contains, value: "vip".into() },
            Condition::Custom {
                field: field("Renewal"),
                op: Op::AtLeast,
                value: "2026-06-01".into(),
            },
            Condition::Custom { field: field("Newsletter"), op: Op::Is, value: "yes".into() },
            Condition::Contacted { within: true, days: 90 },
            Condition::Deal {
                has: true,
                state: DealState::Open,
                stage: None,
                at_least: Some(100_000),
            },
            Condition::Ticket { has: true, open: true },
            Condition::Consent { state: ConsentState::Given },
            Condition::Consent { state: ConsentState::Refused },
            Condition::Consent { state: ConsentState::Unknown },
            Condition::InList { list: f.list, has: true },
            Condition::Created { days: 365 },
            Condition::Campaign {
                campaign: Some(SPRING),
                activity: CampaignActivity::Sent,
                has: true,
            },
            Condition::Campaign {
                campaign: Some(SPRING),
                activity: CampaignActivity::Opened,
                has: false,
            },
            Condition::Campaign { campaign: None, activity: CampaignActivity::Clicked, has: true },
            Condition::Campaign {
                campaign: Some(AUTUMN),
                activity: CampaignActivity::Clicked,
                has: false,
            },
        ] {
            let n = audience.count(&only(condition.clone()));
            assert!(0 < n && n < everyone, "{condition:?} admits {n} of {everyone}");
        }
        // An unsubscribe link outranks the record's consent.
        let unsubscribed = f
            .model
            .parties
            .values()
            .find(|row| {
                row.email_consent == Some(true)
                    && row.emails.iter().any(|e| f.opted_out.contains(&e.to_uppercase()))
            })
            .expect("someone who agreed and then unsubscribed");
        assert_eq!(audience.consent(unsubscribed), ConsentState::Refused);
        // A survivor has the deals, tickets, contacts and list places of what was merged into it.
        let survivor = f.merged[&f.demo.parties[61].0];
        assert_eq!(f.merged[&f.demo.parties[60].0], f.demo.parties[61].0, "merged twice over");
        let listed = only(Condition::InList { list: f.list, has: true });
        let admitted: HashSet<PartyId> = audience.members(&listed).iter().map(|p| p.id).collect();
        assert!(f.listed.contains(&f.demo.parties[63].0) || !admitted.is_empty());
        let list_row = &f.model.segments[&f.list];
        let of_list: Vec<PartyId> = audience.of_segment(list_row).iter().map(|p| p.id).collect();
        assert_eq!(
            of_list.iter().copied().collect::<HashSet<_>>(),
            admitted,
            "a list holds whom InList admits"
        );
        assert!(!of_list.iter().any(|p| f.merged.contains_key(p)), "never a merged record");
        assert!(
            admitted.contains(&survivor)
                == family(f, survivor).iter().any(|p| f.listed.contains(p))
        );
        // Spring went to the record at 60, which clicked it; the one it was merged into counts.
        let clicked_spring = only(Condition::Campaign {
            campaign: Some(SPRING),
            activity: CampaignActivity::Clicked,
            has: true,
        });
        let clicked: HashSet<PartyId> =
            audience.members(&clicked_spring).iter().map(|p| p.id).collect();
        assert_eq!(survivor, f.demo.parties[62].0);
        assert!(clicked.contains(&survivor) && !clicked.contains(&f.demo.parties[60].0));
        // Without the campaigns' facts nobody was sent anything.
        let bare = Audience::new(&f.model, &f.demo.settings, Vec::new(), NOW);
        assert_eq!(bare.count(&clicked_spring), 0);
        // Taking someone off a list takes off every place standing for them.
        for shown in &of_list {
            let places = list_row.places_of(&f.model, *shown);
            let mut expected: Vec<PartyId> =
                family(f, *shown).into_iter().filter(|p| f.listed.contains(p)).collect();
            expected.sort_unstable();
            assert_eq!(places, expected, "the places of {shown}");
        }
        assert!(
            of_list.iter().any(|p| list_row.places_of(&f.model, *p).len() > 1),
            "someone on the list through a merged record"
        );
    }

    #[test]
    fn the_benchmarks_model_built_from_the_records_is_the_one_built_from_the_documents() {
        let sizes = DemoSizes {
            parties: 200,
            interactions: 800,
            deals: 100,
            tasks: 0,
            tickets: 60,
            contracts: 0,
            suppliers: 0,
        };
        let demo = demo::generate(3, sizes, NOW);
        let direct = ReadModel::of_demo(&demo);
        let mut model = ReadModel::default();
        for (key, mut doc) in demo.to_documents().unwrap() {
            model.replace_document(key, &mut doc);
        }
        assert_eq!(direct.parties, model.parties);
        assert_eq!(direct.deals, model.deals);
        assert_eq!(direct.tickets, model.tickets);
        assert_eq!(direct.last_contact, model.last_contact);
        assert_eq!(direct.segments, model.segments);
        assert_eq!(direct.segments.len(), 3, "the demo's two segments and a list");
    }

    #[test]
    fn a_value_that_cannot_be_read_admits_nobody_and_says_why() {
        let f = fixture();
        let audience = Audience::new(&f.model, &f.demo.settings, Vec::new(), NOW);
        let head_count =
            f.demo.settings.custom_fields.iter().find(|(_, d)| d.label == "Employees").unwrap().0;
        let group = ConditionGroup {
            id: "g".into(),
            any: true,
            conditions: keyed(vec![
                Condition::Custom {
                    field: head_count.clone(),
                    op: Op::AtLeast,
                    value: "many".into(),
                },
                Condition::Custom { field: "gone".into(), op: Op::Is, value: "x".into() },
                Condition::Field { field: PartyField::Name, op: Op::Contains, value: " ".into() },
                Condition::Tag { tag: " ".into(), has: false },
                Condition::Field { field: PartyField::Phone, op: Op::IsNot, value: "an".into() },
                Condition::Custom {
                    field: "date".into(),
                    op: Op::AtMost,
                    value: "2026-13-01".into(),
                },
                Condition::Kind { organisation: true },
            ]),
        };
        assert_eq!(
            audience.problems(&group),
            vec![
                ("c0".into(), ConditionError::NotANumber("many".into())),
                ("c1".into(), ConditionError::UnknownField),
                ("c2".into(), ConditionError::NoValue),
                ("c3".into(), ConditionError::NoValue),
                ("c4".into(), ConditionError::NotAPhone("an".into())),
                ("c5".into(), ConditionError::NotADate("2026-13-01".into())),
            ]
        );
        let rule = SegmentRule { any: false, groups: vec![group] };
        let organisations = f
            .demo
            .parties
            .iter()
            .filter(|(_, p)| {
                p.kind == PartyKind::Organisation && !p.archived && p.merged_into.is_none()
            })
            .count();
        assert_eq!(audience.count(&rule), organisations, "the readable condition still counts");
    }

    #[test]
    fn two_people_editing_one_rule_at_once_keep_both_edits() {
        use crate::model::RuleEdit;
        let tag = |tag: &str| Condition::Tag { tag: tag.into(), has: true };
        let mut rule = only(tag("a"));
        assert!(rule.apply(&RuleEdit::Add {
            group: "g".into(),
            condition: RuleCondition { id: "c1".into(), test: tag("b") }
        }));
        assert!(rule.apply(&RuleEdit::Add {
            group: "g".into(),
            condition: RuleCondition { id: "c2".into(), test: tag("c") }
        }));
        let segment = Segment {
            name: "S".into(),
            list: false,
            rule,
            members: Default::default(),
            created_by: None,
            created_at: NOW,
            archived: false,
        };
        let mut anna = crate::document::new_document();
        crate::document::put(&mut anna, "s", &segment).unwrap();
        anna.commit();
        let mut boris = anna.fork();
        let edit = |doc: &mut automerge::AutoCommit, edit: RuleEdit| {
            crate::document::update(doc, "s", |s: &mut Segment| {
                s.rule.apply(&edit);
            })
            .unwrap();
            doc.commit();
        };
        // Anna takes the first condition off while Boris changes the last one.
        edit(&mut anna, RuleEdit::Remove { group: "g".into(), condition: "c0".into() });
        edit(
            &mut boris,
            RuleEdit::Set { group: "g".into(), condition: "c2".into(), test: tag("z") },
        );
        anna.merge(&mut boris).unwrap();
        let merged: Segment = crate::document::get(&anna, "s").unwrap().unwrap();
        let tags: Vec<(&str, &Condition)> =
            merged.rule.groups[0].conditions.iter().map(|c| (c.id.as_str(), &c.test)).collect();
        assert_eq!(tags, vec![("c1", &tag("b")), ("c2", &tag("z"))]);
        // A change to a condition a colleague removed changes nothing.
        let mut rule = merged.rule.clone();
        assert!(!rule.apply(&RuleEdit::Set {
            group: "g".into(),
            condition: "c0".into(),
            test: tag("q")
        }));
        assert!(
            !rule.apply(&RuleEdit::Set {
                group: "g".into(),
                condition: "c1".into(),
                test: tag("b")
            }),
            "unchanged"
        );
        assert!(rule.apply(&RuleEdit::GroupAny { group: "g".into(), any: true }));
        assert!(rule.apply(&RuleEdit::RemoveGroup { group: "g".into() }));
        assert!(rule.groups.is_empty());
    }
}
