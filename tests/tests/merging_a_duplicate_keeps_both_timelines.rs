//! Two records of one person are merged: the survivor gains the duplicate's phone and its logged call,
//! the duplicate leaves the list, and its old address says where it went.

use rapport_e2e::flows::{
    add_party, click_centred, field_becomes, open_record, party_count, set_field,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Viewport, run, wait_until};

#[tokio::test]
async fn a_duplicate_merged_into_a_record_brings_its_details_and_timeline() {
    run("a_duplicate_merged_into_a_record_brings_its_details_and_timeline", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/parties").await?;
        add_party(&browser, "Ivan Petrov").await?;
        add_party(&browser, "Иван Петров").await?;

        // The duplicate has a phone and a logged call.
        open_record(&browser, "Иван").await?;
        let duplicate_path = browser.path().await?;
        set_field(&browser, "party-phone", "+7 495 123-45-67").await?;
        browser.by_testid("save-party").await?.click().await?;
        field_becomes(&browser, "party-phone", "+7 495 123-45-67", 5).await?;
        click_centred(&browser, "log-call-link").await?;
        browser.by_testid("log-summary").await?.send_keys("Asked for the price list").await?;
        click_centred(&browser, "save-log").await?;
        browser.by_testid("log-done").await?;

        // Merged into the first record, from its page.
        AppShell::open(&browser, "/parties").await?;
        open_record(&browser, "Ivan").await?;
        browser.eval("document.querySelector('[data-testid=merge]').open = true; return 1;").await?;
        browser.by_testid("merge-party-search").await?.send_keys("Иван").await?;
        browser
            .eval("[...document.querySelectorAll('[data-testid=merge-party-match]')].find(b => b.textContent === 'Иван Петров').click(); return 1;")
            .await?;
        let explained = browser.by_testid("merge-explained").await?.text().await?;
        assert!(explained.contains("Иван Петров"), "{explained}");
        click_centred(&browser, "confirm-merge").await?;

        field_becomes(&browser, "party-phone", "+7 495 123-45-67", 10).await?;
        wait_until("the duplicate's call on this record's timeline", 10, || async {
            let items = browser
                .eval("return [...document.querySelectorAll('[data-testid=timeline-item]')].map(e => e.textContent).join(' | ');")
                .await?;
            Ok(items.as_str().is_some_and(|t| t.contains("Asked for the price list")).then_some(()))
        })
        .await?;
        browser.screenshot("merged-record-1280x800").await?;

        AppShell::open(&browser, "/parties").await?;
        party_count(&browser, 1).await?;
        // After a reload, the duplicate's page points to the survivor.
        AppShell::open(&browser, &duplicate_path).await?;
        let link = browser.by_testid("merged-into").await?;
        assert_eq!(link.text().await?, "Ivan Petrov");
        link.click().await?;
        field_becomes(&browser, "party-name", "Ivan Petrov", 10).await?;
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    })
    .await;
}
