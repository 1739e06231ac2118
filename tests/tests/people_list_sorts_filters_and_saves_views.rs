//! The people list: role chips, a tag filter, sorting, saved views that come back after a reload, and
//! a virtualised list that renders only the rows in view while scrolling through hundreds. The record
//! page sets kind and roles, checks email and phone formats, and links a person to an organisation,
//! which then lists them.

use rapport_e2e::flows::{
    add_party, click_css, field_becomes, open_record, party_count, set_field,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eError, E2eResult, Viewport, run, wait_until};
use serde_json::Value;

async fn row_names(browser: &Browser) -> E2eResult<Vec<String>> {
    let value = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=party-row]')]
                .map(r => [r.getBoundingClientRect().top, r.querySelector('.row-title').textContent])
                .sort((a, b) => a[0] - b[0]).map(r => r[1]);",
        )
        .await?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

async fn first_rows_are(browser: &Browser, expected: &[&str]) -> E2eResult {
    wait_until(&format!("the list to start with {expected:?}"), 10, || async {
        let names = row_names(browser).await?;
        Ok((names.len() >= expected.len() && names[..expected.len()] == *expected).then_some(()))
    })
    .await
}

async fn select(browser: &Browser, testid: &str, value: &str) -> E2eResult {
    browser.by_testid(testid).await?;
    browser
        .eval(&format!(
            "const s = document.querySelector('[data-testid={testid}]'); s.value = {value};
             s.dispatchEvent(new Event('change', {{ bubbles: true }})); return s.value;",
            value = Value::String(value.to_owned())
        ))
        .await?;
    Ok(())
}

#[tokio::test]
async fn the_people_list_filters_by_role_and_tag_sorts_and_keeps_saved_views() {
    run("the_people_list_filters_by_role_and_tag_sorts_and_keeps_saved_views", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/parties").await?;
        for name in ["Romashka LLC", "Ivan Petrov", "Anna Weber"] {
            add_party(&browser, name).await?;
        }
        party_count(&browser, 3).await?;

        // Romashka is an organisation and a supplier.
        open_record(&browser, "Romashka").await?;
        click_css(&browser, "[data-testid=kind-organisation]").await?;
        click_css(&browser, "[data-testid=party-role][data-role=supplier]").await?;
        browser.wait_for_script(
            "the supplier role to be on",
            "return document.querySelector('[data-testid=party-role][data-role=supplier]').getAttribute('aria-pressed') === 'true';",
        ).await?;

        // Ivan: a customer with tags, who works at Romashka; a bad email is refused with a reason.
        open_record(&browser, "Ivan").await?;
        click_css(&browser, "[data-testid=party-role][data-role=customer]").await?;
        set_field(&browser, "party-email", "ivan-at-romashka").await?;
        browser.by_testid("save-party").await?.click().await?;
        let error = browser.by_testid("party-form-error").await?.text().await?;
        assert!(error.contains("is not an email address"), "{error}");
        set_field(&browser, "party-email", "ivan@romashka.ru").await?;
        set_field(&browser, "party-phone", "12").await?;
        browser.by_testid("save-party").await?.click().await?;
        let error = browser.by_testid("party-form-error").await?.text().await?;
        assert!(error.contains("is not a phone number"), "{error}");
        set_field(&browser, "party-phone", "+7 495 123-45-67").await?;
        set_field(&browser, "party-tags", "vip, moscow, vip").await?;
        browser.by_testid("save-party").await?.click().await?;
        wait_until("the record to be saved", 10, || async {
            Ok((!browser.has_testid("party-form-error").await?
                && browser.by_testid("save-party").await?.text().await? == "Save")
                .then_some(()))
        })
        .await?;
        browser.by_testid("works-at-party-search").await?.send_keys("Romash").await?;
        click_css(&browser, "[data-testid=works-at-party-match]").await?;
        let works_at = browser.by_testid("works-at").await?.text().await?;
        assert!(works_at.contains("Romashka LLC"), "{works_at}");
        browser.screenshot("record-profile-1280x800").await?;

        // The organisation lists its people.
        AppShell::open(&browser, "/parties").await?;
        open_record(&browser, "Romashka").await?;
        let here = browser.by_testid("person-here").await?.text().await?;
        assert_eq!(here, "Ivan Petrov");

        // Role chips, tag filter, sort, search by the organisation's name.
        AppShell::open(&browser, "/parties").await?;
        party_count(&browser, 3).await?;
        click_css(&browser, "[data-testid=role-chip][data-role=supplier]").await?;
        party_count(&browser, 1).await?;
        first_rows_are(&browser, &["Romashka LLC"]).await?;
        click_css(&browser, "[data-testid=role-chip][data-role=customer]").await?;
        party_count(&browser, 1).await?;
        first_rows_are(&browser, &["Ivan Petrov"]).await?;
        click_css(&browser, "[data-testid=role-chip][data-role=all]").await?;
        party_count(&browser, 3).await?;
        first_rows_are(&browser, &["Anna Weber", "Ivan Petrov", "Romashka LLC"]).await?;
        select(&browser, "party-tag", "vip").await?;
        party_count(&browser, 1).await?;
        select(&browser, "party-tag", "").await?;
        select(&browser, "party-sort", "newest").await?;
        first_rows_are(&browser, &["Anna Weber", "Ivan Petrov", "Romashka LLC"]).await?;
        // The Name heading sorts by name; a second click, the other way.
        click_css(&browser, "[data-testid=sort-by-name]").await?;
        first_rows_are(&browser, &["Anna Weber", "Ivan Petrov", "Romashka LLC"]).await?;
        click_css(&browser, "[data-testid=sort-by-name]").await?;
        first_rows_are(&browser, &["Romashka LLC", "Ivan Petrov", "Anna Weber"]).await?;
        let sorted = browser
            .eval("return document.querySelector('[data-testid=sort-by-name]').parentElement.getAttribute('aria-sort');")
            .await?;
        assert_eq!(sorted, "descending");
        let chosen = browser.eval("return document.querySelector('[data-testid=party-sort]').value;").await?;
        assert_eq!(chosen, "name-descending", "the sort menu follows the heading");
        select(&browser, "party-sort", "name").await?;
        browser.by_testid("party-search").await?.send_keys("romashka").await?;
        party_count(&browser, 2).await?;
        browser.by_testid("party-search").await?.clear().await?;
        browser.eval("document.querySelector('[data-testid=party-search]').dispatchEvent(new Event('input')); return 1;").await?;
        party_count(&browser, 3).await?;

        // A saved view comes back after a reload.
        click_css(&browser, "[data-testid=role-chip][data-role=customer]").await?;
        click_css(&browser, "[data-testid=new-view]").await?;
        browser.by_testid("view-name").await?.send_keys("My customers").await?;
        browser.by_testid("save-view").await?.click().await?;
        browser.by_testid("saved-view").await?;
        AppShell::open(&browser, "/parties").await?;
        party_count(&browser, 3).await?;
        click_css(&browser, "[data-testid=saved-view]").await?;
        party_count(&browser, 1).await?;
        first_rows_are(&browser, &["Ivan Petrov"]).await?;
        let pressed = browser
            .eval("return document.querySelector('[data-testid=role-chip][data-role=customer]').getAttribute('aria-pressed');")
            .await?;
        assert_eq!(pressed, "true");
        browser.screenshot("people-list-1280x800").await?;
        click_css(&browser, "[data-testid=remove-view]").await?;
        wait_until("the view to be removed", 10, || async {
            Ok((!browser.has_testid("saved-view").await?).then_some(()))
        })
        .await?;
        field_becomes(&browser, "party-search", "", 5).await?;
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn hundreds_of_people_scroll_with_only_the_rows_in_view_rendered() {
    run("hundreds_of_people_scroll_with_only_the_rows_in_view_rendered", |harness| async move {
        const PEOPLE: usize = 600;
        let dir = tempfile::tempdir()
            .map_err(|source| E2eError::Io { what: "a temp dir".into(), source })?;
        let file = dir.path().join("people.csv");
        let mut csv = String::from("Name,E-mail Address\n");
        for n in 0..PEOPLE {
            csv += &format!("Person {n:04},person{n}@example.test\n");
        }
        std::fs::write(&file, csv)
            .map_err(|source| E2eError::Io { what: "writing the CSV".into(), source })?;

        let browser = harness.browser(Viewport::Phone).await?;
        AppShell::open(&browser, "/import-export").await?;
        browser.by_testid("import-file").await?.send_keys(file.to_str().unwrap_or_default()).await?;
        browser.wait_for_script(
            "the preview",
            &format!("return document.querySelector('[data-testid=import-plan]')?.textContent === '{PEOPLE} new · 0 already in Rapport · 0 skipped';"),
        ).await?;
        click_css(&browser, "[data-testid=start-import]").await?;
        // Six hundred records are written in batches under a moving progress bar: a person waits for
        // it as long as it moves, and a busy machine (CI runs browsers side by side) can take long.
        browser
            .wait_for_script_within(
                "the import's report",
                90,
                "return !!document.querySelector('[data-testid=import-report]');",
            )
            .await?;

        AppShell::open(&browser, "/parties").await?;
        party_count(&browser, PEOPLE).await?;
        first_rows_are(&browser, &["Person 0000", "Person 0001"]).await?;
        let rendered = browser.eval("return document.querySelectorAll('[data-testid=party-row]').length;").await?;
        let rendered = rendered.as_u64().unwrap_or(u64::MAX);
        assert!(rendered < 60, "{rendered} rows rendered for {PEOPLE}");
        browser.screenshot("people-list-390x844").await?;

        // To the end: the last people are rendered, the first are not.
        browser
            .eval("window.scrollTo(0, document.documentElement.scrollHeight); return 1;")
            .await?;
        wait_until("the last person to be rendered", 10, || async {
            let names = row_names(&browser).await?;
            Ok((names.last().map(String::as_str) == Some("Person 0599")
                && !names.iter().any(|n| n == "Person 0000"))
            .then_some(()))
        })
        .await?;
        // Half way, by a real wheel: the rows around the middle.
        browser
            .eval("window.scrollTo(0, 0); return 1;")
            .await?;
        first_rows_are(&browser, &["Person 0000"]).await?;
        browser
            .eval(&format!(
                // The list's top on the page, plus that many rows of the height the style sheet gives.
                "const list = document.querySelector('[data-testid=party-list]');
                 const row = parseFloat(getComputedStyle(list).getPropertyValue('--row'));
                 window.scrollTo(0, list.getBoundingClientRect().top + scrollY + {} * row); return 1;",
                PEOPLE / 2
            ))
            .await?;
        wait_until("the middle to be rendered", 10, || async {
            let names = row_names(&browser).await?;
            Ok(names.iter().any(|n| n == &format!("Person {:04}", PEOPLE / 2)).then_some(()))
        })
        .await?;
        open_record(&browser, &format!("Person {:04}", PEOPLE / 2 + 1)).await?;
        field_becomes(&browser, "party-email", &format!("person{}@example.test", PEOPLE / 2 + 1), 5).await?;
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    })
    .await;
}
