//! Settings → "Sync and colleagues" as an owner manages who may join: an invitation for a number of
//! people, the pending list with what is left, revoking a code nobody should use any more, and the
//! account's own security — a new password that signs every other device out, and signing out
//! everywhere. In English on a desktop and in Russian on a phone, with the app's Content-Security-Policy
//! in force (no console errors).

use rapport_e2e::flows::{
    PASSWORD, click_when_enabled, create_account, sign_in, sign_up_and_upload, sync_state,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};

#[tokio::test]
async fn an_owner_invites_two_people_sees_what_is_left_and_revokes_the_rest() {
    run(
        "an_owner_invites_two_people_sees_what_is_left_and_revokes_the_rest",
        |harness| async move {
            let owner = harness.browser(Viewport::Desktop).await?;
            let colleague = harness.browser(Viewport::Phone).await?;
            let latecomer = harness.browser(Viewport::Phone).await?;
            sign_up_and_upload(&owner, "owner@example.test", "Olga").await?;

            let (code, link) = invite(&owner, "member", 2).await?;
            // A link to pass on, and a short code to read out (not 64 hex digits).
            assert!((20..=24).contains(&code.chars().count()), "{code}");
            assert!(link.ends_with(&format!("/settings?invite={code}#sync")), "{link}");
            let pending =
                owner.text_when("pending-invites", |text| text.contains("2 left")).await?;
            assert!(pending.contains("Member") && pending.contains("Olga"), "{pending}");
            owner.screenshot("invitations-1280x800").await?;

            // Max opens the link: the join form is filled in for him.
            let path = &link[link.find("/settings").expect("a settings link")..];
            AppShell::open(&colleague, path).await?;
            create_account(&colleague, "max@example.test", "Max").await?;
            rapport_e2e::flows::field_becomes(&colleague, "invite-input", &code, 10).await?;
            colleague.screenshot("invitation-link-opened-390x844").await?;
            click_when_enabled(&colleague, "join-workspace").await?;
            sync_state(&colleague, "synced", 30).await?;
            // The owner's list follows when it is reloaded: one use left.
            AppShell::open(&owner, "/settings").await?;
            owner.text_when("pending-invites", |text| text.contains("1 left")).await?;

            owner.by_testid("revoke-invite").await?.click().await?;
            wait_until("the pending list to be empty", 10, || async {
                Ok((!owner.has_testid("pending-invite").await?).then_some(()))
            })
            .await?;
            // Lena pastes the whole link where a code goes: it is read as its code, now revoked.
            join(&latecomer, "lena@example.test", "Lena", &link).await?;
            let refused = latecomer.text_when("sync-error", |text| !text.is_empty()).await?;
            assert!(refused.contains("unknown or has expired"), "{refused}");

            for browser in [&owner, &colleague, &latecomer] {
                no_errors_but_refusals(browser).await?;
            }
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn a_new_password_signs_other_devices_out_in_russian_on_a_phone() {
    run("a_new_password_signs_other_devices_out_in_russian_on_a_phone", |harness| async move {
        let phone = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        let laptop = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&phone, "ada@example.test", "Ада").await?;
        let (code, _) = invite(&phone, "viewer", 3).await?;
        assert!(!code.is_empty());
        phone.text_when("pending-invites", |text| text.contains("осталось 3")).await?;
        phone.screenshot("invitations-ru-390x844").await?;

        AppShell::open(&laptop, "/settings").await?;
        sign_in(&laptop, "ada@example.test").await?;
        laptop.by_testid("signed-in-as").await?;

        phone.eval("document.querySelector('[data-testid=security]').open = true;").await?;
        phone.by_testid("current-password").await?.send_keys("not my password").await?;
        phone.by_testid("new-password").await?.send_keys("a brand new secret").await?;
        phone.by_testid("change-password").await?.click().await?;
        let refused = phone.text_when("sync-error", |text| !text.is_empty()).await?;
        assert!(refused.contains("неверн") || refused.contains("Неверн"), "{refused}");

        phone
            .eval(
                "for (const id of ['current-password', 'new-password']) {\
               const input = document.querySelector(`[data-testid=${id}]`);\
               input.value = ''; input.dispatchEvent(new Event('input')); }",
            )
            .await?;
        phone.by_testid("current-password").await?.send_keys(PASSWORD).await?;
        phone.by_testid("new-password").await?.send_keys("a brand new secret").await?;
        phone.by_testid("change-password").await?.click().await?;
        phone.text_when("password-changed", |text| text.contains("Пароль изменён")).await?;
        phone.screenshot("security-ru-390x844").await?;

        // The laptop's session ended: the next reload asks it to sign in again.
        AppShell::open(&laptop, "/settings").await?;
        laptop.by_testid("sign-in").await?;

        phone.by_testid("sign-out-everywhere").await?.click().await?;
        phone.by_testid("sign-in").await?;
        no_errors_but_refusals(&phone).await?;
        Ok(())
    })
    .await;
}

/// Nothing in the console but the relay's refusals this test asked for (the browser logs every 4xx
/// answer, and a sync socket whose ticket was taken just before every session was signed out is
/// refused as it opens): no script error, no Content-Security-Policy violation.
async fn no_errors_but_refusals(browser: &Browser) -> E2eResult {
    let errors = browser.console_errors().await?;
    let unexpected: Vec<_> = errors
        .iter()
        .filter(|entry| {
            let refused = entry.message.contains("Failed to load resource")
                && ["401", "403", "404"].iter().any(|status| entry.message.contains(status));
            let socket_refused = entry.message.contains("WebSocket connection to")
                && entry.message.contains("HTTP Authentication failed");
            let socket_closed = entry.message.contains("WebSocket is already in CLOSING or CLOSED");
            !(refused || socket_refused || socket_closed)
        })
        .collect();
    assert!(unexpected.is_empty(), "{unexpected:?}");
    Ok(())
}

/// Creates an invitation for `uses` people as `role` and returns its code and link.
async fn invite(owner: &Browser, role: &str, uses: u32) -> E2eResult<(String, String)> {
    AppShell::open(owner, "/settings").await?;
    owner.by_testid("invite-role").await?;
    owner
        .eval(&format!(
            "const s = document.querySelector('[data-testid=invite-role]'); s.value = '{role}';\
             s.dispatchEvent(new Event('change'));\
             const u = document.querySelector('[data-testid=invite-uses]'); u.value = '{uses}';\
             u.dispatchEvent(new Event('change'));"
        ))
        .await?;
    owner.by_testid("create-invite").await?.click().await?;
    let code = owner.by_testid("invite-code").await?.text().await?;
    let link = owner.by_testid("invite-link").await?.text().await?;
    Ok((code, link))
}

async fn join(browser: &Browser, email: &str, name: &str, code: &str) -> E2eResult {
    AppShell::open(browser, "/settings").await?;
    create_account(browser, email, name).await?;
    browser.by_testid("invite-input").await?.send_keys(code).await?;
    click_when_enabled(browser, "join-workspace").await
}
