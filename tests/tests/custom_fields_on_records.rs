//! The workspace's own fields: defined in Settings (a choice, a number, yes/no), filled in on a record,
//! checked as typed (a bad number is refused with the reason), still there after a reload, and out in an
//! export and back in through an import.

use rapport_e2e::flows::{
    add_party, click_centred, download, downloads_into, open_record, set_field,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};
use serde_json::{Value, json};

async fn add_field(browser: &Browser, label: &str, kind: &str, choices: &str) -> E2eResult {
    browser.by_testid("new-field-label").await?.send_keys(label).await?;
    browser
        .eval(&format!(
            "const s = document.querySelector('[data-testid=new-field-kind]'); s.value = '{kind}';
             s.dispatchEvent(new Event('change', {{ bubbles: true }})); return 1;"
        ))
        .await?;
    if !choices.is_empty() {
        browser.by_testid("new-field-choices").await?.send_keys(choices).await?;
    }
    browser.by_testid("add-field").await?.click().await?;
    wait_until(&format!("the field {label}"), 10, || async {
        let found = browser
            .eval(&format!("return !!document.querySelector('[data-testid=custom-field][data-label=\"{label}\"]');"))
            .await?;
        Ok((found == Value::Bool(true)).then_some(()))
    })
    .await
}

/// Sets the record's field `label` as a person would (then leaves it: a change event).
async fn set_value(browser: &Browser, label: &str, value: &str) -> E2eResult {
    browser
        .eval(&format!(
            "const e = document.querySelector('[data-testid=custom-value][data-label=\"{label}\"]');
             if (e.type === 'checkbox') e.checked = {value} === 'true'; else e.value = {value};
             e.dispatchEvent(new Event('change', {{ bubbles: true }})); return 1;",
            value = Value::String(value.to_owned())
        ))
        .await?;
    Ok(())
}

async fn values(browser: &Browser) -> E2eResult<Value> {
    browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=custom-value]')]
                .map(e => [e.dataset.label, e.type === 'checkbox' ? String(e.checked) : e.value]);",
        )
        .await
}

async fn values_become(browser: &Browser, expected: Value) -> E2eResult {
    wait_until(&format!("the fields to read {expected}"), 10, || async {
        Ok((values(browser).await? == expected).then_some(()))
    })
    .await
}

#[tokio::test]
async fn custom_fields_are_defined_filled_in_checked_and_kept() {
    run("custom_fields_are_defined_filled_in_checked_and_kept", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/settings").await?;
        add_field(&browser, "Region", "choice", "North, South").await?;
        add_field(&browser, "Contract value", "number", "").await?;
        add_field(&browser, "NDA signed", "yes-no", "").await?;

        AppShell::open(&browser, "/parties").await?;
        add_party(&browser, "Nordwind GmbH").await?;
        open_record(&browser, "Nordwind").await?;
        values_become(
            &browser,
            json!([["Contract value", ""], ["NDA signed", "false"], ["Region", ""]]),
        )
        .await?;
        set_value(&browser, "Region", "South").await?;
        set_value(&browser, "Contract value", "lots").await?;
        let error = browser.by_testid("custom-error").await?.text().await?;
        assert!(error.contains("not a number"), "{error}");
        set_value(&browser, "Contract value", "1 200,5").await?;
        set_value(&browser, "NDA signed", "true").await?;
        values_become(
            &browser,
            json!([["Contract value", "1200.5"], ["NDA signed", "true"], ["Region", "South"]]),
        )
        .await?;
        browser.screenshot("custom-fields-1280x800").await?;

        let path = browser.path().await?;
        AppShell::open(&browser, &path).await?;
        values_become(
            &browser,
            json!([["Contract value", "1200.5"], ["NDA signed", "true"], ["Region", "South"]]),
        )
        .await?;

        // Out as CSV with the fields by name, and back in: the import fills the fields again.
        let exported = tempfile::tempdir().expect("a temp dir");
        downloads_into(&browser, exported.path()).await?;
        AppShell::open(&browser, "/import-export").await?;
        let csv = download(&browser, "export-csv", exported.path(), "csv").await?;
        let text = std::fs::read_to_string(&csv).expect("the CSV");
        assert!(text.contains("Custom Field 1 - Label,Custom Field 1 - Value,"), "{text}");
        assert!(text.contains(",Contract value,1200.5,NDA signed,true,Region,South,"), "{text}");
        AppShell::open(&browser, &path).await?;
        set_field(&browser, "party-name", "Nordwind AG").await?;
        click_centred(&browser, "save-party").await?;
        browser.text_becomes("page-title", "Nordwind AG").await?;
        AppShell::open(&browser, "/import-export").await?;
        let file = browser.by_testid("import-file").await?;
        file.send_keys(csv.to_str().expect("a UTF-8 path")).await?;
        browser.text_becomes("import-plan", "1 new · 0 already in Rapport · 0 skipped").await?;
        click_centred(&browser, "start-import").await?;
        browser.by_testid("import-summary").await?;
        AppShell::open(&browser, "/parties").await?;
        open_record(&browser, "Nordwind GmbH").await?;
        values_become(
            &browser,
            json!([["Contract value", "1200.5"], ["NDA signed", "true"], ["Region", "South"]]),
        )
        .await?;
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    })
    .await;
}
