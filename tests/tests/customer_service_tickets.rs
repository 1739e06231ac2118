//! Customer service end to end with the real relay: Anna adds a service-level policy in Settings
//! (urgent tickets answered within half an hour) and opens a ticket from her customer's page; Boris,
//! on his phone in Russian, finds it under "breaching soon". Anna answers while her browser is
//! offline: the page says the reply counts from when it reaches the relay, and once online the relay
//! has stamped it and the note goes away. Boris sees the answer and resolves the ticket, which leaves
//! Anna's open views. A canned reply fills in the customer's first name (picked under the composer or
//! from the command palette); the ticket is on the
//! customer's timeline; the relay's ledger holds a stamp for each event; the service report counts
//! it (opened and resolved today, SLA met, unassigned); a status of the workspace's own is added,
//! moved, used, refused removal while a ticket is in it and retired after. Screenshots of the tickets list, a ticket,
//! the settings and the report at both sizes in both languages.

use rapport_e2e::flows::{
    add_party, api_session, attribute, attribute_becomes, change_to, click_centred,
    join_by_invitation, nothing_unsynced, open_record, set_field, set_network, sign_up_and_upload,
    sync_state,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};

/// The kinds of the conversation's messages, oldest first.
async fn messages(browser: &Browser) -> E2eResult<Vec<String>> {
    let kinds = browser
        .eval("return [...document.querySelectorAll('[data-testid=ticket-message]')].map(m => m.dataset.kind);")
        .await?;
    Ok(serde_json::from_value(kinds).unwrap_or_default())
}

async fn messages_become(browser: &Browser, wanted: &[&str]) -> E2eResult {
    wait_until(&format!("the conversation {wanted:?}"), 30, || async {
        Ok((messages(browser).await? == wanted).then_some(()))
    })
    .await
}

/// The titles of the tickets listed.
async fn listed(browser: &Browser) -> E2eResult<Vec<String>> {
    let titles = browser
        .eval("return [...document.querySelectorAll('[data-testid=ticket-row]')].map(r => r.dataset.title);")
        .await?;
    Ok(serde_json::from_value(titles).unwrap_or_default())
}

/// The figures of a report's row: in table `table` (`report-by-team`, `report-by-assignee`,
/// `report-per-day`), the row named `name` (or for day `name`, `YYYY-MM-DD`), once it is there.
async fn report_row(browser: &Browser, table: &str, name: &str) -> E2eResult<Vec<String>> {
    let script = format!(
        "const row = [...document.querySelectorAll('[data-testid={table}] tbody tr')].find(r => r.dataset.name === {name:?} || r.dataset.day === {name:?}); \
         return row ? [...row.querySelectorAll('td')].map(c => c.textContent) : null;"
    );
    wait_until(&format!("{name} in {table}"), 15, || async {
        let cells = browser.eval(&script).await?;
        Ok(serde_json::from_value::<Option<Vec<String>>>(cells).unwrap_or_default())
    })
    .await
}

/// The statuses Settings lists, `key:name`, in order.
async fn statuses(browser: &Browser) -> E2eResult<Vec<String>> {
    let listed = browser
        .eval("return [...document.querySelectorAll('[data-testid=status]')].map(s => s.dataset.key + ':' + s.dataset.name);")
        .await?;
    Ok(serde_json::from_value(listed).unwrap_or_default())
}

/// The statuses a ticket's page offers, by name.
async fn offered(browser: &Browser) -> E2eResult<Vec<String>> {
    let listed = browser
        .eval("return [...document.querySelectorAll('[data-testid=ticket-status-choice] option')].map(o => o.textContent);")
        .await?;
    Ok(serde_json::from_value(listed).unwrap_or_default())
}

async fn queue(browser: &Browser, key: &str) -> E2eResult {
    browser
        .eval(&format!(
            "document.querySelector('[data-testid=ticket-queue][data-queue={key}]').click(); return 1;"
        ))
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_ticket_runs_on_the_relays_clock_from_opening_to_resolved_across_two_devices() {
    run("customer_service_tickets", |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        let boris = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        add_party(&anna, "Ann Lee").await?;

        // A policy for every ticket; urgent ones answered within half an hour.
        AppShell::open(&anna, "/settings").await?;
        anna.text_when("service-settings", |t| t.contains("No policy yet")).await?;
        click_centred(&anna, "add-policy").await?;
        anna.by_testid("policy").await?;
        change_to(&anna, "target-urgent-0", "0.5").await?;
        wait_until("the target saved", 15, || async {
            let value = anna
                .eval("return document.querySelector('[data-testid=target-urgent-0]').value;")
                .await?;
            Ok((value == "0.5").then_some(()))
        })
        .await?;
        anna.eval("document.querySelector('[data-testid=service-settings]').scrollIntoView(); return 1;")
            .await?;
        anna.screenshot("settings-service-1280x800-en").await?;
        nothing_unsynced(&anna).await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;

        // A ticket from the customer's page.
        AppShell::open(&anna, "/parties").await?;
        open_record(&anna, "Ann Lee").await?;
        click_centred(&anna, "new-ticket-link").await?;
        anna.text_when("new-ticket-for", |t| t.contains("Ann Lee")).await?;
        set_field(&anna, "new-ticket-subject", "Printer jams").await?;
        change_to(&anna, "new-ticket-priority", "urgent").await?;
        set_field(&anna, "new-ticket-said", "It jams on every page.").await?;
        anna.by_testid("save-ticket").await?.click().await?;
        anna.by_testid("page-ticket").await?;
        let ticket = anna.path().await?;
        assert!(ticket.starts_with("/tickets/"), "{ticket}");
        messages_become(&anna, &["customer"]).await?;
        // Half an hour to answer: breaching soon.
        attribute_becomes(&anna, "sla-first-response", "data-state", "soon").await?;
        anna.text_when("ticket-policy", |t| t.contains("Standard")).await?;
        wait_until("the opening stamped by the relay", 30, || async {
            Ok((!anna.has_testid("sla-waiting").await?).then_some(()))
        })
        .await?;

        // Boris, on his phone, finds it among the tickets breaching soon.
        AppShell::open(&boris, "/tickets").await?;
        queue(&boris, "breaching").await?;
        wait_until("the ticket on Boris's phone", 30, || async {
            Ok(listed(&boris).await?.contains(&"Printer jams".to_owned()).then_some(()))
        })
        .await?;
        assert_eq!(attribute(&boris, "ticket-due", "data-state").await?, "soon");
        boris.text_when("ticket-due", |t| t.contains("Осталось")).await?;
        boris.screenshot("tickets-390x844-ru").await?;

        // Anna answers with no network: it counts from when the relay hears of it.
        set_network(&anna, false).await?;
        sync_state(&anna, "offline", 30).await?;
        set_field(&anna, "ticket-message-text", "We are sending a technician today.").await?;
        anna.by_testid("send-message").await?.click().await?;
        messages_become(&anna, &["customer", "reply"]).await?;
        anna.text_when("sla-waiting", |t| t.contains("reaches the relay")).await?;
        attribute_becomes(&anna, "sla-first-response", "data-state", "met").await?;
        set_network(&anna, true).await?;
        sync_state(&anna, "synced", 30).await?;
        wait_until("the reply stamped by the relay", 30, || async {
            Ok((!anna.has_testid("sla-waiting").await?).then_some(()))
        })
        .await?;
        attribute_becomes(&anna, "sla-first-response", "data-state", "met").await?;

        // Boris sees the answer and resolves the ticket; it leaves Anna's open views.
        AppShell::open(&boris, &ticket).await?;
        messages_become(&boris, &["customer", "reply"]).await?;
        attribute_becomes(&boris, "sla-first-response", "data-state", "met").await?;
        boris.screenshot("ticket-390x844-ru").await?;
        click_centred(&boris, "ticket-resolve").await?;
        attribute_becomes(&boris, "ticket-status", "data-status", "resolved").await?;
        attribute_becomes(&anna, "ticket-status", "data-status", "resolved").await?;
        attribute_becomes(&anna, "sla-resolution", "data-state", "met").await?;
        AppShell::open(&anna, "/tickets").await?;
        queue(&anna, "open").await?;
        anna.text_when("ticket-count", |t| t.contains('0')).await?;
        assert!(listed(&anna).await?.is_empty());
        queue(&anna, "done").await?;
        wait_until("the ticket among the done ones", 15, || async {
            Ok((listed(&anna).await? == ["Printer jams"]).then_some(()))
        })
        .await?;
        anna.screenshot("tickets-1280x800-en").await?;

        // A canned reply, saved once, fills in the customer's first name.
        AppShell::open(&anna, &ticket).await?;
        set_field(&anna, "ticket-message-text", "Thanks, {{first_name}}!").await?;
        anna.by_testid("new-canned").await?.click().await?;
        set_field(&anna, "canned-name", "Thanks").await?;
        anna.by_testid("save-canned").await?.click().await?;
        anna.by_testid("saved-canned").await?;
        change_to(&anna, "ticket-message-text", "").await?;
        anna.by_testid("saved-canned").await?.click().await?;
        wait_until("the canned reply filled in", 15, || async {
            let text = anna
                .eval("return document.querySelector('[data-testid=ticket-message-text]').value;")
                .await?;
            Ok((text == "Thanks, Ann!").then_some(()))
        })
        .await?;
        anna.screenshot("ticket-1280x800-en").await?;
        // The same from the command palette, by a word of its text, with the cursor left in the reply.
        change_to(&anna, "ticket-message-text", "").await?;
        anna.by_testid("palette-open").await?.click().await?;
        anna.by_testid("palette-input").await?.send_keys("first_name").await?;
        let canned = wait_until("the canned reply in the palette", 15, || async {
            let kinds = anna
                .eval("return [...document.querySelectorAll('[data-testid=palette-item]')].map(i => i.dataset.kind + ':' + i.querySelector('.row-title').textContent);")
                .await?;
            let kinds: Vec<String> = serde_json::from_value(kinds).unwrap_or_default();
            Ok(kinds.first().filter(|first| first.starts_with("canned:")).cloned())
        })
        .await?;
        assert_eq!(canned, "canned:Thanks");
        anna.screenshot("palette-canned-1280x800-en").await?;
        anna.by_testid("palette-item").await?.click().await?;
        wait_until("the canned reply from the palette", 15, || async {
            let (text, focused) = (
                anna.eval("return document.querySelector('[data-testid=ticket-message-text]').value;").await?,
                anna.eval("return document.activeElement?.dataset?.testid ?? '';").await?,
            );
            Ok((text == "Thanks, Ann!" && focused == "ticket-message-text").then_some(()))
        })
        .await?;

        // On the customer's timeline, linking back.
        AppShell::open(&anna, "/parties").await?;
        open_record(&anna, "Ann Lee").await?;
        let href = wait_until("the ticket on the timeline", 15, || async {
            let href = anna
                .eval("return document.querySelector('[data-testid=timeline-item][data-kind=ticket] [data-testid=timeline-link]')?.getAttribute('href') ?? '';")
                .await?;
            Ok(href.as_str().filter(|h| !h.is_empty()).map(str::to_owned))
        })
        .await?;
        assert_eq!(href, ticket);

        // The relay's ledger: a stamp for the opening, each message and the status change.
        let relay = harness.relay().url().to_owned();
        let (client, cookie, workspace) = api_session(&relay, "anna@example.test").await;
        let changes: serde_json::Value = client
            .get(format!("{relay}/api/workspaces/{workspace}/outbox?after=0"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("the ledger")
            .json()
            .await
            .expect("json");
        let stamps = changes["entries"]
            .as_array()
            .map(|entries| entries.iter().filter(|e| e["kind"] == "stamp").count())
            .unwrap_or(0);
        assert_eq!(stamps, 4, "opened, the customer's message, the reply, resolved: {changes}");

        // The service report counts it: opened and resolved today, in time, answered.
        AppShell::open(&anna, "/tickets").await?;
        anna.by_testid("service-reports-link").await?.click().await?;
        anna.by_testid("page-service-reports").await?;
        let all = report_row(&anna, "report-by-team", "All tickets").await?;
        assert_eq!(all[..3], ["1", "1", "100%"], "opened, resolved, SLA met: {all:?}");
        assert!(all[3].contains("min") && all[4].contains("min"), "first response, resolution: {all:?}");
        assert_eq!(all[5], "—", "no survey answered: {all:?}");
        let nobody = report_row(&anna, "report-by-assignee", "Unassigned").await?;
        assert_eq!(nobody[..3], ["1", "1", "100%"], "{nobody:?}");
        // Per day: one opening and one resolution, on the days they happened (today, or yesterday
        // and today across midnight).
        let per_day = anna
            .eval("return [...document.querySelectorAll('[data-testid=report-day]')].map(r => [...r.querySelectorAll('td')].map(c => Number(c.textContent)));")
            .await?;
        let per_day: Vec<Vec<u32>> = serde_json::from_value(per_day).unwrap_or_default();
        let sums = per_day.iter().fold([0, 0], |sums, day| [sums[0] + day[0], sums[1] + day[1]]);
        assert_eq!(sums, [1, 1], "one opened, one resolved: {per_day:?}");
        let days = anna.eval("return document.querySelectorAll('[data-testid=report-day]').length;").await?;
        assert_eq!(days, 30, "the last 30 days by default");
        anna.by_testid("report-7").await?.click().await?;
        wait_until("a week of days", 15, || async {
            let days = anna.eval("return document.querySelectorAll('[data-testid=report-day]').length;").await?;
            Ok((days == 7).then_some(()))
        })
        .await?;
        anna.screenshot("service-reports-1280x800-en").await?;

        // A status of the workspace's own, paused, listed before "Resolved"; tickets can go there.
        AppShell::open(&anna, "/settings").await?;
        anna.by_testid("statuses").await?;
        set_field(&anna, "new-status-name", "Waiting on vendor").await?;
        anna.by_testid("add-status").await?.click().await?;
        let vendor = wait_until("the new status listed last", 15, || async {
            let listed = statuses(&anna).await?;
            Ok(listed.last().filter(|s| s.ends_with(":Waiting on vendor")).map(|s| s.split(':').next().unwrap_or_default().to_owned()))
        })
        .await?;
        let category = anna
            .eval(&format!("return document.querySelector('[data-testid=status][data-key=\"{vendor}\"] [data-testid=status-category]').value;"))
            .await?;
        assert_eq!(category, "paused", "paused unless chosen otherwise");
        for _ in 0..2 {
            let before = statuses(&anna).await?;
            anna.eval(&format!("document.querySelector('[data-testid=status][data-key=\"{vendor}\"] [data-testid=status-up]').click(); return 1;")).await?;
            wait_until("the status moved up", 15, || async {
                Ok((statuses(&anna).await? != before).then_some(()))
            })
            .await?;
        }
        let names: Vec<String> = statuses(&anna).await?.iter().map(|s| s.split_once(':').unwrap_or_default().1.to_owned()).collect();
        assert_eq!(names, ["Open", "Waiting on customer", "Waiting on vendor", "Resolved", "Closed"]);
        // A name taken is refused, whatever its case.
        set_field(&anna, "new-status-name", "closed").await?;
        anna.by_testid("add-status").await?.click().await?;
        anna.text_when("service-error", |t| t.contains("already called “closed”")).await?;
        // And so is what a built-in status is called in the other language (Boris reads Russian).
        set_field(&anna, "new-status-name", "закрыта").await?;
        anna.by_testid("add-status").await?.click().await?;
        anna.text_when("service-error", |t| t.contains("already called “закрыта”")).await?;
        assert_eq!(statuses(&anna).await?.len(), 5, "nothing added");
        anna.eval("document.querySelector('[data-testid=statuses]').scrollIntoView(); return 1;").await?;
        anna.screenshot("settings-statuses-1280x800-en").await?;
        AppShell::open(&anna, &ticket).await?;
        wait_until("the new status offered", 15, || async {
            Ok(offered(&anna).await?.contains(&"Waiting on vendor".to_owned()).then_some(()))
        })
        .await?;
        change_to(&anna, "ticket-status-choice", &vendor).await?;
        attribute_becomes(&anna, "ticket-status", "data-status", &vendor).await?;
        // Not removed while the ticket is in it; retired once it is not, and offered no more.
        AppShell::open(&anna, "/settings").await?;
        anna.eval(&format!("document.querySelector('[data-testid=status][data-key=\"{vendor}\"] [data-testid=status-remove]').click(); return 1;")).await?;
        anna.text_when("service-error", |t| t.contains("Tickets in this status: 1")).await?;
        AppShell::open(&anna, &ticket).await?;
        anna.by_testid("ticket-status-choice").await?;
        change_to(&anna, "ticket-status-choice", "resolved").await?;
        attribute_becomes(&anna, "ticket-status", "data-status", "resolved").await?;
        AppShell::open(&anna, "/settings").await?;
        anna.by_testid("statuses").await?;
        // Its category stays now that a ticket went through it: that ticket's deadlines would move.
        anna.eval(&format!("const s = document.querySelector('[data-testid=status][data-key=\"{vendor}\"] [data-testid=status-category]'); s.value = 'open'; s.dispatchEvent(new Event('change', {{ bubbles: true }})); return 1;")).await?;
        anna.text_when("service-error", |t| t.contains("went through this status")).await?;
        anna.eval(&format!("document.querySelector('[data-testid=status][data-key=\"{vendor}\"] [data-testid=status-remove]').click(); return 1;")).await?;
        wait_until("the status gone from the list", 15, || async {
            Ok((statuses(&anna).await?.len() == 4).then_some(()))
        })
        .await?;
        AppShell::open(&anna, &ticket).await?;
        let offered_now = wait_until("the statuses offered", 15, || async {
            let offered = offered(&anna).await?;
            Ok(offered.contains(&"Resolved".to_owned()).then_some(offered))
        })
        .await?;
        assert!(!offered_now.contains(&"Waiting on vendor".to_owned()), "{offered_now:?}");

        // The other sizes and languages of each screen.
        boris.emulate(Viewport::Desktop).await?;
        AppShell::open(&boris, "/tickets").await?;
        queue(&boris, "done").await?;
        wait_until("the done ticket on Boris's screen", 15, || async {
            Ok((listed(&boris).await?.len() == 1).then_some(()))
        })
        .await?;
        boris.screenshot("tickets-1280x800-ru").await?;
        AppShell::open(&boris, &ticket).await?;
        messages_become(&boris, &["customer", "reply"]).await?;
        boris.screenshot("ticket-1280x800-ru").await?;
        AppShell::open(&boris, "/settings").await?;
        boris.eval("document.querySelector('[data-testid=service-settings]').scrollIntoView(); return 1;").await?;
        boris.screenshot("settings-service-1280x800-ru").await?;
        boris.emulate(Viewport::Phone).await?;
        boris.screenshot("settings-service-390x844-ru").await?;
        boris.eval("document.querySelector('[data-testid=statuses]').scrollIntoView(); return 1;").await?;
        boris.screenshot("settings-statuses-390x844-ru").await?;
        AppShell::open(&boris, "/tickets/reports").await?;
        let all = report_row(&boris, "report-by-team", "Все заявки").await?;
        assert_eq!(all[..2], ["1", "1"], "{all:?}");
        boris.screenshot("service-reports-390x844-ru").await?;
        boris.emulate(Viewport::Desktop).await?;
        boris.screenshot("service-reports-1280x800-ru").await?;
        AppShell::open(&boris, "/settings").await?;
        boris.by_testid("statuses").await?;
        boris.eval("document.querySelector('[data-testid=statuses]').scrollIntoView(); return 1;").await?;
        boris.screenshot("settings-statuses-1280x800-ru").await?;
        anna.emulate(Viewport::Phone).await?;
        AppShell::open(&anna, "/tickets").await?;
        queue(&anna, "done").await?;
        wait_until("the done ticket on Anna's phone", 15, || async {
            Ok((listed(&anna).await?.len() == 1).then_some(()))
        })
        .await?;
        anna.screenshot("tickets-390x844-en").await?;
        AppShell::open(&anna, &ticket).await?;
        messages_become(&anna, &["customer", "reply"]).await?;
        anna.screenshot("ticket-390x844-en").await?;
        AppShell::open(&anna, "/settings").await?;
        anna.eval("document.querySelector('[data-testid=service-settings]').scrollIntoView(); return 1;").await?;
        anna.screenshot("settings-service-390x844-en").await?;
        anna.eval("document.querySelector('[data-testid=statuses]').scrollIntoView(); return 1;").await?;
        anna.screenshot("settings-statuses-390x844-en").await?;
        AppShell::open(&anna, "/tickets/reports").await?;
        report_row(&anna, "report-by-team", "All tickets").await?;
        anna.screenshot("service-reports-390x844-en").await?;
        Ok(())
    })
    .await;
}

/// The value of the article's text as its field holds it.
async fn article_text(browser: &Browser) -> E2eResult<String> {
    let value =
        browser.eval("return document.querySelector('[data-testid=article-body]').value;").await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// The knowledge base end to end: Anna writes an article with the toolbar and publishes it; a reader
/// with no account reads it on the relay's help page and says it helped, which Anna then sees; the
/// article is found offline by the start of a word and linked from a reply; unpublished, its public
/// page is gone. Screenshots of the list, the article and the help page at both sizes in both
/// languages.
#[tokio::test]
async fn an_article_is_written_published_read_without_an_account_and_linked_from_a_reply() {
    run("knowledge_base", |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        AppShell::open(&anna, "/tickets").await?;
        anna.by_testid("knowledge-link").await?.click().await?;
        anna.by_testid("page-knowledge").await?;
        anna.by_testid("new-article-open").await?.click().await?;
        set_field(&anna, "new-article-title", "Resetting your password").await?;
        set_field(&anna, "new-article-category", "Accounts").await?;
        anna.by_testid("new-article-create").await?.click().await?;
        anna.by_testid("page-article").await?;
        let article = anna.path().await?.trim_start_matches("/knowledge/").to_owned();

        // Written with the toolbar: "Reset" selected and made bold, a list line added.
        set_field(&anna, "article-body", "Press Reset on the sign-in page.").await?;
        anna.eval("const f = document.querySelector('[data-testid=article-body]'); f.focus(); f.setSelectionRange(6, 11); return 1;").await?;
        anna.by_testid("format-bold").await?.click().await?;
        assert_eq!(article_text(&anna).await?, "Press **Reset** on the sign-in page.");
        anna.eval("const f = document.querySelector('[data-testid=article-body]'); f.setSelectionRange(f.value.length, f.value.length); return 1;").await?;
        anna.by_testid("format-list").await?.click().await?;
        assert_eq!(article_text(&anna).await?, "- Press **Reset** on the sign-in page.");
        wait_until("the preview to show the formatting", 15, || async {
            let html = anna
                .eval("return document.querySelector('[data-testid=article-preview] .article-text').innerHTML;")
                .await?;
            Ok(html.as_str().is_some_and(|h| h.contains("<li>Press <strong>Reset</strong>")).then_some(()))
        })
        .await?;
        anna.by_testid("article-published").await?.click().await?;
        anna.by_testid("article-save").await?.click().await?;
        anna.by_testid("article-saved").await?;
        // Handed to the relay as soon as the device is in step.
        anna.text_when("article-state", |t| t == "Published: readers see this version.").await?;
        let public = attribute(&anna, "article-public-link", "href").await?;
        assert!(public.starts_with("/help/") && public.ends_with(&format!("/{article}")), "{public}");
        anna.screenshot("article-1280x800-en").await?;

        // Boris adds a line at the end while Anna, at the same time, changes the first: both are kept.
        let boris = harness.browser(Viewport::Desktop).await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;
        AppShell::open(&boris, &format!("/knowledge/{article}")).await?;
        wait_until("Boris's form to hold the article", 15, || async {
            Ok((article_text(&boris).await? == "- Press **Reset** on the sign-in page.").then_some(()))
        })
        .await?;
        boris.eval("const f = document.querySelector('[data-testid=article-body]'); f.focus(); f.setSelectionRange(f.value.length, f.value.length); return 1;").await?;
        boris.by_testid("article-body").await?.send_keys("\n- Then sign in again.").await?;
        AppShell::open(&anna, &format!("/knowledge/{article}")).await?;
        wait_until("Anna's form to hold the article", 15, || async {
            Ok((article_text(&anna).await? == "- Press **Reset** on the sign-in page.").then_some(()))
        })
        .await?;
        set_field(&anna, "article-body", "- Press **Reset** on the sign-in page of the app.").await?;
        anna.by_testid("article-save").await?.click().await?;
        anna.by_testid("article-saved").await?;
        boris.by_testid("article-changed-meanwhile").await?;
        boris.screenshot("article-changed-meanwhile-1280x800-en").await?;
        boris.by_testid("article-save").await?.click().await?;
        boris.by_testid("article-saved").await?;
        let merged = "- Press **Reset** on the sign-in page of the app.\n- Then sign in again.";
        for (who, browser) in [("Boris", &boris), ("Anna", &anna)] {
            wait_until(&format!("{who}'s form to hold both changes"), 30, || async {
                Ok((article_text(browser).await? == merged).then_some(()))
            })
            .await?;
        }

        // A reader with no account, on the help page.
        let reader = harness.browser(Viewport::Phone).await?;
        reader.open(&public).await?;
        reader
            .wait_for_script_within(
                "the help page",
                15,
                "return document.querySelector('article h1')?.textContent === 'Resetting your password' && !!document.querySelector('article strong');",
            )
            .await?;
        reader.screenshot("help-page-390x844-en").await?;
        reader.emulate(Viewport::Desktop).await?;
        reader.screenshot("help-page-1280x800-en").await?;
        let russian = harness.browser_speaking(Viewport::Phone, "ru").await?;
        russian.open(&public).await?;
        russian
            .wait_for_script_within(
                "the help page in Russian",
                15,
                "return document.body.textContent.includes('Статья была полезной?');",
            )
            .await?;
        russian.screenshot("help-page-390x844-ru").await?;
        russian.emulate(Viewport::Desktop).await?;
        russian.screenshot("help-page-1280x800-ru").await?;
        russian.open(public.rsplit_once('/').map_or("/", |(index, _)| index)).await?;
        russian
            .wait_for_script_within(
                "the help pages' index",
                15,
                "return document.querySelector('h1')?.textContent.endsWith('Справка');",
            )
            .await?;
        russian.screenshot("help-index-1280x800-ru").await?;
        reader.eval("document.querySelector('button[value=yes]').click(); return 1;").await?;
        reader
            .wait_for_script_within(
                "the thanks",
                15,
                "return document.body.textContent.includes('Thank you for your answer.');",
            )
            .await?;
        // Anna opens the article again: the answer is there.
        AppShell::open(&anna, &format!("/knowledge/{article}")).await?;
        anna.text_when("article-helpful", |t| t == "1 of 1 readers found it helpful.").await?;

        // Found offline by the start of a word, in the list and in the palette.
        set_network(&anna, false).await?;
        AppShell::open(&anna, "/knowledge").await?;
        anna.by_testid("article-search").await?.send_keys("passw").await?;
        anna.text_when("article-results", |t| t.contains("Resetting your password")).await?;
        anna.screenshot("knowledge-1280x800-en").await?;
        anna.by_testid("article-search").await?.clear().await?;
        anna.by_testid("article-search").await?.send_keys("zebra").await?;
        anna.text_when("article-results", |t| t.starts_with("0 found")).await?;
        set_network(&anna, true).await?;
        sync_state(&anna, "synced", 30).await?;

        // Linked from a reply: the title and the public address go in the text.
        AppShell::open(&anna, "/tickets").await?;
        anna.by_testid("new-ticket-open").await?.click().await?;
        set_field(&anna, "new-ticket-subject", "Cannot sign in").await?;
        anna.by_testid("save-ticket").await?.click().await?;
        anna.by_testid("page-ticket").await?;
        anna.eval("document.querySelector('[data-testid=article-link] summary').click(); return 1;").await?;
        anna.by_testid("article-link-search").await?.send_keys("reset").await?;
        anna.by_testid("article-link-choice").await?.click().await?;
        let reply = anna
            .eval("return document.querySelector('[data-testid=ticket-message-text]').value;")
            .await?;
        let address = format!("{}{public}", harness.relay().url());
        assert_eq!(reply.as_str().unwrap_or_default(), format!("Resetting your password: {address}\n"));

        // Unpublished: the help page is gone.
        AppShell::open(&anna, &format!("/knowledge/{article}")).await?;
        anna.by_testid("article-published").await?.click().await?;
        anna.by_testid("article-save").await?.click().await?;
        anna.text_when("article-state", |t| t == "A draft: only the team sees it.").await?;
        wait_until("the help page withdrawn", 30, || async {
            let status = reqwest::get(&address).await.map(|r| r.status().as_u16()).unwrap_or(0);
            Ok((status == 404).then_some(()))
        })
        .await?;

        // The same screens on a phone and in Russian.
        anna.emulate(Viewport::Phone).await?;
        anna.screenshot("article-390x844-en").await?;
        AppShell::open(&anna, "/knowledge").await?;
        anna.by_testid("article-row").await?;
        anna.screenshot("knowledge-390x844-en").await?;
        AppShell::open(&anna, "/settings").await?;
        change_to(&anna, "language", "ru").await?;
        AppShell::open(&anna, "/knowledge").await?;
        anna.text_when("page-title", |t| t == "База знаний").await?;
        anna.screenshot("knowledge-390x844-ru").await?;
        AppShell::open(&anna, &format!("/knowledge/{article}")).await?;
        anna.text_when("article-state", |t| t == "Черновик: видит только команда.").await?;
        anna.screenshot("article-390x844-ru").await?;
        anna.emulate(Viewport::Desktop).await?;
        anna.screenshot("article-1280x800-ru").await?;
        AppShell::open(&anna, "/knowledge").await?;
        anna.by_testid("article-row").await?;
        anna.screenshot("knowledge-1280x800-ru").await?;
        Ok(())
    })
    .await;
}
