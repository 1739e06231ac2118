//! An escalation rule applied once although three devices see the breach: Anna's workspace promises
//! a first answer within a minute and has a rule — a first answer late: raise the priority, give the
//! ticket to Boris, tell Carl. Anna opens a ticket; Anna, Boris (his phone, in Russian) and Carl (his
//! phone) all count its opening at the relay's time, so at the deadline each of them looks at once
//! and finds the breach to escalate. One takes the breach in the relay's ledger: the ticket shows one escalation on every device, its priority
//! raised one step (not three), Boris its assignee, and the relay holds one notification for Carl
//! (the breach alerts now wait for the raised priority's deadlines). Screenshots of the rule in Settings and of the escalated ticket at
//! both sizes in both languages.

use rapport_e2e::flows::{
    add_party, api_session, attribute_becomes, change_to, click_centred, join_by_invitation,
    nothing_unsynced, open_record, policy_answering_within_a_minute, set_field, sign_up_and_upload,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};
use serde_json::Value;

/// Chooses the option whose text is `label` in the menu `testid`, as a person does.
async fn choose(browser: &Browser, testid: &str, label: &str) -> E2eResult {
    let chosen = browser
        .eval(&format!(
            "const menu = document.querySelector('[data-testid={testid}]');
             const option = [...menu.options].find(o => o.text === {label:?});
             if (!option) return false;
             menu.value = option.value;
             menu.dispatchEvent(new Event('change', {{ bubbles: true }}));
             return true;"
        ))
        .await?;
    assert_eq!(chosen, true, "{label} in {testid}");
    Ok(())
}

/// Ticks the box of `testid` whose value or label reads `label`.
async fn tick(browser: &Browser, testid: &str, label: &str) -> E2eResult {
    let ticked = browser
        .eval(&format!(
            "const box = [...document.querySelectorAll('[data-testid={testid}]')]
                 .find(b => b.value === {label:?} || b.parentElement.textContent.trim() === {label:?});
             if (!box) return false;
             box.checked = true;
             box.dispatchEvent(new Event('change', {{ bubbles: true }}));
             return true;"
        ))
        .await?;
    assert_eq!(ticked, true, "{label} in {testid}");
    Ok(())
}

/// Whether the rule on the settings page watches the first response, raises the priority, gives
/// tickets to Boris and tells one member.
async fn rule_reads(browser: &Browser) -> E2eResult<bool> {
    let reads = browser
        .eval(
            "const rule = document.querySelector('[data-testid=rule]');
             if (!rule) return false;
             const assign = rule.querySelector('[data-testid=rule-assign]');
             const told = [...rule.querySelectorAll('[data-testid=rule-notify]')].filter(b => b.checked);
             const clock = rule.querySelector('[data-testid=rule-clock][value=first_response]');
             const raise = rule.querySelector('[data-testid=rule-raise]');
             return assign.options[assign.selectedIndex].text === 'Boris'
                 && told.length === 1 && clock.checked && raise.checked;",
        )
        .await?;
    Ok(reads == true)
}

/// The escalation lines the ticket page shows.
async fn escalations(browser: &Browser) -> E2eResult<Vec<String>> {
    let lines = browser
        .eval("return [...document.querySelectorAll('[data-testid=ticket-escalation]')].map(l => l.textContent);")
        .await?;
    Ok(serde_json::from_value(lines).unwrap_or_default())
}

async fn selected(browser: &Browser, testid: &str) -> E2eResult<String> {
    let text = browser
        .eval(&format!(
            "const menu = document.querySelector('[data-testid={testid}]');
             return menu ? menu.options[menu.selectedIndex].text : '';"
        ))
        .await?;
    Ok(text.as_str().unwrap_or_default().to_owned())
}

/// The relay's notifications for the workspace: `(id, due_at)`.
async fn notifications(relay: &str, email: &str) -> Vec<(String, i64)> {
    let (client, cookie, workspace) = api_session(relay, email).await;
    let url = format!("{relay}/api/workspaces/{workspace}/outbox?after=0");
    let changes = client.get(url).header("cookie", cookie).send().await.unwrap();
    let changes: Value = serde_json::from_str(&changes.text().await.unwrap()).unwrap();
    let mut found: Vec<(String, i64)> = changes["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "notify")
        .map(|entry| (entry["id"].as_str().unwrap().to_owned(), entry["due_at"].as_i64().unwrap()))
        .collect();
    found.sort();
    found.dedup();
    found
}

#[tokio::test]
async fn three_devices_see_one_breach_and_it_is_escalated_once() {
    run("escalation_happens_once", |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        let boris = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        let carl = harness.browser(Viewport::Phone).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        add_party(&anna, "Ann Lee").await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;
        join_by_invitation(&anna, &carl, "carl@example.test", "Carl").await?;

        // Every ticket answered within a minute; a late first answer is escalated.
        policy_answering_within_a_minute(&anna).await?;
        click_centred(&anna, "add-rule").await?;
        anna.by_testid("rule").await?;
        change_to(&anna, "rule-name", "Late first answers").await?;
        anna.text_when("rule", |t| t.contains("Late first answers")).await?;
        tick(&anna, "rule-clock", "first_response").await?;
        tick(&anna, "rule-raise", "Raise the priority one step").await?;
        choose(&anna, "rule-assign", "Boris").await?;
        tick(&anna, "rule-notify", "Carl").await?;
        wait_until("the rule saved", 15, || async { Ok(rule_reads(&anna).await?.then_some(())) })
            .await?;
        anna.eval("document.querySelector('[data-testid=rule]').scrollIntoView(); return 1;").await?;
        anna.screenshot("settings-rule-1280x800-en").await?;
        nothing_unsynced(&anna).await?;
        for (browser, name) in [(&boris, "settings-rule-390x844-ru"), (&carl, "settings-rule-390x844-en")] {
            AppShell::open(browser, "/settings").await?;
            wait_until("the rule as saved", 15, || async { Ok(rule_reads(browser).await?.then_some(())) })
                .await?;
            browser
                .eval("document.querySelector('[data-testid=rule]').scrollIntoView(); return 1;")
                .await?;
            browser.screenshot(name).await?;
        }

        // Anna opens a ticket; every device counts its opening at the relay's time, due in a minute.
        AppShell::open(&anna, "/parties").await?;
        open_record(&anna, "Ann Lee").await?;
        click_centred(&anna, "new-ticket-link").await?;
        anna.text_when("new-ticket-for", |t| t.contains("Ann Lee")).await?;
        set_field(&anna, "new-ticket-subject", "Printer jams").await?;
        set_field(&anna, "new-ticket-said", "It jams on every page.").await?;
        anna.by_testid("save-ticket").await?.click().await?;
        anna.by_testid("page-ticket").await?;
        let ticket = anna.path().await?;
        assert!(ticket.starts_with("/tickets/"), "{ticket}");
        for browser in [&anna, &boris, &carl] {
            AppShell::open(browser, &ticket).await?;
            attribute_becomes(browser, "ticket-sla", "data-unstamped", "0").await?;
            attribute_becomes(browser, "sla-first-response", "data-state", "soon").await?;
        }
        assert!(escalations(&boris).await?.is_empty(), "not late yet");

        // At the deadline all three look at once; one escalates, on every device.
        for browser in [&anna, &boris, &carl] {
            wait_until("the escalation", 90, || async {
                Ok((!escalations(browser).await?.is_empty()).then_some(()))
            })
            .await?;
        }
        for browser in [&anna, &boris, &carl] {
            nothing_unsynced(browser).await?;
        }
        for browser in [&anna, &boris, &carl] {
            let lines = escalations(browser).await?;
            assert_eq!(lines.len(), 1, "one escalation: {lines:?}");
        }
        assert!(escalations(&anna).await?[0].contains("Late first answers"));
        assert_eq!(selected(&anna, "ticket-priority").await?, "High", "raised once, not three times");
        assert_eq!(selected(&anna, "ticket-assignee").await?, "Boris");
        assert_eq!(selected(&boris, "ticket-assignee").await?, "Boris");
        assert_eq!(selected(&carl, "ticket-priority").await?, "High");

        // The relay holds one notification to go out now, for Carl; the breach alerts wait for the
        // deadlines of the raised priority.
        let relay = harness.relay().url();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        let due_now = wait_until("the escalation's notification at the relay", 30, || async {
            let held = notifications(relay, "anna@example.test").await;
            let due_now: Vec<(String, i64)> =
                held.into_iter().filter(|(_, due)| *due <= now.as_secs() as i64 + 60).collect();
            Ok((!due_now.is_empty()).then_some(due_now))
        })
        .await?;
        assert_eq!(due_now.len(), 1, "one notification: {due_now:?}");

        for (browser, name) in [
            (&anna, "ticket-escalated-1280x800-en"),
            (&boris, "ticket-escalated-390x844-ru"),
            (&carl, "ticket-escalated-390x844-en"),
        ] {
            browser
                .eval("document.querySelector('[data-testid=ticket-sla]').scrollIntoView(); return 1;")
                .await?;
            browser.screenshot(name).await?;
        }
        // The desk in Russian: the rule and the ticket.
        AppShell::open(&anna, "/settings").await?;
        change_to(&anna, "language", "ru").await?;
        anna.text_when("rule", |t| t.contains("Поднять приоритет")).await?;
        anna.eval("document.querySelector('[data-testid=rule]').scrollIntoView(); return 1;").await?;
        anna.screenshot("settings-rule-1280x800-ru").await?;
        AppShell::open(&anna, &ticket).await?;
        anna.text_when("ticket-escalations", |t| t.contains("Эскалация")).await?;
        anna.eval("document.querySelector('[data-testid=ticket-sla]').scrollIntoView(); return 1;")
            .await?;
        anna.screenshot("ticket-escalated-1280x800-ru").await?;
        Ok(())
    })
    .await;
}
