//! The party search index: prefix search over names, organisations, emails, phones and tags,
//! insensitive to case and diacritics, in any script.
//!
//! Terms are folded the same way at indexing and at query time: lower case, canonical decomposition with
//! combining marks removed (so "Zoë" matches "zoe", "Ёлкин" matches "елкин"). Phone numbers are indexed as
//! their digits, whole and as the local number without the country code, so "+7 (900) 123" and "900123"
//! both find "+79001234567". The index is an ordered set of `(term, party)`, so a prefix is a range and
//! updating one party touches only its own terms.

use std::collections::{BTreeSet, HashMap};

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::ids::PartyId;

/// Folds text for matching: lower case, no diacritics.
pub fn fold(text: &str) -> String {
    // Most names, emails and tags are ASCII: nothing to decompose.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut folded = String::with_capacity(text.len());
    for c in text.nfd().filter(|c| !is_combining_mark(*c)).flat_map(char::to_lowercase) {
        match stroke_letter(c) {
            Some(base) => folded.push_str(base),
            None => folded.push(c),
        }
    }
    folded
}

/// Latin letters whose diacritic is part of the letter (no canonical decomposition), as people type them
/// on a keyboard without it.
fn stroke_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ł' => "l",
        'ø' => "o",
        'đ' | 'ð' => "d",
        'ħ' => "h",
        'ı' => "i",
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'þ' => "th",
        _ => return None,
    })
}

/// The words of `text`, folded: runs of letters and digits.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(fold)
}

/// The terms a phone number is found by: its digits, and the digits without a leading country code.
pub fn phone_terms(phone: &str) -> Vec<String> {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let mut terms = Vec::new();
    if digits.len() > 10 {
        // Local numbers are ten digits in most numbering plans that use country codes of 1–3 digits.
        terms.push(digits[digits.len() - 10..].to_owned());
    }
    if !digits.is_empty() {
        terms.push(digits);
    }
    terms
}

/// What a party is found by. Built by the read model from a party and the organisations it works at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchableParty<'a> {
    pub names: Vec<&'a str>,
    pub emails: Vec<&'a str>,
    pub phones: Vec<&'a str>,
    pub tags: Vec<&'a str>,
}

impl SearchableParty<'_> {
    /// Every term the party is found under, sorted, without repeats.
    fn terms(&self) -> Vec<String> {
        let mut terms = Vec::new();
        for text in self.names.iter().chain(&self.emails).chain(&self.tags) {
            terms.extend(words(text));
        }
        for email in &self.emails {
            // The whole address too, so a pasted address matches exactly.
            terms.push(fold(email));
        }
        for phone in &self.phones {
            terms.extend(phone_terms(phone));
        }
        terms.sort_unstable();
        terms.dedup();
        terms
    }
}

/// An in-memory prefix index from terms to parties.
#[derive(Debug, Default)]
pub struct SearchIndex {
    entries: BTreeSet<(String, PartyId)>,
    terms_of: HashMap<PartyId, Vec<String>>,
}

impl SearchIndex {
    /// An index of `parties`, built in one pass: sorting every term once and building the tree from
    /// sorted entries is several times faster than inserting them one by one (opening a workspace of
    /// 10,000 parties builds this).
    pub fn build<'a>(
        parties: impl IntoIterator<Item = (PartyId, SearchableParty<'a>)>,
    ) -> SearchIndex {
        let mut terms_of = HashMap::new();
        let mut entries = Vec::new();
        for (id, party) in parties {
            let terms = party.terms();
            entries.extend(terms.iter().map(|term| (term.clone(), id)));
            terms_of.insert(id, terms);
        }
        entries.sort_unstable();
        SearchIndex { entries: entries.into_iter().collect(), terms_of }
    }

    /// Indexes `party` (replacing what it was indexed under before).
    pub fn upsert(&mut self, id: PartyId, party: &SearchableParty<'_>) {
        let terms = party.terms();
        if let Some(old) = self.terms_of.get(&id) {
            if *old == terms {
                return;
            }
            for term in old.iter().filter(|term| terms.binary_search(term).is_err()) {
                self.entries.remove(&(term.clone(), id));
            }
        }
        for term in &terms {
            self.entries.insert((term.clone(), id));
        }
        self.terms_of.insert(id, terms);
    }

    pub fn remove(&mut self, id: PartyId) {
        if let Some(old) = self.terms_of.remove(&id) {
            for term in old {
                self.entries.remove(&(term, id));
            }
        }
    }

    pub fn len(&self) -> usize {
        self.terms_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.terms_of.is_empty()
    }

    /// Parties matching every word of `query` as a prefix of one of their terms, sorted by id. An empty
    /// query matches nothing (callers show their unfiltered list instead).
    pub fn matching(&self, query: &str) -> Vec<PartyId> {
        let mut query_terms: Vec<String> = words(query).collect();
        // A query that looks like a phone number is matched as digits, whatever the punctuation.
        let digits: String = query.chars().filter(char::is_ascii_digit).collect();
        // Three digits, or a leading `+` (an international prefix being typed, like "+7 9").
        let looks_like_phone = (digits.len() >= 3
            || (!digits.is_empty() && query.trim_start().starts_with('+')))
            && query.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
        if looks_like_phone {
            query_terms = vec![digits];
        }
        // Longest words first: they match the fewest parties, so the intersection shrinks fastest.
        query_terms.sort_by_key(|term| std::cmp::Reverse(term.len()));
        let mut result: Option<Vec<PartyId>> = None;
        for term in &query_terms {
            // Sorted vectors rather than hash sets: a one-letter word can match most of the index, and
            // sorting ids is cheaper than hashing them (in wasm especially).
            let mut found: Vec<PartyId> = self
                .entries
                .range((term.clone(), PartyId::from_bytes([0; 16]))..)
                .take_while(|(indexed, _)| indexed.starts_with(term.as_str()))
                .map(|(_, id)| *id)
                .filter(|id| result.as_ref().is_none_or(|so_far| so_far.binary_search(id).is_ok()))
                .collect();
            found.sort_unstable();
            found.dedup();
            if found.is_empty() {
                return found;
            }
            result = Some(found);
        }
        result.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> PartyId {
        PartyId::from_bytes([n; 16])
    }

    fn index() -> SearchIndex {
        let mut index = SearchIndex::default();
        index.upsert(
            id(1),
            &SearchableParty {
                names: vec!["Zoë Łukasiewicz", "Acme Ltd"],
                emails: vec!["zoe@acme.test"],
                phones: vec!["+44 20 7946 0958"],
                tags: vec!["VIP"],
            },
        );
        index.upsert(
            id(2),
            &SearchableParty {
                names: vec!["Пётр Ёлкин", "ООО «Ромашка»"],
                emails: vec!["petr@romashka.test"],
                phones: vec!["+7 (900) 123-45-67"],
                tags: vec!["поставщик"],
            },
        );
        index.upsert(id(3), &SearchableParty { names: vec!["Zorro"], ..Default::default() });
        index
    }

    fn found(index: &SearchIndex, query: &str) -> Vec<u8> {
        let mut ids: Vec<u8> =
            index.matching(query).into_iter().map(|id| id.as_bytes()[0]).collect();
        ids.sort();
        ids
    }

    #[test]
    fn prefixes_match_without_case_or_diacritics() {
        let index = index();
        assert_eq!(found(&index, "zo"), [1, 3]);
        assert_eq!(found(&index, "ZOE"), [1]);
        assert_eq!(found(&index, "lukas"), [1]);
        assert_eq!(found(&index, "vip"), [1]);
    }

    #[test]
    fn cyrillic_matches_with_and_without_yo() {
        let index = index();
        assert_eq!(found(&index, "пётр"), [2]);
        assert_eq!(found(&index, "петр ел"), [2]);
        assert_eq!(found(&index, "РОМАШ"), [2]);
        assert_eq!(found(&index, "постав"), [2]);
    }

    #[test]
    fn every_word_must_match() {
        let index = index();
        assert_eq!(found(&index, "zoe acme"), [1]);
        assert!(found(&index, "zoe romashka").is_empty());
        assert!(found(&index, "   ").is_empty());
    }

    #[test]
    fn emails_and_phones_are_found_by_parts() {
        let index = index();
        assert_eq!(found(&index, "petr@roma"), [2]);
        assert_eq!(found(&index, "romashka.test"), [2]);
        assert_eq!(found(&index, "+7 900 123"), [2]);
        assert_eq!(found(&index, "9001234567"), [2]);
        assert_eq!(
            found(&index, "020 7946"),
            Vec::<u8>::new(),
            "a trunk prefix is not in the number"
        );
        assert_eq!(found(&index, "2079"), [1]);
        // A country code being typed is a phone prefix already, not two one-digit words (which would
        // also find a party with a "+7" number and another number starting with 9).
        let mut index = index;
        let phones = vec!["+7 812 555-00-00", "+1 900 555 0101"];
        index.upsert(
            id(4),
            &SearchableParty { names: vec!["Two phones"], phones, ..Default::default() },
        );
        assert_eq!(found(&index, "+7 9"), [2]);
        assert_eq!(found(&index, "+4"), [1]);
    }

    #[test]
    fn updating_a_party_replaces_its_terms() {
        let mut index = index();
        index.upsert(id(3), &SearchableParty { names: vec!["Bernardo"], ..Default::default() });
        assert_eq!(found(&index, "zo"), [1]);
        assert_eq!(found(&index, "bern"), [3]);
        index.remove(id(1));
        assert!(found(&index, "zoe").is_empty());
        assert_eq!(index.len(), 2);
    }
}
