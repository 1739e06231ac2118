//! A drip sequence, end to end, with a real mail system on both sides of the relay. Anna (at her
//! desk, in English) writes "Fair follow-up" on screen: an intro mail; a branch that waits three days
//! for a reply and goes to a call if one comes; a follow-up mail; the end; the call (a task). She
//! enrols the fair's list: Clara and Edith each get one intro, filled in from their record and
//! answering to the workspace's support address — although Anna's desk and Boris's phone (in
//! Russian) both have the app open and both look for steps due. Clara answers from her mail program:
//! her answer lands on her timeline on both devices, the branch goes to the call, and there is one
//! call task, never a follow-up. Edith stays waiting for her reply. Anna pauses the sequence and
//! shortens the wait to none: Edith's next step waits for the pause; resumed, Edith gets the
//! follow-up, once, and is through.

use std::sync::Arc;

use rapport_e2e::flows::{
    anna_and_boris, attribute_becomes, change_to, click_centred as click, deliver_mail,
    new_list_with, open_record, person_with_email, photograph, set_field,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::smtp::SmtpServer;
use rapport_e2e::{Browser, E2eResult, run_with_relay_args, wait_until};

/// Sets control `testid` of the n-th (from 0) step as a person does: types or chooses, then leaves.
async fn step_control(browser: &Browser, n: usize, testid: &str, value: &str) -> E2eResult {
    browser
        .wait_for_script(
            &format!("step {n}'s {testid}"),
            &format!(
                "const s = document.querySelectorAll('[data-testid=sequence-step]')[{n}];
                 const f = s && s.querySelector('[data-testid={testid}]');
                 if (!f || ![...(f.options ?? [{{ value: {value:?} }}])].some(o => o.value === {value:?})) return false;
                 f.value = {value:?};
                 f.dispatchEvent(new Event('input', {{ bubbles: true }}));
                 f.dispatchEvent(new Event('change', {{ bubbles: true }}));
                 return true;"
            ),
        )
        .await
}

/// Waits until the steps, in order, are of `kinds`.
async fn steps_become(browser: &Browser, kinds: &[&str]) -> E2eResult {
    browser
        .wait_for_script(
            &format!("the steps {kinds:?}"),
            &format!(
                "return JSON.stringify([...document.querySelectorAll('[data-testid=sequence-step]')].map(s => s.dataset.kind)) === {:?};",
                serde_json::to_string(kinds).unwrap()
            ),
        )
        .await
}

/// Waits until step `n`'s control `testid` holds `value` (saved and shown back).
async fn step_holds(browser: &Browser, n: usize, testid: &str, value: &str) -> E2eResult {
    browser
        .wait_for_script(
            &format!("step {n}'s {testid} = {value}"),
            &format!(
                "const f = document.querySelectorAll('[data-testid=sequence-step]')[{n}]?.querySelector('[data-testid={testid}]');
                 return !!f && f.value === {value:?};"
            ),
        )
        .await
}

/// Waits until `name` stands `standing` on the open sequence's page.
async fn standing_becomes(browser: &Browser, name: &str, standing: &str) -> E2eResult {
    wait_until(&format!("{name} {standing}"), 45, || async {
        let found = browser
            .eval(&format!(
                "return document.querySelector('[data-testid=enrolled][data-name={name:?}]')?.dataset.standing ?? '';"
            ))
            .await?;
        Ok((found == standing).then_some(()))
    })
    .await
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

/// The mails at `address`, once there are `count` of them.
async fn mails_to(smtp: &SmtpServer, address: &str, count: usize) -> E2eResult<Vec<String>> {
    wait_until(&format!("{count} mails to {address}"), 45, || async {
        let mails = smtp.to(address);
        assert!(mails.len() <= count, "more than {count} mails to {address}: {mails:?}");
        Ok((mails.len() == count).then_some(mails))
    })
    .await
}

#[tokio::test]
async fn a_sequence_mails_each_person_once_and_branches_on_a_reply() {
    let mailbox = tempfile::tempdir().unwrap();
    let smtp = Arc::new(SmtpServer::start(&mailbox.path().join("mail"), 30));
    let url = smtp.url();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let inbound = format!("127.0.0.1:{port}");
    let args = [
        "--smtp-url",
        url.as_str(),
        "--mail-from",
        "Acme <crm@acme.example>",
        "--inbound-smtp",
        inbound.as_str(),
        "--inbound-domain",
        "in.acme.example",
    ];
    let name = "a_sequence_branches_on_a_reply";
    run_with_relay_args(name, &args, move |harness| async move {
        let (anna, boris) = anna_and_boris(&harness).await?;
        AppShell::open(&anna, "/settings").await?;
        click(&anna, "make-support-address").await?;
        let address = anna.text_when("support-address", |t| t.contains("@in.acme.example")).await?;
        for (person, email) in [("Clara Schumann", "clara@example.com"), ("Edith Piaf", "edith@example.com")] {
            person_with_email(&anna, person, Some(email)).await?;
        }
        let list = new_list_with(&anna, "Fair visitors", &["Clara", "Edith"]).await?;
        let list = list.rsplit('/').next().unwrap_or_default().to_owned();

        // The sequence, written on screen.
        AppShell::open(&anna, "/marketing").await?;
        set_field(&anna, "new-sequence-name", "Fair follow-up").await?;
        click(&anna, "new-sequence-create").await?;
        anna.by_testid("sequence-steps").await?;
        let sequence = anna.path().await?;
        assert!(sequence.starts_with("/marketing/sequences/"), "{sequence}");
        anna.by_testid("sequence-no-steps").await?;
        for n in 1..=5 {
            click(&anna, "add-step").await?;
            attribute_becomes(&anna, "sequence-steps", "data-count", &n.to_string()).await?;
        }
        step_control(&anna, 1, "step-kind", "branch").await?;
        step_control(&anna, 3, "step-kind", "end").await?;
        step_control(&anna, 4, "step-kind", "task").await?;
        steps_become(&anna, &["email", "branch", "email", "end", "task"]).await?;
        step_control(&anna, 0, "step-subject", "Hello {{first_name|there}}").await?;
        step_control(&anna, 0, "step-body", "Thank you for visiting our stand.").await?;
        step_control(&anna, 1, "step-on", "replied").await?;
        step_control(&anna, 1, "step-days", "3").await?;
        step_control(&anna, 2, "step-subject", "Following up").await?;
        step_control(&anna, 2, "step-body", "Shall we talk next week?").await?;
        step_control(&anna, 4, "step-subject", "Call about the fair").await?;
        step_control(&anna, 4, "step-days", "1").await?;
        // The branch goes to the call: the last step, offered as a later one.
        let call = anna
            .eval("return [...document.querySelectorAll('[data-testid=sequence-step] [data-testid=step-then] option')].find(o => o.textContent.startsWith('5.'))?.value ?? '';")
            .await?;
        let call = call.as_str().unwrap_or_default().to_owned();
        assert!(!call.is_empty(), "the call is offered to the branch");
        step_control(&anna, 1, "step-then", &call).await?;
        for (n, testid, value) in [
            (0, "step-subject", "Hello {{first_name|there}}"),
            (0, "step-body", "Thank you for visiting our stand."),
            (1, "step-on", "replied"),
            (1, "step-days", "3"),
            (1, "step-then", call.as_str()),
            (2, "step-subject", "Following up"),
            (2, "step-body", "Shall we talk next week?"),
            (4, "step-subject", "Call about the fair"),
            (4, "step-days", "1"),
        ] {
            step_holds(&anna, n, testid, value).await?;
        }
        anna.eval("document.querySelector('[data-testid=sequence-steps]').scrollIntoView(); return 1;")
            .await?;
        photograph(&anna, "sequence-steps-1280x800-en").await?;
        // A reply must reach the branch rather than end the sequence.
        click(&anna, "sequence-stay-on-reply").await?;
        anna.wait_for_script(
            "kept on reply",
            "return document.querySelector('[data-testid=sequence-stay-on-reply]').checked;",
        )
        .await?;

        // Both devices watch it; Anna enrols the fair's list.
        AppShell::open(&boris, &sequence).await?;
        boris.by_testid("sequence-people").await?;
        change_to(&anna, "enrol-segment", &list).await?;
        click(&anna, "enrol-segment-go").await?;
        anna.text_when("sequence-notice", |t| t.contains('2')).await?;
        for browser in [&anna, &boris] {
            attribute_becomes(browser, "sequence-people", "data-active", "2").await?;
            standing_becomes(browser, "Clara Schumann", "waiting").await?;
            standing_becomes(browser, "Edith Piaf", "waiting").await?;
        }
        // One intro each, filled in from their record, answering to the support address.
        let intro = mails_to(&smtp, "clara@example.com", 1).await?.remove(0);
        assert!(intro.lines().any(|l| l == "Subject: Hello Clara"), "{intro}");
        assert!(intro.contains(&format!("Reply-To: {address}")), "{intro}");
        assert!(intro.contains("List-Unsubscribe"), "{intro}");
        assert!(intro.contains("Thank you for visiting our stand."), "{intro}");
        let to_edith = mails_to(&smtp, "edith@example.com", 1).await?.remove(0);
        assert!(to_edith.lines().any(|l| l == "Subject: Hello Edith"), "{to_edith}");
        // Enrolled again, nobody enters twice.
        click(&anna, "enrol-segment-go").await?;
        anna.text_when("sequence-notice", |t| t.starts_with('0')).await?;
        anna.eval("window.scrollTo(0, 0); return 1;").await?;
        photograph(&anna, "sequence-1280x800-en").await?;

        // Clara answers the intro from her mail program.
        let message_id = intro
            .lines()
            .find_map(|line| line.strip_prefix("Message-ID: "))
            .expect("the intro's Message-ID")
            .trim()
            .to_owned();
        let answer = format!(
            "From: Clara Schumann <clara@example.com>\r\nTo: {address}\r\nSubject: Re: Hello Clara\r\nMessage-ID: <c1@example.com>\r\nIn-Reply-To: {message_id}\r\nReferences: {message_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nYes, please call me on Tuesday.\r\n"
        );
        deliver_mail(port, "clara@example.com", &address, &answer).await;
        // The branch goes to the call, and she is through; Edith still waits for her reply.
        for browser in [&anna, &boris] {
            standing_becomes(browser, "Clara Schumann", "finished").await?;
            standing_becomes(browser, "Edith Piaf", "waiting").await?;
        }
        boris
            .eval("document.querySelector('[data-testid=sequence-people]').scrollIntoView(); return 1;")
            .await?;
        photograph(&boris, "sequence-390x844-ru").await?;
        boris
            .eval("document.querySelectorAll('[data-testid=sequence-step]')[1].scrollIntoView(); return 1;")
            .await?;
        photograph(&boris, "sequence-steps-390x844-ru").await?;
        // Her answer on her timeline, and one call task, on both devices.
        for browser in [&anna, &boris] {
            open_record(browser, "Clara").await?;
            browser
                .wait_for_script(
                    "Clara's answer on her timeline",
                    "return [...document.querySelectorAll('[data-testid=timeline-item]')].some(i => i.textContent.includes('Re: Hello Clara'));",
                )
                .await?;
            wait_until("Clara's call task", 30, || async {
                Ok((tasks_with(browser, "Call about the fair").await? == 1).then_some(()))
            })
            .await?;
            attribute_becomes(browser, "party-sequence", "data-standing", "finished").await?;
        }
        anna.eval("document.querySelector('[data-testid=party-sequences]').scrollIntoView(); return 1;")
            .await?;
        photograph(&anna, "party-sequences-1280x800-en").await?;
        boris
            .eval("[...document.querySelectorAll('[data-testid=timeline-item]')].find(i => i.textContent.includes('Re: Hello Clara')).scrollIntoView({ block: 'center' }); return 1;")
            .await?;
        photograph(&boris, "party-answer-390x844-ru").await?;

        // Paused, and the branch waits no longer: Edith's next step waits for the pause.
        AppShell::open(&anna, &sequence).await?;
        click(&anna, "sequence-pause").await?;
        attribute_becomes(&anna, "sequence-settings", "data-paused", "true").await?;
        step_control(&anna, 1, "step-days", "0").await?;
        step_holds(&anna, 1, "step-days", "0").await?;
        AppShell::open(&boris, &sequence).await?;
        for browser in [&anna, &boris] {
            standing_becomes(browser, "Edith Piaf", "paused").await?;
        }
        // Resumed: no reply from Edith, so the follow-up, once; and she is through.
        click(&anna, "sequence-pause").await?;
        attribute_becomes(&anna, "sequence-settings", "data-paused", "false").await?;
        for browser in [&anna, &boris] {
            standing_becomes(browser, "Edith Piaf", "finished").await?;
        }
        let mails = mails_to(&smtp, "edith@example.com", 2).await?;
        assert!(mails.iter().any(|m| m.lines().any(|l| l == "Subject: Following up")), "{mails:?}");
        assert_eq!(smtp.to("clara@example.com").len(), 1, "Clara replied: no follow-up");
        open_record(&boris, "Edith").await?;
        boris
            .wait_for_script(
                "both mails on Edith's timeline",
                "const t = [...document.querySelectorAll('[data-testid=timeline-item][data-kind=email]')].map(i => i.textContent);
                 return t.some(x => x.includes('Hello Edith')) && t.some(x => x.includes('Following up'));",
            )
            .await?;
        // Her record shown whole (its timeline is): no call was made for her.
        boris.by_testid("next-steps").await?;
        assert_eq!(tasks_with(&boris, "Call about the fair").await?, 0, "no call for Edith");
        attribute_becomes(&boris, "party-sequence", "data-standing", "finished").await?;
        // A device that found a step taken, or done, hears 409 or 410 from the relay's ledger,
        // and one that found Clara's answer being filed or filed by the other hears 409, 410 or
        // 404 — the answers that say so, which the browser logs as failed requests; nothing else
        // may be logged.
        for browser in [&anna, &boris] {
            let mut errors = browser.console_errors().await?;
            errors.retain(|e| {
                let ledger = e.message.contains("/once/")
                    && (e.message.contains("409") || e.message.contains("410"));
                let filing = e.message.contains("/inbound/")
                    && ["409", "410", "404"].iter().any(|code| e.message.contains(code));
                !(ledger || filing)
            });
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
