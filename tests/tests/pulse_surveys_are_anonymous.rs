//! Anonymous pulse surveys, end to end on a real relay. Anna (the owner, at her desk) employs six
//! colleagues in Sales, each on their own phone — three reading Russian, three English — and starts
//! a weekly engagement pulse. The phones answer; one answers in a tunnel and its answer waits on the
//! phone until the network is back. Anna's dashboard shows nothing while four have answered, the
//! answers once five have, and still those five after the sixth (answers come out a group at a
//! time, so nobody can tell who just answered). A written answer is never in a synced record on any
//! device, and leaves the phone that wrote it once the relay has it.

use rapport_e2e::flows::{
    attribute, attribute_becomes, change_to, click_centred as click, click_css, employ,
    join_by_invitation, photograph, set_field, set_network, sign_up_and_upload, stored_anywhere,
    sync_state,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};

/// Answers the open round on `phone`: a score from 1 to 5, an eNPS and perhaps a few words.
async fn answer(
    phone: &Browser,
    survey: &str,
    scale: u8,
    enps: u8,
    words: Option<&str>,
) -> E2eResult {
    phone.open(survey).await?;
    phone.by_testid("answer-form").await?;
    click_css(
        phone,
        &format!("[data-testid=survey-question][data-kind=scale] input[value=\"{scale}\"]"),
    )
    .await?;
    click_css(
        phone,
        &format!("[data-testid=survey-question][data-kind=enps] input[value=\"{enps}\"]"),
    )
    .await?;
    if let Some(words) = words {
        set_field(phone, "answer-text", words).await?;
    }
    click(phone, "send-answer").await
}

/// Scrolls the panel `testid` to the top of the screen.
async fn show(browser: &Browser, testid: &str) -> E2eResult {
    browser.by_testid(testid).await?;
    let script =
        format!("document.querySelector('[data-testid={testid}]').scrollIntoView(); return 1;");
    browser.eval(&script).await?;
    Ok(())
}

/// Waits until the phone says what became of its answer.
async fn answer_state(phone: &Browser, state: &str) -> E2eResult {
    wait_until(&format!("the answer {state}"), 60, || async {
        Ok((attribute(phone, "answer-state", "data-state").await? == state).then_some(()))
    })
    .await
}

/// Refreshes Anna's dashboard until the open round counts `answered` and `shown` answers are shown.
async fn dashboard_shows(anna: &Browser, answered: u32, shown: u32) -> E2eResult {
    wait_until(&format!("{answered} answered, {shown} shown"), 30, || async {
        click(anna, "refresh-results").await?;
        let counted = attribute(anna, "open-round", "data-answered").await?;
        let showing = attribute(anna, "engagement-view", "data-shown").await?;
        Ok((counted == answered.to_string() && showing == shown.to_string()).then_some(()))
    })
    .await
}

#[tokio::test]
async fn a_pulse_answered_on_six_phones_is_shown_only_from_five_answers_and_names_nobody() {
    let name = "a_pulse_answered_on_six_phones_is_shown_only_from_five_answers_and_names_nobody";
    run(name, |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        let people = ["Boris", "Vera", "Chris", "Dana", "Egor", "Fay"];
        let mut phones = Vec::new();
        for (i, person) in people.iter().enumerate() {
            let language = if i % 2 == 0 { "ru-RU" } else { "en-US" };
            let phone = harness.browser_speaking(Viewport::Phone, language).await?;
            let email = format!("{}@example.test", person.to_lowercase());
            join_by_invitation(&anna, &phone, &email, person).await?;
            phones.push(phone);
        }
        for person in people {
            employ(&anna, &format!("{person} Sales"), person, "Sales").await?;
        }

        // Anna starts a weekly pulse from the starter questions: shown from five answers, five at a
        // time.
        AppShell::open(&anna, "/team").await?;
        attribute_becomes(&anna, "new-survey-asked", "data-count", "6").await?;
        click(&anna, "new-survey-create").await?;
        anna.by_testid("engagement").await?;
        let survey = anna.path().await?;
        assert!(survey.starts_with("/team/surveys/"), "{survey}");
        // Her device registers the round at the relay: it counts six invited.
        wait_until("the round registered", 30, || async {
            click(&anna, "refresh-results").await?;
            let open = attribute(&anna, "open-round", "data-invited").await?;
            Ok((open == "6").then_some(()))
        })
        .await?;

        // Each phone finds it on its team page, to answer.
        for phone in &phones {
            AppShell::open(phone, "/team").await?;
            phone.by_testid("survey-to-answer").await?;
        }
        // Before answering, the form on a phone, in Russian and in English.
        for (phone, language) in [(&phones[4], "ru"), (&phones[5], "en")] {
            for (viewport, size) in [(Viewport::Desktop, "1280x800"), (Viewport::Phone, "390x844")]
            {
                phone.emulate(viewport).await?;
                phone.open(&survey).await?;
                phone.by_testid("answer-form").await?;
                sync_state(phone, "synced", 30).await?;
                photograph(phone, &format!("survey-answer-{size}-{language}")).await?;
            }
        }

        // Four answer: nothing is shown yet.
        let words = "Более гибкий график, пожалуйста";
        answer(&phones[0], &survey, 4, 9, Some(words)).await?;
        answer(&phones[1], &survey, 5, 10, None).await?;
        answer(&phones[2], &survey, 3, 6, None).await?;
        answer(&phones[3], &survey, 4, 8, None).await?;
        for phone in &phones[..4] {
            answer_state(phone, "sent").await?;
        }
        dashboard_shows(&anna, 4, 0).await?;
        anna.by_testid("nothing-shown").await?;

        // The fifth answers in a tunnel: the answer waits on the phone, and the relay has four.
        set_network(&phones[4], false).await?;
        sync_state(&phones[4], "offline", 30).await?;
        answer(&phones[4], &survey, 2, 3, Some("Too many meetings")).await?;
        answer_state(&phones[4], "waiting").await?;
        assert!(
            stored_anywhere(&phones[4], "meta", "Too many meetings").await?,
            "the waiting answer is on the phone"
        );
        dashboard_shows(&anna, 4, 0).await?;
        // Out of the tunnel, it goes by itself, and the five are shown.
        set_network(&phones[4], true).await?;
        answer_state(&phones[4], "sent").await?;
        dashboard_shows(&anna, 5, 5).await?;
        let score = anna.by_testid("engagement-score").await?.text().await?;
        assert!(score.starts_with("3.6"), "(4 + 5 + 3 + 4 + 2) / 5: {score}");
        let enps = anna.by_testid("engagement-enps").await?.text().await?;
        assert_eq!(enps, "0", "two promoters, two detractors of five");
        let comments = anna.by_testid("comments").await?.text().await?;
        assert!(comments.contains(words) && comments.contains("Too many meetings"), "{comments}");

        // The sixth: counted, but not shown until a group of five more (or the close).
        answer(&phones[5], &survey, 5, 10, None).await?;
        answer_state(&phones[5], "sent").await?;
        dashboard_shows(&anna, 6, 5).await?;

        // The words are in no synced record on any device, and left the phones that wrote them.
        for (i, browser) in phones.iter().chain([&anna]).enumerate() {
            for text in [words, "Too many meetings"] {
                assert!(
                    !stored_anywhere(browser, "rows", text).await?,
                    "device {i} keeps “{text}” in a record"
                );
            }
        }
        assert!(
            !stored_anywhere(&phones[0], "meta", words).await?,
            "the sent answer stays on the phone"
        );
        assert!(!stored_anywhere(&phones[4], "meta", "Too many meetings").await?);

        // The dashboard and the answered page, in English and Russian at both sizes.
        for (viewport, size) in [(Viewport::Desktop, "1280x800"), (Viewport::Phone, "390x844")] {
            anna.emulate(viewport).await?;
            for language in ["en", "ru"] {
                AppShell::open(&anna, "/settings").await?;
                change_to(&anna, "language", language).await?;
                anna.open(&survey).await?;
                dashboard_shows(&anna, 6, 5).await?;
                anna.eval("window.scrollTo(0, 0); return 1;").await?;
                photograph(&anna, &format!("survey-dashboard-{size}-{language}")).await?;
                // The Team page's surveys, with the form for a new one.
                AppShell::open(&anna, "/team").await?;
                show(&anna, "surveys").await?;
                photograph(&anna, &format!("team-surveys-{size}-{language}")).await?;
            }
            AppShell::open(&anna, "/settings").await?;
            change_to(&anna, "language", "en").await?;
            for (phone, language) in [(&phones[0], "ru"), (&phones[1], "en")] {
                phone.emulate(viewport).await?;
                AppShell::open(phone, "/team").await?;
                phone.by_testid("survey-answered").await?;
                sync_state(phone, "synced", 30).await?;
                show(phone, "surveys").await?;
                photograph(phone, &format!("team-answered-{size}-{language}")).await?;
            }
        }
        Ok(())
    })
    .await;
}
