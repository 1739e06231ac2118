//! Employees' 1:1s, end to end on a real relay. Anna records Boris as her report (title, team, his
//! account, a training that expires soon) and sets up a fortnightly 1:1 with him. Both prepare it
//! live — Anna at her desk, Boris on his phone in Russian — each seeing the other's talking points
//! arrive. Each writes private notes: they stay on the writer's own devices (the other's screen and
//! the other's IndexedDB never hold them, a second device of the writer's does). Anna ticks a point
//! off, makes another an action item (a task for Boris) and closes the meeting: what was not talked
//! through carries over, and Boris's phone shows the meeting held. Anna then adds a company value
//! and gives Boris kudos for it: his phone shows them in the feed and counts them.

use rapport_e2e::flows::{
    add_party, all_of, attribute_becomes, change_to, choose_by_text, click_centred as click,
    click_css, days_from_today, join_by_invitation, nothing_unsynced, open_record, photograph,
    set_field, sign_in_on_another_device, sign_up_and_upload, stored_anywhere,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};
use serde_json::Value;

/// Adds a talking point to the open 1:1.
async fn add_point(browser: &Browser, text: &str) -> E2eResult {
    set_field(browser, "point-text", text).await?;
    click(browser, "point-add").await
}

/// Clicks `button` on the agenda point reading `text`.
async fn on_point(browser: &Browser, text: &str, button: &str) -> E2eResult {
    click_css(
        browser,
        &format!("[data-testid=agenda-point][data-text=\"{text}\"] [data-testid={button}]"),
    )
    .await
}

/// Whether the agenda shows a point reading `text`, with `carried` meetings waited.
async fn point_shown(browser: &Browser, text: &str, carried: u32) -> E2eResult {
    let script = format!(
        "return !!document.querySelector('[data-testid=agenda-point][data-text=\"{text}\"][data-carried=\"{carried}\"]');"
    );
    wait_until(&format!("“{text}” on the agenda"), 20, || async {
        Ok((browser.eval(&script).await? == Value::Bool(true)).then_some(()))
    })
    .await
}

/// Writes private notes on the open 1:1 and waits until they are saved.
async fn write_private(browser: &Browser, text: &str) -> E2eResult {
    browser.by_testid("private-notes-text").await?;
    set_field(browser, "private-notes-text", text).await?;
    click(browser, "private-notes-save").await?;
    browser.by_testid("private-notes-saved").await?;
    Ok(())
}

async fn private_text(browser: &Browser) -> E2eResult<String> {
    let value = browser
        .eval("const f = document.querySelector('[data-testid=private-notes-text]'); return f ? f.value : null;")
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// The id of this browser's private document, as its storage names it (`relay:<id>:<member>`).
async fn private_document_id(browser: &Browser) -> E2eResult<String> {
    let script = "return (async () => {
           const names = (await indexedDB.databases()).map(d => d.name).filter(n => n.startsWith('rapport'));
           for (const name of names) {
             const db = await new Promise((ok, fail) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = fail; });
             if (!db.objectStoreNames.contains('meta')) { db.close(); continue; }
             const keys = await new Promise(ok => { const r = db.transaction('meta').objectStore('meta').getAllKeys(); r.onsuccess = () => ok(r.result); });
             const key = keys.find(k => String(k).endsWith('/private'));
             if (key) {
               const value = await new Promise(ok => { const r = db.transaction('meta').objectStore('meta').get(key); r.onsuccess = () => ok(r.result); });
               db.close();
               return String(value);
             }
             db.close();
           }
           return '';
         })();";
    let value = browser.eval(script).await?;
    let text = value.as_str().unwrap_or_default();
    Ok(text.split(':').nth(1).unwrap_or_default().to_owned())
}

/// Whether this browser holds any stored change of document `id` (IndexedDB `chunks`, keyed by the
/// document id first).
async fn holds_document(browser: &Browser, id: &str) -> E2eResult<bool> {
    let script = format!(
        "return (async () => (await {keys}).some(k => String(k).startsWith({prefix})))();",
        keys = all_of("chunks", true),
        prefix = Value::String(format!("{id}/")),
    );
    Ok(browser.eval(&script).await? == Value::Bool(true))
}

#[tokio::test]
async fn a_one_on_one_is_prepared_by_both_sides_live_and_private_notes_stay_with_their_writer() {
    let name =
        "a_one_on_one_is_prepared_by_both_sides_live_and_private_notes_stay_with_their_writer";
    run(name, |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        let boris = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;
        let [today, in_twenty] = days_from_today(&anna, [0, 20]).await?;

        // Boris as an employee: his title, team, account and a training that expires soon.
        add_party(&anna, "Boris Ivanov").await?;
        open_record(&anna, "Boris Ivanov").await?;
        let record = anna.path().await?;
        click_css(&anna, "[data-testid=party-role][data-role=employee]").await?;
        anna.by_testid("employee-panel").await?;
        set_field(&anna, "employee-title", "Account executive").await?;
        set_field(&anna, "employee-team", "Sales").await?;
        click(&anna, "employment-save").await?;
        choose_by_text(&anna, "employee-account", "Boris").await?;
        set_field(&anna, "skill-name", "Negotiation").await?;
        click(&anna, "skill-save").await?;
        anna.by_testid("skill").await?;
        set_field(&anna, "training-name", "First aid").await?;
        change_to(&anna, "training-expires", &in_twenty).await?;
        click(&anna, "training-save").await?;
        attribute_becomes(&anna, "training", "data-state", "soon").await?;

        // The team page lists him, and the training that expires.
        AppShell::open(&anna, "/team").await?;
        attribute_becomes(&anna, "employees", "data-count", "1").await?;
        attribute_becomes(&anna, "expiring-trainings", "data-count", "1").await?;
        let row = anna.by_testid("employee-row").await?.text().await?;
        assert!(row.contains("Account executive · Sales"), "{row}");

        // Anna sets up a fortnightly 1:1 with Boris, starting today.
        choose_by_text(&anna, "new-one-on-one-with", "Boris").await?;
        change_to(&anna, "new-one-on-one-day", &today).await?;
        click(&anna, "new-one-on-one-create").await?;
        anna.by_testid("agenda").await?;
        let path = anna.path().await?;
        assert!(path.starts_with("/team/one-on-ones/"), "{path}");

        // Boris finds it on his team page, live.
        AppShell::open(&boris, "/team").await?;
        attribute_becomes(&boris, "one-on-ones", "data-count", "1").await?;
        let row = boris.by_testid("one-on-one-row").await?;
        assert_eq!(row.attr("data-with").await?.as_deref(), Some("Anna"));
        click(&boris, "one-on-one-row").await?;
        boris.by_testid("agenda").await?;
        assert_eq!(boris.path().await?, path);

        // Both prepare it at once: each sees the other's points arrive.
        add_point(&anna, "Q1 targets").await?;
        add_point(&boris, "Бюджет на конференцию").await?;
        add_point(&boris, "Career path").await?;
        for browser in [&anna, &boris] {
            attribute_becomes(browser, "agenda", "data-count", "3").await?;
            point_shown(browser, "Q1 targets", 0).await?;
            point_shown(browser, "Бюджет на конференцию", 0).await?;
        }
        // Boris moves his career point up a place: Anna's agenda follows.
        let order_script = "return [...document.querySelectorAll('[data-testid=agenda-point]')].map(p => p.dataset.text);";
        let texts = |value: Value| -> Vec<String> {
            value.as_array().into_iter().flatten().filter_map(|t| t.as_str().map(str::to_owned)).collect()
        };
        let before = texts(boris.eval(order_script).await?);
        let at = before.iter().position(|t| t == "Career path").expect("Career path listed");
        assert!(at > 0, "added after Boris's other point: {before:?}");
        let mut expected = before.clone();
        expected.swap(at - 1, at);
        on_point(&boris, "Career path", "point-up").await?;
        for browser in [&anna, &boris] {
            wait_until("the career point a place higher", 20, || async {
                let shown = texts(browser.eval(order_script).await?);
                Ok((shown == expected).then_some(()))
            })
            .await?;
        }

        // Private notes: each writer's alone.
        write_private(&anna, "Boris seems tired lately").await?;
        write_private(&boris, "Попросить о повышении").await?;
        nothing_unsynced(&anna).await?;
        nothing_unsynced(&boris).await?;
        assert_eq!(private_text(&anna).await?, "Boris seems tired lately");
        assert_eq!(private_text(&boris).await?, "Попросить о повышении");
        assert!(stored_anywhere(&anna, "rows", "Boris seems tired lately").await?, "the check finds notes");
        assert!(!stored_anywhere(&boris, "rows", "Boris seems tired lately").await?, "Anna's notes reached Boris");
        assert!(!stored_anywhere(&anna, "rows", "Попросить о повышении").await?, "Boris's notes reached Anna");
        let annas = private_document_id(&anna).await?;
        let boriss = private_document_id(&boris).await?;
        assert!(!annas.is_empty() && !boriss.is_empty() && annas != boriss, "{annas} {boriss}");
        assert!(holds_document(&anna, &annas).await?, "the check finds a stored document");
        assert!(!holds_document(&boris, &annas).await?, "Anna's private document is on Boris's phone");
        assert!(!holds_document(&anna, &boriss).await?, "Boris's private document is on Anna's desk");
        // Anna's second device has her notes, and only hers.
        let desk = harness.browser(Viewport::Desktop).await?;
        sign_in_on_another_device(&desk, "anna@example.test").await?;
        desk.open(&path).await?;
        wait_until("Anna's notes on her second device", 30, || async {
            Ok((private_text(&desk).await? == "Boris seems tired lately").then_some(()))
        })
        .await?;
        assert!(!stored_anywhere(&desk, "rows", "Попросить о повышении").await?);
        assert!(holds_document(&desk, &annas).await?, "Anna's second device syncs her document");

        // The meeting: one point talked through, one an action item, one left for next time.
        on_point(&anna, "Q1 targets", "point-done").await?;
        boris
            .wait_for_script(
                "Q1 targets ticked off on Boris's phone",
                "return !!document.querySelector('[data-testid=agenda-point][data-text=\"Q1 targets\"][data-done=\"true\"]');",
            )
            .await?;
        on_point(&anna, "Бюджет на конференцию", "point-to-action").await?;
        for browser in [&anna, &boris] {
            attribute_becomes(browser, "action-items", "data-count", "1").await?;
            attribute_becomes(browser, "agenda", "data-count", "2").await?;
        }
        click(&anna, "close-meeting").await?;
        anna.by_testid("meeting-closed").await?;
        for browser in [&anna, &boris] {
            attribute_becomes(browser, "past-meetings", "data-count", "1").await?;
            attribute_becomes(browser, "agenda", "data-count", "1").await?;
            point_shown(browser, "Career path", 1).await?;
        }
        let held = boris.by_testid("past-meeting").await?.text().await?;
        assert!(held.contains("Q1 targets"), "{held}");
        // The action item is Boris's task.
        AppShell::open(&boris, "/tasks").await?;
        boris
            .wait_for_script(
                "the action item among Boris's tasks",
                "return !!document.querySelector('[data-testid=task-row][data-title=\"Бюджет на конференцию\"]');",
            )
            .await?;

        // Kudos for one of the company's values: on Boris's phone as Anna gives them.
        AppShell::open(&boris, "/team").await?;
        AppShell::open(&anna, "/team").await?;
        set_field(&anna, "value-name", "Customer first").await?;
        click(&anna, "value-add").await?;
        anna.by_testid("company-value").await?;
        click(&anna, "kudos-give").await?;
        anna.by_testid("kudos-error").await?;
        // Given to the wrong words, withdrawn, given again: one kudos counts.
        for message in ["Closed the Nordwind renewl", "Closed the Nordwind renewal"] {
            set_field(&anna, "kudos-to-party-search", "Boris Iv").await?;
            click_css(&anna, "[data-testid=kudos-to-party-match]").await?;
            change_to(&anna, "kudos-value", "Customer first").await?;
            set_field(&anna, "kudos-message", message).await?;
            click(&anna, "kudos-give").await?;
            anna.by_testid("kudos-given").await?;
            attribute_becomes(&boris, "recognition", "data-count", "1").await?;
            if message.ends_with("renewl") {
                click(&anna, "kudos-withdraw").await?;
                attribute_becomes(&boris, "recognition", "data-count", "0").await?;
            }
        }
        boris
            .wait_for_script(
                "Boris among the most recognised",
                "return !!document.querySelector('[data-testid=recognised][data-name=\"Boris Ivanov\"][data-count=\"1\"]');",
            )
            .await?;
        let given = boris.by_testid("kudos").await?;
        assert_eq!(given.attr("data-value").await?.as_deref(), Some("Customer first"));
        assert!(given.text().await?.contains("Closed the Nordwind renewal"));
        // His record lists them too, on his phone.
        boris.open(&record).await?;
        attribute_becomes(&boris, "employee-kudos", "data-count", "1").await?;
        let row = boris.by_testid("employee-kudos-row").await?.text().await?;
        assert!(row.contains("Anna") && row.contains("Customer first"), "{row}");
        // And his timeline, with who gave them and for which value (in Russian on his phone).
        boris
            .wait_for_script(
                "the kudos on Boris's timeline",
                "const item = document.querySelector('[data-testid=timeline-item][data-kind=kudos]');
                 return !!item && item.textContent.includes('Closed the Nordwind renewal')
                   && item.textContent.includes('Customer first') && item.textContent.includes('Anna')
                   && document.querySelectorAll('[data-testid=timeline-item][data-kind=kudos]').length === 1;",
            )
            .await?;

        // Every new page at both sizes, in English on Anna's screens and Russian on Boris's.
        let pages = [
            ("team", "/team", "one-on-ones"),
            ("one-on-one", path.as_str(), "agenda"),
            ("employee-record", record.as_str(), "employee-panel"),
        ];
        for (browser, language) in [(&anna, "en"), (&boris, "ru")] {
            for (viewport, size) in [(Viewport::Desktop, "1280x800"), (Viewport::Phone, "390x844")] {
                browser.emulate(viewport).await?;
                for (page, path, ready) in pages {
                    browser.open(path).await?;
                    browser.by_testid(ready).await?;
                    rapport_e2e::flows::sync_state(browser, "synced", 30).await?;
                    if page == "employee-record" {
                        // The new panel, not the top of the record.
                        let show = "document.querySelector('[data-testid=employee-kudos]').scrollIntoView();";
                        browser.eval(show).await?;
                    }
                    photograph(browser, &format!("{page}-{size}-{language}")).await?;
                }
            }
        }
        Ok(())
    })
    .await;
}
