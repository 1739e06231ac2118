//! One investor-relations event — an earnings call, a roadshow, an investor day: what and when, who
//! was invited and who came, and the follow-up with each who came as a task of its own, whose id
//! derives from the event and the person (`rapport_core::investor::follow_up_task`), so planning
//! the follow-ups twice, or on two devices, makes one task each.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::{EventId, PartyId};
use rapport_core::investor;
use rapport_core::model::{Attendance, EventKind, InvestorEvent, RecordRef, Task};
use rapport_core::read_model::Changed;

use super::Page;
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::{RecordRoute, WorkspaceCtx};
use crate::widgets::{self, PartyPicker};

#[component]
pub(crate) fn InvestorEventPage() -> impl IntoView {
    let i18n = use_i18n();
    let bad_link = move || t_string!(i18n, investor.bad_link).to_owned();
    let route =
        RecordRoute::<InvestorEvent>::new(t_string!(i18n, investor.no_such_event), bad_link);
    let RecordRoute { id, record: event, failure, .. } = route;
    view! {
        <Page key="investor-event" title=move || event.with(|e| e.as_ref().map(|e| e.title.clone())).unwrap_or_else(|| t_string!(i18n, investor.event).to_owned())>
            <p class="hint"><a href="/investors" data-testid="back-to-investors">{t!(i18n, investor.title)}</a></p>
            {move || failure.get().map(|error| view! { <p class="error" data-testid="event-error">{error}</p> })}
            <Show when=move || event.with(Option::is_some) fallback=move || failure.get().is_none().then(|| view! { <p class="hint">{t!(i18n, investor.opening)}</p> })>
                {move || id.get_untracked().map(|id| view! {
                    <div class="record-layout">
                        <div class="record-main">
                            <Attendees id />
                        </div>
                        <div class="record-activity">
                            <EventForm id event />
                        </div>
                    </div>
                })}
            </Show>
        </Page>
    }
}

/// A change to the event, written by the page.
type Change = Box<dyn FnOnce(&mut InvestorEvent) + Send>;

/// An event's kind ([`EventKind::code`]) in the screens' language.
pub(crate) fn kind_name(code: &str) -> &'static str {
    let i18n = use_i18n();
    match EventKind::from_code(code) {
        Some(EventKind::EarningsCall) => t_string!(i18n, investor.kind_earnings_call),
        Some(EventKind::Roadshow) => t_string!(i18n, investor.kind_roadshow),
        Some(EventKind::InvestorDay) => t_string!(i18n, investor.kind_investor_day),
        Some(EventKind::Conference) => t_string!(i18n, investor.kind_conference),
        _ => t_string!(i18n, investor.kind_other),
    }
}

fn attendance_name(attendance: Attendance) -> &'static str {
    let i18n = use_i18n();
    match attendance {
        Attendance::Invited => t_string!(i18n, investor.attendance_invited),
        Attendance::Attended => t_string!(i18n, investor.attendance_attended),
        Attendance::Absent => t_string!(i18n, investor.attendance_absent),
    }
}

/// Who was invited, each with whether they came and their follow-up; inviting more; planning the
/// follow-ups with those who came.
#[component]
fn Attendees(id: EventId) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let row = Memo::new(move |_| {
        ctx.read_of(Changed::INVESTORS, |ws| ws.model.events.get(&id).cloned()).flatten()
    });
    let people = Memo::new(move |_| {
        let attendees = row.with(|r| r.as_ref().map(|r| r.attendees.clone())).unwrap_or_default();
        let mut named: Vec<(PartyId, String, String)> = ctx
            .read_of(Changed::PARTIES, |ws| {
                attendees
                    .into_iter()
                    .map(|(p, a)| {
                        let name =
                            ws.model.parties.get(&p).map(|r| r.name.clone()).unwrap_or_default();
                        (p, name, a)
                    })
                    .collect()
            })
            .unwrap_or_default();
        named.sort_by(|a, b| a.1.to_lowercase().cmp(&b.1.to_lowercase()).then(a.0.cmp(&b.0)));
        named
    });
    let chosen = RwSignal::new(None::<(PartyId, String)>);
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let write = move |change: Change| {
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::update::<InvestorEvent>(&shared, id, change).await;
            ctx.settle(result, error);
        });
    };
    let invite = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let Some((party, _)) = chosen.get_untracked() else {
            return error.set(Some(t_string!(i18n, investor.investor_needed).to_owned()));
        };
        error.set(None);
        chosen.set(None);
        write(Box::new(move |e| {
            e.attendees.entry(party.to_string()).or_insert(Attendance::Invited);
        }));
    };
    // One task each with those who came and have none yet.
    let plan = move |_| {
        let Some(event) = row.get_untracked() else { return };
        let Some((me, missing)) = ctx.read(|ws| {
            let missing = investor::follow_ups_missing(ws.workspace, &event, |task| {
                ws.model.tasks.contains_key(&task)
            });
            (ws.me, missing)
        }) else {
            return;
        };
        if missing.is_empty() {
            return done.set(Some(t_string!(i18n, investor.follow_ups_none).to_owned()));
        }
        let title =
            t_string!(i18n, investor.follow_up_title, event = event.title.clone()).to_string();
        let due = rapport_core::contract::parse_day(&event.day)
            .unwrap_or_else(|| widgets::local_day(local::now()))
            .saturating_add(time::Duration::days(2));
        let count = missing.len();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            for (party, task) in missing {
                let record = Task {
                    title: title.clone(),
                    due: Some(widgets::local_midnight(due)),
                    assignee: me,
                    links: vec![RecordRef::Party(party)],
                    done_at: None,
                    recurrence: None,
                    snoozed_until: None,
                    created_at: local::now(),
                    archived: false,
                };
                if !ctx.settle(local::create(&shared, task, record).await, error) {
                    return;
                }
            }
            ctx.changed();
            done.set(Some(
                t_string!(i18n, investor.follow_ups_made, count = widgets::count(count))
                    .to_string(),
            ));
        });
    };
    view! {
        <section class="panel" data-testid="event-attendees" data-count=move || people.with(Vec::len)>
            <h2>{t!(i18n, investor.attendees)}</h2>
            <Show when=move || people.with(|p| !p.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, investor.no_attendees)}</p> }>
                <ul class="rows">
                    <For each=move || people.get() key=|p| p.clone() let:person>
                        <AttendeeLine id party=person.0 name=person.1 attendance=person.2 write=Callback::new(move |change: Change| write(change)) />
                    </For>
                </ul>
            </Show>
            <Show when=move || account.can_edit()>
                <form class="record-form" on:submit=invite data-testid="invite-attendee">
                    <PartyPicker chosen testid="event-attendee" label=move || t_string!(i18n, investor.invite) />
                    <button type="submit" data-testid="invite-attendee-save">{t!(i18n, investor.add)}</button>
                </form>
                <div class="actions-row follow-ups">
                    <button type="button" class="primary" data-testid="plan-follow-ups" on:click=plan>{t!(i18n, investor.plan_follow_ups)}</button>
                </div>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="event-attendees-error">{e}</p> })}
            {move || done.get().map(|d| view! { <p class="done" role="status" data-testid="follow-ups-done">{d}</p> })}
        </section>
    }
}

/// Someone invited: whether they came, and their follow-up task once planned.
#[component]
fn AttendeeLine(
    id: EventId,
    party: PartyId,
    name: String,
    attendance: String,
    write: Callback<Change>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let follow_up = move || {
        let workspace = ctx.read_of(Changed::TASKS, |ws| ws.workspace)?;
        let task = investor::follow_up_task(workspace, id, party);
        ctx.read_of(Changed::TASKS, |ws| ws.model.tasks.get(&task).map(|t| t.done_at.is_some()))
            .flatten()
    };
    let choose = move |e: leptos::ev::Event| {
        let Some(chosen) = Attendance::from_code(&event_target_value(&e)) else { return };
        write.run(Box::new(move |event: &mut InvestorEvent| {
            event.attendees.insert(party.to_string(), chosen);
        }));
    };
    let remove = move |_| {
        write.run(Box::new(move |event: &mut InvestorEvent| {
            event.attendees.remove(&party.to_string());
        }));
    };
    view! {
        <li class="row attendee-line" data-testid="event-attendee-row" data-name=name.clone() data-attendance=attendance.clone()>
            <div class="row-link">
                <a class="row-title" href=format!("/parties/{party}")>{name.clone()}</a>
                {move || follow_up().map(|done| view! {
                    <span class="row-detail" data-testid="attendee-follow-up" data-done=done.to_string()>
                        {if done { t_string!(i18n, investor.follow_up_done) } else { t_string!(i18n, investor.follow_up_open) }}
                    </span>
                })}
            </div>
            <select data-testid="attendee-attendance" aria-label=move || t_string!(i18n, investor.attendance) disabled=move || !account.can_edit() on:change=choose>
                {Attendance::ALL.into_iter().map(|a| view! {
                    <option value=a.code() selected=attendance == a.code()>{move || attendance_name(a)}</option>
                }).collect_view()}
            </select>
            <Show when=move || account.can_edit()>
                <button type="button" class="subtle" data-testid="attendee-remove" on:click=remove>{t!(i18n, investor.remove)}</button>
            </Show>
        </li>
    }
}

/// What and when, saved together; only what this person changed is written.
#[component]
fn EventForm(id: EventId, event: Memo<Option<InvestorEvent>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let part = |read: fn(&InvestorEvent) -> String| {
        Memo::new(move |_| event.with(|e| e.as_ref().map(read)).unwrap_or_default())
    };
    let stored = [
        part(|e| e.title.clone()),
        part(|e| e.kind.code().to_owned()),
        part(|e| e.day.clone()),
        part(|e| e.location.clone()),
        part(|e| e.notes.as_str().to_owned()),
    ];
    let fields = [(); 5].map(|_| RwSignal::new(String::new()));
    for (stored, field) in stored.iter().zip(&fields) {
        widgets::follow(*stored, *field);
    }
    let dirty = Signal::derive(move || {
        fields
            .iter()
            .zip(&stored)
            .any(|(field, stored)| field.with(|f| f.trim() != stored.get().trim()))
    });
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let error = RwSignal::new(None::<String>);
    let saving = widgets::Save::new(move |(typed, changed): ([String; 5], [bool; 5])| async move {
        let Some(shared) = ctx.shared() else { return };
        let result = local::update::<InvestorEvent>(&shared, id, move |event| {
            let [title, kind, day, location, notes] = typed;
            if changed[0] {
                event.title = title.trim().to_owned();
            }
            if changed[1] {
                event.kind = EventKind::from_code(&kind).unwrap_or(EventKind::Other);
            }
            if changed[2] {
                event.day = day.trim().to_owned();
            }
            if changed[3] {
                event.location = location.trim().to_owned();
            }
            if changed[4] {
                event.notes.update(notes.trim_end());
            }
        })
        .await;
        ctx.settle(result, error);
    });
    let save = move |e: leptos::ev::SubmitEvent| {
        e.prevent_default();
        let typed = fields.map(|f| f.get_untracked());
        if typed[0].trim().is_empty() {
            return error.set(Some(t_string!(i18n, investor.title_needed_event).to_owned()));
        }
        if !typed[2].trim().is_empty()
            && rapport_core::contract::parse_day(typed[2].trim()).is_none()
        {
            return error.set(Some(t_string!(i18n, investor.date_invalid).to_owned()));
        }
        let changed = std::array::from_fn(|i| typed[i].trim() != stored[i].get_untracked().trim());
        error.set(None);
        saving.submit((typed, changed));
    };
    let read_only = move || !account.can_edit();
    let input = move |index: usize, testid: &'static str, kind: &'static str| {
        view! {
            <input type=kind data-testid=testid readonly=read_only prop:value=move || fields[index].get()
                on:input=move |e| fields[index].set(event_target_value(&e)) />
        }
    };
    view! {
        <form class="record-form panel" on:submit=save data-testid="event-form">
            <h2>{t!(i18n, investor.event_details)}</h2>
            <label>{t!(i18n, investor.event_title)}{input(0, "event-title", "text")}</label>
            <div class="field-row">
                <label>
                    {t!(i18n, investor.event_kind)}
                    <select data-testid="event-kind" disabled=read_only prop:value=move || fields[1].get() on:change=move |e| fields[1].set(event_target_value(&e))>
                        {EventKind::ALL.into_iter().map(|k| view! {
                            <option value=k.code() selected=move || fields[1].get() == k.code()>{move || kind_name(k.code())}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{t!(i18n, investor.event_day)}{input(2, "event-day", "date")}</label>
            </div>
            <label>{t!(i18n, investor.location)}{input(3, "event-location", "text")}</label>
            <label>{t!(i18n, investor.notes)}
                <textarea rows="4" data-testid="event-notes" readonly=read_only prop:value=move || fields[4].get() on:input=move |e| fields[4].set(event_target_value(&e))></textarea>
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="event-form-error">{e}</p> })}
            <Show when=move || account.can_edit()>
                <button type="submit" data-testid="event-save" disabled=move || saving.pending()>{t!(i18n, investor.save)}</button>
            </Show>
        </form>
    }
}
