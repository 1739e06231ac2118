//! The whole workspace goes out as one JSON backup and comes back on a device that has nothing: the same
//! people (an export of both devices is byte-identical), tasks, and each record's history. Restoring the
//! same file again changes nothing; a file that is not a backup is refused and restores nothing.

use rapport_e2e::flows::{
    add_party, click_centred, download, downloads_into, field_becomes, open_record, party_count,
    set_field,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until, workspace_root};
use thirtyfour::prelude::*;

async fn text_of(browser: &Browser, testid: &str) -> E2eResult<String> {
    Ok(browser.by_testid(testid).await?.text().await?)
}

async fn restore(browser: &Browser, file: &std::path::Path) -> E2eResult<String> {
    AppShell::open(browser, "/import-export").await?;
    browser.by_testid("restore-file").await?.send_keys(file.to_str().unwrap_or_default()).await?;
    let plan = text_of(browser, "restore-plan").await?;
    assert!(plan.contains("documents, made"), "{plan}");
    click_centred(browser, "restore-start").await?;
    text_of(browser, "restore-report").await
}

#[tokio::test]
async fn a_backup_restores_everything_on_a_new_device_and_twice_changes_nothing() {
    run("a_backup_restores_everything_on_a_new_device_and_twice_changes_nothing", |harness| async move {
        let first = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&first, "/parties").await?;
        add_party(&first, "Anna Weber").await?;
        add_party(&first, "Борис Пастернак").await?;
        open_record(&first, "Anna").await?;
        set_field(&first, "party-name", "Anna Weber-Schmidt").await?;
        first.by_testid("save-party").await?.click().await?;
        field_becomes(&first, "party-name", "Anna Weber-Schmidt", 5).await?;
        AppShell::open(&first, "/tasks").await?;
        first.by_testid("new-task-title").await?.send_keys("Send the offer").await?;
        first.by_testid("new-task-title").await?.send_keys(Key::Enter).await?;
        first.by_testid("task-row").await?;

        let dir = tempfile::tempdir().expect("a temp dir");
        downloads_into(&first, dir.path()).await?;
        AppShell::open(&first, "/import-export").await?;
        let backup = download(&first, "backup-download", dir.path(), "json").await?;
        let text = std::fs::read_to_string(&backup).expect("the backup");
        assert!(text.contains("\"format\": \"rapport-backup\""), "{text}");
        assert!(text.contains("Anna Weber-Schmidt") && text.contains("Send the offer"), "readable content");
        let csv = download(&first, "export-csv", dir.path(), "csv").await?;
        let csv = std::fs::read_to_string(csv).expect("the CSV");

        // A device with nothing: refuses a file that is not a backup, then restores the backup.
        let second = harness.browser(Viewport::Phone).await?;
        AppShell::open(&second, "/import-export").await?;
        let not_a_backup = workspace_root().join("tests/fixtures/contacts.vcf");
        second.by_testid("restore-file").await?.send_keys(not_a_backup.to_str().unwrap_or_default()).await?;
        let error = text_of(&second, "backup-error").await?;
        assert!(error.contains("not a Rapport backup") && error.contains("Nothing was restored"), "{error}");
        let report = restore(&second, &backup).await?;
        assert!(report.contains("gained changes"), "{report}");
        assert!(report.contains("another workspace"), "a new device has its own workspace: {report}");
        second.screenshot("restore-390x844").await?;

        AppShell::open(&second, "/parties").await?;
        party_count(&second, 2).await?;
        open_record(&second, "Anna").await?;
        field_becomes(&second, "party-name", "Anna Weber-Schmidt", 5).await?;
        // The record's history came along: the rename, from the first name.
        click_centred(&second, "history-open").await?;
        wait_until("the earlier name in the history", 10, || async {
            let lines = second
                .eval("return [...document.querySelectorAll('[data-testid=history-line]')].map(e => e.textContent).join(' | ');")
                .await?;
            Ok(lines.as_str().is_some_and(|l| l.contains("Name changed from Anna Weber to Anna Weber-Schmidt")).then_some(()))
        })
        .await?;
        AppShell::open(&second, "/tasks").await?;
        let task = text_of(&second, "task-row").await?;
        assert!(task.contains("Send the offer"), "{task}");

        // Twice: nothing changes. And the people export is the same as the first device's.
        let report = restore(&second, &backup).await?;
        assert!(report.starts_with("Restored: 0 documents gained changes"), "{report}");
        let again = tempfile::tempdir().expect("a temp dir");
        downloads_into(&second, again.path()).await?;
        let csv_again = download(&second, "export-csv", again.path(), "csv").await?;
        assert_eq!(std::fs::read_to_string(csv_again).expect("the CSV"), csv);
        AppShell::open(&second, "/parties").await?;
        party_count(&second, 2).await?;
        for browser in [&first, &second] {
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
