//! Ctrl-K (or the search button on a phone) finds people, deals and tasks and runs actions, by keyboard
//! or by touch, and Escape closes it.

use rapport_e2e::flows::add_party;
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};
use thirtyfour::Key;

async fn ctrl_k(browser: &Browser) -> E2eResult {
    browser
        .driver()
        .action_chain()
        .key_down(Key::Control)
        .send_keys("k")
        .key_up(Key::Control)
        .perform()
        .await?;
    browser.by_testid("command-palette").await?;
    Ok(())
}

/// Kind and label of every item the palette lists.
async fn items(browser: &Browser) -> E2eResult<Vec<(String, String)>> {
    let value = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=palette-item]')]
                .map(e => [e.dataset.kind, e.querySelector('.row-title').textContent]);",
        )
        .await?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

async fn type_query(browser: &Browser, text: &str) -> E2eResult {
    browser.by_testid("palette-input").await?.send_keys(text).await?;
    Ok(())
}

async fn press(browser: &Browser, key: Key) -> E2eResult {
    browser.by_testid("palette-input").await?.send_keys(key).await?;
    Ok(())
}

async fn path_becomes(browser: &Browser, prefix: &str) -> E2eResult {
    wait_until(&format!("the path to start with {prefix}"), 10, || async {
        let path = browser.path().await?;
        Ok(path.starts_with(prefix).then_some(()))
    })
    .await
}

#[tokio::test]
async fn the_palette_finds_records_and_runs_actions_by_keyboard_and_touch() {
    run("the_palette_finds_records_and_runs_actions_by_keyboard_and_touch", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/parties").await?;
        add_party(&browser, "Nordwind GmbH").await?;
        add_party(&browser, "Baltic Freight").await?;

        // Empty: the actions. Typing narrows to what matches, records included.
        ctrl_k(&browser).await?;
        let focused =
            browser.eval("return document.activeElement?.dataset?.testid ?? null;").await?;
        assert_eq!(focused, "palette-input");
        assert_eq!(
            items(&browser).await?.first().map(|i| i.1.as_str()),
            Some("New person or organisation")
        );
        type_query(&browser, "nord").await?;
        wait_until("Nordwind to be offered", 10, || async {
            Ok((items(&browser).await? == [("party".to_owned(), "Nordwind GmbH".to_owned())])
                .then_some(()))
        })
        .await?;
        press(&browser, Key::Enter).await?;
        path_becomes(&browser, "/parties/").await?;
        rapport_e2e::flows::field_becomes(&browser, "party-name", "Nordwind GmbH", 10).await?;
        assert!(!browser.has_testid("command-palette").await?, "closed after choosing");

        // A task is found by its title; arrow keys choose among several results.
        AppShell::open(&browser, "/tasks").await?;
        browser
            .by_testid("new-task-title")
            .await?
            .send_keys("Call Nordwind about the fleet")
            .await?;
        browser.by_testid("add-task").await?.click().await?;
        wait_until("the task", 10, || async {
            Ok(browser.has_testid("task-row").await?.then_some(()))
        })
        .await?;
        ctrl_k(&browser).await?;
        type_query(&browser, "log a").await?;
        wait_until("the three log actions", 10, || async {
            let labels: Vec<String> = items(&browser).await?.into_iter().map(|i| i.1).collect();
            Ok((labels == ["Log a visit", "Log a call", "Log a meeting"]).then_some(()))
        })
        .await?;
        for key in [Key::Down, Key::Down, Key::Up] {
            press(&browser, key).await?;
        }
        press(&browser, Key::Enter).await?;
        path_becomes(&browser, "/log/call").await?;

        ctrl_k(&browser).await?;
        type_query(&browser, "fleet").await?;
        wait_until("the task to be offered", 10, || async {
            let found = items(&browser).await?;
            Ok((found == [("task".to_owned(), "Call Nordwind about the fleet".to_owned())])
                .then_some(()))
        })
        .await?;
        // Escape closes without going anywhere.
        press(&browser, Key::Escape).await?;
        wait_until("the palette to close", 5, || async {
            Ok((!browser.has_testid("command-palette").await?).then_some(()))
        })
        .await?;
        assert!(browser.path().await?.starts_with("/log/call"));

        // On a phone: the search button, a tap on the result.
        let phone = harness.browser(Viewport::Phone).await?;
        AppShell::open(&phone, "/parties").await?;
        add_party(&phone, "Baltic Freight").await?;
        phone.by_testid("palette-open").await?.click().await?;
        phone.by_testid("palette-input").await?.send_keys("balt").await?;
        wait_until("Baltic to be offered", 10, || async {
            Ok((items(&phone).await? == [("party".to_owned(), "Baltic Freight".to_owned())])
                .then_some(()))
        })
        .await?;
        phone.screenshot("command-palette-390x844").await?;
        phone.by_testid("palette-item").await?.click().await?;
        path_becomes(&phone, "/parties/").await?;
        for browser in [&browser, &phone] {
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
