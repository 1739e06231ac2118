//! Flows through the app that several tests share: accounts, the sync status, adding and opening
//! records, form fields. Each waits for what a person would wait for, and reads the page in one script
//! where the page may be reloading (element handles go stale across reloads).

use std::path::{Path, PathBuf};

use crate::pages::AppShell;
use crate::{Browser, E2eResult, wait_until};

/// The password every test account uses.
pub const PASSWORD: &str = "correct horse battery staple";

pub async fn create_account(browser: &Browser, email: &str, name: &str) -> E2eResult {
    browser.by_testid("account-email").await?.send_keys(email).await?;
    browser.by_testid("account-name").await?.send_keys(name).await?;
    browser.by_testid("account-password").await?.send_keys(PASSWORD).await?;
    browser.by_testid("sign-up").await?.click().await?;
    browser.by_testid("signed-in-as").await?;
    Ok(())
}

pub async fn sign_in(browser: &Browser, email: &str) -> E2eResult {
    browser.by_testid("account-email").await?.send_keys(email).await?;
    browser.by_testid("account-password").await?.send_keys(PASSWORD).await?;
    browser.by_testid("sign-in").await?.click().await?;
    browser.by_testid("signed-in-as").await?;
    Ok(())
}

/// The status bar's `data-state` and `data-unsynced`, read in one script (the page may be reloading).
pub async fn sync_status(browser: &Browser) -> E2eResult<(String, String)> {
    let found = browser
        .eval(
            "const s = document.querySelector('[data-testid=sync-status]');\
             return s ? [s.dataset.state, s.dataset.unsynced] : ['', ''];",
        )
        .await?;
    let text = |i: usize| found[i].as_str().unwrap_or_default().to_owned();
    Ok((text(0), text(1)))
}

pub async fn sync_state(browser: &Browser, state: &str, seconds: u64) -> E2eResult {
    wait_until(&format!("sync status {state}"), seconds, || async {
        Ok((sync_status(browser).await?.0 == state).then_some(()))
    })
    .await
}

pub async fn nothing_unsynced(browser: &Browser) -> E2eResult {
    wait_until("every edit to be on the relay", 30, || async {
        let (state, pending) = sync_status(browser).await?;
        Ok((state == "synced" && pending == "0").then_some(()))
    })
    .await
}

pub async fn add_party(browser: &Browser, name: &str) -> E2eResult {
    if !browser.has_testid("page-parties").await? {
        browser.by_testid("nav-parties").await?.click().await?;
    }
    browser.by_testid("page-parties").await?;
    browser.by_testid("new-party-name").await?.send_keys(name).await?;
    browser.by_testid("add-party").await?.click().await?;
    wait_until("the new record to be saved", 10, || async {
        let value = browser
            .eval("return document.querySelector('[data-testid=new-party-name]').value;")
            .await?;
        Ok((value == "").then_some(()))
    })
    .await
}

pub async fn party_count(browser: &Browser, count: usize) -> E2eResult {
    wait_until(&format!("{count} records listed"), 30, || async {
        // "1,000 found", "найдено: 1 000": the digits are the count.
        let text = browser.by_testid("party-count").await?.text().await?;
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        Ok((digits == count.to_string()).then_some(()))
    })
    .await
}

/// Opens the first listed record whose name starts with `prefix`, from the list (in-app navigation, no
/// reload).
pub async fn open_record(browser: &Browser, prefix: &str) -> E2eResult {
    if !browser.has_testid("page-parties").await? {
        browser.by_testid("nav-parties").await?.click().await?;
    }
    let link = wait_until(&format!("a record named {prefix}…"), 15, || async {
        for row in
            browser.driver().find_all(thirtyfour::By::Css("[data-testid=party-row] a")).await?
        {
            if row.text().await?.starts_with(prefix) {
                return Ok(Some(row));
            }
        }
        Ok(None)
    })
    .await?;
    // As a person would: brought to the middle of the screen first (on a phone the bottom bar and the
    // search button cover the last rows).
    browser
        .driver()
        .execute("arguments[0].scrollIntoView({ block: 'center' });", vec![link.to_json()?])
        .await?;
    link.click().await?;
    browser.by_testid("party-form").await?;
    Ok(())
}

pub async fn set_field(browser: &Browser, testid: &str, value: &str) -> E2eResult {
    let field = browser.by_testid(testid).await?;
    field.clear().await?;
    field.send_keys(value).await?;
    Ok(())
}

pub async fn field_becomes(
    browser: &Browser,
    testid: &str,
    value: &str,
    seconds: u64,
) -> E2eResult {
    let script = format!("return document.querySelector('[data-testid={testid}]')?.value ?? null;");
    wait_until(&format!("{testid} to read {value:?}"), seconds, || async {
        Ok((browser.eval(&script).await? == value).then_some(()))
    })
    .await
}

pub async fn conflict_choices(browser: &Browser) -> E2eResult<Vec<String>> {
    wait_until("both values of the conflict", 15, || async {
        let mut choices = Vec::new();
        for button in
            browser.driver().find_all(thirtyfour::By::Css("[data-testid=conflict-choice]")).await?
        {
            choices.push(button.text().await?);
        }
        choices.sort();
        Ok((choices.len() >= 2).then_some(choices))
    })
    .await
}

/// Clicks a button once it is enabled (the app enables some only once the workspace is open).
pub async fn click_when_enabled(browser: &Browser, testid: &str) -> E2eResult {
    let script = format!(
        "const b = document.querySelector('[data-testid={testid}]'); return !!b && !b.disabled;"
    );
    wait_until(&format!("{testid} to be enabled"), 30, || async {
        Ok((browser.eval(&script).await? == true).then_some(()))
    })
    .await?;
    browser.by_testid(testid).await?.click().await?;
    Ok(())
}

/// Another device of the same person: signs in, picks the workspace on the relay and waits until it has
/// synced, then shows the list of people.
pub async fn sign_in_on_another_device(browser: &Browser, email: &str) -> E2eResult {
    AppShell::open(browser, "/settings").await?;
    sign_in(browser, email).await?;
    click_when_enabled(browser, "open-workspace").await?;
    sync_state(browser, "synced", 30).await?;
    AppShell::open(browser, "/parties").await?;
    Ok(())
}

/// Someone starts syncing: creates an account in Settings and uploads this device's workspace to the
/// relay, then waits until it is synced.
/// `inviter` (signed in, workspace on the relay) invites a new account `name` on `joiner`, who signs
/// up, joins with the code and waits until the workspace is synced.
pub async fn join_by_invitation(
    inviter: &Browser,
    joiner: &Browser,
    email: &str,
    name: &str,
) -> E2eResult {
    AppShell::open(inviter, "/settings").await?;
    inviter.by_testid("create-invite").await?.click().await?;
    let code = inviter.by_testid("invite-code").await?.text().await?;
    AppShell::open(joiner, "/settings").await?;
    create_account(joiner, email, name).await?;
    joiner.by_testid("invite-input").await?.send_keys(&code).await?;
    click_when_enabled(joiner, "join-workspace").await?;
    sync_state(joiner, "synced", 30).await
}

pub async fn sign_up_and_upload(browser: &Browser, email: &str, name: &str) -> E2eResult {
    AppShell::open(browser, "/settings").await?;
    create_account(browser, email, name).await?;
    click_when_enabled(browser, "link-workspace").await?;
    sync_state(browser, "synced", 30).await
}

/// Clicks `testid` once scrolled to the middle of the screen (a phone's bottom bar covers the bottom).
pub async fn click_centred(browser: &Browser, testid: &str) -> E2eResult {
    browser.by_testid(testid).await?;
    browser
        .eval(&format!(
            "document.querySelector('[data-testid={testid}]').scrollIntoView({{ block: 'center' }}); return 1;"
        ))
        .await?;
    browser.by_testid(testid).await?.click().await?;
    Ok(())
}

/// Clicks the first element matching `css` once it is there and enabled, brought to the middle of
/// the screen first.
pub async fn click_css(browser: &Browser, css: &str) -> E2eResult {
    let script = format!(
        "const e = document.querySelector({css}); if (!e || e.disabled) return false;
         e.scrollIntoView({{ block: 'center' }}); e.click(); return true;",
        css = serde_json::Value::String(css.to_owned())
    );
    wait_until(&format!("{css} to be clicked"), 10, || async {
        Ok((browser.eval(&script).await? == serde_json::Value::Bool(true)).then_some(()))
    })
    .await
}

/// The local days `offsets` from today, as a date field holds them (`YYYY-MM-DD`) — all from one
/// reading of the clock, so that a midnight passing during the test cannot set them a day apart.
pub async fn days_from_today<const N: usize>(
    browser: &Browser,
    offsets: [i64; N],
) -> E2eResult<[String; N]> {
    let days = browser
        .eval(&format!(
            "const today = new Date();
             return {offsets:?}.map(n => {{
                 const d = new Date(today); d.setDate(d.getDate() + n);
                 return `${{d.getFullYear()}}-${{String(d.getMonth() + 1).padStart(2, '0')}}-${{String(d.getDate()).padStart(2, '0')}}`;
             }});"
        ))
        .await?;
    let days: Vec<String> = days
        .as_array()
        .expect("dates")
        .iter()
        .map(|day| day.as_str().expect("a date").to_owned())
        .collect();
    Ok(days.try_into().expect("one date for each offset"))
}

/// Downloads of this browser go to `dir`.
pub async fn downloads_into(browser: &Browser, dir: &Path) -> E2eResult {
    browser
        .cdp(
            "Browser.setDownloadBehavior",
            serde_json::json!({ "behavior": "allow", "downloadPath": dir.to_str().expect("a UTF-8 path") }),
        )
        .await?;
    Ok(())
}

/// Clicks `testid` and waits for the finished download ending in `extension` in `dir`: the file is there,
/// not empty, and no partial download (`.crdownload`) is left.
pub async fn download(
    browser: &Browser,
    testid: &str,
    dir: &Path,
    extension: &str,
) -> E2eResult<PathBuf> {
    click_centred(browser, testid).await?;
    wait_until(&format!("a downloaded .{extension} file"), 20, || async {
        let paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        if paths.iter().any(|p| p.extension().is_some_and(|e| e == "crdownload")) {
            return Ok(None);
        }
        Ok(paths.into_iter().find(|p| {
            p.extension().is_some_and(|e| e == extension)
                && std::fs::metadata(p).is_ok_and(|m| m.len() > 0)
        }))
    })
    .await
}

/// The relay's scheduled notifications for the workspace of `session` ([`api_session`]), as
/// `(state, due_at)` in the relay's order.
pub async fn notifications(
    relay: &str,
    session: &(reqwest::Client, String, String),
) -> Vec<(String, i64)> {
    let (client, cookie, workspace) = session;
    let url = format!("{relay}/api/workspaces/{workspace}/outbox?after=0");
    let changes = client.get(url).header("cookie", cookie).send().await.expect("the outbox");
    let text = changes.text().await.expect("the outbox's answer");
    let changes: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    changes["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|entry| entry["kind"] == "notify")
        .map(|entry| {
            let state = entry["state"].as_str().expect("a state").to_owned();
            (state, entry["due_at"].as_i64().expect("a due time"))
        })
        .collect()
}

/// Cuts or restores the browser's network, as a tunnel would (the browser fires `offline`/`online`).
pub async fn set_network(browser: &Browser, online: bool) -> E2eResult {
    browser.cdp("Network.enable", serde_json::json!({})).await?;
    let conditions = serde_json::json!({
        "offline": !online,
        "latency": 0,
        "downloadThroughput": -1,
        "uploadThroughput": -1,
    });
    browser.cdp("Network.emulateNetworkConditions", conditions).await?;
    Ok(())
}

/// A session of `email` from another client of the relay's API (as a script or a second app would
/// use it), and the id of the first workspace the account is in: `(client, cookie, workspace)`.
pub async fn api_session(relay: &str, email: &str) -> (reqwest::Client, String, String) {
    let client = reqwest::Client::new();
    let signed_in = client
        .post(format!("{relay}/api/sessions"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"email":"{email}","password":"{PASSWORD}"}}"#))
        .send()
        .await
        .expect("signing in");
    let cookie =
        signed_in.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let mine = client.get(format!("{relay}/api/workspaces")).header("cookie", &cookie).send().await;
    let mine: serde_json::Value =
        serde_json::from_str(&mine.expect("listing workspaces").text().await.unwrap()).unwrap();
    let workspace = mine[0]["id"].as_str().expect("a workspace").to_owned();
    (client, cookie, workspace)
}

/// In Settings, a service-level policy for every ticket whose first answer is due within a minute
/// (the tests that wait for a real deadline), once it is saved.
pub async fn policy_answering_within_a_minute(browser: &Browser) -> E2eResult {
    AppShell::open(browser, "/settings").await?;
    click_centred(browser, "add-policy").await?;
    browser.by_testid("policy").await?;
    change_to(browser, "target-normal-0", "0.02").await?;
    wait_until("the target saved as a minute", 15, || async {
        let value = browser
            .eval("return document.querySelector('[data-testid=target-normal-0]').value;")
            .await?;
        Ok(value.as_str().is_some_and(|v| v.starts_with("0.0166")).then_some(()))
    })
    .await
}

/// Once the service worker is active, lets the page show notifications (as a person allowing them).
pub async fn allow_notifications(browser: &Browser) -> E2eResult {
    browser
        .wait_for_script(
            "the service worker to be active",
            "return navigator.serviceWorker.getRegistration().then(r => !!(r && r.active));",
        )
        .await?;
    let permissions = serde_json::json!({ "permissions": ["notifications"] });
    browser.cdp("Browser.grantPermissions", permissions).await?;
    Ok(())
}

/// Sets a field as a person does — types, then leaves it (which fires `change`).
pub async fn change_to(browser: &Browser, testid: &str, value: &str) -> E2eResult {
    browser
        .eval(&format!(
            "const f = document.querySelector('[data-testid={testid}]'); f.value = {value:?};
             f.dispatchEvent(new Event('input', {{ bubbles: true }}));
             f.dispatchEvent(new Event('change', {{ bubbles: true }})); return 1;"
        ))
        .await?;
    Ok(())
}

/// Attribute `name` of the element `testid`; empty when either is missing.
pub async fn attribute(browser: &Browser, testid: &str, name: &str) -> E2eResult<String> {
    let value = browser
        .eval(&format!(
            "return document.querySelector('[data-testid={testid}]')?.getAttribute({name:?}) ?? '';"
        ))
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// Waits for attribute `name` of the element `testid` to read `wanted`.
pub async fn attribute_becomes(
    browser: &Browser,
    testid: &str,
    name: &str,
    wanted: &str,
) -> E2eResult {
    wait_until(&format!("{testid} {name}={wanted}"), 30, || async {
        Ok((attribute(browser, testid, name).await? == wanted).then_some(()))
    })
    .await
}

/// Takes a screenshot named `name` after checking that the page does not scroll sideways.
pub async fn photograph(browser: &Browser, name: &str) -> E2eResult {
    let overflow = browser
        .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
        .await?;
    assert_eq!(overflow, 0, "{name} scrolls sideways");
    browser.screenshot(name).await?;
    Ok(())
}

/// Chooses the option whose text is `text` in the menu `testid`.
pub async fn choose_by_text(browser: &Browser, testid: &str, text: &str) -> E2eResult {
    let script = format!(
        "const menu = document.querySelector('[data-testid={testid}]');
         if (!menu) return false;
         const option = [...menu.options].find(o => o.textContent.trim() === {text});
         if (!option) return false;
         menu.value = option.value;
         menu.dispatchEvent(new Event('change', {{ bubbles: true }}));
         return true;",
        text = serde_json::Value::String(text.to_owned()),
    );
    wait_until(&format!("{text} in {testid}"), 15, || async {
        Ok((browser.eval(&script).await? == serde_json::Value::Bool(true)).then_some(()))
    })
    .await
}

/// Every value (or, with `keys`, every key) of object store `store` in this browser's Rapport
/// databases, as a JavaScript expression awaiting a list.
pub fn all_of(store: &str, keys: bool) -> String {
    let get = if keys { "getAllKeys" } else { "getAll" };
    format!(
        "(async () => {{
           const found = [];
           const names = (await indexedDB.databases()).map(d => d.name).filter(n => n.startsWith('rapport'));
           for (const name of names) {{
             const db = await new Promise((ok, fail) => {{ const r = indexedDB.open(name); r.onsuccess = () => ok(r.result); r.onerror = fail; }});
             if (db.objectStoreNames.contains('{store}')) {{
               found.push(...await new Promise(ok => {{ const r = db.transaction('{store}').objectStore('{store}').{get}(); r.onsuccess = () => ok(r.result); }}));
             }}
             db.close();
           }}
           return found;
         }})()"
    )
}

/// Whether `browser` keeps `text` in any synced record or stored change (its `rows` or `chunks`):
/// what must never hold a private letter or review.
pub async fn in_a_synced_record(browser: &Browser, text: &str) -> E2eResult<bool> {
    Ok(stored_anywhere(browser, "rows", text).await?
        || stored_anywhere(browser, "chunks", text).await?)
}

/// Whether `text` is anywhere in object store `store` of this browser's Rapport databases: in a
/// value kept as text, or as UTF-8 bytes in one kept as bytes.
pub async fn stored_anywhere(browser: &Browser, store: &str, text: &str) -> E2eResult<bool> {
    let script = format!(
        "return (async () => {{
           const needle = new TextEncoder().encode({text});
           const has = (bytes) => {{
             outer: for (let i = 0; i + needle.length <= bytes.length; i++) {{
               for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
               return true;
             }}
             return false;
           }};
           const rows = await {rows};
           return rows.some(v => typeof v === 'string' ? v.includes({text}) : has(v instanceof Uint8Array ? v : new Uint8Array(v)));
         }})();",
        text = serde_json::Value::String(text.to_owned()),
        rows = all_of(store, false),
    );
    Ok(browser.eval(&script).await? == serde_json::Value::Bool(true))
}

/// Makes `name` (a new person) an employee in `team` with the account of member `member`, from
/// `manager`'s screen.
pub async fn employ(manager: &Browser, name: &str, member: &str, team: &str) -> E2eResult {
    add_party(manager, name).await?;
    open_record(manager, name).await?;
    click_css(manager, "[data-testid=party-role][data-role=employee]").await?;
    manager.by_testid("employee-panel").await?;
    set_field(manager, "employee-team", team).await?;
    click_centred(manager, "employment-save").await?;
    choose_by_text(manager, "employee-account", member).await
}

/// Makes a static list named `name` on the marketing page and puts on it the person each of `people`
/// finds in its picker; returns the list's page.
pub async fn new_list_with(browser: &Browser, name: &str, people: &[&str]) -> E2eResult<String> {
    crate::pages::AppShell::open(browser, "/marketing").await?;
    set_field(browser, "new-segment-name", name).await?;
    change_to(browser, "new-segment-kind", "list").await?;
    click_centred(browser, "new-segment-create").await?;
    browser.by_testid("list-members").await?;
    let page = browser.path().await?;
    for person in people {
        set_field(browser, "list-add-party-search", person).await?;
        click_centred(browser, "list-add-party-match").await?;
        browser
            .wait_for_script(
                "the search emptied",
                "const f = document.querySelector('[data-testid=list-add-party-search]'); return !!f && f.value === '';",
            )
            .await?;
    }
    Ok(page)
}

/// Adds `name` from the people list, with `email` on their record if given.
pub async fn person_with_email(browser: &Browser, name: &str, email: Option<&str>) -> E2eResult {
    AppShell::open(browser, "/parties").await?;
    add_party(browser, name).await?;
    if let Some(email) = email {
        open_record(browser, name).await?;
        set_field(browser, "party-email", email).await?;
        click_centred(browser, "save-party").await?;
        browser.by_testid("email-link").await?;
    }
    Ok(())
}

/// Writes a campaign named `name` with `subject` and `body` for the list whose page is `list` (as
/// [`new_list_with`] returns it), to those never asked for consent too (nobody in a test was asked);
/// returns the campaign's page.
pub async fn campaign_for_list(
    browser: &Browser,
    name: &str,
    (subject, body): (&str, &str),
    list: &str,
) -> E2eResult<String> {
    AppShell::open(browser, "/marketing").await?;
    set_field(browser, "new-campaign-name", name).await?;
    click_centred(browser, "new-campaign-create").await?;
    browser.by_testid("campaign-draft").await?;
    let page = browser.path().await?;
    change_to(browser, "campaign-subject", subject).await?;
    change_to(browser, "campaign-body", body).await?;
    let list = list.rsplit('/').next().unwrap_or_default();
    change_to(browser, "campaign-include-add", list).await?;
    browser.by_testid("campaign-include-chip").await?;
    click_centred(browser, "campaign-consented-only").await?;
    Ok(page)
}

/// Anna at her desk (in English), who makes the workspace, and Boris on his phone (in Russian), a
/// member by her invitation: the pair most tests of colleagues start from.
pub async fn anna_and_boris(harness: &crate::Harness) -> E2eResult<(Browser, Browser)> {
    let anna = harness.browser(crate::Viewport::Desktop).await?;
    sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
    let boris = harness.browser_speaking(crate::Viewport::Phone, "ru-RU").await?;
    join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;
    Ok((anna, boris))
}

/// A mail system delivering `raw` from `from` to `to` over SMTP at `port` on loopback (the relay's
/// inbound listener).
pub async fn deliver_mail(port: u16, from: &str, to: &str, raw: &str) {
    use lettre::address::Envelope;
    use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
    let transport =
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1").port(port).build();
    let envelope = Envelope::new(Some(from.parse().unwrap()), vec![to.parse().unwrap()]).unwrap();
    transport.send_raw(&envelope, raw.as_bytes()).await.expect("the relay takes the mail");
}

/// Sets an `<input type="date">` to the local day `days` from today, as a person picking it would.
pub async fn set_date(browser: &Browser, testid: &str, days: i32) -> E2eResult {
    browser.by_testid(testid).await?;
    browser
        .eval(&format!(
            "const d = new Date(); d.setDate(d.getDate() + ({days}));
             const v = `${{d.getFullYear()}}-${{String(d.getMonth() + 1).padStart(2, '0')}}-${{String(d.getDate()).padStart(2, '0')}}`;
             const input = document.querySelector('[data-testid={testid}]');
             input.value = v;
             input.dispatchEvent(new Event('input', {{ bubbles: true }}));
             return v;"
        ))
        .await?;
    Ok(())
}

/// The `data-title` of every element matching `css`, in page order.
pub async fn titles(browser: &Browser, css: &str) -> E2eResult<Vec<String>> {
    let value = browser
        .eval(&format!(
            "return [...document.querySelectorAll({css:?})].map(e => e.dataset.title ?? e.textContent.trim());"
        ))
        .await?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

pub async fn choose_move(browser: &Browser, title: &str, to: &str) -> E2eResult {
    let chosen = browser
        .eval(&format!(
            "const card = [...document.querySelectorAll('[data-testid=deal-card]')].find(c => c.dataset.title === {title:?});
             const select = card?.querySelector('[data-testid=deal-move]');
             const option = [...(select?.options ?? [])].find(o => o.textContent === {to:?});
             if (!option) return false;
             select.value = option.value;
             select.dispatchEvent(new Event('change', {{ bubbles: true }}));
             return true;"
        ))
        .await?;
    assert_eq!(chosen, true, "move {title:?} to {to:?}");
    Ok(())
}

/// Adds a deal and waits until it is saved.
pub async fn new_deal(browser: &Browser, title: &str, amount: &str, party: &str) -> E2eResult {
    fill_new_deal(browser, title, amount, party).await?;
    // Saved: the form folds away (as a person sees), so the next deal is not typed into a form that
    // is about to be cleared.
    wait_until("the new deal to be saved", 10, || async {
        let open = browser.eval("return document.querySelector('.new-deal').open;").await?;
        Ok((open == false).then_some(()))
    })
    .await
}

/// Fills in the new-deal form and submits it.
pub async fn fill_new_deal(browser: &Browser, title: &str, amount: &str, party: &str) -> E2eResult {
    // The form appears once the workspace (and its pipeline) is open.
    browser.by_testid("new-deal-open").await?;
    // As a person would: opened if it is not, and typed into once its title field shows (after the
    // previous deal the form re-renders; a field still being laid out is not interactable).
    wait_until("the new-deal form to be open", 10, || async {
        let shown = browser
            .eval(
                "const form = document.querySelector('.new-deal');
                 if (!form.open) { document.querySelector('[data-testid=new-deal-open]').click(); return false; }
                 const title = document.querySelector('[data-testid=new-deal-title]');
                 return !!title && title.offsetParent !== null && !title.disabled;",
            )
            .await?;
        Ok((shown == true).then_some(()))
    })
    .await?;
    browser.by_testid("new-deal-title").await?.send_keys(title).await?;
    let field = browser.by_testid("new-deal-amount").await?;
    field.clear().await?;
    field.send_keys(amount).await?;
    set_date(browser, "new-deal-close", 20).await?;
    browser.by_testid("new-deal-party-search").await?.send_keys(party).await?;
    browser.by_testid("new-deal-party-match").await?.click().await?;
    browser.by_testid("add-deal").await?.click().await?;
    Ok(())
}
