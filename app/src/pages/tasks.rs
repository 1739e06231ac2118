//! Tasks: what is overdue, due today, coming up and undated; add one, complete it (a repeating task
//! comes back after its interval), snooze it to tomorrow or next week, give it to a colleague. A task
//! typed on a record's page ("Next step") is linked to that record.

use leptos::prelude::*;

use crate::i18n::{t_string, use_i18n};
use rapport_core::ids::TaskId;
use rapport_core::queries;
use rapport_core::read_model::Changed;
use rapport_core::read_model::TaskRow;

use super::{EmptyState, Page};
use crate::state::WorkspaceCtx;
use crate::widgets::{NewTask, Segmented, TaskRowById, Windowed, local_day_start};

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
    let account = crate::account::AccountCtx::use_ctx();
    let whose = RwSignal::new(Whose::Mine);
    let me = Memo::new(move |_| ctx.read(|ws| ws.me).flatten());
    // Ids only: a section of thousands renders the few rows on screen, each reading its own task.
    let sections = Memo::new(move |_| {
        let span = crate::timing::Span::start("rapport:tasks");
        let today = local_day_start(0);
        let sections = ctx.read_of(Changed::TASKS, |ws| {
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
            <Show when=move || account.can_edit()>
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
            <p class="count" data-testid="task-count">{move || t_string!(i18n, tasks.open, count = crate::widgets::count(open_count())).to_string()}</p>
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
