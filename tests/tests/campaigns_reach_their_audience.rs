//! A campaign, end to end: the real relay sends through a real SMTP server on loopback. Anna (at her
//! desk, in English) writes "Spring fair" for a list of four — one without an address, one who
//! unsubscribed through the relay — sees who it reaches and a copy as the first of them reads it,
//! sends herself a test, and sends it: each of the two it reaches gets one copy, filled in from their
//! record, with one-click unsubscribe headers; nobody else does. Boris (on his phone, in Russian)
//! sees it sent and where each copy stands, and the campaign on a recipient's timeline. Clara then
//! unsubscribes with her mail program's one-click POST while every device is closed, and Boris's
//! phone, opened again, shows her copy as unsubscribed since and her record says when and how.
//! The campaign's text is formatted (Markdown) and tracked: Edith opens her copy and follows its link
//! through the relay — to the page with the campaign's UTM tags — and Boris's open phone shows her
//! copy opened, then clicked, with the link, as it happens.

use std::sync::Arc;

use rapport_e2e::flows::{
    anna_and_boris, api_session, attribute_becomes, change_to, click_centred as click,
    new_list_with, open_record, person_with_email, photograph, set_field,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::smtp::SmtpServer;
use rapport_e2e::{Browser, E2eResult, run_with_relay_args, wait_until};

/// How many copies stand in `state` on the campaign's page.
async fn tally_becomes(browser: &Browser, state: &str, count: usize) -> E2eResult {
    wait_until(&format!("{count} copies {state}"), 45, || async {
        let found = browser
            .eval(&format!(
                "return document.querySelector('[data-testid=campaign-tally-item][data-state={state}]')?.dataset.count ?? '0';"
            ))
            .await?;
        Ok((found == count.to_string().as_str()).then_some(()))
    })
    .await
}

#[tokio::test]
async fn a_campaign_reaches_its_audience_once_each_and_its_deliveries_show_on_every_device() {
    let mailbox = tempfile::tempdir().unwrap();
    let smtp = Arc::new(SmtpServer::start(&mailbox.path().join("mail"), 30));
    let url = smtp.url();
    let args = ["--smtp-url", url.as_str(), "--mail-from", "Acme CRM <crm@acme.example>"];
    let name = "a_campaign_reaches_its_audience_once_each";
    run_with_relay_args(name, &args, move |harness| async move {
        let relay = harness.relay().url().to_owned();
        let (anna, boris) = anna_and_boris(&harness).await?;
        for (name, email) in [
            ("Clara Schumann", Some("clara@example.com")),
            ("Edith Piaf", Some("edith@example.com")),
            ("Fyodor Dostoevsky", None),
            ("Grigory Perelman", Some("grigory@example.com")),
        ] {
            person_with_email(&anna, name, email).await?;
        }
        // Grigory unsubscribed from an earlier mail (the relay's link, while every device slept).
        let (client, cookie, workspace) = api_session(&relay, "anna@example.test").await;
        let recorded = client
            .post(format!("{relay}/api/workspaces/{workspace}/consent"))
            .header("cookie", &cookie)
            .json(&serde_json::json!({ "address": "grigory@example.com", "opted_in": false, "source": "one-click unsubscribe" }))
            .send()
            .await
            .unwrap();
        assert_eq!(recorded.status(), 201);

        // The four on a list.
        let list = new_list_with(&anna, "Fair visitors", &["Clara", "Edith", "Fyodor", "Grigory"])
            .await?;
        let list = list.rsplit('/').next().unwrap_or_default().to_owned();
        attribute_becomes(&anna, "segment-count", "data-count", "4").await?;

        // The campaign, written: nobody yet, and it says why it cannot go.
        AppShell::open(&anna, "/marketing").await?;
        set_field(&anna, "new-campaign-name", "Spring fair").await?;
        click(&anna, "new-campaign-create").await?;
        anna.by_testid("campaign-draft").await?;
        let campaign = anna.path().await?;
        assert!(campaign.starts_with("/marketing/campaigns/"), "{campaign}");
        anna.text_when("campaign-problem", |t| t.contains("subject")).await?;
        change_to(&anna, "campaign-subject", "Hello {{first_name|there}}").await?;
        change_to(
            &anna,
            "campaign-body",
            "Dear {{name}},\n\nsee you at the **spring fair**: [the programme](https://fair.example/programme).",
        )
        .await?;
        anna.text_when("campaign-problem", |t| t.contains("segment or list")).await?;
        change_to(&anna, "campaign-include-add", &list).await?;
        anna.by_testid("campaign-include-chip").await?;
        // Only those who agreed, at first: nobody here was asked.
        attribute_becomes(&anna, "campaign-count", "data-count", "0").await?;
        click(&anna, "campaign-consented-only").await?;
        // Clara and Edith; Fyodor has no address, Grigory unsubscribed.
        attribute_becomes(&anna, "campaign-count", "data-count", "2").await?;
        let skipped = anna.by_testid("campaign-skipped").await?.text().await?;
        assert!(skipped.contains("1 without an email address"), "{skipped}");
        assert!(skipped.contains("1 refused marketing email or unsubscribed"), "{skipped}");
        anna.text_becomes("campaign-preview-subject", "Hello Clara").await?;
        anna.text_when("campaign-preview-text", |t| t.starts_with("Dear Clara Schumann,")).await?;
        photograph(&anna, "campaign-1280x800-en").await?;

        // A test to herself first: marked, and no unsubscribe link that would opt her out.
        click(&anna, "campaign-test").await?;
        anna.text_when("campaign-notice", |t| t.contains("anna@example.test")).await?;
        let test = wait_until("the test in Anna's mailbox", 30, || async {
            Ok(smtp.to("anna@example.test").into_iter().next())
        })
        .await?;
        assert!(test.lines().any(|l| l == "Subject: [Test] Hello Clara"), "{test}");
        assert!(!test.contains("List-Unsubscribe"), "{test}");

        // Sent, after a second look: a copy each, filled in from each record, nobody else.
        click(&anna, "campaign-send").await?;
        anna.text_when("campaign-send", |t| t.contains('2')).await?;
        click(&anna, "campaign-send").await?;
        anna.by_testid("campaign-deliveries").await?;
        attribute_becomes(&anna, "campaign-recipients", "data-count", "2").await?;
        tally_becomes(&anna, "sent", 2).await?;
        for (address, first) in [("clara@example.com", "Clara"), ("edith@example.com", "Edith")] {
            let copies = smtp.to(address);
            assert_eq!(copies.len(), 1, "{address}: {copies:?}");
            let copy = &copies[0];
            assert!(copy.lines().any(|l| l == format!("Subject: Hello {first}")), "{copy}");
            assert!(copy.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{copy}");
            let parsed = mail_parser::MessageParser::default().parse(copy.as_bytes()).unwrap();
            let html = parsed.body_html(0).unwrap();
            assert!(html.contains("<strong>spring fair</strong>"), "formatted: {html}");
            assert!(html.contains(&format!("{relay}/api/o/")), "with the open image: {html}");
            let text = parsed.body_text(0).unwrap();
            assert!(
                text.contains("see you at the spring fair: the programme (http"),
                "and as plain text: {text}"
            );
            assert!(!text.contains("fair.example") && !html.contains("fair.example"), "tracked: {html}");
        }
        assert!(smtp.to("grigory@example.com").is_empty(), "the unsubscribed get nothing");
        photograph(&anna, "campaign-sent-1280x800-en").await?;

        // Boris's phone: the campaign sent, each copy sent, and on Clara's timeline.
        AppShell::open(&boris, "/marketing").await?;
        boris
            .wait_for_script(
                "the campaign listed as sent",
                "return document.querySelector('[data-testid=campaign-row][data-name=\"Spring fair\"]')?.dataset.sent === 'true';",
            )
            .await?;
        photograph(&boris, "marketing-campaigns-390x844-ru").await?;
        boris.open(&campaign).await?;
        tally_becomes(&boris, "sent", 2).await?;
        let text = boris.by_testid("campaign-deliveries").await?.text().await?;
        assert!(text.contains("Отправлено: 2"), "{text}");

        // Edith opens her copy (her mail app loads its image), then follows its link: Boris's open
        // phone shows it opened, then clicked, and which link; her browser lands on the page with
        // the campaign's tags.
        let copy = smtp.to("edith@example.com").remove(0);
        let parsed = mail_parser::MessageParser::default().parse(copy.as_bytes()).unwrap();
        let html = parsed.body_html(0).unwrap().into_owned();
        let after = |from: &str| {
            let at = html.find(from).unwrap_or_else(|| panic!("no {from} in {html}"));
            html[at..].split('"').next().unwrap().to_owned()
        };
        let (image, link) = (after(&format!("{relay}/api/o/")), after(&format!("{relay}/api/t/")));
        let no_redirects =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        assert_eq!(no_redirects.get(&image).send().await.unwrap().status(), 200);
        tally_becomes(&boris, "opened", 1).await?;
        let landed = no_redirects.get(&link).send().await.unwrap();
        assert_eq!(landed.status(), 302);
        assert_eq!(
            landed.headers()["location"],
            "https://fair.example/programme?utm_source=rapport&utm_medium=email&utm_campaign=spring-fair"
        );
        tally_becomes(&boris, "clicked", 1).await?;
        tally_becomes(&boris, "sent", 1).await?;
        let summary = boris.text_when("campaign-engagement-summary", |t| t.contains("перешли")).await?;
        assert_eq!(summary, "Открыли 1 из 2 отправленных (50%) · перешли по ссылке 1 (50%)");
        let engaged = boris.text_when("campaign-engagement", |t| !t.is_empty()).await?;
        assert_eq!(engaged, "· Переходы: fair.example/programme");
        photograph(&boris, "campaign-sent-390x844-ru").await?;
        tally_becomes(&anna, "clicked", 1).await?;
        photograph(&anna, "campaign-clicked-1280x800-en").await?;

        // A segment of campaign activity: who opened any campaign (Edith), who was sent this one
        // (Clara and Edith), who clicked it (Edith), and who did not open it (the other three).
        AppShell::open(&anna, "/marketing").await?;
        set_field(&anna, "new-segment-name", "Engaged").await?;
        click(&anna, "new-segment-create").await?;
        anna.by_testid("rule-everyone").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "4").await?;
        click(&anna, "add-group").await?;
        let condition = |testid: &str, value: &str| {
            format!(
                "const f = document.querySelector('[data-testid=condition] [data-testid={testid}]');
                 f.value = {value:?}; f.dispatchEvent(new Event('change', {{ bubbles: true }})); return 1;"
            )
        };
        anna.eval(&condition("condition-kind", "campaign")).await?;
        attribute_becomes(&anna, "segment-count", "data-count", "1").await?;
        anna.eval(&condition("condition-state", "sent")).await?;
        attribute_becomes(&anna, "segment-count", "data-count", "2").await?;
        let campaign_id = campaign.rsplit('/').next().unwrap_or_default();
        anna.eval(&condition("condition-choice", campaign_id)).await?;
        anna.eval(&condition("condition-state", "clicked")).await?;
        attribute_becomes(&anna, "segment-count", "data-count", "1").await?;
        anna.eval(&condition("condition-state", "opened")).await?;
        anna.eval(&condition("condition-has", "no")).await?;
        attribute_becomes(&anna, "segment-count", "data-count", "3").await?;
        photograph(&anna, "segment-campaign-activity-1280x800-en").await?;
        // Kept as chosen: this campaign, not any.
        let segment = anna.path().await?;
        anna.open(&segment).await?;
        attribute_becomes(&anna, "segment-count", "data-count", "3").await?;
        anna.wait_for_script(
            "the campaign chosen still",
            &format!(
                "return document.querySelector('[data-testid=condition] [data-testid=condition-choice]')?.value === {campaign_id:?};"
            ),
        )
        .await?;
        AppShell::open(&boris, "/parties").await?;
        open_record(&boris, "Clara").await?;
        boris
            .wait_for_script(
                "the campaign on Clara's timeline, sent",
                "return document.querySelector('[data-testid=timeline-item][data-kind=campaign] [data-testid=mail-state]')?.dataset.state === 'sent';",
            )
            .await?;
        // Sending again from Anna's page is no longer offered; the page shows what went.
        anna.open(&campaign).await?;
        anna.by_testid("campaign-deliveries").await?;
        assert!(!anna.has_testid("campaign-send").await?);

        for browser in [&anna, &boris] {
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }

        // Clara unsubscribes with one click — her mail program's POST (RFC 8058) to the link in her
        // copy — while every device is closed. Boris's phone, opened again, shows her copy as sent
        // and unsubscribed since, and her record says when and how.
        let copy = smtp.to("clara@example.com").remove(0);
        let link = copy
            .lines()
            .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
            .and_then(|l| l.strip_suffix('>'))
            .unwrap_or_else(|| panic!("no List-Unsubscribe link in\n{copy}"))
            .to_owned();
        for browser in [&anna, &boris] {
            browser.eval("location.href = 'about:blank'; return 1;").await?;
        }
        let click_through = reqwest::Client::new()
            .post(&link)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(click_through.status(), 200);
        boris.open(&campaign).await?;
        tally_becomes(&boris, "unsubscribed", 1).await?;
        tally_becomes(&boris, "clicked", 1).await?;
        AppShell::open(&boris, "/parties").await?;
        open_record(&boris, "Clara").await?;
        let said = boris.text_when("consent-unsubscribed", |t| t.contains("clara@example.com")).await?;
        assert!(said.contains("one-click"), "{said}");

        // Anna switches counting opens and clicks off (Settings → Email): a new campaign says so,
        // and that its links still carry UTM tags.
        AppShell::open(&anna, "/settings").await?;
        anna.by_testid("campaign-tracking").await?;
        anna.eval("document.querySelector('[data-testid=campaign-tracking]').scrollIntoView({ block: 'center' }); return 1;").await?;
        click(&anna, "campaign-tracking").await?;
        wait_until("tracking switched off", 10, || async {
            let on = anna.by_testid("campaign-tracking").await?.prop("checked").await?;
            Ok((on.as_deref() == Some("false")).then_some(()))
        })
        .await?;
        photograph(&anna, "settings-email-tracking-1280x800-en").await?;
        AppShell::open(&anna, "/marketing").await?;
        set_field(&anna, "new-campaign-name", "Autumn").await?;
        click(&anna, "new-campaign-create").await?;
        let said = anna.text_when("campaign-format-hint", |t| t.contains("not counted")).await?;
        assert!(said.contains("UTM tags"), "{said}");
        Ok(())
    })
    .await;
}
