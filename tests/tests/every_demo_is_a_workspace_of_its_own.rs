//! Every browser's demo workspace has its own id: two people trying the demo can both upload theirs, and
//! one of them signing in on a new device (which holds a demo of its own) is offered her workspace.

use rapport_e2e::flows::{click_when_enabled, sign_in, sign_up_and_upload, sync_state};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Viewport, run_with_relay_args, wait_until};

#[tokio::test]
async fn two_people_upload_their_demos_and_a_new_device_is_offered_hers() {
    run_with_relay_args(
        "every_demo_its_own",
        &["--demo", "--demo-parties", "40"],
        |harness| async move {
            let anna = harness.browser(Viewport::Desktop).await?;
            let boris = harness.browser(Viewport::Desktop).await?;
            for browser in [&anna, &boris] {
                AppShell::open(browser, "/parties").await?;
                browser.text_when("party-count", |t| t.starts_with("40 ")).await?;
            }
            sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
            // Before, the second upload was refused: "that workspace id is taken".
            sign_up_and_upload(&boris, "boris@example.test", "Boris").await?;

            // Anna on a new device, which opened with a demo of its own: her workspace is offered.
            let phone = harness.browser(Viewport::Phone).await?;
            AppShell::open(&phone, "/parties").await?;
            phone.text_when("party-count", |t| t.starts_with("40 ")).await?;
            AppShell::open(&phone, "/settings").await?;
            sign_in(&phone, "anna@example.test").await?;
            wait_until("Anna's workspace to be offered", 15, || async {
                Ok(phone.has_testid("open-workspace").await?.then_some(()))
            })
            .await?;
            phone.screenshot("offered-her-workspace-390x844").await?;
            click_when_enabled(&phone, "open-workspace").await?;
            sync_state(&phone, "synced", 30).await?;
            for browser in [&anna, &boris, &phone] {
                let errors: Vec<_> = browser
                    .console_errors()
                    .await?
                    .into_iter()
                    .filter(|e| !e.message.contains("401"))
                    .collect();
                assert!(errors.is_empty(), "console errors: {errors:?}");
            }
            Ok(())
        },
    )
    .await;
}
