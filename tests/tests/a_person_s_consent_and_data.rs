//! A person's consent and their rights over their data, end to end on the real relay. Anna (at her
//! desk, in English, the workspace's owner) records that Clara agreed to marketing email — when, by
//! whom and how are kept with the answer — and Boris (on his phone, in Russian, a member) sees the
//! same. Clara asks for her data: one JSON file holds her record, the call with her and the list
//! she is on. Then she asks to be erased: Anna reads what erasure changes and what it cannot reach,
//! confirms, and on both devices nothing of Clara is left in any record — her record says only when
//! and by whom it was erased, the call with her alone is gone, the list no longer has her, the
//! relay no longer serves her file — while a colleague, Edith, is untouched.

use rapport_e2e::flows::{
    add_party, api_session, click_centred as click, download, downloads_into, join_by_invitation,
    new_list_with, nothing_unsynced, open_record, photograph, set_field, sign_up_and_upload,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run_with_relay_args, wait_until};

/// Answers consent question `question` ("email_marketing", …) with `answer` ("yes", "no", "").
async fn answer(browser: &Browser, question: &str, answer: &str) -> E2eResult {
    browser
        .eval(&format!(
            "const f = document.querySelector('[data-testid=consent-{question}] select'); f.value = {answer:?};
             f.dispatchEvent(new Event('change', {{ bubbles: true }})); return 1;"
        ))
        .await?;
    Ok(())
}

/// What the page says of how `question` was answered, once it says `expected` somewhere in it.
async fn recorded_when(browser: &Browser, question: &str, expected: &str) -> E2eResult<String> {
    wait_until(&format!("consent {question} recorded with “{expected}”"), 30, || async {
        let text = browser
            .eval(&format!(
                "return document.querySelector('[data-testid=consent-{question}] [data-testid=consent-recorded]')?.textContent ?? '';"
            ))
            .await?;
        let text = text.as_str().unwrap_or_default().to_owned();
        Ok(text.contains(expected).then_some(text))
    })
    .await
}

/// Brings the privacy panel to the middle of the screen, as a person scrolls to it.
async fn show_privacy(browser: &Browser) -> E2eResult {
    browser.by_testid("privacy-panel").await?;
    browser
        .eval("document.querySelector('[data-testid=privacy-panel]').scrollIntoView({ block: 'center' }); return 1;")
        .await?;
    Ok(())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn consent_is_kept_with_its_source_and_a_person_is_exported_then_erased_everywhere() {
    let folder = tempfile::tempdir().unwrap();
    let form = folder.path().join("consent-form.txt");
    let form_bytes = b"Clara Schumann agrees to hear about our fairs. Signed 2026-12-01.".to_vec();
    std::fs::write(&form, &form_bytes).unwrap();
    let form_hash = sha256_hex(&form_bytes);
    let exported = tempfile::tempdir().unwrap();
    let exported_path = exported.path().to_owned();
    let form_path = form.clone();
    let name = "consent_is_kept_with_its_source_and_a_person_is_exported_then_erased";
    run_with_relay_args(name, &[], move |harness| async move {
        let relay = harness.relay().url().to_owned();
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        let boris = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;
        for name in ["Clara Schumann", "Edith Piaf"] {
            AppShell::open(&anna, "/parties").await?;
            add_party(&anna, name).await?;
        }
        open_record(&anna, "Clara").await?;
        set_field(&anna, "party-email", "clara@example.com").await?;
        click(&anna, "save-party").await?;
        anna.by_testid("email-link").await?;
        // A call with Clara alone, and her signed form attached to her record.
        click(&anna, "log-call-link").await?;
        anna.by_testid("log-summary").await?.send_keys("Talked about the spring fair").await?;
        click(&anna, "save-log").await?;
        anna.text_when("log-done", |t| t.contains("Clara")).await?;
        anna.by_testid("file-attach").await?.send_keys(form_path.to_str().unwrap()).await?;
        wait_until("the form at the relay", 30, || async {
            let waiting = anna.eval("return document.querySelectorAll('[data-testid=file-state]').length;").await?;
            let listed = anna.eval("return document.querySelectorAll('[data-testid=file]').length;").await?;
            Ok((waiting == 0 && listed == 1).then_some(()))
        })
        .await?;
        let clara_page = anna.path().await?;
        let clara = clara_page.rsplit('/').next().unwrap_or_default().to_owned();
        // Clara and Edith on a list.
        let list_page = new_list_with(&anna, "Fair visitors", &["Clara", "Edith"]).await?;

        // Clara agreed at the fair: the answer is kept with when, by whom and how.
        anna.open(&clara_page).await?;
        show_privacy(&anna).await?;
        set_field(&anna, "consent-source", "Signed form at the spring fair").await?;
        answer(&anna, "email_marketing", "yes").await?;
        let said = recorded_when(&anna, "email_marketing", "Signed form at the spring fair").await?;
        assert!(said.contains("Anna"), "{said}");
        anna.wait_for_script(
            "the source field emptied for the next answer",
            "return document.querySelector('[data-testid=consent-source]').value === '';",
        )
        .await?;
        // Calls: she said no on the phone, with no source given.
        answer(&anna, "phone_calls", "no").await?;
        recorded_when(&anna, "phone_calls", "Anna").await?;
        photograph(&anna, "privacy-1280x800-en").await?;
        anna.emulate(Viewport::Phone).await?;
        show_privacy(&anna).await?;
        photograph(&anna, "privacy-390x844-en").await?;
        anna.emulate(Viewport::Desktop).await?;

        // Boris, on his phone, in Russian: the same answers and how they were given; a member
        // exports but does not erase.
        AppShell::open(&boris, "/parties").await?;
        open_record(&boris, "Clara").await?;
        show_privacy(&boris).await?;
        recorded_when(&boris, "email_marketing", "Signed form at the spring fair").await?;
        let value = boris
            .eval("return document.querySelector('[data-testid=consent-email_marketing] select').value;")
            .await?;
        assert_eq!(value, "yes");
        let panel = boris.by_testid("privacy-panel").await?.text().await?;
        assert!(panel.contains("Согласия"), "{panel}");
        assert!(boris.has_testid("export-person").await?);
        assert!(!boris.has_testid("erase-person").await?, "only owners and admins erase");
        photograph(&boris, "privacy-390x844-ru").await?;
        boris.emulate(Viewport::Desktop).await?;
        show_privacy(&boris).await?;
        photograph(&boris, "privacy-1280x800-ru").await?;
        boris.emulate(Viewport::Phone).await?;

        // Clara asks for her data: one file with her record, the call and the list.
        downloads_into(&anna, &exported_path).await?;
        let file = download(&anna, "export-person", &exported_path, "json").await?;
        let export: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        assert_eq!(export["format"], "rapport-personal-data");
        assert_eq!(export["person"], clara.as_str());
        let record = &export["records"][clara.as_str()];
        assert_eq!(record["name"], "Clara Schumann", "{export}");
        assert_eq!(record["consent"]["recorded"]["email_marketing"]["source"], "Signed form at the spring fair");
        let mentioned = export["mentioned_in"].to_string();
        assert!(mentioned.contains("Talked about the spring fair"), "{mentioned}");
        assert!(mentioned.contains("Fair visitors"), "{mentioned}");
        assert!(!export.to_string().contains("Edith"), "nothing only about Edith");
        assert_eq!(export["exported_by"], "Anna");

        // Then she asks to be erased: Anna reads what it changes and what it cannot reach first.
        show_privacy(&anna).await?;
        click(&anna, "erase-person").await?;
        let plan = anna.by_testid("erase-plan").await?.text().await?;
        for line in ["empty their records (1)", "delete interactions with nobody else: 1", "take them off lists: 1", "delete files attached only to them, at the relay: 1"] {
            assert!(plan.contains(line), "“{line}” in {plan}");
        }
        assert!(anna.by_testid("erase-history").await?.text().await?.contains("history"));
        anna.eval("document.querySelector('[data-testid=erase-plan]').scrollIntoView({ block: 'center' }); return 1;")
            .await?;
        photograph(&anna, "erase-plan-1280x800-en").await?;
        click(&anna, "erase-confirm").await?;
        anna.by_testid("party-erased").await?;
        assert!(anna.by_testid("party-erased").await?.text().await?.contains("by Anna"));
        assert!(!anna.has_testid("privacy-panel").await?, "nothing of her is shown");
        nothing_unsynced(&anna).await?;

        // The relay no longer serves her form.
        let (client, cookie, workspace) = api_session(&relay, "anna@example.test").await;
        let served = client
            .get(format!("{relay}/api/workspaces/{workspace}/files/{form_hash}"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(served.status(), 404);

        // Boris's phone: her record erased, gone from the people list, the list has Edith only.
        boris.open(&clara_page).await?;
        boris.by_testid("party-erased").await?;
        photograph(&boris, "party-erased-390x844-ru").await?;
        boris.open(&list_page).await?;
        wait_until("Edith alone on the list", 30, || async {
            let text = boris.by_testid("list-members").await?.text().await?;
            Ok((text.contains("Edith") && !text.contains("Clara")).then_some(()))
        })
        .await?;
        AppShell::open(&boris, "/parties").await?;
        wait_until("Clara gone from the people list", 30, || async {
            let text = boris.eval("return document.querySelector('main').textContent;").await?;
            let text = text.as_str().unwrap_or_default().to_owned();
            Ok((text.contains("Edith") && !text.contains("Clara")).then_some(()))
        })
        .await?;
        AppShell::open(&anna, "/parties").await?;
        open_record(&anna, "Edith").await?;
        anna.by_testid("privacy-panel").await?;

        for browser in [&anna, &boris] {
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
