//! One module per route. Each page is a component taking no props; it reads what it needs from context.

mod deals;
mod not_found;
mod parties;
mod party;
mod settings;
mod tasks;
mod today;

pub(crate) use deals::Deals;
pub(crate) use not_found::NotFound;
pub(crate) use parties::Parties;
pub(crate) use party::PartyPage;
pub(crate) use settings::Settings;
pub(crate) use tasks::Tasks;
pub(crate) use today::Today;

use leptos::prelude::*;

/// The frame every page shares: a heading people and tests can find, and the page body.
#[component]
fn Page(
    /// `page-<key>` becomes the page's test handle.
    key: &'static str,
    /// The page heading.
    title: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="page" data-testid=format!("page-{key}") aria-labelledby="page-title">
            <header class="page-header">
                <h1 id="page-title" data-testid="page-title">{title}</h1>
            </header>
            {children()}
        </section>
    }
}

/// What a page shows while it has nothing to list yet.
#[component]
fn EmptyState(title: &'static str, hint: &'static str) -> impl IntoView {
    view! {
        <div class="empty-state" data-testid="empty-state">
            <h2>{title}</h2>
            <p>{hint}</p>
        </div>
    }
}
