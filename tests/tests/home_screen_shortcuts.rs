//! The installed app's shortcuts lead somewhere useful: "New contact" opens the list with the cursor in
//! the new-record field; "Log a visit" logs a visit with where the user is when location is allowed,
//! and without it when refused. The visit shows on the record's timeline.

use rapport_e2e::flows::open_record;
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};
use serde_json::json;

#[tokio::test]
async fn shortcuts_add_a_contact_and_log_a_visit_with_its_place() {
    run("shortcuts_add_a_contact_and_log_a_visit_with_its_place", |harness| async move {
        let phone = harness.browser(Viewport::Phone).await?;
        let origin = harness.relay().url().to_owned();

        // "New contact": the cursor is in the name field; typing and Enter adds the record.
        AppShell::open(&phone, "/parties?new=1&source=shortcut").await?;
        phone
            .wait_for_script(
                "the new-record field to have focus",
                "return document.activeElement?.dataset?.testid === 'new-party-name';",
            )
            .await?;
        let field = phone.by_testid("new-party-name").await?;
        field.send_keys("Acme Field Ltd").await?;
        field.send_keys(thirtyfour::Key::Enter).await?;
        wait_until("the record to be listed", 10, || async {
            let text = phone.by_testid("party-count").await?.text().await?;
            Ok((text == "1 found").then_some(()))
        })
        .await?;

        // "Log a visit", location allowed.
        phone
            .cdp(
                "Browser.grantPermissions",
                json!({ "origin": origin, "permissions": ["geolocation"] }),
            )
            .await?;
        phone
            .cdp(
                "Emulation.setGeolocationOverride",
                json!({ "latitude": 52.52, "longitude": 13.405, "accuracy": 12 }),
            )
            .await?;
        AppShell::open(&phone, "/log/visit?source=shortcut").await?;
        let visit_chosen = phone
            .eval("return document.querySelector('[data-testid=log-kind-visit]').checked;")
            .await?;
        assert_eq!(visit_chosen, true);
        choose_party(&phone, "Acme").await?;
        phone.by_testid("log-summary").await?.send_keys("Met the buyer at the depot").await?;
        phone.by_testid("log-locate").await?.click().await?;
        phone.text_becomes("log-place-status", "52.52000, 13.40500 (±12 m)").await?;
        phone.screenshot("log-a-visit-390x844").await?;
        phone.by_testid("save-log").await?.click().await?;
        phone
            .text_becomes(
                "log-done",
                "Visit with Acme Field Ltd logged at 52.52000, 13.40500 (±12 m).",
            )
            .await?;

        // Location refused: the visit is logged without a place, and the user is told why.
        phone
            .cdp(
                "Browser.setPermission",
                json!({ "origin": origin, "permission": { "name": "geolocation" }, "setting": "denied" }),
            )
            .await?;
        choose_party(&phone, "Acme").await?;
        phone.by_testid("log-summary").await?.send_keys("Dropped off samples").await?;
        phone.by_testid("log-locate").await?.click().await?;
        phone
            .text_becomes(
                "log-place-status",
                "Location not allowed: the visit is logged without it.",
            )
            .await?;
        phone.by_testid("save-log").await?.click().await?;
        phone.text_becomes("log-done", "Visit with Acme Field Ltd logged.").await?;

        // Both visits are on the record's timeline, also after a reload.
        AppShell::open(&phone, "/parties").await?;
        open_record(&phone, "Acme Field Ltd").await?;
        phone.driver().refresh().await?;
        wait_until("two visits on the timeline", 15, || async {
            let items = phone
                .eval(
                    "return [...document.querySelectorAll('[data-testid=timeline-item]')]\
                     .map(item => item.textContent);",
                )
                .await?;
            let items: Vec<String> = serde_json::from_value(items).unwrap_or_default();
            let found = items.len() == 2
                && items.iter().all(|item| item.starts_with("Visit"))
                && items.iter().any(|item| item.contains("Met the buyer at the depot"))
                && items.iter().any(|item| item.contains("Dropped off samples"));
            Ok(found.then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
}

/// Searches the quick log's "With" field and picks the first match.
async fn choose_party(browser: &Browser, query: &str) -> E2eResult {
    browser.by_testid("log-party-search").await?.send_keys(query).await?;
    browser.by_testid("log-party-match").await?.click().await?;
    browser.by_testid("log-party").await?;
    Ok(())
}
