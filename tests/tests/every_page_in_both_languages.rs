//! Every page, photographed at 1280×800 and 390×844 in English and Russian with a small demo workspace
//! (the screenshots are kept as test artifacts to be looked at), and the main ones dark: each opens
//! without console errors and nothing scrolls sideways.

use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run_with_relay_args, wait_until};

/// The first link matching `selector`'s address, once the page shows one.
async fn first_href(browser: &Browser, selector: &str) -> E2eResult<String> {
    wait_until(&format!("a link {selector}"), 30, || async {
        let href = browser
            .eval(&format!(
                "return document.querySelector({selector:?})?.getAttribute('href') ?? '';"
            ))
            .await?;
        Ok(href.as_str().filter(|h| !h.is_empty()).map(str::to_owned))
    })
    .await
}

#[tokio::test]
async fn every_page_is_photographed_in_both_languages_at_both_sizes() {
    run_with_relay_args("every_page", &["--demo", "--demo-parties", "60"], |harness| async move {
        for (viewport, size) in [(Viewport::Desktop, "1280x800"), (Viewport::Phone, "390x844")] {
            for language in ["en", "ru"] {
                let browser = harness.browser_speaking(viewport, language).await?;
                AppShell::open(&browser, "/parties").await?;
                let record = first_href(&browser, "[data-testid=party-row] a").await?;
                AppShell::open(&browser, "/deals").await?;
                let deal = first_href(&browser, "[data-testid=deal-link]").await?;
                AppShell::open(&browser, "/knowledge").await?;
                let article = first_href(&browser, "[data-testid=article-row] a").await?;
                AppShell::open(&browser, "/contracts").await?;
                let contract = first_href(&browser, "[data-testid=contract-row] a").await?;
                AppShell::open(&browser, "/marketing").await?;
                let segment = first_href(&browser, "[data-testid=segment-row] a").await?;
                let campaign = first_href(&browser, "[data-testid=campaign-row] a").await?;
                let sequence = first_href(&browser, "[data-testid=sequence-row] a").await?;
                let automation = first_href(&browser, "[data-testid=automation-row] a").await?;
                let email = format!("{record}/email");
                for (page, path) in [
                    ("today", "/"),
                    ("people", "/parties"),
                    ("record", record.as_str()),
                    ("email", email.as_str()),
                    ("deals", "/deals"),
                    ("deal", deal.as_str()),
                    ("analytics", "/analytics"),
                    ("reports", "/analytics/reports"),
                    ("tasks", "/tasks"),
                    ("log", "/log/call"),
                    ("import-export", "/import-export"),
                    ("knowledge", "/knowledge"),
                    ("article", article.as_str()),
                    ("contracts", "/contracts"),
                    ("contract", contract.as_str()),
                    ("purchasing", "/purchasing"),
                    ("investors", "/investors"),
                    ("marketing", "/marketing"),
                    ("segment", segment.as_str()),
                    ("campaign", campaign.as_str()),
                    ("sequence", sequence.as_str()),
                    ("automation", automation.as_str()),
                    ("team", "/team"),
                    ("settings", "/settings"),
                ] {
                    AppShell::open(&browser, path).await?;
                    browser.by_testid("page-title").await?;
                    // What a person would wait for: the page's own content, not just its frame.
                    wait_until(&format!("{page} to show its content"), 15, || async {
                        let ready = browser
                            .eval("const text = document.body.textContent;
                                   return !['Opening…', 'Открываем…', 'Counting…', 'Считается…'].some(busy => text.includes(busy));")
                            .await?;
                        Ok((ready == true).then_some(()))
                    })
                    .await?;
                    let overflow = browser
                        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                        .await?;
                    assert_eq!(overflow, 0, "{page} scrolls sideways at {size} in {language}");
                    browser.screenshot(&format!("{page}-{size}-{language}")).await?;
                }
                // Dark, as the device asks: the same pages from the same tokens.
                if language == "en" {
                    let dark = serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] });
                    browser.cdp("Emulation.setEmulatedMedia", dark).await?;
                    for (page, path) in [("people", "/parties"), ("record", record.as_str()), ("deals", "/deals"), ("tasks", "/tasks")] {
                        AppShell::open(&browser, path).await?;
                        browser.by_testid("page-title").await?;
                        let background = browser
                            .eval("return getComputedStyle(document.body).backgroundColor;")
                            .await?;
                        assert_eq!(background, "rgb(11, 17, 32)", "{page} is dark");
                        browser.screenshot(&format!("{page}-{size}-dark")).await?;
                    }
                }
                let errors = browser.console_errors().await?;
                assert!(errors.is_empty(), "console errors at {size} in {language}: {errors:?}");
            }
        }
        Ok(())
    })
    .await;
}
