//! Moving people and organisations in and out of Rapport: CSV (with a column mapping) and vCard in,
//! CSV and vCard out; tasks out as iCalendar. Sans IO: bytes in, records and a report out; the app reads the file and stores the
//! records.
//!
//! An import is planned before anything is written: every row becomes a [`Candidate`] or a [`Skipped`]
//! line with its reason, and [`dedupe`] sets aside candidates that match a record already in the
//! workspace (or an earlier row of the same file) by email or phone, so an import run twice creates
//! nothing the second time.

mod calendar;
mod csv_table;
mod export;
mod vcard;

use std::collections::{BTreeMap, HashMap};

pub use calendar::{DatedEvent, dated_events_ics, tasks_ics};
pub use csv_table::{
    CsvError, Field, Table, candidates_from_table, guess_field, left_out_columns, read_table,
};
pub use export::{parties_csv, parties_vcard};
pub use vcard::{VcardBook, read_vcard_book, read_vcards};

use crate::ids::{IdSource, LinkId, MemberId, PartyId, Timestamp};
use crate::model::{
    Address, ContactPoint, CustomFieldDef, CustomValue, FieldKind, LinkKind, Party, PartyKind,
    PartyLink, Role, WorkspaceSettings,
};
use crate::read_model::PartyRow;
use crate::search::fold;

/// How an uploaded file's bytes are to be read as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    /// Cyrillic exports of older Windows software (Outlook, 1C, Excel "CSV").
    Windows1251,
}

impl TextEncoding {
    /// The WHATWG label, for the browser's `TextDecoder`.
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Windows1251 => "windows-1251",
        }
    }
}

/// Which encoding a file is in, and how many bytes of byte-order mark to skip: a byte-order mark
/// decides, else valid UTF-8 is UTF-8, else Windows-1251. (The decoding itself is the platform's: the
/// browser has every legacy encoding built in, so the app does not ship encoding tables.)
pub fn sniff_encoding(bytes: &[u8]) -> (TextEncoding, usize) {
    match bytes {
        [0xEF, 0xBB, 0xBF, ..] => (TextEncoding::Utf8, 3),
        [0xFF, 0xFE, ..] => (TextEncoding::Utf16Le, 2),
        [0xFE, 0xFF, ..] => (TextEncoding::Utf16Be, 2),
        _ if std::str::from_utf8(bytes).is_ok() => (TextEncoding::Utf8, 0),
        _ => (TextEncoding::Windows1251, 0),
    }
}

/// A record an import would create, with where it came from (a CSV row or the n-th vCard).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Candidate {
    pub source: usize,
    pub kind: PartyKind,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    /// Emails, phones and links with their kind as the source said it ("work", "home", "mobile").
    pub emails: Vec<ContactPoint>,
    pub phones: Vec<ContactPoint>,
    pub links: Vec<ContactPoint>,
    pub addresses: Vec<Address>,
    /// Becomes a link to an organisation record ([`records_to_write`]), the job title its title.
    pub organisation: String,
    pub job_title: String,
    pub tags: Vec<String>,
    /// Customer, supplier, investor… (Rapport's own export writes them).
    pub roles: Vec<Role>,
    pub notes: String,
    /// The owner's name as the source wrote it (Rapport's own export): the member of that name owns the
    /// record ([`records_to_write`]).
    pub owner: String,
    /// How often to get in touch, in days (Rapport's own export).
    pub keep_in_touch_days: Option<u32>,
    /// Dates with slashes in this source are month first (`1/2/1975` is 2 January): an English
    /// Outlook's, or a file whose dates can only be read so ([`csv_table::candidates_from_table`]).
    pub dates_month_first: bool,
    /// Facts the source names by a label of its own (Google's custom fields and events, Apple's
    /// labelled dates and related names, Rapport's own custom fields), as (label, value): the
    /// workspace's field of that label takes a value it accepts, the rest become lines of the notes.
    pub labelled: Vec<(String, String)>,
    /// What the source holds beyond the fields above: birthdays and anniversaries become the record's
    /// own fields, the rest labelled lines of the notes.
    pub extras: Vec<(Extra, String)>,
}

/// Facts a contact carries that Rapport's records have no field of their own for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Extra {
    MiddleName,
    Prefix,
    Suffix,
    Nickname,
    Birthday,
    Anniversary,
    /// The department of the organisation a person works at.
    Department,
    /// A "keep in touch" cadence that is not a number of days.
    KeepInTouch,
}

impl Extra {
    pub const ALL: [Extra; 8] = [
        Extra::MiddleName,
        Extra::Prefix,
        Extra::Suffix,
        Extra::Nickname,
        Extra::Birthday,
        Extra::Anniversary,
        Extra::Department,
        Extra::KeepInTouch,
    ];

    /// The English label, for tests and for anyone reading a record without the app.
    pub fn english(self) -> &'static str {
        match self {
            Extra::MiddleName => "Middle name",
            Extra::Prefix => "Name prefix",
            Extra::Suffix => "Name suffix",
            Extra::Nickname => "Nickname",
            Extra::Birthday => "Birthday",
            Extra::Anniversary => "Anniversary",
            Extra::Department => "Department",
            Extra::KeepInTouch => "Keep in touch",
        }
    }
}

/// A calendar date as a record keeps it — `YYYY-MM-DD`, or `--MM-DD` without a year — from how people
/// and exports write one: `1980-05-17`, `19800517`, `--0517`, `--05-17`, `17.05.1980` or `17/05/1980`
/// (day first, as most of the world writes it; `5/17/1980`, which can only be month first, is read so),
/// or an ISO time after the date. `None` if it is not one.
pub fn calendar_date(text: &str) -> Option<String> {
    calendar_date_ordered(text, false)
}

/// [`calendar_date`], with `month_first` choosing how an ambiguous date with slashes reads
/// (`1/2/1975`: 2 January when month first, as an English Outlook writes it). A date that can only
/// be read one way is read that way.
pub fn calendar_date_ordered(text: &str, month_first: bool) -> Option<String> {
    let text = text.trim();
    let text = text.split(['T', ' ']).next().unwrap_or(text);
    let valid = |month: u32, day: u32| (1..=12).contains(&month) && (1..=31).contains(&day);
    let number = |s: &str| -> Option<u32> {
        (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())).then(|| s.parse().ok()).flatten()
    };
    if let Some(rest) = text.strip_prefix("--") {
        let digits: String = rest.chars().filter(|c| *c != '-').collect();
        let (month, day) = (number(digits.get(..2)?)?, number(digits.get(2..)?)?);
        return (digits.len() == 4 && valid(month, day)).then(|| format!("--{month:02}-{day:02}"));
    }
    let (year, month, day) = match text.split(['-', '.', '/']).collect::<Vec<_>>()[..] {
        [y, m, d] if y.len() == 4 => (number(y)?, number(m)?, number(d)?),
        [a, b, y] if y.len() == 4 && text.contains('/') => {
            let (a, b, y) = (number(a)?, number(b)?, number(y)?);
            // The preferred order, unless only the other one is a date.
            let (month, day) = if month_first { (a, b) } else { (b, a) };
            if valid(month, day) { (y, month, day) } else { (y, day, month) }
        }
        [d, m, y] if y.len() == 4 => (number(y)?, number(m)?, number(d)?),
        [compact] if compact.len() == 8 => {
            (number(&compact[..4])?, number(&compact[4..6])?, number(&compact[6..])?)
        }
        _ => return None,
    };
    valid(month, day).then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// A contact point labelled `label`.
pub(crate) fn point(label: &str, value: impl Into<String>) -> ContactPoint {
    ContactPoint { label: label.to_owned(), value: value.into() }
}

/// A row or card not imported, and why — in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub source: usize,
    pub reason: SkipReason,
}

/// Why a row or card is left out; each names what it found, so the screens can say it in the
/// user's language (the English here is the `Display`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    #[error("no name")]
    NoName,
    #[error("email “{0}” is not an address")]
    BadEmail(String),
    #[error("phone “{0}” is not a phone number")]
    BadPhone(String),
    #[error("unreadable card: {0}")]
    UnreadableCard(String),
    #[error("same email as {0}")]
    SameEmailAs(String),
    #[error("same phone as {0}")]
    SamePhoneAs(String),
    #[error("an organisation named {0} exists")]
    OrganisationExists(String),
}

/// What an import will do: create `new`, leave out `skipped` and `duplicates`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportPlan {
    pub new: Vec<Candidate>,
    pub skipped: Vec<Skipped>,
    pub duplicates: Vec<Skipped>,
}

impl Candidate {
    /// Fills the name from given and family name (or the organisation), then checks what a record
    /// needs: a name, emails that are addresses, phones with digits.
    fn finish(mut self) -> Result<Candidate, Skipped> {
        let skip = |reason: SkipReason| Skipped { source: self.source, reason };
        if self.name.trim().is_empty() {
            self.name = [self.given_name.trim(), self.family_name.trim()]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
        }
        if self.name.is_empty() && !self.organisation.trim().is_empty() {
            self.name = self.organisation.trim().to_owned();
            self.organisation.clear();
            self.kind = PartyKind::Organisation;
        }
        if self.name.trim().is_empty() {
            return Err(skip(SkipReason::NoName));
        }
        self.name = self.name.trim().to_owned();
        if let Some(bad) = self.emails.iter().find(|e| !is_email(&e.value)) {
            return Err(skip(SkipReason::BadEmail(bad.value.clone())));
        }
        if let Some(bad) = self.phones.iter().find(|p| !is_phone(&p.value)) {
            return Err(skip(SkipReason::BadPhone(bad.value.clone())));
        }
        Ok(self)
    }

    /// The record to store, without its organisation (see [`records_to_write`]); facts without a
    /// field of their own are labelled lines after the notes, labelled by `label` in the user's
    /// language.
    pub fn to_party(&self, created_at: Timestamp, label: &dyn Fn(Extra) -> String) -> Party {
        self.to_party_in(&WorkspaceSettings::default(), created_at, label)
    }

    /// [`Candidate::to_party`] in a workspace: a labelled fact whose label names one of the
    /// workspace's custom fields for people and organisations (ignoring case and accents) is that
    /// field's value when the field accepts it.
    pub fn to_party_in(
        &self,
        settings: &WorkspaceSettings,
        created_at: Timestamp,
        label: &dyn Fn(Extra) -> String,
    ) -> Party {
        let mut notes = self.notes.clone();
        let mut custom = BTreeMap::new();
        for (named, value) in &self.labelled {
            let field = settings.party_fields().find(|(_, def)| fold(&def.label) == fold(named));
            if let Some((id, def)) = field
                && !custom.contains_key(id)
                && let Some(value) = imported_value(def, value, self.dates_month_first)
            {
                custom.insert(id.clone(), value);
                continue;
            }
            if !notes.is_empty() {
                notes.push('\n');
            }
            notes.push_str(&format!("{named}: {value}"));
        }
        let (mut birthday, mut anniversary) = (String::new(), String::new());
        for (extra, value) in &self.extras {
            let field = match extra {
                Extra::Birthday => Some(&mut birthday),
                Extra::Anniversary => Some(&mut anniversary),
                _ => None,
            };
            // Outlook writes "0/0/00" for a date it does not have.
            if matches!(extra, Extra::Birthday | Extra::Anniversary)
                && value.chars().all(|c| matches!(c, '0' | '/' | '.' | '-'))
            {
                continue;
            }
            // The first date of each kind is the record's; a second one, or one that is not a date,
            // stays in the notes so nothing is lost.
            if let Some(field) = field.filter(|f| f.is_empty())
                && let Some(date) = calendar_date_ordered(value, self.dates_month_first)
            {
                *field = date;
                continue;
            }
            if !notes.is_empty() {
                notes.push('\n');
            }
            notes.push_str(&format!("{}: {value}", label(*extra)));
        }
        let mut party = Party {
            kind: self.kind,
            name: self.name.clone(),
            given_name: self.given_name.trim().to_owned(),
            family_name: self.family_name.trim().to_owned(),
            emails: self.emails.clone(),
            phones: self.phones.clone(),
            links: self.links.clone(),
            addresses: self.addresses.clone(),
            notes: autosurgeon::Text::with_value(notes),
            birthday,
            anniversary,
            keep_in_touch_days: self.keep_in_touch_days,
            custom,
            created_at,
            ..Party::default()
        };
        for tag in &self.tags {
            party.tags.insert(tag.clone(), true);
        }
        for role in &self.roles {
            party.set_role(*role, true);
        }
        party
    }

    /// Adds the roles named in `text` (keys as Rapport writes them, or the English or Russian names,
    /// separated by `;` `,` or ` ::: `); a word that names no role becomes a tag, so nothing is lost.
    pub(crate) fn add_roles(&mut self, text: &str) {
        for word in text.split(":::").flat_map(|part| part.split([';', ','])).map(str::trim) {
            if word.is_empty() {
                continue;
            }
            match role_named(word) {
                Some(role) if !self.roles.contains(&role) => self.roles.push(role),
                Some(_) => {}
                None => self.tags.push(word.to_owned()),
            }
        }
    }
}

/// A custom field's value from what another program wrote, only when it cannot mean something else:
/// yes/no in words people and programs use (a checkbox's parse would read "Yes" as no), a number
/// without a comma that may group thousands ("1,200": 1200 in English, 1.2 in Russian), a date in any
/// form [`calendar_date`] reads. `None` leaves the text to the notes.
fn imported_value(def: &CustomFieldDef, text: &str, month_first: bool) -> Option<CustomValue> {
    let text = text.trim();
    let typed = match def.kind {
        FieldKind::Boolean => match text.to_lowercase().as_str() {
            "true" | "yes" | "y" | "1" | "да" => "true".to_owned(),
            "false" | "no" | "n" | "0" | "нет" => "false".to_owned(),
            _ => return None,
        },
        FieldKind::Number => {
            let groups_thousands = text
                .split(',')
                .skip(1)
                .any(|after| after.chars().take_while(char::is_ascii_digit).count() == 3);
            if groups_thousands {
                return None;
            }
            text.to_owned()
        }
        FieldKind::Date => calendar_date_ordered(text, month_first)?,
        FieldKind::Text | FieldKind::Choice => text.to_owned(),
    };
    def.parse(&typed).ok().flatten()
}

/// The role a word names: its key, or its English or Russian name.
fn role_named(word: &str) -> Option<Role> {
    let word = word.to_lowercase();
    Role::from_key(&word).or(match word.as_str() {
        "client" | "клиент" => Some(Role::Customer),
        "lead" | "потенциальный клиент" | "лид" => Some(Role::Prospect),
        "vendor" | "поставщик" => Some(Role::Supplier),
        "инвестор" => Some(Role::Investor),
        "сотрудник" => Some(Role::Employee),
        "партнёр" | "партнер" => Some(Role::Partner),
        "другое" => Some(Role::Other),
        _ => None,
    })
}

/// The records an import writes: a party per new candidate, and an organisation record for each
/// organisation named by a person, created once (matched case- and diacritics-insensitively against
/// `organisations` already in the workspace, against organisations of the same import and against one
/// another), each person linked to it ("works at", the job title as the link's title). Owners and
/// custom fields are matched by name against the workspace's `settings`.
pub fn records_to_write<'a>(
    plan: &ImportPlan,
    organisations: impl IntoIterator<Item = (PartyId, &'a str)>,
    settings: &WorkspaceSettings,
    created_at: Timestamp,
    ids: &mut impl IdSource,
    label: &dyn Fn(Extra) -> String,
) -> Vec<(PartyId, Party)> {
    // An owner named in the file is the member of that name (ignoring case and accents), if any.
    let owner_named = |name: &str| -> Option<MemberId> {
        let name = fold(name.trim());
        (!name.is_empty())
            .then(|| settings.members.iter().find(|(_, m)| fold(m.display_name.trim()) == name))
            .flatten()
            .and_then(|(id, _)| id.parse().ok())
    };
    let mut known: HashMap<String, PartyId> =
        organisations.into_iter().map(|(id, name)| (fold(name.trim()), id)).collect();
    let mut records = Vec::with_capacity(plan.new.len());
    for candidate in plan.new.iter().filter(|c| c.kind == PartyKind::Organisation) {
        let id = PartyId::generate(ids);
        known.entry(fold(&candidate.name)).or_insert(id);
        let mut organisation = candidate.to_party_in(settings, created_at, label);
        organisation.owner = owner_named(&candidate.owner);
        records.push((id, organisation));
    }
    for candidate in plan.new.iter().filter(|c| c.kind != PartyKind::Organisation) {
        let mut person = candidate.to_party_in(settings, created_at, label);
        person.owner = owner_named(&candidate.owner);
        let organisation = candidate.organisation.trim();
        if !organisation.is_empty() {
            let org = match known.get(&fold(organisation)) {
                Some(id) => *id,
                None => {
                    let id = PartyId::generate(ids);
                    known.insert(fold(organisation), id);
                    let party = Party {
                        kind: PartyKind::Organisation,
                        name: organisation.to_owned(),
                        created_at,
                        ..Party::default()
                    };
                    records.push((id, party));
                    id
                }
            };
            let link = PartyLink {
                to: org,
                kind: LinkKind::WorksAt,
                title: candidate.job_title.trim().to_owned(),
            };
            person.link(LinkId::generate(ids), link);
        } else if !candidate.job_title.trim().is_empty() {
            // A title with no organisation to hold it stays with the person, in the notes.
            let mut notes = person.notes.as_str().to_owned();
            if !notes.is_empty() {
                notes.push('\n');
            }
            notes.push_str(candidate.job_title.trim());
            person.notes = autosurgeon::Text::with_value(notes);
        }
        records.push((PartyId::generate(ids), person));
    }
    records
}

/// An address the way mail systems accept it: something@domain.tld, no spaces.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
}

/// A phone number as people write it: at least five digits, with `+ ( ) - . /` and spaces allowed.
pub fn is_phone(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    digits >= 5
        && text.chars().all(|c| c.is_ascii_digit() || " +()-./".contains(c) || c == '\u{a0}')
}

/// A phone's digits, for comparing numbers written differently (`+49 30 1234567` = `+49-30-1234567`).
fn phone_key(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Who an existing record is, by email and phone, for finding duplicates.
#[derive(Debug, Default)]
pub struct KnownParties {
    by_email: HashMap<String, String>,
    by_phone: HashMap<String, String>,
    by_organisation: HashMap<String, String>,
}

impl KnownParties {
    pub fn of<'r>(rows: impl IntoIterator<Item = &'r PartyRow>) -> KnownParties {
        let mut known = KnownParties::default();
        for row in rows {
            if row.archived {
                continue;
            }
            known.add(
                &row.name,
                &row.emails,
                &row.phones,
                row.kind == crate::read_model::PartyKindRow::Organisation,
            );
        }
        known
    }

    fn add(&mut self, name: &str, emails: &[String], phones: &[String], organisation: bool) {
        for email in emails {
            self.by_email.entry(fold(email.trim())).or_insert_with(|| name.to_owned());
        }
        for phone in phones {
            let key = phone_key(phone);
            if key.len() >= 5 {
                self.by_phone.entry(key).or_insert_with(|| name.to_owned());
            }
        }
        if organisation && emails.is_empty() && phones.is_empty() {
            self.by_organisation.entry(fold(name.trim())).or_insert_with(|| name.to_owned());
        }
    }

    fn matching(&self, candidate: &Candidate) -> Option<SkipReason> {
        let by_email = candidate.emails.iter().find_map(|e| {
            let name = self.by_email.get(&fold(e.value.trim()))?;
            Some(SkipReason::SameEmailAs(name.clone()))
        });
        let by_phone = || {
            candidate.phones.iter().find_map(|p| {
                let name = self.by_phone.get(&phone_key(&p.value))?;
                Some(SkipReason::SamePhoneAs(name.clone()))
            })
        };
        let by_name = || {
            (candidate.kind == PartyKind::Organisation
                && candidate.emails.is_empty()
                && candidate.phones.is_empty())
            .then(|| self.by_organisation.get(&fold(&candidate.name)))
            .flatten()
            .map(|name| SkipReason::OrganisationExists(name.clone()))
        };
        by_email.or_else(by_phone).or_else(by_name)
    }
}

/// Splits checked candidates into new records and duplicates of `known` records or of earlier
/// candidates; the reasons name the record matched.
pub fn dedupe(candidates: Vec<Result<Candidate, Skipped>>, mut known: KnownParties) -> ImportPlan {
    let mut plan = ImportPlan::default();
    for candidate in candidates {
        let candidate = match candidate.and_then(Candidate::finish) {
            Ok(candidate) => candidate,
            Err(skipped) => {
                plan.skipped.push(skipped);
                continue;
            }
        };
        if let Some(reason) = known.matching(&candidate) {
            plan.duplicates.push(Skipped { source: candidate.source, reason });
            continue;
        }
        let values =
            |points: &[ContactPoint]| points.iter().map(|p| p.value.clone()).collect::<Vec<_>>();
        known.add(
            &candidate.name,
            &values(&candidate.emails),
            &values(&candidate.phones),
            candidate.kind == PartyKind::Organisation,
        );
        plan.new.push(candidate);
    }
    plan
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Decodes as the browser's `TextDecoder` does, for tests (encoding_rs implements the same
    /// WHATWG standard).
    pub(crate) fn decode(bytes: &[u8]) -> (String, TextEncoding) {
        let (encoding, bom) = sniff_encoding(bytes);
        let decoder = encoding_rs::Encoding::for_label(encoding.label().as_bytes()).unwrap();
        (decoder.decode_without_bom_handling(&bytes[bom..]).0.into_owned(), encoding)
    }

    #[test]
    fn bytes_are_read_as_utf8_or_windows_1251() {
        let utf8 = "Иван;ivan@x.ru";
        assert_eq!(decode(utf8.as_bytes()), (utf8.into(), TextEncoding::Utf8));
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Иван Петров");
        assert_eq!(decode(&cp1251), ("Иван Петров".into(), TextEncoding::Windows1251));
        let with_bom = [&[0xEF, 0xBB, 0xBF][..], "Name".as_bytes()].concat();
        assert_eq!(decode(&with_bom), ("Name".into(), TextEncoding::Utf8));
        assert_eq!(sniff_encoding(&[0xFF, 0xFE, b'N', 0]), (TextEncoding::Utf16Le, 2));
    }

    #[test]
    fn emails_and_phones_are_checked_the_way_people_write_them() {
        assert!(is_email("anna@firma.de"));
        assert!(!is_email("anna at firma.de"));
        assert!(!is_email("anna@firma"));
        assert!(!is_email("an na@firma.de"));
        assert!(is_phone("+49 (30) 123-45.67"));
        assert!(!is_phone("call me"));
        assert!(!is_phone("123"));
    }

    fn candidate(
        source: usize,
        name: &str,
        email: &str,
        phone: &str,
    ) -> Result<Candidate, Skipped> {
        Ok(Candidate {
            source,
            name: name.into(),
            emails: (!email.is_empty()).then(|| point("work", email)).into_iter().collect(),
            phones: (!phone.is_empty()).then(|| point("work", phone)).into_iter().collect(),
            ..Candidate::default()
        })
    }

    #[test]
    fn duplicates_of_existing_records_and_of_earlier_rows_are_set_aside() {
        let mut known = KnownParties::default();
        known.add("Anna Weber", &["Anna@Firma.de".into()], &["+49 30 1234567".into()], false);
        let plan = dedupe(
            vec![
                candidate(2, "A. Weber", "anna@firma.de", ""),
                candidate(3, "Anna W.", "", "+49-30-1234567"),
                candidate(4, "Boris", "boris@x.ru", ""),
                candidate(5, "Boris again", "BORIS@x.ru", ""),
                candidate(6, "", "", ""),
                candidate(7, "Bad", "not-an-email", ""),
            ],
            known,
        );
        assert_eq!(plan.new.iter().map(|c| c.source).collect::<Vec<_>>(), [4]);
        assert_eq!(
            plan.duplicates,
            [
                Skipped { source: 2, reason: SkipReason::SameEmailAs("Anna Weber".into()) },
                Skipped { source: 3, reason: SkipReason::SamePhoneAs("Anna Weber".into()) },
                Skipped { source: 5, reason: SkipReason::SameEmailAs("Boris".into()) },
            ]
        );
        assert_eq!(
            plan.skipped,
            [
                Skipped { source: 6, reason: SkipReason::NoName },
                Skipped { source: 7, reason: SkipReason::BadEmail("not-an-email".into()) },
            ]
        );
    }

    #[test]
    fn a_persons_organisation_becomes_one_linked_record_matched_however_it_is_written() {
        let person = |source, name: &str, organisation: &str, title: &str| {
            Ok(Candidate {
                source,
                name: name.into(),
                organisation: organisation.into(),
                job_title: title.into(),
                ..Candidate::default()
            })
        };
        let plan = dedupe(
            vec![
                person(2, "Anna", "Nordwind GmbH", "Buyer"),
                person(3, "Boris", "NORDWIND gmbh", ""),
                person(4, "Chloé", "Société Générale", "CFO"),
                person(5, "Dmitri", "societe generale", ""),
                person(6, "Eva", "Ромашка", ""),
                person(7, "Fritz", "", "Consultant"),
                Ok(Candidate {
                    source: 8,
                    kind: PartyKind::Organisation,
                    name: "Ромашка".into(),
                    ..Candidate::default()
                }),
            ],
            KnownParties::default(),
        );
        let existing = PartyId::from_bytes([9; 16]);
        let records = records_to_write(
            &plan,
            [(existing, "Société générale")],
            &WorkspaceSettings::default(),
            Timestamp(0),
            &mut crate::ids::tests::CountingSource::default(),
            &|extra| extra.english().into(),
        );
        let organisations: Vec<&str> = records
            .iter()
            .filter(|(_, p)| p.kind == PartyKind::Organisation)
            .map(|(_, p)| p.name.as_str())
            .collect();
        assert_eq!(organisations, ["Ромашка", "Nordwind GmbH"], "each created once, none twice");
        let id_of = |name: &str| records.iter().find(|(_, p)| p.name == name).unwrap().0;
        let works_at = |name: &str| {
            let party = &records.iter().find(|(_, p)| p.name == name).unwrap().1;
            let links: Vec<(PartyId, String)> = party
                .relations
                .values()
                .filter(|l| l.kind == LinkKind::WorksAt)
                .map(|l| (l.to, l.title.clone()))
                .collect();
            (links, party.notes.as_str().to_owned())
        };
        let nordwind = id_of("Nordwind GmbH");
        assert_eq!(works_at("Anna"), (vec![(nordwind, "Buyer".to_owned())], String::new()));
        assert_eq!(works_at("Boris"), (vec![(nordwind, String::new())], String::new()));
        assert_eq!(works_at("Chloé"), (vec![(existing, "CFO".to_owned())], String::new()));
        assert_eq!(works_at("Dmitri").0, [(existing, String::new())]);
        assert_eq!(works_at("Eva").0, [(id_of("Ромашка"), String::new())]);
        assert_eq!(works_at("Fritz"), (vec![], "Consultant".to_owned()));
    }

    #[test]
    fn a_labelled_value_fills_a_field_only_when_it_cannot_mean_something_else() {
        use crate::model::{CustomFieldDef, FieldKind, RecordKind};
        let def = |label: &str, kind: FieldKind| CustomFieldDef {
            label: label.into(),
            kind,
            applies_to: RecordKind::Party,
            choices: Vec::new(),
        };
        let settings = WorkspaceSettings {
            custom_fields: [
                ("a".to_owned(), def("NDA signed", FieldKind::Boolean)),
                ("b".to_owned(), def("Volume", FieldKind::Number)),
                ("c".to_owned(), def("Renewal", FieldKind::Date)),
                ("d".to_owned(), def("Partner since", FieldKind::Boolean)),
                ("e".to_owned(), def("Seats", FieldKind::Number)),
            ]
            .into(),
            ..WorkspaceSettings::default()
        };
        let candidate = Candidate {
            name: "Nordwind".into(),
            labelled: vec![
                ("nda SIGNED".into(), "Yes".into()),
                ("Volume".into(), "1,200".into()),
                ("Renewal".into(), "05/06/2027".into()),
                ("Partner since".into(), "2019".into()),
                ("Seats".into(), "12,5".into()),
            ],
            ..Candidate::default()
        };
        let party = candidate.to_party_in(&settings, Timestamp(0), &|e| e.english().into());
        assert_eq!(party.custom.get("a"), Some(&CustomValue::Boolean(true)), "Yes is yes");
        assert_eq!(party.custom.get("c"), Some(&CustomValue::Date("2027-06-05".into())));
        assert_eq!(party.custom.get("e"), Some(&CustomValue::Number(12.5)), "a decimal comma");
        assert!(!party.custom.contains_key("b") && !party.custom.contains_key("d"));
        assert_eq!(party.notes.as_str(), "Volume: 1,200\nPartner since: 2019", "kept as written");
    }

    #[test]
    fn dates_are_read_as_exports_write_them() {
        for (text, date) in [
            ("1980-05-17", Some("1980-05-17")),
            ("19800517", Some("1980-05-17")),
            ("1980-05-17T00:00:00Z", Some("1980-05-17")),
            ("17.05.1980", Some("1980-05-17")),
            ("5/17/1980", Some("1980-05-17")),
            ("1/2/1975", Some("1975-02-01")),
            ("05/06/1980", Some("1980-06-05")),
            ("17/05/1980", Some("1980-05-17")),
            ("0/0/00", None),
            ("--0517", Some("--05-17")),
            ("--05-17", Some("--05-17")),
            ("1980-13-01", None),
            ("next spring", None),
            ("", None),
        ] {
            assert_eq!(calendar_date(text).as_deref(), date, "{text}");
        }
        // From an English Outlook: month first where it could be either.
        assert_eq!(calendar_date_ordered("1/2/1975", true).as_deref(), Some("1975-01-02"));
        assert_eq!(calendar_date_ordered("17/05/1980", true).as_deref(), Some("1980-05-17"));
        assert_eq!(calendar_date_ordered("02.01.1975", true).as_deref(), Some("1975-01-02"));
    }

    #[test]
    fn roles_are_read_by_key_or_name_and_other_words_kept_as_tags() {
        let mut candidate = Candidate::default();
        candidate.add_roles("customer; Поставщик ::: Investor, key account, customer");
        assert_eq!(candidate.roles, [Role::Customer, Role::Supplier, Role::Investor]);
        assert_eq!(candidate.tags, ["key account"]);
    }

    #[test]
    fn facts_without_a_field_are_labelled_lines_of_the_notes_and_dates_are_fields() {
        let candidate = Candidate {
            name: "Anna".into(),
            notes: "Met at the fair".into(),
            extras: vec![
                (Extra::Birthday, "19800517".into()),
                (Extra::Nickname, "Ani".into()),
                (Extra::Anniversary, "next spring".into()),
                (Extra::Birthday, "1981-01-01".into()),
            ],
            ..Candidate::default()
        };
        let party = candidate.to_party(Timestamp(0), &|extra| match extra {
            Extra::Birthday => "День рождения".into(),
            other => other.english().into(),
        });
        assert_eq!(party.birthday, "1980-05-17");
        assert_eq!(party.anniversary, "", "not a date: kept in the notes");
        assert_eq!(
            party.notes.as_str(),
            "Met at the fair\nNickname: Ani\nAnniversary: next spring\nДень рождения: 1981-01-01"
        );
    }

    #[test]
    fn a_row_with_only_an_organisation_becomes_an_organisation() {
        let plan = dedupe(
            vec![Ok(Candidate {
                source: 2,
                organisation: "Nordwind GmbH".into(),
                ..Candidate::default()
            })],
            KnownParties::default(),
        );
        assert_eq!(plan.new[0].kind, PartyKind::Organisation);
        assert_eq!(plan.new[0].name, "Nordwind GmbH");
    }
}
