//! Ticket statuses: the four built in (open, waiting on customer, resolved, closed) renamed or moved,
//! and the workspace's own added in a category — open, paused (the clocks stop), resolved or closed.
//! A status tickets are in is not removed, and a removed one is retired — no longer offered, kept for
//! the past of the tickets that went through it; a category changes only until a ticket went through
//! the status, so no past deadline moves (`rapport_core::service::status_edits`).

use leptos::prelude::*;
use rapport_core::read_model::{Changed, TicketEventKind};
use rapport_core::service::{StatusRefused, Statuses, status_edits};
use rapport_core::sla::StatusCategory;

use super::service_panel::edit;
use crate::i18n::{t, t_string, use_i18n};
use crate::local::BrowserIds;
use crate::pages::tickets::{names_a_built_in_status, status_name};
use crate::state::WorkspaceCtx;

const CATEGORIES: [StatusCategory; 4] = [
    StatusCategory::Open,
    StatusCategory::Paused,
    StatusCategory::Resolved,
    StatusCategory::Closed,
];

fn category_key(category: StatusCategory) -> &'static str {
    match category {
        StatusCategory::Open => "open",
        StatusCategory::Paused => "paused",
        StatusCategory::Resolved => "resolved",
        StatusCategory::Closed => "closed",
    }
}

fn category_of(key: &str) -> Option<StatusCategory> {
    CATEGORIES.into_iter().find(|category| category_key(*category) == key)
}

fn category_name(category: StatusCategory) -> &'static str {
    let locale = crate::locale::current();
    match category {
        StatusCategory::Open => leptos_i18n::td_string!(locale, service.category_open),
        StatusCategory::Paused => leptos_i18n::td_string!(locale, service.category_paused),
        StatusCategory::Resolved => leptos_i18n::td_string!(locale, service.category_resolved),
        StatusCategory::Closed => leptos_i18n::td_string!(locale, service.category_closed),
    }
}

fn refusal(why: StatusRefused) -> String {
    let locale = crate::locale::current();
    match why {
        StatusRefused::NoName => leptos_i18n::td_string!(locale, service.status_name_needed).into(),
        StatusRefused::NameTaken(name) => {
            leptos_i18n::td_string!(locale, service.status_name_taken, name = name).to_string()
        }
        StatusRefused::BuiltIn => leptos_i18n::td_string!(locale, service.status_built_in).into(),
        StatusRefused::InUse(count) => {
            leptos_i18n::td_string!(locale, service.status_in_use, count = count).to_string()
        }
        StatusRefused::HasPast => leptos_i18n::td_string!(locale, service.status_has_past).into(),
        StatusRefused::Unknown => String::new(),
    }
}

/// A change to the statuses, refused with the reason.
type StatusChange =
    Box<dyn FnOnce(&mut rapport_core::model::WorkspaceSettings) -> Result<(), StatusRefused>>;

/// A status as the editor lists it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Line {
    key: String,
    name: String,
    category: StatusCategory,
    fixed: bool,
}

#[component]
pub(super) fn TicketStatuses(
    error: RwSignal<Option<String>>,
    read_only: Signal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let lines = Memo::new(move |_| {
        ctx.read_of(Changed::SETTINGS, |ws| {
            let statuses = Statuses::of(&ws.settings);
            statuses
                .choosable()
                .map(|status| Line {
                    key: status.key.clone(),
                    name: status_name(&statuses, &status.key),
                    category: status.category,
                    fixed: rapport_core::service::is_built_in(&status.key),
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    });
    let change = move |change: StatusChange| {
        edit(ctx, error, move |settings| change(settings).map_err(refusal));
    };
    // The built-in statuses written down once, on their own, before anyone edits them
    // (`status_edits::settle_built_ins`) — once this device holds what the relay holds and knows
    // its role (a viewer's change would be refused).
    let sync = crate::sync::SyncCtx::use_ctx();
    Effect::new(move || {
        if sync.status.get() != crate::sync::SyncStatus::Synced {
            return;
        }
        let unsettled = ctx
            .read_of(Changed::SETTINGS, |ws| {
                rapport_core::service::BUILT_IN_STATUSES
                    .iter()
                    .any(|(key, _, _)| !ws.settings.ticket_statuses.contains_key(*key))
            })
            .unwrap_or(false);
        if unsettled && !read_only.get() {
            edit(ctx, error, |settings| {
                status_edits::settle_built_ins(settings);
                Ok(())
            });
        }
    });
    let new_name = RwSignal::new(String::new());
    let new_category = RwSignal::new(StatusCategory::Paused);
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let name = new_name.get_untracked();
        let category = new_category.get_untracked();
        let key = rapport_core::ids::StatusId::generate(&mut BrowserIds).to_string();
        new_name.set(String::new());
        change(Box::new(move |settings| {
            if names_a_built_in_status(&Statuses::of(settings), &key, &name) {
                return Err(StatusRefused::NameTaken(name.trim().to_owned()));
            }
            status_edits::add(settings, &key, &name, category)
        }));
    };
    let rows = move || {
        let all = lines.get();
        let count = all.len();
        all.into_iter().enumerate().map(|(index, line)| {
            let key = StoredValue::new(line.key.clone());
            let rename = move |e: leptos::ev::Event| {
                let name = event_target_value(&e);
                change(Box::new(move |settings| {
                    let key = key.get_value();
                    if names_a_built_in_status(&Statuses::of(settings), &key, &name) {
                        return Err(StatusRefused::NameTaken(name.trim().to_owned()));
                    }
                    status_edits::rename(settings, &key, &name)
                }));
            };
            // Whether a ticket on this device went through it: its past reads the category.
            let in_past = move || {
                ctx.read(|ws| {
                    let key = key.get_value();
                    ws.model.tickets.values().any(|row| row.events.iter().any(|event| {
                        matches!(&event.kind, TicketEventKind::Status(status) if *status == key)
                    }))
                }).unwrap_or(true)
            };
            let recategorise = move |e: leptos::ev::Event| {
                let Some(category) = category_of(&event_target_value(&e)) else { return };
                let past = in_past();
                change(Box::new(move |settings| status_edits::set_category(settings, &key.get_value(), category, past)));
            };
            let shift = move |by: isize| {
                change(Box::new(move |settings| status_edits::shift(settings, &key.get_value(), by)));
            };
            let remove = move |_| {
                // Tickets in it now, as far as this device knows.
                let now = ctx.read(|ws| {
                    let key = key.get_value();
                    ws.model.tickets.values().filter(|row| row.status == key).count()
                }).unwrap_or(0);
                change(Box::new(move |settings| status_edits::remove(settings, &key.get_value(), now)));
            };
            let current = line.category;
            view! {
                <li class="ordered-row" data-testid="status" data-key=line.key.clone() data-name=line.name.clone()>
                    <input type="text" data-testid="status-name" aria-label=move || t_string!(i18n, service.status_name)
                        prop:value=line.name.clone() readonly=move || read_only.get() on:change=rename />
                    <select data-testid="status-category" aria-label=move || t_string!(i18n, service.status_category)
                        disabled=move || read_only.get() || line.fixed on:change=recategorise>
                        {CATEGORIES.into_iter().map(|category| view! {
                            <option value=category_key(category) selected=category == current>{category_name(category)}</option>
                        }).collect_view()}
                    </select>
                    <Show when=move || !read_only.get()>
                        <button type="button" class="subtle" data-testid="status-up" aria-label=move || t_string!(i18n, pipelines.earlier)
                            disabled=index == 0 on:click=move |_| shift(-1)>"↑"</button>
                        <button type="button" class="subtle" data-testid="status-down" aria-label=move || t_string!(i18n, pipelines.later)
                            disabled=index + 1 == count on:click=move |_| shift(1)>"↓"</button>
                        <Show when=move || !line.fixed>
                            <button type="button" class="subtle" data-testid="status-remove" on:click=remove>{t!(i18n, pipelines.remove)}</button>
                        </Show>
                    </Show>
                </li>
            }
        }).collect_view()
    };
    view! {
        <h3>{t!(i18n, service.statuses)}</h3>
        <p class="hint">{t!(i18n, service.statuses_hint)}</p>
        <ol class="ordered-edit" data-testid="statuses">{rows}</ol>
        <Show when=move || !read_only.get()>
            <form class="ordered-row" on:submit=add>
                <input type="text" data-testid="new-status-name" placeholder=move || t_string!(i18n, service.new_status)
                    aria-label=move || t_string!(i18n, service.new_status)
                    prop:value=move || new_name.get() on:input=move |e| new_name.set(event_target_value(&e)) />
                <select data-testid="new-status-category" aria-label=move || t_string!(i18n, service.status_category)
                    on:change=move |e| if let Some(category) = category_of(&event_target_value(&e)) { new_category.set(category) }>
                    {CATEGORIES.into_iter().map(|category| view! {
                        <option value=category_key(category) selected=move || new_category.get() == category>{category_name(category)}</option>
                    }).collect_view()}
                </select>
                <button type="submit" data-testid="add-status">{t!(i18n, service.add_status)}</button>
            </form>
        </Show>
    }
}
