//! Two colleagues in two browsers, synced through the real relay: an edit on one screen appears on the
//! other while it is open, and each sees the other viewing the record; with the relay gone both keep working (the same record, a different field, a
//! new record); when it returns both converge, the same-field conflict is shown with both values and
//! settled by a choice; a third device signs in and receives the whole workspace.

use rapport_e2e::flows::{
    add_party, click_when_enabled, conflict_choices, field_becomes, join_by_invitation,
    nothing_unsynced, open_record, party_count, set_field, sign_in, sign_up_and_upload, sync_state,
    sync_status,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Viewport, run, wait_until};

#[tokio::test]
async fn colleagues_see_edits_live_and_converge_after_the_relay_returns() {
    run("colleagues_see_edits_live_and_converge_after_the_relay_returns", |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        let boris = harness.browser(Viewport::Phone).await?;

        // Anna puts her workspace on the relay and adds a customer.
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        add_party(&anna, "Acme Ltd").await?;
        nothing_unsynced(&anna).await?;

        // She invites Boris, who joins on his phone and receives the customer.
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;
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
        // With the relay away the device tries again now and then: offline between tries,
        // connecting during one (a run under load caught it there); either way both edits wait.
        let (state, pending) = sync_status(&anna).await?;
        assert!(matches!(state.as_str(), "offline" | "connecting"), "relay away, yet {state}");
        assert_eq!(pending, "2", "two edits wait for the relay");
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
        // The documents arrived whole, and the Web Worker merged them, not the page.
        let merged = laptop
            .eval("return performance.getEntriesByName('rapport:worker-merge').length;")
            .await?;
        assert!(merged.as_u64().unwrap_or(0) >= 1, "documents merged in the worker: {merged}");
        laptop.by_testid("nav-parties").await?.click().await?;
        party_count(&laptop, 2).await?;
        open_record(&laptop, "Acme (Boris)").await?;
        field_becomes(&laptop, "party-phone", "+49 30 1234567", 10).await?;
        // What a colleague changes next reaches the laptop live: the conversation the worker took
        // part in goes on on the page.
        set_field(&anna, "party-phone", "+49 30 7654321").await?;
        anna.by_testid("save-party").await?.click().await?;
        field_becomes(&laptop, "party-phone", "+49 30 7654321", 10).await?;
        nothing_unsynced(&laptop).await?;
        Ok(())
    })
    .await;
}
