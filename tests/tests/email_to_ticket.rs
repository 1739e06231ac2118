//! Email-to-ticket end to end, with a real mail system on both sides of the relay: Anna makes the
//! workspace's support address in Settings; a customer's mail to it (sent over SMTP to the relay)
//! becomes a ticket — and the customer a record — on Anna's screen and on Boris's phone, in Russian.
//! Anna answers from the ticket by email: the reply leaves through the relay's outbox to a real SMTP
//! server, threaded under the customer's mail and answering to the support address, and shows as
//! sent. The customer answers that reply; the answer lands on the same ticket on both devices. Anna
//! resolves it: the customer gets one satisfaction survey, rates the answer on the relay's page from
//! a phone, and the rating shows on the ticket and in the Tickets page's summary on both devices.

use std::sync::Arc;

use rapport_e2e::flows::{
    click_centred, deliver_mail, join_by_invitation, nothing_unsynced, set_field,
    sign_up_and_upload,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::smtp::SmtpServer;
use rapport_e2e::{Browser, E2eResult, Viewport, run_with_relay_args, wait_until};

fn customer_mail(message_id: &str, subject: &str, text: &str, answering: Option<&str>) -> String {
    let thread = answering
        .map(|id| format!("In-Reply-To: {id}\r\nReferences: <a1@client.example> {id}\r\n"))
        .unwrap_or_default();
    format!(
        "From: Ann Lee <ann@client.example>\r\nTo: support@acme.example\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n{thread}Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    )
}

/// A customer's mail carrying a photo (a real 1×1 PNG), as mail apps send one.
fn customer_mail_with_photo(
    message_id: &str,
    subject: &str,
    text: &str,
    answering: &str,
) -> String {
    const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    format!(
        "From: Ann Lee <ann@client.example>\r\nTo: support@acme.example\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\nIn-Reply-To: {answering}\r\nReferences: <a1@client.example> {answering}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n--b1\r\nContent-Type: image/png; name=\"photo.png\"\r\nContent-Disposition: attachment; filename=\"photo.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{PNG}\r\n--b1--\r\n"
    )
}

/// The text of a mail as the customer's mail app shows it.
fn text_of(message: &str) -> String {
    let parsed = mail_parser::MessageParser::default().parse(message.as_bytes()).unwrap();
    parsed.body_text(0).unwrap().into_owned()
}

/// The titles of the tickets listed.
async fn listed(browser: &Browser) -> E2eResult<Vec<String>> {
    let titles = browser
        .eval("return [...document.querySelectorAll('[data-testid=ticket-row]')].map(r => r.dataset.title);")
        .await?;
    Ok(serde_json::from_value(titles).unwrap_or_default())
}

/// The conversation's messages as kind and text, oldest first.
async fn messages(browser: &Browser) -> E2eResult<Vec<(String, String)>> {
    let found = browser
        .eval("return [...document.querySelectorAll('[data-testid=ticket-message]')].map(m => [m.dataset.kind, m.querySelector('.message-text').textContent.trim()]);")
        .await?;
    Ok(serde_json::from_value(found).unwrap_or_default())
}

async fn conversation_becomes(browser: &Browser, wanted: &[(&str, &str)]) -> E2eResult {
    wait_until(&format!("the conversation {wanted:?}"), 30, || async {
        let found = messages(browser).await?;
        let same = found.len() == wanted.len()
            && found
                .iter()
                .zip(wanted)
                .all(|((kind, text), (k, t))| kind == k && text.starts_with(t));
        Ok(same.then_some(()))
    })
    .await
}

#[tokio::test]
async fn a_customer_s_mail_becomes_a_ticket_and_the_emailed_reply_threads_both_ways() {
    let mailbox = tempfile::tempdir().unwrap();
    let outgoing = Arc::new(SmtpServer::start(&mailbox.path().join("mail"), 30));
    let url = outgoing.url();
    // A free port for the relay's SMTP listener.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let inbound = format!("127.0.0.1:{port}");
    let args = [
        "--smtp-url",
        url.as_str(),
        "--mail-from",
        "Acme support <crm@acme.example>",
        "--inbound-smtp",
        inbound.as_str(),
        "--inbound-domain",
        "in.acme.example",
    ];
    let name = "a_customer_s_mail_becomes_a_ticket_and_the_emailed_reply_threads_both_ways";
    run_with_relay_args(name, &args, move |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        let boris = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        nothing_unsynced(&anna).await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;

        // Anna gives the workspace its support address.
        AppShell::open(&anna, "/settings").await?;
        click_centred(&anna, "make-support-address").await?;
        let address = anna.text_when("support-address", |t| t.contains("@in.acme.example")).await?;
        assert!(address.starts_with("support-"), "{address}");
        anna.eval("document.querySelector('[data-testid=support-address]').scrollIntoView({ block: 'center' }); return 1;")
            .await?;
        anna.screenshot("settings-support-address-1280x800-en").await?;

        // Both watch the queue; the customer writes.
        AppShell::open(&anna, "/tickets").await?;
        AppShell::open(&boris, "/tickets").await?;
        deliver_mail(port, "ann@client.example", &address, &customer_mail("a1@client.example", "Printer jams", "It jams on every page.", None)).await;
        for (who, browser) in [("Anna", &anna), ("Boris", &boris)] {
            wait_until(&format!("the mail as a ticket on {who}'s screen"), 30, || async {
                Ok((listed(browser).await? == ["Printer jams"]).then_some(()))
            })
            .await?;
        }

        // Anna answers it by email.
        anna.eval("document.querySelector('[data-testid=ticket-row] a').click(); return 1;").await?;
        anna.by_testid("page-ticket").await?;
        let ticket = anna.path().await?;
        conversation_becomes(&anna, &[("customer", "It jams on every page.")]).await?;
        anna.text_when("reply-by-mail", |t| t.contains("ann@client.example")).await?;
        set_field(&anna, "ticket-message-text", "We are sending a technician today.").await?;
        anna.by_testid("send-message").await?.click().await?;
        conversation_becomes(
            &anna,
            &[("customer", "It jams"), ("reply", "We are sending a technician today.")],
        )
        .await?;
        anna.text_when("reply-mailed", |t| t.contains("ann@client.example")).await?;
        wait_until("the reply shown as sent", 30, || async {
            let state = anna
                .eval("return document.querySelector('[data-testid=reply-mailed] [data-testid=mail-state]')?.dataset.state ?? '';")
                .await?;
            Ok((state == "sent").then_some(()))
        })
        .await?;
        let reply = outgoing.to("ann@client.example").pop().expect("the reply reached the mail server");
        assert!(reply.contains("In-Reply-To: <a1@client.example>"), "{reply}");
        assert!(reply.contains("References: <a1@client.example>"), "{reply}");
        assert!(reply.contains(&format!("Reply-To: {address}")), "{reply}");
        let reference = ticket[ticket.len() - 8..].to_owned();
        assert!(reply.contains(&format!("[#{reference}]")), "the subject names the ticket: {reply}");
        assert!(reply.contains("We are sending a technician today."), "{reply}");
        let message_id = reply
            .lines()
            .find_map(|line| line.strip_prefix("Message-ID: "))
            .expect("the reply's Message-ID")
            .trim()
            .to_owned();
        anna.screenshot("ticket-mailed-reply-1280x800-en").await?;

        // The customer answers the reply with a photo: the same ticket, on both devices.
        let answer = customer_mail_with_photo(
            "a2@client.example",
            &format!("Re: Printer jams [#{reference}]"),
            "Thank you, see you then.",
            &message_id,
        );
        deliver_mail(port, "ann@client.example", &address, &answer).await;
        let whole = [
            ("customer", "It jams on every page."),
            ("reply", "We are sending a technician today."),
            ("customer", "Thank you, see you then."),
        ];
        conversation_becomes(&anna, &whole).await?;
        AppShell::open(&boris, &ticket).await?;
        conversation_becomes(&boris, &whole).await?;
        boris.eval("document.querySelector('[data-testid=conversation]').scrollIntoView(); return 1;")
            .await?;
        boris.text_when("reply-by-mail", |t| t.contains("ann@client.example")).await?;
        boris.screenshot("ticket-mailed-reply-390x844-ru").await?;
        // The photo is the ticket's file, fetched from the relay on Boris's phone.
        assert_eq!(boris.text_when("file-name", |t| !t.is_empty()).await?, "photo.png");
        boris.eval("document.querySelector('[data-testid=files]').scrollIntoView(); return 1;").await?;
        wait_until("the mailed photo shown", 30, || async {
            let width = boris
                .eval("const img = document.querySelector('[data-testid=file] img[data-testid=file-thumbnail]'); return img && img.complete ? img.naturalWidth : 0;")
                .await?;
            Ok((width.as_u64() == Some(1)).then_some(()))
        })
        .await?;
        boris.screenshot("ticket-mailed-photo-390x844-ru").await?;
        AppShell::open(&boris, "/tickets").await?;
        wait_until("still one ticket", 15, || async {
            Ok((listed(&boris).await? == ["Printer jams"]).then_some(()))
        })
        .await?;

        // The sender is a customer on record.
        AppShell::open(&anna, "/parties").await?;
        anna.text_when("page-parties", |t| t.contains("Ann Lee")).await?;

        // Anna resolves it: the customer is asked, by one mail, to rate the answer.
        AppShell::open(&anna, &ticket).await?;
        click_centred(&anna, "ticket-resolve").await?;
        let survey = wait_until("the survey at the mail server", 30, || async {
            let mails = outgoing.to("ann@client.example");
            Ok(mails.into_iter().map(|m| text_of(&m)).find(|text| text.contains("/api/rate/")))
        })
        .await?;
        assert!(survey.starts_with("How would you rate our answer"), "{survey}");
        let link = survey
            .lines()
            .find(|line| line.starts_with("4 — Satisfied: "))
            .and_then(|line| line.split(": ").nth(1))
            .unwrap_or_else(|| panic!("no link for a 4 in {survey}"))
            .to_owned();
        let path = &link[link.find("/api/rate/").unwrap()..];
        wait_until("the survey shown as sent", 30, || async {
            let state = anna
                .eval("return document.querySelector('[data-testid=ticket-survey] [data-testid=mail-state]')?.dataset.state ?? '';")
                .await?;
            Ok((state == "sent").then_some(()))
        })
        .await?;

        // The customer opens the link on a phone: the 4 chosen; adds a comment and sends it.
        let customer = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        customer.open(path).await?;
        let chosen = customer
            .eval("return document.querySelector('input[name=score]:checked')?.value ?? '';")
            .await?;
        assert_eq!(chosen, "4");
        customer.screenshot("rating-page-390x844-ru").await?;
        customer
            .eval("document.querySelector('textarea[name=comment]').value = 'Быстро, спасибо'; document.querySelector('form button').click(); return 1;")
            .await?;
        wait_until("the thanks", 15, || async {
            let said = customer.eval("return document.body.innerText;").await?;
            Ok(said.as_str().is_some_and(|t| t.contains("Ваш ответ получен")).then_some(()))
        })
        .await?;
        customer.screenshot("rating-thanks-390x844-ru").await?;

        // On both devices: on the ticket, and in the Tickets page's summary.
        anna.text_when("ticket-rating", |t| t.contains("4 of 5") && t.contains("Быстро, спасибо"))
            .await?;
        anna.screenshot("ticket-rating-1280x800-en").await?;
        wait_until("Boris's summary", 30, || async {
            let said = boris.eval("return document.querySelector('[data-testid=ticket-satisfaction]')?.textContent ?? '';").await?;
            let said = said.as_str().unwrap_or_default().to_owned();
            Ok((said.contains("100%") && said.contains("4,0") && said.contains("ответов: 1")).then_some(()))
        })
        .await?;
        boris.screenshot("tickets-satisfaction-390x844-ru").await?;

        // The other sizes and languages.
        anna.emulate(Viewport::Phone).await?;
        AppShell::open(&anna, &ticket).await?;
        conversation_becomes(&anna, &whole).await?;
        anna.eval("document.querySelector('[data-testid=conversation]').scrollIntoView(); return 1;")
            .await?;
        anna.text_when("reply-by-mail", |t| t.contains("ann@client.example")).await?;
        anna.screenshot("ticket-mailed-reply-390x844-en").await?;
        anna.eval("window.scrollTo(0, 0); return 1;").await?;
        anna.text_when("ticket-rating", |t| t.contains("4 of 5")).await?;
        anna.screenshot("ticket-rating-390x844-en").await?;
        AppShell::open(&anna, "/settings").await?;
        anna.text_when("support-address", |t| t.contains("@in.acme.example")).await?;
        anna.eval("document.querySelector('[data-testid=support-address]').scrollIntoView({ block: 'center' }); return 1;")
            .await?;
        anna.screenshot("settings-support-address-390x844-en").await?;
        boris.emulate(Viewport::Desktop).await?;
        AppShell::open(&boris, &ticket).await?;
        conversation_becomes(&boris, &whole).await?;
        boris.text_when("ticket-rating", |t| t.contains("4 из 5")).await?;
        boris.screenshot("ticket-rating-1280x800-ru").await?;
        AppShell::open(&boris, "/settings").await?;
        boris.text_when("support-address", |t| t.contains("@in.acme.example")).await?;
        boris.eval("document.querySelector('[data-testid=support-address]').scrollIntoView({ block: 'center' }); return 1;")
            .await?;
        boris.screenshot("settings-support-address-1280x800-ru").await?;
        boris.emulate(Viewport::Phone).await?;
        boris.screenshot("settings-support-address-390x844-ru").await?;

        // The link again, in English: answered once, nothing more to send.
        anna.open(path).await?;
        let said = anna.eval("return document.body.innerText;").await?;
        assert!(said.as_str().unwrap_or_default().contains("already answered"), "{said}");
        anna.screenshot("rating-answered-390x844-en").await?;
        Ok(())
    })
    .await;
}
