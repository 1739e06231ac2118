//! The Rapport relay as a library: `router` builds the whole HTTP surface so that tests drive exactly
//! what `main.rs` serves.

mod accounts;
mod assets;
mod ballots;
mod bounces;
mod config;
mod demo;
pub mod files;
mod health;
pub mod inbound;
mod knowledge;
mod letters;
pub mod limits;
pub mod mail;
mod once;
mod origin;
pub mod push;
mod ratings;
mod server;
mod services;
pub mod store;
mod sync;
mod tracking;
mod updates;
mod worker;
mod workspaces;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use assets::AppAssets;
pub use config::{Config, LogFormat};
pub use demo::DemoWorkspace;
pub use limits::Limits;
pub use server::serve;
pub use store::Store;

/// What every handler may read. Cheap to clone: everything inside is shared.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The built web app (Trunk's `dist/`).
    pub assets: AppAssets,
    pub demo: DemoWorkspace,
    /// The embedded database: accounts and sessions (and, with sync, workspaces and documents).
    pub store: Store,
    /// Documents being synced and who is syncing them.
    pub(crate) hub: sync::Hub,
    /// How long a sync socket may stay silent.
    pub(crate) idle_timeout: std::time::Duration,
    pub(crate) limits: Arc<Limits>,
    /// The origin browsers see the relay at, when a proxy stands in front of it (`--public-origin`).
    pub(crate) public_origin: Option<Arc<str>>,
    /// Served over TLS (by a proxy in front): session cookies are `Secure` and `__Host-` prefixed.
    pub(crate) behind_tls: bool,
    /// `/metrics` for whoever presents this bearer token; without one, for loopback only.
    pub(crate) metrics_token: Option<Arc<str>>,
    pub(crate) guards: accounts::Guards,
    /// The sender of the outbox's mail, when an SMTP server is configured.
    pub(crate) mail: Option<mail::Mailer>,
    /// The Web Push sender of scheduled notifications.
    pub(crate) push: Option<push::Pusher>,
    /// Where attachments are kept, when the relay keeps them (`main` always does, in the data folder).
    pub(crate) files: Option<files::FileStore>,
    /// Where the relay receives mail for workspaces' support addresses, when it does.
    pub(crate) inbound: Option<inbound::Inbound>,
    started: Arc<Instant>,
}

impl AppState {
    pub fn new(assets: AppAssets, store: Store) -> Self {
        Self::with_limits(assets, store, Limits::default())
    }

    pub fn with_limits(assets: AppAssets, store: Store, limits: Limits) -> Self {
        Self {
            assets,
            demo: DemoWorkspace::off(),
            store,
            hub: sync::Hub::default(),
            idle_timeout: sync::DEFAULT_IDLE_TIMEOUT,
            guards: accounts::Guards::new(&limits),
            limits: Arc::new(limits),
            public_origin: None,
            behind_tls: false,
            metrics_token: None,
            mail: None,
            push: None,
            files: None,
            inbound: None,
            started: Arc::new(Instant::now()),
        }
    }

    /// Closes sync sockets silent for longer than `timeout` (devices send presence every 10 s).
    pub fn with_idle_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    pub fn with_demo(mut self, demo: DemoWorkspace) -> Self {
        self.demo = demo;
        self
    }

    /// The origin browsers reach the relay at (`https://crm.example`), when a proxy rewrites `Host`.
    pub fn with_public_origin(mut self, origin: Option<String>) -> Self {
        self.public_origin = origin.map(Into::into);
        self
    }

    /// The relay is reached over TLS (a proxy terminates it).
    pub fn with_tls(mut self, behind_tls: bool) -> Self {
        self.behind_tls = behind_tls;
        self
    }

    pub fn with_metrics_token(mut self, token: Option<String>) -> Self {
        self.metrics_token = token.filter(|t| !t.is_empty()).map(Into::into);
        self
    }

    /// Sends the outbox's mail through `mailer`; [`AppState::start_services`] starts it.
    pub fn with_mail(mut self, mailer: Option<mail::Mailer>) -> Self {
        self.mail = mailer;
        self
    }

    /// Pushes due `notify` jobs through `pusher`; [`AppState::start_services`] starts it.
    pub fn with_push(mut self, pusher: Option<push::Pusher>) -> Self {
        self.push = pusher;
        self
    }

    /// Keeps attachments in `files`.
    pub fn with_files(mut self, files: files::FileStore) -> Self {
        self.files = Some(files);
        self
    }

    /// Receives mail for support addresses at `inbound`'s domain (its SMTP listener is
    /// [`inbound::serve`]).
    pub fn with_inbound(mut self, inbound: Option<inbound::Inbound>) -> Self {
        self.inbound = inbound;
        self
    }

    /// Starts the background services this state is configured with (the mail and push senders).
    pub fn start_services(&self) {
        if let Some(mailer) = self.mail.clone() {
            tokio::spawn(mail::run(self.clone(), mailer));
        }
        if let Some(pusher) = self.push.clone() {
            tokio::spawn(push::run(self.clone(), pusher));
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Deletes what can no longer be used (expired sessions, tickets, invitations) and forgets rate
    /// limits' idle keys; `main` runs it every few minutes.
    pub async fn purge_expired(&self) -> Result<store::Purged, store::StoreError> {
        self.guards.forget_idle();
        let now = accounts::unix_seconds();
        self.store.run(move |db| store::purge_expired(db, now)).await
    }

    fn uptime_seconds(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// The relay's complete router: API routes first, the app's files and client routes as the fallback.
pub fn router(state: AppState) -> Router {
    let request_timeout = state.limits.request_timeout;
    // A request's answer must be ready within the limit: a handler stuck behind a busy database does
    // not hold a connection for ever. (A sync socket's handler answers at once; its frames have
    // timeouts of their own.) Files take as long as a slow phone needs to move megabytes, as long as
    // bytes keep coming (the body timeout below, between frames, still applies).
    let answer_within = |limit| {
        tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limit,
        )
    };
    let files = files::router().layer(answer_within(state.limits.transfer_timeout));
    Router::new()
        .merge(health::router())
        .merge(accounts::router())
        .merge(workspaces::router())
        .merge(services::router())
        .merge(tracking::router())
        .merge(push::router())
        .merge(bounces::router())
        .merge(inbound::router())
        .merge(ratings::router())
        .merge(knowledge::router())
        .merge(updates::router())
        .merge(once::router())
        .merge(ballots::router())
        .merge(letters::router())
        .route("/api/demo", axum::routing::get(demo::serve))
        .route("/api/sync", axum::routing::get(sync::upgrade))
        .fallback(assets::serve)
        .layer(answer_within(request_timeout))
        .merge(files)
        .layer(axum::middleware::from_fn_with_state(state.clone(), origin::same_origin_writes))
        .with_state(state)
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            axum::http::HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::REFERRER_POLICY,
            axum::http::HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(assets::BASE_CSP),
        ))
        .layer(TraceLayer::new_for_http())
        // A client trickling a body is cut off: each part of it must arrive within the limit.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(request_timeout))
}
