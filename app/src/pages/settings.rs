mod escalation_rules;
pub(crate) use escalation_rules::metric_name;
mod fields;
mod mail_panel;
mod pipelines;
mod scorecard_panel;
mod scoring_panel;
mod service_panel;
mod sync_panel;
mod ticket_statuses;

use fields::CustomFields;
use leptos::prelude::*;

use crate::i18n::{t, t_string, use_i18n};
use leptos::task::spawn_local;
use mail_panel::MailPanel;
use pipelines::Pipelines;
use scorecard_panel::ScorecardPanel;
use scoring_panel::ScoringPanel;
use service_panel::ServicePanel;
use sync_panel::SyncPanel;

use super::Page;
use crate::local::{self, StorageCheck};
use crate::pwa::{PwaCtx, build_version};
use crate::state::WorkspaceCtx;

#[component]
pub(crate) fn Settings() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Page key="settings" title=move || t_string!(i18n, nav.settings)>
            <section class="panel" aria-labelledby="language-title">
                <h2 id="language-title">{t!(i18n, settings.language)}</h2>
                <crate::locale::LanguageSwitch />
            </section>
            <SyncPanel />
            <MailPanel />
            <section class="panel" aria-labelledby="transfer-title">
                <h2 id="transfer-title">{t!(i18n, settings.transfer)}</h2>
                <p class="hint">{t!(i18n, settings.transfer_hint)}</p>
                <a class="action" href="/import-export" data-testid="import-export-link">{t!(i18n, settings.transfer_link)}</a>
            </section>
            <Pipelines />
            <ServicePanel />
            <ScorecardPanel />
            <ScoringPanel />
            <CustomFields />
            <DeviceStorage />
        </Page>
    }
}

/// This device's copy of the workspace: check every document and compact it, on demand.
#[component]
fn DeviceStorage() -> impl IntoView {
    let i18n = use_i18n();
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
            <h2 id="storage-title">{t!(i18n, settings.storage)}</h2>
            <StorageUse />
            <p class="hint">
                {t!(i18n, settings.check_hint)}
            </p>
            <button type="button" data-testid="check-storage" on:click=check disabled=move || checking.get()>
                {move || if checking.get() { t_string!(i18n, settings.checking) } else { t_string!(i18n, settings.check) }}
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
    let i18n = use_i18n();
    let pwa = PwaCtx::use_ctx();
    let ctx = WorkspaceCtx::use_ctx();
    pwa.refresh_storage(false);
    let unsynced = move || ctx.read(|ws| ws.unsynced_edits()).unwrap_or(0);
    let linked = move || ctx.read(|ws| ws.linked).unwrap_or(false);
    view! {
        {move || pwa.storage.get().map(|info| {
            view! {
                <dl class="facts" data-testid="storage-use">
                    <dt>{t!(i18n, settings.used)}</dt>
                    <dd data-testid="storage-usage">
                        {t_string!(i18n, settings.used_of, used = size(info.usage_bytes), quota = size(info.quota_bytes)).to_string()}
                    </dd>
                    <dt>{t!(i18n, settings.persisted)}</dt>
                    <dd data-testid="storage-persisted" data-persisted=info.persisted.to_string()>
                        {if info.persisted { t_string!(i18n, settings.persisted_yes) } else { t_string!(i18n, settings.persisted_no) }}
                    </dd>
                    <dt>{t!(i18n, settings.version)}</dt>
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
                        t_string!(i18n, settings.at_risk, count = only_here).to_string()
                    } else {
                        t_string!(i18n, settings.at_risk_local).to_owned()
                    }}
                </p>
                <button type="button" data-testid="persist-storage" on:click=move |_| pwa.refresh_storage(true)>
                    {t!(i18n, settings.persist)}
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
    let i18n = use_i18n();
    let damaged = check
        .damaged
        .iter()
        .map(|(key, chunks)| {
            t_string!(i18n, settings.unreadable, key, count = chunks.len()).to_string()
        })
        .collect::<Vec<_>>();
    view! {
        <dl class="facts" data-testid="storage-report">
            <dt>{t!(i18n, settings.documents)}</dt>
            <dd data-testid="storage-documents">{check.documents}</dd>
            <dt>{t!(i18n, settings.before)}</dt>
            <dd data-testid="storage-bytes-before">{t_string!(i18n, settings.bytes_parts, bytes = check.bytes_before, parts = check.chunks_before).to_string()}</dd>
            <dt>{t!(i18n, settings.after)}</dt>
            <dd data-testid="storage-bytes-after">{t_string!(i18n, settings.bytes, bytes = check.bytes_after).to_string()}</dd>
            <dt>{t!(i18n, settings.read_in)}</dt>
            <dd data-testid="storage-load-ms">{format!("{:.0} ms", check.load_ms)}</dd>
            <dt>{t!(i18n, settings.memory)}</dt>
            <dd data-testid="storage-memory">{format!("{:.1} MB", check.memory_bytes as f64 / 1e6)}</dd>
        </dl>
        {(!damaged.is_empty()).then(|| view! {
            <ul class="error" data-testid="storage-damaged">
                {damaged.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            </ul>
        })}
    }
}
