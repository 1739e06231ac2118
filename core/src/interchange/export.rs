//! People and organisations out of Rapport: CSV that spreadsheets open and Rapport reads back with the
//! same meaning per column, and vCard 4.0 that phones and mail programs import.

use vcard::tree::cst::VcardCst;
use vcard::tree::line::VcardLine;

use std::collections::BTreeMap;

use crate::ids::PartyId;
use crate::model::{Member, Party, PartyKind, WorkspaceSettings};

/// The name of the member who owns `party`, if any (owners go out by name and come back to the member
/// of that name).
fn owner_name<'m>(party: &Party, members: &'m BTreeMap<String, Member>) -> &'m str {
    party
        .owner
        .and_then(|owner| members.get(&owner.to_string()))
        .map(|member| member.display_name.as_str())
        .unwrap_or_default()
}

/// The organisation a person works at (the first such link to a record in `parties`) and the title.
fn works_at<'p>(party: &'p Party, parties: &'p [(PartyId, Party)]) -> (&'p str, &'p str) {
    party
        .relations
        .values()
        .filter(|link| link.kind == crate::model::LinkKind::WorksAt)
        .find_map(|link| {
            let (_, org) = parties.iter().find(|(id, _)| *id == link.to)?;
            Some((org.name.as_str(), link.title.as_str()))
        })
        .unwrap_or_default()
}

fn kind_name(kind: PartyKind) -> &'static str {
    match kind {
        PartyKind::Person => "Person",
        PartyKind::Organisation => "Organisation",
    }
}

/// The parts of an address, as the numbered CSV columns name them.
const ADDRESS_PARTS: [&str; 5] = ["Street", "City", "Region", "Postal Code", "Country"];

/// A party's custom values as (the field's label, the value as typed), in the order forms show them.
fn custom_values(party: &Party, settings: &WorkspaceSettings) -> Vec<(String, String)> {
    settings
        .party_fields()
        .filter_map(|(id, def)| Some((def.label.clone(), party.custom.get(id)?.as_input())))
        .collect()
}

/// The records as CSV (UTF-8, comma separated, a header line); archived records are left out. Every
/// email, phone, website and address goes out in numbered columns with its label, as Google Contacts
/// writes them ("E-mail 2 - Label", "E-mail 2 - Value", "Address 1 - City") — as many as the record
/// with the most has — so an import, Rapport's or another program's, keeps each with its kind; custom
/// fields likewise as Google's "Custom Field 1 - Label" and "- Value". Owners by the member's name.
pub fn parties_csv(parties: &[(PartyId, Party)], settings: &WorkspaceSettings) -> String {
    let members = &settings.members;
    let shown: Vec<&Party> =
        parties.iter().map(|(_, p)| p).filter(|p| !p.archived && p.merged_into.is_none()).collect();
    let most = |count: fn(&Party) -> usize| shown.iter().map(|p| count(p)).max().unwrap_or(0);
    let (emails, phones, websites, addresses) = (
        most(|p| p.emails.len()),
        most(|p| p.phones.len()),
        most(|p| p.links.len()),
        most(|p| p.addresses.len()),
    );
    let customs = shown.iter().map(|p| custom_values(p, settings).len()).max().unwrap_or(0);
    let mut headers: Vec<String> = [
        "Name",
        "Kind",
        "Roles",
        "Given Name",
        "Family Name",
        "Organization Name",
        "Organization Title",
    ]
    .map(String::from)
    .into();
    for (stem, count) in [("E-mail", emails), ("Phone", phones), ("Website", websites)] {
        for n in 1..=count {
            headers.push(format!("{stem} {n} - Label"));
            headers.push(format!("{stem} {n} - Value"));
        }
    }
    for n in 1..=addresses {
        headers.push(format!("Address {n} - Label"));
        headers.extend(ADDRESS_PARTS.map(|part| format!("Address {n} - {part}")));
    }
    for n in 1..=customs {
        headers.push(format!("Custom Field {n} - Label"));
        headers.push(format!("Custom Field {n} - Value"));
    }
    headers.extend(
        ["Tags", "Notes", "Birthday", "Anniversary", "Keep in touch (days)", "Owner"]
            .map(String::from),
    );
    let mut writer = csv::Writer::from_writer(Vec::new());
    // Writing into memory cannot fail.
    let _ = writer.write_record(&headers);
    for party in shown {
        let tags: Vec<&str> =
            party.tags.iter().filter(|(_, on)| **on).map(|(tag, _)| tag.as_str()).collect();
        let (organisation, title) = works_at(party, parties);
        let roles: Vec<&str> = party.role_list().into_iter().map(|role| role.key()).collect();
        let mut cells: Vec<String> = [
            party.name.as_str(),
            kind_name(party.kind),
            &roles.join("; "),
            &party.given_name,
            &party.family_name,
            organisation,
            title,
        ]
        .map(String::from)
        .into();
        for (points, count) in
            [(&party.emails, emails), (&party.phones, phones), (&party.links, websites)]
        {
            for n in 0..count {
                let point = points.get(n).cloned().unwrap_or_default();
                cells.extend([point.label, point.value]);
            }
        }
        for n in 0..addresses {
            let address = party.addresses.get(n).cloned().unwrap_or_default();
            cells.extend([
                address.label,
                address.street,
                address.city,
                address.region,
                address.postcode,
                address.country,
            ]);
        }
        let values = custom_values(party, settings);
        for n in 0..customs {
            let (label, value) = values.get(n).cloned().unwrap_or_default();
            cells.extend([label, value]);
        }
        cells.extend([
            tags.join("; "),
            party.notes.as_str().to_owned(),
            party.birthday.clone(),
            party.anniversary.clone(),
            party.keep_in_touch_days.map(|days| days.to_string()).unwrap_or_default(),
            owner_name(party, members).to_owned(),
        ]);
        let _ = writer.write_record(cells.iter().map(|cell| spreadsheet_safe(cell).into_owned()));
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

/// What a spreadsheet would run as a formula if a cell began with it (`=`, `+`, `-`, `@`, a tab or a
/// carriage return: CSV injection). Such a cell is written behind an apostrophe, which spreadsheets
/// show as text and [`super::csv_table::read_table`] removes again.
pub(crate) const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    // A cell typed with an apostrophe of its own before such a character gets one more, so that reading
    // it back takes off exactly the one the export added.
    let typed_guard = cell
        .strip_prefix('\'')
        .is_some_and(|rest| rest.starts_with(FORMULA_STARTS) || rest.starts_with('\''));
    if cell.starts_with(FORMULA_STARTS) && !plain_number(cell) || typed_guard {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// A phone number or amount ("+7 (999) 123-45-67", "-15.5"): a sign, then only digits, spaces and
/// `( ) - . /`. It names no function and no other cell, so it cannot be an injection; Google Contacts
/// and Outlook export phones like this unguarded, and other tools reading the file would keep an
/// apostrophe as part of the number.
fn plain_number(cell: &str) -> bool {
    let Some(rest) = cell.strip_prefix(['+', '-']) else { return false };
    rest.chars().any(|c| c.is_ascii_digit())
        && rest.chars().all(|c| c.is_ascii_digit() || " ()-./".contains(c))
}

/// `line` with a `TYPE` of `label` ("work", "home", "cell"), when the label is one word a vCard
/// reader can take.
fn typed<'a>(mut line: VcardLine<'a>, label: &str) -> VcardLine<'a> {
    let word = label.trim().to_ascii_lowercase();
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        use vcard::tree::leaf::VcardLeaf;
        line.params.push(vcard::tree::param::node::VcardParamNode {
            name: VcardLeaf("TYPE".into()),
            values: vec![VcardLeaf(word.into())],
            escaper: vcard::tree::codec::mode::VcardEscaper::V4_0,
        });
    }
    line
}

/// A property line holding `value`, escaped (a comma, semicolon or line break in a note stays text).
fn text_line(name: &'static str, value: impl AsRef<str>) -> VcardLine<'static> {
    let mut line = VcardLine::text(name, "");
    line.value.set(&[value.as_ref()]);
    line
}

/// The records as one vCard 4.0 file; archived records are left out; owners by the member's name;
/// custom fields as `itemN.X-RAPPORT-FIELD` labelled by `itemN.X-ABLabel`, as Apple labels its own.
pub fn parties_vcard(parties: &[(PartyId, Party)], settings: &WorkspaceSettings) -> String {
    let members = &settings.members;
    let mut out = Vec::new();
    for (id, party) in parties.iter().filter(|(_, p)| !p.archived && p.merged_into.is_none()) {
        let mut card = VcardCst::v4();
        card.props.push(text_line("UID", format!("urn:uuid:{id}")));
        card.props.push(text_line("FN", &party.name));
        if party.kind == PartyKind::Organisation {
            card.props.push(text_line("KIND", "org"));
        }
        // Rapport's own property: vCard has none for relationship roles (`ROLE` is a job function).
        let roles: Vec<&str> = party.role_list().into_iter().map(|role| role.key()).collect();
        if !roles.is_empty() {
            card.props.push(text_line("X-RAPPORT-ROLES", roles.join(",")));
        }
        if !party.given_name.is_empty() || !party.family_name.is_empty() {
            let mut n = VcardLine::text("N", "");
            for (i, part) in [&party.family_name, &party.given_name].into_iter().enumerate() {
                n.value.set_component(i, &[part.as_str()]);
            }
            for i in 2..5 {
                n.value.set_component::<&str>(i, &[]);
            }
            card.props.push(n);
        }
        let (organisation, title) = works_at(party, parties);
        if !organisation.is_empty() {
            card.props.push(text_line("ORG", organisation));
        }
        if !title.is_empty() {
            card.props.push(text_line("TITLE", title));
        }
        for email in &party.emails {
            card.props.push(typed(text_line("EMAIL", &email.value), &email.label));
        }
        for phone in &party.phones {
            let label = if phone.label == "mobile" { "cell" } else { phone.label.as_str() };
            card.props.push(typed(text_line("TEL", &phone.value), label));
        }
        for address in &party.addresses {
            let mut adr = VcardLine::text("ADR", "");
            let parts = [
                "",
                "",
                &address.street,
                &address.city,
                &address.region,
                &address.postcode,
                &address.country,
            ];
            for (i, part) in parts.into_iter().enumerate() {
                adr.value.set_component(i, &[part]);
            }
            card.props.push(typed(adr, &address.label));
        }
        let tags: Vec<&str> =
            party.tags.iter().filter(|(_, on)| **on).map(|(tag, _)| tag.as_str()).collect();
        if !tags.is_empty() {
            let mut categories = VcardLine::text("CATEGORIES", "");
            categories.value.set_component(0, &tags);
            card.props.push(categories);
        }
        if !party.notes.as_str().is_empty() {
            card.props.push(text_line("NOTE", party.notes.as_str()));
        }
        for link in &party.links {
            card.props.push(typed(text_line("URL", &link.value), &link.label));
        }
        // vCard 4.0 dates: `19800517`, or `--0517` without a year.
        for (name, date) in [("BDAY", &party.birthday), ("ANNIVERSARY", &party.anniversary)] {
            if !date.is_empty() {
                let value = match date.strip_prefix("--") {
                    Some(month_day) => format!("--{}", month_day.replace('-', "")),
                    None => date.replace('-', ""),
                };
                card.props.push(text_line(name, value));
            }
        }
        let owner = owner_name(party, members);
        if !owner.is_empty() {
            card.props.push(text_line("X-RAPPORT-OWNER", owner));
        }
        if let Some(days) = party.keep_in_touch_days {
            card.props.push(text_line("X-RAPPORT-KEEP-IN-TOUCH", days.to_string()));
        }
        for (n, (label, value)) in custom_values(party, settings).into_iter().enumerate() {
            let mut field = VcardLine::text(format!("item{}.X-RAPPORT-FIELD", n + 1), "");
            field.value.set(&[value.as_str()]);
            let mut named = VcardLine::text(format!("item{}.X-ABLabel", n + 1), "");
            named.value.set(&[label.as_str()]);
            card.props.extend([field, named]);
        }
        out.extend(card.to_bytes());
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Timestamp;
    use crate::interchange::{Candidate, candidates_from_table};
    use crate::interchange::{KnownParties, dedupe, guess_field, read_table, read_vcards};
    use crate::model::ContactPoint;

    fn sample() -> Vec<(PartyId, Party)> {
        let point = |value: &str| ContactPoint { label: "work".into(), value: value.into() };
        let mut anna = Party {
            name: "Weber, Anna \"Ann\"".into(),
            given_name: "Anna".into(),
            family_name: "Weber".into(),
            emails: vec![point("anna@nordwind.de"), point("anna@home.de"), point("a@w.de")],
            phones: vec![point("+49 170 1234567")],
            notes: autosurgeon::Text::with_value("Two lines;\nwith, commas"),
            created_at: Timestamp(1),
            ..Party::default()
        };
        anna.tags.insert("VIP".into(), true);
        anna.tags.insert("Ярмарка 2026".into(), true);
        let baltic = Party {
            kind: PartyKind::Organisation,
            name: "Baltic Freight".into(),
            links: vec![ContactPoint {
                label: "website".into(),
                value: "https://baltic.example".into(),
            }],
            created_at: Timestamp(2),
            ..Party::default()
        };
        let gone = Party { name: "Archived".into(), archived: true, ..Party::default() };
        vec![
            (PartyId::from_bytes([1; 16]), anna),
            (PartyId::from_bytes([2; 16]), baltic),
            (PartyId::from_bytes([3; 16]), gone),
        ]
    }

    /// Name, kind, emails, phones, tags, notes, website.
    type Essentials = (String, PartyKind, Vec<String>, Vec<String>, Vec<String>, String, String);

    /// What a round trip must keep, whatever the file format.
    fn essentials(
        candidate: &Candidate,
    ) -> (String, PartyKind, Vec<String>, Vec<String>, Vec<String>, String, String) {
        let mut tags = candidate.tags.clone();
        tags.sort();
        (
            candidate.name.clone(),
            candidate.kind,
            candidate.emails.iter().map(|e| e.value.clone()).collect(),
            candidate.phones.iter().map(|p| p.value.clone()).collect(),
            tags,
            candidate.notes.clone(),
            candidate.links.first().map(|l| l.value.clone()).unwrap_or_default(),
        )
    }

    fn expected() -> Vec<Essentials> {
        vec![
            (
                "Weber, Anna \"Ann\"".into(),
                PartyKind::Person,
                vec!["anna@nordwind.de".into(), "anna@home.de".into(), "a@w.de".into()],
                vec!["+49 170 1234567".into()],
                vec!["VIP".into(), "Ярмарка 2026".into()],
                "Two lines;\nwith, commas".into(),
                String::new(),
            ),
            (
                "Baltic Freight".into(),
                PartyKind::Organisation,
                vec![],
                vec![],
                vec![],
                String::new(),
                "https://baltic.example".into(),
            ),
        ]
    }

    #[test]
    fn cells_a_spreadsheet_would_run_as_formulas_are_exported_as_text_and_read_back_as_typed() {
        let mut parties = sample();
        let typed = [
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+1 555 0100",
            "-2",
            "@SUM(A1)",
            "\tindented",
            "\rreturn",
            "'+1 typed with its own apostrophe",
            "''=two",
        ];
        parties[0].1.notes = autosurgeon::Text::with_value(typed.join(" | "));
        parties[0].1.name = typed[0].to_owned();
        parties[0].1.phones[0].value = typed[1].to_owned();
        parties[0].1.given_name = typed[6].to_owned();
        parties[0].1.family_name = typed[7].to_owned();
        let csv = parties_csv(&parties, &WorkspaceSettings::default());
        // As a spreadsheet reads the file: no cell starts a formula, but for plain numbers (a phone
        // number is exported as typed, as Google Contacts and Outlook do).
        let mut spreadsheet = csv::Reader::from_reader(csv.as_bytes());
        let headers = spreadsheet.headers().unwrap().clone();
        let mut raw_phone = false;
        for record in spreadsheet.records() {
            for (cell, header) in record.unwrap().iter().zip(&headers) {
                assert!(
                    !cell.starts_with(FORMULA_STARTS) || plain_number(cell),
                    "{header}: {cell:?}"
                );
                raw_phone |= cell == typed[1];
            }
        }
        assert!(raw_phone, "the phone number is exported without an apostrophe: {csv}");
        for (cell, plain) in [
            ("+7 (999) 123-45-67", true),
            ("-15.5", true),
            ("+", false),
            ("+1+cmd|' /C calc'!A0", false),
            ("-2+3*SUM(A1)", false),
            ("=1", false),
        ] {
            assert_eq!(plain_number(cell), plain, "{cell}");
            assert_eq!(spreadsheet_safe(cell).starts_with('\''), !plain, "{cell}");
        }
        assert!(csv.lines().nth(1).unwrap().starts_with("\"'=HYPERLINK"), "{csv}");
        let table = read_table(&csv).unwrap();
        let back = candidates_from_table(
            &table,
            &table.headers.iter().map(|h| guess_field(h)).collect::<Vec<_>>(),
        );
        let back = back[0].as_ref().unwrap();
        assert_eq!(back.name, typed[0]);
        assert_eq!(back.phones[0].value, typed[1]);
        assert_eq!((back.given_name.as_str(), back.family_name.as_str()), (typed[6], typed[7]));
        assert_eq!(back.notes, typed.join(" | "));
    }

    #[test]
    fn csv_export_reads_back_with_nothing_lost() {
        let csv = parties_csv(&sample(), &WorkspaceSettings::default());
        let table = read_table(&csv).unwrap();
        let mapping: Vec<_> = table.headers.iter().map(|h| guess_field(h)).collect();
        let plan = dedupe(candidates_from_table(&table, &mapping), KnownParties::default());
        assert!(plan.skipped.is_empty() && plan.duplicates.is_empty(), "{plan:?}");
        assert_eq!(plan.new.iter().map(essentials).collect::<Vec<_>>(), expected());
    }

    #[test]
    fn vcard_export_reads_back_with_nothing_lost() {
        let vcf = parties_vcard(&sample(), &WorkspaceSettings::default());
        assert!(vcf.starts_with("BEGIN:VCARD\r\nVERSION:4.0\r\n"), "{vcf}");
        let plan = dedupe(read_vcards(&vcf), KnownParties::default());
        assert!(plan.skipped.is_empty() && plan.duplicates.is_empty(), "{plan:?}");
        assert_eq!(plan.new.iter().map(essentials).collect::<Vec<_>>(), expected());
    }

    /// Export → import keeps who works where (and as what), each email's and phone's kind (vCard) and
    /// every address.
    #[test]
    fn a_round_trip_keeps_organisations_titles_kinds_and_addresses() {
        use crate::ids::LinkId;
        use crate::ids::tests::CountingSource;
        use crate::interchange::records_to_write;
        use crate::model::{Address, LinkKind, PartyLink};
        let org_id = PartyId::from_bytes([7; 16]);
        let org = Party {
            kind: PartyKind::Organisation,
            name: "Nordwind GmbH".into(),
            ..Party::default()
        };
        let address = |label: &str, city: &str| Address {
            label: label.into(),
            street: "Hafenstr. 1".into(),
            city: city.into(),
            region: "HH".into(),
            postcode: "20457".into(),
            country: "Germany".into(),
        };
        let mut anna = Party {
            name: "Anna Weber".into(),
            given_name: "Anna".into(),
            family_name: "Weber".into(),
            emails: vec![
                ContactPoint { label: "work".into(), value: "anna@nordwind.de".into() },
                ContactPoint { label: "home".into(), value: "anna@mail.de".into() },
            ],
            phones: vec![
                ContactPoint { label: "mobile".into(), value: "+49 170 1".into() },
                ContactPoint { label: "fax".into(), value: "+49 40 2".into() },
                ContactPoint { label: "home".into(), value: "+49 40 3".into() },
            ],
            links: vec![
                ContactPoint { label: "website".into(), value: "https://nordwind.de".into() },
                ContactPoint {
                    label: "linkedin".into(),
                    value: "https://linkedin.example/a".into(),
                },
            ],
            addresses: vec![address("work", "Hamburg"), address("home", "Altona")],
            keep_in_touch_days: Some(30),
            ..Party::default()
        };
        anna.link(
            LinkId::from_bytes([1; 16]),
            PartyLink { to: org_id, kind: LinkKind::WorksAt, title: "Buyer".into() },
        );
        anna.set_role(crate::model::Role::Customer, true);
        anna.set_role(crate::model::Role::Supplier, true);
        anna.birthday = "1980-05-17".into();
        anna.anniversary = "--06-21".into();
        let olga = crate::ids::MemberId::from_bytes([5; 16]);
        anna.owner = Some(olga);
        let members: BTreeMap<String, Member> = [(
            olga.to_string(),
            Member { display_name: "Olga Smirnova".into(), colour: "#123456".into() },
        )]
        .into();
        // The workspace's own fields: a number, a date, a choice with a comma, a yes/no.
        use crate::model::{CustomFieldDef, CustomValue, FieldKind, RecordKind};
        let field = |label: &str, kind: FieldKind, choices: &[&str]| CustomFieldDef {
            label: label.into(),
            kind,
            applies_to: RecordKind::Party,
            choices: choices.iter().map(|c| c.to_string()).collect(),
        };
        let custom_fields: BTreeMap<String, CustomFieldDef> = [
            ("f1".to_owned(), field("Contract number", FieldKind::Number, &[])),
            ("f2".to_owned(), field("Renewal", FieldKind::Date, &[])),
            ("f3".to_owned(), field("Tier", FieldKind::Choice, &["Gold, annual", "Silver"])),
            ("f4".to_owned(), field("NDA signed", FieldKind::Boolean, &[])),
        ]
        .into();
        anna.custom = [
            ("f1".to_owned(), CustomValue::Number(1042.5)),
            ("f2".to_owned(), CustomValue::Date("2027-03-01".into())),
            ("f3".to_owned(), CustomValue::Choice("Gold, annual".into())),
            ("f4".to_owned(), CustomValue::Boolean(true)),
        ]
        .into();
        let settings = WorkspaceSettings { members, custom_fields, ..WorkspaceSettings::default() };
        let parties = vec![(org_id, org), (PartyId::from_bytes([8; 16]), anna.clone())];
        let back_from = |plan: &crate::interchange::ImportPlan| {
            let records = records_to_write(
                plan,
                [],
                &settings,
                Timestamp(0),
                &mut CountingSource::default(),
                &|e| e.english().into(),
            );
            let (_, person) = records.iter().find(|(_, p)| p.name == "Anna Weber").unwrap().clone();
            let link = person.relations.values().next().cloned().unwrap();
            let (_, org) = records.iter().find(|(id, _)| *id == link.to).unwrap();
            (person, org.name.clone(), link.title, records.len())
        };

        let vcf = parties_vcard(&parties, &settings);
        let (person, org, title, count) =
            back_from(&dedupe(read_vcards(&vcf), KnownParties::default()));
        assert_eq!((org.as_str(), title.as_str(), count), ("Nordwind GmbH", "Buyer", 2), "{vcf}");
        assert_eq!(person.emails, anna.emails);
        assert_eq!(person.phones, anna.phones);
        assert_eq!(person.links, anna.links);
        assert_eq!(person.addresses, anna.addresses);
        assert_eq!(person.keep_in_touch_days, Some(30));
        assert_eq!(person.custom, anna.custom, "{vcf}");
        assert_eq!(person.role_list(), anna.role_list());
        assert!(person.tags.is_empty(), "roles are not tags");
        assert_eq!(
            (person.birthday.as_str(), person.anniversary.as_str()),
            ("1980-05-17", "--06-21")
        );
        assert_eq!(person.owner, Some(olga), "the owner comes back as the member of that name");
        assert!(
            person.notes.as_str().is_empty(),
            "dates are fields, not notes: {:?}",
            person.notes
        );

        let csv = parties_csv(&parties, &settings);
        let table = read_table(&csv).unwrap();
        let mapping: Vec<_> = table.headers.iter().map(|h| guess_field(h)).collect();
        let plan = dedupe(candidates_from_table(&table, &mapping), KnownParties::default());
        let (person, org, title, count) = back_from(&plan);
        assert_eq!((org.as_str(), title.as_str(), count), ("Nordwind GmbH", "Buyer", 2), "{csv}");
        // Every value with its kind, as the vCard keeps them.
        assert_eq!(person.emails, anna.emails, "{csv}");
        assert_eq!(person.phones, anna.phones, "{csv}");
        assert_eq!(person.links, anna.links, "{csv}");
        assert_eq!(person.addresses, anna.addresses, "{csv}");
        assert_eq!(person.keep_in_touch_days, Some(30));
        assert_eq!(person.custom, anna.custom, "{csv}");
        assert_eq!(person.role_list(), anna.role_list());
        assert!(person.notes.as_str().is_empty(), "nothing left to the notes: {:?}", person.notes);
        assert_eq!(
            (person.birthday.as_str(), person.anniversary.as_str()),
            ("1980-05-17", "--06-21")
        );
        assert_eq!(person.owner, Some(olga));
        // In a workspace without a member of that name, nobody owns it (and nothing fails); without
        // those fields, their values are kept as lines of the notes.
        let records = records_to_write(
            &plan,
            [],
            &WorkspaceSettings::default(),
            Timestamp(0),
            &mut CountingSource::default(),
            &|e| e.english().into(),
        );
        assert!(records.iter().all(|(_, p)| p.owner.is_none()));
        let elsewhere = records.iter().find(|(_, p)| p.name == "Anna Weber").unwrap();
        assert!(elsewhere.1.custom.is_empty());
        assert_eq!(
            elsewhere.1.notes.as_str(),
            "Contract number: 1042.5\nNDA signed: true\nRenewal: 2027-03-01\nTier: Gold, annual"
        );
    }
}
