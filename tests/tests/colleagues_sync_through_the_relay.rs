//! Two colleagues in two browsers, synced through the real relay: an edit on one screen appears on the
//! other while it is open, and each sees the other viewing the record; with the relay gone both keep working (the same record, a different field, a
//! new record); when it returns both converge, the same-field conflict is shown with both values and
//! settled by a choice; a third device signs in and receives the whole workspace.

use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};

#[tokio::test]
async fn colleagues_see_edits_live_and_converge_after_the_relay_returns() {
    run("colleagues_see_edits_live_and_converge_after_the_relay_returns", |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        let boris = harness.browser(Viewport::Phone).await?;

        // Anna puts her workspace on the relay and adds a customer.
        AppShell::open(&anna, "/settings").await?;
        create_account(&anna, "anna@example.test", "Anna").await?;
        click_when_enabled(&anna, "link-workspace").await?;
        sync_state(&anna, "synced", 30).await?;
        add_party(&anna, "Acme Ltd").await?;
        nothing_unsynced(&anna).await?;

        // She invites Boris, who joins on his phone and receives the customer.
        AppShell::open(&anna, "/settings").await?;
        anna.by_testid("create-invite").await?.click().await?;
        let code = anna.by_testid("invite-code").await?.text().await?;
        AppShell::open(&boris, "/settings").await?;
        create_account(&boris, "boris@example.test", "Boris").await?;
        boris.by_testid("invite-input").await?.send_keys(&code).await?;
        click_when_enabled(&boris, "join-workspace").await?;
        sync_state(&boris, "synced", 30).await?;
        AppShell::open(&boris, "/parties").await?;
        party_count(&boris, 1).await?;

        // Both open the record; Anna's edit shows on Boris's screen while it is open.
        open_record(&anna, "Acme Ltd").await?;
        open_record(&boris, "Acme Ltd").await?;
        // Each sees the other online and on this record.
        for (browser, colleague) in [(&anna, "Boris"), (&boris, "Anna")] {
            wait_until(&format!("{colleague} shown on the record"), 15, || async {
                let viewers = browser
                    .eval("return document.querySelector('[data-testid=record-viewers]')?.textContent ?? '';")
                    .await?;
                Ok(viewers.as_str().is_some_and(|v| v.contains(colleague)).then_some(()))
            })
            .await?;
            let online = browser.by_testid("online-colleagues").await?.text().await?;
            assert!(online.contains(colleague), "{online}");
        }
        set_field(&anna, "party-name", "Acme Corporation").await?;
        anna.by_testid("save-party").await?.click().await?;
        field_becomes(&boris, "party-name", "Acme Corporation", 10).await?;

        // The relay goes away; both keep working.
        harness.relay().stop().await;
        sync_state(&anna, "offline", 30).await?;
        sync_state(&boris, "offline", 30).await?;
        set_field(&anna, "party-name", "Acme (Anna)").await?;
        anna.by_testid("save-party").await?.click().await?;
        set_field(&boris, "party-name", "Acme (Boris)").await?;
        set_field(&boris, "party-phone", "+49 30 1234567").await?;
        boris.by_testid("save-party").await?.click().await?;
        anna.by_testid("record-unsynced").await?;
        add_party(&anna, "Zeta Lead").await?;
        let (state, pending) = sync_status(&anna).await?;
        assert_eq!(
            (state.as_str(), pending.as_str()),
            ("offline", "2"),
            "two edits wait for the relay"
        );
        anna.by_testid("row-unsynced").await?;
        anna.screenshot("offline-with-unsynced-edits").await?;

        // The relay returns: both reconnect by themselves and converge.
        harness.relay().restart().await?;
        for browser in [&anna, &boris] {
            sync_state(browser, "synced", 60).await?;
            nothing_unsynced(browser).await?;
        }
        boris.by_testid("nav-parties").await?.click().await?;
        party_count(&boris, 2).await?;
        open_record(&boris, "Acme (").await?;
        open_record(&anna, "Acme (").await?;
        field_becomes(&anna, "party-phone", "+49 30 1234567", 10).await?;
        for browser in [&anna, &boris] {
            let choices = conflict_choices(browser).await?;
            assert_eq!(choices, vec!["Acme (Anna)", "Acme (Boris)"], "both values are offered");
        }
        anna.screenshot("conflict-shown").await?;

        // Anna keeps Boris's name; the conflict is settled on both devices.
        let keep =
            anna.driver().find_all(thirtyfour::By::Css("[data-testid=conflict-choice]")).await?;
        for button in keep {
            if button.text().await? == "Acme (Boris)" {
                button.click().await?;
                break;
            }
        }
        for browser in [&anna, &boris] {
            wait_until("the conflict to be settled", 15, || async {
                Ok((!browser.has_testid("conflicts").await?).then_some(()))
            })
            .await?;
            field_becomes(browser, "party-name", "Acme (Boris)", 10).await?;
        }

        // A third device: Boris signs in on a laptop and receives the whole workspace.
        let laptop = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&laptop, "/settings").await?;
        sign_in(&laptop, "boris@example.test").await?;
        click_when_enabled(&laptop, "open-workspace").await?;
        sync_state(&laptop, "synced", 30).await?;
        AppShell::open(&laptop, "/parties").await?;
        party_count(&laptop, 2).await?;
        open_record(&laptop, "Acme (Boris)").await?;
        field_becomes(&laptop, "party-phone", "+49 30 1234567", 10).await?;
        Ok(())
    })
    .await;
}

const PASSWORD: &str = "correct horse battery staple";

async fn create_account(browser: &Browser, email: &str, name: &str) -> E2eResult {
    browser.by_testid("account-email").await?.send_keys(email).await?;
    browser.by_testid("account-name").await?.send_keys(name).await?;
    browser.by_testid("account-password").await?.send_keys(PASSWORD).await?;
    browser.by_testid("sign-up").await?.click().await?;
    browser.by_testid("signed-in-as").await?;
    Ok(())
}

async fn sign_in(browser: &Browser, email: &str) -> E2eResult {
    browser.by_testid("account-email").await?.send_keys(email).await?;
    browser.by_testid("account-password").await?.send_keys(PASSWORD).await?;
    browser.by_testid("sign-in").await?.click().await?;
    browser.by_testid("signed-in-as").await?;
    Ok(())
}

/// The status bar's `data-state` and `data-unsynced`, read in one script (the page may be reloading).
async fn sync_status(browser: &Browser) -> E2eResult<(String, String)> {
    let found = browser
        .eval(
            "const s = document.querySelector('[data-testid=sync-status]');\
             return s ? [s.dataset.state, s.dataset.unsynced] : ['', ''];",
        )
        .await?;
    let text = |i: usize| found[i].as_str().unwrap_or_default().to_owned();
    Ok((text(0), text(1)))
}

async fn sync_state(browser: &Browser, state: &str, seconds: u64) -> E2eResult {
    wait_until(&format!("sync status {state}"), seconds, || async {
        Ok((sync_status(browser).await?.0 == state).then_some(()))
    })
    .await
}

async fn nothing_unsynced(browser: &Browser) -> E2eResult {
    wait_until("every edit to be on the relay", 30, || async {
        let (state, pending) = sync_status(browser).await?;
        Ok((state == "synced" && pending == "0").then_some(()))
    })
    .await
}

async fn add_party(browser: &Browser, name: &str) -> E2eResult {
    if !browser.has_testid("page-parties").await? {
        browser.by_testid("nav-parties").await?.click().await?;
    }
    browser.by_testid("page-parties").await?;
    browser.by_testid("new-party-name").await?.send_keys(name).await?;
    browser.by_testid("add-party").await?.click().await?;
    wait_until("the new record to be saved", 10, || async {
        let value = browser
            .eval("return document.querySelector('[data-testid=new-party-name]').value;")
            .await?;
        Ok((value == "").then_some(()))
    })
    .await
}

async fn party_count(browser: &Browser, count: usize) -> E2eResult {
    wait_until(&format!("{count} records listed"), 30, || async {
        let text = browser.by_testid("party-count").await?.text().await?;
        Ok((text == format!("{count} found")).then_some(()))
    })
    .await
}

/// Opens the first listed record whose name starts with `prefix`, from the list (in-app navigation, no
/// reload).
async fn open_record(browser: &Browser, prefix: &str) -> E2eResult {
    if !browser.has_testid("page-parties").await? {
        browser.by_testid("nav-parties").await?.click().await?;
    }
    let link = wait_until(&format!("a record named {prefix}…"), 15, || async {
        for row in
            browser.driver().find_all(thirtyfour::By::Css("[data-testid=party-row] a")).await?
        {
            if row.text().await?.starts_with(prefix) {
                return Ok(Some(row));
            }
        }
        Ok(None)
    })
    .await?;
    link.click().await?;
    browser.by_testid("party-form").await?;
    Ok(())
}

async fn set_field(browser: &Browser, testid: &str, value: &str) -> E2eResult {
    let field = browser.by_testid(testid).await?;
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

async fn field_becomes(browser: &Browser, testid: &str, value: &str, seconds: u64) -> E2eResult {
    let script = format!("return document.querySelector('[data-testid={testid}]')?.value ?? null;");
    wait_until(&format!("{testid} to read {value:?}"), seconds, || async {
        Ok((browser.eval(&script).await? == value).then_some(()))
    })
    .await
}

async fn conflict_choices(browser: &Browser) -> E2eResult<Vec<String>> {
    wait_until("both values of the conflict", 15, || async {
        let mut choices = Vec::new();
        for button in
            browser.driver().find_all(thirtyfour::By::Css("[data-testid=conflict-choice]")).await?
        {
            choices.push(button.text().await?);
        }
        choices.sort();
        Ok((choices.len() >= 2).then_some(choices))
    })
    .await
}

/// Clicks a button once it is enabled (the app enables some only once the workspace is open).
async fn click_when_enabled(browser: &Browser, testid: &str) -> E2eResult {
    let script = format!(
        "const b = document.querySelector('[data-testid={testid}]'); return !!b && !b.disabled;"
    );
    wait_until(&format!("{testid} to be enabled"), 30, || async {
        Ok((browser.eval(&script).await? == true).then_some(()))
    })
    .await?;
    browser.by_testid(testid).await?.click().await?;
    Ok(())
}
