//! A contract reminder with every device closed: Anna writes a contract whose reminder moment has
//! come (its notice date is near and she wants to hear 75 days ahead), and closes Rapport. Her browser
//! registered the reminder at the relay; her phone's push service — a real receiver on loopback that
//! checks the VAPID signature and decrypts as a browser would — is down for a moment (it answers 503
//! twice), so the relay, alone, tries again and delivers it once the app is closed: one push, naming
//! the contract and its notice date, opening the contract.

#[path = "../../sync-server/tests/common/push.rs"]
#[allow(dead_code)]
mod push;

use push::PushReceiver;
use rapport_e2e::flows::{
    add_party, api_session, change_to, click_centred as click, days_from_today, nothing_unsynced,
    notifications, open_record, set_field, sign_up_and_upload,
};
use rapport_e2e::{Viewport, run_with_relay_args, wait_until};

#[tokio::test]
async fn a_contract_reminder_reaches_the_push_service_once_with_every_device_closed() {
    let name = "a_contract_reminder_reaches_a_closed_app";
    let args = ["--push-allow-loopback", "--push-retry-secs", "2"];
    run_with_relay_args(name, &args, |harness| async move {
        let inbox = tempfile::tempdir().expect("a folder for the pushes");
        let receiver = PushReceiver::start(inbox.path(), 1);
        let relay = harness.relay().url().to_owned();
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        // Her phone, subscribed to a push service that is down for its first two pushes.
        let phone = api_session(&relay, "anna@example.test").await;
        let subscribed = phone
            .0
            .put(format!("{relay}/api/push/subscription"))
            .header("cookie", &phone.1)
            .json(&receiver.subscription(0, "flaky"))
            .send()
            .await
            .expect("the subscription");
        assert!(subscribed.status().is_success(), "{}", subscribed.status());

        // Cleaning since a month ago, first term to 40 days from now, renewed for a year unless
        // notice is given 30 days ahead (so by 10 days from now); reminded 75 days ahead: that moment
        // has passed, so it is due at once.
        add_party(&anna, "Nordwind GmbH").await?;
        open_record(&anna, "Nordwind").await?;
        click(&anna, "new-contract-open").await?;
        set_field(&anna, "new-contract-title", "Cleaning, Main St").await?;
        change_to(&anna, "new-contract-kind", "supplier").await?;
        click(&anna, "new-contract-create").await?;
        anna.by_testid("contract-form").await?;
        let contract = anna.path().await?;
        let [started, ends, notice_by] = days_from_today(&anna, [-30, 40, 10]).await?;
        change_to(&anna, "contract-starts", &started).await?;
        change_to(&anna, "contract-ends", &ends).await?;
        set_field(&anna, "contract-notice", "30").await?;
        change_to(&anna, "contract-notice-unit", "days").await?;
        set_field(&anna, "contract-renewal", "12").await?;
        set_field(&anna, "contract-remind", "75").await?;
        click(&anna, "save-contract").await?;
        anna.text_when("contract-outlook", |t| t.starts_with("Notice by")).await?;

        // Registered at the relay; then every device closed.
        wait_until("the reminder at the relay", 30, || async {
            Ok((notifications(&relay, &phone).await.len() == 1).then_some(()))
        })
        .await?;
        nothing_unsynced(&anna).await?;
        anna.eval("location.href = 'about:blank'; return 1;").await?;
        let closed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        let closed_ms = closed.as_millis() as i64;

        // The relay alone tries again until the push service takes it: once.
        let received = wait_until("the reminder pushed", 60, || async {
            let received = receiver.received();
            Ok((!received.is_empty()).then_some(received))
        })
        .await?;
        let push = &received[0];
        assert!(push["received_ms"].as_i64().unwrap_or(0) >= closed_ms, "after closing: {push}");
        assert_eq!(push["endpoint_kind"], "flaky", "{push}");
        assert!(
            push["payload"]["title"].as_str().unwrap_or_default().contains("Cleaning, Main St"),
            "{push}"
        );
        assert_eq!(push["payload"]["body"], format!("notice:{notice_by}"), "{push}");
        assert_eq!(push["payload"]["open"], contract.as_str(), "{push}");
        wait_until("the reminder recorded as sent", 30, || async {
            let found = notifications(&relay, &phone).await;
            Ok((found.len() == 1 && found[0].0 == "sent").then_some(()))
        })
        .await?;
        assert_eq!(receiver.received().len(), 1, "once");
        assert_eq!(receiver.rejected(), "");
        Ok(())
    })
    .await;
}
