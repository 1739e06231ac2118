//! Tasks: what is overdue, due today, coming up and undated; add one, complete it (a repeating task
//! comes back after its interval), snooze it to tomorrow or next week, give it to a colleague. A task
//! typed on a record's page ("Next step") is linked to that record.

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use leptos::task::spawn_local;
use rapport_core::ids::{MemberId, PartyId, TaskId, Timestamp};
use rapport_core::model::{RecordRef, RecurrenceUnit, Task};
use rapport_core::queries;
use rapport_core::read_model::TaskRow;

use super::{EmptyState, Page};
use crate::local::{self, BrowserIds, LocalWorkspace};
use crate::state::WorkspaceCtx;
use crate::sync::SyncCtx;
use crate::widgets::{self, Segmented, Windowed, local_day_start};

/// A task as one row shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TaskLine {
    id: TaskId,
    title: String,
    due: Option<Timestamp>,
    overdue: bool,
    done: bool,
    assignee: Option<MemberId>,
    parties: Vec<(PartyId, String)>,
}

impl TaskLine {
    fn of(row: &TaskRow, ws: &local::LocalWorkspace, today: Timestamp) -> TaskLine {
        let due = row.effective_due();
        TaskLine {
            id: row.id,
            title: row.title.clone(),
            due,
            overdue: row.done_at.is_none() && due.is_some_and(|due| due < today),
            done: row.done_at.is_some(),
            assignee: row.assignee,
            parties: row
                .parties
                .iter()
                .filter_map(|id| ws.model.parties.get(id).map(|p| (*id, p.name.clone())))
                .collect(),
        }
    }
}

/// The open tasks about `party`, soonest first: its next steps.
pub(crate) fn next_steps(ws: &local::LocalWorkspace, party: PartyId) -> Vec<TaskLine> {
    let today = local_day_start(0);
    let mut rows: Vec<&TaskRow> = ws
        .model
        .tasks
        .values()
        .filter(|row| row.done_at.is_none() && row.parties.contains(&party))
        .collect();
    rows.sort_by_key(|row| (row.effective_due().is_none(), row.effective_due(), row.id));
    rows.into_iter().map(|row| TaskLine::of(row, ws, today)).collect()
}

/// Which tasks the page lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whose {
    Mine,
    Everyone,
}

/// One of the page's sections: its key (`tasks-<key>` is its test handle), heading and tasks in order.
type Section = (&'static str, &'static str, Vec<TaskId>);

#[component]
pub(crate) fn Tasks() -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let sync = SyncCtx::use_ctx();
    let whose = RwSignal::new(Whose::Mine);
    let me = Memo::new(move |_| ctx.read(|ws| ws.me).flatten());
    // Ids only: a section of thousands renders the few rows on screen, each reading its own task.
    let sections = Memo::new(move |_| {
        let span = crate::timing::Span::start("rapport:tasks");
        let today = local_day_start(0);
        let sections = ctx.read(|ws| {
            let assignee = match whose.get() {
                Whose::Mine => ws.me,
                Whose::Everyone => None,
            };
            let due = queries::due_tasks(&ws.model, assignee, today);
            let ids =
                |rows: &[&TaskRow]| -> Vec<TaskId> { rows.iter().map(|row| row.id).collect() };
            let mut done: Vec<&TaskRow> = ws
                .model
                .tasks
                .values()
                .filter(|row| row.done_at.is_some_and(|at| at >= today))
                .filter(|row| assignee.is_none_or(|a| row.assignee == Some(a)))
                .collect();
            done.sort_by_key(|row| (std::cmp::Reverse(row.done_at), row.id));
            let sections: [Section; 5] = [
                ("overdue", t_string!(i18n, tasks.overdue), ids(&due.overdue)),
                ("today", t_string!(i18n, tasks.today), ids(&due.today)),
                ("upcoming", t_string!(i18n, tasks.upcoming), ids(&due.upcoming)),
                ("someday", t_string!(i18n, tasks.someday), ids(&due.someday)),
                ("done", t_string!(i18n, tasks.done_today), ids(&done)),
            ];
            sections
        });
        span.end();
        sections
    });
    // "Open Tasks" in BENCHMARKS.md: effects run once the DOM was updated.
    Effect::new(move || {
        if sections.with(Option::is_some) {
            crate::timing::mark("rapport:tasks-rendered");
        }
    });
    let open_count = move || {
        sections
            .with(|s| s.as_ref().map_or(0, |s| s.iter().take(4).map(|(_, _, ids)| ids.len()).sum()))
    };
    view! {
        <Page key="tasks" title=move || t_string!(i18n, nav.tasks)>
            <crate::reminders::ReminderSwitch />
            <Show when=move || sync.can_edit()>
                <NewTask about=None />
            </Show>
            <Show when=move || me.get().is_some()>
                <Segmented
                    value=whose
                    name="whose"
                    label=Signal::derive(move || t_string!(i18n, tasks.whose))
                    options=vec![
                        (Whose::Mine, Signal::derive(move || t_string!(i18n, tasks.mine)), "tasks-mine"),
                        (Whose::Everyone, Signal::derive(move || t_string!(i18n, tasks.everyone)), "tasks-everyone"),
                    ]
                />
            </Show>
            <p class="count" data-testid="task-count">{move || t_string!(i18n, tasks.open, count = open_count()).to_string()}</p>
            <Show
                when=move || sections.with(|s| s.as_ref().is_some_and(|s| s.iter().any(|(_, _, ids)| !ids.is_empty())))
                fallback=move || view! { <EmptyState title=move || t_string!(i18n, tasks.empty) hint=move || t_string!(i18n, tasks.empty_hint) /> }
            >
                {[0, 1, 2, 3, 4].map(|n| {
                    let ids = Memo::new(move |_| sections.with(|s| s.as_ref().map(|s| s[n].2.clone()).unwrap_or_default()));
                    let key = move || sections.with(|s| s.as_ref().map_or("", |s| s[n].0));
                    let title = move || sections.with(|s| s.as_ref().map_or("", |s| s[n].1));
                    view! {
                        <Show when=move || ids.with(|ids| !ids.is_empty())>
                            <section class="panel" data-testid=move || format!("tasks-{}", key())>
                                <h2>{move || format!("{} · {}", title(), crate::widgets::count(ids.with(Vec::len)))}</h2>
                                <Windowed
                                    items=ids
                                    key=|id: &TaskId| *id
                                    row=|id| view! { <TaskRowById id /> }
                                    class="tasks"
                                    testid="task-list"
                                    row_px=64
                                />
                            </section>
                        </Show>
                    }
                }).collect_view()}
            </Show>
        </Page>
    }
}

/// A task of a long list: reads its own task, so a change to it re-renders this row only.
#[component]
pub(crate) fn TaskRowById(id: TaskId) -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let line = Memo::new(move |_| {
        let today = local_day_start(0);
        ctx.read(|ws| ws.model.tasks.get(&id).map(|row| TaskLine::of(row, ws, today))).flatten()
    });
    move || line.get().map(|line| view! { <TaskItem line /> })
}

/// Tasks as rows: a checkbox to complete (or reopen), the title, when, who it is about, and for open tasks
/// snooze and assignment.
#[component]
pub(crate) fn TaskList(lines: Vec<TaskLine>) -> impl IntoView {
    view! {
        <ul class="rows tasks">
            {lines.into_iter().map(|line| view! { <li><TaskItem line=line /></li> }).collect_view()}
        </ul>
    }
}

#[component]
fn TaskItem(line: TaskLine) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let sync = SyncCtx::use_ctx();
    let members = move || ctx.read(LocalWorkspace::members).unwrap_or_default();
    let id = line.id;
    let done = line.done;
    let toggle = move |_| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let result = if done { reopen(&shared, id).await } else { complete(&shared, id).await };
            match result {
                Ok(()) => ctx.changed(),
                Err(error) => ctx.report(&error),
            }
        });
    };
    let snooze = move |days: i32| {
        let Some(shared) = ctx.shared() else { return };
        // Snoozed until 09:00 of that day: back on the list when the working day starts.
        let until = Timestamp(local_day_start(days).0 + 9 * 3_600_000);
        spawn_local(async move {
            match local::update::<Task>(&shared, id, |task| task.snoozed_until = Some(until)).await
            {
                Ok(()) => ctx.changed(),
                Err(error) => ctx.report(&error),
            }
        });
    };
    let assign = move |value: String| {
        let Some(shared) = ctx.shared() else { return };
        let assignee = value.parse::<MemberId>().ok();
        spawn_local(async move {
            match local::update::<Task>(&shared, id, |task| task.assignee = assignee).await {
                Ok(()) => ctx.changed(),
                Err(error) => ctx.report(&error),
            }
        });
    };
    let when = line.due.map(|due| {
        let text = widgets::local_date(due);
        if line.overdue { t_string!(i18n, tasks.was_due, date = text).to_string() } else { text }
    });
    let assignee = StoredValue::new(line.assignee.map(|a| a.to_string()).unwrap_or_default());
    view! {
        <div class="row task" class:done=done data-testid="task-row" data-title=line.title.clone()>
            <label class="task-check">
                <input
                    type="checkbox"
                    data-testid="task-done"
                    aria-label=t_string!(i18n, tasks.done, title = &line.title).to_string()
                    prop:checked=done
                    disabled=move || !sync.can_edit()
                    on:change=toggle
                />
                <span class="row-title">{line.title.clone()}</span>
            </label>
            <span class="row-detail">
                {when.map(|w| view! { <time class:overdue=line.overdue data-testid="task-due">{w}</time> })}
                {line.parties.into_iter().map(|(party, name)| view! {
                    " · "<a href=format!("/parties/{party}") data-testid="task-party">{name}</a>
                }).collect_view()}
            </span>
            <Show when=move || !done && sync.can_edit()>
                <span class="task-actions">
                    <button type="button" data-testid="task-snooze-tomorrow" on:click=move |_| snooze(1)>{t!(i18n, tasks.tomorrow)}</button>
                    <button type="button" data-testid="task-snooze-week" on:click=move |_| snooze(7)>{t!(i18n, tasks.next_week)}</button>
                    <Show when=move || !members().is_empty()>
                        <select
                            data-testid="task-assignee"
                            aria-label=move || t_string!(i18n, tasks.assigned)
                            on:change=move |e| assign(event_target_value(&e))
                        >
                            <option value="" selected=assignee.with_value(String::is_empty)>{t!(i18n, tasks.unassigned)}</option>
                            {
                                move || members().into_iter().map(|(member, name)| {
                                    let value = member.to_string();
                                    let selected = assignee.with_value(|a| *a == value);
                                    view! { <option value=value selected=selected>{name}</option> }
                                }).collect_view()
                            }
                        </select>
                    </Show>
                </span>
            </Show>
        </div>
    }
}

/// Marks a task done; a repeating one gets its next occurrence, due one interval after today.
async fn complete(shared: &local::Shared, id: TaskId) -> Result<(), local::LocalError> {
    let now = local::now();
    let mut repeat = None;
    local::update::<Task>(shared, id, |task| {
        task.done_at = Some(now);
        repeat = task.recurrence.map(|r| (r, task.clone()));
    })
    .await?;
    let Some((recurrence, previous)) = repeat else { return Ok(()) };
    let days = match recurrence.unit {
        RecurrenceUnit::Day => 1,
        RecurrenceUnit::Week => 7,
        RecurrenceUnit::Month => 30,
    } * recurrence.every as i32;
    let next = Task {
        due: Some(local_day_start(days)),
        done_at: None,
        snoozed_until: None,
        created_at: now,
        ..previous
    };
    local::create(shared, TaskId::generate(&mut BrowserIds), next).await
}

async fn reopen(shared: &local::Shared, id: TaskId) -> Result<(), local::LocalError> {
    local::update::<Task>(shared, id, |task| task.done_at = None).await
}

/// Adds a task: a title is enough; a due day is optional. On a record's page the task is about that
/// record (`about`).
#[component]
pub(crate) fn NewTask(about: Option<PartyId>) -> impl IntoView {
    let i18n = use_i18n();
    let ctx = WorkspaceCtx::use_ctx();
    let title = RwSignal::new(String::new());
    let due = RwSignal::new(String::new());
    let saving = RwSignal::new(false);
    crate::pwa::PwaCtx::use_ctx()
        .track_unsaved(Signal::derive(move || !title.with(|t| t.trim().is_empty())));
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = title.get_untracked().trim().to_owned();
        if text.is_empty() || saving.get_untracked() {
            return;
        }
        saving.set(true);
        spawn_local(async move {
            let Some(shared) = ctx.shared_once_open().await else {
                saving.set(false);
                return;
            };
            let me = shared.borrow().me;
            let task = Task {
                title: text,
                due: widgets::parse_date_input(&due.get_untracked()),
                assignee: me,
                links: about.map(RecordRef::Party).into_iter().collect(),
                done_at: None,
                recurrence: None,
                snoozed_until: None,
                created_at: local::now(),
                archived: false,
            };
            match local::create(&shared, TaskId::generate(&mut BrowserIds), task).await {
                Ok(()) => {
                    title.set(String::new());
                    due.set(String::new());
                    ctx.changed();
                }
                Err(error) => ctx.report(&error),
            }
            saving.set(false);
        });
    };
    let placeholder = if about.is_some() {
        t_string!(i18n, tasks.next_step)
    } else {
        t_string!(i18n, tasks.new_one)
    };
    view! {
        <form class="quick-add new-task" on:submit=add data-testid="new-task">
            <input
                type="text"
                placeholder=placeholder
                aria-label=move || t_string!(i18n, tasks.what)
                data-testid="new-task-title"
                prop:value=move || title.get()
                on:input=move |e| title.set(event_target_value(&e))
            />
            <input
                type="date"
                aria-label=move || t_string!(i18n, tasks.due)
                data-testid="new-task-due"
                prop:value=move || due.get()
                on:input=move |e| due.set(event_target_value(&e))
            />
            <button type="submit" data-testid="add-task" disabled=move || saving.get()>{t!(i18n, tasks.add)}</button>
        </form>
    }
}
