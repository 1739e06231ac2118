use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{t, use_i18n};

/// Any path the router does not know: say so and offer the way home instead of a blank page.
#[component]
pub(crate) fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page" data-testid="page-not-found">
            <header class="page-header">
                <h1 data-testid="page-title">{t!(i18n, shell.not_found)}</h1>
            </header>
            <p>{t!(i18n, shell.not_found_hint)}</p>
            <A href="/">{t!(i18n, shell.back_to_today)}</A>
        </section>
    }
}
