//! One 1:1 between a manager and a report: the next meeting, the shared agenda both add to (points
//! carry over until done, `rapport_core::employee::agenda`), the action items agreed — each a task
//! whose id derives from its point — the meetings held, and each side's private notes, kept in a
//! document only the writer's devices receive.

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::contract::parse_day;
use rapport_core::employee;
use rapport_core::ids::{OneOnOneId, PointId};
use rapport_core::model::{OneOnOne, RecordRef, TalkingPoint, Task};
use rapport_core::read_model::Changed;

use super::Page;
use super::team::{cadence_name, member_name};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::{RecordRoute, WorkspaceCtx};
use crate::widgets::{self, TaskRowById};

/// The longest talking point, in characters.
const MOST_POINT_CHARS: usize = 500;

type Change = Box<dyn FnOnce(&mut OneOnOne) + Send>;

#[component]
pub(crate) fn OneOnOnePage() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let bad_link = move || t_string!(i18n, employee.bad_link).to_owned();
    let route =
        RecordRoute::<OneOnOne>::new(t_string!(i18n, employee.no_such_one_on_one), bad_link);
    let RecordRoute { id, record: one, failure, .. } = route;
    let title = move || {
        one.with(|o| o.as_ref().map(|o| (o.manager, o.report)))
            .map(|(manager, report)| {
                t_string!(
                    i18n,
                    employee.one_on_one_of,
                    manager = member_name(ctx, manager),
                    report = member_name(ctx, report)
                )
                .to_string()
            })
            .unwrap_or_else(|| t_string!(i18n, employee.one_on_one).to_owned())
    };
    view! {
        <Page key="one-on-one" title>
            <p class="hint"><a href="/team" data-testid="back-to-team">{t!(i18n, employee.title)}</a></p>
            {move || failure.get().map(|error| view! { <p class="error" data-testid="one-on-one-error">{error}</p> })}
            <Show when=move || one.with(Option::is_some) fallback=move || failure.get().is_none().then(|| view! { <p class="hint">{t!(i18n, employee.opening)}</p> })>
                {move || id.get_untracked().map(|id| view! {
                    <div class="record-layout">
                        <div class="record-main">
                            <Agenda id one />
                            <ActionItems one />
                        </div>
                        <div class="record-activity">
                            <NextMeeting id one />
                            <PrivateNotes id one />
                            <PastMeetings one />
                        </div>
                    </div>
                })}
            </Show>
        </Page>
    }
}

/// Writes `change` to 1:1 `id`, the error (if any) shown in `error`.
fn write(ctx: WorkspaceCtx, id: OneOnOneId, change: Change, error: RwSignal<Option<String>>) {
    spawn_local(async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        let result = local::update::<OneOnOne>(&shared, id, change).await;
        ctx.settle(result, error);
    });
}

/// The day a meeting closed now took place: the planned day once it has come, else today (a meeting
/// held early).
fn meeting_day(next: &str) -> time::Date {
    let today = widgets::local_day(local::now());
    parse_day(next).map_or(today, |planned| planned.min(today))
}

/// The next meeting's day and the cadence, each saved as it changes, and closing the meeting.
#[component]
fn NextMeeting(id: OneOnOneId, one: Memo<Option<OneOnOne>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let next = move || one.with(|o| o.as_ref().map(|o| o.next.clone())).unwrap_or_default();
    let weeks = move || one.with(|o| o.as_ref().map(|o| o.every_weeks)).unwrap_or(2);
    let close = move |_| {
        let Some(me) = ctx.read(|ws| ws.me).flatten() else {
            return error.set(Some(t_string!(i18n, employee.who_unknown).to_owned()));
        };
        let Some(current) = one.get_untracked() else { return };
        let day = meeting_day(&current.next);
        let carried = employee::agenda(&current).iter().filter(|p| !p.point.done).count();
        let at = local::now();
        let said = t_string!(
            i18n,
            employee.meeting_closed,
            date = widgets::day_text(day),
            count = widgets::count(carried)
        )
        .to_string();
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let change = move |o: &mut OneOnOne| employee::close_meeting(o, day, me, at);
            let result = local::update::<OneOnOne>(&shared, id, change).await;
            if ctx.settle(result, error) {
                done.set(Some(said));
            }
        });
    };
    view! {
        <section class="panel" data-testid="next-meeting">
            <h2>{t!(i18n, employee.next_meeting)}</h2>
            <div class="record-form">
                <label>
                    {t!(i18n, employee.meeting_day)}
                    <input type="date" data-testid="next-meeting-day" readonly=move || !account.can_edit()
                        prop:value=next
                        on:change=move |e| {
                            let typed = event_target_value(&e);
                            if typed.is_empty() || parse_day(&typed).is_some() {
                                write(ctx, id, Box::new(move |o| o.next = typed), error);
                            }
                        } />
                </label>
                <label>
                    {t!(i18n, employee.cadence)}
                    <select data-testid="one-on-one-cadence" disabled=move || !account.can_edit() on:change=move |e| {
                        if let Ok(chosen) = event_target_value(&e).parse::<u8>() {
                            write(ctx, id, Box::new(move |o| o.every_weeks = chosen), error);
                        }
                    }>
                        {[1u8, 2, 4].into_iter().map(|n| view! {
                            <option value=n.to_string() selected=move || weeks() == n>{move || cadence_name(n)}</option>
                        }).collect_view()}
                    </select>
                </label>
                <Show when=move || account.can_edit()>
                    <button type="button" class="primary" data-testid="close-meeting" on:click=close>{t!(i18n, employee.close_meeting)}</button>
                    <p class="hint">{t!(i18n, employee.close_meeting_hint)}</p>
                </Show>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || done.get().map(|d| view! { <p class="done" role="status" data-testid="meeting-closed">{d}</p> })}
        </section>
    }
}

/// The shared agenda: points both sides add, ticked off as they are talked through.
#[component]
fn Agenda(id: OneOnOneId, one: Memo<Option<OneOnOne>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let error = RwSignal::new(None::<String>);
    let text = RwSignal::new(String::new());
    crate::pwa::PwaCtx::use_ctx()
        .track_unsaved(Signal::derive(move || text.with(|t| !t.trim().is_empty())));
    // (key, point, meetings waited), in the agenda's order.
    let points = Memo::new(move |_| {
        one.with(|o| {
            o.as_ref()
                .map(|o| {
                    employee::agenda(o)
                        .into_iter()
                        .map(|p| (p.key.to_owned(), p.point.clone(), p.carried))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed = text.get_untracked().trim().to_owned();
        if typed.is_empty() {
            return;
        }
        if typed.chars().count() > MOST_POINT_CHARS {
            return error.set(Some(t_string!(i18n, employee.point_too_long).to_owned()));
        }
        let Some(me) = ctx.read(|ws| ws.me).flatten() else {
            return error.set(Some(t_string!(i18n, employee.who_unknown).to_owned()));
        };
        let key = PointId::generate(&mut local::BrowserIds).to_string();
        let at = local::now();
        text.set(String::new());
        write(
            ctx,
            id,
            Box::new(move |o| {
                let position = employee::next_position(o);
                o.points.insert(
                    key,
                    TalkingPoint {
                        text: typed,
                        by: me,
                        at,
                        done: false,
                        meeting: None,
                        task: None,
                        position,
                    },
                );
            }),
            error,
        );
    };
    // With their place: the first has no way up.
    let numbered = move || points.get().into_iter().enumerate().collect::<Vec<_>>();
    view! {
        <section class="panel" data-testid="agenda" data-count=move || points.with(Vec::len)>
            <h2>{t!(i18n, employee.agenda)}</h2>
            <p class="hint">{t!(i18n, employee.agenda_hint)}</p>
            <Show when=move || points.with(|p| !p.is_empty()) fallback=move || view! { <p class="hint" data-testid="agenda-empty">{t!(i18n, employee.agenda_empty)}</p> }>
                <ul class="rows">
                    <For each=numbered key=|(i, p)| format!("{i}{p:?}") let:entry>
                        <PointLine id one key=entry.1.0 point=entry.1.1 carried=entry.1.2 first={entry.0 == 0} error />
                    </For>
                </ul>
            </Show>
            <Show when=move || account.can_edit()>
                <form class="field-row" on:submit=add data-testid="add-point">
                    <input type="text" class="grow" data-testid="point-text" maxlength=MOST_POINT_CHARS.to_string()
                        aria-label=move || t_string!(i18n, employee.new_point)
                        placeholder=move || t_string!(i18n, employee.new_point)
                        prop:value=move || text.get() on:input=move |e| text.set(event_target_value(&e)) />
                    <button type="submit" data-testid="point-add">{t!(i18n, employee.add)}</button>
                </form>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="agenda-error">{e}</p> })}
        </section>
    }
}

/// A talking point: done or not, who raised it, how long it has waited; it can become an action
/// item (a task) or be removed by whoever raised it.
#[component]
fn PointLine(
    id: OneOnOneId,
    one: Memo<Option<OneOnOne>>,
    key: String,
    point: TalkingPoint,
    carried: u32,
    /// First on the agenda: it cannot move up.
    first: bool,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let account = crate::account::AccountCtx::use_ctx();
    let by = member_name(ctx, point.by);
    let move_up = {
        let key = key.clone();
        move |_| {
            let key = key.clone();
            write(ctx, id, Box::new(move |o| employee::move_up(o, &key)), error);
        }
    };
    let author = point.by;
    // Read as it changes: who this member is may be learnt after the row is drawn.
    let mine = move || ctx.read(|ws| ws.me).flatten() == Some(author);
    let done = point.done;
    let text = point.text.clone();
    let toggle = {
        let key = key.clone();
        move |_| {
            let key = key.clone();
            write(
                ctx,
                id,
                Box::new(move |o| {
                    if let Some(point) = o.points.get_mut(&key) {
                        point.done = !done;
                    }
                }),
                error,
            );
        }
    };
    let remove = {
        let key = key.clone();
        Callback::new(move |()| {
            let key = key.clone();
            write(
                ctx,
                id,
                Box::new(move |o| {
                    o.points.remove(&key);
                }),
                error,
            );
        })
    };
    // The task, made once whatever the device: its id derives from the 1:1 and the point.
    let make_action = {
        let (key, title) = (key.clone(), point.text.clone());
        move |_| {
            let Some(current) = one.get_untracked() else { return };
            let (key, title) = (key.clone(), title.clone());
            let Some((workspace, exists, report_party)) = ctx.read(|ws| {
                let task = employee::action_task(ws.workspace, id, &key);
                let report = ws.model.parties.values().find(|row| {
                    !row.archived
                        && row.employee.as_ref().and_then(|e| e.member) == Some(current.report)
                });
                (ws.workspace, ws.model.tasks.contains_key(&task), report.map(|r| r.id))
            }) else {
                return;
            };
            let task = employee::action_task(workspace, id, &key);
            let due = parse_day(&current.next).map(widgets::local_midnight);
            spawn_local(async move {
                let Some(shared) = ctx.shared_once_open().await else { return };
                if !exists {
                    let record = Task {
                        title,
                        due,
                        assignee: Some(current.report),
                        links: report_party.map(RecordRef::Party).into_iter().collect(),
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
                let result = local::update::<OneOnOne>(&shared, id, move |o| {
                    if let Some(point) = o.points.get_mut(&key) {
                        point.task = Some(task);
                    }
                })
                .await;
                ctx.settle(result, error);
            });
        }
    };
    view! {
        <li class="row point-line" data-testid="agenda-point" data-text=text.clone() data-done=done.to_string() data-carried=carried>
            <label class="check point-check">
                <input type="checkbox" data-testid="point-done" checked=done disabled=move || !account.can_edit() on:change=toggle />
                <span class="row-title">{text.clone()}</span>
            </label>
            <span class="row-detail point-meta">
                {move || t_string!(i18n, employee.raised_by, name = by.clone()).to_string()}
                {(carried > 0).then(|| view! {
                    " "<span class="tag" data-testid="point-carried">{move || t_string!(i18n, employee.carried, count = widgets::count(carried as usize)).to_string()}</span>
                })}
            </span>
            <Show when=move || account.can_edit()>
                <div class="point-actions">
                    {(!first).then(|| {
                        let move_up = move_up.clone();
                        view! { <button type="button" class="icon-button" data-testid="point-up" aria-label=move || t_string!(i18n, employee.move_up).to_owned() on:click=move_up>"↑"</button> }
                    })}
                    <button type="button" class="subtle" data-testid="point-to-action" on:click=make_action.clone()>{t!(i18n, employee.make_action)}</button>
                    <Show when=mine>
                        <button type="button" class="icon-button" data-testid="point-remove" aria-label=move || t_string!(i18n, employee.remove_point).to_owned() on:click=move |_| remove.run(())>"×"</button>
                    </Show>
                </div>
            </Show>
        </li>
    }
}

/// The action items agreed, as the tasks they became.
#[component]
fn ActionItems(one: Memo<Option<OneOnOne>>) -> impl IntoView {
    let i18n = use_i18n();
    let tasks = Memo::new(move |_| {
        one.with(|o| {
            o.as_ref()
                .map(|o| employee::action_items(o).into_iter().map(|(_, _, task)| task).collect())
                .unwrap_or_else(Vec::new)
        })
    });
    view! {
        <section class="panel" data-testid="action-items" data-count=move || tasks.with(Vec::len)>
            <h2>{t!(i18n, employee.action_items)}</h2>
            <Show when=move || tasks.with(|t| !t.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, employee.no_action_items)}</p> }>
                <ul class="rows tasks">
                    <For each=move || tasks.get() key=|task| *task let:task>
                        <li data-testid="action-item"><TaskRowById id=task /></li>
                    </For>
                </ul>
            </Show>
        </section>
    }
}

/// This member's own notes on the 1:1: in their private document, which the relay syncs with their
/// devices only. Saved when the field is left, or with the button.
#[component]
fn PrivateNotes(id: OneOnOneId, one: Memo<Option<OneOnOne>>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let record = id.to_string();
    let stored = {
        let record = record.clone();
        Memo::new(move |_| {
            ctx.read_of(Changed::PRIVATE, |ws| ws.model.private_notes.get(&record).cloned())
                .flatten()
                .unwrap_or_default()
        })
    };
    let typed = RwSignal::new(String::new());
    widgets::follow(stored, typed);
    let dirty = Signal::derive(move || typed.with(|t| *t != stored.get()));
    crate::pwa::PwaCtx::use_ctx().track_unsaved(dirty);
    let involved = move || {
        let me = ctx.read(|ws| ws.me).flatten();
        one.with(|o| o.as_ref().is_some_and(|o| Some(o.manager) == me || Some(o.report) == me))
    };
    // A synced workspace whose device has not heard its private document's id yet has nowhere
    // private to write: say so rather than take notes that could not be kept.
    let ready = move || ctx.private_writable();
    let error = RwSignal::new(None::<String>);
    let saved = RwSignal::new(false);
    let save = Callback::new(move |()| {
        if !dirty.get_untracked() {
            return;
        }
        let (record, text) = (record.clone(), typed.get_untracked());
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else { return };
            let result = local::write_private_note(&shared, record, text).await;
            saved.set(ctx.settle(result, error));
        });
    });
    let on_submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        save.run(());
    };
    view! {
        <Show when=involved>
            <section class="panel" data-testid="private-notes">
                <h2>{t!(i18n, employee.private_notes)}</h2>
                <p class="hint" data-testid="private-notes-hint">{t!(i18n, employee.private_notes_hint)}</p>
                <Show when=ready fallback=move || view! { <p class="notice" data-testid="private-notes-waiting">{t!(i18n, employee.private_notes_waiting)}</p> }>
                    <form class="record-form" on:submit=on_submit>
                        <textarea rows="5" maxlength="20000" data-testid="private-notes-text"
                            aria-label=move || t_string!(i18n, employee.private_notes)
                            prop:value=move || typed.get()
                            on:input=move |e| { saved.set(false); typed.set(event_target_value(&e)) }
                            on:change=move |_| save.run(())></textarea>
                        <button type="submit" data-testid="private-notes-save" disabled=move || !dirty.get()>{t!(i18n, employee.save_notes)}</button>
                    </form>
                </Show>
                {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                {move || (saved.get() && !dirty.get()).then(|| view! { <p class="done" role="status" data-testid="private-notes-saved">{t!(i18n, employee.notes_saved)}</p> })}
            </section>
        </Show>
    }
}

/// Meetings held, the latest first, each with the points it covered.
#[component]
fn PastMeetings(one: Memo<Option<OneOnOne>>) -> impl IntoView {
    let i18n = use_i18n();
    let meetings = Memo::new(move |_| {
        one.with(|o| {
            let Some(o) = o else { return Vec::new() };
            let mut meetings: Vec<(String, Vec<String>)> = o
                .meetings
                .keys()
                .map(|day| {
                    let mut covered: Vec<(&TalkingPoint, String)> = o
                        .points
                        .values()
                        .filter(|p| p.meeting.as_deref() == Some(day.as_str()))
                        .map(|p| (p, p.text.clone()))
                        .collect();
                    covered.sort_by_key(|(p, _)| (p.position, p.at));
                    (day.clone(), covered.into_iter().map(|(_, text)| text).collect())
                })
                .collect();
            meetings.sort_by(|a, b| b.0.cmp(&a.0));
            meetings
        })
    });
    view! {
        <section class="panel" data-testid="past-meetings" data-count=move || meetings.with(Vec::len)>
            <h2>{t!(i18n, employee.past_meetings)}</h2>
            <Show when=move || meetings.with(|m| !m.is_empty()) fallback=move || view! { <p class="hint">{t!(i18n, employee.no_meetings)}</p> }>
                <ul class="rows">
                    <For each=move || meetings.get() key=|m| format!("{m:?}") let:meeting>
                        <li class="row past-meeting" data-testid="past-meeting" data-day=meeting.0.clone()>
                            <span class="row-title">{parse_day(&meeting.0).map(widgets::day_text).unwrap_or_else(|| meeting.0.clone())}</span>
                            <span class="row-detail">
                                {if meeting.1.is_empty() { t_string!(i18n, employee.nothing_covered).to_owned() } else { meeting.1.join(" · ") }}
                            </span>
                        </li>
                    </For>
                </ul>
            </Show>
        </section>
    }
}
