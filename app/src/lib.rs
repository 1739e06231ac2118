//! Rapport's browser app: the `App` root, its router and the shell around every page.

pub mod local;
mod nav;
mod pages;
pub mod pwa;
pub mod relay_api;
mod reminders;
mod shell;
pub mod state;
pub mod storage;
pub mod sync;
pub mod timing;
mod widgets;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

pub use nav::{NAV_ITEMS, NavItem};

/// The whole app: router, shell and pages.
#[component]
pub fn App() -> impl IntoView {
    let pwa = pwa::PwaCtx::provide();
    let workspace = state::WorkspaceCtx::provide();
    // Once the workspace holds data, ask the browser to keep it through storage pressure.
    Effect::new(move |asked: Option<bool>| {
        let ready = asked == Some(true) || workspace.status.get() == state::Status::Ready;
        if ready && asked != Some(true) {
            pwa.refresh_storage(true);
        }
        ready
    });
    sync::SyncCtx::provide(workspace);
    reminders::start(workspace);
    view! {
        <Router>
            <shell::Shell>
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/") view=pages::Today />
                    <Route path=path!("/parties") view=pages::Parties />
                    <Route path=path!("/parties/:id") view=pages::PartyPage />
                    <Route path=path!("/log/:kind") view=pages::LogInteraction />
                    <Route path=path!("/deals") view=pages::Deals />
                    <Route path=path!("/deals/:id") view=pages::DealPage />
                    <Route path=path!("/tasks") view=pages::Tasks />
                    <Route path=path!("/settings") view=pages::Settings />
                    <Route path=path!("/import-export") view=pages::ImportExport />
                </Routes>
            </shell::Shell>
        </Router>
    }
}
