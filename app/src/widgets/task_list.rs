//! A task as a row, lists of them, and adding one: the Tasks page, Today and a record's next steps show
//! tasks alike. Completing a repeating task brings its next occurrence (`Task::next_occurrence`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use rapport_core::ids::{MemberId, PartyId, TaskId, Timestamp};
use rapport_core::model::{RecordRef, Recurrence, RecurrenceUnit, Task};
use rapport_core::queries;
use rapport_core::read_model::Changed;
use rapport_core::read_model::{RepeatRow, TaskRow};

use crate::i18n::{t, t_string, use_i18n};
use crate::local::{self, BrowserIds};
use crate::state::WorkspaceCtx;
use crate::widgets::{self, local_day, local_day_start, local_midnight};
use rapport_core::replica::Replica;

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
    repeats: Option<RepeatRow>,
}

impl TaskLine {
    fn of(row: &TaskRow, ws: &Replica, today: Timestamp) -> TaskLine {
        let due = row.effective_due();
        TaskLine {
            id: row.id,
            title: row.title.clone(),
            due,
            overdue: row.done_at.is_none() && due.is_some_and(|due| due < today),
            done: row.done_at.is_some(),
            assignee: row.assignee,
            repeats: row.repeats,
            parties: row
                .parties
                .iter()
                .filter_map(|id| ws.model.parties.get(id).map(|p| (*id, p.name.clone())))
                .collect(),
        }
    }
}

/// The open tasks about `party`, soonest first: its next steps.
pub(crate) fn next_steps(ws: &Replica, party: PartyId) -> Vec<TaskLine> {
    let today = local_day_start(0);
    queries::next_steps(&ws.model, party)
        .into_iter()
        .map(|row| TaskLine::of(row, ws, today))
        .collect()
}

/// A task of a long list: reads its own task, so a change to it re-renders this row only.
#[component]
pub(crate) fn TaskRowById(id: TaskId) -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let line = Memo::new(move |_| {
        let today = local_day_start(0);
        ctx.read_of(Changed::TASKS | Changed::PARTIES, |ws| {
            ws.model.tasks.get(&id).map(|row| TaskLine::of(row, ws, today))
        })
        .flatten()
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
    let account = crate::account::AccountCtx::use_ctx();
    let members = move || ctx.read(Replica::members).unwrap_or_default();
    let id = line.id;
    let done = line.done;
    let toggle = move |_| {
        let Some(shared) = ctx.shared() else { return };
        spawn_local(async move {
            let result = if done { reopen(&shared, id).await } else { complete(&shared, id).await };
            if let Err(error) = result {
                ctx.report(&error);
            }
        });
    };
    let snooze = move |days: i32| {
        let Some(shared) = ctx.shared() else { return };
        // Snoozed until 09:00 of that day: back on the list when the working day starts.
        let until = Timestamp(local_day_start(days).0 + 9 * 3_600_000);
        spawn_local(async move {
            if let Err(error) =
                local::update::<Task>(&shared, id, |task| task.snoozed_until = Some(until)).await
            {
                ctx.report(&error);
            }
        });
    };
    let assign = move |value: String| {
        let Some(shared) = ctx.shared() else { return };
        let assignee = value.parse::<MemberId>().ok();
        spawn_local(async move {
            if let Err(error) =
                local::update::<Task>(&shared, id, |task| task.assignee = assignee).await
            {
                ctx.report(&error);
            }
        });
    };
    let when = line.due.map(|due| {
        let text = widgets::local_date(due);
        let text = if line.overdue {
            t_string!(i18n, tasks.was_due, date = text).to_string()
        } else {
            text
        };
        // The day as a machine reads it, beside the words.
        (widgets::date_input_value(due), text)
    });
    let repeats = line.repeats.map(|repeats| match repeats {
        RepeatRow::Days(1) => t_string!(i18n, tasks.every_day),
        RepeatRow::Weeks(1) => t_string!(i18n, tasks.every_week),
        RepeatRow::Months(1) => t_string!(i18n, tasks.every_month),
        _ => t_string!(i18n, tasks.repeats),
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
                    disabled=move || !account.can_edit()
                    on:change=toggle
                />
                <span class="row-title">{line.title.clone()}</span>
            </label>
            <span class="row-detail">
                {when.map(|(day, w)| view! { <time datetime=day class:overdue=line.overdue data-testid="task-due">{w}</time> })}
                {repeats.map(|r| view! { " "<span class="task-repeat" data-testid="task-repeat">"↻ "{r}</span> })}
                {line.parties.into_iter().map(|(party, name)| view! {
                    " · "<a href=format!("/parties/{party}") data-testid="task-party">{name}</a>
                }).collect_view()}
            </span>
            <Show when=move || !done && account.can_edit()>
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
        repeat = task.recurrence.is_some().then(|| task.clone());
    })
    .await?;
    let Some(next) = repeat.and_then(|task| task.next_occurrence(now, local_day, local_midnight))
    else {
        return Ok(());
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
    let repeat = RwSignal::new(String::new());
    crate::pwa::PwaCtx::use_ctx()
        .track_unsaved(Signal::derive(move || !title.with(|t| t.trim().is_empty())));
    let saving = widgets::Save::new(move |text: String| async move {
        let Some(shared) = ctx.shared_once_open().await else { return };
        let me = shared.borrow().me;
        let due_at = widgets::parse_date_input(&due.get_untracked());
        let unit = match repeat.get_untracked().as_str() {
            "day" => Some(RecurrenceUnit::Day),
            "week" => Some(RecurrenceUnit::Week),
            "month" => Some(RecurrenceUnit::Month),
            _ => None,
        };
        // A monthly series keeps the day it starts on (the 31st stays the month's end).
        let recurrence = unit.map(|unit| Recurrence {
            every: 1,
            unit,
            day: due_at.filter(|_| unit == RecurrenceUnit::Month).map(|at| local_day(at).day()),
        });
        let task = Task {
            title: text,
            due: due_at,
            assignee: me,
            links: about.map(RecordRef::Party).into_iter().collect(),
            done_at: None,
            recurrence,
            snoozed_until: None,
            created_at: local::now(),
            archived: false,
        };
        match local::create(&shared, TaskId::generate(&mut BrowserIds), task).await {
            Ok(()) => {
                title.set(String::new());
                due.set(String::new());
                repeat.set(String::new());
            }
            Err(error) => ctx.report(&error),
        }
    });
    let add = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = title.get_untracked().trim().to_owned();
        if text.is_empty() {
            return;
        }
        saving.submit(text);
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
            <select
                aria-label=move || t_string!(i18n, tasks.repeat)
                data-testid="new-task-repeat"
                prop:value=move || repeat.get()
                on:change=move |e| repeat.set(event_target_value(&e))
            >
                <option value="">{t!(i18n, tasks.once)}</option>
                <option value="day">{t!(i18n, tasks.every_day)}</option>
                <option value="week">{t!(i18n, tasks.every_week)}</option>
                <option value="month">{t!(i18n, tasks.every_month)}</option>
            </select>
            <button type="submit" data-testid="add-task" disabled=move || saving.pending()>{t!(i18n, tasks.add)}</button>
        </form>
    }
}
