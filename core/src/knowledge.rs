//! The knowledge base: articles written in Markdown, listed by category, found offline with the same
//! folding and prefix matching as people ([`crate::search`]), linked from replies, and — when marked
//! published — readable by anyone on the relay's help pages.
//!
//! Articles live in the workspace's documents like every record. The relay cannot read those (it never
//! interprets CRM fields), so publishing is an explicit service: a device that writes hands the relay a
//! [`Publication`] of each published article and withdraws the ones no longer published. Which to hand
//! over is [`plan`], a pure function of the articles' rows and the relay's list: any writing device may
//! run it, any number of times, and they all converge on the same public pages — a content hash
//! ([`revision`]) says whether the relay's copy is current, so nothing is stored to remember it.
//!
//! Markdown becomes HTML in one place, [`render`], used by the app's preview and by the relay's pages
//! alike. It is safe to show: raw HTML is shown as text, and a link or image that is not http(s),
//! mailto or tel (a `javascript:` URL) keeps its text and loses its target.

use std::collections::BTreeMap;

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{ArticleId, Timestamp};
use crate::model::Article;
use crate::search::{self, natural_cmp};

/// The most characters of a title.
pub const MOST_TITLE_CHARS: usize = 200;
/// The most characters of a category's name.
pub const MOST_CATEGORY_CHARS: usize = 80;
/// The most bytes of an article's text (about 60 pages): the relay refuses larger publications.
pub const MOST_BODY_BYTES: usize = 200_000;
/// How many characters of an article's text its row keeps to show under its title.
const EXCERPT_CHARS: usize = 160;

/// An article as lists show it and search finds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleRow {
    pub id: ArticleId,
    pub title: String,
    pub category: String,
    pub published: bool,
    pub updated_at: Timestamp,
    /// The start of its text, without formatting.
    pub excerpt: String,
    /// Its words, folded, sorted and each once: what [`matching`] looks a query's words up in.
    pub terms: Vec<String>,
    /// [`revision`] of what would be published.
    pub revision: String,
}

impl ArticleRow {
    /// The row of a published article as the relay holds it.
    pub fn of_publication(id: ArticleId, publication: &Publication) -> ArticleRow {
        let article = Article {
            title: publication.title.clone(),
            category: publication.category.clone(),
            body: autosurgeon::Text::with_value(publication.body.as_str()),
            published: true,
            ..Article::default()
        };
        ArticleRow::of(id, &article)
    }

    pub fn of(id: ArticleId, article: &Article) -> ArticleRow {
        let body = article.body.as_str();
        let plain = plain_text(body);
        let mut terms = search::words(&format!("{}\n{}\n{plain}", article.title, article.category));
        terms.sort_unstable();
        terms.dedup();
        let mut excerpt: String = plain.split_whitespace().collect::<Vec<_>>().join(" ");
        if let Some((cut, _)) = excerpt.char_indices().nth(EXCERPT_CHARS) {
            excerpt.truncate(cut);
            excerpt.push('…');
        }
        ArticleRow {
            id,
            title: article.title.clone(),
            category: article.category.trim().to_owned(),
            published: article.published,
            updated_at: article.updated_at,
            excerpt,
            terms,
            revision: revision(&article.title, &article.category, body),
        }
    }
}

/// What the relay is given to publish an article: the text as written, which the relay renders with
/// [`render`] (it never serves HTML a device wrote).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    pub title: String,
    pub category: String,
    pub body: String,
}

impl Publication {
    pub fn of(article: &Article) -> Publication {
        Publication {
            title: article.title.trim().to_owned(),
            category: article.category.trim().to_owned(),
            body: article.body.as_str().to_owned(),
        }
    }

    pub fn revision(&self) -> String {
        revision(&self.title, &self.category, &self.body)
    }

    /// Why the relay would refuse it, if it would.
    pub fn refused(&self) -> Option<PublicationRefused> {
        if self.title.trim().is_empty() {
            Some(PublicationRefused::NoTitle)
        } else if self.title.chars().count() > MOST_TITLE_CHARS {
            Some(PublicationRefused::TitleTooLong)
        } else if self.category.chars().count() > MOST_CATEGORY_CHARS {
            Some(PublicationRefused::CategoryTooLong)
        } else if self.body.len() > MOST_BODY_BYTES {
            Some(PublicationRefused::TooLong)
        } else {
            None
        }
    }
}

/// Why an article cannot be published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PublicationRefused {
    #[error("an article needs a title")]
    NoTitle,
    #[error("the title is longer than {MOST_TITLE_CHARS} characters")]
    TitleTooLong,
    #[error("the category is longer than {MOST_CATEGORY_CHARS} characters")]
    CategoryTooLong,
    #[error("the text is longer than {MOST_BODY_BYTES} bytes")]
    TooLong,
}

/// Names what would be published of an article: equal revisions, equal public pages.
pub fn revision(title: &str, category: &str, body: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [title.trim(), category.trim(), body] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize()[..16].iter().map(|byte| format!("{byte:02x}")).collect()
}

/// An article the relay publishes, as its members see it: which revision, and what readers answered
/// to "was this helpful?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedArticle {
    pub id: String,
    pub revision: String,
    pub helpful: u32,
    pub not_helpful: u32,
}

/// The relay's list of a workspace's published articles.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub articles: Vec<PublishedArticle>,
}

/// What a writing device does so the public pages show the published articles as they are now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Articles to hand to the relay: published here, and missing there or an older revision.
    pub publish: Vec<ArticleId>,
    /// Articles the relay publishes that are not published here (unpublished, archived, or unknown).
    pub withdraw: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.publish.is_empty() && self.withdraw.is_empty()
    }
}

/// Compares the articles' rows (archived ones are not among them) with what the relay publishes. Only
/// a device holding every article document may act on it — one in step with the relay — or it would
/// withdraw what it has not received yet.
pub fn plan(rows: &BTreeMap<ArticleId, ArticleRow>, on_relay: &Published) -> Plan {
    let relay: BTreeMap<&str, &str> =
        on_relay.articles.iter().map(|a| (a.id.as_str(), a.revision.as_str())).collect();
    let publish = rows
        .values()
        .filter(|row| {
            row.published && relay.get(row.id.to_string().as_str()) != Some(&row.revision.as_str())
        })
        .map(|row| row.id)
        .collect();
    let withdraw = on_relay
        .articles
        .iter()
        .filter(|a| {
            a.id.parse::<ArticleId>()
                .ok()
                .and_then(|id| rows.get(&id))
                .is_none_or(|row| !row.published)
        })
        .map(|a| a.id.clone())
        .collect();
    Plan { publish, withdraw }
}

/// Articles matching every word of `query` as the start of one of their words (title, category or
/// text, folded as people's names are): those whose title matches first, then by title.
pub fn matching<'a>(rows: impl IntoIterator<Item = &'a ArticleRow>, query: &str) -> Vec<ArticleId> {
    let words = search::words(query);
    if words.is_empty() {
        return Vec::new();
    }
    let has = |terms: &[String], word: &str| {
        let from = terms.partition_point(|term| term.as_str() < word);
        terms.get(from).is_some_and(|term| term.starts_with(word))
    };
    let mut found: Vec<(bool, &ArticleRow)> = rows
        .into_iter()
        .filter(|row| words.iter().all(|word| has(&row.terms, word)))
        .map(|row| {
            let mut title = search::words(&row.title);
            title.sort_unstable();
            (!words.iter().all(|word| has(&title, word)), row)
        })
        .collect();
    found.sort_by(|(a_rest, a), (b_rest, b)| {
        a_rest
            .cmp(b_rest)
            .then_with(|| natural_cmp(&search::fold(&a.title), &search::fold(&b.title)))
    });
    found.into_iter().map(|(_, row)| row.id).collect()
}

/// The articles by category, categories and articles in reading order; articles with no category come
/// last, under `""`. Categories differing only in case or accents are one, named as first seen.
pub fn by_category<'a>(
    rows: impl IntoIterator<Item = &'a ArticleRow>,
) -> Vec<(String, Vec<&'a ArticleRow>)> {
    let mut groups: BTreeMap<String, (String, Vec<&ArticleRow>)> = BTreeMap::new();
    for row in rows {
        let folded = search::fold(&row.category);
        groups.entry(folded).or_insert_with(|| (row.category.clone(), Vec::new())).1.push(row);
    }
    let mut groups: Vec<(String, String, Vec<&ArticleRow>)> =
        groups.into_iter().map(|(folded, (name, rows))| (folded, name, rows)).collect();
    groups.sort_by(|(a, ..), (b, ..)| {
        a.is_empty().cmp(&b.is_empty()).then_with(|| natural_cmp(a, b))
    });
    groups
        .into_iter()
        .map(|(_, name, mut rows)| {
            rows.sort_by(|a, b| natural_cmp(&search::fold(&a.title), &search::fold(&b.title)));
            (name, rows)
        })
        .collect()
}

pub(crate) fn options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES
}

/// Whether a link or image may point at `url`: the web, mail, phone, or a place in the same page.
fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:", "tel:", "#"].iter().any(|scheme| lower.starts_with(scheme))
}

/// The article's Markdown as HTML that is safe to put in a page: raw HTML is shown as text, and links
/// and images to anything but the web, mail or phone lose their target (their text stays).
pub fn render(markdown: &str) -> String {
    safe_html(Parser::new_ext(markdown, options()), markdown.len())
}

/// Markdown's events as HTML that is safe to put in a page (see [`render`]); `size` is a hint.
pub(crate) fn safe_html<'a>(events: impl Iterator<Item = Event<'a>>, size: usize) -> String {
    // Whether each open link or image was kept, innermost last.
    let mut kept: Vec<bool> = Vec::new();
    let events = events.filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        // An email autolink (`<ann@example.com>`) is written `mailto:` by the renderer itself.
        Event::Start(Tag::Link { link_type: LinkType::Email, .. }) => {
            kept.push(true);
            Some(event)
        }
        Event::Start(Tag::Link { ref dest_url, .. } | Tag::Image { ref dest_url, .. }) => {
            let safe = safe_url(dest_url);
            kept.push(safe);
            safe.then_some(event)
        }
        Event::End(TagEnd::Link | TagEnd::Image) => kept.pop().unwrap_or(false).then_some(event),
        other => Some(other),
    });
    let mut html = String::with_capacity(size * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// The article's text without its formatting, for excerpts and search: block markers (headings,
/// quotes, list bullets, code fences) and inline ones (emphasis, code, links' targets) dropped.
///
/// Deliberately not the Markdown parser: the page derives rows too (on every local edit), and linking
/// the parser there would put about 60 KB (brotli) on every phone's first download for an excerpt — the
/// page has the worker render (`crate::offload::Job::Render`). What is lost (an escaped `\*` shown
/// without its backslash, say) only ever touches an excerpt or a search term.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let line = block_content(line.trim());
        if line.is_empty() || line.starts_with("```") || line.starts_with("~~~") {
            continue;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        push_inline(&mut text, line);
    }
    text
}

/// `haystack[from..].find(pattern)` as a position in `haystack`, adding the bytes it looked at to
/// `searched`.
fn find_counted(haystack: &str, from: usize, pattern: &str, searched: &mut usize) -> Option<usize> {
    let found = haystack[from..].find(pattern).map(|n| from + n);
    *searched += found.map_or(haystack.len(), |at| at + pattern.len()) - from;
    found
}

/// A line without the markers that make it a heading, quote or list item.
fn block_content(mut line: &str) -> &str {
    loop {
        let before = line;
        let hashes = line.len() - line.trim_start_matches('#').len();
        if (1..=6).contains(&hashes) && line[hashes..].starts_with(' ') {
            line = line[hashes..].trim_start();
        }
        for marker in ["> ", "- ", "* ", "+ "] {
            if let Some(rest) = line.strip_prefix(marker) {
                line = rest.trim_start();
            }
        }
        if line == ">" {
            line = "";
        }
        let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") ")) {
            line = line[digits + 2..].trim_start();
        }
        if line == before {
            return line;
        }
    }
}

/// `line` without emphasis and code markers, each link or image as its text (`[text](target)`: the
/// text stays, the target goes). Linear in the line's length, whatever it holds: each search for a
/// link's end starts past the last one found. Returns the bytes its searches looked at.
fn push_inline(text: &mut String, line: &str) -> usize {
    let mut searched = 0;
    let mut at = 0;
    // Where the next `](` starts (searched again only once passed), and the `)` after it.
    let mut link_end: Option<(usize, Option<usize>)> = None;
    let mut no_close_from = usize::MAX;
    while let Some(c) = line[at..].chars().next() {
        if c == '[' {
            if link_end.is_none_or(|(middle, _)| middle < at) {
                // None left: a `](` at the line's end, never passed, so never searched for again.
                let middle = find_counted(line, at, "](", &mut searched);
                link_end = Some(middle.map_or((usize::MAX, None), |middle| {
                    // Once a search found no `)`, none comes after any later `](` either.
                    if middle + 2 >= no_close_from {
                        return (middle, None);
                    }
                    let close = find_counted(line, middle + 2, ")", &mut searched);
                    if close.is_none() {
                        no_close_from = middle + 2;
                    }
                    (middle, close)
                }));
            }
            if let Some((middle, Some(close))) = link_end {
                for c in line[at + 1..middle]
                    .chars()
                    .filter(|c| !matches!(c, '*' | '`' | '~' | '[' | '!'))
                {
                    text.push(c);
                }
                at = close + 1;
                continue;
            }
        }
        let image_mark = c == '!' && line[at + 1..].starts_with('[');
        if !(image_mark || matches!(c, '*' | '`' | '~')) {
            text.push(c);
        }
        at += c.len_utf8();
    }
    searched
}

/// Where an article is read without an account: on the relay that serves the app, at this path.
pub fn public_path(workspace: crate::ids::WorkspaceId, article: ArticleId) -> String {
    format!("/help/{workspace}/{article}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use autosurgeon::Text;

    fn id(n: u8) -> ArticleId {
        ArticleId::from_bytes([n; 16])
    }

    fn article(title: &str, category: &str, body: &str, published: bool) -> Article {
        Article {
            title: title.into(),
            category: category.into(),
            body: Text::with_value(body),
            published,
            ..Article::default()
        }
    }

    fn rows(articles: &[(u8, Article)]) -> BTreeMap<ArticleId, ArticleRow> {
        articles.iter().map(|(n, a)| (id(*n), ArticleRow::of(id(*n), a))).collect()
    }

    #[test]
    fn markdown_becomes_html_with_its_formatting() {
        let html = render(
            "## Reset\n\nPress **Reset** and *wait*.\n\n- one\n- two\n\n[Docs](https://example.com/a)",
        );
        assert!(html.contains("<h2>Reset</h2>"), "{html}");
        assert!(
            html.contains("<strong>Reset</strong>") && html.contains("<em>wait</em>"),
            "{html}"
        );
        assert!(html.contains("<ul>\n<li>one</li>"), "{html}");
        assert!(html.contains("<a href=\"https://example.com/a\">Docs</a>"), "{html}");
    }

    #[test]
    fn raw_html_and_script_links_are_shown_as_text_not_run() {
        let html = render(
            "<script>alert(1)</script>\n\nHi <img src=x onerror=alert(2)> [click](javascript:alert(3)) ![i](data:text/html,x)",
        );
        assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.to_ascii_lowercase().contains("javascript:"), "{html}");
        assert!(!html.contains("data:text"), "{html}");
        assert!(html.contains("click"), "the link's text stays: {html}");
        // A safe link inside an unsafe one's text cannot exist (links do not nest), but an image inside
        // a safe link keeps both balanced.
        let mail = render("Write to <ann@example.com>.");
        assert!(mail.contains("<a href=\"mailto:ann@example.com\">ann@example.com</a>"), "{mail}");
        let nested = render("[![logo](https://example.com/l.png)](https://example.com)");
        assert_eq!(nested.matches("<a ").count(), nested.matches("</a>").count(), "{nested}");
    }

    #[test]
    fn articles_are_found_by_the_start_of_any_word_folded_title_matches_first() {
        let rows = rows(&[
            (
                1,
                article(
                    "Resetting a password",
                    "Accounts",
                    "Open **Settings** and choose Reset.",
                    true,
                ),
            ),
            (
                2,
                article(
                    "Billing cycles",
                    "Billing",
                    "Your password is never asked for in a mail.",
                    true,
                ),
            ),
            (3, article("Ёлка и счета", "Счета", "Как оплатить", false)),
        ]);
        assert_eq!(matching(rows.values(), "passw"), vec![id(1), id(2)]);
        assert_eq!(matching(rows.values(), "settings res"), vec![id(1)]);
        assert_eq!(matching(rows.values(), "елка"), vec![id(3)], "folded as names are");
        assert!(matching(rows.values(), "passw zebra").is_empty());
        assert!(matching(rows.values(), "  ").is_empty());
    }

    #[test]
    fn categories_group_ignoring_case_with_uncategorised_last() {
        let rows = rows(&[
            (1, article("B", "billing", "", false)),
            (2, article("A", "Billing", "", false)),
            (3, article("Z", "", "", false)),
            (4, article("C", "Accounts", "", false)),
        ]);
        let groups: Vec<(String, Vec<ArticleId>)> = by_category(rows.values())
            .into_iter()
            .map(|(name, rows)| (name, rows.iter().map(|r| r.id).collect()))
            .collect();
        assert_eq!(
            groups,
            vec![
                ("Accounts".into(), vec![id(4)]),
                ("billing".into(), vec![id(2), id(1)]),
                (String::new(), vec![id(3)]),
            ]
        );
    }

    #[test]
    fn the_plan_publishes_what_changed_and_withdraws_what_is_no_longer_published() {
        let mut articles = vec![
            (1, article("Current", "", "same", true)),
            (2, article("Edited", "", "new text", true)),
            (3, article("New", "", "", true)),
            (4, article("Unpublished", "", "", false)),
        ];
        let on_relay = |rows: &BTreeMap<ArticleId, ArticleRow>| Published {
            articles: vec![
                PublishedArticle {
                    id: id(1).to_string(),
                    revision: rows[&id(1)].revision.clone(),
                    helpful: 0,
                    not_helpful: 0,
                },
                PublishedArticle {
                    id: id(2).to_string(),
                    revision: revision("Edited", "", "old text"),
                    helpful: 2,
                    not_helpful: 0,
                },
                PublishedArticle {
                    id: id(4).to_string(),
                    revision: rows[&id(4)].revision.clone(),
                    helpful: 0,
                    not_helpful: 1,
                },
                PublishedArticle {
                    id: id(9).to_string(),
                    revision: "gone".into(),
                    helpful: 0,
                    not_helpful: 0,
                },
                PublishedArticle {
                    id: "not an id".into(),
                    revision: "x".into(),
                    helpful: 0,
                    not_helpful: 0,
                },
            ],
        };
        let current = rows(&articles);
        let plan = plan(&current, &on_relay(&current));
        assert_eq!(plan.publish, vec![id(2), id(3)]);
        assert_eq!(
            plan.withdraw,
            vec![id(4).to_string(), id(9).to_string(), "not an id".to_string()]
        );

        // Once the relay holds exactly what is published here, there is nothing to do.
        articles.retain(|(n, _)| *n != 4);
        let current = rows(&articles);
        let relay = Published {
            articles: current
                .values()
                .map(|row| PublishedArticle {
                    id: row.id.to_string(),
                    revision: row.revision.clone(),
                    helpful: 0,
                    not_helpful: 0,
                })
                .collect(),
        };
        assert!(super::plan(&current, &relay).is_empty());
    }

    #[test]
    fn the_revision_follows_what_is_published_and_the_row_agrees_with_the_publication() {
        let a = article(" Title ", "Cat", "Body", true);
        let row = ArticleRow::of(id(1), &a);
        assert_eq!(row.revision, Publication::of(&a).revision());
        assert_ne!(revision("Title", "Cat", "Body"), revision("Title", "Cat", "Body!"));
        assert_ne!(revision("TitleC", "at", "Body"), revision("Title", "Cat", "Body"));
    }

    #[test]
    fn an_excerpt_is_the_start_of_the_text_without_formatting() {
        let row =
            ArticleRow::of(id(1), &article("T", "", "# Heading\n\nSome **bold** text.", false));
        assert_eq!(row.excerpt, "Heading Some bold text.");
        let marked = "1. See [the docs](https://x.example) or `code`\n> quoted *and* ~~struck~~\n\n```\nfn main()\n```\n![logo](l.png) snake_case";
        let row = ArticleRow::of(id(1), &article("T", "", marked, false));
        assert_eq!(row.excerpt, "See the docs or code quoted and struck fn main() logo snake_case");
        assert!(!row.terms.contains(&"example".to_owned()), "a link's target is not searched");
        let long = ArticleRow::of(id(1), &article("T", "", &"word ".repeat(100), false));
        assert_eq!(long.excerpt.chars().count(), EXCERPT_CHARS + 1);
        assert!(long.excerpt.ends_with('…'));
    }

    #[test]
    fn stripping_a_line_of_brackets_looks_at_each_byte_a_few_times_at_most() {
        // Lines of `[` and half links: each search for a link's end could otherwise rescan the line.
        let lines = [
            "[".repeat(MOST_BODY_BYTES),
            "[a](b) [".repeat(MOST_BODY_BYTES / 8),
            "[a](b ".repeat(MOST_BODY_BYTES / 6),
            "[a](".repeat(MOST_BODY_BYTES / 4),
            "a](b)".repeat(MOST_BODY_BYTES / 5),
        ];
        for line in lines {
            let mut text = String::new();
            let searched = push_inline(&mut text, &line);
            assert!(searched <= 3 * line.len(), "{searched} bytes searched in {}", line.len());
        }
        assert_eq!(plain_text(&"[".repeat(1000)).len(), 1000);
        assert!(plain_text(&"[a](b) [".repeat(100)).starts_with("a a a"));
    }

    #[test]
    fn a_publication_too_large_or_untitled_is_refused() {
        let mut p = Publication { title: "T".into(), category: String::new(), body: String::new() };
        assert_eq!(p.refused(), None);
        p.body = "x".repeat(MOST_BODY_BYTES + 1);
        assert_eq!(p.refused(), Some(PublicationRefused::TooLong));
        p.body.clear();
        p.title = " ".into();
        assert_eq!(p.refused(), Some(PublicationRefused::NoTitle));
        p.title = "t".repeat(MOST_TITLE_CHARS + 1);
        assert_eq!(p.refused(), Some(PublicationRefused::TitleTooLong));
    }
}
