//! Pipelines are configured in Settings: a fundraising pipeline is added with its usual stages, a stage
//! renamed, reweighed, added, moved and removed; the deal board follows; a stage holding an open deal is
//! not removed, and says why.

use rapport_e2e::flows::add_party;
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};
use serde_json::{Value, json};

/// The stages of pipeline `name` as Settings shows them: name and probability.
async fn stages(browser: &Browser, name: &str) -> E2eResult<Value> {
    browser
        .eval(&format!(
            "const p = document.querySelector('[data-testid=pipeline][data-name=\"{name}\"]');
             return p ? [...p.querySelectorAll('[data-testid=stage]')].map(s =>
                 [s.querySelector('[data-testid=stage-name]').value, s.querySelector('[data-testid=stage-probability]').value]) : null;"
        ))
        .await
}

async fn stages_become(browser: &Browser, name: &str, expected: Value) -> E2eResult {
    wait_until(&format!("the stages of {name} to be {expected}"), 10, || async {
        Ok((stages(browser, name).await? == expected).then_some(()))
    })
    .await
}

/// Types `value` into field `field` of stage `stage` of pipeline `name` and commits it (a change event).
async fn set_stage_field(
    browser: &Browser,
    name: &str,
    stage: &str,
    field: &str,
    value: &str,
) -> E2eResult {
    browser
        .eval(&format!(
            "const s = document.querySelector('[data-testid=pipeline][data-name=\"{name}\"] [data-testid=stage][data-name=\"{stage}\"] [data-testid={field}]');
             s.value = {value}; s.dispatchEvent(new Event('change', {{ bubbles: true }})); return 1;",
            value = Value::String(value.to_owned())
        ))
        .await?;
    Ok(())
}

async fn click_in_stage(browser: &Browser, name: &str, stage: &str, button: &str) -> E2eResult {
    browser
        .eval(&format!(
            "document.querySelector('[data-testid=pipeline][data-name=\"{name}\"] [data-testid=stage][data-name=\"{stage}\"] [data-testid={button}]').click(); return 1;"
        ))
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_pipeline_is_configured_in_settings_and_the_board_follows() {
    run("a_pipeline_is_configured_in_settings_and_the_board_follows", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/parties").await?;
        add_party(&browser, "Nordwind Ventures").await?;
        AppShell::open(&browser, "/settings").await?;
        stages_become(&browser, "Sales", json!([["Lead", "10"], ["Qualified", "25"], ["Proposal", "50"], ["Negotiation", "75"]])).await?;

        // A fundraising pipeline starts with its usual stages.
        browser.by_testid("new-pipeline-name").await?.send_keys("Seed round").await?;
        browser
            .eval("const s = document.querySelector('[data-testid=new-pipeline-kind]'); s.value = 'fundraising';
                   s.dispatchEvent(new Event('change', { bubbles: true })); return 1;")
            .await?;
        browser.by_testid("add-pipeline").await?.click().await?;
        stages_become(&browser, "Seed round", json!([["Intro", "10"], ["Pitch", "25"], ["Due diligence", "50"], ["Term sheet", "80"]])).await?;

        // Renamed, reweighed, a stage added and moved up, one removed.
        set_stage_field(&browser, "Seed round", "Pitch", "stage-name", "Partner meeting").await?;
        stages_become(&browser, "Seed round", json!([["Intro", "10"], ["Partner meeting", "25"], ["Due diligence", "50"], ["Term sheet", "80"]])).await?;
        set_stage_field(&browser, "Seed round", "Partner meeting", "stage-probability", "30").await?;
        browser
            .eval("const input = document.querySelector('[data-testid=pipeline][data-name=\"Seed round\"] [data-testid=new-stage-name]');
                   input.value = 'Closing'; input.dispatchEvent(new Event('input', { bubbles: true }));
                   input.form.requestSubmit(); return 1;")
            .await?;
        stages_become(&browser, "Seed round", json!([["Intro", "10"], ["Partner meeting", "30"], ["Due diligence", "50"], ["Term sheet", "80"], ["Closing", "80"]])).await?;
        click_in_stage(&browser, "Seed round", "Closing", "stage-up").await?;
        stages_become(&browser, "Seed round", json!([["Intro", "10"], ["Partner meeting", "30"], ["Due diligence", "50"], ["Closing", "80"], ["Term sheet", "80"]])).await?;
        click_in_stage(&browser, "Seed round", "Term sheet", "stage-remove").await?;
        stages_become(&browser, "Seed round", json!([["Intro", "10"], ["Partner meeting", "30"], ["Due diligence", "50"], ["Closing", "80"]])).await?;
        browser.screenshot("pipelines-1280x800").await?;

        // The board shows the pipeline's stages in order; a deal in "Intro" keeps that stage.
        AppShell::open(&browser, "/deals").await?;
        browser.by_testid("pipeline-choice").await?;
        browser
            .eval("const s = document.querySelector('[data-testid=pipeline-choice]');
                   s.value = [...s.options].find(o => o.textContent === 'Seed round').value;
                   s.dispatchEvent(new Event('change', { bubbles: true })); return 1;")
            .await?;
        wait_until("the seed round's columns", 10, || async {
            let columns = browser
                .eval("return [...document.querySelectorAll('[data-testid=stage-column] [data-testid=stage-name]')].map(h => h.textContent);")
                .await?;
            Ok((columns == json!(["Intro", "Partner meeting", "Due diligence", "Closing"])).then_some(()))
        })
        .await?;
        browser.by_testid("new-deal-open").await?.click().await?;
        browser.by_testid("new-deal-title").await?.send_keys("Seed from Nordwind").await?;
        browser.by_testid("new-deal-party-search").await?.send_keys("Nordwind").await?;
        browser.by_testid("new-deal-party-match").await?.click().await?;
        browser.by_testid("add-deal").await?.click().await?;
        browser.by_testid("deal-card").await?;

        AppShell::open(&browser, "/settings").await?;
        stages_become(&browser, "Seed round", json!([["Intro", "10"], ["Partner meeting", "30"], ["Due diligence", "50"], ["Closing", "80"]])).await?;
        click_in_stage(&browser, "Seed round", "Intro", "stage-remove").await?;
        let error = browser.by_testid("pipeline-error").await?.text().await?;
        assert!(error.contains("holds 1 open deal"), "{error}");
        stages_become(&browser, "Seed round", json!([["Intro", "10"], ["Partner meeting", "30"], ["Due diligence", "50"], ["Closing", "80"]])).await?;
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    })
    .await;
}
