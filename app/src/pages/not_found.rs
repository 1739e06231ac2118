use leptos::prelude::*;
use leptos_router::components::A;

/// Any path the router does not know: say so and offer the way home instead of a blank page.
#[component]
pub(crate) fn NotFound() -> impl IntoView {
    view! {
        <section class="page" data-testid="page-not-found">
            <header class="page-header">
                <h1 data-testid="page-title">"Page not found"</h1>
            </header>
            <p>"This address does not lead anywhere in Rapport."</p>
            <A href="/">"Back to Today"</A>
        </section>
    }
}
