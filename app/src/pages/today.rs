use leptos::prelude::*;
use rapport_core::queries;

use super::{EmptyState, Page};
use crate::i18n::{t, t_string, use_i18n};
use crate::local;
use crate::state::WorkspaceCtx;

#[component]
pub(crate) fn Today() -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let sync = crate::sync::SyncCtx::use_ctx();
    let i18n = use_i18n();
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
                ws.model
                    .parties
                    .get(&reminder.party)
                    .map(|p| t_string!(i18n, today.keep_in_touch, name = &p.name).to_string())
            }));
            (tasks.overdue.len(), tasks.today.len(), reminders.len(), lines)
        })
        .unwrap_or_default()
    });
    view! {
        <Page key="today" title=move || t_string!(i18n, nav.today)>
            <Show when=move || sync.can_edit()>
                <nav class="record-actions" aria-label=move || t_string!(i18n, today.log)>
                    <a class="action" href="/log/visit" data-testid="today-log-visit">{t!(i18n, palette.log_visit)}</a>
                    <a class="action" href="/log/call" data-testid="today-log-call">{t!(i18n, palette.log_call)}</a>
                </nav>
            </Show>
            <p class="count" data-testid="today-summary">
                {move || {
                    let (overdue, today, reminders, _) = due.get();
                    t_string!(i18n, today.summary, overdue, today, reminders).to_string()
                }}
            </p>
            <Show
                when=move || due.with(|d| !d.3.is_empty())
                fallback=move || view! { <EmptyState title=move || t_string!(i18n, today.empty) hint=move || t_string!(i18n, today.empty_hint) /> }
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
