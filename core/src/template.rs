//! Merge fields in a message: `Hello {{first_name}}` filled in from a record before the message is
//! queued, with a fallback for an empty value (`{{first_name|there}}`). A field nobody knows is named
//! before anything is sent, never left as `{{frist_name}}` in a customer's inbox.

use std::collections::BTreeMap;

use crate::model::Party;

/// What went wrong, with every offending field named at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("“{{{{” at character {at} is not closed by “}}}}”")]
    Unclosed { at: usize },
    #[error("unknown merge fields: {}", .0.join(", "))]
    UnknownFields(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part<'a> {
    Text(&'a str),
    Field { name: &'a str, fallback: &'a str },
}

/// A parsed template, borrowing its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template<'a> {
    parts: Vec<Part<'a>>,
}

impl<'a> Template<'a> {
    pub fn parse(text: &'a str) -> Result<Template<'a>, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(&rest[..open]));
            }
            let inside = &rest[open + 2..];
            let Some(close) = inside.find("}}") else {
                let at = text[..text.len() - rest.len() + open].chars().count();
                return Err(TemplateError::Unclosed { at });
            };
            let (name, fallback) =
                inside[..close].split_once('|').unwrap_or((&inside[..close], ""));
            parts.push(Part::Field { name: name.trim(), fallback: fallback.trim() });
            rest = &inside[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest));
        }
        Ok(Template { parts })
    }

    /// The fields it uses, in order, each once.
    pub fn fields(&self) -> Vec<&'a str> {
        let mut seen = Vec::new();
        for part in &self.parts {
            if let Part::Field { name, .. } = part
                && !seen.contains(name)
            {
                seen.push(*name);
            }
        }
        seen
    }

    /// The text with every field filled in from `values` (an empty value takes the field's fallback);
    /// every field `values` does not know is named in the error.
    pub fn render(&self, values: &MergeFields) -> Result<String, TemplateError> {
        let unknown: Vec<String> = self
            .fields()
            .into_iter()
            .filter(|name| !values.0.contains_key(*name))
            .map(str::to_owned)
            .collect();
        if !unknown.is_empty() {
            return Err(TemplateError::UnknownFields(unknown));
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Field { name, fallback } => {
                    let value = values.0.get(*name).map(String::as_str).unwrap_or_default();
                    out.push_str(if value.trim().is_empty() { fallback } else { value });
                }
            }
        }
        Ok(out)
    }
}

/// The values a template may use, by field name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeFields(pub BTreeMap<String, String>);

/// The fields every party offers, in the order a composer lists them.
pub const PARTY_FIELDS: [&str; 6] =
    ["first_name", "last_name", "name", "email", "phone", "organisation"];

impl MergeFields {
    /// A party's fields; `organisation` is the name of the organisation a person works at (or the
    /// organisation's own name), which the caller looks up.
    pub fn of_party(party: &Party, organisation: Option<&str>) -> MergeFields {
        let first = |points: &[crate::model::ContactPoint]| {
            points.first().map(|point| point.value.clone()).unwrap_or_default()
        };
        let (given, family) = if party.given_name.is_empty() && party.family_name.is_empty() {
            split_name(&party.name)
        } else {
            (party.given_name.clone(), party.family_name.clone())
        };
        MergeFields::of_values([
            given,
            family,
            party.name.clone(),
            first(&party.emails),
            first(&party.phones),
            organisation.map(str::to_owned).unwrap_or_default(),
        ])
    }

    /// The same fields from a party's row (a campaign fills thousands in, from the read model): the
    /// first and last name are the name's first word and the rest.
    pub fn of_row(row: &crate::read_model::PartyRow, organisation: Option<&str>) -> MergeFields {
        let (given, family) = split_name(&row.name);
        MergeFields::of_values([
            given,
            family,
            row.name.clone(),
            row.emails.first().cloned().unwrap_or_default(),
            row.phones.first().cloned().unwrap_or_default(),
            organisation.map(str::to_owned).unwrap_or_default(),
        ])
    }

    /// [`PARTY_FIELDS`]' values, in their order.
    fn of_values(values: [String; 6]) -> MergeFields {
        MergeFields(PARTY_FIELDS.iter().map(|k| (*k).to_owned()).zip(values).collect())
    }
}

/// A name typed as one line: its first word is the first name, the rest the last.
fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.split_once(char::is_whitespace) {
        Some((given, family)) => (given.to_owned(), family.trim().to_owned()),
        None => (name.to_owned(), String::new()),
    }
}

/// A template as a line names it: each merge field as its fallback word (`{{first_name|Hello}}`:
/// Hello) or an ellipsis, cut at `most` characters.
pub fn gist(text: &str, most: usize) -> String {
    let mut said = String::new();
    let mut rest = text.trim();
    while let Some(start) = rest.find("{{") {
        said.push_str(&rest[..start]);
        let Some(end) = rest[start..].find("}}") else {
            rest = &rest[start..];
            break;
        };
        let field = &rest[start + 2..start + end];
        said.push_str(field.split_once('|').map_or("…", |(_, fallback)| fallback.trim()));
        rest = &rest[start + end + 2..];
    }
    said.push_str(rest);
    if said.chars().count() > most {
        said = said.chars().take(most.saturating_sub(1)).collect::<String>().trim_end().to_owned();
        said.push('…');
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ContactPoint, PartyKind};

    fn ann() -> Party {
        let mut party =
            Party { kind: PartyKind::Person, name: "Ann Lee".into(), ..Party::default() };
        party.given_name = "Ann".into();
        party.family_name = "Lee".into();
        party.emails = vec![ContactPoint { label: "work".into(), value: "ann@example.com".into() }];
        party
    }

    #[test]
    fn fields_are_filled_in_from_the_record_and_empty_ones_take_their_fallback() {
        let fields = MergeFields::of_party(&ann(), Some("Acme"));
        let template =
            Template::parse("Hi {{ first_name }}, from {{organisation}} ({{phone|no phone}})")
                .unwrap();
        assert_eq!(template.render(&fields).unwrap(), "Hi Ann, from Acme (no phone)");
        assert_eq!(template.fields(), ["first_name", "organisation", "phone"]);
    }

    #[test]
    fn a_name_typed_on_one_line_still_gives_a_first_name() {
        let party =
            Party {
                kind: PartyKind::Person, name: "Иван Петров".into(), ..Party::default()
            };
        let fields = MergeFields::of_party(&party, None);
        let hello = Template::parse("Здравствуйте, {{first_name}} {{last_name}}!").unwrap();
        assert_eq!(hello.render(&fields).unwrap(), "Здравствуйте, Иван Петров!");
    }

    #[test]
    fn every_unknown_field_is_named_before_anything_is_sent() {
        let fields = MergeFields::of_party(&ann(), None);
        let template =
            Template::parse("{{frist_name}} {{name}} {{compnay|x}} {{frist_name}}").unwrap();
        assert_eq!(
            template.render(&fields),
            Err(TemplateError::UnknownFields(vec!["frist_name".into(), "compnay".into()]))
        );
        assert_eq!(Template::parse("Hi {{name"), Err(TemplateError::Unclosed { at: 3 }));
        assert_eq!(Template::parse("Привет {{name"), Err(TemplateError::Unclosed { at: 7 }));
    }

    #[test]
    fn text_without_fields_is_kept_as_it_is() {
        let fields = MergeFields::default();
        for text in ["", "plain", "a } b { c", "{ {name} }"] {
            assert_eq!(Template::parse(text).unwrap().render(&fields).unwrap(), text);
        }
    }

    #[test]
    fn a_template_s_gist_reads_as_a_line() {
        assert_eq!(gist("{{first_name|Hello}}, thank you", 40), "Hello, thank you");
        assert_eq!(gist("Your order {{number}} shipped", 40), "Your order … shipped");
        assert_eq!(gist("Unclosed {{name", 40), "Unclosed {{name");
        assert_eq!(gist("Ünïcödé and more words", 10), "Ünïcödé a…");
    }
}
