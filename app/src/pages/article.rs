//! One knowledge-base article: written in Markdown with a toolbar for the usual formatting and a
//! preview as readers will see it, published on the help pages or kept as a draft, with what readers
//! answered to "was this helpful?".

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use rapport_core::ids::ArticleId;
use rapport_core::knowledge;
use rapport_core::model::Article;
use rapport_core::read_model::Changed;

use super::Page;
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::{RecordRoute, WorkspaceCtx};
use leptos_i18n::td_string;

#[component]
pub(crate) fn ArticlePage() -> impl IntoView {
    let i18n = use_i18n();
    let bad_link = move || t_string!(i18n, knowledge.no_such).to_owned();
    let route = RecordRoute::<Article>::new(t_string!(i18n, knowledge.no_such), bad_link);
    let RecordRoute { id, record: article, failure, .. } = route;
    view! {
        <Page key="article" title=move || article.with(|a| a.as_ref().map(|a| a.title.clone())).unwrap_or_else(|| t_string!(i18n, knowledge.article).to_owned())>
            <p class="hint"><a href="/knowledge" data-testid="back-to-knowledge">{t!(i18n, knowledge.all_articles)}</a></p>
            {move || failure.get().map(|error| view! { <p class="error" data-testid="article-error">{error}</p> })}
            // Mounted once per article: a colleague's edit arriving must not wipe what is being typed.
            {move || id.get().map(|id| view! {
                <Show when=move || article.with(Option::is_some)>
                    <Editor id article />
                </Show>
            })}
        </Page>
    }
}

/// The article as its form: members who write edit it, viewers read it. The form follows the stored
/// article (a colleague's edit, a save) while nothing in it is unsaved; what is typed is never replaced.
#[component]
fn Editor(id: ArticleId, article: Memo<Option<Article>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let navigate = use_navigate();
    let first = article.get_untracked().unwrap_or_default();
    // The stored article the form was last filled from.
    let base = RwSignal::new(first.clone());
    let title = RwSignal::new(first.title.clone());
    let category = RwSignal::new(first.category.clone());
    let body = RwSignal::new(first.body.as_str().to_owned());
    let published = RwSignal::new(first.published);
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let unsaved = Memo::new(move |_| {
        base.with(|base| {
            title.with(|t| *t != base.title)
                || category.with(|c| *c != base.category)
                || body.with(|b| b != base.body.as_str())
                || published.get() != base.published
        })
    });
    // The document's heads when `base` was read: a save applies the form's changes to the article as it
    // was then, merged with whatever colleagues changed since.
    let base_heads = StoredValue::new(Vec::<automerge::ChangeHash>::new());
    // A colleague saved while this form had unsaved changes.
    let changed_meanwhile = RwSignal::new(false);
    // The form filled from the article as stored at `heads`.
    let fill = move |stored: Article, heads: Vec<automerge::ChangeHash>| {
        changed_meanwhile.set(false);
        title.set(stored.title.clone());
        category.set(stored.category.clone());
        body.set(stored.body.as_str().to_owned());
        published.set(stored.published);
        base.set(stored);
        base_heads.set_value(heads);
    };
    let reads = StoredValue::new(0u64);
    Effect::new(move || {
        article.track();
        let turn = reads.get_value() + 1;
        reads.set_value(turn);
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let Ok(Some((stored, heads))) = local::read_record_at::<Article>(&shared, id).await
            else {
                return;
            };
            if reads.get_value() != turn {
                return;
            }
            // Saved: the stored article is now what the form holds.
            let holds = title.with_untracked(|t| *t == stored.title)
                && category.with_untracked(|c| *c == stored.category)
                && body.with_untracked(|b| b == stored.body.as_str())
                && published.get_untracked() == stored.published;
            if !holds && unsaved.get_untracked() {
                // Kept as typed; the save merges it with what the colleague wrote.
                changed_meanwhile.set(
                    stored
                        .updated_by
                        .filter(|by| {
                            Some(*by) != ctx.read_of(Changed::NOTHING, |ws| ws.me).flatten()
                        })
                        .is_some(),
                );
            }
            if holds || !unsaved.get_untracked() {
                fill(stored, heads);
            }
        });
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(unsaved.into());
    // Rendered in a worker (see `crate::offload::render_markdown`); the latest text's rendering wins.
    let preview = RwSignal::new(String::new());
    let asked_for = StoredValue::new(0u64);
    Effect::new(move || {
        let text = body.get();
        let turn = asked_for.get_value() + 1;
        asked_for.set_value(turn);
        spawn_local(async move {
            let html = match crate::offload::render_markdown(text.clone()).await {
                Some(html) => html,
                None => format!("<p class=\"plain\">{}</p>", escape_html(&text)),
            };
            if asked_for.get_value() == turn {
                preview.set(html);
            }
        });
    });
    let field = NodeRef::<leptos::html::Textarea>::new();
    let format = move |how: Formatting| {
        let Some(area) = field.get_untracked() else { return };
        let text = body.get_untracked();
        let (start, end) = (
            area.selection_start().ok().flatten().unwrap_or(0),
            area.selection_end().ok().flatten().unwrap_or(0),
        );
        let (start, end) = (byte_offset(&text, start), byte_offset(&text, end));
        let (formatted, caret) = how.apply(&text, start, end);
        body.set(formatted.clone());
        area.set_value(&formatted);
        let caret = formatted[..caret].encode_utf16().count() as u32;
        let _ = area.focus();
        let _ = area.set_selection_range(caret, caret);
    };
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let named = title.get_untracked().trim().to_owned();
        if named.is_empty() {
            error.set(Some(t_string!(i18n, knowledge.title_needed).to_owned()));
            return;
        }
        let filed = category.get_untracked().trim().to_owned();
        // The form shows what is stored, so that it reads as saved once the write lands.
        title.set(named.clone());
        category.set(filed.clone());
        let (text, public) = (body.get_untracked(), published.get_untracked());
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let me = ctx.read(|ws| ws.me).flatten();
            let submitted = (named.clone(), filed.clone(), text.clone(), public);
            let change = move |article: &mut Article| {
                article.title = named;
                article.category = filed;
                // Only what changed, from the text the form was filled with.
                article.body.update(&text);
                article.published = public;
                article.updated_at = local::now();
                article.updated_by = me;
            };
            let heads = base_heads.get_value();
            let written = if heads.is_empty() {
                local::update::<Article>(&shared, id, change).await
            } else {
                local::update_from::<Article>(&shared, id, heads, change).await
            };
            match written {
                Ok(()) => {
                    error.set(None);
                    saved.set(true);
                    ctx.changed();
                    // What is stored now may hold a colleague's changes merged in: the form shows
                    // it, unless something was typed since the save began.
                    let Ok(Some((stored, heads))) =
                        local::read_record_at::<Article>(&shared, id).await
                    else {
                        return;
                    };
                    let (named, category_was, text, public) = submitted;
                    let untouched = title.with_untracked(|t| *t == named)
                        && category.with_untracked(|c| *c == category_was)
                        && body.with_untracked(|b| *b == text)
                        && published.get_untracked() == public;
                    if untouched {
                        fill(stored, heads);
                    }
                }
                Err(failure) => {
                    error.set(Some(failure.to_string()));
                    ctx.report(&failure);
                }
            }
        });
    };
    let archive = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            match local::update::<Article>(&shared, id, |article| article.archived = true).await {
                Ok(()) => {
                    ctx.changed();
                    navigate("/knowledge", Default::default());
                }
                Err(failure) => ctx.report(&failure),
            }
        });
    };
    let public_path = move || {
        let workspace = ctx.read_of(Changed::NOTHING, |ws| ws.workspace)?;
        Some(knowledge::public_path(workspace, id))
    };
    // What the relay publishes of it, and readers' answers.
    let on_relay = use_context::<crate::publishing::PublishedCtx>();
    // Readers' answers as they are now, not as the last round left them: the relay is asked once
    // the page is connected to it (a workspace on this device only keeps what it had).
    let connected = use_context::<crate::sync::SyncCtx>().map(|sync| {
        Memo::new(move |_| {
            matches!(
                sync.status.get(),
                crate::sync::SyncStatus::Syncing | crate::sync::SyncStatus::Synced
            )
        })
    });
    let asked = StoredValue::new(false);
    Effect::new(move || {
        let (Some(seen), Some(true)) = (on_relay, connected.map(|c| c.get())) else { return };
        if asked.get_value() {
            return;
        }
        asked.set_value(true);
        spawn_local(async move {
            let Some(workspace) = ctx.read_of(Changed::NOTHING, |ws| ws.workspace) else { return };
            if let Ok(list) = crate::relay_api::published_articles(workspace).await {
                seen.list.set(Some(list));
            }
        });
    });
    let relay_copy = move || {
        let published = on_relay?.list.get()?;
        published.articles.into_iter().find(|a| a.id == id.to_string())
    };
    let row_revision = move || {
        ctx.read_of(Changed::ARTICLES, |ws| ws.model.articles.get(&id).map(|r| r.revision.clone()))
            .flatten()
    };
    let standing = move || {
        if !article.with(|a| a.as_ref().is_some_and(|a| a.published)) {
            return t_string!(i18n, knowledge.is_draft).to_owned();
        }
        let revision = row_revision();
        let refused = on_relay.and_then(|seen| {
            let key = (id.to_string(), revision.clone()?);
            seen.refused.with(|refused| refused.get(&key).cloned())
        });
        match (relay_copy(), refused) {
            (_, Some(why)) => t_string!(i18n, knowledge.refused, why = why).to_string(),
            (Some(copy), _) if Some(&copy.revision) == revision.as_ref() => {
                t_string!(i18n, knowledge.is_public).to_owned()
            }
            _ => t_string!(i18n, knowledge.publishing).to_owned(),
        }
    };
    let toolbar = [
        (Formatting::Bold, "format-bold", "B"),
        (Formatting::Italic, "format-italic", "I"),
        (Formatting::Heading, "format-heading", "H"),
        (Formatting::List, "format-list", "•"),
        (Formatting::Link, "format-link", "a↗"),
        (Formatting::Quote, "format-quote", "❝"),
    ];
    view! {
        <div class="record-layout article-layout">
            <div class="record-main">
                <Show
                    when=move || account.can_edit()
                    fallback=move || view! {
                        <article class="panel article-text" data-testid="article-read" inner_html=move || preview.get()></article>
                    }
                >
                    <form class="record-form panel" on:submit=save data-testid="article-form">
                        <div class="field-row">
                            <label>
                                {t!(i18n, knowledge.article_title)}
                                <input type="text" required maxlength=knowledge::MOST_TITLE_CHARS data-testid="article-title"
                                    prop:value=move || title.get() on:input=move |e| { title.set(event_target_value(&e)); saved.set(false) } />
                            </label>
                            <label>
                                {t!(i18n, knowledge.category)}
                                <input type="text" maxlength=knowledge::MOST_CATEGORY_CHARS data-testid="article-category"
                                    prop:value=move || category.get() on:input=move |e| { category.set(event_target_value(&e)); saved.set(false) } />
                            </label>
                        </div>
                        <div class="format-bar" role="toolbar" aria-label=move || t_string!(i18n, knowledge.formatting)>
                            {toolbar.into_iter().map(|(how, testid, label)| view! {
                                <button type="button" class="format-button" data-testid=testid
                                    title=move || how.name() aria-label=move || how.name()
                                    on:click=move |_| { format(how); saved.set(false) }>{label}</button>
                            }).collect_view()}
                        </div>
                        <label>
                            {t!(i18n, knowledge.text)}
                            <textarea rows="14" class="article-source" data-testid="article-body" node_ref=field
                                prop:value=move || body.get() on:input=move |e| { body.set(event_target_value(&e)); saved.set(false) }></textarea>
                        </label>
                        <p class="hint">{t!(i18n, knowledge.markdown_hint)}</p>
                        <label class="check">
                            <input type="checkbox" data-testid="article-published" prop:checked=move || published.get()
                                on:change=move |e| { published.set(event_target_checked(&e)); saved.set(false) } />
                            {t!(i18n, knowledge.publish)}
                        </label>
                        {move || changed_meanwhile.get().then(|| view! { <p class="hint" role="status" data-testid="article-changed-meanwhile">{t!(i18n, knowledge.changed_meanwhile)}</p> })}
                        {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="article-save-error">{e}</p> })}
                        <div class="field-row">
                            <button type="submit" class="primary-action" data-testid="article-save">{t!(i18n, knowledge.save)}</button>
                            <button type="button" data-testid="article-archive" on:click=archive.clone()>{t!(i18n, knowledge.archive)}</button>
                        </div>
                        {move || (saved.get() && !unsaved.get()).then(|| view! { <p class="hint" role="status" data-testid="article-saved">{t!(i18n, knowledge.saved)}</p> })}
                    </form>
                </Show>
            </div>
            <div class="record-activity">
                <section class="panel" data-testid="article-standing">
                    <h2>{t!(i18n, knowledge.help_pages)}</h2>
                    <p data-testid="article-state">{standing}</p>
                    {move || article.with(|a| a.as_ref().is_some_and(|a| a.published)).then(public_path).flatten().map(|href| view! {
                        <p><a href=href.clone() target="_blank" rel="noopener" data-testid="article-public-link">{t!(i18n, knowledge.open_public)}</a></p>
                    })}
                    {move || relay_copy().filter(|c| c.helpful + c.not_helpful > 0).map(|copy| view! {
                        <p data-testid="article-helpful">
                            {t_string!(i18n, knowledge.helpful_counts, helpful = copy.helpful, total = copy.helpful + copy.not_helpful).to_string()}
                        </p>
                    })}
                </section>
                <Show when=move || account.can_edit()>
                    <section class="panel article-preview" data-testid="article-preview">
                        <h2>{t!(i18n, knowledge.preview)}</h2>
                        <div class="article-text" inner_html=move || preview.get()></div>
                    </section>
                </Show>
            </div>
        </div>
    }
}

/// `text` safe to put in HTML as text.
fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The byte offset in `text` of the UTF-16 offset `units` (what a text field's selection counts).
fn byte_offset(text: &str, units: u32) -> usize {
    let mut counted = 0;
    for (at, c) in text.char_indices() {
        if counted >= units as usize {
            return at;
        }
        counted += c.len_utf16();
    }
    text.len()
}

/// What a toolbar button does to the selected text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Formatting {
    Bold,
    Italic,
    Heading,
    List,
    Link,
    Quote,
}

impl Formatting {
    fn name(self) -> &'static str {
        let locale = crate::locale::current();
        match self {
            Formatting::Bold => td_string!(locale, knowledge.bold),
            Formatting::Italic => td_string!(locale, knowledge.italic),
            Formatting::Heading => td_string!(locale, knowledge.heading),
            Formatting::List => td_string!(locale, knowledge.list),
            Formatting::Link => td_string!(locale, knowledge.link),
            Formatting::Quote => td_string!(locale, knowledge.quote),
        }
    }

    /// `text` with the selection `start..end` (bytes) formatted, and where the caret goes.
    fn apply(self, text: &str, start: usize, end: usize) -> (String, usize) {
        let (start, end) = (start.min(end).min(text.len()), end.max(start).min(text.len()));
        let selected = &text[start..end];
        let wrap = |before: &str, after: &str, placeholder: &str| {
            let inner = if selected.is_empty() { placeholder } else { selected };
            let formatted = format!("{}{before}{inner}{after}{}", &text[..start], &text[end..]);
            (formatted, start + before.len() + inner.len() + after.len())
        };
        // Markers at the start of each selected line (of the caret's line when nothing is selected).
        let prefix = |marker: &str| {
            let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
            let line_end = text[end..].find('\n').map_or(text.len(), |n| end + n);
            let lines: Vec<String> = text[line_start..line_end]
                .split('\n')
                .map(|line| format!("{marker}{line}"))
                .collect();
            let replaced = lines.join("\n");
            let formatted = format!("{}{replaced}{}", &text[..line_start], &text[line_end..]);
            (formatted, line_start + replaced.len())
        };
        match self {
            Formatting::Bold => wrap("**", "**", "bold"),
            Formatting::Italic => wrap("*", "*", "italic"),
            Formatting::Link => wrap("[", "](https://)", "link"),
            Formatting::Heading => prefix("## "),
            Formatting::List => prefix("- "),
            Formatting::Quote => prefix("> "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_wraps_the_selection_or_a_placeholder_and_marks_each_selected_line() {
        let text = "Press Reset now";
        assert_eq!(Formatting::Bold.apply(text, 6, 11), ("Press **Reset** now".into(), 15));
        assert_eq!(Formatting::Italic.apply(text, 15, 15), ("Press Reset now*italic*".into(), 23));
        assert_eq!(Formatting::Link.apply(text, 0, 5), ("[Press](https://) Reset now".into(), 17));
        let lines = "Intro\none\ntwo";
        assert_eq!(Formatting::List.apply(lines, 7, 13), ("Intro\n- one\n- two".into(), 17));
        assert_eq!(Formatting::Heading.apply(lines, 2, 2), ("## Intro\none\ntwo".into(), 8));
        // A selection given backwards or past the end is still a selection of the text.
        assert_eq!(Formatting::Quote.apply("a", 5, 0), ("> a".into(), 3));
    }

    #[test]
    fn a_text_field_s_utf16_offsets_become_byte_offsets() {
        let text = "Ёж 🦔 ok";
        assert_eq!(byte_offset(text, 0), 0);
        assert_eq!(byte_offset(text, 1), "Ё".len());
        // The hedgehog is two UTF-16 units and four bytes.
        assert_eq!(byte_offset(text, 5), "Ёж 🦔".len());
        assert_eq!(byte_offset(text, 99), text.len());
    }
}
