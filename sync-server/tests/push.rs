//! Scheduled notifications end to end: the real relay binary pushes due jobs through Web Push to a
//! real receiver on loopback (`tests/servers/push.py`) that holds the keys a browser would, checks
//! the VAPID signature and decrypts each message (RFC 8291) — devices register jobs over HTTP as the
//! app does, and every device can be offline when they fire.

mod common;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::push::PushReceiver;
use common::socket::{
    OTHER_WS, WS, http, outsider_with_workspace, remove_member, start_process_with,
    workspace_with_member,
};
use rapport_core::workspace::member_of_account;
use reqwest::Method;
use serde_json::{Value, json};

/// The real relay binary, killed when dropped.
struct Relay {
    child: common::socket::Process,
    address: String,
}

impl Relay {
    fn start(data: &Path) -> Relay {
        let flags = ["--push-allow-loopback", "--push-retry-secs", "1"];
        let (child, address) = start_process_with(&data.join("no-dist"), data, &flags, &[]);
        Relay { child: common::socket::Process(child), address }
    }

    async fn call(&self, method: Method, path: &str, cookie: &str, body: Value) -> (u16, Value) {
        let (status, _, body) = http(&self.address, method, path, Some(cookie), body).await;
        (status, body)
    }

    async fn subscribe(&self, cookie: &str, subscription: &Value) {
        let (status, body) =
            self.call(Method::PUT, "/api/push/subscription", cookie, subscription.clone()).await;
        assert!(status == 201 || status == 200, "{status} {body}");
    }

    async fn register(&self, cookie: &str, item: &str, job: Value) -> (u16, Value) {
        self.call(Method::PUT, &format!("/api/workspaces/{WS}/outbox/{item}"), cookie, job).await
    }

    /// The ledger entry `item` once it is final.
    async fn settled(&self, cookie: &str, item: &str) -> Value {
        let path = format!("/api/workspaces/{WS}/outbox/{item}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, entry) = self.call(Method::GET, &path, cookie, Value::Null).await;
            assert_eq!(status, 200, "{entry}");
            if ["sent", "failed", "cancelled"].contains(&entry["state"].as_str().unwrap()) {
                return entry;
            }
            assert!(Instant::now() < deadline, "{item} still {entry} after 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn id(n: u32) -> String {
    format!("{n:032x}")
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn member(name: &str) -> String {
    member_of_account(&format!("{name}@example.test")).to_string()
}

fn reminder(due_at: i64, to: &[&str], title: &str) -> Value {
    let to: Vec<String> = to.iter().map(|name| member(name)).collect();
    json!({ "kind": "notify", "due_at": due_at, "to": to, "title": title, "body": "Due now",
            "open": "/parties/0192f3a4-5b6c-7d8e-9f00-aabbccddee01" })
}

/// The pushes that carry job `item`.
fn for_job(received: &[Value], item: &str) -> Vec<Value> {
    received.iter().filter(|push| push["payload"]["tag"] == item).cloned().collect()
}

#[tokio::test]
async fn a_reminder_reaches_each_device_of_its_member_once_when_due_signed_and_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = PushReceiver::start(&dir.path().join("inbox"), 3);
    let relay = Relay::start(&dir.path().join("data"));
    let (olga, max, vera) = workspace_with_member(&relay.address).await;
    // Olga has a phone and a laptop; Max one phone.
    relay.subscribe(&olga, &receiver.subscriptions[0]).await;
    relay.subscribe(&olga, &receiver.subscriptions[1]).await;
    relay.subscribe(&max, &receiver.subscriptions[2]).await;
    let (status, key) = relay.call(Method::GET, "/api/push/key", &vera, Value::Null).await;
    assert_eq!(status, 200, "{key}");
    let public_key = key["public_key"].as_str().unwrap().to_owned();
    let services = format!("/api/workspaces/{WS}/services");
    assert_eq!(relay.call(Method::GET, &services, &vera, Value::Null).await.1["push"], true);

    // Both members' devices derive the same job for Olga's task and register it, twice each.
    let due = now() + 2;
    let job = reminder(due, &["olga"], "Call Ann back");
    let mut created = 0;
    for cookie in [&olga, &max, &olga, &max] {
        let (status, entry) = relay.register(cookie, &id(1), job.clone()).await;
        assert!(status == 201 || status == 200, "{status} {entry}");
        created += usize::from(status == 201);
        assert_eq!(entry["due_at"], due);
    }
    assert_eq!(created, 1, "one job however many devices register it");

    let received = receiver.wait_for(2).await;
    let entry = relay.settled(&vera, &id(1)).await;
    assert_eq!((&entry["state"], &entry["reason"]), (&json!("sent"), &json!("reached 2 devices")));
    let mut devices: Vec<i64> =
        received.iter().map(|p| p["subscription"].as_i64().unwrap()).collect();
    devices.sort();
    assert_eq!(devices, [0, 1], "Olga's two devices, not Max's");
    for push in &received {
        assert!(push["received_ms"].as_i64().unwrap() >= due * 1000, "not before it is due");
        assert_eq!(push["payload"]["title"], "Call Ann back");
        assert_eq!(push["payload"]["body"], "Due now");
        assert_eq!(push["payload"]["open"], "/parties/0192f3a4-5b6c-7d8e-9f00-aabbccddee01");
        assert_eq!(push["payload"]["tag"], id(1), "one notification per job on the device");
        assert_eq!(push["topic"], id(1), "the push service keeps one message per job");
        assert_eq!(push["urgency"], "high");
        assert_eq!(push["vapid_key"], public_key.as_str(), "signed with the relay's key");
    }
    // Registering it again once it went changes nothing and pushes nothing.
    assert_eq!(relay.register(&max, &id(1), job).await.0, 200);
    let (status, marker) =
        relay.register(&olga, &id(2), reminder(now(), &["olga"], "Marker")).await;
    assert_eq!(status, 201, "{marker}");
    let received = receiver.wait_for(4).await;
    assert_eq!(for_job(&received, &id(1)).len(), 2, "{received:?}");
    assert_eq!(receiver.rejected(), "");

    // Renamed after it went, its time unchanged: the ledger keeps the new version, nobody is
    // reminded again.
    let (status, renamed) =
        relay.register(&olga, &id(1), reminder(due, &["olga"], "Call Ann")).await;
    assert_eq!((status, &renamed["state"]), (201, &json!("sent")), "{renamed}");
    assert_eq!(relay.register(&olga, &id(3), reminder(now(), &["olga"], "Marker 2")).await.0, 201);
    let received = receiver.wait_for(6).await;
    assert_eq!(for_job(&received, &id(1)).len(), 2, "not pushed again: {received:?}");

    // Max signs out on his phone: its pushes end with the session.
    let (status, _) = relay.call(Method::DELETE, "/api/sessions", &max, Value::Null).await;
    assert_eq!(status, 204);
    assert_eq!(relay.register(&olga, &id(4), reminder(now(), &["max"], "For Max")).await.0, 201);
    let entry = relay.settled(&olga, &id(4)).await;
    assert_eq!(entry["reason"], "no device of the people notified has notifications on");
}

#[tokio::test]
async fn a_job_registered_again_is_replaced_and_a_cancelled_one_never_fires() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = PushReceiver::start(&dir.path().join("inbox"), 1);
    let relay = Relay::start(&dir.path().join("data"));
    let (olga, _, vera) = workspace_with_member(&relay.address).await;
    relay.subscribe(&olga, &receiver.subscriptions[0]).await;

    // Snoozed and renamed before it was due: the job takes the new time and title.
    let (status, first) = relay.register(&olga, &id(1), reminder(now() + 3600, &[], "Call")).await;
    assert_eq!(status, 201, "{first}");
    let (status, replaced) =
        relay.register(&olga, &id(1), reminder(now() + 1, &[], "Call Ann")).await;
    assert_eq!(status, 201, "a different version replaces it: {replaced}");
    assert_ne!(first["digest"], replaced["digest"]);
    assert!(replaced["version"].as_i64() > first["version"].as_i64());

    // A task done before its time: cancelled, and cancelling again is no error. Its time leaves the
    // cancelling below room on a loaded machine: were the job due before the cancel arrives, it would
    // rightly go, and the test would fail.
    let item = format!("/api/workspaces/{WS}/outbox/{}", id(2));
    let cancelled_due = now() + 12;
    assert_eq!(
        relay.register(&olga, &id(2), reminder(cancelled_due, &[], "Send offer")).await.0,
        201
    );
    let (status, cancelled) = relay.call(Method::DELETE, &item, &olga, Value::Null).await;
    assert_eq!((status, &cancelled["state"]), (200, &json!("cancelled")), "{cancelled}");
    let (status, again) = relay.call(Method::DELETE, &item, &olga, Value::Null).await;
    assert_eq!((status, &again["state"]), (200, &json!("cancelled")));
    // Viewers may not cancel; an unknown job is 404.
    assert_eq!(relay.call(Method::DELETE, &item, &vera, Value::Null).await.0, 403);
    let unknown = format!("/api/workspaces/{WS}/outbox/{}", id(99));
    assert_eq!(relay.call(Method::DELETE, &unknown, &olga, Value::Null).await.0, 404);

    // A marker due after the cancelled job's time: once it arrives, the cancelled one would have.
    assert!(now() < cancelled_due, "the cancelling took longer than the room left for it");
    assert_eq!(
        relay.register(&olga, &id(3), reminder(cancelled_due + 1, &[], "Marker")).await.0,
        201
    );
    let received = receiver.wait_for(2).await;
    let titles: Vec<&str> =
        received.iter().map(|p| p["payload"]["title"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Call Ann", "Marker"], "the replaced version, once; the cancelled never");
    assert_eq!(relay.settled(&olga, &id(2)).await["state"], "cancelled");

    // Reopened: registering a cancelled job brings it back.
    let (status, back) = relay.register(&olga, &id(2), reminder(now(), &[], "Send offer")).await;
    assert_eq!((status, &back["state"]), (201, &json!("queued")), "{back}");
    let received = receiver.wait_for(3).await;
    assert_eq!(for_job(&received, &id(2)).len(), 1);
}

#[tokio::test]
async fn jobs_survive_kill_nine_before_and_while_firing_and_reach_every_device_once() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = PushReceiver::start(&dir.path().join("inbox"), 2);
    let data = dir.path().join("data");
    let mut relay = Relay::start(&data);
    let (olga, _, _) = workspace_with_member(&relay.address).await;
    relay.subscribe(&olga, &receiver.subscriptions[0]).await;
    relay.subscribe(&olga, &receiver.subscriptions[1]).await;

    // Registered, then the relay dies before they are due: a restarted relay fires them.
    let due = now() + 2;
    for n in 1..=40 {
        assert_eq!(
            relay.register(&olga, &id(n), reminder(due, &[], &format!("Task {n}"))).await.0,
            201
        );
    }
    relay.child.kill().unwrap();
    relay.child.wait().unwrap();
    let mut relay = Relay::start(&data);

    // And dies again while pushing them.
    let deadline = Instant::now() + Duration::from_secs(30);
    while receiver.received().is_empty() {
        assert!(Instant::now() < deadline, "nothing pushed after 30 s: {}", receiver.rejected());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    relay.child.kill().unwrap();
    relay.child.wait().unwrap();
    let before_restart = receiver.received().len();
    let relay = Relay::start(&data);
    for n in 1..=40 {
        assert_eq!(relay.settled(&olga, &id(n)).await["state"], "sent");
    }
    let received = receiver.received();
    let mut pairs: Vec<(String, i64)> = received
        .iter()
        .map(|p| {
            (p["payload"]["tag"].as_str().unwrap().to_owned(), p["subscription"].as_i64().unwrap())
        })
        .collect();
    pairs.sort();
    let total = pairs.len();
    pairs.dedup();
    assert_eq!(pairs.len(), 80, "every job reached both devices");
    // Only pushes in flight when the relay died can go twice: at most one per job being pushed
    // (16 at once) and device.
    let twice = total - pairs.len();
    assert!(twice <= 32, "{twice} pushes went twice ({before_restart} had arrived at the kill)");
}

#[tokio::test]
async fn a_gone_subscription_is_forgotten_and_a_failing_service_is_retried_without_pushing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = PushReceiver::start(&dir.path().join("inbox"), 3);
    let relay = Relay::start(&dir.path().join("data"));
    let (olga, _, _) = workspace_with_member(&relay.address).await;
    relay.subscribe(&olga, &receiver.subscription(0, "gone")).await;
    relay.subscribe(&olga, &receiver.subscription(1, "flaky")).await;
    relay.subscribe(&olga, &receiver.subscriptions[2]).await;

    assert_eq!(relay.register(&olga, &id(1), reminder(now(), &[], "Renew")).await.0, 201);
    let entry = relay.settled(&olga, &id(1)).await;
    assert_eq!(entry["state"], "sent", "{entry}");
    assert_eq!(entry["attempts"], 3, "the flaky service refused twice: {entry}");
    assert_eq!(entry["reason"], "reached 2 devices");
    let received = receiver.received();
    let mut devices: Vec<i64> =
        received.iter().map(|p| p["subscription"].as_i64().unwrap()).collect();
    devices.sort();
    assert_eq!(devices, [1, 2], "the device reached first is not pushed to again on retry");

    // The gone subscription was forgotten: the next job reaches the two others only.
    assert_eq!(relay.register(&olga, &id(2), reminder(now(), &[], "Renew again")).await.0, 201);
    assert_eq!(relay.settled(&olga, &id(2)).await["reason"], "reached 2 devices");
}

#[tokio::test]
async fn a_device_whose_service_refused_a_job_is_not_pushed_again_when_the_job_retries() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = PushReceiver::start(&dir.path().join("inbox"), 3);
    let relay = Relay::start(&dir.path().join("data"));
    let (olga, _, _) = workspace_with_member(&relay.address).await;
    relay.subscribe(&olga, &receiver.subscription(0, "refusing")).await;
    relay.subscribe(&olga, &receiver.subscription(1, "flaky")).await;
    relay.subscribe(&olga, &receiver.subscriptions[2]).await;

    assert_eq!(relay.register(&olga, &id(1), reminder(now(), &[], "Renew")).await.0, 201);
    let entry = relay.settled(&olga, &id(1)).await;
    assert_eq!(entry["state"], "sent", "{entry}");
    assert_eq!(entry["attempts"], 3, "the flaky service refused twice: {entry}");
    assert_eq!(entry["reason"], "reached 2 devices; 1 refused", "{entry}");
    let refusals = receiver.rejected().lines().filter(|l| l.contains("/refusing/")).count();
    assert_eq!(refusals, 1, "asked once in three attempts: {}", receiver.rejected());
    // The refusal holds for that job only: the next one asks that service again.
    assert_eq!(relay.register(&olga, &id(2), reminder(now(), &[], "Renew again")).await.0, 201);
    let entry = relay.settled(&olga, &id(2)).await;
    assert!(
        entry["reason"].as_str().unwrap().starts_with("reached 2 devices; 1 refused:"),
        "{entry}"
    );
    // Both jobs finished: nothing is kept of whom they reached.
    let db = rusqlite::Connection::open(dir.path().join("data/rapport.sqlite3")).unwrap();
    let kept: i64 =
        db.query_row("SELECT COUNT(*) FROM push_deliveries", [], |row| row.get(0)).unwrap();
    assert_eq!(kept, 0);
}

#[tokio::test]
async fn push_refuses_outsiders_viewers_removed_members_foreign_hosts_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let receiver = PushReceiver::start(&dir.path().join("inbox"), 2);
    let relay = Relay::start(&dir.path().join("data"));
    let address = relay.address.clone();
    let (olga, max, vera) = workspace_with_member(&address).await;
    let eve = outsider_with_workspace(&address).await;
    let subscription = "/api/push/subscription";

    // Signed out: nothing.
    let (status, _, _) =
        http(&address, Method::PUT, subscription, None, receiver.subscriptions[0].clone()).await;
    assert_eq!(status, 401);
    // Only the browsers' push services (here: loopback, for the test) — never another host.
    for endpoint in [
        "https://evil.example/push/0",
        "https://fcm.googleapis.com.evil.example/x",
        "http://10.0.0.1/push/0",
        "http://localhost:9/push/0",
        "https://user:pw@fcm.googleapis.com/x",
        "file:///etc/passwd",
    ] {
        let mut bad = receiver.subscriptions[0].clone();
        bad["endpoint"] = json!(endpoint);
        let (status, body) = relay.call(Method::PUT, subscription, &olga, bad).await;
        assert_eq!(
            (status, &body["code"]),
            (400, &json!("push_service_not_allowed")),
            "{endpoint}"
        );
    }
    // Malformed subscriptions and oversized bodies.
    let mut short_key = receiver.subscriptions[0].clone();
    short_key["keys"]["p256dh"] = json!("BAAA");
    let mut long_auth = receiver.subscriptions[0].clone();
    long_auth["keys"]["auth"] = json!("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    for bad in [json!({}), json!({ "endpoint": 5 }), short_key, long_auth, json!("x")] {
        let (status, body) = relay.call(Method::PUT, subscription, &olga, bad.clone()).await;
        assert_eq!((status, &body["code"]), (400, &json!("bad_subscription")), "{bad}");
    }
    let mut huge = receiver.subscriptions[0].clone();
    huge["padding"] = json!("x".repeat(8000));
    assert_eq!(relay.call(Method::PUT, subscription, &olga, huge).await.0, 413);

    // Jobs: an outsider is told the workspace does not exist; a viewer may not register or
    // cancel; a notification that would open another site is refused with the reason.
    let item = format!("/api/workspaces/{WS}/outbox/{}", id(1));
    let job = reminder(now() + 60, &[], "Call");
    assert_eq!(relay.call(Method::PUT, &item, &eve, job.clone()).await.0, 404);
    assert_eq!(relay.call(Method::PUT, &item, &vera, job.clone()).await.0, 403);
    let mut elsewhere = job.clone();
    elsewhere["open"] = json!("https://evil.example/login");
    let (status, body) = relay.call(Method::PUT, &item, &olga, elsewhere).await;
    assert_eq!((status, &body["code"]), (400, &json!("bad_work")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("path of this app"), "{body}");
    assert_eq!(relay.call(Method::PUT, &item, &olga, job).await.0, 201);
    assert_eq!(relay.call(Method::DELETE, &item, &eve, Value::Null).await.0, 404);
    let other = format!("/api/workspaces/{OTHER_WS}/outbox/{}", id(1));
    assert_eq!(relay.call(Method::GET, &other, &eve, Value::Null).await.0, 404, "not Eve's job");

    // Max subscribed, then was removed: a job naming him reaches nobody.
    relay.subscribe(&max, &receiver.subscriptions[1]).await;
    remove_member(&address, &olga, "max").await;
    assert_eq!(relay.register(&max, &id(2), reminder(now(), &["max"], "x")).await.0, 404);
    assert_eq!(relay.register(&olga, &id(2), reminder(now(), &["max"], "For Max")).await.0, 201);
    let entry = relay.settled(&olga, &id(2)).await;
    assert_eq!(entry["reason"], "no device of the people notified has notifications on");
    // Eve cannot unsubscribe Olga's device; Olga can.
    relay.subscribe(&olga, &receiver.subscriptions[0]).await;
    let endpoint = json!({ "endpoint": receiver.subscriptions[0]["endpoint"] });
    assert_eq!(relay.call(Method::DELETE, subscription, &eve, endpoint.clone()).await.0, 204);
    assert_eq!(relay.register(&olga, &id(3), reminder(now(), &[], "Still on")).await.0, 201);
    assert_eq!(relay.settled(&olga, &id(3)).await["reason"], "reached 1 device");
    assert_eq!(relay.call(Method::DELETE, subscription, &olga, endpoint).await.0, 204);
    assert_eq!(relay.register(&olga, &id(4), reminder(now(), &[], "Off")).await.0, 201);
    assert_eq!(
        relay.settled(&olga, &id(4)).await["reason"],
        "no device of the people notified has notifications on"
    );
    assert_eq!(receiver.received().len(), 1, "only Olga's job to her own device went out");
}
