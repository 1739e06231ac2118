//! Issue 20 benchmark: exactly once under chaos. Three devices of one workspace each see the same
//! 1,000 triggers (a follow-up mail per trigger, its outbox id derived from the trigger), in their own
//! order and with replays, go offline for random stretches, hand their work over with duplicated
//! requests and answers lost on the way (so they ask again), while the real relay binary is killed
//! with SIGKILL once mid-run and restarted on the same data. The relay sends through the real SMTP
//! server of the tests on loopback.
//!
//! Counts, from the SMTP server's mailbox: messages per `Message-ID` (duplicates; the one allowed is a
//! message the relay was handing over when it died), triggers never delivered (lost). Times: from a
//! device coming back online to the SMTP server accepting a mail that device queued while offline
//! (its file's modification time), p50 and p95.
//!
//! Run: `cargo bench -p rapport-sync-server --bench mail_chaos`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a report is this program's output

#[allow(dead_code)]
#[path = "../tests/common/socket.rs"]
mod socket;

#[allow(dead_code)]
#[path = "../tests/common/smtp.rs"]
mod smtp;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

use rand::rngs::ChaCha8Rng;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rapport_core::ids::WorkspaceId;
use rapport_core::outbox::{DeviceOutbox, Handover, Mail, OutboxId, Recipient, Work};
use serde_json::Value;

const TRIGGERS: usize = 1_000;
const DEVICES: usize = 3;
/// Triggers a device takes in between two attempts to hand its work over.
const BATCH: usize = 10;

fn trigger_id(workspace: WorkspaceId, n: usize) -> OutboxId {
    OutboxId::from_cause(workspace, &["chaos", &n.to_string()])
}

fn work(n: usize) -> Work {
    Work::Mail(Mail {
        to: vec![Recipient { address: format!("person{n}@client.example"), name: String::new() }],
        subject: format!("Follow-up {n}"),
        text: "Thank you for your time today.".into(),
        reply_to: None,
        bulk: false,
        in_reply_to: None,
        references: Vec::new(),
        rating_for: None,
        update_link: None,
        markdown: false,
        track: false,
        utm: None,
        send_at: None,
    })
}

fn start_relay(data: &std::path::Path, smtp: &str) -> (socket::Process, String) {
    let flags =
        ["--smtp-url", smtp, "--mail-from", "CRM <crm@acme.example>", "--mail-retry-secs", "1"];
    let (child, address) = socket::start_process_with(&data.join("no-dist"), data, &flags, &[]);
    (socket::Process(child), address)
}

/// What one device measured: for each id it handed over after coming back online, when it came back.
type Reconnects = Vec<(OutboxId, SystemTime)>;

async fn device(
    n: usize,
    workspace: WorkspaceId,
    cookie: String,
    address: Arc<RwLock<String>>,
    requests: Arc<Mutex<(usize, usize)>>,
) -> Reconnects {
    let mut rng = ChaCha8Rng::seed_from_u64(n as u64 + 7);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let mut outbox = DeviceOutbox::default();
    // Every trigger, in this device's own order, a tenth of them seen twice (replays).
    let mut seen: Vec<usize> = (0..TRIGGERS).collect();
    seen.extend((0..TRIGGERS / 10).map(|_| rng.random_range(0..TRIGGERS)));
    seen.shuffle(&mut rng);
    let mut offline_for = 0usize;
    let mut came_back: Option<SystemTime> = None;
    let mut measured = Reconnects::new();
    let mut batches = seen.chunks(BATCH);
    loop {
        let done_seeing = match batches.next() {
            Some(batch) => {
                for &t in batch {
                    outbox.queue(trigger_id(workspace, t), work(t), 0);
                }
                false
            }
            None => true,
        };
        if offline_for > 0 {
            offline_for -= 1;
            if offline_for == 0 {
                came_back = Some(SystemTime::now());
            }
            tokio::task::yield_now().await;
            continue;
        }
        if !done_seeing && rng.random_bool(0.08) {
            offline_for = rng.random_range(2..12);
            continue;
        }
        let waiting: Vec<_> = outbox.waiting().to_vec();
        for item in waiting {
            let relay = address.read().unwrap().clone();
            let url = format!("http://{relay}/api/workspaces/{workspace}/outbox/{}", item.id);
            let send = || client.put(&url).header("cookie", &cookie).json(&item.work).send();
            // A duplicated request: the same work handed over twice at once.
            let copies = if rng.random_bool(0.2) { 2 } else { 1 };
            let answers = futures_util::future::join_all((0..copies).map(|_| send())).await;
            requests.lock().unwrap().0 += copies;
            for answer in answers {
                let (status, body) = match answer {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        (status, response.text().await.unwrap_or_default())
                    }
                    Err(_) => (0, String::new()),
                };
                // An answer lost on the way back: the device will ask again.
                if status != 0 && rng.random_bool(0.1) {
                    requests.lock().unwrap().1 += 1;
                    continue;
                }
                if outbox.handed_over(&item.id, status, &body) == Handover::Stored
                    && status == 201
                    && let Some(at) = came_back
                {
                    measured.push((item.id.clone(), at));
                }
            }
        }
        // Only the first handover after coming back measures the time from coming back.
        came_back = None;
        if done_seeing && outbox.waiting().is_empty() {
            return measured;
        }
        if done_seeing {
            // The relay is down or restarting: try again shortly, as the app's backoff does.
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = smtp::SmtpServer::start(&dir.path().join("mailbox"), 0);
    let data = dir.path().join("data");
    let (relay, first) = start_relay(&data, &smtp.url());
    let (owner, member, viewer) = socket::workspace_with_member(&first).await;
    // The viewer's seat is taken by a third account with a member's role: three devices that write.
    drop(viewer);
    let third = socket::account(&first, "tom").await;
    let path = format!("/api/workspaces/{}/invites", socket::WS);
    let (_, _, invite) = socket::http(
        &first,
        reqwest::Method::POST,
        &path,
        Some(&owner),
        serde_json::json!({"role": "member"}),
    )
    .await;
    let accept = format!("/api/invites/{}", invite["code"].as_str().unwrap());
    socket::http(&first, reqwest::Method::POST, &accept, Some(&third), serde_json::json!({})).await;
    let workspace: WorkspaceId = socket::WS.parse().unwrap();
    let address = Arc::new(RwLock::new(first));
    let requests = Arc::new(Mutex::new((0usize, 0usize)));

    let started = Instant::now();
    let devices: Vec<_> = [owner.clone(), member, third]
        .into_iter()
        .enumerate()
        .map(|(n, cookie)| {
            tokio::spawn(device(n, workspace, cookie, address.clone(), requests.clone()))
        })
        .collect();
    assert_eq!(devices.len(), DEVICES);

    // Kill the relay once a third of the mail has gone out, mid-stream.
    let mut relay = Some(relay);
    while smtp.messages().len() < TRIGGERS / 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let killed_at = smtp.messages().len();
    drop(relay.take());
    let (restarted, second) = start_relay(&data, &smtp.url());
    *address.write().unwrap() = second.clone();

    let mut reconnects = Reconnects::new();
    for device in devices {
        reconnects.extend(device.await.unwrap());
    }
    // Every device has handed everything over; wait for the ledger to settle.
    let mut outbox = DeviceOutbox::default();
    loop {
        let path = format!("/api/workspaces/{}/outbox?after={}", socket::WS, outbox.version());
        let (_, _, changes) =
            socket::http(&second, reqwest::Method::GET, &path, Some(&owner), Value::Null).await;
        let more = changes["more"].as_bool().unwrap_or(false);
        outbox.apply(serde_json::from_value(changes).unwrap());
        let settled = (0..TRIGGERS).all(|t| {
            matches!(outbox.status(&trigger_id(workspace, t)), Some(rapport_core::outbox::Status::Relay(e)) if e.state.is_final())
        });
        if settled {
            break;
        }
        if !more {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(started.elapsed() < Duration::from_secs(600), "the ledger did not settle");
    }
    let elapsed = started.elapsed();
    drop(restarted);

    // The mailbox: messages per Message-ID, and when each id was first accepted.
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    let mut accepted_at: HashMap<String, SystemTime> = HashMap::new();
    for (path, message) in smtp.accepted_files() {
        let id = message
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: <"))
            .and_then(|l| l.split('.').next())
            .unwrap_or_default()
            .to_owned();
        *copies.entry(id.clone()).or_default() += 1;
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        accepted_at.entry(id).and_modify(|t| *t = (*t).min(modified)).or_insert(modified);
    }
    let duplicates: usize = copies.values().map(|n| n - 1).sum();
    let lost =
        (0..TRIGGERS).filter(|&t| !copies.contains_key(trigger_id(workspace, t).as_str())).count();
    let mut latencies: Vec<f64> = reconnects
        .iter()
        .filter_map(|(id, back)| accepted_at.get(id.as_str())?.duration_since(*back).ok())
        .map(|d| d.as_secs_f64())
        .collect();
    latencies.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let (sent_requests, lost_answers) = *requests.lock().unwrap();
    println!(
        "mail_chaos: {DEVICES} devices × {TRIGGERS} triggers (+10 % replays each), relay killed after {killed_at} mails"
    );
    println!(
        "  handover requests {sent_requests}, answers dropped {lost_answers}, elapsed {:.1} s",
        elapsed.as_secs_f64()
    );
    println!(
        "  messages accepted {}, distinct ids {}, duplicates {duplicates}, lost {lost}",
        copies.values().sum::<usize>(),
        copies.len()
    );
    println!(
        "  back online → SMTP accepted, {} mails queued offline: p50 {:.2} s, p95 {:.2} s, max {:.2} s",
        latencies.len(),
        pick(0.5),
        pick(0.95),
        latencies.last().copied().unwrap_or(f64::NAN)
    );
}
