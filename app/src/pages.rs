//! One module per route. Each page is a component taking no props; it reads what it needs from context.

mod deal;
mod deals;
mod import_export;
mod log;
mod not_found;
mod parties;
mod party;
mod settings;
mod tasks;
mod today;

pub(crate) use deal::DealPage;
pub(crate) use deals::Deals;
pub(crate) use import_export::ImportExport;
pub(crate) use log::LogInteraction;
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
    /// The page heading, in the screens' language.
    #[prop(into)]
    title: TextProp,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="page" data-testid=format!("page-{key}") aria-labelledby="page-title">
            <header class="page-header">
                <h1 id="page-title" data-testid="page-title">{move || title.get()}</h1>
            </header>
            {children()}
        </section>
    }
}

/// What a page shows while it has nothing to list yet.
#[component]
fn EmptyState(#[prop(into)] title: TextProp, #[prop(into)] hint: TextProp) -> impl IntoView {
    view! {
        <div class="empty-state" data-testid="empty-state">
            <h2>{move || title.get()}</h2>
            <p>{move || hint.get()}</p>
        </div>
    }
}

/// A moment as the screens' language writes a date and time.
pub(crate) fn local_date_time(at: rapport_core::ids::Timestamp) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(at.0 as f64));
    let language = crate::widgets::language();
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    date.to_locale_string(&language, &options).into()
}
