use leptos::prelude::*;

use super::{EmptyState, Page};

#[component]
pub(crate) fn Tasks() -> impl IntoView {
    view! {
        <Page key="tasks" title="Tasks">
            <EmptyState title="No tasks yet" hint="Tasks and keep-in-touch reminders, overdue first." />
        </Page>
    }
}
