//! CSV files as spreadsheets and address books write them: comma, semicolon or tab separated, quoted
//! fields spanning lines, UTF-8 or Windows-1251; headers of Google Contacts and Outlook (English and
//! Russian) recognised, every column's meaning adjustable before the import.

use super::{Candidate, Skipped};
use crate::model::PartyKind;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Ignore,
    Name,
    GivenName,
    FamilyName,
    Organisation,
    JobTitle,
    Email,
    Phone,
    Tags,
    Notes,
    Website,
    Street,
    City,
    Region,
    Postcode,
    Country,
    /// "Person" or "Organisation" (Rapport's own export).
    Kind,
}

impl Field {
    pub const ALL: [Field; 17] = [
        Field::Ignore,
        Field::Name,
        Field::GivenName,
        Field::FamilyName,
        Field::Organisation,
        Field::JobTitle,
        Field::Email,
        Field::Phone,
        Field::Tags,
        Field::Notes,
        Field::Website,
        Field::Street,
        Field::City,
        Field::Region,
        Field::Postcode,
        Field::Country,
        Field::Kind,
    ];

    /// A stable key (for a form's `<select>`).
    pub fn key(self) -> &'static str {
        match self {
            Field::Ignore => "ignore",
            Field::Name => "name",
            Field::GivenName => "given-name",
            Field::FamilyName => "family-name",
            Field::Organisation => "organisation",
            Field::JobTitle => "job-title",
            Field::Email => "email",
            Field::Phone => "phone",
            Field::Tags => "tags",
            Field::Notes => "notes",
            Field::Website => "website",
            Field::Street => "street",
            Field::City => "city",
            Field::Region => "region",
            Field::Postcode => "postcode",
            Field::Country => "country",
            Field::Kind => "kind",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|field| field.key() == key)
    }
}

/// A CSV file read into rows of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    /// Each row with its number as a spreadsheet shows it (1 is the header row).
    pub rows: Vec<(usize, Vec<String>)>,
    pub delimiter: u8,
}

/// Why a file cannot be read as a table at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CsvError {
    #[error("the file is empty")]
    Empty,
    #[error("line {line}: {message}")]
    Malformed { line: u64, message: String },
}

/// The separator of the header line: the most frequent of `,` `;` and tab outside quotes.
fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in text.bytes() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if !quoted => {
                if let Some(count) = counts.iter_mut().find(|(d, _)| *d == byte) {
                    count.1 += 1;
                }
            }
            _ => {}
        }
    }
    counts.iter().max_by_key(|(_, n)| *n).filter(|(_, n)| *n > 0).map_or(b',', |(d, _)| *d)
}

/// Reads a CSV file's text; rows with fewer or more fields than the header are kept (missing ones are
/// empty).
pub fn read_table(text: &str) -> Result<Table, CsvError> {
    if text.trim().is_empty() {
        return Err(CsvError::Empty);
    }
    let delimiter = sniff_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let malformed = |error: csv::Error| CsvError::Malformed {
        line: error.position().map_or(0, |p| p.line()),
        message: error.to_string(),
    };
    let headers: Vec<String> =
        reader.headers().map_err(malformed)?.iter().map(|h| h.trim().to_owned()).collect();
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(malformed)?;
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        // The row number a spreadsheet shows: the header is row 1, a cell spanning lines is one row.
        rows.push((index + 2, record.iter().map(|cell| unguarded(cell).to_owned()).collect()));
    }
    Ok(Table { headers, rows, delimiter })
}

/// A cell without the apostrophe an export put before a would-be formula
/// ([`super::export::FORMULA_STARTS`]) or before an apostrophe typed in front of one, so what was typed
/// comes back as typed.
fn unguarded(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(super::export::FORMULA_STARTS) || rest.starts_with('\'') => {
            rest
        }
        _ => cell,
    }
}

/// What a header most likely means. Knows Google Contacts ("Given Name", "E-mail 1 - Value",
/// "Organization 1 - Name"), Outlook ("First Name", "E-mail Address", "Mobile Phone", "Company"), their
/// Russian versions, and Rapport's own export.
pub fn guess_field(header: &str) -> Field {
    let h = header.trim().to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    // Labels and types of Google's multi-value columns ("E-mail 1 - Type") describe, not hold, values.
    if h.ends_with("- type") || h.ends_with("- label") || h.ends_with("тип") {
        return Field::Ignore;
    }
    if has(&["e-mail", "email", "mail", "почт"]) && !has(&["display"]) {
        return Field::Email;
    }
    if has(&["phone", "mobile", "телефон", "tel", "fax"]) && !has(&["type"]) {
        return if has(&["fax", "факс"]) { Field::Ignore } else { Field::Phone };
    }
    match h.as_str() {
        "name"
        | "full name"
        | "display name"
        | "имя и фамилия"
        | "фио"
        | "полное имя"
        | "контакт" => {
            return Field::Name;
        }
        "first name" | "given name" | "имя" => return Field::GivenName,
        "last name" | "family name" | "surname" | "фамилия" => return Field::FamilyName,
        "kind" | "type" => return Field::Kind,
        _ => {}
    }
    if has(&["organization", "organisation", "company", "организац", "компани", "account name"])
        && !has(&["title", "department", "phone", "должн"])
    {
        return Field::Organisation;
    }
    if has(&["job title", "title", "должност"]) && !has(&["name"]) {
        return Field::JobTitle;
    }
    // Notes first: "заметки" (notes) contains "метки" (tags).
    if has(&["notes", "note", "заметк", "примечан", "комментар"]) {
        return Field::Notes;
    }
    if has(&["labels", "categories", "tags", "group membership", "категори", "метки"])
    {
        return Field::Tags;
    }
    if has(&["web", "website", "url", "сайт", "веб"]) {
        return Field::Website;
    }
    if has(&["postal code", "postcode", "zip", "индекс"]) {
        return Field::Postcode;
    }
    if has(&["street", "улица", "адрес"]) && !has(&["po box"]) {
        return Field::Street;
    }
    if has(&["city", "город"]) {
        return Field::City;
    }
    if has(&["region", "state", "province", "область", "регион"]) {
        return Field::Region;
    }
    if has(&["country", "страна"]) {
        return Field::Country;
    }
    Field::Ignore
}

/// Turns rows into candidates by the chosen meaning of each column; several email or phone columns
/// all count, tags may be separated by `;`, `,` or Google's ` ::: `.
pub fn candidates_from_table(table: &Table, mapping: &[Field]) -> Vec<Result<Candidate, Skipped>> {
    table
        .rows
        .iter()
        .map(|(line, row)| {
            let mut candidate = Candidate { source: *line, ..Candidate::default() };
            let mut address_used = false;
            for (value, field) in row.iter().zip(mapping) {
                let value = value.trim();
                if value.is_empty() {
                    continue;
                }
                let append = |target: &mut String| {
                    if !target.is_empty() {
                        target.push(' ');
                    }
                    target.push_str(value);
                };
                match field {
                    Field::Ignore => {}
                    Field::Name => append(&mut candidate.name),
                    Field::GivenName => append(&mut candidate.given_name),
                    Field::FamilyName => append(&mut candidate.family_name),
                    Field::Organisation => append(&mut candidate.organisation),
                    Field::JobTitle => append(&mut candidate.job_title),
                    Field::Email => candidate.emails.extend(split_multi(value)),
                    Field::Phone => candidate.phones.extend(split_multi(value)),
                    Field::Tags => candidate.tags.extend(
                        value
                            .split(":::")
                            .flat_map(|part| part.split([';', ',']))
                            .map(str::trim)
                            .filter(|tag| !tag.is_empty() && *tag != "* myContacts")
                            .map(str::to_owned),
                    ),
                    Field::Notes => {
                        if !candidate.notes.is_empty() {
                            candidate.notes.push('\n');
                        }
                        candidate.notes.push_str(value);
                    }
                    Field::Website => {
                        if candidate.website.is_empty() {
                            candidate.website = value.to_owned();
                        }
                    }
                    Field::Street
                    | Field::City
                    | Field::Region
                    | Field::Postcode
                    | Field::Country => {
                        address_used = true;
                        let address = &mut candidate.address;
                        let target = match field {
                            Field::Street => &mut address.street,
                            Field::City => &mut address.city,
                            Field::Region => &mut address.region,
                            Field::Postcode => &mut address.postcode,
                            _ => &mut address.country,
                        };
                        if target.is_empty() {
                            *target = value.to_owned();
                        }
                    }
                    Field::Kind => {
                        let lower = value.to_lowercase();
                        if lower.starts_with("org")
                            || lower.starts_with("компан")
                            || lower.starts_with("организ")
                        {
                            candidate.kind = PartyKind::Organisation;
                        }
                    }
                }
            }
            if address_used {
                candidate.address.label = "work".into();
            }
            Ok(candidate)
        })
        .collect()
}

/// Google writes several values in one cell separated by ` ::: `.
fn split_multi(value: &str) -> impl Iterator<Item = String> + '_ {
    value.split(":::").map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interchange::{KnownParties, dedupe};

    #[test]
    fn semicolons_quotes_and_lines_inside_fields_are_read() {
        let file = "Name;E-mail;Notes\n\"Weber, Anna\";anna@firma.de;\"met at the fair\nwants a quote\"\n\n;;\nBoris;boris@x.ru;\n";
        let table = read_table(file).unwrap();
        assert_eq!(table.delimiter, b';');
        assert_eq!(table.headers, ["Name", "E-mail", "Notes"]);
        assert_eq!(table.rows.len(), 2, "blank rows are dropped");
        assert_eq!(table.rows[0].1[2], "met at the fair\nwants a quote");
        assert_eq!(table.rows[1].0, 4, "the row number a spreadsheet shows, for the report");
    }

    #[test]
    fn a_windows_1251_outlook_export_is_recognised() {
        let text = "Имя;Фамилия;Организация;Адрес эл. почты;Мобильный телефон;Заметки\r\nИван;Петров;ООО Ромашка;ivan@romashka.ru;+7 495 123-45-67;Постоянный клиент\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
        let (text, encoding) = crate::interchange::tests::decode(&bytes);
        assert_eq!(encoding, crate::interchange::TextEncoding::Windows1251);
        let table = read_table(&text).unwrap();
        let mapping: Vec<Field> = table.headers.iter().map(|h| guess_field(h)).collect();
        assert_eq!(
            mapping,
            [
                Field::GivenName,
                Field::FamilyName,
                Field::Organisation,
                Field::Email,
                Field::Phone,
                Field::Notes
            ]
        );
        let plan = dedupe(candidates_from_table(&table, &mapping), KnownParties::default());
        let ivan = &plan.new[0];
        assert_eq!(ivan.name, "Иван Петров");
        assert_eq!(ivan.organisation, "ООО Ромашка");
        assert_eq!(ivan.phones, ["+7 495 123-45-67"]);
        let party = ivan.to_party(crate::ids::Timestamp(0));
        assert_eq!(party.notes.as_str(), "Постоянный клиент\nООО Ромашка");
    }

    #[test]
    fn google_contacts_headers_are_recognised() {
        let headers = [
            "First Name",
            "Middle Name",
            "Last Name",
            "Organization Name",
            "Organization Title",
            "E-mail 1 - Label",
            "E-mail 1 - Value",
            "E-mail 2 - Value",
            "Phone 1 - Label",
            "Phone 1 - Value",
            "Labels",
            "Notes",
            "Address 1 - City",
            "Address 1 - Country",
            "Website 1 - Value",
        ];
        let fields: Vec<Field> = headers.iter().map(|h| guess_field(h)).collect();
        assert_eq!(
            fields,
            [
                Field::GivenName,
                Field::Ignore,
                Field::FamilyName,
                Field::Organisation,
                Field::JobTitle,
                Field::Ignore,
                Field::Email,
                Field::Email,
                Field::Ignore,
                Field::Phone,
                Field::Tags,
                Field::Notes,
                Field::City,
                Field::Country,
                Field::Website,
            ]
        );
        let outlook = [
            "First Name",
            "Last Name",
            "Company",
            "Job Title",
            "E-mail Address",
            "Business Phone",
            "Business Fax",
        ];
        let fields: Vec<Field> = outlook.iter().map(|h| guess_field(h)).collect();
        assert_eq!(
            fields,
            [
                Field::GivenName,
                Field::FamilyName,
                Field::Organisation,
                Field::JobTitle,
                Field::Email,
                Field::Phone,
                Field::Ignore
            ]
        );
    }

    #[test]
    fn several_values_in_a_google_cell_become_several_emails_and_tags() {
        let file = "Name,E-mail 1 - Value,Labels\nAnna,anna@a.de ::: anna@b.de,VIP ::: * myContacts ::: Fair 2026\n";
        let table = read_table(file).unwrap();
        let mapping: Vec<Field> = table.headers.iter().map(|h| guess_field(h)).collect();
        let candidates = candidates_from_table(&table, &mapping);
        let anna = candidates[0].as_ref().unwrap();
        assert_eq!(anna.emails, ["anna@a.de", "anna@b.de"]);
        assert_eq!(anna.tags, ["VIP", "Fair 2026"]);
    }

    #[test]
    fn an_empty_or_broken_file_says_why() {
        assert_eq!(read_table("  \n"), Err(CsvError::Empty));
    }
}
