//! vCard files (2.1, 3.0 and 4.0, one card or a whole address book) through `vcard-rs`, which resolves
//! folding, quoted-printable soft line breaks and escapes; quoted-printable values are decoded in their
//! `CHARSET` here (vcard-rs would bring encoding_rs's tables into the app for it). Every email, phone,
//! address and website comes in with its type; name parts, nickname, birthday and anniversary without a
//! field of their own are kept as labelled lines of the notes. Photos, keys and sounds are left out; a
//! card that cannot be read is reported and the others still come in.

use super::{Candidate, Extra, SkipReason, Skipped, point};
use crate::model::{Address, PartyKind};

/// The cards of a vCard file as candidates (`source` is the card's position, from 1), and the cards
/// that could not be read.
pub fn read_vcards(text: &str) -> Vec<Result<Candidate, Skipped>> {
    read_vcard_book(text).cards
}

/// A vCard file as an import sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VcardBook {
    /// Each card as a candidate, or why it could not be read.
    pub cards: Vec<Result<Candidate, Skipped>>,
    /// The properties some card has with a value that no field keeps (a photo, a key, an unknown
    /// `X-` extension), by name in the order first met: what the import says it leaves out.
    pub left_out: Vec<String>,
}

/// [`read_vcards`], and what the cards hold that the import leaves out.
pub fn read_vcard_book(text: &str) -> VcardBook {
    let mut left_out = Vec::new();
    let cards = split_cards(text)
        .into_iter()
        .enumerate()
        .map(|(index, card)| {
            let source = index + 1;
            let parsed = vcard::tree::cst::VcardCst::parse(card.as_str()).map_err(|error| {
                Skipped { source, reason: SkipReason::UnreadableCard(error.to_string()) }
            })?;
            Ok(candidate(source, &parsed, &mut left_out))
        })
        .collect();
    VcardBook { cards, left_out }
}

/// Properties that hold nothing a person would miss: the card's own bookkeeping, labels read with
/// the property they label, and repetitions of what other properties hold (2.1's `LABEL` is the
/// address again).
const NOTHING_TO_KEEP: &[&str] = &[
    "BEGIN",
    "END",
    "VERSION",
    "PRODID",
    "REV",
    "UID",
    "KIND",
    "X-ABSHOWAS",
    "X-ABLABEL",
    "X-ABUID",
    "X-ABADR",
    "X-IMAGETYPE",
    "X-IMAGEHASH",
    "LABEL",
    "SORT-STRING",
    "CLASS",
    "SOURCE",
    "NAME",
    "MAILER",
];

/// An Apple label as a person reads it: `_$!<Anniversary>!$_` → `Anniversary`, a custom one as written.
fn apple_label(text: &str) -> String {
    let text = text.trim();
    text.strip_prefix("_$!<").and_then(|rest| rest.strip_suffix(">!$_")).unwrap_or(text).to_owned()
}

/// One text per `BEGIN:VCARD … END:VCARD`, so one broken card does not hide the rest.
fn split_cards(text: &str) -> Vec<String> {
    let mut cards = Vec::new();
    let mut current: Option<String> = None;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\r', '\n']);
        if bare.eq_ignore_ascii_case("BEGIN:VCARD") {
            current = Some(String::new());
        }
        if let Some(card) = current.as_mut() {
            card.push_str(line);
            if bare.eq_ignore_ascii_case("END:VCARD") {
                cards.extend(current.take());
            }
        }
    }
    // A card cut off at the end of the file is still offered (and reported if unreadable).
    cards.extend(current);
    cards
}

fn candidate(
    source: usize,
    card: &vcard::tree::cst::VcardCst<'_>,
    left_out: &mut Vec<String>,
) -> Candidate {
    let mut candidate = Candidate { source, ..Candidate::default() };
    // Apple labels a grouped property in a line of its own: `item1.X-ABLabel:_$!<Anniversary>!$_`.
    let group_label = |group: &str| -> Option<String> {
        card.props.iter().find_map(|line| {
            let full = line.name.get();
            let (g, name) = full.rsplit_once('.')?;
            (g.eq_ignore_ascii_case(group) && name.eq_ignore_ascii_case("X-ABLABEL"))
                .then(|| apple_label(&line.value.decode()))
                .filter(|label| !label.is_empty())
        })
    };
    let mut leave_out = |name: &str| {
        if !left_out.iter().any(|known| known == name) {
            left_out.push(name.to_owned());
        }
    };
    for line in &card.props {
        // `item1.EMAIL` → `EMAIL`.
        let full_name = line.name.get();
        let group = full_name.rsplit_once('.').map(|(group, _)| group);
        let name = full_name.rsplit('.').next().unwrap_or_default().to_ascii_uppercase();
        let param_values = |wanted: &str| -> Vec<String> {
            line.params
                .iter()
                .filter(|param| param.name.get().eq_ignore_ascii_case(wanted))
                .flat_map(|param| param.values.iter().map(|v| v.get().to_ascii_uppercase()))
                .collect()
        };
        if param_values("ENCODING").iter().any(|v| v == "B" || v == "BASE64") {
            leave_out(&name);
            continue;
        }
        // vCard 2.1 writes types and the encoding as bare parameters: `TEL;CELL;QUOTED-PRINTABLE:`.
        let bare: Vec<String> = line
            .params
            .iter()
            .filter(|param| param.values.is_empty())
            .map(|param| param.name.get().to_ascii_uppercase())
            .collect();
        let quoted_printable = bare.iter().any(|b| b == "QUOTED-PRINTABLE")
            || param_values("ENCODING").iter().any(|v| v == "QUOTED-PRINTABLE");
        let charset = param_values("CHARSET").into_iter().next();
        let text = |raw: &str| -> String {
            if quoted_printable {
                let bytes = quoted_printable::decode(raw, quoted_printable::ParseMode::Robust)
                    .unwrap_or_else(|_| raw.as_bytes().to_vec());
                in_charset(&bytes, charset.as_deref()).trim().to_owned()
            } else {
                raw.trim().to_owned()
            }
        };
        let value = || text(&line.value.decode());
        let part = |i| text(&line.value.decode_component(i));
        let mut types = param_values("TYPE");
        types.extend(bare.iter().cloned());
        // An email's, phone's or address's kind: its TYPE, else the label Apple gave its group
        // (`item1.X-ABLabel:Assistant`).
        let label = |fallback: &str| {
            type_label(&types)
                .map(str::to_owned)
                .or_else(|| group.and_then(group_label).map(|l| l.to_lowercase()))
                .unwrap_or_else(|| fallback.to_owned())
        };
        let named = |fallback: &str| -> String {
            group
                .and_then(group_label)
                .or_else(|| {
                    types
                        .iter()
                        .find(|t| !matches!(t.as_str(), "PREF" | "INTERNET" | "VOICE"))
                        .map(|t| t.to_lowercase())
                })
                .unwrap_or_else(|| fallback.to_owned())
        };
        match name.as_str() {
            "FN" => candidate.name = value(),
            "N" => {
                candidate.family_name = part(0);
                candidate.given_name = part(1);
                for (index, extra) in
                    [(2, Extra::MiddleName), (3, Extra::Prefix), (4, Extra::Suffix)]
                {
                    let found = part(index);
                    if !found.is_empty() {
                        candidate.extras.push((extra, found));
                    }
                }
            }
            "ORG" => {
                candidate.organisation = part(0);
                // `ORG:Company;Department;Unit`.
                let units: Vec<String> = (1..4).map(part).filter(|p| !p.is_empty()).collect();
                if !units.is_empty() {
                    candidate.extras.push((Extra::Department, units.join(", ")));
                }
            }
            "TITLE" => candidate.job_title = value(),
            "EMAIL" => candidate.emails.push(point(&label("work"), value())),
            "TEL" => {
                // 4.0 may write `tel:+49…` as a URI.
                let found = value();
                let number = found.strip_prefix("tel:").unwrap_or(&found).to_owned();
                candidate.phones.push(point(&label("work"), number));
            }
            "NOTE" => {
                if !candidate.notes.is_empty() {
                    candidate.notes.push('\n');
                }
                candidate.notes.push_str(&value());
            }
            "URL" => {
                let label = type_label(&types).map_or_else(|| named("website"), str::to_owned);
                candidate.links.push(point(&label, value()));
            }
            "NICKNAME" => candidate.extras.push((Extra::Nickname, value())),
            "X-RAPPORT-ROLES" => candidate.add_roles(&value()),
            "X-RAPPORT-OWNER" => candidate.owner = value(),
            "X-RAPPORT-KEEP-IN-TOUCH" => match value().parse::<u32>() {
                Ok(days) if days > 0 => candidate.keep_in_touch_days = Some(days),
                _ => candidate.extras.push((Extra::KeepInTouch, value())),
            },
            "BDAY" => candidate.extras.push((Extra::Birthday, value())),
            "ANNIVERSARY" | "X-ANNIVERSARY" => {
                candidate.extras.push((Extra::Anniversary, value()));
            }
            // A social profile is a link, named by its network (`type=linkedin`).
            "X-SOCIALPROFILE" => candidate.links.push(point(&named("profile"), value())),
            // Apple's other dates and related people, named by their label.
            // Rapport's own custom fields: `item1.X-RAPPORT-FIELD:…` labelled by `item1.X-ABLabel`.
            "X-ABDATE" | "X-ABRELATEDNAMES" | "RELATED" | "IMPP" | "X-RAPPORT-FIELD" => {
                let found = value();
                if found.is_empty() {
                    continue;
                }
                let label = named(match name.as_str() {
                    "X-ABDATE" => "Date",
                    "IMPP" => "Chat",
                    "X-RAPPORT-FIELD" => "Field",
                    _ => "Related",
                });
                let anniversary = label.eq_ignore_ascii_case("anniversary");
                if name == "X-ABDATE" && anniversary {
                    candidate.extras.push((Extra::Anniversary, found));
                } else {
                    candidate.labelled.push((label, found));
                }
            }
            "CATEGORIES" => candidate
                .tags
                .extend(line.value.decode_list().iter().map(|t| text(t)).filter(|t| !t.is_empty())),
            "KIND" if value().eq_ignore_ascii_case("org") => {
                candidate.kind = PartyKind::Organisation
            }
            "X-ABSHOWAS" if value().eq_ignore_ascii_case("company") => {
                candidate.kind = PartyKind::Organisation;
            }
            "ADR" => {
                let address = Address {
                    label: label("work"),
                    // The post office box and extended address (suite, floor) belong to the street.
                    street: [part(2), part(1), part(0)]
                        .into_iter()
                        .filter(|p| !p.is_empty())
                        .collect::<Vec<_>>()
                        .join(", "),
                    city: part(3),
                    region: part(4),
                    postcode: part(5),
                    country: part(6),
                };
                if address != (Address { label: address.label.clone(), ..Address::default() }) {
                    candidate.addresses.push(address);
                }
            }
            "KIND" | "X-ABSHOWAS" => {}
            other if NOTHING_TO_KEEP.contains(&other) || value().is_empty() => {}
            other => leave_out(other),
        }
    }
    candidate.emails.retain(|e| !e.value.is_empty());
    candidate.phones.retain(|p| !p.value.is_empty());
    candidate.links.retain(|l| !l.value.is_empty());
    candidate.extras.retain(|(_, value)| !value.is_empty());
    // An organisation's card names the organisation in FN and ORG both.
    if candidate.kind == PartyKind::Organisation && candidate.organisation == candidate.name {
        candidate.organisation.clear();
    }
    candidate
}

/// Rapport's label for a vCard `TYPE` list (`CELL`, `HOME`, `WORK`, `FAX`…), if it names one.
fn type_label(types: &[String]) -> Option<&'static str> {
    let has = |wanted: &[&str]| types.iter().any(|t| wanted.contains(&t.as_str()));
    if has(&["CELL", "MOBILE", "IPHONE"]) {
        Some("mobile")
    } else if has(&["FAX"]) {
        Some("fax")
    } else if has(&["HOME"]) {
        Some("home")
    } else if has(&["WORK"]) {
        Some("work")
    } else if has(&["OTHER"]) {
        Some("other")
    } else {
        None
    }
}

/// Bytes decoded from a quoted-printable value in its `CHARSET`: UTF-8 (the default), Latin-1, or
/// Windows-1251, which Russian phones of the vCard 2.1 era wrote. Anything else is read as UTF-8,
/// replacing what is not.
fn in_charset(bytes: &[u8], charset: Option<&str>) -> String {
    match charset.map(str::to_ascii_uppercase).as_deref() {
        Some("ISO-8859-1" | "LATIN1" | "ISO8859-1" | "US-ASCII") => {
            bytes.iter().map(|&b| char::from(b)).collect()
        }
        Some("WINDOWS-1251" | "CP1251" | "CP-1251") => {
            bytes.iter().map(|&b| windows_1251(b)).collect()
        }
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// One Windows-1251 byte as a character (WHATWG's table; the app otherwise leaves legacy encodings to
/// the browser, but a quoted-printable value is decoded here, and this half-table is 128 characters).
fn windows_1251(byte: u8) -> char {
    const HIGH: [u16; 64] = [
        0x0402, 0x0403, 0x201A, 0x0453, 0x201E, 0x2026, 0x2020, 0x2021, 0x20AC, 0x2030, 0x0409,
        0x2039, 0x040A, 0x040C, 0x040B, 0x040F, 0x0452, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x0098, 0x2122, 0x0459, 0x203A, 0x045A, 0x045C, 0x045B, 0x045F, 0x00A0,
        0x040E, 0x045E, 0x0408, 0x00A4, 0x0490, 0x00A6, 0x00A7, 0x0401, 0x00A9, 0x0404, 0x00AB,
        0x00AC, 0x00AD, 0x00AE, 0x0407, 0x00B0, 0x00B1, 0x0406, 0x0456, 0x0491, 0x00B5, 0x00B6,
        0x00B7, 0x0451, 0x2116, 0x0454, 0x00BB, 0x0458, 0x0405, 0x0455, 0x0457,
    ];
    let code = match byte {
        0x00..=0x7F => u32::from(byte),
        0x80..=0xBF => u32::from(HIGH[usize::from(byte - 0x80)]),
        // А (U+0410) to я (U+044F), in order.
        _ => 0x0410 + u32::from(byte - 0xC0),
    };
    char::from_u32(code).unwrap_or('\u{FFFD}')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interchange::{KnownParties, dedupe};

    const BOOK: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Weber;Anna;;;\r\nFN:Anna Weber\r\nORG:Nordwind GmbH;Sales\r\nTITLE:Buyer\r\nitem1.EMAIL;TYPE=INTERNET,WORK:anna@nordwind.de\r\nEMAIL;TYPE=HOME:anna.weber@mail.de\r\nTEL;TYPE=CELL:+49 170 1234567\r\nTEL;TYPE=WORK:+49 40 555\r\n 0101\r\nNOTE:Met at the fair\\, wants a quote\\nfor 40 units\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQ\r\n AAAQABAAD\r\nCATEGORIES:VIP,Fair 2026\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:4.0\r\nKIND:org\r\nFN:Baltic Freight\r\nTEL;VALUE=uri:tel:+371-6700-1234\r\nURL:https://baltic.example\r\nEND:VCARD\r\n";

    #[test]
    fn an_address_book_with_folded_lines_several_emails_and_a_photo_is_read() {
        let cards = read_vcards(BOOK);
        assert_eq!(cards.len(), 2);
        let anna = cards[0].as_ref().unwrap();
        assert_eq!(anna.name, "Anna Weber");
        assert_eq!((anna.given_name.as_str(), anna.family_name.as_str()), ("Anna", "Weber"));
        assert_eq!(anna.organisation, "Nordwind GmbH");
        assert_eq!(anna.job_title, "Buyer");
        assert_eq!(
            anna.emails,
            [point("work", "anna@nordwind.de"), point("home", "anna.weber@mail.de")]
        );
        assert_eq!(
            anna.phones,
            [point("mobile", "+49 170 1234567"), point("work", "+49 40 5550101")],
            "a folded line is one value"
        );
        assert_eq!(anna.notes, "Met at the fair, wants a quote\nfor 40 units");
        assert_eq!(anna.tags, ["VIP", "Fair 2026"]);
        let baltic = cards[1].as_ref().unwrap();
        assert_eq!(baltic.kind, PartyKind::Organisation);
        assert_eq!(baltic.phones, [point("work", "+371-6700-1234")]);
        assert_eq!(baltic.links, [point("website", "https://baltic.example")]);
    }

    /// An old Android phone's export: vCard 2.1, names quoted-printable in UTF-8 with a soft line
    /// break, types as bare parameters, name parts, a birthday and two addresses.
    const ANDROID: &str = "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=9F=D0=B5=D1=82=D1=80=D0=BE=D0=B2;=D0=98=D0=B2=D0=B0=D0=BD;=D0=A1=D0=B5=D1=80=D0=B3=D0=B5=D0=B5=D0=B2=D0=B8=D1=87;Dr.;Jr.\r\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=98=D0=B2=D0=B0=D0=BD =D0=9F=D0=B5=D1=82=\r\n=D1=80=D0=BE=D0=B2\r\nTEL;CELL;PREF:+7 916 123-45-67\r\nTEL;HOME:+7 495 765-43-21\r\nEMAIL;HOME:ivan@example.ru\r\nORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=D0=A0=D0=BE=D0=BC=D0=B0=D1=88=D0=BA=D0=B0\r\nTITLE:Buyer\r\nBDAY:1980-05-17\r\nADR;HOME;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:;;=D0=A2=D0=B2=D0=B5=D1=80=D1=81=D0=BA=D0=B0=D1=8F 1;=D0=9C=D0=BE=D1=81=D0=BA=D0=B2=D0=B0;;101000;=D0=A0=D0=BE=D1=81=D1=81=D0=B8=D1=8F\r\nADR;WORK:;Floor 3;Nevsky 10;Saint Petersburg;;191186;Russia\r\nNOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=WINDOWS-1251:=CF=EE=F1=F2=EE=FF=ED=ED=FB=E9 =EA=EB=E8=E5=ED=F2\r\nEND:VCARD\r\n";

    #[test]
    fn an_android_2_1_card_in_quoted_printable_keeps_every_part() {
        let cards = read_vcards(ANDROID);
        let ivan = cards[0].as_ref().unwrap();
        assert_eq!(ivan.name, "Иван Петров", "decoded across the soft line break");
        assert_eq!((ivan.given_name.as_str(), ivan.family_name.as_str()), ("Иван", "Петров"));
        assert_eq!(ivan.organisation, "Ромашка");
        assert_eq!(ivan.job_title, "Buyer");
        assert_eq!(
            ivan.phones,
            [point("mobile", "+7 916 123-45-67"), point("home", "+7 495 765-43-21")]
        );
        assert_eq!(ivan.emails, [point("home", "ivan@example.ru")]);
        assert_eq!(
            ivan.extras,
            [
                (Extra::MiddleName, "Сергеевич".to_owned()),
                (Extra::Prefix, "Dr.".to_owned()),
                (Extra::Suffix, "Jr.".to_owned()),
                (Extra::Birthday, "1980-05-17".to_owned()),
            ]
        );
        assert_eq!(ivan.addresses.len(), 2);
        let home = &ivan.addresses[0];
        assert_eq!(
            (home.label.as_str(), home.street.as_str(), home.city.as_str()),
            ("home", "Тверская 1", "Москва")
        );
        assert_eq!((home.postcode.as_str(), home.country.as_str()), ("101000", "Россия"));
        let work = &ivan.addresses[1];
        assert_eq!((work.label.as_str(), work.street.as_str()), ("work", "Nevsky 10, Floor 3"));
        assert_eq!(ivan.notes, "Постоянный клиент", "quoted-printable in Windows-1251");
        // Nothing quoted-printable is left anywhere.
        assert!(!format!("{ivan:?}").contains("=D0"), "{ivan:?}");
    }

    #[test]
    fn windows_1251_is_read_as_the_web_reads_it() {
        for byte in 0..=255u8 {
            let bytes = [byte];
            let (expected, _) = encoding_rs::WINDOWS_1251.decode_without_bom_handling(&bytes);
            assert_eq!(windows_1251(byte).to_string(), expected, "byte {byte:#x}");
        }
    }

    #[test]
    fn a_broken_card_is_reported_and_the_others_come_in() {
        let file = format!(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nthis is not a property\r\nEND:VCARD\r\n{BOOK}BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:nobody@x.de\r\nEND:VCARD\r\n"
        );
        let plan = dedupe(read_vcards(&file), KnownParties::default());
        assert_eq!(
            plan.new.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["Anna Weber", "Baltic Freight"]
        );
        let reasons: Vec<(usize, String)> =
            plan.skipped.iter().map(|s| (s.source, s.reason.to_string())).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_eq!(reasons[0].0, 1);
        assert!(reasons[0].1.starts_with("unreadable card"), "{reasons:?}");
        assert_eq!(reasons[1], (4, "no name".to_owned()));
    }
}
