//! Page objects: what a person sees and does, over `data-testid` handles, so tests read as behaviour
//! and survive markup changes.

use thirtyfour::prelude::*;

use crate::{Browser, E2eResult};

/// The frame around every page: navigation and the current page.
#[derive(Debug, Clone)]
pub struct AppShell {
    browser: Browser,
}

/// The main destinations, as the nav keys the app uses (`nav-<key>`, `page-<key>`).
pub const DESTINATIONS: [(&str, &str, &str); 5] = [
    ("today", "/", "Today"),
    ("parties", "/parties", "People"),
    ("deals", "/deals", "Deals"),
    ("tasks", "/tasks", "Tasks"),
    ("settings", "/settings", "Settings"),
];

impl AppShell {
    /// Opens `path` and waits until the app has rendered its shell (the wasm module has started) and the
    /// page is no longer busy opening the workspace — as a person waits for the page to fill.
    pub async fn open(browser: &Browser, path: &str) -> E2eResult<AppShell> {
        browser.open(path).await?;
        browser.by_testid("app-shell").await?;
        // A new device's first opening may wait for the relay's demo, which a relay just started is still
        // generating (13 s for 1,000 people on a busy CI machine): a person waits for the loading state.
        browser
            .wait_for_script_within(
                "the workspace to open",
                90,
                "return document.querySelector('section.page[aria-busy=true]') === null;",
            )
            .await?;
        Ok(AppShell { browser: browser.clone() })
    }

    /// Clicks (or taps) the navigation link `key` and waits for its page.
    pub async fn go_to(&self, key: &str) -> E2eResult {
        self.browser.by_testid(&format!("nav-{key}")).await?.click().await?;
        self.browser.by_testid(&format!("page-{key}")).await?;
        Ok(())
    }

    /// The heading of the page on screen.
    pub async fn page_title(&self) -> E2eResult<String> {
        Ok(self.browser.by_testid("page-title").await?.text().await?)
    }

    /// The key of the navigation link marked current, if any.
    pub async fn current_nav(&self) -> E2eResult<Option<String>> {
        let current = self
            .browser
            .driver()
            .find_all(By::Css("[data-testid=\"main-nav\"] [aria-current=\"page\"]"))
            .await?;
        match current.as_slice() {
            [] => Ok(None),
            [link] => Ok(link
                .attr("data-testid")
                .await?
                .and_then(|id| id.strip_prefix("nav-").map(str::to_owned))),
            _ => Ok(Some("(several links marked current)".to_owned())),
        }
    }

    /// The navigation element.
    pub async fn nav(&self) -> E2eResult<WebElement> {
        self.browser.by_testid("main-nav").await
    }

    /// A navigation link by key.
    pub async fn nav_link(&self, key: &str) -> E2eResult<WebElement> {
        self.browser.by_testid(&format!("nav-{key}")).await
    }
}
