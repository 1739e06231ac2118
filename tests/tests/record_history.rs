//! A record's history: every field change with when (and who, in a shared workspace), an earlier value
//! restored as a new change that survives a reload, and the record as it was on a chosen day.

use rapport_e2e::flows::{add_party, field_becomes, open_record, set_field};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};

/// The history's lines (field and text), newest first.
async fn history(browser: &Browser) -> E2eResult<Vec<(String, String)>> {
    let value = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=history-line]')]
                .map(e => [e.dataset.field, e.querySelector('.row-title').textContent]);",
        )
        .await?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

async fn first_name_line_becomes(browser: &Browser, text: &str) -> E2eResult {
    wait_until(&format!("the newest name change to read {text:?}"), 10, || async {
        let lines = history(browser).await?;
        let newest = lines.iter().find(|(field, _)| field == "name").map(|(_, t)| t.clone());
        Ok((newest.as_deref() == Some(text)).then_some(()))
    })
    .await
}

async fn save(browser: &Browser) -> E2eResult {
    browser.by_testid("save-party").await?.click().await?;
    wait_until("the save to finish", 10, || async {
        let idle = browser
            .eval(
                "return document.querySelector('[data-testid=save-party]').textContent === 'Save';",
            )
            .await?;
        Ok((idle == true).then_some(()))
    })
    .await
}

async fn set_day(browser: &Browser, days_from_today: i32) -> E2eResult {
    browser.by_testid("as-of-date").await?;
    browser
        .eval(&format!(
            "const d = new Date(); d.setDate(d.getDate() + ({days_from_today}));
             const v = `${{d.getFullYear()}}-${{String(d.getMonth() + 1).padStart(2, '0')}}-${{String(d.getDate()).padStart(2, '0')}}`;
             const input = document.querySelector('[data-testid=as-of-date]');
             input.value = v; input.dispatchEvent(new Event('input', {{ bubbles: true }})); return v;"
        ))
        .await?;
    Ok(())
}

async fn as_of_reads(browser: &Browser, text: &str) -> E2eResult {
    wait_until(&format!("the record as of that day to read {text:?}"), 10, || async {
        let shown = browser
            .eval("return document.querySelector('[data-testid=as-of]')?.textContent ?? '';")
            .await?;
        Ok(shown.as_str().is_some_and(|s| s.contains(text)).then_some(()))
    })
    .await
}

#[tokio::test]
async fn an_earlier_value_is_restored_from_the_history() {
    run("an_earlier_value_is_restored_from_the_history", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/parties").await?;
        add_party(&browser, "Nordwind GmbH").await?;
        open_record(&browser, "Nordwind").await?;
        set_field(&browser, "party-email", "info@nordwind.de").await?;
        save(&browser).await?;
        set_field(&browser, "party-name", "Nordwind AG").await?;
        save(&browser).await?;

        browser.by_testid("history-open").await?.click().await?;
        first_name_line_becomes(&browser, "Name changed from Nordwind GmbH to Nordwind AG").await?;
        let lines = history(&browser).await?;
        assert!(lines.iter().any(|(field, _)| field == "emails"), "{lines:?}");
        assert!(
            lines.iter().any(|(field, text)| field == "name" && text == "Name set to Nordwind GmbH"),
            "the creation is listed: {lines:?}"
        );

        // Restore the old name: the form shows it, and the restore is itself in the history.
        let restored = browser
            .eval(
                "const line = [...document.querySelectorAll('[data-testid=history-line][data-field=name]')][0];
                 const button = line.querySelector('[data-testid=history-restore]');
                 button.scrollIntoView({ block: 'center' }); button.click(); return button.textContent;",
            )
            .await?;
        assert_eq!(restored, "Restore Nordwind GmbH");
        field_becomes(&browser, "party-name", "Nordwind GmbH", 10).await?;
        first_name_line_becomes(&browser, "Name changed from Nordwind AG to Nordwind GmbH").await?;

        // Kept: after a reload, the list and the record say so.
        browser.driver().refresh().await?;
        field_becomes(&browser, "party-name", "Nordwind GmbH", 10).await?;
        browser.by_testid("history-open").await?.click().await?;
        first_name_line_becomes(&browser, "Name changed from Nordwind AG to Nordwind GmbH").await?;

        // As it was: before it existed, and today.
        set_day(&browser, -1).await?;
        as_of_reads(&browser, "Not yet in Rapport on that day.").await?;
        set_day(&browser, 0).await?;
        as_of_reads(&browser, "Nordwind GmbH").await?;
        browser.screenshot("record-history-1280x800").await?;
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    })
    .await;
}

/// Everything the history says, in one line per change.
async fn history_text(browser: &Browser) -> E2eResult<Vec<String>> {
    let value = browser
        .eval("return [...document.querySelectorAll('[data-testid=history-line] .row-title')].map(e => e.textContent);")
        .await?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

/// Words that mean the history is showing storage, not what a person did.
const NOT_PEOPLES_WORDS: [&str; 6] =
    ["label:", "value:", "Organisation\"", "prospect", "Restore \"\"", "WorksAt"];

#[tokio::test]
async fn the_history_says_what_changed_in_peoples_words_in_both_languages() {
    run("history_in_peoples_words", |harness| async move {
        for (language, expected) in [
            (
                "en",
                [
                    "Email changed from zoe.first@example.test to zoe.second@example.test",
                    "Email set to zoe.first@example.test",
                    "Roles set to Prospect",
                    "Kind changed from Person to Organisation",
                ],
            ),
            (
                "ru",
                [
                    "Изменено поле «Почта»: было zoe.first@example.test, стало zoe.second@example.test",
                    "Заполнено поле «Почта»: zoe.first@example.test",
                    "Заполнено поле «Роли»: Потенциальный клиент",
                    "Изменено поле «Тип»: было Человек, стало Организация",
                ],
            ),
        ] {
            let browser = harness.browser_speaking(Viewport::Desktop, language).await?;
            AppShell::open(&browser, "/parties").await?;
            add_party(&browser, "Zoe Quinn").await?;
            open_record(&browser, "Zoe").await?;
            browser.by_testid("history-open").await?.click().await?;
            set_field(&browser, "party-email", "zoe.first@example.test").await?;
            browser.by_testid("save-party").await?.click().await?;
            wait_until("the first email in the history", 10, || async {
                Ok(history_text(&browser).await?.iter().any(|l| l == expected[1]).then_some(()))
            })
            .await?;
            set_field(&browser, "party-email", "zoe.second@example.test").await?;
            browser.by_testid("save-party").await?.click().await?;
            let clicked = browser
                .eval("const chip = document.querySelector('[data-testid=party-role][data-role=prospect]'); chip?.click(); return !!chip;")
                .await?;
            assert_eq!(clicked, true);
            browser.eval("document.querySelector('[data-testid=kind-organisation]').click(); return 1;").await?;
            wait_until("the history in people's words", 10, || async {
                let lines = history_text(&browser).await?;
                Ok(expected.iter().all(|e| lines.iter().any(|l| l == e)).then_some(lines))
            })
            .await?;
            // Every word of every line — who, when and the restore buttons included.
            let whole = browser
                .eval("return [...document.querySelectorAll('[data-testid=history-line]')].map(e => e.textContent);")
                .await?;
            let whole: Vec<String> = serde_json::from_value(whole).unwrap_or_default();
            assert!(whole.len() >= expected.len(), "{whole:?}");
            for line in &whole {
                for word in NOT_PEOPLES_WORDS {
                    assert!(!line.contains(word), "{line:?} shows {word:?}");
                }
                assert!(!line.contains("1970"), "{line:?}");
                let mut run = 0;
                for c in line.chars() {
                    run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
                    assert!(run < 16, "{line:?} shows an id");
                }
            }
            browser.screenshot(&format!("history-1280x800-{language}")).await?;
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
