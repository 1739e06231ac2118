//! Email from a record, end to end: the real relay sends through a real SMTP server on loopback.
//! Anna writes to a customer with merge fields while her browser is offline — an unknown field is
//! named before anything goes, the preview shows the real record — and the email waits on her device;
//! back online it goes out exactly once, and its state shows on her timeline and on her colleague's
//! phone.

use std::sync::Arc;

use rapport_e2e::flows::{
    add_party, api_session, click_centred, click_when_enabled, join_by_invitation,
    nothing_unsynced, open_record, set_field, set_network, sign_up_and_upload, sync_state,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::smtp::SmtpServer;
use rapport_e2e::{Browser, E2eResult, Viewport, run_with_relay_args, wait_until};

/// Brings the email's line on the timeline to the middle of the screen, for a screenshot.
async fn show_email(browser: &Browser) -> E2eResult {
    browser
        .eval("document.querySelector('[data-testid=timeline-item][data-kind=email]').scrollIntoView({ block: 'center' }); return 1;")
        .await?;
    Ok(())
}

async fn mail_state(browser: &Browser, state: &str) -> E2eResult {
    wait_until(&format!("the email shown as {state}"), 30, || async {
        let found = browser
            .eval("return document.querySelector('[data-testid=timeline-item][data-kind=email] [data-testid=mail-state]')?.dataset.state ?? '';")
            .await?;
        Ok((found == state).then_some(()))
    })
    .await
}

/// Anna, signed in from another client of the relay's API, records that `address` opted out.
async fn record_opt_out(relay: &str, address: &str, source: &str) {
    let (client, cookie, workspace) = api_session(relay, "anna@example.test").await;
    let recorded = client
        .post(format!("{relay}/api/workspaces/{workspace}/consent"))
        .header("cookie", cookie)
        .header("content-type", "application/json")
        .body(format!(r#"{{"address":"{address}","opted_in":false,"source":"{source}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(recorded.status(), 201);
}

#[tokio::test]
async fn an_email_written_offline_goes_out_once_and_its_state_shows_on_every_device() {
    let mailbox = tempfile::tempdir().unwrap();
    let smtp = Arc::new(SmtpServer::start(&mailbox.path().join("mail"), 30));
    let url = smtp.url();
    let args = [
        "--smtp-url",
        url.as_str(),
        "--mail-from",
        "Acme CRM <crm@acme.example>",
        "--bounce-token",
        BOUNCE_TOKEN,
    ];
    let name = "an_email_written_offline_goes_out_once_and_its_state_shows_on_every_device";
    run_with_relay_args(name, &args, move |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        let boris = harness.browser(Viewport::Phone).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        add_party(&anna, "Ann Lee").await?;
        open_record(&anna, "Ann Lee").await?;
        set_field(&anna, "party-email", "ann@client.example").await?;
        click_centred(&anna, "save-party").await?;
        anna.by_testid("email-link").await?;
        nothing_unsynced(&anna).await?;

        // Boris joins on his phone.
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;

        // Anna loses the network and writes from the record.
        AppShell::open(&anna, "/parties").await?;
        open_record(&anna, "Ann Lee").await?;
        set_network(&anna, false).await?;
        sync_state(&anna, "offline", 30).await?;
        click_centred(&anna, "email-link").await?;
        anna.by_testid("page-compose").await?;
        set_field(&anna, "compose-subject", "Hello {{first_name}}").await?;
        set_field(&anna, "compose-body", "Dear {{frist_name}},\nthank you for today.").await?;
        anna.text_when("preview-problem", |t| t.contains("frist_name")).await?;
        assert!(
            !anna.by_testid("compose-send").await?.is_enabled().await?,
            "nothing goes with an unknown field"
        );
        set_field(&anna, "compose-body", "Dear {{first_name}},\nthank you for today.").await?;
        anna.text_becomes("preview-subject", "Hello Ann").await?;
        anna.text_when("preview-body", |t| t.starts_with("Dear Ann,")).await?;
        // Kept as the team's template, merge fields and all.
        click_centred(&anna, "new-template").await?;
        anna.by_testid("template-name").await?.send_keys("Thank you").await?;
        anna.by_testid("save-template").await?.click().await?;
        anna.text_becomes("saved-template", "Thank you").await?;
        anna.screenshot("compose-offline").await?;
        click_when_enabled(&anna, "compose-send").await?;

        // Back on the record: the email is on the timeline, waiting on this device.
        anna.by_testid("party-form").await?;
        mail_state(&anna, "waiting").await?;
        show_email(&anna).await?;
        anna.screenshot("email-waiting-offline").await?;
        assert!(smtp.messages().is_empty(), "nothing left the device while offline");

        // The network returns: it goes out, once, and every device shows it sent.
        set_network(&anna, true).await?;
        mail_state(&anna, "sent").await?;
        let messages = smtp.to("ann@client.example");
        assert_eq!(messages.len(), 1, "{messages:?}");
        let message = &messages[0];
        assert!(message.lines().any(|l| l == "Subject: Hello Ann"), "{message}");
        assert!(
            message
                .lines()
                .any(|l| l.starts_with("Reply-To:") && l.contains("<anna@example.test>")),
            "replies go to the member who wrote it:\n{message}"
        );
        assert!(message.contains("Dear Ann,"), "{message}");
        show_email(&anna).await?;
        anna.screenshot("email-sent-on-the-timeline").await?;
        // The timeline narrowed to emails shows it alone; to notes, nothing.
        let kinds = "return [...document.querySelectorAll('[data-testid=timeline-item]')].map(e => e.dataset.kind).join(',');";
        anna.eval("document.querySelector('[data-testid=timeline-filter][data-show=emails]').click(); return 1;").await?;
        wait_until("only the email on the timeline", 10, || async {
            Ok((anna.eval(kinds).await? == "email").then_some(()))
        })
        .await?;
        anna.eval("document.querySelector('[data-testid=timeline-filter][data-show=notes]').click(); return 1;").await?;
        wait_until("nothing but notes on the timeline", 10, || async {
            Ok((anna.eval(kinds).await? == "").then_some(()))
        })
        .await?;
        anna.eval("document.querySelector('[data-testid=timeline-filter][data-show=all]').click(); return 1;").await?;

        AppShell::open(&boris, "/parties").await?;
        open_record(&boris, "Ann Lee").await?;
        mail_state(&boris, "sent").await?;
        show_email(&boris).await?;
        boris.screenshot("email-sent-seen-by-a-colleague").await?;
        assert_eq!(smtp.messages().len(), 1, "sent once in all");

        // Ann asks to get no more email; Anna records it from another client of the relay's API.
        record_opt_out(harness.relay().url(), "Ann@Client.example", "asked by phone").await;
        // Her device learns of it from the relay; the composer says so and sends nothing.
        AppShell::open(&anna, "/parties").await?;
        open_record(&anna, "Ann Lee").await?;
        click_centred(&anna, "email-link").await?;
        anna.text_when("compose-opted-out", |t| {
            t.contains("ann@client.example") && t.contains("asked by phone")
        })
        .await?;
        set_field(&anna, "compose-subject", "One more thing").await?;
        assert!(
            !anna.by_testid("compose-send").await?.is_enabled().await?,
            "nothing is queued to an opted-out address"
        );
        anna.screenshot("compose-to-an-address-that-opted-out").await?;

        // Settings lists who unsubscribed and how; Ann agrees again at a fair, recorded there.
        AppShell::open(&anna, "/settings").await?;
        anna.text_when("opted-out", |t| t.contains("ann@client.example") && t.contains("asked by phone"))
            .await?;
        anna.text_when("mail-how", |t| t.contains("crm@acme.example")).await?;
        set_field(&anna, "consent-address", "ann@client.example").await?;
        set_field(&anna, "consent-source", "signed up again at the fair").await?;
        click_centred(&anna, "record-opt-in").await?;
        anna.by_testid("consent-recorded").await?;
        anna.by_testid("nobody-opted-out").await?;
        anna.eval("document.querySelector('[data-testid=mail-panel]').scrollIntoView({ block: 'center' }); return 1;").await?;
        anna.screenshot("settings-email-panel").await?;
        AppShell::open(&anna, "/parties").await?;
        open_record(&anna, "Ann Lee").await?;
        click_centred(&anna, "email-link").await?;
        // The template writes the form, filled in from this record in the preview.
        click_centred(&anna, "saved-template").await?;
        anna.text_becomes("preview-subject", "Hello Ann").await?;
        let subject = anna.by_testid("compose-subject").await?.prop("value").await?;
        assert_eq!(subject.as_deref(), Some("Hello {{first_name}}"));
        anna.text_when("preview-body", |t| t.starts_with("Dear Ann,")).await?;
        set_field(&anna, "compose-subject", "Welcome back").await?;
        wait_until("sending allowed again", 10, || async {
            Ok(anna.by_testid("compose-send").await?.is_enabled().await?.then_some(()))
        })
        .await?;
        assert!(!anna.has_testid("compose-opted-out").await?);

        // A mail the server took comes back undeliverable: the mail system hands the relay the
        // notification, and both devices show the email bounced, with the server's words.
        add_party(&anna, "Bob Stone").await?;
        open_record(&anna, "Bob Stone").await?;
        set_field(&anna, "party-email", "bounce-bob@client.example").await?;
        click_centred(&anna, "save-party").await?;
        click_centred(&anna, "email-link").await?;
        anna.by_testid("page-compose").await?;
        set_field(&anna, "compose-subject", "Our offer").await?;
        set_field(&anna, "compose-body", "Dear {{first_name}}, here it is.").await?;
        click_when_enabled(&anna, "compose-send").await?;
        anna.by_testid("party-form").await?;
        mail_state(&anna, "sent").await?;
        let notifications = smtp.notifications();
        assert_eq!(notifications.len(), 1, "one mail came back");
        let handed = reqwest::Client::new()
            .post(format!("{}/api/mail/bounces", harness.relay().url()))
            .header("authorization", format!("Bearer {BOUNCE_TOKEN}"))
            .body(notifications[0].clone())
            .send()
            .await
            .unwrap();
        assert_eq!(handed.status(), 200);
        mail_state(&anna, "bounced").await?;
        anna.text_when("mail-state", |t| t.contains("5.1.1") && t.contains("User unknown")).await?;
        show_email(&anna).await?;
        anna.screenshot("email-bounced").await?;
        AppShell::open(&boris, "/parties").await?;
        open_record(&boris, "Bob Stone").await?;
        mail_state(&boris, "bounced").await?;
        show_email(&boris).await?;
        boris.screenshot("email-bounced-seen-by-a-colleague").await?;
        Ok(())
    })
    .await;
}

/// What the relay's mail system presents when it hands over a bounce (`--bounce-token`).
const BOUNCE_TOKEN: &str = "e2e-bounce-token-0123456789";
