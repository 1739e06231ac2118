//! People and organisations, and the links between them.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};

use super::sparse::reconcile_sparse;
use super::{Attachment, Certification, Employment, Hold, NameSet};
use crate::ids::{FieldId, LinkId, MemberId, PartyId, Timestamp};

/// A person or an organisation the company has a relationship with.
#[derive(Debug, Clone, PartialEq, Default, Hydrate)]
pub struct Party {
    pub kind: PartyKind,
    /// Display name: a person's full name or an organisation's name. Required.
    pub name: String,
    /// For people: given and family name, for sorting and salutations.
    #[autosurgeon(missing = "Default::default")]
    pub given_name: String,
    #[autosurgeon(missing = "Default::default")]
    pub family_name: String,
    /// Relationship roles (any number): see [`Role`]; stored by [`Role::key`].
    #[autosurgeon(missing = "Default::default")]
    pub roles: NameSet,
    #[autosurgeon(missing = "Default::default")]
    pub emails: Vec<ContactPoint>,
    #[autosurgeon(missing = "Default::default")]
    pub phones: Vec<ContactPoint>,
    #[autosurgeon(missing = "Default::default")]
    pub addresses: Vec<Address>,
    /// Website and social profiles.
    #[autosurgeon(missing = "Default::default")]
    pub links: Vec<ContactPoint>,
    #[autosurgeon(missing = "Default::default")]
    pub tags: NameSet,
    #[autosurgeon(missing = "Default::default")]
    pub owner: Option<MemberId>,
    /// Values of custom fields, by definition id (as text).
    #[autosurgeon(missing = "Default::default")]
    pub custom: BTreeMap<String, CustomValue>,
    #[autosurgeon(missing = "Default::default")]
    pub consent: Consent,
    /// Outgoing links to other parties, by link id (as text).
    #[autosurgeon(missing = "Default::default")]
    pub relations: BTreeMap<String, PartyLink>,
    /// "Keep in touch" cadence: a reminder is due this many days after the last interaction.
    #[autosurgeon(missing = "Default::default")]
    pub keep_in_touch_days: Option<u32>,
    /// A calendar date, `YYYY-MM-DD`, or `--MM-DD` when the year is not known (as vCard writes it);
    /// empty when not known.
    #[autosurgeon(missing = "Default::default")]
    pub birthday: String,
    /// A wedding or work anniversary, written like [`Party::birthday`].
    #[autosurgeon(missing = "Default::default")]
    pub anniversary: String,
    /// Free-form notes, merged character by character.
    #[autosurgeon(missing = "Default::default")]
    pub notes: Text,
    /// Files attached to the record, by the hex SHA-256 of their bytes.
    #[autosurgeon(missing = "Default::default")]
    pub files: BTreeMap<String, Attachment>,
    /// As a supplier: the categories of goods and services it supplies.
    #[autosurgeon(missing = "Default::default")]
    pub supplies: NameSet,
    /// As a supplier: its payment terms as agreed ("30 days net").
    #[autosurgeon(missing = "Default::default")]
    pub payment_terms: String,
    /// As a supplier: certifications held, by certification id (as text).
    #[autosurgeon(missing = "Default::default")]
    pub certifications: BTreeMap<String, Certification>,
    /// As a supplier: a standing set by hand, which outranks a better one from the scores.
    #[autosurgeon(missing = "Default::default")]
    pub hold: Option<Hold>,
    /// As an employee: title, team, manager, skills, trainings.
    #[autosurgeon(missing = "Default::default")]
    pub employment: Employment,
    pub created_at: Timestamp,
    /// Soft delete: merged records keep their history and can be restored.
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
    /// Set when this record was merged into another; the survivor holds its data.
    #[autosurgeon(missing = "Default::default")]
    pub merged_into: Option<PartyId>,
    /// Set when the person was erased at their request: the record then holds nothing else
    /// (`crate::privacy`).
    #[autosurgeon(missing = "Default::default")]
    pub erased: Option<Erasure>,
}

/// When and by whom a record was erased.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct Erasure {
    pub at: Timestamp,
    pub by: Option<MemberId>,
}

reconcile_sparse!(Party {
    // Containers two people often add to while apart are created with the record, so their first
    // additions merge instead of conflicting (see `sparse`).
    always: [kind, name, created_at, roles, tags, emails, phones, notes],
    sparse: [
        given_name,
        family_name,
        addresses,
        links,
        owner,
        custom,
        consent,
        relations,
        keep_in_touch_days,
        birthday,
        anniversary,
        files,
        supplies,
        payment_terms,
        certifications,
        hold,
        employment,
        archived,
        merged_into,
        erased
    ],
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub enum PartyKind {
    #[default]
    Person,
    Organisation,
}

/// The kinds of relationship Rapport manages: CRM, SRM, IRM and ERM in one list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Customer,
    Prospect,
    Supplier,
    Investor,
    Employee,
    Partner,
    Other,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Customer,
        Role::Prospect,
        Role::Supplier,
        Role::Investor,
        Role::Employee,
        Role::Partner,
        Role::Other,
    ];

    /// The stable key stored in documents.
    pub fn key(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Prospect => "prospect",
            Role::Supplier => "supplier",
            Role::Investor => "investor",
            Role::Employee => "employee",
            Role::Partner => "partner",
            Role::Other => "other",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.key() == key)
    }
}

impl Party {
    /// The roles present on this party, in [`Role::ALL`] order; unknown keys (from newer apps) skipped.
    pub fn role_list(&self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|role| self.roles.get(role.key()) == Some(&true)).collect()
    }

    pub fn set_role(&mut self, role: Role, present: bool) {
        if present {
            self.roles.insert(role.key().to_owned(), true);
        } else {
            self.roles.remove(role.key());
        }
    }
}

/// An email, phone or link with its label ("work", "mobile", "LinkedIn").
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct ContactPoint {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Address {
    pub label: String,
    pub street: String,
    pub city: String,
    pub region: String,
    pub postcode: String,
    pub country: String,
}

/// What the party agreed to. `None` means not asked; the app never assumes consent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Consent {
    pub email_marketing: Option<bool>,
    pub phone_calls: Option<bool>,
    pub data_processing: Option<bool>,
    /// How each answer was given, by question ([`Consent::QUESTIONS`]): when, who recorded it and
    /// its source, as a regulator asks for. An answer without one came from an older version or an
    /// import.
    #[autosurgeon(missing = "Default::default")]
    pub recorded: BTreeMap<String, ConsentNote>,
}

/// When an answer to a consent question was recorded, by whom, and what the person said it through
/// ("signed form at the spring fair", "phone call").
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct ConsentNote {
    pub at: Timestamp,
    pub by: Option<MemberId>,
    pub source: String,
}

impl Consent {
    /// The questions, by the key their answers and notes are stored under.
    pub const QUESTIONS: [&'static str; 3] = ["email_marketing", "phone_calls", "data_processing"];

    /// The answer to `question` (`None`: not asked, or no such question).
    pub fn answer(&self, question: &str) -> Option<bool> {
        match question {
            "email_marketing" => self.email_marketing,
            "phone_calls" => self.phone_calls,
            "data_processing" => self.data_processing,
            _ => None,
        }
    }

    /// Records `answer` to `question` with how it was given; `None` takes the answer back to "not
    /// asked". An unknown question changes nothing.
    pub fn record(&mut self, question: &str, answer: Option<bool>, note: ConsentNote) {
        let Some(slot) = self.slot(question) else { return };
        *slot = answer;
        self.recorded.insert(question.to_owned(), note);
    }

    fn slot(&mut self, question: &str) -> Option<&mut Option<bool>> {
        match question {
            "email_marketing" => Some(&mut self.email_marketing),
            "phone_calls" => Some(&mut self.phone_calls),
            "data_processing" => Some(&mut self.data_processing),
            _ => None,
        }
    }
}

impl super::sparse::Sparse for Consent {
    fn is_unset(&self) -> bool {
        *self == Consent::default()
    }
}

/// A typed value of a custom field (see `CustomFieldDef`).
#[derive(Debug, Clone, PartialEq, Reconcile, Hydrate)]
pub enum CustomValue {
    Text(String),
    Number(f64),
    /// A calendar date as `YYYY-MM-DD`.
    Date(String),
    Choice(String),
    Boolean(bool),
}

/// A directed link from one party to another.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
pub struct PartyLink {
    pub to: PartyId,
    pub kind: LinkKind,
    /// E.g. the job title for `WorksAt`.
    pub title: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Reconcile, Hydrate)]
pub enum LinkKind {
    WorksAt,
    ReportsTo,
    IntroducedBy,
    SubsidiaryOf,
    Other,
}

/// Keys of maps stored by id use the id's text.
pub(crate) fn id_key(id: impl std::fmt::Display) -> String {
    id.to_string()
}

impl Party {
    /// Renames the record. Given and family name that spelled the old name (either way round) would
    /// now contradict it — exports write them as the vCard's `N` — so they are cleared; ones that
    /// never spelled it (a nickname as the name) are kept. Unchanged, nothing is written.
    pub fn rename(&mut self, name: String) {
        if self.name == name {
            return;
        }
        let (given, family) = (self.given_name.trim(), self.family_name.trim());
        let spelled = [format!("{given} {family}"), format!("{family} {given}")]
            .iter()
            .any(|spelling| spelling.trim() == self.name.trim());
        if spelled && !(given.is_empty() && family.is_empty()) {
            self.given_name.clear();
            self.family_name.clear();
        }
        self.name = name;
    }

    pub fn link(&mut self, id: LinkId, link: PartyLink) {
        self.relations.insert(id_key(id), link);
    }

    pub fn set_custom(&mut self, field: FieldId, value: CustomValue) {
        self.custom.insert(id_key(field), value);
    }

    /// Folds `other`, a duplicate of this record, into this one, losing nothing: what this record lacks
    /// is taken (names, owner, cadence, custom values), lists gain the other's entries not already here
    /// (emails compared ignoring case, phones by their digits), roles and tags are united, links to other
    /// parties are kept, and the other's notes are appended. This record's own values win where both
    /// have one. The other record is then marked `merged_into` this one by the caller; its interactions,
    /// tasks and deals show on this record's timeline from then on.
    pub fn absorb(&mut self, other: &Party, other_id: PartyId) {
        fill(&mut self.given_name, &other.given_name);
        fill(&mut self.family_name, &other.family_name);
        fill(&mut self.birthday, &other.birthday);
        fill(&mut self.anniversary, &other.anniversary);
        self.owner = self.owner.or(other.owner);
        self.keep_in_touch_days = self.keep_in_touch_days.or(other.keep_in_touch_days);
        let email_key = |c: &ContactPoint| c.value.trim().to_lowercase();
        let phone_key =
            |c: &ContactPoint| c.value.chars().filter(char::is_ascii_digit).collect::<String>();
        let text_key = |c: &ContactPoint| c.value.trim().to_owned();
        unite(&mut self.emails, &other.emails, email_key);
        unite(&mut self.phones, &other.phones, phone_key);
        unite(&mut self.links, &other.links, text_key);
        for address in &other.addresses {
            if !self.addresses.contains(address) {
                self.addresses.push(address.clone());
            }
        }
        for (name, present) in &other.roles {
            if *present {
                self.roles.insert(name.clone(), true);
            }
        }
        for (name, present) in &other.tags {
            if *present {
                self.tags.insert(name.clone(), true);
            }
        }
        for (hash, file) in &other.files {
            self.files.entry(hash.clone()).or_insert_with(|| file.clone());
        }
        for (field, value) in &other.custom {
            self.custom.entry(field.clone()).or_insert_with(|| value.clone());
        }
        // An answer this record lacks is taken with how it was given (the proof of consent moves
        // with it); where both have one, this record's stands.
        for question in Consent::QUESTIONS {
            if self.consent.answer(question).is_none()
                && let Some(theirs) = other.consent.answer(question)
                && let Some(slot) = self.consent.slot(question)
            {
                *slot = Some(theirs);
                if let Some(note) = other.consent.recorded.get(question) {
                    self.consent.recorded.insert(question.to_owned(), note.clone());
                }
            }
        }
        for (link_id, link) in &other.relations {
            if link.to != other_id
                && !self.relations.values().any(|l| l.to == link.to && l.kind == link.kind)
            {
                self.relations.insert(link_id.clone(), link.clone());
            }
        }
        let theirs = other.notes.as_str().trim();
        if !theirs.is_empty() && !self.notes.as_str().contains(theirs) {
            let end = self.notes.as_str().len();
            let joined =
                if end == 0 { theirs.to_owned() } else { format!("\n\n{}: {theirs}", other.name) };
            self.notes.splice(end, 0, &joined);
        }
    }
}

fn fill(mine: &mut String, theirs: &str) {
    if mine.trim().is_empty() {
        *mine = theirs.to_owned();
    }
}

/// Appends `theirs` entries whose `key` is not among `mine`'s (nor empty).
fn unite<K: PartialEq + Default>(
    mine: &mut Vec<ContactPoint>,
    theirs: &[ContactPoint],
    key: impl Fn(&ContactPoint) -> K,
) {
    for point in theirs {
        let k = key(point);
        if k != K::default() && !mine.iter().any(|m| key(m) == k) {
            mine.push(point.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(label: &str, value: &str) -> ContactPoint {
        ContactPoint { label: label.into(), value: value.into() }
    }

    #[test]
    fn renaming_clears_name_parts_that_spelled_the_old_name_only() {
        let named = |name: &str, given: &str, family: &str| Party {
            name: name.into(),
            given_name: given.into(),
            family_name: family.into(),
            ..Party::default()
        };
        let mut zoe = named("Zoe Quinn", "Zoe", "Quinn");
        zoe.rename("Zoe Quinn-Baker".into());
        assert_eq!(
            (zoe.name.as_str(), zoe.given_name.as_str(), zoe.family_name.as_str()),
            ("Zoe Quinn-Baker", "", "")
        );
        let mut ivan = named("Петров Иван", "Иван", "Петров");
        ivan.rename("Петров Иван Сергеевич".into());
        assert_eq!((ivan.given_name.as_str(), ivan.family_name.as_str()), ("", ""), "family first");
        let mut nick = named("Ani", "Anna", "Weber");
        nick.rename("Ani W.".into());
        assert_eq!(
            (nick.given_name.as_str(), nick.family_name.as_str()),
            ("Anna", "Weber"),
            "never spelled it"
        );
        let mut same = named("Zoe Quinn", "Zoe", "Quinn");
        same.rename("Zoe Quinn".into());
        assert_eq!(same.given_name, "Zoe", "unchanged");
    }

    #[test]
    fn a_duplicate_folds_in_without_losing_anything_or_repeating_it() {
        let org = PartyId::from_bytes([9; 16]);
        let other_id = PartyId::from_bytes([2; 16]);
        let mut mine = Party {
            name: "Ivan Petrov".into(),
            emails: vec![point("work", "ivan@romashka.ru")],
            phones: vec![point("mobile", "+7 900 111-22-33")],
            notes: Text::with_value("Met at the fair."),
            ..Party::default()
        };
        mine.set_role(Role::Customer, true);
        let mut other = Party {
            name: "Иван Петров".into(),
            given_name: "Иван".into(),
            emails: vec![point("home", "IVAN@romashka.ru"), point("home", "ivan@gmail.com")],
            phones: vec![point("work", "+79001112233"), point("work", "+7 495 123-45-67")],
            keep_in_touch_days: Some(30),
            notes: Text::with_value("Prefers calls after 10."),
            ..Party::default()
        };
        other.set_role(Role::Supplier, true);
        other.tags.insert("vip".into(), true);
        let form = ConsentNote { at: Timestamp(7), by: None, source: "signed form".into() };
        other.consent.record("email_marketing", Some(true), form.clone());
        other.consent.record("phone_calls", Some(true), form.clone());
        mine.consent.record(
            "phone_calls",
            Some(false),
            ConsentNote { source: "call".into(), ..form.clone() },
        );
        other.link(
            LinkId::from_bytes([5; 16]),
            PartyLink { to: org, kind: LinkKind::WorksAt, title: "Buyer".into() },
        );
        other.link(
            LinkId::from_bytes([6; 16]),
            PartyLink { to: other_id, kind: LinkKind::Other, title: String::new() },
        );

        mine.absorb(&other, other_id);
        assert_eq!(mine.name, "Ivan Petrov", "this record's values win");
        assert_eq!(mine.given_name, "Иван", "what it lacked is taken");
        let emails: Vec<&str> = mine.emails.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(emails, ["ivan@romashka.ru", "ivan@gmail.com"]);
        let phones: Vec<&str> = mine.phones.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(phones, ["+7 900 111-22-33", "+7 495 123-45-67"]);
        assert_eq!(mine.role_list(), vec![Role::Customer, Role::Supplier]);
        assert_eq!(mine.tags.get("vip"), Some(&true));
        assert_eq!(mine.keep_in_touch_days, Some(30));
        assert_eq!(mine.consent.email_marketing, Some(true), "an answer it lacked, taken");
        assert_eq!(mine.consent.recorded["email_marketing"], form, "with its proof");
        assert_eq!(mine.consent.phone_calls, Some(false), "its own answer stands");
        assert_eq!(mine.consent.recorded["phone_calls"].source, "call");
        assert_eq!(
            mine.relations.len(),
            1,
            "the works-at link, not the link to the duplicate itself"
        );
        assert_eq!(mine.notes.as_str(), "Met at the fair.\n\nИван Петров: Prefers calls after 10.");
        // Folding the same record in again changes nothing.
        let once = mine.clone();
        mine.absorb(&other, other_id);
        assert_eq!(mine, once);
    }
}
