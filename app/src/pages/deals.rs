use leptos::prelude::*;

use super::{EmptyState, Page};

#[component]
pub(crate) fn Deals() -> impl IntoView {
    view! {
        <Page key="deals" title="Deals">
            <EmptyState title="No deals yet" hint="Pipelines for sales, fundraising, procurement and hiring, with a weighted forecast." />
        </Page>
    }
}
