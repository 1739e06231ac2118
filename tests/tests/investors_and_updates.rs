//! Investors, end to end, with the real relay sending through a real SMTP server on loopback. Anna
//! opens a seed round on her desk; Boris, a colleague, watches it on his phone in Russian while
//! Anna adds two investors: what one commits and the other soft-circles shows on his phone as she
//! types it. Anna then writes an investor update from the app and sends it to the round's investors:
//! each gets one mail with the whole update and their own link; opened with no account, the link
//! shows the update, counts the opening and takes a reaction, which Anna sees on the update and on
//! the investor's timeline. Revoking one investor's link closes it on the relay.

use std::sync::Arc;

use rapport_e2e::flows::{
    add_party, attribute_becomes, change_to, click_centred as click, join_by_invitation,
    open_record, photograph, set_field, sign_up_and_upload,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::smtp::SmtpServer;
use rapport_e2e::{Browser, E2eResult, Viewport, run_with_relay_args, wait_until};
use serde_json::Value;

/// Gives the record `name` an email address.
async fn with_email(browser: &Browser, name: &str, address: &str) -> E2eResult {
    AppShell::open(browser, "/parties").await?;
    open_record(browser, name).await?;
    set_field(browser, "party-email", address).await?;
    click(browser, "save-party").await?;
    browser.by_testid("email-link").await?;
    Ok(())
}

/// Types `amount` into the field `testid` of investor `name`'s line and leaves it (which saves it).
async fn enter_amount(browser: &Browser, name: &str, testid: &str, amount: &str) -> E2eResult {
    let script = format!(
        "const line = document.querySelector('[data-testid=round-investor-row][data-name=\"{name}\"]');
         if (!line) return false;
         const f = line.querySelector('[data-testid={testid}]');
         f.value = {amount};
         f.dispatchEvent(new Event('input', {{ bubbles: true }}));
         f.dispatchEvent(new Event('change', {{ bubbles: true }}));
         return true;",
        amount = Value::String(amount.to_owned()),
    );
    wait_until(&format!("{name}'s line"), 15, || async {
        Ok((browser.eval(&script).await? == Value::Bool(true)).then_some(()))
    })
    .await
}

/// Chooses `name` in the party picker `picker` by typing part of it.
async fn pick(browser: &Browser, picker: &str, name: &str) -> E2eResult {
    set_field(browser, &format!("{picker}-party-search"), name).await?;
    let choose = format!(
        "const b = [...document.querySelectorAll('[data-testid={picker}-party-match]')]
             .find(b => b.textContent === {name});
         if (!b) return false; b.click(); return true;",
        name = Value::String(name.to_owned()),
    );
    wait_until(&format!("{name} to be offered"), 10, || async {
        Ok((browser.eval(&choose).await? == Value::Bool(true)).then_some(()))
    })
    .await
}

/// Adds `name` to the round from its page.
async fn add_investor(browser: &Browser, name: &str) -> E2eResult {
    pick(browser, "round-investor", name).await?;
    click(browser, "add-investor-save").await?;
    wait_until(&format!("{name} in the round"), 15, || async {
        let found = browser
            .eval(&format!(
                "return !!document.querySelector('[data-testid=round-investor-row][data-name=\"{name}\"]');"
            ))
            .await?;
        Ok((found == Value::Bool(true)).then_some(()))
    })
    .await
}

/// The text of a message as the investor's mail app shows it.
fn text_of(message: &str) -> String {
    let parsed = mail_parser::MessageParser::default().parse(message.as_bytes()).unwrap();
    parsed.body_text(0).unwrap().into_owned()
}

/// What an investor's browser gets for their link: the status and the page.
async fn open_link(link: &str, language: &str) -> (u16, String) {
    let response =
        reqwest::Client::new().get(link).header("accept-language", language).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn an_investor_update_is_mailed_once_to_each_investor_and_opened_through_its_own_link() {
    let mailbox = tempfile::tempdir().unwrap();
    let smtp = Arc::new(SmtpServer::start(&mailbox.path().join("mail"), 30));
    let url = smtp.url();
    let args = ["--smtp-url", url.as_str(), "--mail-from", "Acme <crm@acme.example>"];
    let name = "an_investor_update_is_mailed_once_to_each_investor_and_opened_through_its_own_link";
    run_with_relay_args(name, &args, move |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        for (name, address) in
            [("Vera Capital", "vera@fund.example"), ("Oleg Petrov", "oleg@angel.example")]
        {
            add_party(&anna, name).await?;
            with_email(&anna, name, address).await?;
        }
        let boris = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;

        // A seed round: a target that is no amount is refused with the reason.
        AppShell::open(&anna, "/investors").await?;
        anna.by_testid("rounds").await?;
        set_field(&anna, "new-round-name", "Seed").await?;
        set_field(&anna, "new-round-target", "a lot").await?;
        click(&anna, "new-round-create").await?;
        anna.text_when("new-round-error", |t| t.contains("amount above zero")).await?;
        set_field(&anna, "new-round-target", "1 000 000").await?;
        change_to(&anna, "new-round-instrument", "safe").await?;
        click(&anna, "new-round-create").await?;
        anna.by_testid("round-summary").await?;
        let round_path = anna.path().await?;
        assert!(round_path.starts_with("/investors/rounds/"), "{round_path}");
        add_investor(&anna, "Vera Capital").await?;
        add_investor(&anna, "Oleg Petrov").await?;

        // Boris follows it on his phone while Anna enters the amounts.
        boris.open(&round_path).await?;
        attribute_becomes(&boris, "round-investors", "data-count", "2").await?;
        enter_amount(&anna, "Vera Capital", "investor-committed", "250 000").await?;
        enter_amount(&anna, "Oleg Petrov", "investor-soft", "100000").await?;
        attribute_becomes(&anna, "raised", "data-percent", "25").await?;
        attribute_becomes(&boris, "raised", "data-percent", "25").await?;
        attribute_becomes(&boris, "raised", "data-soft", "10000000").await?;
        boris.text_when("raised-text", |t| t.contains("25 %") && t.contains("обещано")).await?;
        photograph(&boris, "round-390x844-ru").await?;
        // The terms: the cap and the discount show in the summary on both.
        set_field(&anna, "round-cap", "8 000 000").await?;
        set_field(&anna, "round-discount", "20").await?;
        click(&anna, "round-save").await?;
        boris.text_when("round-summary", |t| t.contains("скидка 20 %")).await?;
        anna.eval("window.scrollTo(0, 0); return 1;").await?;
        photograph(&anna, "round-1280x800").await?;
        AppShell::open(&anna, "/investors").await?;
        attribute_becomes(&anna, "rounds", "data-count", "1").await?;

        // An update from the app: figures, highlights, asks, to the round's investors.
        click(&anna, "new-update").await?;
        anna.by_testid("update-form").await?;
        let update_path = anna.path().await?;
        set_field(&anna, "update-title", "November 2026").await?;
        click(&anna, "update-add-metric").await?;
        anna.eval(
            "const row = document.querySelector('[data-testid=update-metric]');
             const set = (t, v) => { const f = row.querySelector(`[data-testid=${t}]`); f.value = v;
                 f.dispatchEvent(new Event('input', { bubbles: true })); };
             set('metric-name', 'Monthly revenue'); set('metric-value', '€84k'); set('metric-previous', '€71k');
             return 1;",
        )
        .await?;
        // The round's own figure, from Rapport: committed against the target.
        click(&anna, "update-figures").await?;
        wait_until("the round's figure filled in", 10, || async {
            let found = anna
                .eval("return [...document.querySelectorAll('[data-testid=update-metric]')].some(r => r.querySelector('[data-testid=metric-name]').value === 'Raised in Seed' && r.querySelector('[data-testid=metric-value]').value.includes('250,000.00'));")
                .await?;
            Ok((found == Value::Bool(true)).then_some(()))
        })
        .await?;
        set_field(&anna, "update-highlights", "Signed **Acme** for three years.").await?;
        set_field(&anna, "update-asks", "Introductions to CFOs of retailers.").await?;
        let round_option = anna
            .eval("return [...document.querySelectorAll('[data-testid=update-audience] option')].find(o => o.value.startsWith('round:')).value;")
            .await?;
        change_to(&anna, "update-audience", round_option.as_str().unwrap()).await?;
        // Unsaved changes are not sent.
        anna.eval("window.confirm = () => true; return 1;").await?;
        click(&anna, "update-send").await?;
        anna.text_when("update-form-error", |t| t.contains("Save your changes")).await?;
        click(&anna, "update-save").await?;
        attribute_becomes(&anna, "update-recipients", "data-count", "2").await?;
        photograph(&anna, "investor-update-draft-1280x800").await?;
        // A double tap sends once.
        anna.eval("const b = document.querySelector('[data-testid=update-send]'); b.click(); b.click(); return 1;")
            .await?;
        anna.by_testid("update-sent").await?;

        // Each investor gets one mail with the whole update and their own link.
        let mails = wait_until("a mail to each investor", 30, || async {
            let (vera, oleg) = (smtp.to("vera@fund.example"), smtp.to("oleg@angel.example"));
            Ok((!vera.is_empty() && !oleg.is_empty()).then_some((vera, oleg)))
        })
        .await?;
        let (vera, oleg) = (text_of(&mails.0[0]), text_of(&mails.1[0]));
        assert!(mails.0[0].lines().any(|l| l == "Subject: November 2026"), "{}", mails.0[0]);
        assert!(vera.contains("• Monthly revenue: €84k (was €71k)"), "{vera}");
        assert!(vera.contains("• Raised in Seed: $250,000.00 of $1,000,000.00"), "{vera}");
        assert!(vera.contains("Signed **Acme** for three years."), "{vera}");
        let link_of = |text: &str| {
            text.lines().find(|l| l.contains("/updates/")).map(|l| l.trim().to_owned()).unwrap()
        };
        let (vera_link, oleg_link) = (link_of(&vera), link_of(&oleg));
        assert_ne!(vera_link, oleg_link, "each their own link");

        // Opened with no account once the app has handed the update to the relay.
        let page = wait_until("Vera's link to open", 60, || async {
            let (status, page) = open_link(&vera_link, "en").await;
            Ok((status == 200).then_some(page))
        })
        .await?;
        assert!(page.contains("<h1>November 2026</h1>") && page.contains("<strong>Acme</strong>"));
        let (status, russian) = open_link(&oleg_link, "ru").await;
        assert_eq!(status, 200);
        assert!(russian.contains("Ключевые показатели"), "{russian}");
        let reacted = reqwest::Client::new()
            .post(&vera_link)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("reaction=help&comment=I+know+two+CFOs")
            .send()
            .await
            .unwrap();
        assert_eq!(reacted.status(), 200);

        // Anna sees who opened it and how Vera reacted.
        anna.open(&update_path).await?;
        let vera_line = "[data-testid=update-reader][data-name=\"Vera Capital\"]";
        wait_until("Vera's reaction on the update", 30, || async {
            let reaction = anna
                .eval(&format!("return document.querySelector('{vera_line}')?.dataset.reaction ?? '';"))
                .await?;
            Ok((reaction == "help").then_some(()))
        })
        .await?;
        let text = anna.eval(&format!("return document.querySelector('{vera_line}').textContent;")).await?;
        assert!(text.as_str().unwrap().contains("I know two CFOs"), "{text}");
        photograph(&anna, "investor-update-sent-1280x800").await?;
        anna.emulate(Viewport::Phone).await?;
        photograph(&anna, "investor-update-sent-390x844").await?;
        anna.emulate(Viewport::Desktop).await?;

        // Revoking Vera's link closes it on the relay; Oleg's still opens.
        anna.eval(&format!("document.querySelector('{vera_line} [data-testid=reader-revoke]').click(); return 1;"))
            .await?;
        wait_until("Vera's link to be revoked", 60, || async {
            Ok((open_link(&vera_link, "en").await.0 == 410).then_some(()))
        })
        .await?;
        assert_eq!(open_link(&oleg_link, "en").await.0, 200);

        // On Vera's timeline: the update, opened.
        AppShell::open(&anna, "/parties").await?;
        open_record(&anna, "Vera Capital").await?;
        anna.text_when("timeline", |t| t.contains("November 2026 · opened")).await?;
        // Added to the round, Vera became an investor, as her record says.
        let investor = anna
            .eval("return document.querySelector('[data-testid=party-role][data-role=investor]').getAttribute('aria-pressed');")
            .await?;
        assert_eq!(investor, "true");

        // Sent once however often it was asked.
        assert_eq!(smtp.to("vera@fund.example").len(), 1);
        assert_eq!(smtp.to("oleg@angel.example").len(), 1);

        // An earnings call: both invited, Vera came; the follow-up with her is planned once, however
        // often it is asked for.
        AppShell::open(&anna, "/investors").await?;
        set_field(&anna, "new-event-title", "Q3 earnings call").await?;
        change_to(&anna, "new-event-kind", "earnings-call").await?;
        let [call_day] = rapport_e2e::flows::days_from_today(&anna, [-1]).await?;
        change_to(&anna, "new-event-day", &call_day).await?;
        click(&anna, "new-event-create").await?;
        anna.by_testid("event-form").await?;
        let event_path = anna.path().await?;
        for name in ["Vera Capital", "Oleg Petrov"] {
            pick(&anna, "event-attendee", name).await?;
            click(&anna, "invite-attendee-save").await?;
        }
        attribute_becomes(&anna, "event-attendees", "data-count", "2").await?;
        anna.eval(
            "const s = document.querySelector('[data-testid=event-attendee-row][data-name=\"Vera Capital\"] select');
             s.value = 'attended'; s.dispatchEvent(new Event('change', { bubbles: true })); return 1;",
        )
        .await?;
        wait_until("Vera marked as having come", 15, || async {
            let state = anna
                .eval("return document.querySelector('[data-testid=event-attendee-row][data-name=\"Vera Capital\"]')?.dataset.attendance ?? '';")
                .await?;
            Ok((state == "attended").then_some(()))
        })
        .await?;
        anna.eval("const b = document.querySelector('[data-testid=plan-follow-ups]'); b.click(); return 1;").await?;
        anna.text_when("follow-ups-done", |t| t.contains("1 follow-up")).await?;
        wait_until("Vera's follow-up shown", 15, || async {
            let n = anna.eval("return document.querySelectorAll('[data-testid=attendee-follow-up]').length;").await?;
            Ok((n == 1).then_some(()))
        })
        .await?;
        click(&anna, "plan-follow-ups").await?;
        anna.text_when("follow-ups-done", |t| t.contains("already")).await?;
        photograph(&anna, "investor-event-1280x800").await?;
        boris.open(&event_path).await?;
        attribute_becomes(&boris, "event-attendees", "data-count", "2").await?;
        photograph(&boris, "investor-event-390x844-ru").await?;
        AppShell::open(&anna, "/tasks").await?;
        let tasks = anna.eval("return document.body.textContent.split('Follow up after Q3 earnings call').length - 1;").await?;
        assert_eq!(tasks, 1, "one follow-up task");
        AppShell::open(&anna, "/parties").await?;
        open_record(&anna, "Vera Capital").await?;
        anna.text_when("timeline", |t| t.contains("Earnings call · Came") && t.contains("Q3 earnings call"))
            .await?;

        // The list, on the desk and on Boris's phone in Russian.
        AppShell::open(&anna, "/investors").await?;
        attribute_becomes(&anna, "investor-updates", "data-count", "1").await?;
        photograph(&anna, "investors-1280x800").await?;
        AppShell::open(&boris, "/investors").await?;
        attribute_becomes(&boris, "investor-updates", "data-count", "1").await?;
        photograph(&boris, "investors-390x844-ru").await?;
        boris.open(&update_path).await?;
        boris.by_testid("update-sent").await?;
        photograph(&boris, "investor-update-sent-390x844-ru").await?;

        // Every new page at both sizes in both languages, a draft among them.
        AppShell::open(&anna, "/investors").await?;
        click(&anna, "new-update").await?;
        anna.by_testid("update-form").await?;
        let draft_path = anna.path().await?;
        let pages = [
            ("round", round_path.as_str(), "round-summary"),
            ("investor-update-draft", draft_path.as_str(), "update-form"),
            ("investor-update-sent", update_path.as_str(), "update-readers"),
            ("investor-event", event_path.as_str(), "event-attendees"),
        ];
        for (browser, language) in [(&anna, "en"), (&boris, "ru")] {
            for (viewport, size) in [(Viewport::Desktop, "1280x800"), (Viewport::Phone, "390x844")] {
                browser.emulate(viewport).await?;
                for (page, path, ready) in pages {
                    browser.open(path).await?;
                    browser.by_testid(ready).await?;
                    photograph(browser, &format!("{page}-{size}-{language}")).await?;
                }
            }
        }
        Ok(())
    })
    .await;
}
