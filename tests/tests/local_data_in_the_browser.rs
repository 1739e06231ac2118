//! The data layer through the real app: a demo workspace arrives from the relay into IndexedDB, its
//! people are listed and searchable, and a person added by hand is still there after a reload — read from
//! the stored read model, in a browser with no other copy of the data.

use rapport_e2e::pages::AppShell;
use rapport_e2e::{Viewport, run, run_with_relay_args, wait_until};

const PARTIES: usize = 300;

#[tokio::test]
async fn demo_data_is_listed_searched_and_edits_survive_a_reload() {
    let parties = PARTIES.to_string();
    run_with_relay_args(
        "demo_data_is_listed_searched_and_edits_survive_a_reload",
        &["--demo", "--demo-parties", &parties],
        |harness| async move {
            let browser = harness.browser(Viewport::Desktop).await?;
            AppShell::open(&browser, "/parties").await?;
            let count = |browser: rapport_e2e::Browser| async move {
                // "1,000 found" → "1000 found": counts are grouped as the language writes them.
                let text = browser.by_testid("party-count").await?.text().await?;
                Ok::<_, rapport_e2e::E2eError>(text.replace(',', ""))
            };
            wait_until("the demo workspace to be listed", 90, || {
                let browser = browser.clone();
                async move {
                    let text = count(browser).await?;
                    Ok((text == format!("{PARTIES} found")).then_some(()))
                }
            })
            .await?;

            // Search narrows the list as the user types, in any script.
            let search = browser.by_testid("party-search").await?;
            search.send_keys("zzzz-nobody").await?;
            wait_until("no match", 10, || {
                let browser = browser.clone();
                async move { Ok((count(browser).await? == "0 found").then_some(())) }
            })
            .await?;

            // Add a person; the field clears once the record is durable.
            search.clear().await?;
            browser.eval("document.querySelector('[data-testid=party-search]').dispatchEvent(new Event('input'))").await?;
            let name = browser.by_testid("new-party-name").await?;
            name.send_keys("Ёлкина Зоя").await?;
            browser.by_testid("add-party").await?.click().await?;
            wait_until("the new person to be saved", 10, || {
                let browser = browser.clone();
                async move {
                    let value = browser
                        .eval("return document.querySelector('[data-testid=new-party-name]').value;")
                        .await?;
                    Ok((value == "").then_some(()))
                }
            })
            .await?;

            // Reload: the app reads the stored rows — the demo and her — and finds her, diacritics or not.
            browser.open("/parties").await?;
            wait_until("everyone to be listed after the reload", 30, || {
                let browser = browser.clone();
                async move { Ok((count(browser).await? == format!("{} found", PARTIES + 1)).then_some(())) }
            })
            .await?;
            let search = browser.by_testid("party-search").await?;
            search.send_keys("елкина").await?;
            wait_until("the person added before the reload", 30, || {
                let browser = browser.clone();
                async move { Ok((count(browser).await? == "1 found").then_some(())) }
            })
            .await?;
            let row = browser.by_testid("party-row").await?.text().await?;
            assert!(row.contains("Ёлкина Зоя"), "{row}");
            let total = browser.eval("return indexedDB.databases().then(d => d.map(x => x.name));").await?;
            assert!(total.to_string().contains("rapport"), "{total}");
            browser.screenshot("parties-after-reload").await?;

            // Settings: every stored document is read back and compacted, nothing damaged.
            browser.open("/settings").await?;
            browser.by_testid("check-storage").await?.click().await?;
            let report = wait_until("the storage check", 60, || {
                let browser = browser.clone();
                async move {
                    if !browser.has_testid("storage-report").await? {
                        return Ok(None);
                    }
                    Ok(Some(browser.by_testid("storage-report").await?.text().await?))
                }
            })
            .await?;
            assert!(!browser.has_testid("storage-damaged").await?, "{report}");
            let documents: usize = browser.by_testid("storage-documents").await?.text().await?.parse().unwrap_or(0);
            assert!(documents > 50, "the demo spans many documents: {report}");
            browser.screenshot("settings-storage-check").await?;
            assert!(browser.console_errors().await?.is_empty(), "{:?}", browser.console_errors().await?);
            Ok(())
        },
    )
    .await;
}

/// Every person the app said was saved is there after the browser's page process dies mid-batch.
#[tokio::test]
async fn a_crashed_page_keeps_every_acknowledged_edit() {
    run("a_crashed_page_keeps_every_acknowledged_edit", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/parties").await?;
        browser.wait_for_script(
            "the workspace to open",
            "return document.querySelector('[data-testid=party-count]').textContent === '0 found';",
        )
        .await?;
        let acknowledged = ["Ada Lovelace", "Борис Пастернак", "Chloé Dubois", "Dmitri Ivanov"];
        for person in acknowledged {
            browser.by_testid("new-party-name").await?.send_keys(person).await?;
            browser.by_testid("add-party").await?.click().await?;
            wait_until("the app to acknowledge the save", 10, || {
                let browser = browser.clone();
                async move {
                    let value = browser
                        .eval(
                            "return document.querySelector('[data-testid=new-party-name]').value;",
                        )
                        .await?;
                    Ok((value == "").then_some(()))
                }
            })
            .await?;
        }
        // One more, in flight when the page process is killed: it may or may not survive.
        browser.by_testid("new-party-name").await?.send_keys("Eve in flight").await?;
        browser.by_testid("add-party").await?.click().await?;
        browser.crash_and_reopen("/parties").await?;
        let text = wait_until("the people saved before the crash", 30, || {
            let browser = browser.clone();
            async move {
                let count = browser.by_testid("party-count").await?.text().await?;
                let found: usize =
                    count.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
                if found < acknowledged.len() {
                    return Ok(None);
                }
                Ok(Some(browser.by_testid("party-list").await?.text().await?))
            }
        })
        .await?;
        for person in acknowledged {
            assert!(text.contains(person), "{person} was acknowledged and must survive: {text}");
        }
        Ok(())
    })
    .await;
}
