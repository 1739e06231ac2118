//! Reminders that reach a sleeping phone, on the device side: in a workspace that syncs, each open
//! task with a due time becomes a job at the relay (the same id on every device, replaced when the
//! task changes, cancelled when it is done), and the service worker shows a pushed reminder that
//! opens the task's record. (The relay's pushing itself — VAPID, encryption, exactly once, restarts
//! — is proven against a real push receiver in `sync-server/tests/push.rs`; headless Chromium has no
//! push service to subscribe with, and the page says so.)

use rapport_e2e::flows::{
    add_party, api_session, notifications, open_record, sign_in_on_another_device,
    sign_up_and_upload,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run_with_relay_args, wait_until};
use serde_json::json;

async fn set_due_in_days(browser: &Browser, days: i32) -> E2eResult {
    browser
        .eval(&format!(
            "const d = new Date(); d.setDate(d.getDate() + ({days}));
             const v = `${{d.getFullYear()}}-${{String(d.getMonth() + 1).padStart(2, '0')}}-${{String(d.getDate()).padStart(2, '0')}}`;
             const input = document.querySelector('[data-testid=new-task-due]');
             input.value = v;
             input.dispatchEvent(new Event('input', {{ bubbles: true }}));
             return v;"
        ))
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_due_task_becomes_a_relay_reminder_that_opens_its_record_and_goes_when_done() {
    let name = "a_due_task_becomes_a_relay_reminder_that_opens_its_record_and_goes_when_done";
    run_with_relay_args(name, &["--push-allow-loopback"], |harness| async move {
        let relay = harness.relay().url().to_owned();
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        anna.wait_for_script(
            "the service worker to be active",
            "return navigator.serviceWorker.getRegistration().then(r => !!(r && r.active));",
        )
        .await?;
        anna.cdp("Browser.grantPermissions", json!({ "permissions": ["notifications"] })).await?;
        add_party(&anna, "Nordwind GmbH").await?;
        open_record(&anna, "Nordwind").await?;
        let party_path = anna.eval("return location.pathname;").await?;
        anna.by_testid("new-task-title").await?.send_keys("Call Nordwind back").await?;
        set_due_in_days(&anna, 2).await?;
        anna.by_testid("add-task").await?.click().await?;

        // The task's reminder is at the relay, due when the task is.
        let session = api_session(&relay, "anna@example.test").await;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_secs() as i64;
        let scheduled = wait_until("the reminder to be at the relay", 30, || async {
            let jobs = notifications(&relay, &session).await;
            Ok((jobs.len() == 1 && jobs[0].0 == "queued").then(|| jobs[0].1))
        })
        .await?;
        assert!(
            (now + 86_400..now + 3 * 86_400).contains(&scheduled),
            "due in two days: {scheduled} (now {now})"
        );

        // Headless Chromium has no push service: the Tasks page says reminders come while open.
        AppShell::open(&anna, "/tasks").await?;
        let push = wait_until("this device's push state", 45, || async {
            let push = anna
                .eval("return document.querySelector('[data-testid=reminders]')?.dataset.push ?? '';")
                .await?;
            Ok(push.as_str().filter(|p| !p.is_empty()).map(str::to_owned))
        })
        .await?;
        assert_eq!(push, "off", "no push service to subscribe with in headless Chromium");
        let said = anna.by_testid("reminders").await?.text().await?;
        assert!(said.contains("while Rapport is open"), "{said}");
        anna.screenshot("reminders-push-off-1280x800").await?;
        anna.emulate(Viewport::Phone).await?;
        anna.screenshot("reminders-push-off-390x844").await?;
        anna.emulate(Viewport::Desktop).await?;
        // The same line on her phone in Russian, at both sizes.
        let phone = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        sign_in_on_another_device(&phone, "anna@example.test").await?;
        phone.cdp("Browser.grantPermissions", json!({ "permissions": ["notifications"] })).await?;
        AppShell::open(&phone, "/tasks").await?;
        wait_until("the phone's push state", 45, || async {
            let push = phone
                .eval("return document.querySelector('[data-testid=reminders]')?.dataset.push ?? '';")
                .await?;
            Ok(push.as_str().filter(|p| !p.is_empty()).map(|_| ()))
        })
        .await?;
        let said = phone.by_testid("reminders").await?.text().await?;
        assert!(said.contains("Rapport"), "{said}");
        phone.screenshot("reminders-push-off-390x844-ru").await?;
        phone.emulate(Viewport::Desktop).await?;
        phone.screenshot("reminders-push-off-1280x800-ru").await?;

        // A push as the relay sends it (the record's words only): shown with the job's tag and a word
        // in this device's language, opening the task's record.
        anna.cdp("ServiceWorker.enable", json!({})).await?;
        let push = json!({
            "origin": relay.trim_end_matches('/'),
            "registrationId": "0",
            "data": json!({ "title": "Call Nordwind back", "body": "",
                            "open": party_path, "tag": "0123456789abcdef0123456789abcdef" })
                .to_string(),
        });
        // Delivered again until shown: a worker just installed may not take its first push (the tag
        // makes repeats one notification).
        let looks = std::sync::atomic::AtomicUsize::new(0);
        let notification = wait_until("the pushed reminder to show", 45, || async {
            if looks.fetch_add(1, std::sync::atomic::Ordering::Relaxed).is_multiple_of(10) {
                anna.cdp("ServiceWorker.deliverPushMessage", push.clone()).await?;
            }
            let found = anna
                .eval("return navigator.serviceWorker.getRegistration().then(r => r.getNotifications())
                       .then(ns => ns.map(n => [n.title, n.body, n.tag, n.data && n.data.open]));")
                .await?;
            Ok(found.as_array().filter(|list| !list.is_empty()).cloned())
        })
        .await?;
        assert_eq!(
            notification,
            vec![json!(["Call Nordwind back", "Reminder · Rapport", "0123456789abcdef0123456789abcdef", party_path])]
        );

        // Done: the reminder is cancelled at the relay.
        let clicked = anna
            .eval("const row = [...document.querySelectorAll('[data-testid=task-row]')].find(r => r.dataset.title === 'Call Nordwind back');
                   row?.querySelector('[data-testid=task-done]')?.click(); return !!row;")
            .await?;
        assert_eq!(clicked, json!(true));
        wait_until("the reminder to be cancelled at the relay", 45, || async {
            let jobs = notifications(&relay, &session).await;
            Ok((jobs.len() == 1 && jobs[0].0 == "cancelled").then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
}
