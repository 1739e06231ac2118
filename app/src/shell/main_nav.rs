//! The main navigation. One `<nav>` serves both layouts: CSS turns it from a sidebar into a bottom bar
//! below 720 px, so there is one set of links for keyboards, screen readers and tests.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::{t_string, use_i18n};
use crate::nav::{NAV_ITEMS, NavItem};

#[component]
pub(crate) fn MainNav() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="main-nav" aria-label=move || t_string!(i18n, nav.main) data-testid="main-nav">
            <a class="brand" href="/" aria-label=move || t_string!(i18n, nav.home)>
                <span class="brand-mark" aria-hidden="true">"R"</span>
                <span class="brand-name">{rapport_core::PRODUCT_NAME}</span>
            </a>
            <ul class="main-nav-list">
                {NAV_ITEMS.iter().map(|item| view! { <NavLink item=*item /> }).collect_view()}
            </ul>
        </nav>
    }
}

/// A link with its icon; the router marks the current one with `aria-current="page"`.
#[component]
fn NavLink(item: NavItem) -> impl IntoView {
    let i18n = use_i18n();
    let label = move || match item.key {
        "today" => t_string!(i18n, nav.today),
        "parties" => t_string!(i18n, nav.parties),
        "deals" => t_string!(i18n, nav.deals),
        "tasks" => t_string!(i18n, nav.tasks),
        "tickets" => t_string!(i18n, nav.tickets),
        _ => t_string!(i18n, nav.settings),
    };
    view! {
        <li>
            <A href=item.path attr:class="main-nav-link" attr:data-testid=format!("nav-{}", item.key)>
                <svg
                    class="icon"
                    viewBox="0 0 24 24"
                    aria-hidden="true"
                    fill="none"
                    stroke="currentColor"
                    stroke-width="1.8"
                    stroke-linecap="round"
                    stroke-linejoin="round"
                >
                    <path d=item.icon />
                </svg>
                <span class="main-nav-label">{label}</span>
            </A>
        </li>
    }
}
