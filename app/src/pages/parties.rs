use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use crate::widgets::{SavedChips, SavedKind};
use rapport_core::ids::{PartyId, SegmentId};
use rapport_core::model::{Party, Role, SavedView};
use rapport_core::queries::{self, PartyFilter, PartySort};
use rapport_core::read_model::Changed;

use super::{EmptyState, Page};
use crate::local::{self, BrowserIds};
use crate::state::{Status, WorkspaceCtx};
use crate::timing::{self, Span};
use crate::widgets::{Windowed, role_label};

/// What the list shows: search, role, tag, owner and order. A saved view is a named copy of it.
#[derive(Clone, Copy)]
struct ListState {
    query: RwSignal<String>,
    role: RwSignal<Option<Role>>,
    tag: RwSignal<Option<String>>,
    only_mine: RwSignal<bool>,
    sort: RwSignal<PartySort>,
    /// Only the people of this segment or list.
    segment: RwSignal<Option<SegmentId>>,
}

impl ListState {
    fn new() -> ListState {
        ListState {
            query: RwSignal::new(String::new()),
            role: RwSignal::new(None),
            tag: RwSignal::new(None),
            only_mine: RwSignal::new(false),
            sort: RwSignal::new(PartySort::Name),
            segment: RwSignal::new(None),
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
        self.segment.set(view.segment.as_deref().and_then(|id| id.parse().ok()));
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
            segment: self.segment.get_untracked().map(|id| id.to_string()),
        }
    }
}

#[component]
pub(crate) fn Parties() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let state = ListState::new();
    // `?q=` (the palette's "Show all"): the list opens with that search.
    if let Some(query) = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("q")) {
        state.query.set(query);
    }
    // `?segment=` (a segment's "open in the people list"): only its people.
    if let Some(segment) =
        leptos_router::hooks::use_query_map().with_untracked(|q| q.get("segment"))
    {
        state.segment.set(segment.parse().ok());
    }
    let outbox = crate::outbox::OutboxCtx::use_ctx();
    let lead_scores = crate::lead_scores::LeadScores::use_ctx();
    // Everyone's health, computed only while the list is sorted by it.
    let health = crate::health::EveryoneHealth::use_ctx()
        .read_while(move || state.sort.with(|sort| sort.reads_health()));
    let account = crate::account::AccountCtx::use_ctx();
    // Every match in order (ids only); the list renders the few in view.
    // `?segment=`'s people, evaluated when the records change, not on every keystroke of a search.
    let in_segment = Memo::new(move |_| {
        let segment = state.segment.get()?;
        let members: std::collections::HashSet<PartyId> =
            super::marketing::with_audience(ctx, outbox, |audience, model| {
                model
                    .segments
                    .get(&segment)
                    .map(|s| audience.of_segment(s).iter().map(|p| p.id).collect())
            })
            .flatten()
            .unwrap_or_default();
        Some(members)
    });
    let found = Memo::new(move |_| {
        let span = Span::start("rapport:search");
        let sort = state.sort.get();
        // Not tasks or deals: ticking a task does not sort ten thousand people again (scores, which
        // read deals, follow them in their own memo, computed once per change).
        let kinds = Changed::PARTIES | Changed::INTERACTIONS | Changed::SETTINGS;
        let scores = if sort.reads_scores() { lead_scores.scores.get() } else { None };
        let health = if sort.reads_health() { health.get() } else { None };
        let ids = ctx.read_of(kinds, |ws| {
            let filter = state.filter(ws.me);
            let rows = queries::parties(&ws.model, &filter, sort);
            let mut ids = rows.iter().map(|row| row.id).collect::<Vec<_>>();
            if sort.reads_scores() {
                sort.by_score(&mut ids, &scores.unwrap_or_default());
            }
            if let Some(health) = &health {
                sort.by_health(&mut ids, &health.health);
            }
            ids
        });
        span.end();
        let ids = ids.unwrap_or_default();
        in_segment.with(|members| match members {
            Some(members) => ids.into_iter().filter(|id| members.contains(id)).collect(),
            None => ids,
        })
    });
    // The first time the list shows people: "open the app to the first rendered list" in BENCHMARKS.md.
    // Effects run after the DOM was updated.
    Effect::new(move || {
        if found.with(|ids| !ids.is_empty()) {
            timing::mark_once("rapport:list-rendered");
        }
    });
    let filtered = move || {
        state.role.with(Option::is_some)
            || state.tag.with(Option::is_some)
            || state.only_mine.get()
            || state.segment.with(Option::is_some)
    };
    let segment_name = move || {
        let id = state.segment.get()?;
        // One this device does not hold (not synced yet, or a link from elsewhere) still says so, with
        // the way back to everyone.
        Some(
            ctx.read_of(Changed::MARKETING, |ws| {
                ws.model.segments.get(&id).map(|s| s.name.clone())
            })
            .flatten()
            .unwrap_or_else(|| t_string!(i18n, marketing.unknown_segment).to_owned()),
        )
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
            {move || segment_name().map(|name| view! {
                <p class="chips">
                    <span class="chip" data-testid="segment-filter" aria-pressed="true">
                        {t_string!(i18n, marketing.in_segment, name = name).to_string()}
                    </span>
                    <button type="button" class="icon-button" data-testid="segment-filter-clear" aria-label=move || t_string!(i18n, marketing.clear_segment) on:click=move |_| state.segment.set(None)>"×"</button>
                    <a class="action" href=move || state.segment.get().map(|id| format!("/marketing/segments/{id}")).unwrap_or_default()>{t!(i18n, marketing.segment)}</a>
                </p>
            })}
            // Order, tag, "only mine" and the saved views share one line where the screen allows.
            <div class="list-toolbar">
                <ListControls state />
                <SavedViews state />
            </div>
            <p class="actions-row">
                <a class="action" href="/marketing" data-testid="marketing-link">{t!(i18n, marketing.segments)}</a>
            </p>
            <Show when=move || account.can_edit()>
                <NewParty />
            </Show>
            <p class="count" data-testid="party-count" aria-live="polite">
                {move || {
                    let searching = !state.query.with(|q| q.trim().is_empty());
                    let index_pending = ctx.read(|ws| ws.model.search_pending).unwrap_or(true);
                    match ctx.status.get() {
                        Status::Opening => t_string!(i18n, parties.opening).to_string(),
                        _ if searching && index_pending => t_string!(i18n, parties.preparing).to_string(),
                        _ => t_string!(i18n, parties.found, count = crate::widgets::count(found.with(Vec::len))).to_string(),
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
                <PeopleTable found state health />
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
        ctx.read_of(Changed::PARTIES, |ws| {
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
        PartySort::NameDescending => t_string!(i18n, parties.sort_name_descending),
        PartySort::Newest => t_string!(i18n, parties.sort_newest),
        PartySort::Oldest => t_string!(i18n, parties.sort_oldest),
        PartySort::LeastRecentlyContacted => t_string!(i18n, parties.sort_contact),
        PartySort::MostRecentlyContacted => t_string!(i18n, parties.sort_contact_recent),
        PartySort::HighestScore => t_string!(i18n, parties.sort_score),
        PartySort::LowestScore => t_string!(i18n, parties.sort_score_lowest),
        PartySort::Coldest => t_string!(i18n, parties.sort_coldest),
        PartySort::Healthiest => t_string!(i18n, parties.sort_healthiest),
    };
    view! {
        <div class="list-controls">
            <label>
                <span class="control-label">{t!(i18n, parties.sort)}</span>
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
                <span class="control-label">{t!(i18n, parties.tag)}</span>
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
    let ctx = WorkspaceCtx::use_ctx();
    let kind = SavedKind::views(
        "view",
        |settings| {
            settings.saved_views.iter().map(|(id, v)| (id.clone(), v.name.clone())).collect()
        },
        |settings, id| {
            settings.saved_views.remove(id);
        },
        std::sync::Arc::new(move |settings, id, name| {
            settings.saved_views.insert(id, state.to_view(&name));
        }),
    );
    let pick = Callback::new(move |id: String| {
        let view = ctx.read(|ws| ws.settings.saved_views.get(&id).cloned()).flatten();
        if let Some(view) = view {
            state.apply(&view);
        }
    });
    view! { <SavedChips kind pick /> }
}

/// The matches as a table: a heading per column (a click on Name or Last contact sorts by it, a second
/// click the other way), then one row per person — only the rows on screen are in the page.
#[component]
fn PeopleTable(
    found: Memo<Vec<PartyId>>,
    state: ListState,
    health: ReadSignal<crate::health::Everyone>,
) -> impl IntoView {
    let i18n = use_i18n();
    // Each row shows its health while the list is ordered by it.
    let health = Signal::derive(move || {
        if state.sort.with(|sort| sort.reads_health()) { health.get() } else { None }
    });
    let heading = move |label: &'static str, ascending: PartySort, testid: &'static str| {
        let sorted = move || {
            let sort = state.sort.get();
            if sort == ascending {
                "ascending"
            } else if sort == ascending.reversed() {
                "descending"
            } else {
                "none"
            }
        };
        view! {
            <span role="columnheader" aria-sort=sorted>
                <button
                    type="button"
                    class="sort-heading"
                    data-testid=testid
                    on:click=move |_| state.sort.update(|sort| {
                        *sort = if *sort == ascending { ascending.reversed() } else { ascending };
                    })
                >
                    {label}
                    <span class="sort-mark" aria-hidden="true">{move || match sorted() {
                        "ascending" => "↑",
                        "descending" => "↓",
                        _ => "",
                    }}</span>
                </button>
            </span>
        }
    };
    view! {
        <div class="people-table" role="table" aria-label=move || t_string!(i18n, nav.parties)>
            <div class="party-line party-head" role="row">
                {move || heading(t_string!(i18n, parties.col_name), PartySort::Name, "sort-by-name")}
                <span role="columnheader" class="col-detail">{t!(i18n, parties.col_detail)}</span>
                <span role="columnheader" class="col-roles">{t!(i18n, parties.col_roles)}</span>
                <span role="columnheader" class="col-owner">{t!(i18n, parties.col_owner)}</span>
                {move || heading(t_string!(i18n, parties.col_last_contact), PartySort::MostRecentlyContacted, "sort-by-contact")}
            </div>
            <Windowed
                items=found
                key=|id: &PartyId| *id
                row=move |id| view! { <PartyLine id health /> }
                class="parties"
                testid="party-list"
                row_px=40
            />
        </div>
    }
}

/// What a row of the people table shows.
#[derive(Debug, Clone, PartialEq, Default)]
struct Line {
    name: String,
    /// Where they work and how to reach them.
    detail: String,
    roles: String,
    owner: Option<String>,
    last_contact: Option<String>,
    unsynced: bool,
}

/// One person or organisation of the table; follows the workspace, so a colleague's rename shows in
/// the row at once.
#[component]
fn PartyLine(id: PartyId, health: Signal<crate::health::Everyone>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let health = move || {
        health.with(|all| {
            let all = all.as_ref()?;
            let full = rapport_core::relationship::Health { score: 100, reasons: Vec::new() };
            Some(all.health.get(&id).cloned().unwrap_or(full))
        })
    };
    let line = Memo::new(move |_| {
        ctx.read(|ws| {
            let row = ws.model.parties.get(&id)?;
            let organisation = row
                .organisations
                .iter()
                .find_map(|org| ws.model.parties.get(org))
                .map(|o| o.name.clone());
            let reach = row.emails.first().or(row.phones.first()).cloned();
            let roles: Vec<&'static str> = Role::ALL
                .into_iter()
                .filter(|role| row.roles.contains(&rapport_core::read_model::RoleRow::of(*role)))
                .map(|role| role_label(role).0)
                .collect();
            Some(Line {
                name: row.name.clone(),
                detail: organisation.into_iter().chain(reach).collect::<Vec<_>>().join(" · "),
                roles: roles.join(" · "),
                owner: row
                    .owner
                    .and_then(|o| ws.settings.members.get(&o.to_string()))
                    .map(|m| m.display_name.clone()),
                last_contact: ws
                    .model
                    .last_contact
                    .get(&id)
                    .map(|at| crate::widgets::local_date(*at)),
                unsynced: ws.unsynced_edits() > 0 && ws.is_unsynced(&id.to_string()),
            })
        })
        .flatten()
        .unwrap_or_default()
    });
    view! {
        <div class="row party-line" role="row" data-testid="party-row">
            <a class="row-link" role="cell" href=format!("/parties/{id}")>
                <span class="row-title">{move || line.with(|l| l.name.clone())}</span>
                {move || health().map(|health| view! { <super::party::health::HealthTag health /> })}
                {move || line.with(|l| l.unsynced).then(|| view! {
                    <span class="badge badge-unsynced" data-testid="row-unsynced" title=move || t_string!(i18n, parties.unsynced)>"●"</span>
                })}
            </a>
            <span class="row-detail col-detail" role="cell">{move || line.with(|l| l.detail.clone())}</span>
            <span class="row-roles col-roles" role="cell">{move || line.with(|l| l.roles.clone())}</span>
            <span class="col-owner" role="cell">
                {move || line.with(|l| l.owner.clone()).map(|owner| view! {
                    <span class="avatar" title=owner.clone() aria-hidden="true">{crate::widgets::initials(&owner)}</span>
                    <span class="owner-name">{owner}</span>
                })}
            </span>
            <span class="row-detail col-contact" role="cell" data-testid="party-last-contact">
                {move || line.with(|l| l.last_contact.clone()).unwrap_or_else(|| "—".to_owned())}
            </span>
        </div>
    }
}

/// Quick add: a name is enough to start a record. The field clears only once the record is durable.
#[component]
fn NewParty() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let name = RwSignal::new(String::new());
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
    let saving = crate::widgets::Save::new(move |text: String| async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        let id = PartyId::generate(&mut BrowserIds);
        let party = Party { name: text, created_at: local::now(), ..Party::default() };
        match local::create(&shared, id, party).await {
            Ok(()) => {
                name.set(String::new());
                confirmed.set(None);
            }
            Err(error) => ctx.report(&error),
        }
    });
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = name.get_untracked().trim().to_owned();
        if text.is_empty() || saving.pending_untracked() {
            return;
        }
        if existing.get_untracked().is_some()
            && confirmed.get_untracked().as_deref() != Some(text.as_str())
        {
            confirmed.set(Some(text));
            return;
        }
        saving.submit(text);
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
                disabled=move || saving.pending()
            >
                {move || if existing.get().is_some() && confirmed.get() == Some(name.get().trim().to_owned()) { t_string!(i18n, parties.add_anyway) } else { t_string!(i18n, parties.add) }}
            </button>
            <a class="action subtle import-link" href="/import-export" data-testid="parties-import-link">{t!(i18n, parties.import_link)}</a>
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
