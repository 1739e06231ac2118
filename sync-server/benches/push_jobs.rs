//! Issue 20 benchmark: scheduled jobs pushed by the relay. The real relay binary pushes through Web
//! Push to the tests' real receiver on loopback (`tests/servers/push.py`: it checks each VAPID
//! signature and decrypts each message, as a browser and its push service would). No device is
//! connected while the jobs are due: they were registered over HTTP beforehand, as the app does, and
//! then every device is "offline".
//!
//! 1. Reminder latency: 200 reminders due over 20 s; for each, from its due time to the receiver
//!    holding it decrypted. Target: ≤ 60 s after its time.
//! 2. Scale: 99,000 jobs due tomorrow plus 1,000 due at one second (100,000 scheduled): the time to
//!    register them, the relay's memory (RSS) with them waiting, and the time from that second until
//!    the receiver has all 1,000.
//!
//! Run: `cargo bench -p rapport-sync-server --bench push_jobs` (`-- --quick` skips the 99,000).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a report is this program's output

#[allow(dead_code)]
#[path = "../tests/common/socket.rs"]
mod socket;

#[allow(dead_code)]
#[path = "../tests/common/push.rs"]
mod push;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use serde_json::json;

struct Relay {
    child: socket::Process,
}

fn unix_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Registers jobs `ids` (each `(n, due_at)`) with `at_once` requests in flight.
async fn register(address: &str, cookie: &str, jobs: Vec<(u32, i64)>, at_once: usize) {
    let client = reqwest::Client::new();
    futures_util::stream::iter(jobs)
        .map(|(n, due_at)| {
            let client = client.clone();
            async move {
                let url = format!("http://{address}/api/workspaces/{}/outbox/{n:032x}", socket::WS);
                let job = json!({ "kind": "notify", "due_at": due_at, "title": format!("Task {n}"),
                                  "body": "Due now", "open": "/tasks" });
                let response =
                    client.put(url).header("cookie", cookie).json(&job).send().await.unwrap();
                assert_eq!(response.status().as_u16(), 201, "{:?}", response.text().await);
            }
        })
        .buffer_unordered(at_once)
        .collect::<Vec<()>>()
        .await;
}

#[tokio::main]
async fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let dir = tempfile::tempdir().unwrap();
    let receiver = push::PushReceiver::start(&dir.path().join("inbox"), 1);
    let data = dir.path().join("data");
    let flags = ["--push-allow-loopback"];
    let (child, address) = socket::start_process_with(&data.join("no-dist"), &data, &flags, &[]);
    let relay = Relay { child: socket::Process(child) };
    let (owner, _, _) = socket::workspace_with_member(&address).await;
    let (status, _, _) = socket::http(
        &address,
        reqwest::Method::PUT,
        "/api/push/subscription",
        Some(&owner),
        receiver.subscriptions[0].clone(),
    )
    .await;
    assert_eq!(status, 201);

    // 1. Latency: 200 reminders due one every 100 ms, starting 3 s from now.
    let start = unix_ms() / 1000 + 3;
    let jobs: Vec<(u32, i64)> = (0..200).map(|n| (n, start + i64::from(n) / 10)).collect();
    let due: std::collections::HashMap<String, i64> =
        jobs.iter().map(|(n, at)| (format!("{n:032x}"), *at * 1000)).collect();
    register(&address, &owner, jobs, 8).await;
    let received = receiver.wait_for(200).await;
    let mut late: Vec<i64> = received
        .iter()
        .map(|push| {
            let tag = push["payload"]["tag"].as_str().unwrap();
            push["received_ms"].as_i64().unwrap() - due[tag]
        })
        .collect();
    late.sort();
    println!(
        "reminder latency after its due time, 200 reminders: p50 {} ms, p95 {} ms, max {} ms (min {} ms)",
        percentile(&late, 0.5),
        percentile(&late, 0.95),
        late.last().unwrap(),
        late[0]
    );
    assert!(late[0] >= 0, "pushed before its time");

    // 2. Scale.
    let idle_mb = socket::rss_mb(relay.child.id());
    let far = unix_ms() / 1000 + 86_400;
    let waiting: u32 = if quick { 9_000 } else { 99_000 };
    let started = Instant::now();
    register(&address, &owner, (1_000..1_000 + waiting).map(|n| (n, far)).collect(), 16).await;
    let took = started.elapsed();
    println!(
        "registered {waiting} jobs due tomorrow in {:.1} s ({:.0} a second)",
        took.as_secs_f64(),
        f64::from(waiting) / took.as_secs_f64()
    );
    let burst_at = unix_ms() / 1000 + 20;
    let started = Instant::now();
    register(&address, &owner, (200_000..201_000).map(|n| (n, burst_at)).collect(), 16).await;
    println!("registered 1,000 jobs due at one second in {:.1} s", started.elapsed().as_secs_f64());
    assert!(unix_ms() < burst_at * 1000, "the burst was registered before its time");
    let waiting_mb = socket::rss_mb(relay.child.id());
    println!(
        "relay RSS: {idle_mb:.1} MB before, {waiting_mb:.1} MB with {} jobs scheduled",
        waiting + 1_000
    );
    let before = receiver.received().len();
    let mut peak_mb = waiting_mb;
    loop {
        peak_mb = peak_mb.max(socket::rss_mb(relay.child.id()));
        if receiver.received().len() >= before + 1_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all = receiver.received();
    let last = all.iter().map(|push| push["received_ms"].as_i64().unwrap()).max().unwrap();
    let first =
        all[before..].iter().map(|push| push["received_ms"].as_i64().unwrap()).min().unwrap();
    println!(
        "1,000 due at one second: first pushed {} ms after it, all 1,000 within {} ms; relay peak RSS {peak_mb:.1} MB",
        first - burst_at * 1000,
        last - burst_at * 1000
    );
    let rejected = receiver.rejected();
    assert!(rejected.is_empty(), "{rejected}");
}
