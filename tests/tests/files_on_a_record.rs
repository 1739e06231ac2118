//! Files on a record, end to end with the real relay: Anna attaches a photo and a contract to a
//! customer while her browser is offline — a file over the relay's limit is refused before anything
//! is kept — reloads, still offline, and finds both (the photo's thumbnail drawn from the device); back
//! online they go to the relay by themselves, byte for byte. Boris, on his phone in Russian, sees the
//! thumbnail, opens the contract, opens it again with no network (kept since the first time), and
//! removes the photo, which leaves Anna's record too.

use std::path::Path;

use rapport_e2e::flows::{
    add_party, api_session, downloads_into, join_by_invitation, nothing_unsynced, open_record,
    set_network, sign_up_and_upload, sync_state,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run_with_relay_args, wait_until, workspace_root};

/// The hashes of the record's files as the page lists them, newest first.
async fn listed(browser: &Browser) -> E2eResult<Vec<String>> {
    let hashes = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=file]')].map(f => f.dataset.hash);",
        )
        .await?;
    Ok(serde_json::from_value(hashes).unwrap_or_default())
}

async fn files_listed(browser: &Browser, count: usize) -> E2eResult<Vec<String>> {
    wait_until(&format!("{count} files on the record"), 30, || async {
        let hashes = listed(browser).await?;
        Ok((hashes.len() == count).then_some(hashes))
    })
    .await
}

/// The file states shown on the record's rows (empty when the relay holds every file).
async fn states(browser: &Browser) -> E2eResult<Vec<String>> {
    let states = browser
        .eval("return [...document.querySelectorAll('[data-testid=file-state]')].map(s => s.textContent);")
        .await?;
    Ok(serde_json::from_value(states).unwrap_or_default())
}

/// Brings the record's files to the middle of the screen, as a person scrolls to them (thumbnails
/// load when near the screen).
async fn show_files(browser: &Browser) -> E2eResult {
    browser
        .eval("document.querySelector('[data-testid=files]').scrollIntoView({ block: 'center' }); return 1;")
        .await?;
    Ok(())
}

/// Waits until the record's thumbnail is drawn (an image decoded, not the kind's icon).
async fn thumbnail_drawn(browser: &Browser) -> E2eResult {
    show_files(browser).await?;
    browser
        .wait_for_script(
            "the photo's thumbnail drawn",
            "const img = document.querySelector('[data-testid=file-thumbnail]'); return !!img && img.complete && img.naturalWidth > 0;",
        )
        .await
}

async fn click_file(browser: &Browser, hash: &str) -> E2eResult {
    browser
        .eval(&format!(
            "document.querySelector('[data-testid=file][data-hash=\"{hash}\"] [data-testid=file-open]').click(); return 1;"
        ))
        .await?;
    Ok(())
}

async fn downloaded(dir: &Path, name: &str) -> E2eResult<Vec<u8>> {
    wait_until(&format!("{name} downloaded"), 20, || async {
        let path = dir.join(name);
        let partial = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .any(|e| e.path().extension().is_some_and(|x| x == "crdownload"))
            })
            .unwrap_or(false);
        Ok((!partial).then(|| std::fs::read(&path).ok()).flatten().filter(|b| !b.is_empty()))
    })
    .await
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn files_attached_offline_reach_the_relay_and_a_colleague_keeps_what_he_opened() {
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("shop-front.png");
    std::fs::copy(workspace_root().join("public/icons/icon-512.png"), &photo).unwrap();
    let contract = files.path().join("contract.pdf");
    let contract_bytes: Vec<u8> = b"%PDF-1.4\n% Supply contract 2027\n"
        .iter()
        .copied()
        .chain((0..40_000u32).map(|i| (i % 251) as u8))
        .collect();
    std::fs::write(&contract, &contract_bytes).unwrap();
    let too_large = files.path().join("site-survey.mov");
    std::fs::write(&too_large, vec![7u8; 1_500_000]).unwrap();
    let (photo_path, contract_path) = (photo.clone(), contract.clone());
    let name = "files_attached_offline_reach_the_relay_and_a_colleague_keeps_what_he_opened";
    run_with_relay_args(name, &["--max-file-mb", "1"], move |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        let boris = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        add_party(&anna, "Ann Lee").await?;
        nothing_unsynced(&anna).await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;

        AppShell::open(&anna, "/parties").await?;
        open_record(&anna, "Ann Lee").await?;
        anna.by_testid("files-empty").await?;
        // Once connected, the device knows the relay's limit.
        anna.text_when("files-limit", |t| t.contains("1 MB")).await?;
        anna.wait_for_script("the service worker in charge", "return !!navigator.serviceWorker.controller;").await?;

        // Offline, a photo and a contract at once; then a video over the limit, refused at once.
        set_network(&anna, false).await?;
        sync_state(&anna, "offline", 30).await?;
        let both = format!("{}\n{}", photo_path.display(), contract_path.display());
        anna.by_testid("file-attach").await?.send_keys(&both).await?;
        let hashes = files_listed(&anna, 2).await?;
        let photo_bytes = std::fs::read(&photo_path).unwrap();
        let (photo_hash, contract_hash) = (sha256_hex(&photo_bytes), sha256_hex(&contract_bytes));
        assert!(hashes.contains(&photo_hash) && hashes.contains(&contract_hash), "{hashes:?}");
        anna.by_testid("file-attach").await?.send_keys(too_large.to_str().unwrap()).await?;
        anna.text_when("files-error", |t| t.contains("site-survey.mov") && t.contains("1 MB")).await?;
        assert_eq!(listed(&anna).await?.len(), 2, "nothing over the limit is attached");
        thumbnail_drawn(&anna).await?;
        let waiting = states(&anna).await?;
        assert_eq!(waiting.len(), 2, "{waiting:?}");
        assert!(waiting.iter().all(|s| s.contains("this device only")), "{waiting:?}");

        // A reload with no network: the record still has its files, still owed to the relay.
        let record = anna.path().await?;
        anna.open(&record).await?;
        files_listed(&anna, 2).await?;
        thumbnail_drawn(&anna).await?;
        assert_eq!(states(&anna).await?.len(), 2);
        show_files(&anna).await?;
        anna.screenshot("files-waiting-offline-1280x800-en").await?;

        // Online again: both go to the relay by themselves, and it holds exactly those bytes.
        set_network(&anna, true).await?;
        wait_until("every file on the relay", 30, || async {
            Ok(states(&anna).await?.is_empty().then_some(()))
        })
        .await?;
        let relay = harness.relay().url().to_owned();
        let (client, cookie, workspace) = api_session(&relay, "anna@example.test").await;
        for (hash, bytes) in [(&photo_hash, &photo_bytes), (&contract_hash, &contract_bytes)] {
            let served = client
                .get(format!("{relay}/api/workspaces/{workspace}/files/{hash}"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(served.status(), 200);
            assert_eq!(&served.bytes().await.unwrap()[..], &bytes[..]);
        }
        let usage: serde_json::Value = client
            .get(format!("{relay}/api/workspaces/{workspace}/files"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let used = usage["used"].as_u64().unwrap();
        let originals = (photo_bytes.len() + contract_bytes.len()) as u64;
        assert!(used > originals, "the photo's thumbnail went too: {used} ≤ {originals}");
        anna.screenshot("files-on-the-relay-1280x800-en").await?;
        anna.emulate(Viewport::Phone).await?;
        show_files(&anna).await?;
        anna.screenshot("files-on-the-relay-390x844-en").await?;
        anna.emulate(Viewport::Desktop).await?;

        // Boris, on his phone: the thumbnail from the relay, the contract opened under its name.
        let saved = tempfile::tempdir().unwrap();
        downloads_into(&boris, saved.path()).await?;
        AppShell::open(&boris, "/parties").await?;
        open_record(&boris, "Ann Lee").await?;
        files_listed(&boris, 2).await?;
        thumbnail_drawn(&boris).await?;
        assert!(states(&boris).await?.is_empty(), "a colleague's files owe nothing from here");
        click_file(&boris, &contract_hash).await?;
        assert_eq!(downloaded(saved.path(), "contract.pdf").await?, contract_bytes);
        show_files(&boris).await?;
        boris.screenshot("files-390x844-ru").await?;
        boris.emulate(Viewport::Desktop).await?;
        show_files(&boris).await?;
        boris.screenshot("files-1280x800-ru").await?;
        boris.emulate(Viewport::Phone).await?;

        // With no network, what he opened once opens again.
        std::fs::remove_file(saved.path().join("contract.pdf")).unwrap();
        set_network(&boris, false).await?;
        sync_state(&boris, "offline", 30).await?;
        click_file(&boris, &contract_hash).await?;
        assert_eq!(downloaded(saved.path(), "contract.pdf").await?, contract_bytes);
        set_network(&boris, true).await?;
        sync_state(&boris, "synced", 30).await?;

        // He removes the photo; it leaves Anna's record too.
        boris
            .eval(&format!(
                "document.querySelector('[data-testid=file][data-hash=\"{photo_hash}\"] [data-testid=file-remove]').click(); return 1;"
            ))
            .await?;
        files_listed(&boris, 1).await?;
        assert_eq!(files_listed(&anna, 1).await?, vec![contract_hash.clone()]);

        // A deal keeps files the same way: the same contract attached to it is one file on the relay.
        AppShell::open(&anna, "/deals").await?;
        anna.wait_for_script(
            "the new-deal form",
            "const form = document.querySelector('.new-deal'); if (form && !form.open) form.open = true; return !!form && form.open;",
        )
        .await?;
        anna.by_testid("new-deal-title").await?.send_keys("Supply 2027").await?;
        anna.by_testid("add-deal").await?.click().await?;
        let deal = wait_until("the new deal on the board", 20, || async {
            let href = anna.eval("return document.querySelector('[data-testid=deal-link]')?.getAttribute('href') ?? '';").await?;
            Ok(href.as_str().filter(|h| !h.is_empty()).map(str::to_owned))
        })
        .await?;
        AppShell::open(&anna, &deal).await?;
        anna.by_testid("file-attach").await?.send_keys(contract_path.to_str().unwrap()).await?;
        assert_eq!(files_listed(&anna, 1).await?, vec![contract_hash.clone()]);
        wait_until("the deal's file on the relay", 30, || async {
            Ok(states(&anna).await?.is_empty().then_some(()))
        })
        .await?;
        show_files(&anna).await?;
        anna.screenshot("files-on-a-deal-1280x800-en").await?;
        Ok(())
    })
    .await;
}
