//! An automation rule, end to end, with a real mail server behind the relay. Anna (at her desk, in
//! English) writes "VIP welcome" on screen: when the tag "vip" is added to a person, a task "Call the
//! VIP" for their owner and a welcome email. Before switching it on she tests it against two records:
//! Edith, tagged "vip" already, would set it off; Clara would not. Switched on, Edith — who met it
//! when it was switched on — never sets it off. Anna tags Clara "vip" while Boris's phone (in Russian)
//! has the rule open too, and both devices look for occurrences: Clara gets one welcome email, and
//! there is one call task, on both devices; the run log on both says what the rule did for her.

use std::sync::Arc;

use rapport_e2e::flows::{
    anna_and_boris, attribute_becomes, click_centred as click, open_record, person_with_email,
    photograph, set_field,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::smtp::SmtpServer;
use rapport_e2e::{Browser, E2eResult, run_with_relay_args, wait_until};

/// Sets control `testid` of the n-th (from 0) action as a person does: types or chooses, then leaves.
async fn action_control(browser: &Browser, n: usize, testid: &str, value: &str) -> E2eResult {
    browser
        .wait_for_script(
            &format!("action {n}'s {testid}"),
            &format!(
                "const a = document.querySelectorAll('[data-testid=automation-action]')[{n}];
                 const f = a && a.querySelector('[data-testid={testid}]');
                 if (!f || ![...(f.options ?? [{{ value: {value:?} }}])].some(o => o.value === {value:?})) return false;
                 f.value = {value:?};
                 f.dispatchEvent(new Event('input', {{ bubbles: true }}));
                 f.dispatchEvent(new Event('change', {{ bubbles: true }}));
                 return true;"
            ),
        )
        .await
}

/// Waits until the n-th action's control `testid` holds `value` (saved and shown back).
async fn action_holds(browser: &Browser, n: usize, testid: &str, value: &str) -> E2eResult {
    browser
        .wait_for_script(
            &format!("action {n}'s {testid} = {value}"),
            &format!(
                "const f = document.querySelectorAll('[data-testid=automation-action]')[{n}]?.querySelector('[data-testid={testid}]');
                 return !!f && f.value === {value:?};"
            ),
        )
        .await
}

/// Picks `name` in the rule's test, and waits for what it would do.
async fn test_against(browser: &Browser, name: &str) -> E2eResult<(String, String)> {
    if browser.has_testid("try-party").await? {
        browser
            .eval("document.querySelector('[data-testid=automation-try] .chosen button').click(); return 1;")
            .await?;
    }
    set_field(browser, "try-party-search", name).await?;
    click(browser, "try-party-match").await?;
    browser.text_when("try-party", |t| t.contains(name)).await?;
    let triggered = browser.by_testid("automation-preview").await?.attr("data-triggered").await?;
    let effects = browser
        .eval("return [...document.querySelectorAll('[data-testid=preview-effect]')].map(e => e.dataset.did).join(',');")
        .await?;
    Ok((triggered.unwrap_or_default(), effects.as_str().unwrap_or_default().to_owned()))
}

/// How many tasks titled with `text` the open record lists.
async fn tasks_with(browser: &Browser, text: &str) -> E2eResult<usize> {
    let count = browser
        .eval(&format!(
            "return [...document.querySelectorAll('[data-testid=task-row]')].filter(r => r.dataset.title.includes({text:?})).length;"
        ))
        .await?;
    Ok(count.as_u64().unwrap_or(0) as usize)
}

/// Tags `name` "vip" on their record and waits until the people list, filtered by the tag, shows
/// them (the record saved).
async fn tag_vip(browser: &Browser, name: &str) -> E2eResult {
    open_record(browser, name).await?;
    set_field(browser, "party-tags", "vip").await?;
    click(browser, "save-party").await?;
    // Within the app, as a person goes: a page loaded afresh would drop a key its rule took.
    browser.by_testid("nav-parties").await?.click().await?;
    browser.by_testid("page-parties").await?;
    browser
        .wait_for_script(
            "vip among the tags",
            "const s = document.querySelector('[data-testid=party-tag]');
             if (!s || ![...s.options].some(o => o.value === 'vip')) return false;
             s.value = 'vip'; s.dispatchEvent(new Event('change', { bubbles: true })); return true;",
        )
        .await?;
    browser
        .wait_for_script(
            &format!("{name} tagged"),
            &format!("return [...document.querySelectorAll('[data-testid=party-row]')].some(r => r.textContent.includes({name:?}));"),
        )
        .await
}

#[tokio::test]
async fn a_rule_tested_then_switched_on_acts_once_for_each_person_it_is_for() {
    let mailbox = tempfile::tempdir().unwrap();
    let smtp = Arc::new(SmtpServer::start(&mailbox.path().join("mail"), 30));
    let url = smtp.url();
    let args = ["--smtp-url", url.as_str(), "--mail-from", "Acme <crm@acme.example>"];
    let name = "a_rule_acts_once_on_two_devices";
    run_with_relay_args(name, &args, move |harness| async move {
        let (anna, boris) = anna_and_boris(&harness).await?;
        for (person, email) in [("Clara Schumann", "clara@example.com"), ("Edith Piaf", "edith@example.com")] {
            person_with_email(&anna, person, Some(email)).await?;
        }
        tag_vip(&anna, "Edith Piaf").await?;

        // The rule, written on screen.
        AppShell::open(&anna, "/marketing").await?;
        set_field(&anna, "new-automation-name", "VIP welcome").await?;
        click(&anna, "new-automation-create").await?;
        anna.by_testid("automation-when").await?;
        let rule = anna.path().await?;
        assert!(rule.starts_with("/marketing/automations/"), "{rule}");
        attribute_becomes(&anna, "automation-switch", "data-on", "false").await?;
        anna.by_testid("automation-no-actions").await?;
        anna.eval("const f = document.querySelector('[data-testid=automation-trigger]'); f.value = 'tag'; f.dispatchEvent(new Event('change', { bubbles: true })); return 1;")
            .await?;
        attribute_becomes(&anna, "automation-when", "data-trigger", "tag").await?;
        set_field(&anna, "automation-value", "vip").await?;
        anna.eval("document.querySelector('[data-testid=automation-value]').dispatchEvent(new Event('change', { bubbles: true })); return 1;")
            .await?;
        for n in 1..=2 {
            click(&anna, "add-action").await?;
            attribute_becomes(&anna, "automation-actions", "data-count", &n.to_string()).await?;
        }
        action_control(&anna, 1, "action-kind", "email").await?;
        action_control(&anna, 0, "action-subject", "Call the VIP").await?;
        action_control(&anna, 0, "action-days", "1").await?;
        action_control(&anna, 1, "action-subject", "Welcome, {{first_name|there}}").await?;
        action_control(&anna, 1, "action-body", "A seat is kept for you at every event.").await?;
        for (n, testid, value) in [
            (0, "action-kind", "task"),
            (0, "action-subject", "Call the VIP"),
            (0, "action-days", "1"),
            (1, "action-kind", "email"),
            (1, "action-subject", "Welcome, {{first_name|there}}"),
            (1, "action-body", "A seat is kept for you at every event."),
        ] {
            action_holds(&anna, n, testid, value).await?;
        }

        // Tested against two records before it is on: nothing is written, nothing sent.
        let (triggered, effects) = test_against(&anna, "Edith").await?;
        assert_eq!((triggered.as_str(), effects.as_str()), ("true", "task,email"));
        let (triggered, _) = test_against(&anna, "Clara").await?;
        assert_eq!(triggered, "false", "Clara has no tag yet");
        anna.eval("window.scrollTo(0, 0); return 1;").await?;
        photograph(&anna, "automation-1280x800-en").await?;

        // Switched on; Boris's phone has it open too. Edith met it then: she never sets it off.
        click(&anna, "automation-toggle").await?;
        attribute_becomes(&anna, "automation-switch", "data-on", "true").await?;
        anna.by_testid("automation-locked").await?;
        AppShell::open(&boris, &rule).await?;
        attribute_becomes(&boris, "automation-switch", "data-on", "true").await?;

        // Clara is tagged: one email, one task, one run — whichever device did it.
        tag_vip(&anna, "Clara Schumann").await?;
        let mail = wait_until("Clara's welcome", 45, || async {
            let mails = smtp.to("clara@example.com");
            assert!(mails.len() <= 1, "more than one welcome: {mails:?}");
            Ok(mails.first().cloned())
        })
        .await?;
        assert!(mail.lines().any(|l| l == "Subject: Welcome, Clara"), "{mail}");
        assert!(mail.contains("A seat is kept for you at every event."), "{mail}");
        for browser in [&anna, &boris] {
            AppShell::open(browser, &rule).await?;
            attribute_becomes(browser, "automation-runs", "data-count", "1").await?;
            browser
                .wait_for_script(
                    "Clara in the run log",
                    "return document.querySelector('[data-testid=automation-run-entry]')?.dataset.name === 'Clara Schumann';",
                )
                .await?;
        }
        boris
            .eval("document.querySelector('[data-testid=automation-runs]').scrollIntoView(); return 1;")
            .await?;
        photograph(&boris, "automation-runs-390x844-ru").await?;
        boris.eval("window.scrollTo(0, 0); return 1;").await?;
        photograph(&boris, "automation-390x844-ru").await?;
        for browser in [&anna, &boris] {
            open_record(browser, "Clara").await?;
            wait_until("Clara's call task", 30, || async {
                Ok((tasks_with(browser, "Call the VIP").await? == 1).then_some(()))
            })
            .await?;
            browser
                .wait_for_script(
                    "the welcome on Clara's timeline",
                    "return [...document.querySelectorAll('[data-testid=timeline-item][data-kind=email]')].some(i => i.textContent.includes('Welcome, Clara'));",
                )
                .await?;
        }
        // Nothing for Edith, tagged before the rule was on; and still one mail to Clara.
        open_record(&boris, "Edith").await?;
        boris.by_testid("next-steps").await?;
        assert_eq!(tasks_with(&boris, "Call the VIP").await?, 0, "Edith met it when switched on");
        assert!(smtp.to("edith@example.com").is_empty());
        assert_eq!(smtp.to("clara@example.com").len(), 1);
        // A device that found an occurrence taken or done hears 409 or 410 from the relay's
        // ledger, which the browser logs as a failed request; nothing else may be logged.
        for browser in [&anna, &boris] {
            let mut errors = browser.console_errors().await?;
            errors.retain(|e| {
                !(e.message.contains("/once/")
                    && (e.message.contains("409") || e.message.contains("410")))
            });
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
