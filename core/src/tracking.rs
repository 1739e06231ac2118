//! Opens and clicks of a campaign's mail, decided.
//!
//! A campaign's text is Markdown, sent as an HTML part and a plain-text part ([`mail_parts`]). The
//! device asks the relay to tag its links for web analytics (`Mail::utm`, UTM parameters naming the
//! campaign, [`with_utm`]) and to track the copy (`Mail::track`), unless the workspace switched either
//! off. The relay then writes each web link as a signed redirect through itself and puts a one-pixel
//! image in the HTML part ([`mail_parts`] decides where the links are and how each part shows them;
//! the relay only signs). Each
//! first open and first click of each link is kept once in the relay's ledger under a unique key, and
//! every device hears of it ([`EngagementEvent`]), so every device shows the same statuses.
//!
//! What the numbers cannot say: an image blocked by the mail app hides an open (a click still counts
//! as one), and a mail provider that fetches images or scans links ahead of its reader counts as
//! one.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::outbox::OutboxId;

/// The longest link the relay tracks: past it a link is left as written (a redirect token carries it).
pub const MOST_TRACKED_LINK_BYTES: usize = 2000;

/// One first open, or one first click of one link, of one tracked mail, as the relay recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngagementEvent {
    /// The relay's order of recording, per workspace: what a device asks after.
    pub seq: i64,
    /// The outbox entry of the mail (a campaign copy's id).
    pub item: OutboxId,
    /// The link followed; `None` for an open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Unix seconds, the relay's clock.
    pub at: i64,
}

/// What a recipient did with one tracked mail, as this device heard it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engaged {
    /// When its image was first fetched (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<i64>,
    /// Each link followed, with when first (Unix seconds).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub clicks: BTreeMap<String, i64>,
}

impl Engaged {
    /// Takes in one event of this mail; whether anything changed.
    pub fn heard(&mut self, link: Option<String>, at: i64) -> bool {
        match link {
            None if self.opened_at.is_some_and(|known| known <= at) => false,
            None => {
                self.opened_at = Some(at);
                true
            }
            Some(link) => match self.clicks.get(&link) {
                Some(known) if *known <= at => false,
                _ => {
                    self.clicks.insert(link, at);
                    true
                }
            },
        }
    }

    /// Whether it was opened: its image fetched, or a link in it followed (an app that blocks images
    /// still lets its reader click).
    pub fn opened(&self) -> bool {
        self.opened_at.is_some() || !self.clicks.is_empty()
    }

    pub fn clicked(&self) -> bool {
        !self.clicks.is_empty()
    }
}

/// Where each web link (`http://` or `https://`) in `text` is, in order. A link ends at white space,
/// a quote, an angle bracket, a `)` it did not open or a `]`, and does not take the punctuation that
/// ends a sentence.
pub fn links(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &text[at..];
        let scheme = ["https://", "http://"].into_iter().find(|scheme| {
            rest.len() >= scheme.len()
                && rest.as_bytes()[..scheme.len()].eq_ignore_ascii_case(scheme.as_bytes())
        });
        let starts_word =
            at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'/');
        let Some(scheme) = scheme.filter(|_| starts_word) else {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        // `(…)` inside an address is its own (`…/wiki/Mercury_(planet)`); a `)` it did not open
        // closes the text around it.
        let mut open = 0usize;
        let end = rest
            .char_indices()
            .find(|&(_, c)| match c {
                '(' => {
                    open += 1;
                    false
                }
                ')' if open > 0 => {
                    open -= 1;
                    false
                }
                _ => {
                    c.is_whitespace()
                        || c.is_control()
                        || matches!(c, '<' | '>' | '"' | '\'' | ')' | ']' | '`')
                }
            })
            .map_or(rest.len(), |(end, _)| end);
        let link = rest[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', '*', '_', '~']);
        if link.len() > scheme.len() {
            found.push(at..at + link.len());
        }
        at += end.max(1);
    }
    found
}

/// `url` with UTM parameters naming where a visit came from (`utm_source=rapport`,
/// `utm_medium=email`, `utm_campaign=tag`, a [`campaign_tag`]), before its `#` part; a link that has
/// UTM parameters of its own is left as written.
pub fn with_utm(url: &str, tag: &str) -> String {
    let (base, fragment) = match url.find('#') {
        Some(hash) => url.split_at(hash),
        None => (url, ""),
    };
    if base.to_ascii_lowercase().contains("utm_") {
        return url.to_owned();
    }
    let separator = match base.find('?') {
        Some(q) if q + 1 == base.len() || base.ends_with('&') => "",
        Some(_) => "&",
        None => "?",
    };
    format!("{base}{separator}utm_source=rapport&utm_medium=email&utm_campaign={tag}{fragment}")
}

/// A campaign's name as a URL's query value: lower case, words joined by `-`, letters outside ASCII
/// percent-encoded.
pub fn campaign_tag(name: &str) -> String {
    let mut tag = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_alphanumeric() {
            for lower in c.to_lowercase() {
                if lower.is_ascii() {
                    tag.push(lower);
                } else {
                    let mut buffer = [0; 4];
                    for byte in lower.encode_utf8(&mut buffer).bytes() {
                        tag.push_str(&format!("%{byte:02X}"));
                    }
                }
            }
        } else if !tag.is_empty() && !tag.ends_with('-') {
            tag.push('-');
        }
        if tag.len() >= MOST_TAG_BYTES - 12 {
            break;
        }
    }
    let tag = tag.trim_end_matches('-');
    if tag.is_empty() { "campaign".to_owned() } else { tag.to_owned() }
}

/// `text` (plain text) with each web link replaced by `replace(link)`.
pub fn replace_links(text: &str, mut replace: impl FnMut(&str) -> String) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut from = 0;
    for link in links(text) {
        out.push_str(&text[from..link.start]);
        out.push_str(&replace(&text[link.clone()]));
        from = link.end;
    }
    out.push_str(&text[from..]);
    out
}

/// The longest [`campaign_tag`] a mail may carry.
pub const MOST_TAG_BYTES: usize = 200;

/// Whether `tag` could be a [`campaign_tag`]: what the relay writes into links as it is.
pub fn plausible_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= MOST_TAG_BYTES
        && tag
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-%ABCDEF".contains(&b))
}

/// A value written into a Markdown text (a merge field's), escaped so it reads as written: a name
/// with `*` or `_` is not emphasis, and one that looks like `[a link](…)` is no link.
pub fn escape_markdown(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '`' | '~' | '#' | '|' | '!') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// A Markdown text as the two parts of a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parts {
    /// The plain-text part: the text without its formatting, each link's address after its words.
    pub text: String,
    /// The HTML part (a fragment): raw HTML shown as text, links only to the web, mail and phone, and
    /// each line break kept, as a letter's lines are meant.
    pub html: String,
}

/// The parts of a mail whose text is `markdown`. Each web link — a link's target, or an address
/// written bare in the text — points at `link(address)` where that gives one (the relay's tracked
/// redirect, the address with UTM tags; `None` leaves it as written); a bare address still shows as
/// written. Images, code and the words of links are left alone.
pub fn mail_parts(markdown: &str, mut link: impl FnMut(&str) -> Option<String>) -> Parts {
    use pulldown_cmark::{CowStr, Event, LinkType, Parser, Tag, TagEnd};
    let mut merged: Vec<Event<'_>> = Vec::new();
    // The parser cuts text where formatting might have begun: joined again, an address is whole.
    for event in Parser::new_ext(markdown, crate::knowledge::options()) {
        match (merged.last_mut(), event) {
            (Some(Event::Text(before)), Event::Text(more)) => {
                *before = CowStr::from(format!("{before}{more}"));
            }
            (_, event) => merged.push(event),
        }
    }
    let mut events: Vec<Event<'_>> = Vec::with_capacity(merged.len());
    let (mut in_link, mut in_image, mut in_code) = (0usize, 0usize, false);
    for event in merged {
        match event {
            Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                in_link += 1;
                let web = links(&dest_url)
                    .first()
                    .is_some_and(|r| r.start == 0 && r.end == dest_url.len());
                let dest_url = match web.then(|| link(&dest_url)).flatten() {
                    Some(target) => CowStr::from(target),
                    None => dest_url,
                };
                events.push(Event::Start(Tag::Link { link_type, dest_url, title, id }));
            }
            Event::End(TagEnd::Link) => {
                in_link = in_link.saturating_sub(1);
                events.push(Event::End(TagEnd::Link));
            }
            Event::Start(Tag::Image { .. }) => {
                in_image += 1;
                events.push(event);
            }
            Event::End(TagEnd::Image) => {
                in_image = in_image.saturating_sub(1);
                events.push(event);
            }
            Event::Start(Tag::CodeBlock(_)) => {
                in_code = true;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code = false;
                events.push(event);
            }
            Event::Text(text) if in_link == 0 && in_image == 0 && !in_code => {
                let mut from = 0;
                for range in links(&text) {
                    if range.start > from {
                        events.push(Event::Text(CowStr::from(text[from..range.start].to_owned())));
                    }
                    let shown = &text[range.clone()];
                    let target = link(shown).unwrap_or_else(|| shown.to_owned());
                    events.push(Event::Start(Tag::Link {
                        link_type: LinkType::Autolink,
                        dest_url: CowStr::from(target),
                        title: CowStr::from(""),
                        id: CowStr::from(""),
                    }));
                    events.push(Event::Text(CowStr::from(shown.to_owned())));
                    events.push(Event::End(TagEnd::Link));
                    from = range.end;
                }
                if from < text.len() {
                    events.push(Event::Text(CowStr::from(text[from..].to_owned())));
                }
            }
            // A letter's lines are meant as written.
            Event::SoftBreak => events.push(Event::HardBreak),
            other => events.push(other),
        }
    }
    let text = plain_text(&events);
    let html = crate::knowledge::safe_html(events.into_iter(), markdown.len());
    Parts { text, html }
}

/// The plain-text part written from a mail's Markdown events: paragraphs apart, list items marked,
/// each link's address after its words (a bare address written as its target alone).
fn plain_text(events: &[pulldown_cmark::Event<'_>]) -> String {
    use pulldown_cmark::{Event, LinkType, Tag, TagEnd};
    fn end_block(out: &mut String) {
        let kept = out.trim_end_matches([' ', '\n']).len();
        out.truncate(kept);
        if !out.is_empty() {
            out.push_str("\n\n");
        }
    }
    fn new_line(out: &mut String) {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
    }
    let mut out = String::new();
    // Each open list's next number (`None`: bulleted); each open link's kind, target and start.
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut open_links: Vec<(LinkType, String, usize)> = Vec::new();
    for event in events {
        match event {
            Event::Text(text) | Event::Code(text) | Event::Html(text) | Event::InlineHtml(text) => {
                out.push_str(text)
            }
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Rule => {
                end_block(&mut out);
                out.push_str("———\n\n");
            }
            Event::TaskListMarker(done) => out.push_str(if *done { "[x] " } else { "[ ] " }),
            Event::Start(Tag::List(first)) => {
                new_line(&mut out);
                lists.push(*first);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                if lists.is_empty() {
                    end_block(&mut out);
                }
            }
            Event::Start(Tag::Item) => {
                new_line(&mut out);
                out.push_str(&"  ".repeat(lists.len().saturating_sub(1)));
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("- "),
                }
            }
            Event::End(TagEnd::Item) => new_line(&mut out),
            Event::Start(Tag::Link { link_type, dest_url, .. }) => {
                open_links.push((*link_type, dest_url.to_string(), out.len()))
            }
            Event::End(TagEnd::Link) => {
                let Some((kind, target, start)) = open_links.pop() else { continue };
                match kind {
                    // An address written as the link: its target stands for it.
                    LinkType::Autolink => {
                        out.truncate(start);
                        out.push_str(&target);
                    }
                    LinkType::Email => {}
                    _ if target.is_empty() || target.starts_with('#') => {}
                    _ => {
                        let target = target.strip_prefix("mailto:").unwrap_or(&target);
                        if out[start..].trim() != target {
                            out.push_str(&format!(" ({target})"));
                        }
                    }
                }
            }
            Event::End(TagEnd::TableCell) => out.push_str(" | "),
            Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                let kept = out.trim_end_matches([' ', '|']).len();
                out.truncate(kept);
                out.push('\n');
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::CodeBlock
                | TagEnd::BlockQuote(_)
                | TagEnd::Table,
            ) => end_block(&mut out),
            _ => {}
        }
    }
    let kept = out.trim_end().len();
    out.truncate(kept);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        links(text).into_iter().map(|range| &text[range]).collect()
    }

    #[test]
    fn links_are_found_without_the_punctuation_around_them() {
        assert_eq!(
            found(
                "See https://acme.test/offer. Or (http://acme.test/a?b=1&c=2), <https://x.test/>!"
            ),
            ["https://acme.test/offer", "http://acme.test/a?b=1&c=2", "https://x.test/"]
        );
        assert_eq!(
            found("[our offer](https://acme.test/o_1) and HTTPS://Acme.test"),
            ["https://acme.test/o_1", "HTTPS://Acme.test"]
        );
        assert!(found("no link: http:// or xhttps://a.test or ftp://a.test").is_empty());
        assert_eq!(found("Привет https://пример.test/путь, пока"), ["https://пример.test/путь"]);
        assert_eq!(
            found("(see https://en.wikipedia.org/wiki/Mercury_(planet)) or ~~https://a.test~~"),
            ["https://en.wikipedia.org/wiki/Mercury_(planet)", "https://a.test"]
        );
    }

    #[test]
    fn utm_tags_name_the_campaign_and_keep_the_link_working() {
        let tag = campaign_tag("Spring sale 2026");
        assert_eq!(tag, "spring-sale-2026");
        assert_eq!(
            with_utm("https://acme.test/offer", &tag),
            "https://acme.test/offer?utm_source=rapport&utm_medium=email&utm_campaign=spring-sale-2026"
        );
        assert_eq!(
            with_utm("https://acme.test/p?id=3#buy", "spring"),
            "https://acme.test/p?id=3&utm_source=rapport&utm_medium=email&utm_campaign=spring#buy"
        );
        let own = "https://acme.test/?utm_source=newsletter";
        assert_eq!(with_utm(own, "spring"), own, "the sender's own tags win");
        assert_eq!(campaign_tag("Весна!"), "%D0%B2%D0%B5%D1%81%D0%BD%D0%B0");
        assert_eq!(campaign_tag("  --  "), "campaign");
        for name in ["Spring sale 2026", "Весна!", "", &"long name ".repeat(100)] {
            assert!(plausible_tag(&campaign_tag(name)), "{name}");
        }
        assert!(!plausible_tag("a&b=c") && !plausible_tag("a b") && !plausible_tag(""));
    }

    fn tracked(url: &str) -> Option<String> {
        Some(format!("https://relay.test/t/{}", url.len()))
    }

    #[test]
    fn every_web_link_of_both_parts_points_at_its_tracked_form_and_shows_as_written() {
        let markdown = "Hello **Ann**,\nsee [our offer](https://acme.test/offer) or \
                        https://acme.test/price_list and <https://acme.test/faq>.\n\n\
                        - [ref link][1]\n- mail <ann@acme.test>\n\n[1]: https://acme.test/r";
        let parts = mail_parts(markdown, tracked);
        assert_eq!(
            parts.text,
            "Hello Ann,\nsee our offer (https://relay.test/t/23) or https://relay.test/t/28 and \
             https://relay.test/t/21.\n\n- ref link (https://relay.test/t/19)\n- mail ann@acme.test\n"
        );
        let html = &parts.html;
        assert!(html.contains("<strong>Ann</strong>,<br />\nsee"), "the line break kept: {html}");
        assert!(html.contains(r#"<a href="https://relay.test/t/23">our offer</a>"#), "{html}");
        assert!(
            html.contains(r#"<a href="https://relay.test/t/28">https://acme.test/price_list</a>"#),
            "a bare address shows as written: {html}"
        );
        assert!(html.contains(r#"<a href="https://relay.test/t/21">https://acme.test/faq</a>"#));
        assert!(html.contains(r#"<a href="https://relay.test/t/19">ref link</a>"#), "{html}");
        assert!(html.contains(r#"<a href="mailto:ann@acme.test">"#), "mail links stay: {html}");
        assert!(!html.contains("href=\"https://acme.test"), "no web link escapes: {html}");
    }

    #[test]
    fn images_code_and_the_words_of_links_are_left_alone() {
        let markdown = "[https://acme.test](https://acme.test) ![logo](https://acme.test/logo.png)\n\n\
                        `https://acme.test/code` and\n\n```\ncurl https://acme.test/api\n```\n\n\
                        [![banner](https://acme.test/b.png)](https://acme.test/sale)";
        let parts = mail_parts(markdown, tracked);
        let html = &parts.html;
        assert!(
            html.contains(r#"<a href="https://relay.test/t/17">https://acme.test</a>"#),
            "a link whose words are an address is one link: {html}"
        );
        assert!(
            html.contains(r#"<img src="https://acme.test/logo.png""#),
            "images untracked: {html}"
        );
        assert!(html.contains("<code>https://acme.test/code</code>"), "{html}");
        assert!(html.contains("curl https://acme.test/api\n</code>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://relay.test/t/22"><img src="https://acme.test/b.png""#
            )
        );
        assert_eq!(html.matches("relay.test").count(), 2, "{html}");
        // Untracked, a bare address still becomes a link, the text stays as written.
        let untracked = mail_parts("Go to https://acme.test now", |_| None);
        assert_eq!(untracked.text, "Go to https://acme.test now\n");
        assert!(untracked.html.contains(r#"<a href="https://acme.test">https://acme.test</a>"#));
    }

    #[test]
    fn a_merge_field_s_value_reads_as_written() {
        let name = "[Verify](mailto:x@evil.test) *Ann* O_Brien <b>";
        let parts = mail_parts(&format!("Dear {},", escape_markdown(name)), tracked);
        assert_eq!(parts.text, format!("Dear {name},\n"));
        assert!(!parts.html.contains("<a ") && !parts.html.contains("<em>"), "{}", parts.html);
        assert!(parts.html.contains("&lt;b&gt;"), "{}", parts.html);
    }

    proptest::proptest! {
        /// The relay reads every campaign's text with these: no text makes them panic, and every
        /// address found is whole text.
        #[test]
        fn any_text_is_read_without_panicking(
            text in "(\\PC|https?://|\\]\\(|\\[|<|>|\\.|\\)|\\(|\n|`|\\*|!){0,80}"
        ) {
            for link in links(&text) {
                proptest::prop_assert!(text.is_char_boundary(link.start) && text.is_char_boundary(link.end));
            }
            let parts = mail_parts(&text, tracked);
            proptest::prop_assert!(parts.text.ends_with('\n'));
            let _ = mail_parts(&text, |_| None);
            let _ = escape_markdown(&text);
            proptest::prop_assert!(plausible_tag(&campaign_tag(&text)));
        }
    }

    #[test]
    fn a_click_is_an_open_and_each_first_time_is_kept() {
        let mut engaged = Engaged::default();
        assert!(!engaged.opened());
        assert!(engaged.heard(Some("https://a.test".into()), 20));
        assert!(engaged.opened() && engaged.clicked(), "an app that blocks images still clicks");
        assert!(!engaged.heard(Some("https://a.test".into()), 30), "the first click stays");
        assert!(engaged.heard(Some("https://a.test".into()), 10), "an earlier one heard late wins");
        assert!(engaged.heard(None, 15));
        assert!(!engaged.heard(None, 16));
        assert_eq!(engaged.opened_at, Some(15));
    }
}
