use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::PartyId;
use rapport_core::model::Party;
use rapport_core::queries::{self, PartyFilter, PartySort};

use super::{EmptyState, Page};
use crate::local::{self, BrowserIds};
use crate::state::{Status, WorkspaceCtx};
use crate::timing::{self, Span};

/// Rows rendered at once; the full virtualised list comes with the CRM screens.
const SHOWN: usize = 100;

#[component]
pub(crate) fn Parties() -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let query = RwSignal::new(String::new());
    let sync = crate::sync::SyncCtx::use_ctx();
    let rows = Memo::new(move |_| {
        let filter = PartyFilter { query: query.get(), ..PartyFilter::default() };
        let span = Span::start("rapport:search");
        let found = ctx.read(|ws| {
            let (total, found) = queries::parties_page(&ws.model, &filter, PartySort::Name, SHOWN);
            let shown: Vec<(PartyId, String, String, bool)> = found
                .into_iter()
                .map(|row| {
                    let unsynced = !ws.unsynced.is_empty() && ws.is_unsynced(&row.id.to_string());
                    (
                        row.id,
                        row.name.clone(),
                        row.emails.first().cloned().unwrap_or_default(),
                        unsynced,
                    )
                })
                .collect();
            (total, shown)
        });
        span.end();
        found.unwrap_or_default()
    });
    // The first time the list shows people: "open the app to the first rendered list" in BENCHMARKS.md.
    // Effects run after the DOM was updated.
    Effect::new(move || {
        if rows.with(|(total, _)| *total > 0) {
            timing::mark_once("rapport:list-rendered");
        }
    });

    view! {
        <Page key="parties" title="People">
            <input
                class="search"
                type="search"
                placeholder="Search names, emails, phones, tags"
                aria-label="Search people and organisations"
                data-testid="party-search"
                prop:value=move || query.get()
                on:input=move |event| query.set(event_target_value(&event))
            />
            <Show when=move || sync.can_edit()>
                <NewParty />
                <a class="action subtle" href="/import-export" data-testid="parties-import-link">"Import from CSV or vCard"</a>
            </Show>
            <p class="count" data-testid="party-count">
                {move || {
                    let searching = !query.with(|q| q.trim().is_empty());
                    let index_pending = ctx.read(|ws| ws.model.search_pending).unwrap_or(true);
                    match ctx.status.get() {
                        Status::Opening => "Opening…".to_owned(),
                        _ if searching && index_pending => "Preparing search…".to_owned(),
                        _ => format!("{} found", rows.get().0),
                    }
                }}
            </p>
            <Show
                when=move || rows.with(|(total, _)| *total > 0)
                fallback=move || (ctx.status.get() != Status::Opening).then(|| view! { <EmptyState title="No people or organisations yet" hint="Customers, prospects, suppliers, investors and colleagues — all in one list." /> })
            >
                <ul class="rows" data-testid="party-list">
                    <For each=move || rows.get().1 key=|row| row.clone() let:row>
                        <li class="row" data-testid="party-row">
                            <a class="row-link" href=format!("/parties/{}", row.0)>
                                <span class="row-title">{row.1}</span>
                                <span class="row-detail">{row.2}</span>
                            </a>
                            {row.3.then(|| view! {
                                <span class="badge badge-unsynced" data-testid="row-unsynced" title="Not yet on the relay">"●"</span>
                            })}
                        </li>
                    </For>
                </ul>
            </Show>
        </Page>
    }
}

/// Quick add: a name is enough to start a record. The field clears only once the record is durable.
#[component]
fn NewParty() -> impl IntoView {
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
                placeholder="New person or organisation"
                aria-label="Name of a new person or organisation"
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
                {move || if existing.get().is_some() && confirmed.get() == Some(name.get().trim().to_owned()) { "Add anyway" } else { "Add" }}
            </button>
        </form>
        {move || existing.get().map(|(id, existing_name)| view! {
            <p class="hint duplicate" role="status" data-testid="duplicate-warning">
                "Already in Rapport: "
                <a href=format!("/parties/{id}") data-testid="duplicate-link">{existing_name}</a>
                {move || (confirmed.get() == Some(name.get().trim().to_owned())).then_some(" — press Add anyway to create a second record.")}
            </p>
        })}
    }
}
