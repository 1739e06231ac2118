//! The main navigation. One `<nav>` serves both layouts: CSS turns it from a sidebar into a bottom bar
//! below 720 px, so there is one set of links for keyboards, screen readers and tests.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::nav::{NAV_ITEMS, NavItem};

#[component]
pub(crate) fn MainNav() -> impl IntoView {
    view! {
        <nav class="main-nav" aria-label="Main" data-testid="main-nav">
            <a class="brand" href="/" aria-label="Rapport home">
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
                <span class="main-nav-label">{item.label}</span>
            </A>
        </li>
    }
}
