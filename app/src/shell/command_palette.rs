//! Ctrl/Cmd-K from anywhere (or the search button): one box that finds people, organisations, deals and
//! tasks, and runs actions ("New deal", "Log a visit"); on a ticket, it puts the team's canned replies
//! in the reply being written. Arrow keys choose, Enter opens, Escape closes. Everything is searched
//! on the device, so it works offline and answers as the user types.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use rapport_core::queries::{self, PartyFilter, PartySort};
use rapport_core::read_model::{Changed, DealStatusRow};
use rapport_core::search::fold;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::i18n::{Locale, t, t_string, use_i18n};
use crate::state::WorkspaceCtx;
use crate::timing::Span;
use leptos_i18n::I18nContext;

/// A composer on the page that takes canned replies from the palette (a ticket's): while one is open
/// the palette lists the workspace's canned replies, and asks for the one chosen.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReplyComposer {
    /// Whether a composer on the page takes canned replies now.
    pub open: RwSignal<bool>,
    /// The canned reply (its id) chosen in the palette, until the composer takes it.
    pub chosen: RwSignal<Option<String>>,
}

impl ReplyComposer {
    pub fn provide() {
        provide_context(ReplyComposer { open: RwSignal::new(false), chosen: RwSignal::new(None) });
    }
}

/// Where choosing a canned reply leads: not a page, the composer (`canned:` and the reply's id).
const CANNED: &str = "canned:";

/// What the palette offers: its kind (shown and used as a test handle), label, detail and where it leads.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: &'static str,
    label: String,
    detail: String,
    href: String,
}

/// Actions, always offered when they match what is typed (in the screens' language).
const ACTIONS: [&str; 16] = [
    "/parties?new=1",
    "/tasks",
    "/deals",
    "/analytics",
    "/analytics/reports",
    "/log/visit",
    "/log/call",
    "/log/meeting",
    "/import-export",
    "/knowledge",
    "/contracts",
    "/purchasing",
    "/investors",
    "/marketing",
    "/team",
    "/settings",
];

fn action_label(i18n: I18nContext<Locale>, href: &str) -> &'static str {
    match href {
        "/parties?new=1" => t_string!(i18n, palette.new_party),
        "/tasks" => t_string!(i18n, palette.new_task),
        "/deals" => t_string!(i18n, palette.new_deal),
        "/analytics" => t_string!(i18n, palette.analytics),
        "/analytics/reports" => t_string!(i18n, report_builder.open_builder),
        "/log/visit" => t_string!(i18n, palette.log_visit),
        "/log/call" => t_string!(i18n, palette.log_call),
        "/log/meeting" => t_string!(i18n, palette.log_meeting),
        "/import-export" => t_string!(i18n, palette.import_export),
        "/knowledge" => t_string!(i18n, palette.knowledge),
        "/contracts" => t_string!(i18n, palette.contracts),
        "/purchasing" => t_string!(i18n, palette.purchasing),
        "/investors" => t_string!(i18n, palette.investors),
        "/marketing" => t_string!(i18n, palette.marketing),
        "/team" => t_string!(i18n, palette.team),
        _ => t_string!(i18n, nav.settings),
    }
}

/// How many people the palette lists; more are one "Show all" away, on the people list.
const PEOPLE: usize = 12;
/// How many deals and tasks it lists.
const PER_KIND: usize = 8;

#[component]
pub(crate) fn CommandPalette() -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let i18n = use_i18n();
    let open = RwSignal::new(false);
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(0usize);
    let input = NodeRef::<leptos::html::Input>::new();
    let navigate = use_navigate();
    let composer = use_context::<ReplyComposer>();

    // Ctrl-K / Cmd-K anywhere opens it (and closes it again); the listener lives as long as the app.
    let on_key =
        Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(move |event: web_sys::KeyboardEvent| {
            if (event.ctrl_key() || event.meta_key()) && event.key().eq_ignore_ascii_case("k") {
                event.prevent_default();
                open.update(|o| *o = !*o);
            }
        });
    if let Some(window) = web_sys::window() {
        let _ = window.add_event_listener_with_callback("keydown", on_key.as_ref().unchecked_ref());
    }
    on_key.forget();

    // Opening starts afresh with the cursor in the box.
    Effect::new(move || {
        if open.get() {
            query.set(String::new());
            selected.set(0);
            if let Some(input) = input.get() {
                let _ = input.focus();
            }
        }
    });

    let entries = Memo::new(move |_| {
        if !open.get() {
            return Vec::new();
        }
        let text = query.get();
        let span = Span::start("rapport:palette");
        let folded = fold(text.trim());
        // On a ticket, its canned replies first: what the person there most likely wants.
        let mut entries: Vec<Entry> = composer
            .filter(|composer| composer.open.get())
            .and_then(|_| {
                ctx.read_of(Changed::SETTINGS, |ws| {
                    let mut replies: Vec<Entry> = ws
                        .settings
                        .canned_replies
                        .iter()
                        .filter(|(_, reply)| {
                            folded.is_empty()
                                || fold(&reply.name).contains(&folded)
                                || fold(&reply.text).contains(&folded)
                        })
                        .map(|(id, reply)| Entry {
                            kind: "canned",
                            label: reply.name.clone(),
                            detail: reply
                                .text
                                .lines()
                                .next()
                                .unwrap_or_default()
                                .chars()
                                .take(80)
                                .collect(),
                            href: format!("{CANNED}{id}"),
                        })
                        .collect();
                    replies.sort_by(|a, b| a.label.cmp(&b.label));
                    replies.truncate(PER_KIND);
                    replies
                })
            })
            .unwrap_or_default();
        entries.extend(
            ACTIONS
                .iter()
                .map(|href| (action_label(i18n, href), href))
                .filter(|(label, _)| folded.is_empty() || fold(label).contains(&folded))
                .map(|(label, href)| Entry {
                    kind: "action",
                    label: label.to_owned(),
                    detail: String::new(),
                    href: (*href).to_owned(),
                }),
        );
        if !folded.is_empty() {
            ctx.read(|ws| {
                let filter = PartyFilter { query: text.clone(), ..PartyFilter::default() };
                let (total, parties) =
                    queries::parties_page(&ws.model, &filter, PartySort::Name, PEOPLE);
                let name_of = |id: &rapport_core::ids::PartyId| {
                    ws.model.parties.get(id).map(|row| row.name.clone())
                };
                // Context tells two people of one name apart: where they work, how to reach them.
                entries.extend(parties.into_iter().map(|row| {
                    Entry {
                        kind: "party",
                        label: row.name.clone(),
                        detail: row
                            .organisations
                            .iter()
                            .filter_map(name_of)
                            .take(1)
                            .chain(row.emails.first().or(row.phones.first()).cloned())
                            .collect::<Vec<_>>()
                            .join(" · "),
                        href: format!("/parties/{}", row.id),
                    }
                }));
                if total > PEOPLE {
                    entries.push(Entry {
                        kind: "all",
                        label: t_string!(
                            i18n,
                            palette.all_people,
                            count = crate::widgets::count(total)
                        )
                        .to_string(),
                        detail: String::new(),
                        href: format!("/parties?q={}", js_sys::encode_uri_component(text.trim())),
                    });
                }
                entries.extend(
                    ws.model
                        .deals
                        .values()
                        .filter(|d| {
                            d.status == DealStatusRow::Open && fold(&d.title).contains(&folded)
                        })
                        .take(PER_KIND)
                        .map(|d| Entry {
                            kind: "deal",
                            label: d.title.clone(),
                            detail: std::iter::once(crate::widgets::money(
                                d.amount_minor,
                                &d.currency,
                            ))
                            .chain(d.parties.first().and_then(name_of))
                            .collect::<Vec<_>>()
                            .join(" · "),
                            href: format!("/deals/{}", d.id),
                        }),
                );
                entries.extend(
                    ws.model
                        .tasks
                        .values()
                        .filter(|t| t.done_at.is_none() && fold(&t.title).contains(&folded))
                        .take(PER_KIND)
                        .map(|t| Entry {
                            kind: "task",
                            label: t.title.clone(),
                            detail: t
                                .effective_due()
                                .map(crate::widgets::local_date)
                                .into_iter()
                                .chain(t.parties.first().and_then(name_of))
                                .collect::<Vec<_>>()
                                .join(" · "),
                            // A task about someone opens their record, where its next steps are.
                            href: t
                                .parties
                                .first()
                                .map_or_else(|| "/tasks".to_owned(), |p| format!("/parties/{p}")),
                        }),
                );
                // Articles by the knowledge base's own search (every word, the start of a word).
                let articles = rapport_core::knowledge::matching(ws.model.articles.values(), &text);
                entries.extend(articles.into_iter().take(PER_KIND).filter_map(|id| {
                    let row = ws.model.articles.get(&id)?;
                    Some(Entry {
                        kind: "article",
                        label: row.title.clone(),
                        detail: row.category.clone(),
                        href: format!("/knowledge/{id}"),
                    })
                }));
            });
        }
        span.end();
        entries
    });

    let go = move |href: String| {
        open.set(false);
        match (href.strip_prefix(CANNED), composer) {
            (Some(reply), Some(composer)) => composer.chosen.set(Some(reply.to_owned())),
            _ => navigate(&href, Default::default()),
        }
    };
    let go_selected = {
        let go = go.clone();
        move || {
            let chosen = entries.with(|e| e.get(selected.get_untracked()).map(|e| e.href.clone()));
            if let Some(href) = chosen {
                go(href);
            }
        }
    };
    let on_keydown = move |event: leptos::ev::KeyboardEvent| match event.key().as_str() {
        "ArrowDown" => {
            event.prevent_default();
            let count = entries.with(Vec::len);
            selected.update(|s| *s = if count == 0 { 0 } else { (*s + 1) % count });
        }
        "ArrowUp" => {
            event.prevent_default();
            let count = entries.with(Vec::len);
            selected.update(|s| *s = if count == 0 { 0 } else { (*s + count - 1) % count });
        }
        "Enter" => {
            event.prevent_default();
            go_selected();
        }
        "Escape" => open.set(false),
        _ => {}
    };

    view! {
        <button
            type="button"
            class="palette-open"
            data-testid="palette-open"
            aria-label=move || t_string!(i18n, palette.open)
            title=move || t_string!(i18n, palette.open)
            on:click=move |_| open.set(true)
        >
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" fill="none" stroke="currentColor" stroke-width="2">
                <circle cx="11" cy="11" r="7" />
                <path d="M20 20l-4-4" />
            </svg>
        </button>
        <Show when=move || open.get()>
            <div class="palette-backdrop" on:click=move |_| open.set(false)></div>
            <div class="palette" role="dialog" aria-modal="true" aria-label=move || t_string!(i18n, palette.title) data-testid="command-palette">
                <input
                    type="search"
                    placeholder=move || t_string!(i18n, palette.placeholder)
                    aria-label=move || t_string!(i18n, palette.placeholder)
                    aria-controls="palette-results"
                    data-testid="palette-input"
                    node_ref=input
                    prop:value=move || query.get()
                    on:input=move |e| {
                        query.set(event_target_value(&e));
                        selected.set(0);
                    }
                    on:keydown=on_keydown.clone()
                />
                <ul class="palette-results" id="palette-results" role="listbox">
                    {
                        let go = go.clone();
                        move || {
                            let go = go.clone();
                            entries.get().into_iter().enumerate().map(move |(index, entry)| {
                                let go = go.clone();
                                let href = entry.href.clone();
                                view! {
                                    <li
                                        role="option"
                                        class="palette-item"
                                        class:selected=move || selected.get() == index
                                        aria-selected=move || (selected.get() == index).to_string()
                                        data-testid="palette-item"
                                        data-kind=entry.kind
                                        on:click=move |_| go(href.clone())
                                    >
                                        <span class="palette-kind">{kind_label(i18n, entry.kind)}</span>
                                        <span class="row-title">{entry.label}</span>
                                        <span class="row-detail">{entry.detail}</span>
                                    </li>
                                }
                            }).collect_view()
                        }
                    }
                </ul>
                <Show when=move || entries.with(Vec::is_empty)>
                    <p class="hint" data-testid="palette-nothing">{t!(i18n, palette.nothing)}</p>
                </Show>
            </div>
        </Show>
    }
}

fn kind_label(i18n: I18nContext<Locale>, kind: &str) -> &'static str {
    match kind {
        "party" => t_string!(i18n, palette.kind_contact),
        "deal" => t_string!(i18n, palette.kind_deal),
        "task" => t_string!(i18n, palette.kind_task),
        "all" => t_string!(i18n, palette.kind_more),
        "canned" => t_string!(i18n, palette.kind_canned),
        "article" => t_string!(i18n, palette.kind_article),
        _ => t_string!(i18n, palette.kind_action),
    }
}
