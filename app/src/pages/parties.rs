use leptos::prelude::*;

use super::{EmptyState, Page};

#[component]
pub(crate) fn Parties() -> impl IntoView {
    view! {
        <Page key="parties" title="People">
            <EmptyState title="No people or organisations yet" hint="Customers, prospects, suppliers, investors and colleagues — all in one list." />
        </Page>
    }
}
