use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use leptos::task::spawn_local;
use rapport_core::ids::{PartyId, ViewId};
use rapport_core::model::{Party, Role, SavedView};
use rapport_core::queries::{self, PartyFilter, PartySort};

use super::{EmptyState, Page};
use crate::local::{self, BrowserIds};
use crate::state::{Status, WorkspaceCtx};
use crate::timing::{self, Span};
use crate::widgets::role_label;

/// Height of one row of the list in CSS pixels (`.vrow` in the style sheet): the list renders only the
/// rows in view, placed by index, so ten thousand rows scroll like fifty.
const ROW_PX: f64 = 56.0;
/// Rows rendered above and below the visible ones, so a fast flick does not show blank space.
const OVERSCAN: usize = 8;

/// What the list shows: search, role, tag, owner and order. A saved view is a named copy of it.
#[derive(Clone, Copy)]
struct ListState {
    query: RwSignal<String>,
    role: RwSignal<Option<Role>>,
    tag: RwSignal<Option<String>>,
    only_mine: RwSignal<bool>,
    sort: RwSignal<PartySort>,
}

impl ListState {
    fn new() -> ListState {
        ListState {
            query: RwSignal::new(String::new()),
            role: RwSignal::new(None),
            tag: RwSignal::new(None),
            only_mine: RwSignal::new(false),
            sort: RwSignal::new(PartySort::Name),
        }
    }

    fn filter(self, me: Option<rapport_core::ids::MemberId>) -> PartyFilter {
        PartyFilter {
            query: self.query.get(),
            role: self.role.get(),
            tag: self.tag.get(),
            owner: if self.only_mine.get() { me } else { None },
            kind: None,
            include_archived: false,
        }
    }

    fn apply(self, view: &SavedView) {
        self.query.set(view.query.clone());
        self.role.set(view.role.as_deref().and_then(Role::from_key));
        self.tag.set(view.tag.clone());
        self.only_mine.set(view.only_mine);
        self.sort.set(PartySort::from_key(&view.sort));
    }

    /// Saved under `name`; "only mine" is saved as such, so whoever opens the view sees their own.
    fn to_view(self, name: &str) -> SavedView {
        SavedView {
            name: name.to_owned(),
            query: self.query.get_untracked(),
            role: self.role.get_untracked().map(|role| role.key().to_owned()),
            tag: self.tag.get_untracked(),
            only_mine: self.only_mine.get_untracked(),
            sort: self.sort.get_untracked().key().to_owned(),
        }
    }
}

#[component]
pub(crate) fn Parties() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let state = ListState::new();
    let sync = crate::sync::SyncCtx::use_ctx();
    // Every match in order (ids only); the list renders the few in view.
    let found = Memo::new(move |_| {
        let span = Span::start("rapport:search");
        let sort = state.sort.get();
        let ids = ctx.read(|ws| {
            let filter = state.filter(ws.me);
            queries::parties(&ws.model, &filter, sort).iter().map(|row| row.id).collect::<Vec<_>>()
        });
        span.end();
        ids.unwrap_or_default()
    });
    // The first time the list shows people: "open the app to the first rendered list" in BENCHMARKS.md.
    // Effects run after the DOM was updated.
    Effect::new(move || {
        if found.with(|ids| !ids.is_empty()) {
            timing::mark_once("rapport:list-rendered");
        }
    });
    let filtered = move || {
        state.role.with(Option::is_some) || state.tag.with(Option::is_some) || state.only_mine.get()
    };

    view! {
        <Page key="parties" title=move || t_string!(i18n, nav.parties)>
            <input
                class="search"
                type="search"
                placeholder=move || t_string!(i18n, parties.search)
                aria-label=move || t_string!(i18n, parties.search_label)
                data-testid="party-search"
                prop:value=move || state.query.get()
                on:input=move |event| state.query.set(event_target_value(&event))
            />
            <RoleChips state />
            <ListControls state />
            <SavedViews state />
            <Show when=move || sync.can_edit()>
                <NewParty />
                <a class="action subtle" href="/import-export" data-testid="parties-import-link">{t!(i18n, parties.import_link)}</a>
            </Show>
            <p class="count" data-testid="party-count" aria-live="polite">
                {move || {
                    let searching = !state.query.with(|q| q.trim().is_empty());
                    let index_pending = ctx.read(|ws| ws.model.search_pending).unwrap_or(true);
                    match ctx.status.get() {
                        Status::Opening => t_string!(i18n, parties.opening).to_string(),
                        _ if searching && index_pending => t_string!(i18n, parties.preparing).to_string(),
                        _ => t_string!(i18n, parties.found, count = found.with(Vec::len)).to_string(),
                    }
                }}
            </p>
            <Show
                when=move || found.with(|ids| !ids.is_empty())
                fallback=move || (ctx.status.get() != Status::Opening).then(|| {
                    let searching = !state.query.with(|q| q.trim().is_empty()) || filtered();
                    if searching {
                        view! { <EmptyState title=move || t_string!(i18n, parties.nobody) hint=move || t_string!(i18n, parties.nobody_hint) /> }.into_any()
                    } else {
                        view! { <EmptyState title=move || t_string!(i18n, parties.empty) hint=move || t_string!(i18n, parties.empty_hint) /> }.into_any()
                    }
                })
            >
                <VirtualList found />
            </Show>
        </Page>
    }
}

/// One chip per role, and "All": a tap shows only that role.
#[component]
fn RoleChips(state: ListState) -> impl IntoView {
    let i18n = use_i18n();
    let chip = move |role: Option<Role>, label: &'static str| {
        let key = role.map_or("all", Role::key);
        view! {
            <button
                type="button"
                class="chip"
                data-testid="role-chip"
                data-role=key
                aria-pressed=move || (state.role.get() == role).to_string()
                on:click=move |_| state.role.set(role)
            >
                {label}
            </button>
        }
    };
    view! {
        <div class="chips" role="group" aria-label=move || t_string!(i18n, parties.one_role)>
            {chip(None, t_string!(i18n, parties.all))}
            {Role::ALL.into_iter().filter(|r| *r != Role::Other).map(|role| chip(Some(role), role_label(role).1)).collect_view()}
        </div>
    }
}

/// Order, tag and "only mine".
#[component]
fn ListControls(state: ListState) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    // Tags in use, for the filter (sorted, each once).
    let tags = Memo::new(move |_| {
        ctx.read(|ws| {
            let mut tags: Vec<String> =
                ws.model.parties.values().flat_map(|row| row.tags.iter().cloned()).collect();
            tags.sort_unstable();
            tags.dedup();
            tags
        })
        .unwrap_or_default()
    });
    let sort_label = |sort: PartySort| match sort {
        PartySort::Name => t_string!(i18n, parties.sort_name),
        PartySort::Newest => t_string!(i18n, parties.sort_newest),
        PartySort::LeastRecentlyContacted => t_string!(i18n, parties.sort_contact),
    };
    view! {
        <div class="list-controls">
            <label>
                {t!(i18n, parties.sort)}
                <select
                    data-testid="party-sort"
                    on:change=move |e| state.sort.set(PartySort::from_key(&event_target_value(&e)))
                    prop:value=move || state.sort.get().key()
                >
                    {PartySort::ALL.into_iter().map(|sort| view! {
                        <option value=sort.key()>{sort_label(sort)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                {t!(i18n, parties.tag)}
                <select
                    data-testid="party-tag"
                    on:change=move |e| {
                        let tag = event_target_value(&e);
                        state.tag.set((!tag.is_empty()).then_some(tag));
                    }
                    prop:value=move || state.tag.get().unwrap_or_default()
                >
                    <option value="">{t!(i18n, parties.any_tag)}</option>
                    <For each=move || tags.get() key=|tag| tag.clone() let:tag>
                        <option value=tag.clone()>{tag.clone()}</option>
                    </For>
                </select>
            </label>
            <label class="check">
                <input
                    type="checkbox"
                    data-testid="only-mine"
                    prop:checked=move || state.only_mine.get()
                    on:change=move |e| state.only_mine.set(event_target_checked(&e))
                />
                {t!(i18n, parties.only_mine)}
            </label>
        </div>
    }
}

/// The team's saved views: a tap applies one; the current search, role, tag and order can be saved
/// under a name.
#[component]
fn SavedViews(state: ListState) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let sync = crate::sync::SyncCtx::use_ctx();
    let views = Memo::new(move |_| {
        ctx.read(|ws| {
            let mut views: Vec<(String, SavedView)> =
                ws.settings.saved_views.iter().map(|(id, v)| (id.clone(), v.clone())).collect();
            views.sort_by(|a, b| a.1.name.cmp(&b.1.name));
            views
        })
        .unwrap_or_default()
    });
    let naming = RwSignal::new(false);
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = name.get_untracked().trim().to_owned();
        if text.is_empty() {
            error.set(Some(t_string!(i18n, parties.view_name_needed).into()));
            return;
        }
        let view = state.to_view(&text);
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let id = ViewId::generate(&mut BrowserIds).to_string();
            let result = local::update_settings(&shared, move |settings| {
                settings.saved_views.insert(id, view);
            })
            .await;
            if ctx.settle(result, error) {
                name.set(String::new());
                naming.set(false);
            }
        });
    };
    let remove = move |id: String| {
        spawn_local(async move {
            let Some(shared) = ctx.shared() else { return };
            let result = local::update_settings(&shared, move |settings| {
                settings.saved_views.remove(&id);
            })
            .await;
            ctx.settle(result, error);
        });
    };
    view! {
        <div class="saved-views" role="group" aria-label=move || t_string!(i18n, parties.saved_views)>
            <For each=move || views.get() key=|(id, view)| (id.clone(), view.clone()) let:entry>
                {
                    let (id, view) = entry;
                    let label = view.name.clone();
                    view! {
                        <span class="chip saved-view">
                            <button type="button" class="chip-main" data-testid="saved-view" on:click=move |_| state.apply(&view)>
                                {label.clone()}
                            </button>
                            <Show when=move || sync.can_edit()>
                                <button
                                    type="button"
                                    class="chip-remove"
                                    data-testid="remove-view"
                                    aria-label=t_string!(i18n, parties.remove_view, label = &label).to_string()
                                    on:click={
                                        let id = id.clone();
                                        move |_| remove(id.clone())
                                    }
                                >
                                    "×"
                                </button>
                            </Show>
                        </span>
                    }
                }
            </For>
            <Show when=move || sync.can_edit()>
                <Show
                    when=move || naming.get()
                    fallback=move || view! {
                        <button type="button" class="chip subtle" data-testid="new-view" on:click=move |_| naming.set(true)>
                            {t!(i18n, parties.save_view)}
                        </button>
                    }
                >
                    <form class="save-view" on:submit=save>
                        <input
                            type="text"
                            placeholder=move || t_string!(i18n, parties.view_name)
                            aria-label=move || t_string!(i18n, parties.view_name)
                            data-testid="view-name"
                            prop:value=move || name.get()
                            on:input=move |e| name.set(event_target_value(&e))
                        />
                        <button type="submit" data-testid="save-view">{t!(i18n, parties.save)}</button>
                        <button type="button" class="subtle" on:click=move |_| naming.set(false)>{t!(i18n, parties.cancel)}</button>
                    </form>
                </Show>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}

/// The matches as a scrolling list that renders only what is in view (plus a few rows either side).
#[component]
fn VirtualList(found: Memo<Vec<PartyId>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let viewport = NodeRef::<leptos::html::Div>::new();
    let scroll_top = RwSignal::new(0.0_f64);
    let height = RwSignal::new(640.0_f64);
    let measure = move || {
        if let Some(element) = viewport.get_untracked() {
            scroll_top.set(f64::from(element.scroll_top()));
            height.set(f64::from(element.client_height()).max(ROW_PX));
        }
    };
    Effect::new(move || {
        if viewport.get().is_some() {
            measure();
        }
    });
    // A new search starts at the top.
    Effect::new(move |previous: Option<usize>| {
        let count = found.with(Vec::len);
        if previous.is_some()
            && let Some(element) = viewport.get_untracked()
        {
            element.set_scroll_top(0);
            scroll_top.set(0.0);
        }
        count
    });
    let window = Memo::new(move |_| {
        let total = found.with(Vec::len);
        let first = ((scroll_top.get() / ROW_PX) as usize).saturating_sub(OVERSCAN).min(total);
        let last =
            (((scroll_top.get() + height.get()) / ROW_PX).ceil() as usize + OVERSCAN).min(total);
        found.with(|ids| {
            ids[first..last].iter().enumerate().map(|(n, id)| (first + n, *id)).collect::<Vec<_>>()
        })
    });
    let row = move |(index, id): (usize, PartyId)| {
        // Follows the workspace: a colleague's rename shows in the row at once.
        let shown = Memo::new(move |_| {
            ctx.read(|ws| {
                ws.model.parties.get(&id).map(|row| {
                    let unsynced = !ws.unsynced.is_empty() && ws.is_unsynced(&id.to_string());
                    let detail =
                        row.emails.first().or(row.phones.first()).cloned().unwrap_or_default();
                    let roles: Vec<&'static str> = Role::ALL
                        .into_iter()
                        .filter(|role| {
                            row.roles.contains(&rapport_core::read_model::RoleRow::of(*role))
                        })
                        .map(|role| role_label(role).0)
                        .collect();
                    (row.name.clone(), detail, roles.join(" · "), unsynced)
                })
            })
            .flatten()
            .unwrap_or_default()
        });
        view! {
            <li class="row vrow" data-testid="party-row" style:transform=format!("translateY({}px)", index as f64 * ROW_PX)>
                <a class="row-link" href=format!("/parties/{id}")>
                    <span class="row-title">{move || shown.with(|s| s.0.clone())}</span>
                    <span class="row-detail">{move || shown.with(|s| s.1.clone())}</span>
                    <span class="row-roles">{move || shown.with(|s| s.2.clone())}</span>
                </a>
                {move || shown.with(|s| s.3).then(|| view! {
                    <span class="badge badge-unsynced" data-testid="row-unsynced" title=move || t_string!(i18n, parties.unsynced)>"●"</span>
                })}
            </li>
        }
    };
    view! {
        <div class="vlist" node_ref=viewport on:scroll=move |_| measure() data-testid="party-viewport">
            <ul
                class="rows vlist-inner"
                data-testid="party-list"
                style:height=move || format!("{}px", found.with(Vec::len) as f64 * ROW_PX)
            >
                // Keyed by position and id: scrolling keeps each rendered row, a new order renders anew.
                <For
                    each=move || window.get()
                    key=|entry| *entry
                    children=row
                />
            </ul>
        </div>
    }
}

/// Quick add: a name is enough to start a record. The field clears only once the record is durable.
#[component]
fn NewParty() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let name = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    // `?new=1` (the home-screen shortcut "New contact") puts the cursor here at once.
    let input = NodeRef::<leptos::html::Input>::new();
    let wants_new =
        leptos_router::hooks::use_query_map().with_untracked(|q| q.get("new").is_some());
    Effect::new(move || {
        if wants_new && let Some(input) = input.get() {
            let _ = input.focus();
        }
    });
    // A record with the same name (ignoring case and accents) is probably the same person: say so, and
    // add only when the user submits again.
    let existing = Memo::new(move |_| {
        let folded = rapport_core::search::fold(name.with(|n| n.trim().to_owned()).as_str());
        if folded.is_empty() {
            return None;
        }
        ctx.read(|ws| {
            ws.model
                .parties
                .values()
                .find(|row| !row.archived && row.sort_name == folded)
                .map(|row| (row.id, row.name.clone()))
        })
        .flatten()
    });
    let confirmed = RwSignal::new(None::<String>);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = name.get_untracked().trim().to_owned();
        if text.is_empty() || saving.get_untracked() {
            return;
        }
        if existing.get_untracked().is_some()
            && confirmed.get_untracked().as_deref() != Some(text.as_str())
        {
            confirmed.set(Some(text));
            return;
        }
        saving.set(true);
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else {
                saving.set(false);
                return;
            };
            let id = PartyId::generate(&mut BrowserIds);
            let party = Party { name: text, created_at: local::now(), ..Party::default() };
            match local::create(&shared, id, party).await {
                Ok(()) => {
                    name.set(String::new());
                    confirmed.set(None);
                    ctx.changed();
                }
                Err(error) => ctx.report(&error),
            }
            saving.set(false);
        });
    };
    view! {
        <form class="quick-add" on:submit=add>
            <input
                type="text"
                placeholder=move || t_string!(i18n, parties.new_one)
                aria-label=move || t_string!(i18n, parties.new_label)
                data-testid="new-party-name"
                node_ref=input
                prop:value=move || name.get()
                on:input=move |event| name.set(event_target_value(&event))
            />
            <button
                type="submit"
                data-testid="add-party"
                disabled=move || saving.get()
            >
                {move || if existing.get().is_some() && confirmed.get() == Some(name.get().trim().to_owned()) { t_string!(i18n, parties.add_anyway) } else { t_string!(i18n, parties.add) }}
            </button>
        </form>
        {move || existing.get().map(|(id, existing_name)| view! {
            <p class="hint duplicate" role="status" data-testid="duplicate-warning">
                {t!(i18n, parties.already)}
                <a href=format!("/parties/{id}") data-testid="duplicate-link">{existing_name}</a>
                {move || (confirmed.get() == Some(name.get().trim().to_owned())).then_some(t_string!(i18n, parties.add_anyway_hint))}
            </p>
        })}
    }
}
