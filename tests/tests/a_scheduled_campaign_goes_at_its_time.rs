//! A scheduled campaign, end to end: Anna (at her desk, in English) schedules "Autumn fair" for
//! three people ten minutes ahead, at a pace, and the relay holds each copy. Boris (on his phone, in
//! Russian) sees it scheduled and takes it back to a draft: every copy Anna's device handed over is
//! cancelled at the relay, and nobody gets one. Anna schedules it again, seconds ahead, and closes
//! her browser, as Boris does his: the relay sends each copy once, at its time, with no device open.

use std::sync::Arc;

use rapport_e2e::flows::{
    anna_and_boris, api_session, attribute_becomes, campaign_for_list, change_to,
    click_centred as click, new_list_with, person_with_email, photograph,
};
use rapport_e2e::smtp::SmtpServer;
use rapport_e2e::{Browser, E2eResult, run_with_relay_args, wait_until};

const PEOPLE: [(&str, &str); 3] = [
    ("Ada Lovelace", "ada@example.com"),
    ("Blaise Pascal", "blaise@example.com"),
    ("Carl Gauss", "carl@example.com"),
];

/// Sets the campaign's time to `seconds` from now, as the browser's clock and time zone write it, and
/// waits until the page says it (the draft saved); returns that time in Unix seconds.
async fn send_in(browser: &Browser, seconds: u64) -> E2eResult<i64> {
    let before = browser.by_testid("campaign-when-hint").await?.text().await?;
    let found = browser
        .eval(&format!(
            "const d = new Date(Date.now() + {seconds} * 1000); d.setMilliseconds(0);
             const two = n => String(n).padStart(2, '0');
             const local = `${{d.getFullYear()}}-${{two(d.getMonth() + 1)}}-${{two(d.getDate())}}T${{two(d.getHours())}}:${{two(d.getMinutes())}}:${{two(d.getSeconds())}}`;
             return `${{d.getTime() / 1000}}|${{local}}`;"
        ))
        .await?;
    let found = found.as_str().unwrap_or_default().to_owned();
    let (at, local) = found.split_once('|').expect("a time and its local form");
    change_to(browser, "campaign-send-at", local).await?;
    browser
        .text_when("campaign-when-hint", |t| t != before && t.contains("whether or not"))
        .await?;
    Ok(at.parse().expect("Unix seconds"))
}

/// The relay's ledger entries of campaign copies, as `(state, due_at)`.
async fn copies_at_relay(relay: &str, cookie: &str, workspace: &str) -> Vec<(String, Option<i64>)> {
    let client = reqwest::Client::new();
    let changes: serde_json::Value = client
        .get(format!("{relay}/api/workspaces/{workspace}/outbox?after=0"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut copies: Vec<(String, Option<i64>)> = changes["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "bulk")
        .map(|entry| (entry["state"].as_str().unwrap().to_owned(), entry["due_at"].as_i64()))
        .collect();
    copies.sort();
    copies
}

#[tokio::test]
async fn a_scheduled_campaign_can_be_taken_back_and_otherwise_goes_at_its_time_with_every_device_closed()
 {
    let mailbox = tempfile::tempdir().unwrap();
    let smtp = Arc::new(SmtpServer::start(&mailbox.path().join("mail"), 30));
    let url = smtp.url();
    let args = ["--smtp-url", url.as_str(), "--mail-from", "Acme CRM <crm@acme.example>"];
    let name = "a_scheduled_campaign_goes_at_its_time";
    run_with_relay_args(name, &args, move |harness| async move {
        let relay = harness.relay().url().to_owned();
        let (anna, boris) = anna_and_boris(&harness).await?;
        for (name, email) in PEOPLE {
            person_with_email(&anna, name, Some(email)).await?;
        }
        let list = new_list_with(&anna, "Fair visitors", &["Ada", "Blaise", "Carl"]).await?;
        attribute_becomes(&anna, "segment-count", "data-count", "3").await?;
        let body = "Dear {{first_name}},\n\nthe autumn fair opens soon.";
        let campaign =
            campaign_for_list(&anna, "Autumn fair", ("Autumn fair", body), &list).await?;
        attribute_becomes(&anna, "campaign-count", "data-count", "3").await?;

        // Ten minutes ahead, at most 100 an hour: the page says when, and sending schedules it.
        let later = send_in(&anna, 600).await?;
        anna.text_when("campaign-when-hint", |t| t.contains("whether or not any device")).await?;
        change_to(&anna, "campaign-pace", "100").await?;
        anna.by_testid("campaign-last-copies").await?;
        anna.text_when("campaign-send", |t| t.starts_with("Schedule")).await?;
        photograph(&anna, "campaign-when-1280x800-en").await?;
        click(&anna, "campaign-send").await?;
        anna.text_when("campaign-send", |t| t.contains("Schedule 3 for")).await?;
        click(&anna, "campaign-send").await?;
        anna.by_testid("campaign-scheduled").await?;
        anna.text_when("campaign-paced", |t| t.contains("100")).await?;

        // The relay holds the three copies for that time (100 an hour is 17 a batch: one batch).
        let (_, cookie, workspace) = api_session(&relay, "boris@example.test").await;
        wait_until("three copies held at the relay", 30, || async {
            let copies = copies_at_relay(&relay, &cookie, &workspace).await;
            Ok((copies == vec![("queued".to_owned(), Some(later)); 3]).then_some(()))
        })
        .await?;

        // Boris sees it scheduled and takes it back: a draft again on both devices, every copy
        // cancelled at the relay.
        boris.open(&campaign).await?;
        boris.text_when("campaign-scheduled", |t| t.contains("Запланирована")).await?;
        photograph(&boris, "campaign-scheduled-390x844-ru").await?;
        click(&boris, "campaign-take-back").await?;
        click(&boris, "campaign-take-back").await?;
        boris.by_testid("campaign-when").await?;
        anna.by_testid("campaign-when").await?;
        wait_until("every copy cancelled at the relay", 30, || async {
            let copies = copies_at_relay(&relay, &cookie, &workspace).await;
            Ok((copies == vec![("cancelled".to_owned(), Some(later)); 3]).then_some(()))
        })
        .await?;
        boris
            .eval(
                "document.querySelector('[data-testid=campaign-when]').scrollIntoView(); return 1;",
            )
            .await?;
        photograph(&boris, "campaign-taken-back-390x844-ru").await?;

        // Scheduled again, a minute and a half ahead and all at once; then every device is closed.
        change_to(&anna, "campaign-pace", "0").await?;
        anna.wait_for_script(
            "the pace saved",
            "return !document.querySelector('[data-testid=campaign-last-copies]');",
        )
        .await?;
        let soon = send_in(&anna, 90).await?;
        click(&anna, "campaign-send").await?;
        anna.text_when("campaign-send", |t| t.contains("Schedule 3 for")).await?;
        click(&anna, "campaign-send").await?;
        anna.by_testid("campaign-scheduled").await?;
        // A round of its own: three new copies held for the new time (or sent already, should this
        // machine be slow: the time is what counts), the first round's three still cancelled.
        wait_until("the copies held for the new time", 30, || async {
            let copies = copies_at_relay(&relay, &cookie, &workspace).await;
            let held =
                copies.iter().filter(|(state, at)| state != "cancelled" && *at == Some(soon));
            let cancelled =
                copies.iter().filter(|(state, at)| state == "cancelled" && *at == Some(later));
            Ok((copies.len() == 6 && held.count() == 3 && cancelled.count() == 3).then_some(()))
        })
        .await?;
        for browser in [&anna, &boris] {
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
            browser.eval("location.href = 'about:blank'; return 1;").await?;
        }
        wait_until("each copy sent", 150, || async {
            let sent = PEOPLE.iter().all(|(_, address)| smtp.to(address).len() == 1);
            Ok(sent.then_some(()))
        })
        .await?;
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
                as i64;
        assert!(now >= soon, "sent at {now}, before its time {soon}");
        for (_, address) in PEOPLE {
            assert_eq!(smtp.to(address).len(), 1, "one copy to {address}");
        }

        // Opened again, Boris's phone shows it sent to the three.
        boris.open(&campaign).await?;
        attribute_becomes(&boris, "campaign-recipients", "data-count", "3").await?;
        assert!(!boris.has_testid("campaign-scheduled").await?, "its time has passed");
        Ok(())
    })
    .await;
}
