//! The installed-app side of Rapport: the service worker that lets it open offline, the "update
//! available" prompt, input not yet saved (so an update or a closed tab never drops it), and the
//! browser's promise to keep this device's data.
//!
//! The service worker itself is `public/sw.js`; `scripts/precache` stamps each build's version into it.

use leptos::prelude::*;
use leptos_i18n::td_string;

use crate::i18n::{t, t_string, use_i18n};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use wasm_bindgen_futures::JsFuture;

/// How much the browser stores for this site, and whether it promised not to clear it under pressure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StorageInfo {
    pub usage_bytes: f64,
    pub quota_bytes: f64,
    /// `navigator.storage.persisted()`: without it the browser may evict everything when space runs low.
    pub persisted: bool,
}

/// App-wide PWA state, in context.
#[derive(Debug, Clone, Copy)]
pub struct PwaCtx {
    /// A new version is installed and waits for the user to reload.
    pub update_ready: RwSignal<bool>,
    /// The user chose to reload into the new version: the page reloads once it controls the page.
    update_requested: RwSignal<bool>,
    /// Forms with input that is not saved yet; while any exist, reloading is held back.
    unsaved_forms: RwSignal<u32>,
    pub storage: RwSignal<Option<StorageInfo>>,
}

impl PwaCtx {
    pub fn provide() -> Self {
        let ctx = Self {
            update_ready: RwSignal::new(false),
            update_requested: RwSignal::new(false),
            unsaved_forms: RwSignal::new(0),
            storage: RwSignal::new(None),
        };
        provide_context(ctx);
        register_service_worker(ctx);
        warn_before_leaving_unsaved_input(ctx);
        ctx
    }

    pub fn use_ctx() -> Self {
        expect_context::<Self>()
    }

    pub fn has_unsaved_input(&self) -> bool {
        self.unsaved_forms.get() > 0
    }

    /// Counts a form as unsaved while `dirty` is true, and stops counting it when the form goes away.
    pub fn track_unsaved(&self, dirty: Signal<bool>) {
        let counted = StoredValue::new(false);
        let forms = self.unsaved_forms;
        Effect::new(move || {
            let now = dirty.get();
            if now != counted.get_value() {
                counted.set_value(now);
                forms.update(|n| if now { *n += 1 } else { *n = n.saturating_sub(1) });
            }
        });
        on_cleanup(move || {
            if counted.get_value() {
                forms.update(|n| *n = n.saturating_sub(1));
            }
        });
    }

    /// Switches to the waiting version: it takes control, and the page reloads when it has (see
    /// `register_service_worker`).
    pub fn apply_update(&self) {
        let Some(container) = service_workers() else { return };
        self.update_requested.set(true);
        leptos::task::spawn_local(async move {
            let Ok(ready) = container.ready() else { return };
            let Ok(registration) = JsFuture::from(ready).await else { return };
            let registration: web_sys::ServiceWorkerRegistration = registration.unchecked_into();
            if let Some(waiting) = registration.waiting() {
                let message = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&message, &"type".into(), &"skip-waiting".into());
                let _ = waiting.post_message(&message);
            }
        });
    }

    /// Reads usage and quota, and asks the browser to keep the data (granted silently to installed apps and
    /// much-used sites, refused otherwise; asking again later is harmless).
    pub fn refresh_storage(&self, ask_to_persist: bool) {
        let storage = self.storage;
        leptos::task::spawn_local(async move {
            let Some(manager) = web_sys::window().map(|w| w.navigator().storage()) else { return };
            let mut persisted = promise_bool(manager.persisted()).await;
            if !persisted && ask_to_persist {
                persisted = promise_bool(manager.persist()).await;
            }
            let Ok(promise) = manager.estimate() else { return };
            let Ok(estimate) = JsFuture::from(promise).await else { return };
            let estimate: web_sys::StorageEstimate = estimate.unchecked_into();
            storage.set(Some(StorageInfo {
                usage_bytes: estimate.get_usage().unwrap_or(0.0),
                quota_bytes: estimate.get_quota().unwrap_or(0.0),
                persisted,
            }));
        });
    }
}

/// The version of the running build (stamped into index.html by `scripts/precache`).
pub fn build_version() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("meta[name=rapport-version]").ok().flatten())
        .and_then(|meta| meta.get_attribute("content"))
        .unwrap_or_else(|| "dev".to_owned())
}

async fn promise_bool(promise: Result<js_sys::Promise, wasm_bindgen::JsValue>) -> bool {
    let Ok(promise) = promise else { return false };
    JsFuture::from(promise).await.ok().and_then(|value| value.as_bool()).unwrap_or(false)
}

fn service_workers() -> Option<web_sys::ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    // Absent on insecure origins (plain http other than localhost) and in some private modes.
    js_sys::Reflect::has(&navigator, &"serviceWorker".into())
        .unwrap_or(false)
        .then(|| navigator.service_worker())
}

/// Registers `/sw.js`, and tells `update_ready` when a new version has installed behind the running one.
/// Checks for a new version when the page comes back to the foreground and every 30 minutes.
fn register_service_worker(ctx: PwaCtx) {
    let Some(container) = service_workers() else { return };
    // The first install also takes over the page (clients.claim), and another tab may apply an update:
    // only an update this user asked for here reloads the page.
    let on_controller_change = Closure::<dyn FnMut()>::new(move || {
        if ctx.update_requested.get_untracked()
            && let Some(window) = web_sys::window()
        {
            let _ = window.location().reload();
        }
    });
    container.set_oncontrollerchange(Some(on_controller_change.as_ref().unchecked_ref()));
    on_controller_change.forget();

    leptos::task::spawn_local(async move {
        let registration = match JsFuture::from(container.register("/sw.js")).await {
            Ok(registration) => registration.unchecked_into::<web_sys::ServiceWorkerRegistration>(),
            Err(error) => {
                web_sys::console::warn_2(&"Rapport will not open offline:".into(), &error);
                return;
            }
        };
        let ready = ctx.update_ready;
        let mark_if_waiting = {
            let registration = registration.clone();
            move || {
                // A waiting worker with a controlling one in place is a new version, not the first install.
                let waiting = registration.waiting().is_some();
                let controlled = service_workers().and_then(|c| c.controller()).is_some();
                if waiting && controlled && !ready.get_untracked() {
                    ready.set(true);
                }
            }
        };
        mark_if_waiting();
        let on_update_found = {
            let registration = registration.clone();
            let mark_if_waiting = mark_if_waiting.clone();
            Closure::<dyn FnMut()>::new(move || {
                let Some(installing) = registration.installing() else { return };
                let mark_if_waiting = mark_if_waiting.clone();
                let on_state = Closure::<dyn FnMut()>::new(mark_if_waiting);
                installing.set_onstatechange(Some(on_state.as_ref().unchecked_ref()));
                on_state.forget();
            })
        };
        registration.set_onupdatefound(Some(on_update_found.as_ref().unchecked_ref()));
        on_update_found.forget();

        let check = Closure::<dyn FnMut()>::new(move || {
            let visible = web_sys::window()
                .and_then(|w| w.document())
                .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
            if visible && let Ok(promise) = registration.update() {
                // A failed check (offline) is normal; the next one tries again.
                leptos::task::spawn_local(async move {
                    let _ = JsFuture::from(promise).await;
                });
            }
        });
        if let Some(window) = web_sys::window() {
            if let Some(document) = window.document() {
                let _ = document.add_event_listener_with_callback(
                    "visibilitychange",
                    check.as_ref().unchecked_ref(),
                );
            }
            let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
                check.as_ref().unchecked_ref(),
                30 * 60 * 1000,
            );
        }
        check.forget();
    });
}

/// While a form holds unsaved input, closing or reloading the tab asks first.
fn warn_before_leaving_unsaved_input(ctx: PwaCtx) {
    let Some(window) = web_sys::window() else { return };
    let handler = Closure::<dyn FnMut(web_sys::BeforeUnloadEvent)>::new(
        move |event: web_sys::BeforeUnloadEvent| {
            if ctx.unsaved_forms.get_untracked() > 0 {
                event.prevent_default();
                event.set_return_value(td_string!(crate::locale::current(), pwa.unsaved_leave));
            }
        },
    );
    let _ =
        window.add_event_listener_with_callback("beforeunload", handler.as_ref().unchecked_ref());
    handler.forget();
}

/// "Update available — Reload", held back while input is unsaved.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let ctx = PwaCtx::use_ctx();
    let i18n = use_i18n();
    let applying = RwSignal::new(false);
    view! {
        <Show when=move || ctx.update_ready.get()>
            <div class="update-banner" role="status" data-testid="update-available">
                <span>
                    {move || if ctx.has_unsaved_input() {
                        t_string!(i18n, pwa.update_save_first)
                    } else {
                        t_string!(i18n, pwa.update_available)
                    }}
                </span>
                <button
                    type="button"
                    data-testid="apply-update"
                    disabled=move || ctx.has_unsaved_input() || applying.get()
                    on:click=move |_| {
                        applying.set(true);
                        ctx.apply_update();
                    }
                >
                    {t!(i18n, pwa.reload)}
                </button>
            </div>
        </Show>
    }
}
