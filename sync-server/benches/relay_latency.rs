//! Issue 4 benchmark: edit-to-visible latency through the relay under load.
//!
//! The real relay binary runs as its own process on loopback (so its memory is its own). A light load
//! generator — tokio tasks speaking the protocol through `rapport_core::sync_client`, the same code the
//! browser runs — opens `CLIENTS` websocket clients (default 100) over `DOCS` documents (default 10) of
//! one workspace. Every client edits its document once a second (staggered), writing the time of the
//! edit; every other client syncing that document measures when the edit reaches it. Reports the
//! latency percentiles, updates delivered per second, and the relay's resident memory.
//!
//! Run: `cargo bench -p rapport-sync-server --bench relay_latency` (env `CLIENTS`, `DOCS`, `SECONDS`).
//!
//! With `SERVER=js` the same generator drives the JavaScript `@automerge/automerge-repo-sync-server`
//! instead (`node` on the file `JS_SYNC_SERVER` names, started here with its own port and data folder;
//! no accounts or tickets — it has none). `scripts/bench-sync-servers` installs it from npm and runs both
//! one after the other.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a report is this program's output

// The socket tests' helpers: the relay process, accounts, tickets.
#[allow(dead_code)]
#[path = "../tests/common/socket.rs"]
mod socket;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, PatchAction, ROOT, ScalarValue};
use futures_util::{SinkExt, StreamExt};
use rapport_core::layout::DocumentId;
use rapport_core::sync_client::{Event, SyncClient};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as Frame;

const WORKSPACE: &str = "0192f3a4-5b6c-7d8e-9f00-bbbbbbbbbbbb";

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let clients = setting("CLIENTS", 100);
    let docs = setting("DOCS", 10);
    let seconds = setting("SECONDS", 20) as u64;
    let data = tempfile::tempdir().unwrap();
    let js = std::env::var("SERVER").is_ok_and(|server| server == "js");
    let (mut relay, urls, address) = if js {
        let (relay, urls) = start_js_server(data.path(), clients).await;
        (relay, urls, String::new())
    } else {
        // One account holds every client's socket and ticket here; the limits are for strangers.
        let many = (clients * 2).to_string();
        // With FLOOD the flood comes from many addresses (as a botnet's would), which the relay
        // tells apart only through a proxy's `X-Forwarded-For`.
        let flags = [
            "--max-sockets-per-account",
            many.as_str(),
            "--max-tickets-per-account",
            many.as_str(),
            "--trust-forwarded-for",
        ];
        let (relay, address) =
            socket::start_process_with(&data.path().join("no-dist"), data.path(), &flags, &[]);
        let cookie = setup(&address).await;
        let mut urls = Vec::with_capacity(clients);
        for _ in 0..clients {
            let ticket = socket::ticket(&address, &cookie, WORKSPACE).await;
            urls.push(format!("ws://{address}/api/sync?ticket={ticket}"));
        }
        (relay, urls, address)
    };
    let server = if js { "js" } else { "rapport" };
    eprintln!(
        "relay_latency: {server} server, {clients} clients on {docs} documents for {seconds} s"
    );

    let clock = Instant::now();
    let latencies = Arc::new(Mutex::new(Vec::<u64>::new()));
    let ready = Arc::new(tokio::sync::Barrier::new(clients + 1));
    let measuring = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for (i, url) in urls.into_iter().enumerate() {
        let (latencies, ready, measuring) = (latencies.clone(), ready.clone(), measuring.clone());
        tasks.push(tokio::spawn(async move {
            client(i, &url, document(i % docs), clock, seconds, latencies, ready, measuring).await
        }));
    }
    // Everyone connected and synced: measure from here.
    ready.wait().await;
    let rss_idle = rss_kb(relay.id());
    let cpu_before = cpu_seconds(relay.id());
    measuring.store(true, std::sync::atomic::Ordering::SeqCst);
    let started = Instant::now();
    let flood = flood(&address, if js { 0 } else { setting("FLOOD", 0) }, seconds);
    let mut rss_peak = rss_idle;
    while started.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        rss_peak = rss_peak.max(rss_kb(relay.id()));
    }
    let relay_cpu = cpu_seconds(relay.id()) - cpu_before;
    measuring.store(false, std::sync::atomic::Ordering::SeqCst);
    let flooded = flood.await;
    for task in tasks {
        let _ = task.await;
    }
    let _ = relay.kill();
    let mut all = latencies.lock().unwrap().clone();
    all.sort_unstable();
    let pick = |q: f64| all.get(((all.len() as f64 - 1.0) * q) as usize).copied().unwrap_or(0);
    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "relay_latency server={server} clients={clients} docs={docs} seconds={seconds}: {} updates delivered \
         ({:.0}/s); latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; relay RSS \
         {:.1} MB idle, {:.1} MB peak; relay CPU {:.0} % of one core",
        all.len(),
        all.len() as f64 / seconds as f64,
        ms(pick(0.5)),
        ms(pick(0.9)),
        ms(pick(0.99)),
        ms(all.last().copied().unwrap_or(0)),
        rss_idle as f64 / 1024.0,
        rss_peak as f64 / 1024.0,
        relay_cpu / seconds as f64 * 100.0,
    );
    if !flooded.is_empty() {
        println!("relay_latency flood answers by status: {flooded:?}");
    }
}

/// `workers` concurrent sign-in attempts with wrong passwords, each from a new address and for a new
/// email, for `seconds`: what a botnet guessing passwords costs the relay while members sync. Returns
/// how many answers of each HTTP status it got. Bounded in time; loopback only.
fn flood(
    address: &str,
    workers: usize,
    seconds: u64,
) -> impl Future<Output = std::collections::BTreeMap<u16, u64>> + use<> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..workers)
        .map(|worker| {
            let url = format!("http://{address}/api/sessions");
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut answers = std::collections::BTreeMap::<u16, u64>::new();
                let mut n = 0u32;
                while Instant::now() < deadline {
                    n += 1;
                    // Addresses of the benchmarking range (RFC 2544), only ever written in a header.
                    let k = worker as u32 * 4096 + n;
                    let from = format!("198.{}.{}.{}", 18 + (k >> 16) % 2, (k >> 8) % 256, k % 256);
                    let sent = client
                        .post(&url)
                        .header("x-forwarded-for", from)
                        .json(&json!({ "email": format!("guess-{worker}-{n}@example.test"), "password": "wrong password!" }))
                        .send()
                        .await;
                    let status = sent.map(|r| r.status().as_u16()).unwrap_or(0);
                    *answers.entry(status).or_default() += 1;
                }
                answers
            })
        })
        .collect();
    async move {
        let mut all = std::collections::BTreeMap::new();
        for task in tasks {
            for (status, count) in task.await.unwrap_or_default() {
                *all.entry(status).or_default() += count;
            }
        }
        all
    }
}

/// One simulated device: joins, syncs its document, then edits it once a second while measuring the
/// arrival of everyone else's edits.
#[allow(clippy::too_many_arguments)]
async fn client(
    i: usize,
    url: &str,
    id: DocumentId,
    clock: Instant,
    seconds: u64,
    latencies: Arc<Mutex<Vec<u64>>>,
    ready: Arc<tokio::sync::Barrier>,
    measuring: Arc<std::sync::atomic::AtomicBool>,
) {
    let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("connect");
    let (mut sink, mut stream) = socket.split();
    let mut client = SyncClient::new(format!("load-{i}"), format!("s{i}"));
    let mut doc = AutoCommit::new();
    // Each client writes its own key, so edits never conflict and every one is visible.
    let mine = format!("c{i}");
    doc.put(ROOT, &mine, 0u64).unwrap();
    sink.send(Frame::Binary(client.join().into())).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(seconds + 30);
    let mut synced = false;
    let mut edit_at = tokio::time::Instant::now() + Duration::from_millis(137 * i as u64 % 1000);
    let mut waiting = true;
    let mut done = false;
    while Instant::now() < deadline {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            _ = tokio::time::sleep_until(edit_at), if !waiting => {
                edit_at += Duration::from_secs(1);
                if measuring.load(std::sync::atomic::Ordering::SeqCst) {
                    let now = clock.elapsed().as_micros() as u64;
                    doc.put(ROOT, &mine, now).unwrap();
                    if let Some(out) = client.message_for(id, &mut doc) {
                        sink.send(Frame::Binary(out.into())).await.unwrap();
                    }
                } else if done {
                    break;
                } else {
                    done = true;
                }
                continue;
            }
            _ = tokio::time::sleep(Duration::from_millis(200)), if waiting => {
                // Synced with the relay: wait for everyone, then start editing.
                if synced && client.relay_has(id, &mut doc) {
                    waiting = false;
                    ready.wait().await;
                    edit_at = tokio::time::Instant::now() + Duration::from_millis(137 * i as u64 % 1000);
                }
                continue;
            }
        };
        let bytes = match frame {
            Some(Ok(Frame::Binary(bytes))) => bytes,
            // Pings and pongs are answered by tungstenite; only data matters here.
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => break,
        };
        match client.receive(&bytes).expect("valid frames") {
            Event::Connected => {
                if let Some(out) = client.message_for(id, &mut doc) {
                    sink.send(Frame::Binary(out.into())).await.unwrap();
                }
            }
            Event::Sync { document, message } => {
                let before = doc.get_heads();
                client.apply(document, &mut doc, message).unwrap();
                let arrived = clock.elapsed().as_micros() as u64;
                let after = doc.get_heads();
                if !waiting && before != after {
                    let mut found = Vec::new();
                    for patch in doc.diff(&before, &after) {
                        if let PatchAction::PutMap { key, value, .. } = patch.action
                            && key != mine
                            && let (automerge::Value::Scalar(scalar), _) = value
                            && let ScalarValue::Uint(at) = scalar.as_ref()
                            && *at > 0
                        {
                            found.push(arrived.saturating_sub(*at));
                        }
                    }
                    latencies.lock().unwrap().extend(found);
                }
                synced = true;
                if let Some(out) = client.message_for(id, &mut doc) {
                    sink.send(Frame::Binary(out.into())).await.unwrap();
                }
            }
            Event::Unavailable(_) | Event::Ephemeral { .. } | Event::Ignored => {}
            Event::Refused(reason) => panic!("client {i} refused: {reason}"),
        }
    }
}

/// Document `n`'s id: shaped as a UUID v4 (version and variant bits set), which automerge-repo's
/// servers require of a document id — they drop messages about any other id without a word.
fn document(n: usize) -> DocumentId {
    let mut bytes = [n as u8 + 1; 16];
    bytes[6] = 0x40 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    DocumentId(bytes)
}

/// Starts `node` on the JavaScript sync server `JS_SYNC_SERVER` names, on a free port with its data
/// in `data`, and waits until it accepts connections; one URL per client (it has no tickets).
async fn start_js_server(
    data: &std::path::Path,
    clients: usize,
) -> (std::process::Child, Vec<String>) {
    let script = std::env::var("JS_SYNC_SERVER").expect(
        "JS_SYNC_SERVER: the sync server's src/index.js (scripts/bench-sync-servers sets it)",
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = std::process::Command::new("node")
        .arg(&script)
        .current_dir(data)
        .env("PORT", port.to_string())
        .env("DATA_DIR", data.join("amrg"))
        // It logs every connection, and exits when a closed pipe refuses a line: no pipes.
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("node starts");
    let address = format!("127.0.0.1:{port}");
    let started = Instant::now();
    while tokio::net::TcpStream::connect(&address).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "the JS sync server never listened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // It listens a moment before its repo has given the network adapter a peer id; a `join` in that
    // moment crashes it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    (server, vec![format!("ws://{address}"); clients])
}

async fn setup(address: &str) -> String {
    let cookie = socket::account(address, "load").await;
    let create = json!({ "id": WORKSPACE, "name": "Load" });
    let (status, _, body) =
        socket::http(address, reqwest::Method::POST, "/api/workspaces", Some(&cookie), create)
            .await;
    assert_eq!(status, 201, "{body}");
    cookie
}

/// Resident memory of process `pid` in KiB (Linux).
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmRSS:")
                    .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            })
        })
        .unwrap_or(0)
}

/// CPU time (user + system) process `pid` has used, in seconds (Linux, 100 ticks per second).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th of those.
    let rest = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
