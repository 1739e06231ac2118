//! A record's page reads like a profile: its name is the page's title; a header says where they work and
//! as what, their roles, owner and last contact; every way to reach them (several emails, phones,
//! websites, addresses), birthday, anniversary and the notes are on the page and editable; one tap logs a call and brings the
//! user back to the record with the call on top of a timeline grouped by day with an icon per kind and a
//! filter; "Add deal" opens a deal with them.

use rapport_e2e::flows::{add_party, click_centred, field_becomes, open_record, set_field};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};

async fn text(browser: &Browser, testid: &str) -> E2eResult<String> {
    Ok(browser.by_testid(testid).await?.text().await?)
}

async fn kinds_on_timeline(browser: &Browser) -> E2eResult<Vec<String>> {
    let kinds = browser
        .eval("return [...document.querySelectorAll('[data-testid=timeline-item]')].map(e => e.dataset.kind);")
        .await?;
    Ok(serde_json::from_value(kinds).unwrap_or_default())
}

#[tokio::test]
async fn a_record_reads_like_a_profile_and_every_field_is_editable() {
    run("a_record_reads_like_a_profile", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/parties").await?;
        add_party(&browser, "Nordwind GmbH").await?;
        add_party(&browser, "Zoe Quinn").await?;
        open_record(&browser, "Nordwind").await?;
        click_centred(&browser, "kind-organisation").await?;
        AppShell::open(&browser, "/parties").await?;
        open_record(&browser, "Zoe").await?;
        browser.text_becomes("page-title", "Zoe Quinn").await?;

        // Where she works, and as what: the header says so.
        browser.by_testid("works-at-party-search").await?.send_keys("Nordw").await?;
        click_centred(&browser, "works-at-party-match").await?;
        browser.by_testid("job-title").await?.send_keys("Head of Logistics\n").await?;
        browser.text_when("record-subtitle", |t| t == "Head of Logistics · Nordwind GmbH").await?;
        click_centred(&browser, "party-role").await?;
        browser.text_when("record-role", |t| t == "Customer").await?;
        assert_eq!(text(&browser, "record-last-contact").await?, "No contact yet");

        // Two emails, a phone, a website and an address, and notes; kept after a reload.
        set_field(&browser, "party-email", "zoe@nordwind.de").await?;
        click_centred(&browser, "party-email-add").await?;
        set_field(&browser, "party-email-2", "zoe.quinn@home.example").await?;
        browser
            .eval("const s = document.querySelector('[data-testid=party-email-2-label]'); s.value = 'home'; s.dispatchEvent(new Event('change', { bubbles: true })); return 1;")
            .await?;
        set_field(&browser, "party-phone", "+49 40 123456").await?;
        set_field(&browser, "party-website", "https://nordwind.example").await?;
        click_centred(&browser, "address-add").await?;
        set_field(&browser, "address-street-1", "Hafenstraße 1").await?;
        set_field(&browser, "address-city-1", "Hamburg").await?;
        set_field(&browser, "address-country-1", "Germany").await?;
        set_field(&browser, "party-notes", "Prefers calls before ten.").await?;
        // A birthday as people type it; a date that is not one is refused with the reason.
        set_field(&browser, "party-birthday", "17.05.1980").await?;
        set_field(&browser, "party-anniversary", "sometime in June").await?;
        click_centred(&browser, "save-party").await?;
        browser.text_when("party-form-error", |t| t.contains("sometime in June") && t.contains("not a date")).await?;
        set_field(&browser, "party-anniversary", "--06-21").await?;
        click_centred(&browser, "save-party").await?;
        wait_until("the record to be saved", 10, || async {
            Ok(browser.has_testid("email-link").await?.then_some(()))
        })
        .await?;
        browser.driver().refresh().await?;
        field_becomes(&browser, "party-email-2", "zoe.quinn@home.example", 10).await?;
        field_becomes(&browser, "party-website", "https://nordwind.example", 5).await?;
        field_becomes(&browser, "address-city-1", "Hamburg", 5).await?;
        field_becomes(&browser, "party-notes", "Prefers calls before ten.", 5).await?;
        field_becomes(&browser, "party-birthday", "1980-05-17", 5).await?;
        field_becomes(&browser, "party-anniversary", "--06-21", 5).await?;
        let label = browser.eval("return document.querySelector('[data-testid=party-email-2-label]').value;").await?;
        assert_eq!(label, "home");
        let call = browser.eval("return document.querySelector('[data-testid=call-link]').getAttribute('href');").await?;
        assert_eq!(call, "tel:+4940123456");
        browser.screenshot("record-1280x800-en").await?;

        // One tap logs a call; back on the record, the call tops the timeline.
        click_centred(&browser, "log-call-link").await?;
        browser.by_testid("log-summary").await?.send_keys("Agreed on a visit").await?;
        click_centred(&browser, "save-log").await?;
        browser.text_when("log-done", |t| t.contains("Zoe Quinn")).await?;
        assert!(browser.path().await?.starts_with("/parties/"), "back on the record");
        wait_until("the call on top of the timeline", 10, || async {
            Ok(kinds_on_timeline(&browser).await?.first().is_some_and(|k| k == "call").then_some(()))
        })
        .await?;
        browser.by_testid("timeline-day").await?;
        assert!(!text(&browser, "record-last-contact").await?.contains("No contact"), "last contact is now");

        // Next steps and the filter: tasks only, calls only.
        browser.by_testid("new-task-title").await?.send_keys("Send the offer\n").await?;
        wait_until("the task on the timeline", 10, || async {
            Ok(kinds_on_timeline(&browser).await?.iter().any(|k| k == "task").then_some(()))
        })
        .await?;
        browser.eval("document.querySelector('[data-testid=timeline-filter][data-show=calls]').click(); return 1;").await?;
        wait_until("only calls", 10, || async {
            Ok((kinds_on_timeline(&browser).await? == ["call"]).then_some(()))
        })
        .await?;
        browser.eval("document.querySelector('[data-testid=timeline-filter][data-show=all]').click(); return 1;").await?;

        // "Add deal" opens a new deal with her chosen.
        click_centred(&browser, "add-deal-link").await?;
        browser.text_when("new-deal-party", |t| t == "Zoe Quinn").await?;
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_record_fits_a_phone_and_speaks_russian() {
    run("a_record_on_a_phone", |harness| async move {
        for (viewport, language, size) in
            [(Viewport::Phone, "en", "390x844"), (Viewport::Phone, "ru", "390x844"), (Viewport::Desktop, "ru", "1280x800")]
        {
            let browser = harness.browser_speaking(viewport, language).await?;
            AppShell::open(&browser, "/parties").await?;
            add_party(&browser, "Борис Пастернак").await?;
            open_record(&browser, "Борис").await?;
            browser.text_becomes("page-title", "Борис Пастернак").await?;
            set_field(&browser, "party-phone", "+7 900 123-45-67").await?;
            click_centred(&browser, "save-party").await?;
            browser.by_testid("call-link").await?;
            let overflow = browser
                .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                .await?;
            assert_eq!(overflow, 0, "nothing scrolls sideways at {size} in {language}");
            browser.screenshot(&format!("record-{size}-{language}")).await?;
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
