//! The support queue worked like the people list: Anna opens three tickets (low, urgent and high
//! priority) and tags one "billing" on its page; on Tickets she narrows the queue by priority and by
//! tag, orders it by priority and by age, and saves "Billing, newest first" (the unassigned ones, low
//! priority) as a view of the team's — after a reload, one tap brings the queue, filters and order
//! back. Screenshots of the queue's
//! controls at both sizes in both languages.

use rapport_e2e::flows::{change_to, set_field, sign_up_and_upload};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};

/// The subjects listed, top to bottom.
async fn listed(browser: &Browser) -> E2eResult<Vec<String>> {
    let titles = browser
        .eval("return [...document.querySelectorAll('[data-testid=ticket-row]')].map(r => r.dataset.title);")
        .await?;
    Ok(serde_json::from_value(titles).unwrap_or_default())
}

async fn listed_becomes(browser: &Browser, wanted: &[&str]) -> E2eResult {
    wait_until(&format!("the queue to read {wanted:?}"), 15, || async {
        Ok((listed(browser).await? == wanted).then_some(()))
    })
    .await
}

async fn open_ticket(browser: &Browser, subject: &str, priority: &str) -> E2eResult<String> {
    AppShell::open(browser, "/tickets").await?;
    browser.by_testid("new-ticket-open").await?.click().await?;
    set_field(browser, "new-ticket-subject", subject).await?;
    change_to(browser, "new-ticket-priority", priority).await?;
    browser.by_testid("save-ticket").await?.click().await?;
    browser.by_testid("page-ticket").await?;
    browser.path().await
}

#[tokio::test]
async fn the_queue_is_narrowed_ordered_and_saved_as_a_view_of_the_team() {
    run("tickets_are_filtered_sorted_and_saved_as_views", |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        open_ticket(&anna, "Invoice twice", "low").await?;
        // Tagged on its page, as typed ("billing, vip , billing": each once).
        anna.by_testid("ticket-tags").await?;
        change_to(&anna, "ticket-tags", "billing, vip , billing").await?;
        wait_until("the tags kept", 15, || async {
            let value =
                anna.eval("return document.querySelector('[data-testid=ticket-tags]').value;").await?;
            Ok((value == "billing, vip").then_some(()))
        })
        .await?;
        open_ticket(&anna, "Server down", "urgent").await?;
        open_ticket(&anna, "Login slow", "high").await?;

        AppShell::open(&anna, "/tickets").await?;
        // The working order: no deadlines here, so the highest priority, then the oldest.
        listed_becomes(&anna, &["Server down", "Login slow", "Invoice twice"]).await?;
        change_to(&anna, "ticket-sort", "oldest").await?;
        listed_becomes(&anna, &["Invoice twice", "Server down", "Login slow"]).await?;
        change_to(&anna, "ticket-sort", "newest").await?;
        listed_becomes(&anna, &["Login slow", "Server down", "Invoice twice"]).await?;
        change_to(&anna, "ticket-priority-filter", "urgent").await?;
        listed_becomes(&anna, &["Server down"]).await?;
        change_to(&anna, "ticket-priority-filter", "").await?;
        change_to(&anna, "ticket-tag", "billing").await?;
        listed_becomes(&anna, &["Invoice twice"]).await?;
        // Among the unassigned, low priority: still that one.
        anna.eval("document.querySelector('[data-testid=ticket-queue][data-queue=unassigned]').click(); return 1;").await?;
        change_to(&anna, "ticket-priority-filter", "low").await?;
        listed_becomes(&anna, &["Invoice twice"]).await?;

        // Saved as a view of the team's; the queue starts afresh on a reload, and one tap restores it.
        anna.by_testid("new-ticket-view").await?.click().await?;
        anna.by_testid("ticket-view-name").await?.send_keys("Billing, newest first").await?;
        anna.by_testid("save-ticket-view").await?.click().await?;
        anna.by_testid("saved-ticket-view").await?;
        anna.screenshot("tickets-views-1280x800-en").await?;
        AppShell::open(&anna, "/tickets").await?;
        listed_becomes(&anna, &["Server down", "Login slow", "Invoice twice"]).await?;
        anna.by_testid("saved-ticket-view").await?.click().await?;
        listed_becomes(&anna, &["Invoice twice"]).await?;
        let controls = anna
            .eval("return ['ticket-sort', 'ticket-tag', 'ticket-priority-filter'].map(t => document.querySelector(`[data-testid=${t}]`).value)
                   .concat([document.querySelector('[data-testid=ticket-queue][aria-pressed=true]').dataset.queue]);")
            .await?;
        assert_eq!(controls, serde_json::json!(["newest", "billing", "low", "unassigned"]));
        anna.emulate(Viewport::Phone).await?;
        anna.screenshot("tickets-views-390x844-en").await?;

        // The same controls in Russian.
        AppShell::open(&anna, "/settings").await?;
        change_to(&anna, "language", "ru").await?;
        AppShell::open(&anna, "/tickets").await?;
        anna.text_when("ticket-count", |t| t.contains("3")).await?;
        anna.screenshot("tickets-views-390x844-ru").await?;
        anna.emulate(Viewport::Desktop).await?;
        anna.screenshot("tickets-views-1280x800-ru").await?;
        Ok(())
    })
    .await;
}
