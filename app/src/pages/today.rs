use leptos::prelude::*;
use rapport_core::queries;

use super::{EmptyState, Page};
use crate::local;
use crate::state::WorkspaceCtx;

#[component]
pub(crate) fn Today() -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let sync = crate::sync::SyncCtx::use_ctx();
    let due = Memo::new(move |_| {
        let day_start = crate::widgets::local_day_start(0);
        ctx.read(|ws| {
            let tasks = queries::due_tasks(&ws.model, ws.me, day_start);
            let reminders = queries::keep_in_touch_due(&ws.model, local::now());
            let mut lines: Vec<String> = tasks
                .overdue
                .iter()
                .chain(&tasks.today)
                .take(20)
                .map(|task| task.title.clone())
                .collect();
            lines.extend(reminders.iter().take(20).filter_map(|reminder| {
                ws.model.parties.get(&reminder.party).map(|p| format!("Keep in touch: {}", p.name))
            }));
            (tasks.overdue.len(), tasks.today.len(), reminders.len(), lines)
        })
        .unwrap_or_default()
    });
    view! {
        <Page key="today" title="Today">
            <Show when=move || sync.can_edit()>
                <nav class="record-actions" aria-label="Log">
                    <a class="action" href="/log/visit" data-testid="today-log-visit">"Log a visit"</a>
                    <a class="action" href="/log/call" data-testid="today-log-call">"Log a call"</a>
                </nav>
            </Show>
            <p class="count" data-testid="today-summary">
                {move || {
                    let (overdue, today, reminders, _) = due.get();
                    format!("{overdue} overdue · {today} due today · {reminders} to keep in touch with")
                }}
            </p>
            <Show
                when=move || due.with(|d| !d.3.is_empty())
                fallback=|| view! { <EmptyState title="Nothing due today" hint="Calls, visits and follow-ups due today appear here, also offline." /> }
            >
                <ul class="rows" data-testid="due-list">
                    <For each=move || due.get().3 key=|line| line.clone() let:line>
                        <li class="row">{line}</li>
                    </For>
                </ul>
            </Show>
        </Page>
    }
}
