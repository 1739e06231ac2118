//! The end-to-end harness: a real `rapport-relay` process on a free loopback port with a temporary data
//! folder, a real chromedriver, and any number of real headless Chromium browsers, each with a fresh
//! profile.
//!
//! Every test goes through [`run`], which owns all of it: when the test body fails or panics, each
//! browser's screenshot and console log are saved under `tests/artifacts/<test>/`, and everything is shut
//! down in every case. Pages are driven through page objects over `data-testid` (see [`pages`]).

mod browser;
mod chromedriver;
pub mod flows;
pub mod pages;
mod relay;
/// The relay tests' SMTP server (aiosmtpd on loopback), shared with the browser tests.
#[path = "../../sync-server/tests/common/smtp.rs"]
pub mod smtp;

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use browser::{Browser, ConsoleEntry, Viewport};
pub use chromedriver::ChromeDriver;
pub use relay::{Relay, dist_dir};

/// What can go wrong while driving the product.
#[derive(Debug, thiserror::Error)]
pub enum E2eError {
    #[error("webdriver: {0}")]
    WebDriver(#[from] thirtyfour::error::WebDriverError),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("{0}")]
    Setup(String),
    #[error("timed out after {seconds} s waiting for {what}")]
    Timeout { what: String, seconds: u64 },
}

pub type E2eResult<T = ()> = Result<T, E2eError>;

/// Everything one test uses. Clone it freely; all clones share the same processes.
#[derive(Clone, Debug)]
pub struct Harness {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    test_name: String,
    relay: Relay,
    driver: ChromeDriver,
    browsers: Mutex<Vec<Browser>>,
}

impl Harness {
    /// A harness around an already started relay, for benchmarks that drive it outside [`run`].
    pub async fn with_relay(name: &str, relay: Relay) -> E2eResult<Harness> {
        let driver = ChromeDriver::start().await?;
        Ok(Harness {
            inner: Arc::new(Inner {
                test_name: name.to_owned(),
                relay,
                driver,
                browsers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Closes every browser this harness started.
    pub async fn shutdown(&self) {
        let browsers: Vec<Browser> =
            std::mem::take(&mut *self.inner.browsers.lock().expect("list"));
        for browser in browsers {
            browser.quit().await;
        }
    }

    /// The relay serving the app under test.
    pub fn relay(&self) -> &Relay {
        &self.inner.relay
    }

    /// Starts one more browser (a colleague, a phone, a second device) with a fresh profile, set to
    /// American English.
    pub async fn browser(&self, viewport: Viewport) -> E2eResult<Browser> {
        self.browser_speaking(viewport, "en-US").await
    }

    /// Starts one more browser whose user reads `language` (a BCP 47 tag such as "ru-RU").
    pub async fn browser_speaking(&self, viewport: Viewport, language: &str) -> E2eResult<Browser> {
        let index = self.inner.browsers.lock().expect("browser list").len();
        let browser = Browser::start(
            &self.inner.driver,
            &self.inner.relay,
            viewport,
            language,
            index,
            self.artifacts_dir(),
        )
        .await?;
        self.inner.browsers.lock().expect("browser list").push(browser.clone());
        Ok(browser)
    }

    /// Where this test's screenshots and logs go.
    pub fn artifacts_dir(&self) -> PathBuf {
        artifacts_root().join(&self.inner.test_name)
    }
}

/// Runs one end-to-end test: starts the relay and chromedriver, runs `body`, saves artifacts on failure,
/// then shuts everything down. Panics (failing the test) if the body failed.
pub async fn run<F, Fut>(test_name: &str, body: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = E2eResult> + Send + 'static,
{
    run_with_relay_args(test_name, &[], body).await
}

/// Like [`run`], with extra command-line flags for the relay (e.g. `--demo`).
pub async fn run_with_relay_args<F, Fut>(test_name: &str, relay_args: &[&str], body: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = E2eResult> + Send + 'static,
{
    run_on(test_name, Relay::start(relay_args).await, body).await
}

async fn run_on<F, Fut>(test_name: &str, relay: E2eResult<Relay>, body: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = E2eResult> + Send + 'static,
{
    let harness = match start_with(test_name, relay).await {
        Ok(harness) => harness,
        Err(error) => panic!("could not start the end-to-end harness: {error}"),
    };
    // A spawned task turns a panic in the body into a value, so artifacts are saved either way.
    let outcome = tokio::spawn(body(harness.clone())).await;
    let failure = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(error)) => Some(error.to_string()),
        Err(join_error) => Some(panic_message(join_error)),
    };
    if failure.is_some() {
        let browsers = harness.inner.browsers.lock().expect("list").clone();
        for browser in &browsers {
            browser.save_failure_artifacts().await;
        }
    }
    harness.shutdown().await;
    if let Some(message) = failure {
        panic!("{test_name} failed: {message}\n(artifacts: {})", harness.artifacts_dir().display());
    }
}

/// Like [`run`], around a relay the test started itself (e.g. serving a copy of the app).
pub async fn run_with_relay<F, Fut>(test_name: &str, relay: Relay, body: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = E2eResult> + Send + 'static,
{
    run_on(test_name, Ok(relay), body).await
}

async fn start_with(test_name: &str, relay: E2eResult<Relay>) -> E2eResult<Harness> {
    let relay = relay?;
    let dir = artifacts_root().join(test_name);
    // Stale artifacts from an earlier run would be mistaken for this run's.
    let _ = std::fs::remove_dir_all(&dir);
    Harness::with_relay(test_name, relay).await
}

fn panic_message(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "panicked".to_owned()),
        Err(error) => format!("test task cancelled: {error}"),
    }
}

/// `tests/artifacts/`, or `RAPPORT_E2E_ARTIFACTS` when set (CI keeps it).
pub fn artifacts_root() -> PathBuf {
    std::env::var_os("RAPPORT_E2E_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("artifacts"))
}

/// The workspace root, where `dist/` is built.
pub fn workspace_root() -> PathBuf {
    manifest_dir().parent().expect("tests/ has a parent").to_path_buf()
}

/// This crate's folder, as Cargo says when it runs the test — not as it was when the binary was built:
/// the build cache is shared between checkouts (`scripts/env.sh`), and Cargo reuses a test binary built
/// from the same sources in another checkout, whose path `env!` would have baked in.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Polls `check` every 50 ms until it yields `Some`, or fails after `seconds`.
pub async fn wait_until<T, F, Fut>(what: &str, seconds: u64, mut check: F) -> E2eResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = E2eResult<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(E2eError::Timeout { what: what.to_owned(), seconds });
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
