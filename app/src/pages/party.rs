//! One person or organisation: details with validation, relationship (kind, roles, where they work),
//! keep-in-touch, next steps, timeline and history; when two people changed the same field at the same
//! time, both values are shown and the user picks one.

use automerge::ScalarValue;
use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use leptos::task::spawn_local;
use leptos_i18n::td_string;
use leptos_router::hooks::use_params_map;
use rapport_core::document::{self, ConflictValue, FieldConflict, Record};
use rapport_core::history;
use rapport_core::ids::PartyId;
use rapport_core::model::{ContactPoint, Party};
use rapport_core::queries::{self, TimelineItem};

mod fields;
mod profile;

use super::Page;
use crate::local;
use crate::state::WorkspaceCtx;
use crate::sync::SyncCtx;

/// The record and its conflicts as read from its document.
#[derive(Debug, Clone, PartialEq)]
struct Loaded {
    party: Party,
    conflicts: Vec<FieldConflict>,
}

#[component]
pub(crate) fn PartyPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|id| id.parse::<PartyId>().ok())));
    let loaded = crate::state::watch_record(
        id,
        Party::doc_key,
        |doc, key| {
            let party = document::get::<_, Party>(doc, key)?;
            let conflicts = document::conflicts(doc, key)?;
            Ok(party.map(|party| Loaded { party, conflicts }))
        },
        t_string!(i18n, party.no_such),
    );

    // Colleagues see who has this record open.
    let sync = SyncCtx::use_ctx();
    Effect::new(move || sync.viewing.set(id.get().map(|id| id.to_string())));
    on_cleanup(move || sync.viewing.set(None));
    let viewers = move || id.get().map(|id| sync.viewers_of(&id.to_string())).unwrap_or_default();
    let found = Memo::new(move |_| loaded.get().and_then(Result::ok));
    let failure = move || match (id.get(), loaded.get()) {
        (None, _) => Some(t_string!(i18n, party.bad_link).to_owned()),
        (_, Some(Err(error))) => Some(error),
        _ => None,
    };
    view! {
        <Page key="party" title=move || t_string!(i18n, party.title)>
            {move || {
                let names = viewers();
                (!names.is_empty()).then(|| view! {
                    <p class="viewers" data-testid="record-viewers">
                        {names.iter().map(|name| view! {
                            <span class="avatar" title=name.clone() aria-hidden="true">{initials(name)}</span>
                        }).collect_view()}
                        <span>{t_string!(i18n, party.also_viewing, names = names.join(", ")).to_string()}</span>
                    </p>
                })
            }}
            {move || failure().map(|error| view! { <p class="error" data-testid="party-error">{error}</p> })}
            {move || {
                let into = found.with(|f| f.as_ref().and_then(|f| f.party.merged_into))?;
                let ctx = WorkspaceCtx::use_ctx();
                let name = ctx
                    .read(|ws| ws.model.parties.get(&into).map(|row| row.name.clone()))
                    .flatten()
                    .unwrap_or_else(|| t_string!(i18n, party.another).into());
                Some(view! {
                    <p class="notice" role="status">
                        {t!(i18n, party.merged_into)}
                        <a href=format!("/parties/{into}") data-testid="merged-into">{name}</a>
                        {t!(i18n, party.merged_into_after)}
                    </p>
                })
            }}
            <Show
                when=move || found.with(Option::is_some)
                fallback=move || failure().is_none().then(|| view! { <p class="hint">{t!(i18n, party.opening)}</p> })
            >
                {move || id.get_untracked().map(|id| view! { <PartyForm id found /> })}
            </Show>
        </Page>
    }
}

/// The values the form edits, as stored: name, first email, first phone, tags separated by commas.
fn form_values(party: &Party) -> (String, String, String, String) {
    (
        party.name.clone(),
        party.emails.first().map(|e| e.value.clone()).unwrap_or_default(),
        party.phones.first().map(|p| p.value.clone()).unwrap_or_default(),
        rapport_core::model::names(&party.tags).collect::<Vec<_>>().join(", "),
    )
}

/// Tags typed as "vip, moscow , vip": each once, trimmed, in the order typed.
fn parse_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    tags
}

/// Why the typed values cannot be saved, if they cannot.
fn invalid(name: &str, email: &str, phone: &str) -> Option<String> {
    use rapport_core::interchange::{is_email, is_phone};
    let locale = crate::locale::current();
    if name.is_empty() {
        Some(td_string!(locale, party.name_required).to_owned())
    } else if !email.is_empty() && !is_email(email) {
        Some(td_string!(locale, party.bad_email, email).to_string())
    } else if !phone.is_empty() && !is_phone(phone) {
        Some(td_string!(locale, party.bad_phone, phone).to_string())
    } else {
        None
    }
}

#[component]
fn PartyForm(id: PartyId, found: Memo<Option<Loaded>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let initial =
        found.with_untracked(|f| f.as_ref().map(|f| form_values(&f.party))).unwrap_or_default();
    let name = RwSignal::new(initial.0.clone());
    let email = RwSignal::new(initial.1.clone());
    let phone = RwSignal::new(initial.2.clone());
    let tags = RwSignal::new(initial.3.clone());
    // A colleague's change shows in the form at once — except in a field this user is typing in, which
    // keeps what they typed.
    let stored = StoredValue::new(initial);
    Effect::new(move || {
        let Some(now) = found.with(|f| f.as_ref().map(|f| form_values(&f.party))) else { return };
        stored.update_value(|before| {
            for (field, old, new) in [
                (name, &before.0, &now.0),
                (email, &before.1, &now.1),
                (phone, &before.2, &now.2),
                (tags, &before.3, &now.3),
            ] {
                if field.get_untracked() == *old && old != new {
                    field.set(new.clone());
                }
            }
            *before = now;
        });
    });
    // Typed but not saved: an update waits, and closing the tab asks first.
    let dirty = Signal::derive(move || {
        found.with(|f| f.as_ref().map(|f| form_values(&f.party))).is_some_and(|s| {
            name.with(|n| n.trim() != s.0)
                || email.with(|e| e.trim() != s.1)
                || phone.with(|p| p.trim() != s.2)
                || tags.with(|t| parse_tags(t).join(", ") != s.3)
        })
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let saving = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some(shared) = ctx.shared() else { return };
        let (new_name, new_email, new_phone) = (
            name.get_untracked().trim().to_owned(),
            email.get_untracked().trim().to_owned(),
            phone.get_untracked().trim().to_owned(),
        );
        if let Some(why) = invalid(&new_name, &new_email, &new_phone) {
            error.set(Some(why));
            return;
        }
        let new_tags = parse_tags(&tags.get_untracked());
        saving.set(true);
        spawn_local(async move {
            let result = local::update(&shared, id, move |party: &mut Party| {
                party.name = new_name;
                set_first(&mut party.emails, new_email, "work");
                set_first(&mut party.phones, new_phone, "mobile");
                // Removed tags leave the set; kept and added ones are present (a set merges).
                party.tags.retain(|tag, _| new_tags.contains(tag));
                for tag in new_tags {
                    party.tags.insert(tag, true);
                }
            })
            .await;
            ctx.settle(result, error);
            saving.set(false);
        });
    };
    let unsynced = move || ctx.read(|ws| ws.is_unsynced(&id.to_string())).unwrap_or(false);
    let sync = SyncCtx::use_ctx();
    let read_only = move || !sync.can_edit();
    let conflicts =
        move || found.with(|f| f.as_ref().map(|f| f.conflicts.clone())).unwrap_or_default();
    view! {
        <Show when=unsynced>
            <p class="badge badge-unsynced" data-testid="record-unsynced">{t!(i18n, party.unsynced)}</p>
        </Show>
        {move || {
            let conflicts = conflicts();
            (!conflicts.is_empty() && !read_only()).then(|| view! { <Conflicts id conflicts /> })
        }}
        // `novalidate`: the form checks email and phone itself and says why in the page's words.
        <form class="record-form" on:submit=save data-testid="party-form" novalidate>
            <label>
                {t!(i18n, party.name)}
                <input type="text" required data-testid="party-name" readonly=read_only prop:value=move || name.get()
                    on:input=move |e| name.set(event_target_value(&e)) />
            </label>
            <label>
                {t!(i18n, party.email)}
                <input type="email" data-testid="party-email" readonly=read_only prop:value=move || email.get()
                    on:input=move |e| email.set(event_target_value(&e)) />
            </label>
            <label>
                {t!(i18n, party.phone)}
                <input type="tel" data-testid="party-phone" readonly=read_only prop:value=move || phone.get()
                    on:input=move |e| phone.set(event_target_value(&e)) />
            </label>
            <label>
                {t!(i18n, party.tags)}
                <input type="text" data-testid="party-tags" readonly=read_only placeholder="vip, moscow"
                    prop:value=move || tags.get() on:input=move |e| tags.set(event_target_value(&e)) />
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="party-form-error">{e}</p> })}
            <Show
                when=move || !read_only()
                fallback=move || view! { <p class="hint" data-testid="view-only-hint">{t!(i18n, party.view_only)}</p> }
            >
                <button type="submit" data-testid="save-party" disabled=move || saving.get()>
                    {move || if saving.get() { t_string!(i18n, party.saving) } else { t_string!(i18n, party.save) }}
                </button>
            </Show>
        </form>
        <nav class="record-actions" aria-label=move || t_string!(i18n, party.actions)>
            {move || found.with(|f| f.as_ref().map(|f| form_values(&f.party))).map(|(_, email, phone, _)| view! {
                {(!phone.is_empty()).then(|| view! {
                    <a class="action" href=format!("tel:{}", phone.replace(' ', "")) data-testid="call-link">{t!(i18n, party.call)}</a>
                })}
                {(!email.is_empty()).then(|| view! {
                    <a class="action" href=format!("mailto:{email}") data-testid="email-link">{t!(i18n, party.email_action)}</a>
                })}
            })}
            <Show when=move || !read_only()>
                <a class="action" href=format!("/log/visit?party={id}") data-testid="log-visit-link">{t!(i18n, party.log_visit)}</a>
                <a class="action" href=format!("/log/call?party={id}") data-testid="log-call-link">{t!(i18n, party.log_call)}</a>
            </Show>
        </nav>
        <profile::Profile id />
        <fields::CustomFieldValues id found />
        <KeepInTouch id />
        <NextSteps id />
        <Timeline id />
        <RecordHistory id />
    }
}

/// How often to be in touch; Today lists the party once that long has passed since the last interaction.
const CADENCES: [Option<u32>; 6] = [None, Some(7), Some(14), Some(30), Some(90), Some(365)];

fn cadence_label(
    i18n: leptos_i18n::I18nContext<crate::i18n::Locale>,
    days: Option<u32>,
) -> &'static str {
    match days {
        None => t_string!(i18n, party.cadence_none),
        Some(7) => t_string!(i18n, party.cadence_week),
        Some(14) => t_string!(i18n, party.cadence_2weeks),
        Some(30) => t_string!(i18n, party.cadence_month),
        Some(90) => t_string!(i18n, party.cadence_quarter),
        _ => t_string!(i18n, party.cadence_year),
    }
}

/// The keep-in-touch cadence: chosen here, saved at once, with when the next contact is due.
#[component]
fn KeepInTouch(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let sync = SyncCtx::use_ctx();
    let state = Memo::new(move |_| {
        ctx.read(|ws| {
            let row = ws.model.parties.get(&id)?;
            let days = row.keep_in_touch_days?;
            let since = ws.model.last_contact_of(id).unwrap_or(row.created_at);
            Some((days, rapport_core::ids::Timestamp(since.0 + i64::from(days) * 86_400_000)))
        })
        .flatten()
    });
    let choose = move |e: leptos::ev::Event| {
        let days = event_target_value(&e).parse::<u32>().ok();
        profile::save(ctx, id, move |party| party.keep_in_touch_days = days);
    };
    view! {
        <section class="panel keep-in-touch" aria-labelledby="keep-in-touch-title">
            <h2 id="keep-in-touch-title">{t!(i18n, party.keep_in_touch)}</h2>
            <select
                data-testid="keep-in-touch"
                aria-label=move || t_string!(i18n, party.keep_in_touch_label)
                disabled=move || !sync.can_edit()
                on:change=choose
            >
                {CADENCES.iter().map(|days| {
                    let value = days.map(|d| d.to_string()).unwrap_or_default();
                    let days = *days;
                    view! {
                        <option value=value selected=move || state.get().map(|(d, _)| d) == days>{move || cadence_label(i18n, days)}</option>
                    }
                }).collect_view()}
            </select>
            {move || state.get().map(|(_, due)| {
                let overdue = due <= local::now();
                let text = if overdue {
                    t_string!(i18n, party.contact_was_due, date = crate::widgets::local_date(due)).to_string()
                } else {
                    t_string!(i18n, party.next_contact, date = crate::widgets::local_date(due)).to_string()
                };
                view! { <p class="hint" class:overdue=overdue data-testid="keep-in-touch-due">{text}</p> }
            })}
        </section>
    }
}

/// What is to be done about this party: its open tasks, and a field to add the next one.
#[component]
fn NextSteps(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let sync = SyncCtx::use_ctx();
    let steps =
        Memo::new(move |_| ctx.read(|ws| super::tasks::next_steps(ws, id)).unwrap_or_default());
    view! {
        <section class="panel" aria-labelledby="next-steps-title" data-testid="next-steps">
            <h2 id="next-steps-title">{t!(i18n, party.next_steps)}</h2>
            <Show when=move || sync.can_edit()>
                <super::tasks::NewTask about=Some(id) />
            </Show>
            {move || {
                let steps = steps.get();
                if steps.is_empty() {
                    view! { <p class="hint">{t!(i18n, party.no_open_task)}</p> }.into_any()
                } else {
                    view! { <super::tasks::TaskList lines=steps /> }.into_any()
                }
            }}
        </section>
    }
}

/// Everything with this party, newest first: calls, meetings and visits, tasks and deals.
#[component]
fn Timeline(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let items = move || {
        ctx.read(|ws| {
            let mut items = queries::timeline(&ws.model, id);
            items.truncate(50);
            items
                .into_iter()
                .map(|(at, item)| {
                    let (kind, text) = match item {
                        TimelineItem::Interaction(row) => {
                            (super::log::label(row.kind()).to_owned(), row.summary.clone())
                        }
                        TimelineItem::Task(row) => {
                            let state = if row.done_at.is_some() {
                                t_string!(i18n, party.task_done)
                            } else {
                                t_string!(i18n, party.task)
                            };
                            (state.to_owned(), row.title.clone())
                        }
                        TimelineItem::Deal(row) => {
                            let amount = crate::widgets::money(row.amount_minor, &row.currency);
                            (
                                t_string!(i18n, party.deal).to_owned(),
                                format!("{} · {amount}", row.title),
                            )
                        }
                    };
                    (at, kind, text)
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    };
    view! {
        <section class="panel" aria-labelledby="timeline-title" data-testid="timeline">
            <h2 id="timeline-title">{t!(i18n, party.timeline)}</h2>
            {move || {
                let items = items();
                if items.is_empty() {
                    view! { <p class="hint">{t!(i18n, party.nothing_logged)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="rows">
                            {items.into_iter().map(|(at, kind, text)| view! {
                                <li class="row" data-testid="timeline-item">
                                    <span class="row-title">{kind}</span>
                                    <span class="row-detail">{text}</span>
                                    <time class="row-detail">{super::local_date_time(at)}</time>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// One field change as the history panel lists it.
#[derive(Debug, Clone, PartialEq)]
struct HistoryLine {
    field: String,
    text: String,
    when: String,
    /// The old value and the document's heads before the change, when restoring it would change the
    /// field (it differs from the value now).
    restore: Option<(String, Vec<automerge::ChangeHash>)>,
}

/// Every change to this record's fields, newest first, with who and when; an earlier value can be put
/// back. Read only while open (it walks the document's whole history).
#[component]
fn RecordHistory(id: PartyId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let sync = SyncCtx::use_ctx();
    let open = RwSignal::new(false);
    let lines = RwSignal::new(None::<Result<Vec<HistoryLine>, String>>);
    let panel = NodeRef::<leptos::html::Details>::new();
    Effect::new(move || {
        ctx.read(|_| ());
        if !open.get() {
            return;
        }
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let key = id.to_string();
            let names = Names::of(&shared.borrow());
            let read = local::with_document(&shared, Party::doc_key(&id), |doc| {
                history::field_history(doc, &key)
            })
            .await;
            lines.set(Some(
                read.map(|changes| history_lines(changes, &names)).map_err(|e| e.to_string()),
            ));
        });
    });
    // "As it was on": the record at the end of a chosen day.
    let day = RwSignal::new(String::new());
    let then = RwSignal::new(None::<Result<Option<(String, String, String, String)>, String>>);
    Effect::new(move || {
        ctx.read(|_| ());
        let Some(start) = crate::widgets::parse_date_input(&day.get()) else {
            then.set(None);
            return;
        };
        let Some(shared) = ctx.shared() else { return };
        // The end of that local day (a day is 24 h but for daylight-saving changes; close enough).
        let end = rapport_core::ids::Timestamp(start.0 + 86_400_000 - 1);
        spawn_local(async move {
            let key = id.to_string();
            let read = local::with_document(&shared, Party::doc_key(&id), |doc| {
                let old = history::as_of(doc, end).map_err(|e| e.to_string())?;
                let party = document::get::<_, Party>(&old, &key).map_err(|e| e.to_string())?;
                Ok::<_, String>(party.as_ref().map(form_values))
            })
            .await;
            then.set(Some(read.map_err(|e| e.to_string()).and_then(|r| r)));
        });
    });
    let restore = move |field: String, before: Vec<automerge::ChangeHash>| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let key = id.to_string();
            let records = [key.clone()];
            let result = local::write(&shared, Party::doc_key(&id), &records, |doc| {
                history::restore_field(doc, &key, &field, &before)
                    .map(|_| ())
                    .map_err(|error| local::LocalError::Document(Box::new(error).into()))
            })
            .await;
            match result {
                Ok(()) => ctx.changed(),
                Err(error) => ctx.report(&error),
            }
        });
    };
    view! {
        <details
            class="panel history"
            data-testid="record-history"
            node_ref=panel
            on:toggle=move |_| open.set(panel.get_untracked().is_some_and(|p| p.open()))
        >
            <summary data-testid="history-open">{t!(i18n, party.history)}</summary>
            <label class="as-of">
                {t!(i18n, party.as_of)}
                <input type="date" data-testid="as-of-date" prop:value=move || day.get()
                    on:input=move |e| day.set(event_target_value(&e)) />
            </label>
            {move || then.get().map(|then| match then {
                Ok(Some((name, email, phone, tags))) => view! {
                    <dl class="facts" data-testid="as-of">
                        <dt>{t!(i18n, party.name)}</dt><dd data-testid="as-of-name">{name}</dd>
                        <dt>{t!(i18n, party.email)}</dt><dd>{email}</dd>
                        <dt>{t!(i18n, party.phone)}</dt><dd>{phone}</dd>
                        <dt>{t!(i18n, party.tags)}</dt><dd>{tags}</dd>
                    </dl>
                }.into_any(),
                Ok(None) => view! { <p class="hint" data-testid="as-of">{t!(i18n, party.not_yet)}</p> }.into_any(),
                Err(error) => view! { <p class="error">{error}</p> }.into_any(),
            })}
            {move || match lines.get() {
                None => view! { <p class="hint">{t!(i18n, party.reading)}</p> }.into_any(),
                Some(Err(error)) => view! { <p class="error">{error}</p> }.into_any(),
                Some(Ok(lines)) => view! {
                    <ul class="rows">
                        {lines.into_iter().map(|line| {
                            let restore_button = line.restore.clone().filter(|_| sync.can_edit()).map(|(old, before)| {
                                let field = line.field.clone();
                                view! {
                                    <button
                                        type="button"
                                        class="restore"
                                        data-testid="history-restore"
                                        on:click=move |_| restore(field.clone(), before.clone())
                                    >
                                        {t_string!(i18n, party.restore, value = old).to_string()}
                                    </button>
                                }
                            });
                            view! {
                                <li class="row" data-testid="history-line" data-field=line.field.clone()>
                                    <span class="row-title">{line.text}</span>
                                    <span class="row-detail">{line.when}</span>
                                    {restore_button}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </details>
    }
}

/// What the history needs to name things: members, parties and custom fields by id.
struct Names {
    members: std::collections::BTreeMap<String, rapport_core::model::Member>,
    parties: std::collections::HashMap<PartyId, String>,
    custom: std::collections::BTreeMap<String, String>,
}

impl Names {
    fn of(ws: &local::LocalWorkspace) -> Names {
        Names {
            members: ws.settings.members.clone(),
            parties: ws.model.parties.iter().map(|(id, row)| (*id, row.name.clone())).collect(),
            custom: ws
                .settings
                .custom_fields
                .iter()
                .map(|(id, f)| (id.clone(), f.label.clone()))
                .collect(),
        }
    }
}

/// A field's value in people's words: "zoe@example.com, +49 30 1234", "Customer · Supplier", "Anna
/// Berg", "Every month", "Works at Nordwind GmbH (CFO)" — never labels, ids or enum names.
fn said(value: &history::PartyValue, names: &Names) -> String {
    use history::PartyValue;
    let locale = crate::locale::current();
    let text = match value {
        PartyValue::Empty => return td_string!(locale, party.empty).to_owned(),
        PartyValue::Text(text) => text.clone(),
        PartyValue::Values(values) => values.join(", "),
        PartyValue::Roles(keys) => keys
            .iter()
            .map(|key| {
                rapport_core::model::Role::from_key(key)
                    .map_or_else(|| key.clone(), |role| crate::widgets::role_name(role).to_owned())
            })
            .collect::<Vec<_>>()
            .join(" · "),
        PartyValue::Kind(rapport_core::model::PartyKind::Person) => {
            td_string!(locale, profile.person).to_owned()
        }
        PartyValue::Kind(rapport_core::model::PartyKind::Organisation) => {
            td_string!(locale, profile.organisation).to_owned()
        }
        PartyValue::Member(member) => names.members.get(&member.to_string()).map_or_else(
            || td_string!(locale, party.former_member).to_owned(),
            |m| m.display_name.clone(),
        ),
        PartyValue::Days(days) => match days {
            7 => td_string!(locale, party.cadence_week),
            14 => td_string!(locale, party.cadence_2weeks),
            30 => td_string!(locale, party.cadence_month),
            90 => td_string!(locale, party.cadence_quarter),
            365 => td_string!(locale, party.cadence_year),
            _ => return td_string!(locale, party.every_days, days).to_string(),
        }
        .to_owned(),
        PartyValue::Relations(links) => links
            .iter()
            .map(|(kind, party, title)| {
                let name = names
                    .parties
                    .get(party)
                    .cloned()
                    .unwrap_or_else(|| td_string!(locale, party.another).to_owned());
                let kind = match kind.as_str() {
                    "WorksAt" => td_string!(locale, profile.works_at).to_owned(),
                    _ => td_string!(locale, party.linked_to).to_owned(),
                };
                if title.is_empty() {
                    format!("{kind} {name}")
                } else {
                    format!("{kind} {name} ({title})")
                }
            })
            .collect::<Vec<_>>()
            .join("; "),
        PartyValue::Custom(values) => values
            .iter()
            .map(|(id, value)| {
                format!("{}: {value}", names.custom.get(id).cloned().unwrap_or_else(|| id.clone()))
            })
            .collect::<Vec<_>>()
            .join("; "),
        PartyValue::Consent(answers) => answers
            .iter()
            .map(|(question, yes)| {
                let question = match question.as_str() {
                    "email_marketing" => td_string!(locale, party.consent_email),
                    "phone_calls" => td_string!(locale, party.consent_calls),
                    _ => td_string!(locale, party.consent_data),
                };
                let answer =
                    if *yes { td_string!(locale, party.yes) } else { td_string!(locale, party.no) };
                format!("{question}: {answer}")
            })
            .collect::<Vec<_>>()
            .join("; "),
    };
    shorten(&text)
}

/// The record's field changes as lines, newest first, in people's words ("Email changed from … to …").
/// Bookkeeping fields are left out.
fn history_lines(changes: Vec<history::FieldChange>, names: &Names) -> Vec<HistoryLine> {
    let locale = crate::locale::current();
    let mut current: std::collections::HashMap<String, Option<String>> =
        std::collections::HashMap::new();
    for change in &changes {
        current.insert(change.field.clone(), change.new.clone());
    }
    changes
        .into_iter()
        .rev()
        .filter(|change| {
            !matches!(change.field.as_str(), "created_at" | "archived" | "merged_into")
        })
        .take(100)
        .map(|change| {
            let label = field_label(&change.field);
            let old = history::party_value(&change.field, change.old_value.as_ref());
            let new = history::party_value(&change.field, change.new_value.as_ref());
            let text = match (&old, &new) {
                (history::PartyValue::Empty, _) => {
                    td_string!(locale, party.set_to, label, value = said(&new, names)).to_string()
                }
                (_, history::PartyValue::Empty) => {
                    td_string!(locale, party.cleared, label, old = said(&old, names)).to_string()
                }
                _ => td_string!(
                    locale,
                    party.changed,
                    label,
                    old = said(&old, names),
                    new = said(&new, names)
                )
                .to_string(),
            };
            let who = change
                .by
                .and_then(|m| names.members.get(&m.to_string()))
                .map(|m| format!(" · {}", m.display_name))
                .unwrap_or_default();
            let now = current.get(&change.field).cloned().flatten();
            let restore = change
                .old
                .clone()
                .filter(|old| Some(old) != now.as_ref())
                .map(|_| (said(&old, names), change.before.clone()));
            HistoryLine {
                field: change.field,
                text,
                when: format!("{}{who}", super::local_date_time(change.at)),
                restore,
            }
        })
        .collect()
}

/// A field's name in the screens' language (the history and conflict panels).
pub(super) fn field_label(field: &str) -> String {
    let locale = crate::locale::current();
    match field {
        "name" => td_string!(locale, party.name),
        "given_name" => td_string!(locale, party.f_given_name),
        "family_name" => td_string!(locale, party.f_family_name),
        "emails" => td_string!(locale, party.email),
        "phones" => td_string!(locale, party.phone),
        "addresses" => td_string!(locale, party.f_address),
        "links" => td_string!(locale, party.f_links),
        "tags" => td_string!(locale, party.tags),
        "roles" => td_string!(locale, party.f_roles),
        "notes" => td_string!(locale, party.f_notes),
        "kind" => td_string!(locale, party.f_kind),
        "owner" => td_string!(locale, party.f_owner),
        "keep_in_touch_days" => td_string!(locale, party.f_keep_in_touch),
        "relations" => td_string!(locale, party.f_relations),
        "custom" => td_string!(locale, party.f_custom),
        "consent" => td_string!(locale, party.f_consent),
        other => other,
    }
    .to_owned()
}

/// At most 60 characters of a value, for a line of the history.
fn shorten(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Fields two people changed at the same time: every value, and a button to keep each.
#[component]
fn Conflicts(id: PartyId, conflicts: Vec<FieldConflict>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let choose = move |field: String, value: ScalarValue| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let key = id.to_string();
            let records = [key.clone()];
            let result = local::write(&shared, Party::doc_key(&id), &records, |doc| {
                Ok(document::resolve(doc, &key, &field, value)?)
            })
            .await;
            match result {
                Ok(()) => ctx.changed(),
                Err(error) => ctx.report(&error),
            }
        });
    };
    view! {
        <section class="panel conflicts" data-testid="conflicts" aria-label=move || t_string!(i18n, party.conflicts)>
            <h2>{t!(i18n, party.conflicts)}</h2>
            {conflicts.into_iter().map(|conflict| {
                let field = conflict.field.clone();
                view! {
                    <div class="conflict" data-testid="conflict" data-field=field.clone()>
                        <p>{t_string!(i18n, party.keep_which, field = field_label(&conflict.field)).to_string()}</p>
                        {conflict.values.into_iter().filter_map(|value| match value {
                            ConflictValue::Scalar(scalar) => Some(scalar),
                            ConflictValue::Object(_) => None,
                        }).map(|scalar| {
                            let label = match &scalar {
                                ScalarValue::Str(text) => text.to_string(),
                                other => other.to_string(),
                            };
                            let field = field.clone();
                            view! {
                                <button type="button" data-testid="conflict-choice"
                                    on:click=move |_| choose(field.clone(), scalar.clone())>
                                    {label}
                                </button>
                            }
                        }).collect_view()}
                    </div>
                }
            }).collect_view()}
        </section>
    }
}

/// Sets the first contact point of a list to `value` (removing it when empty), keeping the others.
fn set_first(points: &mut Vec<ContactPoint>, value: String, label: &str) {
    match (points.first_mut(), value.is_empty()) {
        (Some(_), true) => {
            points.remove(0);
        }
        (Some(first), false) => first.value = value,
        (None, false) => points.push(ContactPoint { label: label.into(), value }),
        (None, true) => {}
    }
}

/// Up to two initials for an avatar.
fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|word| word.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}
