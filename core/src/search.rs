//! The party search index: prefix search over names, organisations, emails, phones and tags,
//! insensitive to case and diacritics, in any script.
//!
//! Terms are folded the same way at indexing and at query time: lower case, canonical decomposition with
//! combining marks removed (so "Zoë" matches "zoe", "Ёлкин" matches "елкин"). Phone numbers are indexed as
//! their digits, whole and as the local number without the country code, so "+7 (900) 123" and "900123"
//! both find "+79001234567". The index is an ordered set of `(term, party)`, so a prefix is a range and
//! updating one party touches only its own terms.

use std::collections::{BTreeSet, HashMap};

use crate::ids::PartyId;

/// Orders texts as people read them: runs of digits by their value ("Person 2" before "Person 10",
/// "v007" with "v7"), everything else byte by byte — which for UTF-8 is code point order, so folded
/// names in any script compare as before.
pub fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let digits = |text: &[u8], from: usize| {
                let end = text[from..]
                    .iter()
                    .position(|c| !c.is_ascii_digit())
                    .map_or(text.len(), |n| from + n);
                let start =
                    text[from..end].iter().position(|c| *c != b'0').map_or(end, |n| from + n);
                (start, end)
            };
            let ((sa, ea), (sb, eb)) = (digits(a, i), digits(b, j));
            // Without leading zeros, the longer number is the larger; of equal length, the digits decide.
            let by_value = (ea - sa).cmp(&(eb - sb)).then_with(|| a[sa..ea].cmp(&b[sb..eb]));
            if by_value != Ordering::Equal {
                return by_value;
            }
            (i, j) = (ea, eb);
        } else {
            match a[i].cmp(&b[j]) {
                Ordering::Equal => (i, j) = (i + 1, j + 1),
                other => return other,
            }
        }
    }
    (a.len() - i).cmp(&(b.len() - j)).then_with(|| a.cmp(b))
}

/// Folds text for matching: lower case, no diacritics.
pub fn fold(text: &str) -> String {
    // Most names, emails and tags are ASCII: nothing to decompose.
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut folded = String::with_capacity(text.len());
    for c in without_marks(text).chars().flat_map(char::to_lowercase) {
        match stroke_letter(c) {
            Some(base) => folded.push_str(base),
            None => folded.push(c),
        }
    }
    folded
}

/// Text and its folded form, in many scripts: pinned by the native tests below and by the browser's
/// (`app/tests/local_workspace.rs`), so both ways of removing marks fold alike.
#[doc(hidden)]
pub const FOLD_EXAMPLES: &[(&str, &str)] = &[
    ("Zoë Łukasiewicz", "zoe lukasiewicz"),
    ("Пётр Ёлкин", "петр елкин"),
    ("ООО «Ромашка»", "ооо «ромашка»"),
    ("Ångström Ærø", "angstrom aero"),
    ("Crème Brûlée Straße", "creme brulee strasse"),
    ("Nguyễn Thị Minh Khai", "nguyen thi minh khai"),
    ("İstanbul Şişli", "istanbul sisli"),
    ("Ελληνικά Άλφα", "ελληνικα αλφα"),
    ("हिन्दी", "हनद"),
    ("ﬁnance №5", "ﬁnance №5"),
    ("Ａｃｍｅ", "ａｃｍｅ"),
];

/// `text` in canonical decomposition (NFD) without its combining marks (general category M).
#[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
fn without_marks(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;

    text.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

/// `text` in canonical decomposition (NFD) without its combining marks (general category M), by the
/// browser's own Unicode tables: linking unicode-normalization's put about 50 KB (brotli) of tables on
/// every phone's first download of the app. `app/tests/local_workspace.rs` checks both agree.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
fn without_marks(text: &str) -> String {
    thread_local! {
        static MARKS: js_sys::RegExp = js_sys::RegExp::new(r"\p{M}", "gu");
    }
    MARKS.with(|marks| {
        js_sys::JsString::from(text).normalize("NFD").replace_by_pattern(marks, "").into()
    })
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

/// The words of `text`, folded: runs of letters and digits. Folded first, then split: one pass over the
/// whole text (on the page, one call into the browser's Unicode tables instead of one per word), and
/// text typed in decomposed form ("e" + U+0301) makes the same words as its composed form.
pub fn words(text: &str) -> Vec<String> {
    words_of_folded(&fold(text))
}

fn words_of_folded(folded: &str) -> Vec<String> {
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Each of `texts` folded as [`fold`] folds it, in one pass over them all: on the page, building the
/// index of 10,000 parties makes one call into the browser's Unicode tables instead of 10,000.
fn fold_all(texts: &[String]) -> Vec<String> {
    // Canonical decomposition never reorders across a character without combining class, like NUL, and
    // folding never makes one: the folded whole splits back into as many texts.
    const SEPARATOR: char = '\0';
    if texts.iter().any(|text| text.contains(SEPARATOR)) {
        return texts.iter().map(|text| fold(text)).collect();
    }
    let folded: Vec<String> = fold(&texts.join("\0")).split(SEPARATOR).map(str::to_owned).collect();
    debug_assert_eq!(folded.len(), texts.len().max(1));
    folded.into_iter().take(texts.len()).collect()
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
    /// Names, emails and tags as one text: words never span the line breaks between them.
    fn text(&self) -> String {
        let texts: Vec<&str> =
            self.names.iter().chain(&self.emails).chain(&self.tags).copied().collect();
        texts.join("\n")
    }

    /// Every term the party is found under, sorted, without repeats.
    fn terms(&self) -> Vec<String> {
        self.terms_of_folded(&fold(&self.text()))
    }

    /// [`Self::terms`], given [`Self::text`] folded.
    fn terms_of_folded(&self, folded_text: &str) -> Vec<String> {
        let mut terms = words_of_folded(folded_text);
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
        let parties: Vec<(PartyId, SearchableParty<'a>)> = parties.into_iter().collect();
        let texts: Vec<String> = parties.iter().map(|(_, party)| party.text()).collect();
        let mut terms_of = HashMap::new();
        let mut entries = Vec::new();
        for ((id, party), folded) in parties.into_iter().zip(fold_all(&texts)) {
            let terms = party.terms_of_folded(&folded);
            entries.extend(terms.iter().map(|term| (term.clone(), id)));
            terms_of.insert(id, terms);
        }
        entries.sort_unstable();
        SearchIndex { entries: entries.into_iter().collect(), terms_of }
    }

    /// Indexes `party` (replacing what it was indexed under before).
    pub fn upsert(&mut self, id: PartyId, party: &SearchableParty<'_>) {
        self.upsert_terms(id, party.terms());
    }

    /// [`Self::upsert`] for many parties, their text folded in one pass (an import's batch).
    pub fn upsert_all<'a>(&mut self, parties: Vec<(PartyId, SearchableParty<'a>)>) {
        let texts: Vec<String> = parties.iter().map(|(_, party)| party.text()).collect();
        for ((id, party), folded) in parties.iter().zip(fold_all(&texts)) {
            self.upsert_terms(*id, party.terms_of_folded(&folded));
        }
    }

    fn upsert_terms(&mut self, id: PartyId, terms: Vec<String>) {
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
        let mut query_terms = words(query);
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
    #[test]
    fn names_with_numbers_sort_as_people_read_them() {
        let mut names = vec![
            "person 10",
            "person 2",
            "person 1",
            "person 02",
            "acme",
            "person",
            "жанна 3",
            "zoe",
            "жанна 20",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            [
                "acme",
                "person",
                "person 1",
                "person 02",
                "person 2",
                "person 10",
                "zoe",
                "жанна 3",
                "жанна 20"
            ]
        );
        assert_eq!(
            natural_cmp("a99999999999999999999999", "a100000000000000000000000"),
            std::cmp::Ordering::Less
        );
        assert_eq!(natural_cmp("x", "x"), std::cmp::Ordering::Equal);
    }

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
    fn folding_removes_case_and_marks_in_every_script() {
        for (text, folded) in FOLD_EXAMPLES {
            assert_eq!(fold(text), *folded, "{text}");
        }
    }

    #[test]
    fn an_index_built_at_once_equals_one_built_party_by_party() {
        let parties = [
            (id(1), vec!["Zoë Łukasiewicz", "Acme Ltd"]),
            (id(2), vec!["Пётр Ёлкин"]),
            (id(3), vec!["Nul\0in a name", "Ærø"]),
            (id(4), vec![]),
        ];
        let searchable = |names: &Vec<&'static str>| SearchableParty {
            names: names.clone(),
            tags: vec!["поставщик"],
            ..Default::default()
        };
        let built = SearchIndex::build(parties.iter().map(|(id, names)| (*id, searchable(names))));
        let mut upserted = SearchIndex::default();
        for (id, names) in &parties {
            upserted.upsert(*id, &searchable(names));
        }
        assert_eq!(built.entries, upserted.entries);
        assert_eq!(built.terms_of, upserted.terms_of);
        let mut all_at_once = SearchIndex::default();
        all_at_once
            .upsert_all(parties.iter().map(|(id, names)| (*id, searchable(names))).collect());
        assert_eq!(all_at_once.entries, upserted.entries);
        // And without the NUL, the whole batch takes the one-call path.
        let built =
            SearchIndex::build(parties[..2].iter().map(|(id, names)| (*id, searchable(names))));
        assert_eq!(found(&built, "ёлк"), [2]);
        assert_eq!(found(&built, "zoe"), [1]);
        assert_eq!(SearchIndex::build(std::iter::empty()).len(), 0);
    }

    #[test]
    fn text_typed_decomposed_makes_the_same_words_as_composed() {
        assert_eq!(words("E\u{301}mile Zoe\u{308}"), ["emile", "zoe"]);
        assert_eq!(words("Émile Zoë"), ["emile", "zoe"]);
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
