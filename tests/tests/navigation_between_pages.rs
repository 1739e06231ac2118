//! Moving around the app: every destination is one click away, deep links open the right page, the back
//! button works, unknown addresses say so, and two browsers navigate independently.

use rapport_e2e::pages::{AppShell, DESTINATIONS};
use rapport_e2e::{Viewport, run};

#[tokio::test]
async fn every_destination_is_one_click_away_and_marked_current() {
    run("every_destination_is_one_click_away", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        let shell = AppShell::open(&browser, "/").await?;
        for (key, path, title) in DESTINATIONS.iter().rev() {
            shell.go_to(key).await?;
            assert_eq!(browser.path().await?, *path);
            assert_eq!(shell.page_title().await?, *title);
            assert_eq!(shell.current_nav().await?.as_deref(), Some(*key));
        }
        // Client-side navigation must not reload the document (that would restart the app).
        let navigations =
            browser.eval("return performance.getEntriesByType('navigation').length;").await?;
        assert_eq!(navigations, 1);
        assert!(browser.console_errors().await?.is_empty());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn deep_links_open_their_page_and_back_returns() {
    run("deep_links_open_their_page", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        let shell = AppShell::open(&browser, "/tasks").await?;
        assert_eq!(shell.page_title().await?, "Tasks");
        assert_eq!(shell.current_nav().await?.as_deref(), Some("tasks"));

        shell.go_to("deals").await?;
        browser.driver().back().await?;
        browser.by_testid("page-tasks").await?;
        assert_eq!(browser.path().await?, "/tasks");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn an_unknown_address_shows_not_found_with_the_navigation_intact() {
    run("an_unknown_address_shows_not_found", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        let shell = AppShell::open(&browser, "/no/such/page").await?;
        browser.by_testid("page-not-found").await?;
        assert_eq!(shell.current_nav().await?, None);
        shell.go_to("parties").await?;
        assert_eq!(shell.page_title().await?, "People");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn two_browsers_side_by_side_navigate_independently() {
    run("two_browsers_side_by_side", |harness| async move {
        let alice = harness.browser(Viewport::Desktop).await?;
        let bob = harness.browser(Viewport::Phone).await?;
        let alice_shell = AppShell::open(&alice, "/").await?;
        let bob_shell = AppShell::open(&bob, "/").await?;

        alice_shell.go_to("deals").await?;
        bob_shell.go_to("tasks").await?;
        assert_eq!(alice_shell.page_title().await?, "Deals");
        assert_eq!(bob_shell.page_title().await?, "Tasks");

        // Fresh profiles: nothing one browser stores is visible to the other.
        alice.eval("localStorage.setItem('probe', 'alice'); return true;").await?;
        assert_eq!(
            bob.eval("return localStorage.getItem('probe');").await?,
            serde_json::Value::Null
        );
        Ok(())
    })
    .await;
}
