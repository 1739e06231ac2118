mod sync_panel;

use leptos::prelude::*;
use leptos::task::spawn_local;
use sync_panel::SyncPanel;

use super::Page;
use crate::local::{self, StorageCheck};
use crate::state::WorkspaceCtx;

#[component]
pub(crate) fn Settings() -> impl IntoView {
    view! {
        <Page key="settings" title="Settings">
            <SyncPanel />
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
