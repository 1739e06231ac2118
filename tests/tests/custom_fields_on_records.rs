//! The workspace's own fields: defined in Settings (a choice, a number, yes/no), filled in on a record,
//! checked as typed (a bad number is refused with the reason), and still there after a reload.

use rapport_e2e::flows::{add_party, open_record};
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
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    })
    .await;
}
