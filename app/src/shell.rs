//! The frame around every page: brand and navigation (a sidebar on desktop, a bottom bar on phones),
//! and an error boundary so a failing page never blanks the whole app.

mod command_palette;
mod main_nav;
mod sync_status;

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};

use command_palette::CommandPalette;
pub(crate) use command_palette::ReplyComposer;
use main_nav::MainNav;
use sync_status::SyncStatusBar;

/// Lays out navigation and the current page.
#[component]
pub(crate) fn Shell(children: Children) -> impl IntoView {
    ReplyComposer::provide();
    view! {
        <div class="shell" data-testid="app-shell">
            <MainNav />
            <CommandPalette />
            <main class="shell-main" id="main" data-testid="main">
                <SyncStatusBar />
                <crate::pwa::UpdateBanner />
                <Notice />
                <ErrorBoundary fallback=|errors| {
                    view! { <PageError errors=errors /> }
                }>{children()}</ErrorBoundary>
            </main>
        </div>
    }
}

/// Problems the user must know about: storage refused a save, the workspace could not open.
#[component]
fn Notice() -> impl IntoView {
    let ctx = crate::state::WorkspaceCtx::use_ctx();
    let i18n = use_i18n();
    let text = move || match ctx.status.get() {
        crate::state::Status::Failed(error) => {
            Some(t_string!(i18n, shell.data_not_opened, error).to_string())
        }
        _ => ctx.notice.get(),
    };
    view! {
        <Show when=move || text().is_some()>
            <div class="notice" role="alert" data-testid="notice">
                <span>{text}</span>
                <button type="button" on:click=move |_| ctx.notice.set(None)>{t!(i18n, shell.dismiss)}</button>
            </div>
        </Show>
    }
}

/// Shown in place of a page that failed; the navigation stays usable.
#[component]
fn PageError(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="page page-error" role="alert" data-testid="page-error">
            <h1>{t!(i18n, shell.page_error)}</h1>
            <p>{t!(i18n, shell.page_error_hint)}</p>
            <ul>
                {move || {
                    errors
                        .get()
                        .into_iter()
                        .map(|(_, error)| view! { <li>{error.to_string()}</li> })
                        .collect_view()
                }}
            </ul>
        </section>
    }
}
