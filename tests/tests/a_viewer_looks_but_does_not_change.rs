//! A colleague invited as a viewer sees the workspace — records, their details, live changes — and the
//! screens offer no way to change it (the relay would refuse the change): no quick add, read-only
//! fields, no save, no logging. A member invited the same way can edit.

use rapport_e2e::flows::{
    add_party, click_when_enabled, create_account, field_becomes, open_record, party_count,
    set_field, sign_up_and_upload, sync_state,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run};

#[tokio::test]
async fn a_viewer_sees_the_workspace_and_is_offered_no_changes() {
    run("a_viewer_sees_the_workspace_and_is_offered_no_changes", |harness| async move {
        let owner = harness.browser(Viewport::Desktop).await?;
        let viewer = harness.browser(Viewport::Phone).await?;
        sign_up_and_upload(&owner, "owner@example.test", "Olga").await?;
        add_party(&owner, "Watched Ltd").await?;

        let code = invite(&owner, "viewer").await?;
        AppShell::open(&viewer, "/settings").await?;
        create_account(&viewer, "viewer@example.test", "Vera").await?;
        viewer.by_testid("invite-input").await?.send_keys(&code).await?;
        click_when_enabled(&viewer, "join-workspace").await?;
        sync_state(&viewer, "synced", 30).await?;
        viewer.by_testid("view-only").await?;

        AppShell::open(&viewer, "/parties").await?;
        party_count(&viewer, 1).await?;
        assert!(!viewer.has_testid("new-party-name").await?, "no quick add for a viewer");
        open_record(&viewer, "Watched Ltd").await?;
        let read_only = viewer
            .eval("return document.querySelector('[data-testid=party-name]').readOnly;")
            .await?;
        assert_eq!(read_only, true);
        assert!(!viewer.has_testid("save-party").await?);
        assert!(!viewer.has_testid("log-visit-link").await?);
        viewer.by_testid("view-only-hint").await?;
        viewer.screenshot("viewer-record-390x844").await?;

        // Changes still reach the viewer live.
        open_record(&owner, "Watched Ltd").await?;
        set_field(&owner, "party-name", "Watched and Co").await?;
        owner.by_testid("save-party").await?.click().await?;
        field_becomes(&viewer, "party-name", "Watched and Co", 15).await?;

        // The quick log refuses too (reached by its address).
        AppShell::open(&viewer, "/log/visit").await?;
        viewer.by_testid("view-only").await?;
        viewer.by_testid("save-log").await?.click().await?;
        let error = viewer.by_testid("log-error").await?.text().await?;
        assert!(error.contains("members can log"), "{error}");
        Ok(())
    })
    .await;
}

async fn invite(owner: &Browser, role: &str) -> E2eResult<String> {
    AppShell::open(owner, "/settings").await?;
    owner.by_testid("invite-role").await?;
    owner
        .eval(&format!(
            "const s = document.querySelector('[data-testid=invite-role]'); s.value = '{role}';\
             s.dispatchEvent(new Event('change'));"
        ))
        .await?;
    owner.by_testid("create-invite").await?.click().await?;
    Ok(owner.by_testid("invite-code").await?.text().await?)
}
