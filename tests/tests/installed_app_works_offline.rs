//! The installed app (PWA) with a real service worker on localhost: after one visit it opens with the
//! relay gone, shows the data and takes edits, which reach the relay once it is back; the browser finds
//! the manifest valid and the app installable; a new build is offered, held back while input is unsaved,
//! and applied after the prompt.

use std::path::Path;

use rapport_e2e::flows::{
    add_party, click_when_enabled, nothing_unsynced, open_record, party_count, set_field,
    set_network, sign_in_on_another_device, sign_up_and_upload, sync_state, sync_status,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{
    Browser, E2eError, E2eResult, Relay, Viewport, dist_dir, run, run_with_relay, wait_until,
};
use serde_json::json;

#[tokio::test]
async fn after_one_visit_the_app_opens_and_takes_edits_with_the_relay_gone() {
    run(
        "after_one_visit_the_app_opens_and_takes_edits_with_the_relay_gone",
        |harness| async move {
            let phone = harness.browser(Viewport::Phone).await?;
            sign_up_and_upload(&phone, "field@example.test", "Field Sales").await?;
            add_party(&phone, "Before the car park").await?;
            nothing_unsynced(&phone).await?;
            controlled_by_the_service_worker(&phone).await?;

            // No network to the relay: the app still opens, from the service worker's cache.
            harness.relay().stop().await;
            phone.open("/parties").await?;
            phone.by_testid("page-parties").await?;
            party_count(&phone, 1).await?;
            add_party(&phone, "Typed in the car park").await?;
            party_count(&phone, 2).await?;
            phone.by_testid("row-unsynced").await?;
            // With the relay away the device tries again now and then: offline between tries,
            // connecting during one (a run under load caught it there); either way the edit waits.
            let (state, pending) = sync_status(&phone).await?;
            assert!(matches!(state.as_str(), "offline" | "connecting"), "relay away, yet {state}");
            assert_eq!(pending, "1", "the edit waits");
            phone.screenshot("offline-390x844-light").await?;
            set_dark_mode(&phone, true).await?;
            phone.screenshot("offline-390x844-dark").await?;
            set_dark_mode(&phone, false).await?;

            // The relay returns: the edit goes out by itself, and another device receives it.
            harness.relay().restart().await?;
            sync_state(&phone, "synced", 60).await?;
            nothing_unsynced(&phone).await?;
            let laptop = harness.browser(Viewport::Desktop).await?;
            sign_in_on_another_device(&laptop, "field@example.test").await?;
            party_count(&laptop, 2).await?;
            open_record(&laptop, "Typed in the car park").await?;
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn the_browser_finds_the_app_installable() {
    run("the_browser_finds_the_app_installable", |harness| async move {
        let browser = harness.browser(Viewport::Phone).await?;
        AppShell::open(&browser, "/").await?;
        controlled_by_the_service_worker(&browser).await?;

        let manifest = browser.cdp("Page.getAppManifest", json!({})).await?;
        assert_eq!(manifest["errors"], json!([]), "manifest parse errors: {manifest}");
        let data: serde_json::Value =
            serde_json::from_str(manifest["data"].as_str().unwrap_or("{}")).map_err(setup)?;
        assert_eq!(data["display"], "standalone");
        assert_eq!(data["short_name"], "Rapport");
        assert!(data["start_url"].as_str().is_some_and(|url| url.starts_with('/')));
        let icons = data["icons"].as_array().cloned().unwrap_or_default();
        for (size, purpose) in
            [("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")]
        {
            assert!(
                icons.iter().any(|icon| icon["sizes"] == size && icon["purpose"] == purpose),
                "an icon {size} for {purpose}"
            );
        }
        let shortcuts: Vec<_> = data["shortcuts"]
            .as_array()
            .map(|list| list.iter().filter_map(|s| s["name"].as_str()).map(str::to_owned).collect())
            .unwrap_or_default();
        assert_eq!(shortcuts, ["Log a visit", "New contact"]);
        // Every icon the manifest names is served, as an image.
        for icon in &icons {
            let src = icon["src"].as_str().unwrap_or_default();
            let kind = browser
                .eval(&format!(
                    "return fetch('{src}').then(r => r.ok ? r.headers.get('content-type') : 'HTTP ' + r.status);"
                ))
                .await?;
            assert!(kind.as_str().is_some_and(|k| k.starts_with("image/")), "{src}: {kind}");
        }

        let installability = browser.cdp("Page.getInstallabilityErrors", json!({})).await?;
        assert_eq!(
            installability["installabilityErrors"],
            json!([]),
            "Chromium's installability check: {installability}"
        );
        // The service worker answers fetches (it is what opens the app offline).
        let has_fetch_handler = browser
            .eval(
                "return fetch('/sw.js').then(r => r.text()).then(t => t.includes(\"addEventListener(\\\"fetch\\\"\"));",
            )
            .await?;
        assert_eq!(has_fetch_handler, true);
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_new_build_is_offered_and_applied_only_after_the_prompt() {
    let deployed = tempfile::tempdir().expect("a folder for the deployed app");
    copy_dir(&dist_dir(), deployed.path()).expect("copying dist/");
    let relay = Relay::start_serving(deployed.path(), &[]).await.expect("relay");
    let dist = deployed.path().to_path_buf();
    run_with_relay("a_new_build_is_offered_and_applied_only_after_the_prompt", relay, |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/parties").await?;
        controlled_by_the_service_worker(&browser).await?;
        let first = running_version(&browser).await?;
        add_party(&browser, "Update Test GmbH").await?;
        open_record(&browser, "Update Test GmbH").await?;
        // The user is typing when the new build arrives.
        set_field(&browser, "party-name", "Update Test AG").await?;

        deploy_new_build(&dist, "a-new-build")?;
        browser
            .eval("return navigator.serviceWorker.getRegistration().then(r => r.update()).then(() => true);")
            .await?;
        browser.by_testid("update-available").await?;
        let held_back = browser
            .eval("return document.querySelector('[data-testid=apply-update]').disabled;")
            .await?;
        assert_eq!(held_back, true, "no reload while typed input is unsaved");
        assert_eq!(running_version(&browser).await?, first, "nothing switched by itself");

        browser.by_testid("save-party").await?.click().await?;
        click_when_enabled(&browser, "apply-update").await?;
        wait_until("the new build to run", 20, || async {
            Ok((running_version(&browser).await? == "a-new-build").then_some(()))
        })
        .await?;
        browser.by_testid("party-form").await?;
        let name = browser
            .eval("return document.querySelector('[data-testid=party-name]')?.value ?? '';")
            .await?;
        assert_eq!(name, "Update Test AG", "what was typed and saved survives the update");
        assert!(!browser.has_testid("update-available").await?);
        // Old shells are gone: one cache, the new version's.
        let caches = browser.eval("return caches.keys();").await?;
        assert_eq!(caches, json!(["rapport-shell-a-new-build"]));
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn losing_the_network_shows_at_once_and_edits_go_out_when_it_returns() {
    run(
        "losing_the_network_shows_at_once_and_edits_go_out_when_it_returns",
        |harness| async move {
            let phone = harness.browser(Viewport::Phone).await?;
            sign_up_and_upload(&phone, "tunnel@example.test", "Tunnel").await?;

            // A tunnel: the browser says it is offline, and so does the status bar, without waiting for the
            // socket to time out.
            set_network(&phone, false).await?;
            sync_state(&phone, "offline", 3).await?;
            add_party(&phone, "Typed in the tunnel").await?;
            let (_, pending) = sync_status(&phone).await?;
            assert_eq!(pending, "1");

            // Out of the tunnel: the edit goes out at once (no back-off wait).
            set_network(&phone, true).await?;
            sync_state(&phone, "synced", 5).await?;
            nothing_unsynced(&phone).await?;
            Ok(())
        },
    )
    .await;
}

#[tokio::test]
async fn storage_use_is_shown_and_eviction_is_warned_of_until_the_browser_keeps_the_data() {
    run(
        "storage_use_is_shown_and_eviction_is_warned_of_until_the_browser_keeps_the_data",
        |harness| async move {
            let phone = harness.browser(Viewport::Phone).await?;
            let origin = harness.relay().url().to_owned();
            let persistence = |setting: &'static str| {
                json!({
                    "origin": origin,
                    "permission": { "name": "persistent-storage" },
                    "setting": setting,
                })
            };
            phone.cdp("Browser.setPermission", persistence("denied")).await?;
            AppShell::open(&phone, "/settings").await?;
            add_party(&phone, "Only on this phone").await?;
            AppShell::open(&phone, "/settings").await?;
            let usage = phone.by_testid("storage-usage").await?.text().await?;
            assert!(usage.contains(" MB of ") && usage.ends_with('B'), "{usage}");
            assert_eq!(persisted(&phone).await?, "false");
            phone.by_testid("eviction-warning").await?;
            phone.screenshot("storage-at-risk-390x844").await?;

            // The browser agrees to keep the data: the warning goes.
            phone.cdp("Browser.setPermission", persistence("granted")).await?;
            // Below the fold on a phone: scrolled to, as a thumb would.
            let keep = phone.by_testid("persist-storage").await?;
            keep.scroll_into_view().await?;
            phone.eval("window.scrollBy(0, 200);").await?;
            keep.click().await?;
            wait_until("the browser to keep the data", 10, || async {
                Ok((persisted(&phone).await? == "true").then_some(()))
            })
            .await?;
            assert!(!phone.has_testid("eviction-warning").await?);
            Ok(())
        },
    )
    .await;
}

async fn persisted(browser: &Browser) -> E2eResult<String> {
    let value = browser
        .eval("return document.querySelector('[data-testid=storage-persisted]')?.dataset.persisted ?? '';")
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// Waits until the service worker controls the page (after the first visit, it always does).
async fn controlled_by_the_service_worker(browser: &Browser) -> E2eResult {
    browser
        .wait_for_script(
            "the service worker to control the page",
            "return !!navigator.serviceWorker && !!navigator.serviceWorker.controller;",
        )
        .await
}

async fn running_version(browser: &Browser) -> E2eResult<String> {
    let version = browser
        .eval("return document.querySelector('meta[name=rapport-version]')?.content ?? '';")
        .await?;
    Ok(version.as_str().unwrap_or_default().to_owned())
}

async fn set_dark_mode(browser: &Browser, dark: bool) -> E2eResult {
    let scheme = if dark { "dark" } else { "light" };
    let features = json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] });
    browser.cdp("Emulation.setEmulatedMedia", features).await?;
    Ok(())
}

/// What deploying a new build changes for a browser: the service worker's version (and with it the
/// script's bytes) and the page. The precompressed copies are dropped so the relay serves the new text.
fn deploy_new_build(dist: &Path, version: &str) -> E2eResult {
    let restamp = |file: &str, from: &str, to: &str| -> E2eResult {
        let path = dist.join(file);
        let text = std::fs::read_to_string(&path).map_err(|e| io(&path, e))?;
        let line = text
            .lines()
            .find(|line| line.contains(from))
            .ok_or_else(|| E2eError::Setup(format!("{file} has no {from}")))?
            .to_owned();
        let start = line.find(from).unwrap_or_default() + from.len();
        let end = start + line[start..].find('"').unwrap_or_default();
        let stamped = format!("{}{to}{}", &line[..start], &line[end..]);
        std::fs::write(&path, text.replace(&line, &stamped)).map_err(|e| io(&path, e))?;
        for compressed in [format!("{file}.br"), format!("{file}.gz")] {
            let _ = std::fs::remove_file(dist.join(compressed));
        }
        Ok(())
    };
    restamp("sw.js", "const VERSION = \"", version)?;
    restamp("index.html", "name=\"rapport-version\" content=\"", version)
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

fn io(path: &Path, source: std::io::Error) -> E2eError {
    E2eError::Io { what: path.display().to_string(), source }
}

fn setup(error: serde_json::Error) -> E2eError {
    E2eError::Setup(format!("the manifest is not JSON: {error}"))
}
