//! Notifications that reach a sleeping phone: Web Push (RFC 8030) with VAPID (RFC 8292) and message
//! encryption (RFC 8291), through the `web-push` crate. Devices register their browser's push
//! subscription with the relay; scheduled jobs (`notify` entries of the outbox) are pushed to the
//! subscriptions of the members they name when due, whether or not any device is online.
//!
//! Exactly once per device: each device a job reaches is recorded (`push_deliveries`) before the
//! next is tried, so a retry after a push service's hiccup or a restart after `kill -9` reaches only
//! those not reached yet. The one push that can go twice is the one in flight when the relay died; it
//! carries the job's id as its `Topic` (the push service keeps only the latest message of a topic)
//! and the notification's tag (the device shows one notification per tag), so a person sees it once.
//!
//! The relay posts to URLs its users give it: only push services named by `--push-service` (the
//! browsers' own by default) over HTTPS are accepted, never another host — no request forgery into
//! the relay's network.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, put};
use axum::{Json, Router};
use base64::Engine;
use rapport_core::outbox::{Notify, OutboxId, Work};
use serde::{Deserialize, Serialize};
use web_push::{
    ContentEncoding, PartialVapidSignatureBuilder, SubscriptionInfo, Urgency,
    VapidSignatureBuilder, WebPushMessageBuilder,
};

use crate::AppState;
use crate::accounts::{
    Refusal, Why, bad_request, hash_token, json_body, session_token, signed_in, unix_seconds,
};
use crate::store::outbox::{Due, Outcome};
use crate::store::push::{self as subscriptions, Subscription};
use crate::store::{Store, StoreError};

/// The push services of the browsers people use: Chrome and Edge on Android and desktop (Firebase),
/// Firefox (Mozilla autopush), Edge on Windows (WNS), Safari (Apple).
pub const BROWSER_PUSH_SERVICES: &[&str] =
    &["fcm.googleapis.com", "push.services.mozilla.com", "notify.windows.com", "push.apple.com"];
/// The most push subscriptions (devices) one account keeps; the oldest gives way.
pub const MOST_SUBSCRIPTIONS: u64 = 20;
/// How long a push service keeps a notification for a device that is off (two days).
const TIME_TO_LIVE: u32 = 2 * 24 * 3600;

/// How the relay pushes.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// The VAPID `sub` claim: how a push service reaches the relay's operator (`mailto:…` or
    /// `https://…`).
    pub contact: String,
    /// Hosts subscriptions may point at: each matches itself and its subdomains.
    pub services: Vec<String>,
    /// Also accept `http://127.0.0.1:…` endpoints (a test's push receiver).
    pub allow_loopback: bool,
    /// How long one push service request may take.
    pub timeout: Duration,
    /// The pause after the first failed attempt; each next pause is three times longer (1 h at most).
    pub retry_after: Duration,
    /// Attempts before a job is marked failed.
    pub attempts: u32,
    /// Jobs pushed at once.
    pub at_once: usize,
}

impl PushSettings {
    pub fn new(contact: String) -> PushSettings {
        PushSettings {
            contact,
            services: BROWSER_PUSH_SERVICES.iter().map(|host| (*host).to_owned()).collect(),
            allow_loopback: false,
            timeout: Duration::from_secs(15),
            retry_after: Duration::from_secs(10),
            attempts: 6,
            at_once: 16,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PushSetupError {
    #[error("the push contact must be a mailto: or https: URL, not “{0}”")]
    Contact(String),
    #[error("the relay's push key is not usable: {0:?}")]
    Key(web_push::WebPushError),
    #[error("the HTTP client could not start: {0}")]
    Client(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The relay's push sender. Cheap to clone.
#[derive(Clone)]
pub struct Pusher {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    vapid: PartialVapidSignatureBuilder,
    /// The VAPID public key browsers subscribe with (base64url, uncompressed point).
    public_key: String,
    settings: PushSettings,
    /// Nudged when a job is registered, so the sender does not wait for its next look.
    wake: tokio::sync::Notify,
}

impl std::fmt::Debug for Pusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pusher").field("public_key", &self.inner.public_key).finish_non_exhaustive()
    }
}

impl Pusher {
    /// The sender with the relay's VAPID key, made and stored the first time.
    pub async fn load(store: &Store, settings: PushSettings) -> Result<Pusher, PushSetupError> {
        let contact = settings.contact.trim();
        if !(contact.starts_with("mailto:") && contact.len() > 7 || contact.starts_with("https://"))
        {
            return Err(PushSetupError::Contact(settings.contact.clone()));
        }
        let key = store.run(|db| subscriptions::vapid_key(db, new_private_key)).await?;
        let vapid = VapidSignatureBuilder::from_base64_no_sub(&key).map_err(PushSetupError::Key)?;
        let public_key =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(vapid.get_public_key());
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            // A push service answers; it never sends the relay elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| PushSetupError::Client(error.to_string()))?;
        let wake = tokio::sync::Notify::new();
        Ok(Pusher { inner: Arc::new(Inner { client, vapid, public_key, settings, wake }) })
    }

    pub fn public_key(&self) -> &str {
        &self.inner.public_key
    }

    /// A job was registered: look now.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Whether the relay may post to `endpoint`.
    fn allowed(&self, endpoint: &str) -> bool {
        let Ok(url) = reqwest::Url::parse(endpoint) else { return false };
        let Some(host) = url.host_str() else { return false };
        let clean = url.username().is_empty() && url.password().is_none();
        match url.scheme() {
            "https" => {
                clean
                    && self
                        .inner
                        .settings
                        .services
                        .iter()
                        .any(|service| host == service || host.ends_with(&format!(".{service}")))
            }
            "http" => clean && self.inner.settings.allow_loopback && host == "127.0.0.1",
            _ => false,
        }
    }

    fn retry_pause(&self, attempt: u32) -> Option<Duration> {
        if attempt >= self.inner.settings.attempts {
            return None;
        }
        let first = self.inner.settings.retry_after.as_secs().max(1);
        let pause = first.saturating_mul(3u64.saturating_pow(attempt.saturating_sub(1)));
        Some(Duration::from_secs(pause.min(3600)))
    }
}

/// A fresh VAPID private key: 32 random bytes, base64url. (A value outside P-256's scalar range —
/// odds of 2⁻³² — is refused by `web-push` on load and replaced here.)
fn new_private_key() -> String {
    loop {
        let mut bytes = [0u8; 32];
        if getrandom::fill(&mut bytes).is_err() {
            continue;
        }
        let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        if VapidSignatureBuilder::from_base64_no_sub(&key).is_ok() {
            return key;
        }
    }
}

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/push/key", get(key)).route(
        "/api/push/subscription",
        put(subscribe)
            .delete(unsubscribe)
            .layer(axum::extract::DefaultBodyLimit::max(MOST_SUBSCRIPTION_BYTES)),
    )
}

fn pusher(state: &AppState) -> Result<&Pusher, Refusal> {
    state.push.as_ref().ok_or(Refusal(StatusCode::SERVICE_UNAVAILABLE, Why::NoPush, None))
}

#[derive(Debug, Serialize)]
struct Key {
    public_key: String,
}

/// The key browsers subscribe with (`applicationServerKey`). Public by nature.
async fn key(State(state): State<AppState>) -> Result<Json<Key>, Refusal> {
    Ok(Json(Key { public_key: pusher(&state)?.public_key().to_owned() }))
}

/// A subscription as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Deserialize)]
struct NewSubscription {
    endpoint: String,
    keys: Keys,
}

#[derive(Debug, Deserialize)]
struct Keys {
    p256dh: String,
    auth: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Endpoint {
    endpoint: String,
}

/// The most bytes of a subscription's request.
const MOST_SUBSCRIPTION_BYTES: usize = 4096;

fn well_formed(subscription: &NewSubscription) -> bool {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let decoded = |text: &str| engine.decode(text.trim_end_matches('=')).ok();
    // An uncompressed P-256 point, and a 16-byte secret (RFC 8291).
    let key_ok = decoded(&subscription.keys.p256dh).is_some_and(|k| k.len() == 65 && k[0] == 4);
    let auth_ok = decoded(&subscription.keys.auth).is_some_and(|a| a.len() == 16);
    key_ok && auth_ok && subscription.endpoint.len() <= 2000
}

async fn subscribe(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<StatusCode, Refusal> {
    let headers = request.headers().clone();
    let account = signed_in(&state, &headers).await?;
    let session_hash = session_token(&state, &headers).map(|token| hash_token(&token));
    let session_hash =
        session_hash.ok_or(Refusal(StatusCode::UNAUTHORIZED, Why::NotSignedIn, None))?;
    let pusher = pusher(&state)?.clone();
    let Json(form): Json<NewSubscription> =
        json_body(request).await.map_err(|refusal| match refusal.0 {
            StatusCode::PAYLOAD_TOO_LARGE => refusal,
            _ => bad_request(Why::BadSubscription),
        })?;
    if !well_formed(&form) {
        return Err(bad_request(Why::BadSubscription));
    }
    if !pusher.allowed(&form.endpoint) {
        return Err(bad_request(Why::PushServiceNotAllowed));
    }
    let subscription = Subscription {
        endpoint: form.endpoint,
        p256dh: form.keys.p256dh.trim_end_matches('=').to_owned(),
        auth: form.keys.auth.trim_end_matches('=').to_owned(),
    };
    let now = unix_seconds();
    let new = state
        .store
        .run(move |db| {
            let most = MOST_SUBSCRIPTIONS;
            subscriptions::subscribe(db, account.id, &session_hash, &subscription, now, most)
        })
        .await?;
    Ok(if new { StatusCode::CREATED } else { StatusCode::OK })
}

async fn unsubscribe(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<StatusCode, Refusal> {
    let headers: HeaderMap = request.headers().clone();
    let account = signed_in(&state, &headers).await?;
    let Json(form): Json<Endpoint> = json_body(request).await?;
    state.store.run(move |db| subscriptions::unsubscribe(db, account.id, &form.endpoint)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Works through due `notify` jobs until the relay stops, like the mail sender: takes what is due,
/// pushes each to the devices it has not reached, records the outcome, then waits for new work or
/// the next due time.
pub async fn run(state: AppState, pusher: Pusher) {
    crate::worker::work_through(state, pusher).await;
}

impl crate::worker::Service for Pusher {
    fn kind(&self) -> &'static str {
        "notify"
    }

    fn lease_secs(&self) -> i64 {
        self.inner.settings.timeout.as_secs() as i64 * 4 + 60
    }

    fn at_once(&self) -> usize {
        self.inner.settings.at_once
    }

    fn wakes(&self) -> &tokio::sync::Notify {
        &self.inner.wake
    }

    async fn attempt(&self, state: &AppState, entry: &Due) -> Outcome {
        attempt(state, self, entry).await
    }
}

/// What a push service said to one push.
enum Pushed {
    Reached,
    /// The subscription is gone (the person unsubscribed or the browser dropped it): forget it.
    Gone,
    /// Refused for good (a bad key, too large, not authorised): this device is not tried again.
    Refused(String),
    /// Not now (the service is busy or unreachable): try again later.
    NotNow(String),
}

/// One attempt at one job: push to every device it has not reached yet.
async fn attempt(state: &AppState, pusher: &Pusher, entry: &Due) -> Outcome {
    let notify = match serde_json::from_str::<Work>(&entry.payload) {
        Ok(Work::Notify(notify)) => notify,
        Ok(_) => return Outcome::Failed { reason: "not a notification".into() },
        Err(error) => return Outcome::Failed { reason: format!("unreadable request: {error}") },
    };
    let (workspace, id, to) = (entry.workspace.clone(), entry.id.clone(), notify.to.clone());
    let targets = state.store.run(move |db| subscriptions::targets(db, &workspace, &id, &to)).await;
    let targets = match targets {
        Ok(targets) => targets,
        Err(error) => {
            return retry_or_fail(pusher, entry, format!("subscriptions unreadable: {error}"));
        }
    };
    let payload = message(&entry.id, &notify);
    // Each device's push is recorded as soon as the service took it, before anything else waits on
    // it: a relay killed now pushes again only to the devices whose answer it had not heard.
    let pushes = targets.into_iter().map(|target| {
        let payload = payload.as_str();
        async move {
            let answer = push(pusher, &entry.id, &target, payload).await;
            let (workspace, id, endpoint) =
                (entry.workspace.clone(), entry.id.clone(), target.endpoint);
            let recorded = match &answer {
                Pushed::Reached | Pushed::Refused(_) => {
                    let reached = matches!(answer, Pushed::Reached);
                    let record = move |db: &mut _| {
                        subscriptions::delivered(db, &workspace, &id, &endpoint, reached)
                    };
                    state.store.run(record).await
                }
                Pushed::Gone => {
                    state.store.run(move |db| subscriptions::forget(db, &endpoint)).await
                }
                Pushed::NotNow(_) => Ok(()),
            };
            match recorded {
                Ok(()) => answer,
                Err(error) => Pushed::NotNow(format!("not recorded: {error}")),
            }
        }
    });
    let mut not_now = Vec::new();
    let mut refused = Vec::new();
    for answer in futures_util::future::join_all(pushes).await {
        match answer {
            Pushed::Reached | Pushed::Gone => {}
            Pushed::Refused(reason) => refused.push(reason),
            Pushed::NotNow(reason) => not_now.push(reason),
        }
    }
    let (workspace, id) = (entry.workspace.clone(), entry.id.clone());
    let counted =
        state.store.run(move |db| subscriptions::delivered_count(db, &workspace, &id)).await;
    let (reached, refused_in_all) = counted.unwrap_or_default();
    if let Some(reason) = not_now.first() {
        let reason = format!("{} device(s) not reached yet: {reason}", not_now.len());
        return retry_or_fail(pusher, entry, reason);
    }
    let mut reply = match reached {
        0 => "no device of the people notified has notifications on".to_owned(),
        1 => "reached 1 device".to_owned(),
        n => format!("reached {n} devices"),
    };
    // Refused now (with the service's words) or on an earlier attempt.
    match refused.first() {
        Some(reason) => reply.push_str(&format!("; {refused_in_all} refused: {reason}")),
        None if refused_in_all > 0 => reply.push_str(&format!("; {refused_in_all} refused")),
        None => {}
    }
    Outcome::Delivered { reply }
}

/// What the service worker receives: the notification, what a tap opens, and the job's id as the
/// notification's tag (one notification per job, however many times it arrives).
fn message(id: &OutboxId, notify: &Notify) -> String {
    serde_json::json!({
        "title": notify.title,
        "body": notify.body,
        "open": notify.open,
        "tag": id.as_str(),
    })
    .to_string()
}

async fn push(pusher: &Pusher, id: &OutboxId, target: &Subscription, payload: &str) -> Pushed {
    if !pusher.allowed(&target.endpoint) {
        return Pushed::Refused("the push service is no longer allowed".into());
    }
    let info = SubscriptionInfo::new(&target.endpoint, &target.p256dh, &target.auth);
    let mut signature = pusher.inner.vapid.clone().add_sub_info(&info);
    signature.add_claim("sub", pusher.inner.settings.contact.as_str());
    // The push resource's origin, its port included (RFC 8292 §2); web-push 0.11 leaves a port out.
    if let Ok(url) = reqwest::Url::parse(&target.endpoint) {
        signature.add_claim("aud", url.origin().ascii_serialization());
    }
    let signature = match signature.build() {
        Ok(signature) => signature,
        Err(error) => return Pushed::Refused(format!("cannot sign for this endpoint: {error:?}")),
    };
    let mut builder = WebPushMessageBuilder::new(&info);
    builder.set_payload(ContentEncoding::Aes128Gcm, payload.as_bytes());
    builder.set_vapid_signature(signature);
    builder.set_ttl(TIME_TO_LIVE);
    builder.set_urgency(Urgency::High);
    builder.set_topic(id.as_str().to_owned());
    let message = match builder.build() {
        Ok(message) => message,
        // The browser's key does not encrypt: this subscription can never be used.
        Err(error) => return Pushed::Refused(format!("cannot encrypt for this device: {error:?}")),
    };
    let request = web_push::request_builder::build_request::<Vec<u8>>(message);
    let mut outgoing = pusher.inner.client.post(request.uri().to_string());
    for (name, value) in request.headers() {
        outgoing = outgoing.header(name.as_str(), value.as_bytes());
    }
    let response = match outgoing.body(request.into_body()).send().await {
        Ok(response) => response,
        Err(error) => return Pushed::NotNow(format!("the push service did not answer: {error}")),
    };
    let status = response.status().as_u16();
    match status {
        200..=299 => Pushed::Reached,
        404 | 410 => Pushed::Gone,
        400 | 401 | 403 | 413 => Pushed::Refused(format!("the push service refused ({status})")),
        _ => Pushed::NotNow(format!("the push service answered {status}")),
    }
}

fn retry_or_fail(pusher: &Pusher, entry: &Due, reason: String) -> Outcome {
    match pusher.retry_pause(entry.attempt) {
        Some(pause) => Outcome::Retry { at: unix_seconds() + pause.as_secs() as i64, reason },
        None => Outcome::Failed {
            reason: format!("gave up after {} attempts: {reason}", entry.attempt),
        },
    }
}
