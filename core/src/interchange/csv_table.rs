//! CSV files as spreadsheets and address books write them: comma, semicolon or tab separated, quoted
//! fields spanning lines, UTF-8 or Windows-1251; headers of Google Contacts and Outlook (English and
//! Russian) recognised, every column's meaning adjustable before the import.

use super::{Candidate, Extra, Skipped, point};
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
    /// Customer, supplier, investor… (Rapport's own export).
    Roles,
    /// Who in the team owns the record, by name (Rapport's own export).
    Owner,
    /// How often to get in touch, in days (Rapport's own export).
    KeepInTouch,
    /// A fact without a field of its own, kept as a labelled line of the notes.
    Extra(Extra),
    /// A value named by the label column beside it (Google's "Event 1 - Value", "Relation 1 - Value",
    /// "Custom Field 1 - Value", "IM 1 - Value") or else by its header: kept as a line of the notes,
    /// "Label: value" — and an event labelled as an anniversary is the record's anniversary.
    LabelledNote,
}

impl Field {
    pub const ALL: [Field; 28] = [
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
        Field::Roles,
        Field::Owner,
        Field::KeepInTouch,
        Field::Extra(Extra::MiddleName),
        Field::Extra(Extra::Prefix),
        Field::Extra(Extra::Suffix),
        Field::Extra(Extra::Nickname),
        Field::Extra(Extra::Birthday),
        Field::Extra(Extra::Anniversary),
        Field::Extra(Extra::Department),
        Field::LabelledNote,
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
            Field::Roles => "roles",
            Field::Owner => "owner",
            Field::KeepInTouch => "keep-in-touch",
            Field::Extra(Extra::MiddleName) => "middle-name",
            Field::Extra(Extra::Prefix) => "name-prefix",
            Field::Extra(Extra::Suffix) => "name-suffix",
            Field::Extra(Extra::Nickname) => "nickname",
            Field::Extra(Extra::Birthday) => "birthday",
            Field::Extra(Extra::Anniversary) => "anniversary",
            Field::Extra(Extra::Department) => "department",
            Field::Extra(Extra::KeepInTouch) => "keep-in-touch-text",
            Field::LabelledNote => "labelled-note",
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
/// "Organization 1 - Name", "Address 1 - Country"), Outlook ("First Name", "Title" — a name prefix —,
/// "E-mail Address", "Mobile Phone", "Company", "Business Country/Region"), their Russian versions, and
/// Rapport's own export. Phonetic and Japanese reading ("Yomi") columns, telex and fax are not what
/// their words suggest, and are left out.
pub fn guess_field(header: &str) -> Field {
    let h = header.trim().to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    // Labels and types of Google's multi-value columns ("E-mail 1 - Type") describe, not hold, values;
    // so do Outlook's "E-mail Type" (SMTP) and "Тип эл. почты".
    if h.ends_with(" type")
        || h.ends_with("- label")
        || h.ends_with("тип")
        || h.starts_with("тип ")
        || h.ends_with(" - service")
    {
        return Field::Ignore;
    }
    if has(&["phonetic", "yomi", "telex", "телекс", "pager", "пейджер", "po box", "почтовый ящик"])
    {
        return Field::Ignore;
    }
    // Russian Outlook's "Почтовый код (дом. адрес)" is a postcode, not mail.
    if has(&["почтовый код", "почтовый индекс"]) {
        return Field::Postcode;
    }
    // Google's labelled values that have no field of their own.
    if ["event ", "relation ", "custom field ", "im "].iter().any(|s| h.starts_with(s))
        && h.ends_with(" - value")
    {
        return Field::LabelledNote;
    }
    // Outlook's "E-mail Display Name" and "Краткое имя эл. почты" repeat the name and address.
    if has(&["e-mail", "email", "mail", "почт"]) && !has(&["display", "краткое имя"])
    {
        return Field::Email;
    }
    if has(&["phone", "mobile", "телефон", "tel", "fax", "факс"]) && !has(&["type"]) {
        return Field::Phone;
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
        "middle name" | "additional name" | "отчество" => {
            return Field::Extra(Extra::MiddleName);
        }
        // Outlook's "Title" is Mr., Dr. — its job title is "Job Title".
        "title" | "name prefix" | "обращение" => return Field::Extra(Extra::Prefix),
        "suffix" | "name suffix" | "суффикс" => return Field::Extra(Extra::Suffix),
        "nickname" | "прозвище" => return Field::Extra(Extra::Nickname),
        "birthday" | "день рождения" | "дата рождения" => {
            return Field::Extra(Extra::Birthday);
        }
        "anniversary" | "годовщина" => return Field::Extra(Extra::Anniversary),
        "kind" | "type" => return Field::Kind,
        "roles" | "role" | "relationship" | "роли" | "роль" => return Field::Roles,
        "owner" | "record owner" | "contact owner" | "ответственный" | "владелец" =>
        {
            return Field::Owner;
        }
        _ => {}
    }
    if has(&["keep in touch", "на связи каждые"]) {
        return Field::KeepInTouch;
    }
    if has(&["department", "отдел", "подразделен"]) {
        return Field::Extra(Extra::Department);
    }
    if has(&["organization", "organisation", "company", "организац", "компани", "account name"])
        && !has(&["title", "department", "phone", "должн", "отдел"])
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
    // Before regions: Outlook's "Business Country/Region" is a country.
    if has(&["country", "страна"]) {
        return Field::Country;
    }
    // Before streets: Outlook's Russian headers name the address ("Город (раб. адрес)").
    if has(&["city", "город"]) {
        return Field::City;
    }
    if has(&["region", "state", "province", "область", "регион"]) {
        return Field::Region;
    }
    if has(&["street", "улица", "адрес"]) {
        return Field::Street;
    }
    Field::Ignore
}

/// The kind of an email, phone, address or website column as its header says it: Outlook's "Home
/// Phone", "Business Street", "Mobile Phone"; Google's numbered columns say it in a column of their
/// own (see [`candidates_from_table`]).
fn label_in_header(header: &str) -> Option<&'static str> {
    let h = header.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if has(&["fax", "факс"]) {
        Some("fax")
    } else if has(&["mobile", "cell", "мобильн", "сотов", "переносн"]) {
        Some("mobile")
    } else if has(&["home", "personal", "домашн", "личн", "дом."]) {
        Some("home")
    } else if has(&["business", "work", "company", "рабоч", "служебн", "раб."]) {
        Some("work")
    } else if has(&["other", "друг"]) {
        Some("other")
    } else {
        None
    }
}

/// Which address a column belongs to: Google numbers them ("Address 2 - City"), Outlook names them
/// ("Home City", "Business Street").
fn address_group(header: &str) -> String {
    let h = header.to_lowercase();
    if let Some(rest) = h.strip_prefix("address ") {
        return rest.split(" - ").next().unwrap_or_default().trim().to_owned();
    }
    label_in_header(header).unwrap_or_default().to_owned()
}

/// Google's label for the value column at `index`: the "… - Label" (or "- Type") column just before it
/// with the same start ("Phone 1 - Label" for "Phone 1 - Value").
fn label_column(headers: &[String], index: usize) -> Option<usize> {
    let header = headers.get(index)?.to_lowercase();
    let stem = header.strip_suffix(" - value").or_else(|| header.strip_suffix(" - formatted"))?;
    headers.iter().position(|h| {
        let h = h.to_lowercase();
        h == format!("{stem} - label") || h == format!("{stem} - type")
    })
}

/// A label as Google or Outlook writes it ("* Mobile", "Work", "Мобильный") in Rapport's words.
fn normalise_label(label: &str) -> String {
    let label = label.trim().trim_start_matches('*').trim();
    match label_in_words(label) {
        Some(known) => known.to_owned(),
        None if label.is_empty() => "work".to_owned(),
        None => label.to_lowercase(),
    }
}

/// Rapport's kind for a label a person chose, by its whole words ("Work Fax" is a fax, "Homepage" and
/// "Network" stay as written — unlike a header, where parts of words tell).
fn label_in_words(label: &str) -> Option<&'static str> {
    let lower = label.to_lowercase();
    let words: Vec<&str> =
        lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let any = |english: &[&str], stems: &[&str]| {
        words.iter().any(|w| english.contains(w) || stems.iter().any(|stem| w.starts_with(stem)))
    };
    if any(&["fax"], &["факс"]) {
        Some("fax")
    } else if any(&["mobile", "cell"], &["мобильн", "сотов"]) {
        Some("mobile")
    } else if any(&["home", "personal"], &["домашн", "личн"]) {
        Some("home")
    } else if any(&["work", "business", "company"], &["рабоч", "служебн"]) {
        Some("work")
    } else if any(&["other"], &["друг"]) {
        Some("other")
    } else {
        None
    }
}

/// Whether this file's dates with slashes are month first: when one can only be read so (`5/17/1980`),
/// or none can only be read day first and the date columns are named in English (an English Outlook
/// writes `1/2/1975` for 2 January). Dates with dots, or ISO dates, are never in question.
fn dates_month_first(table: &Table, mapping: &[Field]) -> bool {
    let date_columns: Vec<usize> = mapping
        .iter()
        .enumerate()
        .filter(|(_, f)| matches!(f, Field::Extra(Extra::Birthday | Extra::Anniversary)))
        .map(|(i, _)| i)
        .collect();
    let (mut day_first, mut month_first) = (false, false);
    for (_, row) in &table.rows {
        for &column in &date_columns {
            let Some(value) = row.get(column) else { continue };
            let parts: Vec<u32> =
                value.trim().split('/').filter_map(|part| part.trim().parse().ok()).collect();
            if let [first, second, _] = parts[..] {
                day_first |= first > 12;
                month_first |= second > 12;
            }
        }
    }
    let english = date_columns.iter().any(|&column| {
        let header = table.headers[column].to_lowercase();
        header.contains("birthday") || header.contains("anniversary")
    });
    !day_first && (month_first || english)
}

/// Columns with values that the mapping leaves out (not counting Google's label columns, which label
/// the values next to them): what the import report lists, so nothing is dropped silently.
pub fn left_out_columns(table: &Table, mapping: &[Field]) -> Vec<String> {
    let mapped = |i: usize| mapping.get(i).is_some_and(|f| *f != Field::Ignore);
    // "Phone 1 - Label" labels "Phone 1 - Value", "Address 1 - Label" every "Address 1 - …".
    let labels_a_mapped_column = |header: &str| {
        let header = header.to_lowercase();
        let Some(stem) = header
            .strip_suffix(" - label")
            .or_else(|| header.strip_suffix(" - type"))
            // Google's "Address 1 - Formatted" repeats the address's parts in one text.
            .or_else(|| header.strip_suffix(" - formatted"))
        else {
            return false;
        };
        let prefix = format!("{stem} - ");
        table.headers.iter().enumerate().any(|(i, h)| {
            let h = h.to_lowercase();
            mapped(i) && h.starts_with(&prefix) && h != header
        })
    };
    table
        .headers
        .iter()
        .enumerate()
        .filter(|(i, header)| !mapped(*i) && !labels_a_mapped_column(header))
        .filter(|(i, _)| {
            table.rows.iter().any(|(_, row)| row.get(*i).is_some_and(|v| !v.trim().is_empty()))
        })
        .map(|(_, header)| header.clone())
        .collect()
}

/// Turns rows into candidates by the chosen meaning of each column; several email, phone, website and
/// address columns all count, each with its kind (from Google's label column beside it or from an
/// Outlook header); tags may be separated by `;`, `,` or Google's ` ::: `.
pub fn candidates_from_table(table: &Table, mapping: &[Field]) -> Vec<Result<Candidate, Skipped>> {
    let labels: Vec<Option<usize>> =
        (0..table.headers.len()).map(|i| label_column(&table.headers, i)).collect();
    let groups: Vec<String> = table.headers.iter().map(|h| address_group(h)).collect();
    let dates_month_first = dates_month_first(table, mapping);
    table
        .rows
        .iter()
        .map(|(line, row)| {
            let mut candidate =
                Candidate { source: *line, dates_month_first, ..Candidate::default() };
            let mut addresses: Vec<(String, crate::model::Address)> = Vec::new();
            for (index, (value, field)) in row.iter().zip(mapping).enumerate() {
                let value = value.trim();
                if value.is_empty() {
                    continue;
                }
                let header = &table.headers[index];
                let label = || match labels[index].and_then(|l| row.get(l)) {
                    Some(given) if !given.trim().is_empty() => normalise_label(given),
                    _ => label_in_header(header).unwrap_or("work").to_owned(),
                };
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
                    Field::Email => {
                        let label = label();
                        candidate.emails.extend(split_multi(value).map(|v| point(&label, v)));
                    }
                    Field::Phone => {
                        let label = label();
                        candidate.phones.extend(split_multi(value).map(|v| point(&label, v)));
                    }
                    Field::Website => {
                        let label =
                            if labels[index].is_some() { label() } else { "website".into() };
                        candidate.links.extend(split_multi(value).map(|v| point(&label, v)));
                    }
                    Field::Extra(extra) => candidate.extras.push((*extra, value.to_owned())),
                    Field::LabelledNote => {
                        let given = labels[index]
                            .and_then(|l| row.get(l))
                            .map(|l| l.trim().trim_start_matches('*').trim().to_owned());
                        let label = match given {
                            Some(label) if !label.is_empty() => label,
                            _ => header.split(" - ").next().unwrap_or(header).trim().to_owned(),
                        };
                        let lower = label.to_lowercase();
                        let event = header.to_lowercase().starts_with("event ");
                        if event && (lower == "anniversary" || lower == "годовщина") {
                            candidate.extras.push((Extra::Anniversary, value.to_owned()));
                        } else {
                            candidate.labelled.push((label, value.to_owned()));
                        }
                    }
                    Field::Roles => candidate.add_roles(value),
                    Field::Owner => append(&mut candidate.owner),
                    Field::KeepInTouch => match value.parse::<u32>() {
                        Ok(days) if days > 0 => candidate.keep_in_touch_days = Some(days),
                        _ => candidate.extras.push((Extra::KeepInTouch, value.to_owned())),
                    },
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
                    Field::Street
                    | Field::City
                    | Field::Region
                    | Field::Postcode
                    | Field::Country => {
                        let group = &groups[index];
                        let at = match addresses.iter().position(|(g, _)| g == group) {
                            Some(at) => at,
                            None => {
                                let label = label_in_header(header).unwrap_or("work").to_owned();
                                let address = crate::model::Address { label, ..Default::default() };
                                addresses.push((group.clone(), address));
                                addresses.len() - 1
                            }
                        };
                        let address = &mut addresses[at].1;
                        let target = match field {
                            Field::Street => &mut address.street,
                            Field::City => &mut address.city,
                            Field::Region => &mut address.region,
                            Field::Postcode => &mut address.postcode,
                            _ => &mut address.country,
                        };
                        if !target.is_empty() {
                            target.push_str(", ");
                        }
                        target.push_str(value);
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
            // Google's "Address 1 - Label" names the address it belongs to.
            for (group, address) in &mut addresses {
                let label = table.headers.iter().enumerate().find_map(|(i, h)| {
                    let h = h.to_lowercase();
                    (h == format!("address {group} - label")
                        || h == format!("address {group} - type"))
                    .then(|| row.get(i))
                    .flatten()
                    .filter(|v| !v.trim().is_empty())
                });
                if let Some(label) = label {
                    address.label = normalise_label(label);
                }
            }
            candidate.addresses = addresses.into_iter().map(|(_, address)| address).collect();
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
        assert_eq!(ivan.phones, [point("mobile", "+7 495 123-45-67")]);
        let party = ivan.to_party(crate::ids::Timestamp(0), &|extra| extra.english().into());
        assert_eq!(
            party.notes.as_str(),
            "Постоянный клиент",
            "the organisation is a link, not a note"
        );
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
                Field::Extra(Extra::MiddleName),
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
                Field::Phone
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
        assert_eq!(anna.emails, [point("work", "anna@a.de"), point("work", "anna@b.de")]);
        assert_eq!(anna.tags, ["VIP", "Fair 2026"]);
    }

    #[test]
    fn type_and_display_columns_hold_no_address_and_russian_addresses_are_read_by_part() {
        for (header, field) in [
            ("E-mail Type", Field::Ignore),
            ("E-mail 2 Type", Field::Ignore),
            ("E-mail 2 Display Name", Field::Ignore),
            ("Тип эл. почты", Field::Ignore),
            ("Тип 2 эл. почты", Field::Ignore),
            ("Краткое имя эл. почты", Field::Ignore),
            ("Адрес 2 эл. почты", Field::Email),
            ("Улица (раб. адрес)", Field::Street),
            ("Город (раб. адрес)", Field::City),
            ("Область (дом. адрес)", Field::Region),
            ("Почтовый код (дом. адрес)", Field::Postcode),
            ("Почтовый ящик (раб. адрес)", Field::Ignore),
            ("Business Address PO Box", Field::Ignore),
            ("Страна или регион (раб. адрес)", Field::Country),
            ("Телекс", Field::Ignore),
            ("Event 1 - Value", Field::LabelledNote),
            ("Custom Field 1 - Value", Field::LabelledNote),
            ("IM 1 - Service", Field::Ignore),
        ] {
            assert_eq!(guess_field(header), field, "{header}");
        }
        assert_eq!(label_in_header("Город (раб. адрес)"), Some("work"));
        assert_eq!(label_in_header("Телефон дом. 2"), Some("home"));
        assert_eq!(label_in_header("Телефон переносной"), Some("mobile"));
        // A label a person chose keeps its words: only whole words name a kind.
        for (label, kind) in [
            ("* Work", "work"),
            ("Work Fax", "fax"),
            ("Мобильный", "mobile"),
            ("Homepage", "homepage"),
            ("Network", "network"),
            ("", "work"),
        ] {
            assert_eq!(normalise_label(label), kind, "{label}");
        }
    }

    #[test]
    fn outlook_headers_mean_what_outlook_means() {
        let headers = [
            "Title",
            "First Name",
            "Middle Name",
            "Last Name",
            "Suffix",
            "Company",
            "Job Title",
            "Business Street",
            "Business City",
            "Business Country/Region",
            "Home Street",
            "Home City",
            "Home Country/Region",
            "Mobile Phone",
            "Home Phone",
            "Telex",
            "Company Yomi",
            "Phonetic First Name",
            "Birthday",
            "Web Page",
        ];
        let fields: Vec<Field> = headers.iter().map(|h| guess_field(h)).collect();
        assert_eq!(
            fields,
            [
                Field::Extra(Extra::Prefix),
                Field::GivenName,
                Field::Extra(Extra::MiddleName),
                Field::FamilyName,
                Field::Extra(Extra::Suffix),
                Field::Organisation,
                Field::JobTitle,
                Field::Street,
                Field::City,
                Field::Country,
                Field::Street,
                Field::City,
                Field::Country,
                Field::Phone,
                Field::Phone,
                Field::Ignore,
                Field::Ignore,
                Field::Ignore,
                Field::Extra(Extra::Birthday),
                Field::Website,
            ]
        );
        let row = "Dr.,Anna,Maria,Weber,Jr.,Nordwind GmbH,Buyer,Hafenstr. 1,Hamburg,Germany,Elbweg 2,Altona,Germany,+49 170 1,+49 40 2,123,ノルドヴィント,アンナ,1980-05-17,https://nordwind.example";
        let table = read_table(&format!("{}\n{row}\n", headers.join(","))).unwrap();
        let candidates = candidates_from_table(&table, &fields);
        let anna = candidates[0].as_ref().unwrap();
        assert_eq!(anna.phones, [point("mobile", "+49 170 1"), point("home", "+49 40 2")]);
        assert_eq!(anna.addresses.len(), 2);
        assert_eq!(
            (anna.addresses[0].label.as_str(), anna.addresses[0].city.as_str()),
            ("work", "Hamburg")
        );
        assert_eq!(
            (anna.addresses[1].label.as_str(), anna.addresses[1].country.as_str()),
            ("home", "Germany")
        );
        assert_eq!(anna.extras[0], (Extra::Prefix, "Dr.".to_owned()));
        assert_eq!(
            left_out_columns(&table, &fields),
            ["Telex", "Company Yomi", "Phonetic First Name"],
            "the report names what was left out"
        );
    }

    #[test]
    fn google_labels_go_with_their_values() {
        let file = "First Name,E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,Phone 1 - Value,Address 1 - Label,Address 1 - City,Address 2 - Label,Address 2 - City,Website 1 - Label,Website 1 - Value\nAnna,* Work,anna@firma.de,Home,anna@mail.de,Mobile,+49 170 1,Home,Hamburg,Work,Berlin,Profile,https://x.example/anna\n";
        let table = read_table(file).unwrap();
        let fields: Vec<Field> = table.headers.iter().map(|h| guess_field(h)).collect();
        let candidates = candidates_from_table(&table, &fields);
        let anna = candidates[0].as_ref().unwrap();
        assert_eq!(anna.emails, [point("work", "anna@firma.de"), point("home", "anna@mail.de")]);
        assert_eq!(anna.phones, [point("mobile", "+49 170 1")]);
        let addresses: Vec<(&str, &str)> =
            anna.addresses.iter().map(|a| (a.label.as_str(), a.city.as_str())).collect();
        assert_eq!(addresses, [("home", "Hamburg"), ("work", "Berlin")]);
        assert_eq!(anna.links, [point("profile", "https://x.example/anna")]);
        assert!(left_out_columns(&table, &fields).is_empty(), "labels are used, not left out");
    }

    #[test]
    fn an_empty_or_broken_file_says_why() {
        assert_eq!(read_table("  \n"), Err(CsvError::Empty));
    }
}
