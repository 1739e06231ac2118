//! The sync status, always visible: online / offline / syncing, local edits not yet on the relay, and
//! when the relay last had everything.

use leptos::prelude::*;

use crate::state::WorkspaceCtx;
use crate::sync::{SyncCtx, SyncStatus};

#[component]
pub(crate) fn SyncStatusBar() -> impl IntoView {
    let sync = SyncCtx::use_ctx();
    let workspace = WorkspaceCtx::use_ctx();
    let unsynced = move || workspace.read(|ws| ws.unsynced_edits()).unwrap_or(0);
    let state = move || match sync.status.get() {
        SyncStatus::LocalOnly => "local",
        SyncStatus::SignedOut => "signed-out",
        SyncStatus::Refused(_) => "refused",
        SyncStatus::Offline => "offline",
        SyncStatus::Connecting => "connecting",
        SyncStatus::Syncing => "syncing",
        SyncStatus::Synced => "synced",
    };
    let text = move || {
        let pending = match unsynced() {
            0 => String::new(),
            1 => " · 1 change not on the relay".to_owned(),
            n => format!(" · {n} changes not on the relay"),
        };
        let status = match sync.status.get() {
            SyncStatus::LocalOnly => "On this device only".to_owned(),
            SyncStatus::SignedOut => "Sign in to sync".to_owned(),
            SyncStatus::Refused(reason) => format!("Sync refused: {reason}"),
            SyncStatus::Offline => "Offline".to_owned(),
            SyncStatus::Connecting => "Connecting…".to_owned(),
            SyncStatus::Syncing => "Syncing…".to_owned(),
            SyncStatus::Synced => match sync.last_synced.get() {
                Some(at) => format!("Synced {}", clock(at)),
                None => "Synced".to_owned(),
            },
        };
        format!("{status}{pending}")
    };
    let online = move || {
        let names = sync.online_names();
        (!names.is_empty()).then(|| {
            view! {
                <span class="online" data-testid="online-colleagues" title=names.join(", ")>
                    {format!("· {} online", names.join(", "))}
                </span>
            }
        })
    };
    view! {
        <p class="sync-status" role="status" aria-live="polite" data-testid="sync-status" data-state=state
            data-unsynced=move || unsynced().to_string()>
            <span class="sync-dot" aria-hidden="true"></span>
            <a href="/settings#sync">{text}</a>
            <Show when=move || sync.view_only.get()>
                <span class="badge" data-testid="view-only" title="You can look at this workspace; changes are for members">
                    "· View only"
                </span>
            </Show>
            {online}
        </p>
    }
}

/// `HH:MM` in the browser's time zone.
fn clock(ms: f64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    format!("{:02}:{:02}", date.get_hours(), date.get_minutes())
}
