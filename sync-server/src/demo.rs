//! `--demo`: the relay hands new browsers a seeded demo workspace at `GET /api/demo`.
//!
//! Until sync arrives, this is how a device gets the demo: the app asks for it on first start, when it has
//! no people yet. Generating the default 10k-party workspace takes a while, so it happens once in the
//! background and is cached in the data folder; a request that arrives meanwhile waits for it (up to
//! [`WAIT_FOR_DEMO`], then 503 with `Retry-After`), so a browser opened right after start gets the demo
//! instead of an error in its console.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rapport_core::demo::{self, DemoBundle, DemoSizes};
use rapport_core::ids::Timestamp;

use crate::AppState;

/// The demo's seed: the same workspace every time.
pub const DEMO_SEED: u64 = 42;

/// How long a request waits for a demo still being generated.
pub const WAIT_FOR_DEMO: Duration = Duration::from_secs(60);

/// The encoded bundle once generated; `None` while it is being prepared.
type Slot = tokio::sync::watch::Receiver<Option<Arc<Vec<u8>>>>;

#[derive(Debug, Clone, Default)]
pub struct DemoWorkspace {
    /// `None`: not in demo mode.
    bundle: Option<Slot>,
}

impl DemoWorkspace {
    pub fn off() -> DemoWorkspace {
        DemoWorkspace::default()
    }

    /// Starts preparing the demo workspace of `sizes`, cached under `data_dir`.
    pub fn start(data_dir: &Path, sizes: DemoSizes) -> DemoWorkspace {
        let (fill, slot) = tokio::sync::watch::channel(None);
        let cache = data_dir.join(cache_name(sizes));
        tokio::task::spawn_blocking(move || {
            let bytes = load_or_generate(&cache, sizes);
            fill.send_replace(Some(Arc::new(bytes)));
        });
        DemoWorkspace { bundle: Some(slot) }
    }
}

/// The file the demo of `sizes` is cached in (benchmarks copy it between runs).
pub fn cache_name(sizes: DemoSizes) -> String {
    let DemoSizes { parties, tickets, contracts, suppliers, .. } = sizes;
    format!("demo-{DEMO_SEED}-{parties}-{tickets}-{contracts}-{suppliers}.bin")
}

fn load_or_generate(cache: &PathBuf, sizes: DemoSizes) -> Vec<u8> {
    if let Ok(bytes) = std::fs::read(cache)
        && DemoBundle::decode(&bytes).is_ok()
    {
        return bytes;
    }
    let started = std::time::Instant::now();
    let now = Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0),
    );
    let workspace = demo::generate(DEMO_SEED, sizes, now);
    let bytes = match DemoBundle::of(&workspace) {
        Ok(bundle) => bundle.encode(),
        Err(error) => {
            tracing::error!(%error, "could not build the demo workspace");
            return Vec::new();
        }
    };
    if let Err(error) = std::fs::write(cache, &bytes) {
        tracing::warn!(%error, cache = %cache.display(), "could not cache the demo workspace");
    }
    let DemoSizes { parties, tickets, contracts, suppliers, .. } = sizes;
    tracing::info!(parties, tickets, contracts, suppliers, bytes = bytes.len(), elapsed = ?started.elapsed(), "demo workspace ready");
    bytes
}

pub(crate) async fn serve(State(state): State<AppState>) -> Response {
    let Some(slot) = &state.demo.bundle else {
        // Not an error for the browser (which would log one): there is simply no demo to offer.
        return StatusCode::NO_CONTENT.into_response();
    };
    let mut slot = slot.clone();
    let ready = tokio::time::timeout(WAIT_FOR_DEMO, slot.wait_for(Option::is_some)).await;
    let ready = match ready {
        Ok(Ok(bundle)) => bundle.clone(),
        // The generator is gone (it panicked) or still busy after a minute.
        Ok(Err(_)) => Some(Arc::new(Vec::new())),
        Err(_) => None,
    };
    match ready {
        Some(bytes) if !bytes.is_empty() => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            bytes.as_ref().clone(),
        )
            .into_response(),
        Some(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the demo workspace could not be built")
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "2")],
            "the demo workspace is being prepared",
        )
            .into_response(),
    }
}
