use leptos::prelude::*;

use super::{EmptyState, Page};

#[component]
pub(crate) fn Today() -> impl IntoView {
    view! {
        <Page key="today" title="Today">
            <EmptyState title="Nothing due today" hint="Calls, visits and follow-ups due today appear here, also offline." />
        </Page>
    }
}
