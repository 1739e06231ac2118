//! A review cycle, end to end on a real relay. Anna, the owner, launches a quarterly cycle; Boris
//! reports to her and manages Cara, Dan and Eve. Boris asks Dan for a peer review of Cara and writes
//! his own review of her; Cara writes her self review; Dan his peer review; all three review Boris
//! upward, anonymously. Boris reads Cara's self review and Dan's peer review as they come — Cara
//! never sees Dan's, nor Boris's before the close. Boris's upward reviews show nothing while the
//! cycle runs, then, once Anna closes it, the three together. Anna, who is not their reader, sees
//! none of it, and no device keeps any review in a synced record.

use rapport_e2e::flows::{
    attribute_becomes, click_centred as click, click_css, employ, in_a_synced_record,
    join_by_invitation, photograph, set_field, sign_up_and_upload, stored_anywhere, sync_state,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};
use serde_json::Value;

const CARA_SELF: &str = "Closed Nordwind and trained two newcomers";
const DAN_PEER: &str = "Cara always shares her call notes";
const BORIS_ON_CARA: &str = "A strong quarter; lead the spring campaign";
const UPWARD: [&str; 3] =
    ["Clearer priorities, please", "Keep the weekly 1:1s", "More praise in public"];

/// Makes the person `name` (just employed, their record open) report to `manager`.
async fn reports_to(anna: &Browser, manager: &str) -> E2eResult {
    set_field(anna, "employee-manager-pick-party-search", manager).await?;
    click(anna, "employee-manager-pick-party-match").await?;
    let script = format!(
        "return document.querySelector('[data-testid=employee-manager]')?.textContent.includes({m});",
        m = Value::String(manager.to_owned())
    );
    anna.wait_for_script("the manager set", &script).await
}

/// Fills the form `form` (CSS) with `score` on every scale and `words` in every text box, and sends.
async fn fill(browser: &Browser, form: &str, score: u8, words: &str, send: &str) -> E2eResult {
    browser
        .wait_for_script("the form", &format!("return !!document.querySelector('{form}');"))
        .await?;
    click_css(browser, &format!("{form} [data-kind=scale] input[value=\"{score}\"]")).await?;
    let script = format!(
        "const boxes = [...document.querySelectorAll('{form} textarea')];
         for (const box of boxes) {{
           box.value = {words};
           box.dispatchEvent(new Event('input', {{ bubbles: true }}));
         }}
         return boxes.length;",
        words = Value::String(words.to_owned()),
    );
    browser.eval(&script).await?;
    click_css(browser, &format!("{form} [data-testid={send}]")).await
}

/// The cycle's page, from the Team page's list.
async fn open_cycle(browser: &Browser) -> E2eResult {
    AppShell::open(browser, "/team").await?;
    click_css(browser, "[data-testid=review-cycle-row] a").await?;
    browser.by_testid("review-cycle").await?;
    Ok(())
}

async fn page_text(browser: &Browser) -> E2eResult<String> {
    Ok(browser.by_testid("page-review").await?.text().await?)
}

#[tokio::test]
async fn reviews_reach_their_readers_alone_and_upward_ones_only_together_after_the_close() {
    let name = "reviews_reach_their_readers_alone_and_upward_ones_only_together_after_the_close";
    run(name, |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        let boris = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;
        let mut reports = Vec::new();
        for (email, name) in
            [("cara@example.test", "Cara"), ("dan@example.test", "Dan"), ("eve@example.test", "Eve")]
        {
            let phone = harness.browser(Viewport::Phone).await?;
            join_by_invitation(&anna, &phone, email, name).await?;
            reports.push(phone);
        }
        let (cara, dan, eve) = (&reports[0], &reports[1], &reports[2]);
        employ(&anna, "Anna Petrova", "Anna", "Sales").await?;
        employ(&anna, "Boris Ivanov", "Boris", "Sales").await?;
        reports_to(&anna, "Anna Pet").await?;
        for (full, member) in [("Cara Diaz", "Cara"), ("Dan Berg", "Dan"), ("Eve Lund", "Eve")] {
            employ(&anna, full, member, "Sales").await?;
            reports_to(&anna, "Boris Iv").await?;
        }

        // Anna launches a quarterly cycle, upward reviews shown from three answers.
        AppShell::open(&anna, "/team").await?;
        anna.by_testid("new-review-cycle").await?;
        set_field(&anna, "review-title", "Q4 2026").await?;
        let reach = anna.by_testid("review-reach").await?.text().await?;
        assert!(reach.contains("5 people") && reach.contains("reviewed upward: 1."), "{reach}");
        click(&anna, "launch-review-cycle").await?;
        anna.by_testid("who-reads-what").await?;
        let said = anna.by_testid("who-reads-what").await?.text().await?;
        assert!(said.contains("anonymously") && said.contains("3 or more"), "{said}");

        // Boris asks Dan for a peer review of Cara, and writes his own review of her.
        open_cycle(&boris).await?;
        boris.by_testid("reviews-you-read").await?;
        let subjects = boris
            .eval("return document.querySelectorAll('[data-testid=review-subject]').length;")
            .await?;
        assert_eq!(subjects, Value::from(3), "Cara, Dan and Eve");
        let cara_id = boris
            .eval(
                "return [...document.querySelectorAll('[data-testid=review-subject]')]
                   .find(row => row.querySelector('h3').textContent.trim() === 'Cara')?.dataset.member;",
            )
            .await?;
        let cara_id = cara_id.as_str().unwrap_or_default().to_owned();
        let dan_label = format!(
            "[data-testid=review-subject][data-member=\"{cara_id}\"] [data-testid=peer-picker]"
        );
        click_css(&boris, &format!("{dan_label} summary")).await?;
        let tick = format!(
            "const label = [...document.querySelectorAll('{dan_label} label')].find(l => l.textContent.trim() === 'Dan');
             label.querySelector('input').click(); return true;"
        );
        boris.eval(&tick).await?;
        let boris_form = format!(
            "[data-testid=review-assignment][data-kind=manager][data-about=\"{cara_id}\"] form"
        );
        fill(&boris, &boris_form, 4, BORIS_ON_CARA, "send-review").await?;

        // Cara writes her self review and reviews Boris upward; his review of her waits for the close.
        open_cycle(cara).await?;
        fill(cara, "[data-testid=review-assignment][data-kind=self] form", 4, CARA_SELF, "send-review")
            .await?;
        cara.by_testid("review-written").await?;
        fill(cara, "[data-testid=upward-form]", 2, UPWARD[0], "send-upward").await?;
        cara.by_testid("review-of-me-later").await?;
        // Dan was asked for a peer review of Cara; he and Eve review Boris upward.
        open_cycle(dan).await?;
        let dan_form = format!(
            "[data-testid=review-assignment][data-kind=peer][data-about=\"{cara_id}\"] form"
        );
        fill(dan, &dan_form, 5, DAN_PEER, "send-review").await?;
        fill(dan, "[data-testid=upward-form]", 4, UPWARD[1], "send-upward").await?;
        open_cycle(eve).await?;
        fill(eve, "[data-testid=upward-form]", 3, UPWARD[2], "send-upward").await?;
        for phone in [cara, dan, eve] {
            wait_until("the upward review sent", 90, || async {
                let state = phone
                    .eval("return document.querySelector('[data-testid=upward-answered]')?.dataset.state ?? '';")
                    .await?;
                Ok((state == "sent").then_some(()))
            })
            .await?;
        }

        // Boris reads Cara's self review and Dan's peer review as they come; nothing upward yet.
        let cara_subject = format!("[data-testid=review-subject][data-member=\"{cara_id}\"]");
        boris
            .wait_for_script_within(
                "Cara's self and Dan's peer review",
                60,
                &format!(
                    "const row = document.querySelector('{cara_subject}');
                     return !!row && row.dataset.own === 'true' && row.dataset.peers === '1'
                       && row.dataset.manager === 'true'
                       && row.textContent.includes({cara}) && row.textContent.includes({dan});",
                    cara = Value::String(CARA_SELF.to_owned()),
                    dan = Value::String(DAN_PEER.to_owned()),
                ),
            )
            .await?;
        AppShell::open(&boris, "/team").await?;
        click_css(&boris, "[data-testid=review-cycle-row] a").await?;
        attribute_becomes(&boris, "upward-count", "data-answered", "3").await?;
        attribute_becomes(&boris, "upward-count", "data-shown", "0").await?;
        boris.by_testid("upward-at-close").await?;
        // Cara sees neither Dan's peer review of her nor, before the close, Boris's.
        let caras = page_text(cara).await?;
        assert!(!caras.contains(DAN_PEER) && !caras.contains(BORIS_ON_CARA), "{caras}");
        // Boris's review is still on his phone alone: not in Cara's browser, not at the relay.
        assert!(!stored_anywhere(cara, "meta", BORIS_ON_CARA).await?, "Cara has it before the close");
        assert!(stored_anywhere(&boris, "meta", BORIS_ON_CARA).await?, "kept on Boris's phone");
        boris.by_testid("review-waiting").await?;

        // Anna closes the cycle: Boris is shown the three upward reviews together, Cara his review.
        AppShell::open(&anna, "/team").await?;
        click_css(&anna, "[data-testid=review-cycle-row] a").await?;
        click(&anna, "close-review-cycle").await?;
        attribute_becomes(&anna, "review-cycle", "data-open", "false").await?;
        attribute_becomes(&boris, "upward-count", "data-shown", "3").await?;
        let summary = boris.by_testid("upward-summary").await?.text().await?;
        for words in UPWARD {
            assert!(summary.contains(words), "{summary}");
        }
        assert!(summary.contains("3,0 / 5"), "the mean of 2, 4 and 3, in Russian: {summary}");
        open_cycle(cara).await?;
        let of_cara = cara.by_testid("review-of-me").await?;
        // It left Boris's phone at the close.
        wait_until("Boris's review shown to Cara", 90, || async {
            Ok(of_cara.text().await?.contains(BORIS_ON_CARA).then_some(()))
        })
        .await?;

        // Anna reads none of it: not on her page, not in her browser, not in anyone's records.
        let annas = page_text(&anna).await?;
        for text in [CARA_SELF, DAN_PEER, BORIS_ON_CARA, UPWARD[0]] {
            assert!(!annas.contains(text), "Anna is shown “{text}”");
            assert!(!stored_anywhere(&anna, "meta", text).await?, "Anna's browser keeps “{text}”");
        }
        let no_upward =
            anna.eval("return !document.querySelector('[data-testid=upward-results]');").await?;
        assert_eq!(no_upward, Value::Bool(true));
        for (who, browser) in [("Anna", &anna), ("Boris", &boris), ("Cara", cara), ("Dan", dan)] {
            for text in [CARA_SELF, DAN_PEER, BORIS_ON_CARA, UPWARD[0], UPWARD[1]] {
                assert!(!in_a_synced_record(browser, text).await?, "{who}'s synced records hold “{text}”");
            }
        }

        // The new screens at both sizes: Boris's in Russian, Anna's in English.
        for (browser, language) in [(&boris, "ru"), (&anna, "en")] {
            for (viewport, size) in [(Viewport::Desktop, "1280x800"), (Viewport::Phone, "390x844")] {
                browser.emulate(viewport).await?;
                AppShell::open(browser, "/team").await?;
                browser.by_testid("review-cycles").await?;
                sync_state(browser, "synced", 30).await?;
                browser.eval("document.querySelector('[data-testid=review-cycles]').scrollIntoView(); return 1;").await?;
                photograph(browser, &format!("team-reviews-{size}-{language}")).await?;
                click_css(browser, "[data-testid=review-cycle-row] a").await?;
                browser.by_testid("who-reads-what").await?;
                photograph(browser, &format!("review-cycle-{size}-{language}")).await?;
            }
        }
        boris.eval("document.querySelector('[data-testid=upward-results]').scrollIntoView(); return 1;").await?;
        photograph(&boris, "upward-results-390x844-ru").await?;
        Ok(())
    })
    .await;
}
