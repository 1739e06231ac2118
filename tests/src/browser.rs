//! One headless Chromium with a fresh profile, driven through chromedriver.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::json;
use thirtyfour::error::WebDriverErrorInner;
use thirtyfour::prelude::*;
use thirtyfour::{ChromiumLikeCapabilities, LoggingPrefsLogLevel};

use crate::{ChromeDriver, E2eError, E2eResult, Relay, wait_until};

/// The screen a browser emulates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewport {
    /// 1280×800, mouse.
    Desktop,
    /// 390×844 at 3× density with touch, like a current iPhone.
    Phone,
}

impl Viewport {
    pub fn size(self) -> (u32, u32) {
        match self {
            Viewport::Desktop => (1280, 800),
            Viewport::Phone => (390, 844),
        }
    }
}

/// One line of the browser's console (or a page error or failed request, which Chromium logs there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleEntry {
    pub level: String,
    pub message: String,
}

impl ConsoleEntry {
    pub fn is_error(&self) -> bool {
        self.level == "SEVERE"
    }
}

/// A browser of one test. Clones drive the same browser.
#[derive(Debug, Clone)]
pub struct Browser {
    driver: WebDriver,
    base_url: Arc<str>,
    name: Arc<str>,
    artifacts: Arc<PathBuf>,
    console: Arc<Mutex<Vec<ConsoleEntry>>>,
    _profile: Arc<tempfile::TempDir>,
}

impl Browser {
    pub(crate) async fn start(
        driver: &ChromeDriver,
        relay: &Relay,
        viewport: Viewport,
        language: &str,
        index: usize,
        artifacts: PathBuf,
    ) -> E2eResult<Browser> {
        let profile = tempfile::tempdir()
            .map_err(|source| E2eError::Io { what: "creating a browser profile".into(), source })?;
        let (width, height) = viewport.size();
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()))?;
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--disable-features=Translate,OptimizationHints,MediaRouter",
            &format!("--window-size={width},{height}"),
            // The language the browser reports (`navigator.languages`), whatever the machine's.
            &format!("--lang={language}"),
            &format!("--user-data-dir={}", profile.path().display()),
        ] {
            caps.add_arg(arg)?;
        }
        caps.add_experimental_option("prefs", json!({ "intl.accept_languages": language }))?;
        caps.set_browser_log_level(LoggingPrefsLogLevel::All)?;
        let webdriver = WebDriver::new(driver.url(), caps).await?;
        let browser = Browser {
            driver: webdriver,
            base_url: relay.url().into(),
            name: format!("browser-{index}").into(),
            artifacts: Arc::new(artifacts),
            console: Arc::default(),
            _profile: Arc::new(profile),
        };
        browser.emulate(viewport).await?;
        Ok(browser)
    }

    /// Sets the exact viewport (window sizes in headless mode are approximate), and touch for phones;
    /// a test may switch a browser to the other size to photograph the same screen.
    pub async fn emulate(&self, viewport: Viewport) -> E2eResult {
        let (width, height) = viewport.size();
        let phone = viewport == Viewport::Phone;
        let metrics = json!({
            "width": width,
            "height": height,
            "deviceScaleFactor": if phone { 3 } else { 1 },
            "mobile": phone,
        });
        self.cdp("Emulation.setDeviceMetricsOverride", metrics).await?;
        let touch = json!({ "enabled": phone, "maxTouchPoints": if phone { 5 } else { 1 } });
        self.cdp("Emulation.setTouchEmulationEnabled", touch).await?;
        Ok(())
    }

    /// Sends a Chrome DevTools Protocol command (network, emulation, service workers) to this browser.
    pub async fn cdp(
        &self,
        method: &str,
        params: serde_json::Value,
    ) -> E2eResult<serde_json::Value> {
        Ok(self.driver.cdp().send_raw(method, params).await?)
    }

    /// The underlying WebDriver session, for what page objects do not cover.
    pub fn driver(&self) -> &WebDriver {
        &self.driver
    }

    /// Opens `path` (e.g. `/parties`) on the relay under test.
    pub async fn open(&self, path: &str) -> E2eResult {
        self.driver.goto(format!("{}{path}", self.base_url)).await?;
        Ok(())
    }

    /// Kills the page's renderer process (as a phone killing a backgrounded tab would), then opens
    /// `path` in another tab of the same profile.
    pub async fn crash_and_reopen(&self, path: &str) -> E2eResult {
        let crashed = self.driver.window().await?;
        // The spare tab is made first: once the page's process is gone its session answers nothing.
        let spare = self.driver.new_tab().await?;
        self.driver.switch_to_window(crashed).await?;
        // The renderer dies before it can answer, so this command's own outcome means nothing.
        let _ = self.cdp("Page.crash", json!({})).await;
        self.driver.switch_to_window(spare).await?;
        self.open(path).await
    }

    /// The current path (and query) of the page.
    pub async fn path(&self) -> E2eResult<String> {
        let url = self.driver.current_url().await?;
        Ok(match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        })
    }

    /// The element with `data-testid="<id>"`, waiting up to 10 s for it to appear.
    pub async fn by_testid(&self, id: &str) -> E2eResult<WebElement> {
        let selector = format!("[data-testid=\"{id}\"]");
        self.driver
            .query(By::Css(selector))
            .wait(std::time::Duration::from_secs(10), std::time::Duration::from_millis(50))
            .first()
            .await
            .map_err(|error| match error.as_inner() {
                WebDriverErrorInner::NoSuchElement(_) => {
                    E2eError::Timeout { what: format!("data-testid={id}"), seconds: 10 }
                }
                _ => error.into(),
            })
    }

    /// Whether an element with `data-testid="<id>"` is in the page right now.
    pub async fn has_testid(&self, id: &str) -> E2eResult<bool> {
        let found = self.driver.find_all(By::Css(format!("[data-testid=\"{id}\"]"))).await?;
        Ok(!found.is_empty())
    }

    /// The text of the element `data-testid="<id>"` (its `textContent`, trimmed) once `check` accepts
    /// it, waiting up to 15 s; an element not there yet reads as empty. A timeout names the last text.
    pub async fn text_when(&self, id: &str, check: impl Fn(&str) -> bool) -> E2eResult<String> {
        let script = format!(
            "return document.querySelector('[data-testid=\"{id}\"]')?.textContent.trim() ?? '';"
        );
        let last = Mutex::new(String::new());
        wait_until(&format!("data-testid={id} to read as expected"), 15, || async {
            let text = self.eval(&script).await?.as_str().unwrap_or_default().to_owned();
            *last.lock().expect("last text") = text.clone();
            Ok(check(&text).then_some(text))
        })
        .await
        .map_err(|error| match error {
            E2eError::Timeout { what, seconds } => {
                let last = last.lock().expect("last text");
                E2eError::Timeout { what: format!("{what}; it read {last:?}"), seconds }
            }
            other => other,
        })
    }

    /// Waits until the element `data-testid="<id>"` reads `expected` (see [`Browser::text_when`]).
    pub async fn text_becomes(&self, id: &str, expected: &str) -> E2eResult {
        self.text_when(id, |text| text == expected).await.map(drop)
    }

    /// Runs `script` (a function body; `return` yields the value) in the page.
    pub async fn eval(&self, script: &str) -> E2eResult<serde_json::Value> {
        Ok(self.driver.execute(script, Vec::new()).await?.json().clone())
    }

    /// Waits until `script` returns `true`.
    pub async fn wait_for_script(&self, what: &str, script: &str) -> E2eResult {
        self.wait_for_script_within(what, 10, script).await
    }

    /// [`Browser::wait_for_script`] with a patience of `seconds`.
    pub async fn wait_for_script_within(
        &self,
        what: &str,
        seconds: u64,
        script: &str,
    ) -> E2eResult {
        wait_until(what, seconds, || async {
            Ok((self.eval(script).await? == serde_json::Value::Bool(true)).then_some(()))
        })
        .await
    }

    /// Everything logged to the console since the browser started.
    pub async fn console(&self) -> E2eResult<Vec<ConsoleEntry>> {
        let fresh = self.driver.browser_log().await?;
        let mut console = self.console.lock().expect("console log");
        console.extend(
            fresh
                .into_iter()
                .map(|entry| ConsoleEntry { level: entry.level, message: entry.message }),
        );
        Ok(console.clone())
    }

    /// Console errors, uncaught exceptions and failed requests since the browser started.
    pub async fn console_errors(&self) -> E2eResult<Vec<ConsoleEntry>> {
        Ok(self.console().await?.into_iter().filter(ConsoleEntry::is_error).collect())
    }

    /// Saves a screenshot as `tests/artifacts/<test>/<name>.png`, kept after the run.
    pub async fn screenshot(&self, name: &str) -> E2eResult<PathBuf> {
        let artifacts = self.artifacts.as_path();
        std::fs::create_dir_all(artifacts).map_err(|source| E2eError::Io {
            what: format!("creating {}", artifacts.display()),
            source,
        })?;
        let path = artifacts.join(format!("{name}.png"));
        self.driver.screenshot(&path).await?;
        Ok(path)
    }

    /// Screenshot, page HTML and console log, for a failed test. Never fails itself.
    pub(crate) async fn save_failure_artifacts(&self) {
        let dir = self.artifacts.as_path();
        let _ = self.screenshot(&format!("{}-failure", self.name)).await;
        if let Ok(html) = self.driver.source().await {
            let _ = std::fs::write(dir.join(format!("{}-failure.html", self.name)), html);
        }
        let log = match self.console().await {
            Ok(entries) => entries
                .iter()
                .map(|entry| format!("{} {}\n", entry.level, entry.message))
                .collect::<String>(),
            Err(error) => format!("console log unavailable: {error}\n"),
        };
        let _ = std::fs::write(dir.join(format!("{}-console.log", self.name)), log);
    }

    pub(crate) async fn quit(self) {
        let _ = self.driver.clone().quit().await;
    }
}
