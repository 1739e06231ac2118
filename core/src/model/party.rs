//! People and organisations, and the links between them.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile, Text};

use super::NameSet;
use super::sparse::reconcile_sparse;
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
    /// Free-form notes, merged character by character.
    #[autosurgeon(missing = "Default::default")]
    pub notes: Text,
    pub created_at: Timestamp,
    /// Soft delete: merged records keep their history and can be restored.
    #[autosurgeon(missing = "Default::default")]
    pub archived: bool,
    /// Set when this record was merged into another; the survivor holds its data.
    #[autosurgeon(missing = "Default::default")]
    pub merged_into: Option<PartyId>,
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
        archived,
        merged_into
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Consent {
    pub email_marketing: Option<bool>,
    pub phone_calls: Option<bool>,
    pub data_processing: Option<bool>,
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
    pub fn link(&mut self, id: LinkId, link: PartyLink) {
        self.relations.insert(id_key(id), link);
    }

    pub fn set_custom(&mut self, field: FieldId, value: CustomValue) {
        self.custom.insert(id_key(field), value);
    }
}
