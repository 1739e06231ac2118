//! vCard files (2.1, 3.0 and 4.0, one card or a whole address book) through `vcard-rs`, which resolves
//! folding and escapes. Photos, keys and sounds are left out; a card that cannot be read is reported
//! and the others still come in.

use super::{Candidate, SkipReason, Skipped};
use crate::model::PartyKind;

/// The cards of a vCard file as candidates (`source` is the card's position, from 1), and the cards
/// that could not be read.
pub fn read_vcards(text: &str) -> Vec<Result<Candidate, Skipped>> {
    split_cards(text)
        .into_iter()
        .enumerate()
        .map(|(index, card)| {
            let source = index + 1;
            let parsed = vcard::tree::cst::VcardCst::parse(card.as_str()).map_err(|error| {
                Skipped { source, reason: SkipReason::UnreadableCard(error.to_string()) }
            })?;
            Ok(candidate(source, &parsed))
        })
        .collect()
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

fn candidate(source: usize, card: &vcard::tree::cst::VcardCst<'_>) -> Candidate {
    let mut candidate = Candidate { source, ..Candidate::default() };
    for line in &card.props {
        // `item1.EMAIL` → `EMAIL`.
        let name = line.name.get().rsplit('.').next().unwrap_or_default().to_ascii_uppercase();
        let binary = line.params.iter().any(|param| {
            param.name.get().eq_ignore_ascii_case("ENCODING")
                && param
                    .values
                    .iter()
                    .any(|v| matches!(v.get().to_ascii_uppercase().as_str(), "B" | "BASE64"))
        });
        if binary {
            continue;
        }
        let value = || line.value.decode().trim().to_owned();
        match name.as_str() {
            "FN" => candidate.name = value(),
            "N" => {
                candidate.family_name = line.value.decode_component(0).trim().to_owned();
                candidate.given_name = line.value.decode_component(1).trim().to_owned();
            }
            "ORG" => candidate.organisation = line.value.decode_component(0).trim().to_owned(),
            "TITLE" => candidate.job_title = value(),
            "EMAIL" => candidate.emails.push(value()),
            "TEL" => {
                // 4.0 may write `tel:+49…` as a URI.
                let text = value();
                candidate.phones.push(text.strip_prefix("tel:").unwrap_or(&text).to_owned());
            }
            "NOTE" => candidate.notes = value(),
            "URL" if candidate.website.is_empty() => candidate.website = value(),
            "CATEGORIES" => candidate.tags.extend(
                line.value
                    .decode_list()
                    .iter()
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty()),
            ),
            "KIND" if value().eq_ignore_ascii_case("org") => {
                candidate.kind = PartyKind::Organisation
            }
            "X-ABSHOWAS" if value().eq_ignore_ascii_case("company") => {
                candidate.kind = PartyKind::Organisation;
            }
            "ADR" if candidate.address.street.is_empty() && candidate.address.city.is_empty() => {
                let part = |i| line.value.decode_component(i).trim().to_owned();
                candidate.address.label = "work".into();
                candidate.address.street = part(2);
                candidate.address.city = part(3);
                candidate.address.region = part(4);
                candidate.address.postcode = part(5);
                candidate.address.country = part(6);
            }
            _ => {}
        }
    }
    candidate.emails.retain(|e| !e.is_empty());
    candidate.phones.retain(|p| !p.is_empty());
    // An organisation's card names the organisation in FN and ORG both.
    if candidate.kind == PartyKind::Organisation && candidate.organisation == candidate.name {
        candidate.organisation.clear();
    }
    candidate
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
        assert_eq!(anna.emails, ["anna@nordwind.de", "anna.weber@mail.de"]);
        assert_eq!(
            anna.phones,
            ["+49 170 1234567", "+49 40 5550101"],
            "a folded line is one value"
        );
        assert_eq!(anna.notes, "Met at the fair, wants a quote\nfor 40 units");
        assert_eq!(anna.tags, ["VIP", "Fair 2026"]);
        let baltic = cards[1].as_ref().unwrap();
        assert_eq!(baltic.kind, PartyKind::Organisation);
        assert_eq!(baltic.phones, ["+371-6700-1234"]);
        assert_eq!(baltic.website, "https://baltic.example");
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
