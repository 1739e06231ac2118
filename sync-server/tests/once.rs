//! The ledger of things done once (an escalation of a breached ticket, which every device sees), at
//! the real relay binary: one device holds a key until it says it is done; every other device, tab
//! or member is told it is held or done; viewers, removed members and other workspaces' owners are
//! refused, and keys that are not keys name nothing.

mod common;

use common::socket::{
    OTHER_WS, WS, http, outsider_with_workspace, remove_member, start_process_with,
    workspace_with_member,
};
use reqwest::Method;
use serde_json::Value;

const KEY: &str = "0123456789abcdef0123456789abcdef";

/// A step from page (tab) `page` of `who`'s browser: the status and the refusal's code.
async fn step(address: &str, path: &str, who: &str, page: &str) -> (u16, Option<String>) {
    let response = reqwest::Client::new()
        .post(format!("http://{address}{path}"))
        .header("cookie", who)
        .header("x-rapport-filer", page)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().map(str::to_owned))
}

#[tokio::test]
async fn one_device_holds_a_key_until_it_is_done_and_nobody_else_may_take_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (child, address) = start_process_with(&data.join("no-dist"), &data, &[], &[]);
    let _relay = common::socket::Process(child);
    let (owner, member, viewer) = workspace_with_member(&address).await;
    let eve = outsider_with_workspace(&address).await;
    let take = format!("/api/workspaces/{WS}/once/{KEY}");
    let done = format!("/api/workspaces/{WS}/once/{KEY}/done");

    // Nobody took it: nothing to say done.
    assert_eq!(step(&address, &done, &member, "a").await, (404, Some("no_such_key".into())));
    assert_eq!(step(&address, &take, &member, "a").await.0, 204);
    assert_eq!(step(&address, &take, &member, "a").await.0, 204, "taking again is fine");
    // Every other device — another member's, another tab of the same browser — is told to leave it.
    assert_eq!(step(&address, &take, &owner, "b").await, (409, Some("held_elsewhere".into())));
    assert_eq!(step(&address, &take, &member, "tab-2").await.0, 409);
    assert_eq!(step(&address, &done, &owner, "b").await, (409, Some("not_held".into())));
    // Viewers change nothing; another workspace's owner finds no such workspace.
    assert_eq!(step(&address, &take, &viewer, "v").await.0, 403);
    assert_eq!(step(&address, &done, &viewer, "v").await.0, 403);
    assert_eq!(step(&address, &take, &eve, "e").await.0, 404);
    // Her own workspace's ledger is another: the same key is hers to take there.
    let hers = format!("/api/workspaces/{OTHER_WS}/once/{KEY}");
    assert_eq!(step(&address, &hers, &eve, "e").await.0, 204);
    // Not signed in.
    let (status, _, _) = http(&address, Method::POST, &take, None, Value::Null).await;
    assert_eq!(status, 401);
    // Keys that are not keys name nothing; a huge one is refused without harm.
    let huge = "a".repeat(5_000);
    for bad in ["abc", "0123456789ABCDEF0123456789ABCDEF", "..%2F..%2Fetc%2Fpasswd", "%00", &huge] {
        let path = format!("/api/workspaces/{WS}/once/{bad}");
        let (status, _) = step(&address, &path, &member, "a").await;
        assert!(
            status == 404 || status == 414 || status == 431,
            "{status} for {}",
            &bad[..bad.len().min(20)]
        );
    }

    assert_eq!(step(&address, &done, &member, "a").await.0, 204);
    assert_eq!(step(&address, &take, &owner, "b").await, (410, Some("already_done".into())));
    assert_eq!(step(&address, &take, &member, "a").await.0, 410, "done is done, for its doer too");
    assert_eq!(step(&address, &done, &member, "a").await.0, 410);

    // A removed member takes nothing any more.
    remove_member(&address, &owner, "max").await;
    let another = format!("/api/workspaces/{WS}/once/{}", "f".repeat(32));
    assert_eq!(step(&address, &another, &member, "a").await.0, 404);
    assert_eq!(step(&address, &another, &owner, "b").await.0, 204);
}
