//! The sync status, always visible: online / offline / syncing, local edits not yet on the relay, and
//! when the relay last had everything.

use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use crate::locale::t_plural;
use crate::state::WorkspaceCtx;
use crate::sync::{SyncCtx, SyncStatus};

#[component]
pub(crate) fn SyncStatusBar() -> impl IntoView {
    let sync = SyncCtx::use_ctx();
    let workspace = WorkspaceCtx::use_ctx();
    let i18n = use_i18n();
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
            n => t_plural!(i18n, sync.pending, n),
        };
        let status = match sync.status.get() {
            SyncStatus::LocalOnly => t_string!(i18n, sync.local_only).to_string(),
            SyncStatus::SignedOut => t_string!(i18n, sync.signed_out).to_string(),
            SyncStatus::Refused(reason) => t_string!(i18n, sync.refused, reason).to_string(),
            SyncStatus::Offline => t_string!(i18n, sync.offline).to_string(),
            SyncStatus::Connecting => t_string!(i18n, sync.connecting).to_string(),
            SyncStatus::Syncing => t_string!(i18n, sync.syncing).to_string(),
            SyncStatus::Synced => match sync.last_synced.get() {
                Some(at) => t_string!(i18n, sync.synced_at, time = clock(at)).to_string(),
                None => t_string!(i18n, sync.synced).to_string(),
            },
        };
        format!("{status}{pending}")
    };
    let online = move || {
        let names = sync.online_names();
        (!names.is_empty()).then(|| {
            view! {
                <span class="online" data-testid="online-colleagues" title=names.join(", ")>
                    {t_string!(i18n, sync.online, names = names.join(", ")).to_string()}
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
                <span class="badge" data-testid="view-only" title=move || t_string!(i18n, sync.view_only_hint)>
                    {t!(i18n, sync.view_only)}
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
