//! Adding a person or organisation whose name is already in Rapport (whatever the case or accents) says
//! so and links to the existing record; a second "Add anyway" creates it all the same.

use rapport_e2e::flows::{add_party, party_count};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{E2eResult, Viewport, run, wait_until};

#[tokio::test]
async fn a_duplicate_name_is_pointed_out_before_it_is_created() {
    run("a_duplicate_name_is_pointed_out_before_it_is_created", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/parties").await?;
        add_party(&browser, "Nördwind GmbH").await?;
        party_count(&browser, 1).await?;

        let field = browser.by_testid("new-party-name").await?;
        field.send_keys("nordwind gmbh").await?;
        let link = browser.by_testid("duplicate-link").await?;
        assert_eq!(link.text().await?, "Nördwind GmbH");
        browser.by_testid("add-party").await?.click().await?;
        wait_until("the second press to be asked for", 10, || async {
            let label = browser.by_testid("add-party").await?.text().await?;
            Ok((label == "Add anyway").then_some(()))
        })
        .await?;
        party_count(&browser, 1).await?;
        let typed = browser
            .eval("return document.querySelector('[data-testid=new-party-name]').value;")
            .await?;
        assert_eq!(typed, "nordwind gmbh", "what was typed is kept");

        browser.by_testid("add-party").await?.click().await?;
        party_count(&browser, 2).await?;
        assert!(!browser.has_testid("duplicate-warning").await?, "the field is empty again");

        // The link leads to a record of that name.
        browser.by_testid("new-party-name").await?.send_keys("NÖRDWIND GMBH").await?;
        browser.by_testid("duplicate-link").await?.click().await?;
        browser.by_testid("party-form").await?;
        wait_until("the record to open", 10, || async {
            let name = browser
                .eval("return document.querySelector('[data-testid=party-name]').value;")
                .await?;
            Ok((name == "Nördwind GmbH" || name == "nordwind gmbh").then_some(()))
        })
        .await?;
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        E2eResult::Ok(())
    })
    .await;
}
