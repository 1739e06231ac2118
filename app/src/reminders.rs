//! Due reminders as the device's own notifications, where the person allowed them: every half minute
//! (and when the page becomes visible) the tasks whose time has come (`queries::reminders_due`) are
//! announced once each — through the service worker when it controls the page, so the notification
//! survives the tab being in the background, else through the page. Which were announced is remembered
//! in `localStorage` (by task and due time: a snoozed task is announced again when its new time comes).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_i18n::td_string;
use rapport_core::queries;
use wasm_bindgen::JsCast;

use crate::i18n::{t, use_i18n};
use crate::state::WorkspaceCtx;

const ANNOUNCED: &str = "rapport-reminded";
const CHECK_EVERY_MS: u32 = 30_000;

/// "granted", "denied", "default" (not asked yet) or "unsupported".
pub(crate) fn permission() -> &'static str {
    let supported = web_sys::window()
        .is_some_and(|w| js_sys::Reflect::has(&w, &"Notification".into()).unwrap_or(false));
    if !supported {
        return "unsupported";
    }
    match web_sys::Notification::permission() {
        web_sys::NotificationPermission::Granted => "granted",
        web_sys::NotificationPermission::Denied => "denied",
        _ => "default",
    }
}

/// Asks the browser for permission; resolves to what [`permission`] then says.
pub(crate) async fn ask() -> &'static str {
    if let Ok(promise) = web_sys::Notification::request_permission() {
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    permission()
}

thread_local! {
    /// Set while announcing, so two checks at once never show one reminder twice.
    static BUSY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Starts announcing due tasks for the workspace: on every change (a task added due now, a colleague's
/// task arriving) and every half minute (time passing).
pub(crate) fn start(ctx: WorkspaceCtx) {
    Effect::new(move || {
        ctx.read(|_| ());
        spawn_local(announce_due(ctx));
    });
    spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(CHECK_EVERY_MS).await;
            announce_due(ctx).await;
        }
    });
}

/// Announces what is due and not yet announced. Also called when reminders are switched on.
pub(crate) async fn announce_due(ctx: WorkspaceCtx) {
    if permission() != "granted" || BUSY.with(|busy| busy.replace(true)) {
        return;
    }
    announce(ctx).await;
    BUSY.with(|busy| busy.set(false));
}

async fn announce(ctx: WorkspaceCtx) {
    let now = crate::local::now();
    let due: Vec<(String, String, String)> = ctx
        .read(|ws| {
            queries::reminders_due(&ws.model, ws.me, now)
                .into_iter()
                .map(|task| {
                    let at = task.effective_due().map_or(0, |t| t.0);
                    (format!("{}@{at}", task.id), task.title.clone(), task.id.to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let storage = web_sys::window().and_then(|w| w.local_storage().ok().flatten());
    let mut announced: Vec<String> = storage
        .as_ref()
        .and_then(|s| s.get_item(ANNOUNCED).ok().flatten())
        .map(|text| text.split('\n').map(str::to_owned).collect())
        .unwrap_or_default();
    let mut changed = false;
    for (key, title, id) in due {
        if announced.contains(&key) {
            continue;
        }
        if show(&title, &id).await {
            announced.push(key);
            changed = true;
        }
    }
    if changed && let Some(storage) = storage {
        // The last few hundred are plenty to never announce one twice.
        let keep = announced.len().saturating_sub(500);
        let _ = storage.set_item(ANNOUNCED, &announced[keep..].join("\n"));
    }
}

/// Shows one reminder; whether it was shown.
async fn show(title: &str, task: &str) -> bool {
    let options = web_sys::NotificationOptions::new();
    options.set_body(td_string!(crate::locale::current(), reminders.due_now));
    options.set_tag(task);
    options.set_icon("/icons/icon-192.png");
    let Some(window) = web_sys::window() else { return false };
    // Through the service worker when one is active for this page (registered even if it does not
    // control this first visit yet).
    let container = window.navigator().service_worker();
    let registration = wasm_bindgen_futures::JsFuture::from(container.get_registration()).await;
    if let Ok(registration) = registration
        && let Ok(registration) = registration.dyn_into::<web_sys::ServiceWorkerRegistration>()
        && registration.active().is_some()
        && let Ok(promise) = registration.show_notification_with_options(title, &options)
    {
        return wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
    }
    web_sys::Notification::new_with_options(title, &options).is_ok()
}

/// The control on the Tasks page: turn reminders on, or say why they are off.
#[component]
pub(crate) fn ReminderSwitch() -> impl IntoView {
    let ctx = WorkspaceCtx::use_ctx();
    let i18n = use_i18n();
    let state = RwSignal::new(permission());
    let turn_on = move |_| {
        spawn_local(async move {
            let now = ask().await;
            state.set(now);
            announce_due(ctx).await;
        });
    };
    view! {
        <p class="hint reminders" data-testid="reminders" data-state=move || state.get()>
            {move || match state.get() {
                "granted" => t!(i18n, reminders.on).into_any(),
                "denied" => t!(i18n, reminders.blocked).into_any(),
                "unsupported" => t!(i18n, reminders.unsupported).into_any(),
                _ => view! {
                    <button type="button" class="subtle" data-testid="enable-reminders" on:click=turn_on>
                        {t!(i18n, reminders.turn_on)}
                    </button>
                }.into_any(),
            }}
        </p>
    }
}
