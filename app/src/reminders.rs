//! Due reminders as the device's own notifications, where the person allowed them: every half minute
//! (and when the page becomes visible) the tasks whose time has come (`queries::reminders_due`) are
//! announced once each — through the service worker when it controls the page, so the notification
//! survives the tab being in the background, else through the page. Which were announced is remembered
//! in `localStorage` (by task and due time: a snoozed task is announced again when its new time comes).
//!
//! In a workspace that syncs, the relay also pushes each reminder when it is due, to every subscribed
//! device, while Rapport is closed or the phone asleep ([`subscribe_push`] registers this browser;
//! `crate::outbox` registers the jobs). Both carry the job's id as the notification's tag, so a device
//! that is open when the push arrives shows one notification, not two.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_i18n::td_string;
use rapport_core::{jobs, queries};
use wasm_bindgen::JsCast;

use crate::i18n::{t, t_string, use_i18n};
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
    let due: Vec<(String, String, String, String)> = ctx
        .read(|ws| {
            queries::reminders_due(&ws.model, ws.me, now)
                .into_iter()
                .map(|task| {
                    let at = task.effective_due().map_or(0, |t| t.0);
                    let tag = jobs::task_reminder_id(ws.workspace, task.id).to_string();
                    let open = match task.parties.first() {
                        Some(party) => format!("/parties/{party}"),
                        None => "/tasks".to_owned(),
                    };
                    (format!("{}@{at}", task.id), task.title.clone(), tag, open)
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
    for (key, title, tag, open) in due {
        if announced.contains(&key) {
            continue;
        }
        if show(&title, &tag, &open).await {
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

/// Shows one reminder; whether it was shown. A tap opens `open` (the service worker's click handler).
async fn show(title: &str, tag: &str, open: &str) -> bool {
    let options = web_sys::NotificationOptions::new();
    options.set_body(td_string!(crate::locale::current(), reminders.due_now));
    options.set_tag(tag);
    options.set_icon("/icons/icon-192.png");
    let data = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&data, &"open".into(), &open.into());
    options.set_data(&data);
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
    let outbox = use_context::<crate::outbox::OutboxCtx>();
    let turn_on = move |_| {
        spawn_local(async move {
            let now = ask().await;
            state.set(now);
            announce_due(ctx).await;
            // Registers this browser for pushed reminders in the next round with the relay.
            if let Some(outbox) = outbox {
                outbox.refresh();
            }
        });
    };
    // In a workspace that syncs with a relay that pushes: whether this device gets them while closed.
    let pushed = move || {
        let outbox = outbox?;
        (state.get() == "granted" && outbox.relay_push.get() == Some(true))
            .then(|| outbox.push_subscribed.get())
            .flatten()
    };
    view! {
        <p class="hint reminders" data-testid="reminders" data-state=move || state.get()
            data-push=move || match pushed() {
                Some(Ok(())) => "on",
                Some(Err(_)) => "off",
                None => "",
            }>
            {move || match state.get() {
                "granted" => view! {
                    {t!(i18n, reminders.on)}
                    {move || match pushed() {
                        Some(Ok(())) => Some(view! { " " {t!(i18n, reminders.pushed)} }.into_any()),
                        Some(Err(reason)) => Some(
                            view! { " " {t_string!(i18n, reminders.push_off, reason).to_string()} }
                                .into_any(),
                        ),
                        None => None,
                    }}
                }.into_any(),
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

/// Registers this browser with the relay for pushed reminders: subscribes through the service
/// worker's push manager with the relay's key and hands the subscription over. Needs notification
/// permission and a browser that can reach its push service (offline, or without one, this fails and
/// reminders come while Rapport is open only). The error names what failed.
pub(crate) async fn subscribe_push() -> Result<(), String> {
    use wasm_bindgen_futures::JsFuture;
    if permission() != "granted" {
        return Err("notifications are not allowed".into());
    }
    let key = crate::relay_api::push_key().await.map_err(|error| error.said())?;
    let window = web_sys::window().ok_or("no window")?;
    let ready = window.navigator().service_worker().ready().map_err(|_| "no service worker")?;
    let registration = JsFuture::from(ready).await.map_err(|_| "no service worker")?;
    let manager = js_sys::Reflect::get(&registration, &"pushManager".into())
        .ok()
        .filter(|manager| !manager.is_undefined())
        .ok_or("this browser has no push")?;
    let subscribe: js_sys::Function = js_sys::Reflect::get(&manager, &"subscribe".into())
        .map_err(|_| "this browser has no push")?
        .dyn_into()
        .map_err(|_| "this browser has no push")?;
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"userVisibleOnly".into(), &true.into());
    let key = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        key.trim_end_matches('='),
    )
    .map_err(|_| "the relay's push key is not base64url")?;
    let key = js_sys::Uint8Array::from(key.as_slice());
    let _ = js_sys::Reflect::set(&options, &"applicationServerKey".into(), &key);
    let promise: js_sys::Promise = subscribe
        .call1(&manager, &options)
        .map_err(|_| "subscribing failed")?
        .dyn_into()
        .map_err(|_| "subscribing failed")?;
    let subscription = JsFuture::from(promise).await.map_err(|error| {
        js_sys::Reflect::get(&error, &"message".into())
            .ok()
            .and_then(|message| message.as_string())
            .unwrap_or_else(|| "the browser's push service refused".into())
    })?;
    let json = js_sys::JSON::stringify(&subscription).map_err(|_| "unreadable subscription")?;
    let json: String = json.into();
    crate::relay_api::push_subscribe(&json).await.map_err(|error| error.said())
}
