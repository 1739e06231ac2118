mod fields;
mod pipelines;
mod sync_panel;

use fields::CustomFields;
use leptos::prelude::*;
use leptos::task::spawn_local;
use pipelines::Pipelines;
use sync_panel::SyncPanel;

use super::Page;
use crate::local::{self, StorageCheck};
use crate::pwa::{PwaCtx, build_version};
use crate::state::WorkspaceCtx;

#[component]
pub(crate) fn Settings() -> impl IntoView {
    view! {
        <Page key="settings" title="Settings">
            <SyncPanel />
            <section class="panel" aria-labelledby="transfer-title">
                <h2 id="transfer-title">"Import and export"</h2>
                <p class="hint">"Bring contacts in from CSV or vCard; take them out the same way."</p>
                <a class="action" href="/import-export" data-testid="import-export-link">"Import or export…"</a>
            </section>
            <Pipelines />
            <CustomFields />
            <DeviceStorage />
        </Page>
    }
}

/// This device's copy of the workspace: check every document and compact it, on demand.
#[component]
fn DeviceStorage() -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let checking = RwSignal::new(false);
    let result = RwSignal::new(None::<Result<StorageCheck, String>>);
    let check = move |_| {
        let Some(shared) = ctx.shared() else { return };
        checking.set(true);
        spawn_local(async move {
            let outcome = local::check_and_compact(&shared).await.map_err(|e| e.to_string());
            result.set(Some(outcome));
            checking.set(false);
        });
    };
    view! {
        <section class="panel" aria-labelledby="storage-title">
            <h2 id="storage-title">"Data on this device"</h2>
            <StorageUse />
            <p class="hint">
                "Reads every stored document, reports anything damaged (and leaves it untouched), and packs the rest to save space."
            </p>
            <button type="button" data-testid="check-storage" on:click=check disabled=move || checking.get()>
                {move || if checking.get() { "Checking…" } else { "Check and compact" }}
            </button>
            {move || result.get().map(|outcome| match outcome {
                Ok(check) => view! { <StorageReport check /> }.into_any(),
                Err(error) => view! { <p class="error" data-testid="storage-error">{error}</p> }.into_any(),
            })}
        </section>
    }
}

/// How much this site stores, whether the browser promised to keep it, and a warning when edits that
/// exist only here could be cleared by the browser.
#[component]
fn StorageUse() -> impl IntoView {
    let pwa = PwaCtx::use_ctx();
    let ctx = WorkspaceCtx::use_ctx();
    pwa.refresh_storage(false);
    let unsynced = move || ctx.read(|ws| ws.unsynced_edits()).unwrap_or(0);
    let linked = move || ctx.read(|ws| ws.linked).unwrap_or(false);
    view! {
        {move || pwa.storage.get().map(|info| {
            view! {
                <dl class="facts" data-testid="storage-use">
                    <dt>"Used"</dt>
                    <dd data-testid="storage-usage">
                        {format!("{} of {}", size(info.usage_bytes), size(info.quota_bytes))}
                    </dd>
                    <dt>"Kept by the browser"</dt>
                    <dd data-testid="storage-persisted" data-persisted=info.persisted.to_string()>
                        {if info.persisted { "Yes, even when space runs low" } else { "Only while space allows" }}
                    </dd>
                    <dt>"Version"</dt>
                    <dd data-testid="app-version">{build_version()}</dd>
                </dl>
            }
        })}
        {move || {
            let at_risk = pwa.storage.get().is_some_and(|info| !info.persisted);
            let only_here = if linked() { unsynced() } else { 0 };
            (at_risk && (only_here > 0 || !linked())).then(|| view! {
                <p class="warning" role="alert" data-testid="eviction-warning">
                    {if linked() {
                        format!("{only_here} change(s) exist only on this device, and the browser may clear its storage when space runs low. Connect to sync them, or keep the data on this device.")
                    } else {
                        "This workspace exists only on this device, and the browser may clear its storage when space runs low. Upload it to the relay, or keep the data on this device.".to_owned()
                    }}
                </p>
                <button type="button" data-testid="persist-storage" on:click=move |_| pwa.refresh_storage(true)>
                    "Keep the data on this device"
                </button>
            })
        }}
    }
}

/// Bytes as people read them: "2.9 MB", "10.7 GB".
fn size(bytes: f64) -> String {
    if bytes >= 1e9 { format!("{:.1} GB", bytes / 1e9) } else { format!("{:.1} MB", bytes / 1e6) }
}

#[component]
fn StorageReport(check: StorageCheck) -> impl IntoView {
    let damaged = check
        .damaged
        .iter()
        .map(|(key, chunks)| format!("{key}: {} unreadable part(s)", chunks.len()))
        .collect::<Vec<_>>();
    view! {
        <dl class="facts" data-testid="storage-report">
            <dt>"Documents"</dt>
            <dd data-testid="storage-documents">{check.documents}</dd>
            <dt>"Stored before"</dt>
            <dd data-testid="storage-bytes-before">{format!("{} bytes in {} parts", check.bytes_before, check.chunks_before)}</dd>
            <dt>"Stored now"</dt>
            <dd data-testid="storage-bytes-after">{format!("{} bytes", check.bytes_after)}</dd>
            <dt>"Read in"</dt>
            <dd data-testid="storage-load-ms">{format!("{:.0} ms", check.load_ms)}</dd>
            <dt>"Memory used"</dt>
            <dd data-testid="storage-memory">{format!("{:.1} MB", check.memory_bytes as f64 / 1e6)}</dd>
        </dl>
        {(!damaged.is_empty()).then(|| view! {
            <ul class="error" data-testid="storage-damaged">
                {damaged.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
        })}
    }
}
