//! A device keeps where each document's conversation with the relay stopped, so a reload resumes it
//! instead of starting over: the points are stored once the device is in step, survive the reload, and
//! the device syncs on from them without loading a document to say where it stands (a new edit reaches
//! a second device).

use rapport_e2e::flows::{
    add_party, nothing_unsynced, set_network, sign_in_on_another_device, sign_up_and_upload,
    sync_state,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};

/// The stored resume points of the open workspace: `(document id, encoded state)` per line.
async fn resume_points(browser: &Browser) -> E2eResult<Vec<(String, String)>> {
    let text = browser
        .eval(
            "return (async () => {
               const names = (await indexedDB.databases()).map(d => d.name).filter(n => n.startsWith('rapport'));
               for (const name of names) {
                 const db = await new Promise((ok, fail) => { const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = fail; });
                 if (!db.objectStoreNames.contains('meta')) { db.close(); continue; }
                 const keys = await new Promise(ok => { const r = db.transaction('meta').objectStore('meta').getAllKeys(); r.onsuccess = () => ok(r.result); });
                 const key = keys.find(k => String(k).endsWith('/sync-resume'));
                 if (key) {
                   const value = await new Promise(ok => { const r = db.transaction('meta').objectStore('meta').get(key); r.onsuccess = () => ok(r.result); });
                   db.close();
                   return value;
                 }
                 db.close();
               }
               return '';
             })();",
        )
        .await?;
    Ok(text
        .as_str()
        .unwrap_or_default()
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(id, state)| (id.to_owned(), state.to_owned()))
        .collect())
}

#[tokio::test]
async fn a_reload_resumes_each_conversation_where_it_stopped() {
    run("a_reload_resumes_each_conversation_where_it_stopped", |harness| async move {
        let phone = harness.browser(Viewport::Phone).await?;
        sign_up_and_upload(&phone, "resume@example.test", "Rita").await?;
        for name in ["Resumed One", "Resumed Two"] {
            add_party(&phone, name).await?;
        }
        nothing_unsynced(&phone).await?;
        let points = wait_until("the resume points to be kept", 30, || async {
            let points = resume_points(&phone).await?;
            Ok((points.len() >= 2).then_some(points))
        })
        .await?;
        assert!(points.iter().all(|(id, state)| !id.is_empty() && state.len() > 4), "{points:?}");

        // A tunnel: the points are kept on the disconnect too, so they are where every document stands.
        set_network(&phone, false).await?;
        sync_state(&phone, "offline", 10).await?;
        set_network(&phone, true).await?;
        sync_state(&phone, "synced", 30).await?;

        // A reload: the points are still there, and the device syncs on from them — saying where each
        // document stands without loading any of them.
        AppShell::open(&phone, "/parties").await?;
        nothing_unsynced(&phone).await?;
        sync_state(&phone, "synced", 30).await?;
        let loaded = phone
            .eval("return performance.getEntriesByName('rapport:document-loaded').length;")
            .await?;
        assert_eq!(loaded.as_u64(), Some(0), "documents loaded to resume");
        assert!(resume_points(&phone).await?.len() >= points.len());
        add_party(&phone, "After the reload").await?;
        nothing_unsynced(&phone).await?;

        let laptop = harness.browser(Viewport::Desktop).await?;
        sign_in_on_another_device(&laptop, "resume@example.test").await?;
        wait_until("every record on the second device", 30, || async {
            let text = laptop.by_testid("party-count").await?.text().await?;
            Ok((text == "3 found").then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
}
