use leptos::prelude::*;

use super::{EmptyState, Page};

#[component]
pub(crate) fn Settings() -> impl IntoView {
    view! {
        <Page key="settings" title="Settings">
            <EmptyState title="Workspace settings" hint="Members, pipelines, custom fields and sync live here." />
        </Page>
    }
}
