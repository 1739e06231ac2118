//! Continuous feedback, end to end on a real relay. Boris (on his phone, in Russian) asks Clara for
//! feedback from a tunnel: the request waits on his phone and goes by itself when the network
//! returns. Clara answers it; the answer appears under Boris's request on his open page. Clara then
//! praises Boris and tells his manager, Anna: both read it, and withdrawn, it goes from both screens.
//! Anna — the workspace's owner — never sees the request or its answer, and no device keeps any of it
//! in a synced record.

use rapport_e2e::flows::{
    attribute_becomes, choose_by_text, click_centred as click, employ, in_a_synced_record,
    join_by_invitation, photograph, set_field, set_network, sign_up_and_upload, stored_anywhere,
    sync_state,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};
use serde_json::Value;

const QUESTION: &str = "Как прошла моя демонстрация?";
const ANSWER: &str = "Clear and short; show the prices earlier.";
const PRAISE: &str = "Great call with Nordwind";

/// Ticks the colleague named `name` among those to ask.
async fn tick_colleague(browser: &Browser, name: &str) -> E2eResult {
    let script = format!(
        "const label = [...document.querySelectorAll('[data-testid=feedback-ask-whom] label')]
           .find(l => l.textContent.trim() === {name});
         if (!label) return false;
         label.querySelector('input').click();
         return label.querySelector('input').checked;",
        name = Value::String(name.to_owned()),
    );
    wait_until(&format!("{name} ticked"), 20, || async {
        Ok((browser.eval(&script).await? == Value::Bool(true)).then_some(()))
    })
    .await
}

#[tokio::test]
async fn feedback_is_read_by_whom_it_names_and_a_request_asked_offline_goes_by_itself() {
    let name = "feedback_is_read_by_whom_it_names_and_a_request_asked_offline_goes_by_itself";
    run(name, |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        let boris = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;
        let clara = harness.browser(Viewport::Desktop).await?;
        join_by_invitation(&anna, &clara, "clara@example.test", "Clara").await?;
        // Anna manages Boris; Clara is his colleague.
        employ(&anna, "Anna Petrova", "Anna", "Sales").await?;
        employ(&anna, "Boris Ivanov", "Boris", "Sales").await?;
        set_field(&anna, "employee-manager-pick-party-search", "Anna Pet").await?;
        click(&anna, "employee-manager-pick-party-match").await?;
        anna.wait_for_script(
            "Anna as Boris's manager",
            "return document.querySelector('[data-testid=employee-manager]').textContent.includes('Anna Petrova');",
        )
        .await?;
        employ(&anna, "Clara Diaz", "Clara", "Sales").await?;

        // Boris asks Clara from a tunnel: the request waits on his phone.
        AppShell::open(&boris, "/team/feedback").await?;
        boris.by_testid("ask-feedback").await?;
        set_network(&boris, false).await?;
        sync_state(&boris, "offline", 30).await?;
        tick_colleague(&boris, "Clara").await?;
        set_field(&boris, "feedback-question-text", QUESTION).await?;
        click(&boris, "feedback-ask-send").await?;
        boris.by_testid("feedback-asked").await?;
        attribute_becomes(&boris, "feedback-sent", "data-count", "1").await?;
        boris.by_testid("letter-waiting").await?;
        assert!(stored_anywhere(&boris, "meta", QUESTION).await?, "kept on the phone");
        // Out of the tunnel, it goes by itself.
        set_network(&boris, true).await?;
        boris
            .wait_for_script(
                "the request sent",
                "return !document.querySelector('[data-testid=letter-waiting]');",
            )
            .await?;
        attribute_becomes(&boris, "feedback-sent", "data-count", "1").await?;
        let refused = boris.eval("return !!document.querySelector('[data-testid=letter-refused]');").await?;
        assert_eq!(refused, Value::Bool(false), "sent, not refused");

        // Clara is asked, and answers to Boris alone; his open page shows the answer as it comes.
        AppShell::open(&clara, "/team").await?;
        attribute_becomes(&clara, "feedback-requests-waiting", "data-count", "1").await?;
        click(&clara, "open-feedback").await?;
        attribute_becomes(&clara, "feedback-to-answer", "data-count", "1").await?;
        let question = clara.by_testid("feedback-question").await?.text().await?;
        assert_eq!(question, QUESTION);
        set_field(&clara, "feedback-answer-text", ANSWER).await?;
        click(&clara, "feedback-answer-send").await?;
        attribute_becomes(&clara, "feedback-to-answer", "data-count", "0").await?;
        attribute_becomes(&clara, "feedback-sent", "data-count", "1").await?;
        boris
            .wait_for_script(
                "Clara's answer under the request",
                &format!(
                    "const a = document.querySelector('[data-testid=letter-answer]');
                     return !!a && a.textContent.includes({answer}) && a.textContent.includes('Clara');",
                    answer = Value::String(ANSWER.to_owned())
                ),
            )
            .await?;

        // Clara praises Boris and tells his manager: the form says who will read it.
        set_field(&clara, "feedback-text", PRAISE).await?;
        click(&clara, "feedback-send").await?;
        clara.by_testid("feedback-error").await?;
        choose_by_text(&clara, "feedback-to", "Boris").await?;
        click(&clara, "feedback-praise").await?;
        click(&clara, "feedback-with-manager").await?;
        let readers = clara.by_testid("feedback-read-by").await?.text().await?;
        assert!(readers.contains("Boris") && readers.contains("Anna"), "{readers}");
        click(&clara, "feedback-send").await?;
        clara.by_testid("feedback-given").await?;
        for browser in [&boris, &anna] {
            AppShell::open(browser, "/team/feedback").await?;
            attribute_becomes(browser, "feedback-received", "data-count", "1").await?;
            let letter = browser.by_testid("feedback-received").await?.text().await?;
            assert!(letter.contains(PRAISE) && letter.contains("Clara"), "{letter}");
            browser.by_testid("letter-praise").await?;
        }
        // Anna, the owner, was never asked and is told nothing of the request or its answer.
        attribute_becomes(&anna, "feedback-to-answer", "data-count", "0").await?;
        attribute_becomes(&anna, "feedback-sent", "data-count", "0").await?;
        let page = anna.by_testid("page-feedback").await?.text().await?;
        assert!(!page.contains(QUESTION) && !page.contains(ANSWER), "{page}");
        for text in [QUESTION, ANSWER] {
            assert!(!stored_anywhere(&anna, "meta", text).await?, "Anna's browser keeps “{text}”");
        }
        for (who, browser) in [("Anna", &anna), ("Boris", &boris), ("Clara", &clara)] {
            for text in [QUESTION, ANSWER, PRAISE] {
                assert!(!in_a_synced_record(browser, text).await?, "{who}'s synced records hold “{text}”");
            }
        }

        // Every new screen at both sizes: Boris's in Russian, Clara's in English.
        for (browser, language) in [(&boris, "ru"), (&clara, "en")] {
            for (viewport, size) in [(Viewport::Desktop, "1280x800"), (Viewport::Phone, "390x844")] {
                browser.emulate(viewport).await?;
                AppShell::open(browser, "/team/feedback").await?;
                browser.by_testid("feedback-sent").await?;
                sync_state(browser, "synced", 30).await?;
                photograph(browser, &format!("feedback-{size}-{language}")).await?;
                browser.eval("document.querySelector('[data-testid=feedback-sent]').scrollIntoView(); return 1;").await?;
                photograph(browser, &format!("feedback-sent-{size}-{language}")).await?;
                AppShell::open(browser, "/team").await?;
                browser.eval("document.querySelector('[data-testid=feedback-panel]').scrollIntoView(); return 1;").await?;
                photograph(browser, &format!("team-feedback-{size}-{language}")).await?;
            }
        }

        // Clara withdraws her praise: it goes from Boris's and Anna's open screens.
        AppShell::open(&boris, "/team/feedback").await?;
        for browser in [&boris, &anna] {
            attribute_becomes(browser, "feedback-received", "data-count", "1").await?;
        }
        AppShell::open(&clara, "/team/feedback").await?;
        attribute_becomes(&clara, "feedback-sent", "data-count", "2").await?;
        let newest = clara.by_testid("letter").await?;
        assert_eq!(newest.attr("data-praise").await?.as_deref(), Some("true"), "the praise first");
        click(&clara, "letter-withdraw").await?;
        attribute_becomes(&clara, "feedback-sent", "data-count", "1").await?;
        for browser in [&boris, &anna] {
            attribute_becomes(browser, "feedback-received", "data-count", "0").await?;
        }
        Ok(())
    })
    .await;
}
