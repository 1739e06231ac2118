//! A breach alert with every device closed: Anna's workspace promises a first answer within a minute;
//! she opens a ticket and closes Rapport. Her browser registered the alert at the relay (a job named by
//! the ticket and its clock, due at the deadline its relay-stamped opening gives); at the deadline the
//! relay pushes it through Web Push to her phone's push service — a real receiver on loopback that
//! checks the VAPID signature and decrypts the message as a browser would — once, with the ticket's
//! subject and a link to it, which her devices' service workers show in their own language.

#[path = "../../sync-server/tests/common/push.rs"]
#[allow(dead_code)]
mod push;

use push::PushReceiver;
use rapport_e2e::flows::{
    add_party, allow_notifications, api_session, attribute_becomes, click_centred,
    nothing_unsynced, open_record, policy_answering_within_a_minute, set_field,
    sign_in_on_another_device, sign_up_and_upload,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Viewport, run_with_relay_args, wait_until};
use serde_json::{Value, json};

/// The relay's breach alerts for the workspace: `(state, due_at)` of its notify jobs.
async fn alerts(relay: &str, session: &(reqwest::Client, String, String)) -> Vec<(String, i64)> {
    let (client, cookie, workspace) = session;
    let url = format!("{relay}/api/workspaces/{workspace}/outbox?after=0");
    let Ok(response) = client.get(url).header("cookie", cookie).send().await else {
        return Vec::new();
    };
    let changes: Value = response.json().await.unwrap_or_default();
    changes["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["kind"] == "notify")
        .map(|entry| {
            (
                entry["state"].as_str().unwrap_or_default().to_owned(),
                entry["due_at"].as_i64().unwrap_or(0),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_breach_alert_reaches_the_push_service_once_with_every_device_closed() {
    let name = "a_breach_alert_reaches_a_closed_app";
    run_with_relay_args(name, &["--push-allow-loopback"], |harness| async move {
        let inbox = tempfile::tempdir().expect("a folder for the pushes");
        let receiver = PushReceiver::start(inbox.path(), 1);
        let relay = harness.relay().url().to_owned();
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        add_party(&anna, "Ann Lee").await?;
        // Her phone, subscribed to its push service (headless Chromium has none of its own).
        let phone = api_session(&relay, "anna@example.test").await;
        let subscribed = phone
            .0
            .put(format!("{relay}/api/push/subscription"))
            .header("cookie", &phone.1)
            .json(&receiver.subscriptions[0])
            .send()
            .await
            .expect("the subscription");
        assert!(subscribed.status().is_success(), "{}", subscribed.status());

        // Every ticket answered within a minute.
        policy_answering_within_a_minute(&anna).await?;

        // A ticket, its opening stamped by the relay; its alert registered; then Rapport closed.
        AppShell::open(&anna, "/parties").await?;
        open_record(&anna, "Ann Lee").await?;
        click_centred(&anna, "new-ticket-link").await?;
        anna.text_when("new-ticket-for", |t| t.contains("Ann Lee")).await?;
        set_field(&anna, "new-ticket-subject", "Printer jams").await?;
        anna.by_testid("save-ticket").await?.click().await?;
        anna.by_testid("page-ticket").await?;
        let ticket = anna.path().await?;
        attribute_becomes(&anna, "ticket-sla", "data-unstamped", "0").await?;
        let due = wait_until("the breach alert at the relay", 45, || async {
            // The first answer's, in a minute; the resolution's, days later in working hours.
            let alerts = alerts(&relay, &phone).await;
            let first = alerts.iter().map(|(_, due)| *due).min();
            Ok((alerts.len() == 2 && alerts.iter().all(|(state, _)| state == "queued"))
                .then_some(first)
                .flatten())
        })
        .await?;
        nothing_unsynced(&anna).await?;
        anna.eval("location.href = 'about:blank'; return 1;").await?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        if (now.as_millis() as i64) < due * 1000 {
            assert!(receiver.received().is_empty(), "nothing before the deadline");
        }

        // At the deadline, the relay alone: one push, signed and encrypted, naming the ticket.
        let received = wait_until("the breach alert pushed", 120, || async {
            let received = receiver.received();
            Ok((!received.is_empty()).then_some(received))
        })
        .await?;
        let push = &received[0];
        assert!(
            push["received_ms"].as_i64().unwrap_or(0) >= due * 1000,
            "not before the deadline: {push}"
        );
        assert!(
            push["payload"]["title"].as_str().unwrap_or_default().contains("Printer jams"),
            "{push}"
        );
        assert_eq!(
            push["payload"]["body"], "first_response",
            "the clock, worded by the device: {push}"
        );
        assert_eq!(push["payload"]["open"], ticket.as_str(), "{push}");
        assert_eq!(push["urgency"], "high");
        wait_until("the alert recorded as sent", 30, || async {
            let mut alerts = alerts(&relay, &phone).await;
            alerts.sort_by_key(|(_, due)| *due);
            Ok((alerts.len() == 2 && alerts[0].0 == "sent" && alerts[1].0 == "queued")
                .then_some(()))
        })
        .await?;
        assert_eq!(receiver.received().len(), 1, "once per deadline");
        assert_eq!(receiver.rejected(), "");

        // Shown by her devices' service workers in their own language, opening the ticket.
        let payload = push["payload"].clone();
        AppShell::open(&anna, &ticket).await?;
        let russian = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        sign_in_on_another_device(&russian, "anna@example.test").await?;
        for (browser, words) in
            [(&anna, "First response is due now"), (&russian, "Срок первого ответа наступил")]
        {
            allow_notifications(browser).await?;
            browser.cdp("ServiceWorker.enable", json!({})).await?;
            // Delivered again until shown: a worker just installed may not take its first push (the
            // tag makes repeats one notification).
            let looks = std::sync::atomic::AtomicUsize::new(0);
            let shown = wait_until("the alert shown", 45, || async {
                let look = looks.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if look.is_multiple_of(10) {
                    browser
                        .cdp(
                            "ServiceWorker.deliverPushMessage",
                            json!({ "origin": relay.trim_end_matches('/'), "registrationId": "0",
                                    "data": payload.to_string() }),
                        )
                        .await?;
                }
                let found = browser
                    .eval("return navigator.serviceWorker.getRegistration().then(r => r.getNotifications())
                           .then(ns => ns.map(n => [n.title, n.body, n.data && n.data.open]));")
                    .await?;
                Ok(found.as_array().and_then(|list| list.first()).cloned())
            })
            .await?;
            assert_eq!(shown, json!([payload["title"], words, ticket]));
        }
        // Her devices open again and look at the ticket: the alert that went is not pushed again.
        nothing_unsynced(&anna).await?;
        assert_eq!(receiver.received().len(), 1, "once per deadline: {:?}", receiver.received());
        Ok(())
    })
    .await;
}
