//! The Rapport relay as a library: `router` builds the whole HTTP surface so that tests drive exactly
//! what `main.rs` serves.

mod accounts;
mod assets;
mod config;
mod demo;
mod health;
pub mod store;
mod sync;
mod workspaces;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use assets::AppAssets;
pub use config::{Config, LogFormat};
pub use demo::DemoWorkspace;
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
    started: Arc<Instant>,
}

impl AppState {
    pub fn new(assets: AppAssets, store: Store) -> Self {
        Self {
            assets,
            demo: DemoWorkspace::off(),
            store,
            hub: sync::Hub::default(),
            idle_timeout: sync::DEFAULT_IDLE_TIMEOUT,
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

    fn uptime_seconds(&self) -> u64 {
        self.started.elapsed().as_secs()
    }
}

/// The relay's complete router: API routes first, the app's files and client routes as the fallback.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(accounts::router())
        .merge(workspaces::router())
        .route("/api/demo", axum::routing::get(demo::serve))
        .route("/api/sync", axum::routing::get(sync::upgrade))
        .fallback(assets::serve)
        .with_state(state)
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            axum::http::HeaderValue::from_static("nosniff"),
        ))
        .layer(TraceLayer::new_for_http())
}
