//! Automation rules act once through the real relay: three devices of two members hold the same rule
//! (a person added → a task for their owner and a welcome email). Over a seeded random run each device
//! adds people, drops its connection and comes back, and runs the rule as the app's runner does
//! (`app/src/automations.rs`): it finds the occurrences due in its replica (`core::automation`), takes
//! each one's key in the relay's once-only ledger, writes the task and the email on the timeline under
//! ids derived from the occurrence, queues the mail at the relay's outbox, writes the run into the
//! rule's log and says the key done. Sometimes it dies right after taking a key (its hold lapses and
//! another device does the work, under the same ids), or loses its connection after writing and before
//! anything reached the relay (it syncs what it wrote when it comes back, beside what another device
//! wrote meanwhile). Devices offline for a while act on what they knew.
//!
//! At the end every device shows exactly one task and one email per person added, the rule's run log
//! holds one run per person, and the real SMTP server received exactly one welcome mail per person.
//! Seeds are fixed so a failure replays; `RAPPORT_EXACTLY_ONCE_SEED` runs one given seed.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::smtp::SmtpServer;
use common::socket::*;
use futures_util::{SinkExt, StreamExt};
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rapport_core::automation::{Automations, Effect, Firing};
use rapport_core::campaigns::Sending;
use rapport_core::device_sync::{Handled, Link, Session};
use rapport_core::document::{self, Record};
use rapport_core::ids::{AutomationId, PartyId, Timestamp, WorkspaceId};
use rapport_core::layout::{DocKey, Month};
use rapport_core::model::{
    Automation, AutomationAction, ContactPoint, Interaction, Party, Task, WorkspaceSettings,
};
use rapport_core::outbox::OutboxId;
use rapport_core::replica::memory::{self, MemoryError};
use rapport_core::segments::Audience;
use rapport_core::sync_client::SyncClient;
use tokio_tungstenite::tungstenite::Message as Frame;

const DEVICES: usize = 3;
const STEPS: usize = 160;
const RULE: AutomationId = AutomationId::from_bytes([0xa1; 16]);

fn workspace() -> WorkspaceId {
    WS.parse().expect("a workspace id")
}

fn now() -> Timestamp {
    let ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    Timestamp(ms.as_millis() as i64)
}

/// The rule every device holds: a person added → "Call" for their owner, and a welcome email.
fn rule(on_since: Timestamp) -> Automation {
    let action = |position, kind: &str| AutomationAction {
        position,
        kind: kind.into(),
        ..AutomationAction::default()
    };
    let mut actions = BTreeMap::new();
    actions.insert("call".into(), AutomationAction { subject: "Call".into(), ..action(0, "task") });
    actions.insert(
        "welcome".into(),
        AutomationAction {
            subject: "Welcome, {{first_name|there}}".into(),
            body: "Glad to have you.".into(),
            ..action(1, "email")
        },
    );
    Automation {
        name: "Welcome".into(),
        on_since: Some(on_since),
        trigger: "created".into(),
        actions,
        created_at: on_since,
        ..Automation::default()
    }
}

struct Device {
    name: String,
    cookie: String,
    session: Session,
    local: std::cell::RefCell<memory::Device>,
    socket: Option<Socket>,
    /// Keys taken whose work reached the relay's outbox and documents: to be said done.
    unsaid: Vec<OutboxId>,
    /// Mail queued on the device, kept until the relay has it (the app's `DeviceOutbox`).
    outbox: Vec<(OutboxId, serde_json::Value)>,
}

#[tokio::test]
async fn three_devices_with_one_rule_make_one_task_and_one_email_per_person() {
    let seeds: Vec<u64> = match std::env::var("RAPPORT_EXACTLY_ONCE_SEED") {
        Ok(seed) => vec![seed.parse().expect("a number")],
        Err(_) => vec![1, 4],
    };
    for seed in seeds {
        run(seed).await;
    }
}

async fn run(seed: u64) {
    let folder = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&folder.path().join("mailbox"), 30);
    let url = smtp.url();
    let flags = [
        "--once-hold-secs",
        "1",
        "--smtp-url",
        url.as_str(),
        "--mail-from",
        "Acme <crm@acme.example>",
        "--mail-retry-secs",
        "1",
    ];
    let data = folder.path().join("data");
    let (process, address) = start_process_with(&data.join("no-dist"), &data, &flags, &[]);
    let _relay = Process(process);
    let (owner, member, _viewer) = workspace_with_member(&address).await;
    let settings = WorkspaceSettings { name: "Acme".into(), ..WorkspaceSettings::default() };
    let first = memory::Device::create(workspace(), &settings).expect("created");
    let mut devices: Vec<Device> = (0..DEVICES)
        .map(|i| Device {
            name: format!("device-{i}"),
            cookie: if i == 1 { member.clone() } else { owner.clone() },
            session: Session::new(
                SyncClient::new(format!("device-{i}"), format!("session-{seed}-{i}")),
                workspace(),
            ),
            local: memory::Device::open(workspace(), first.store.clone()).expect("opened").into(),
            socket: None,
            unsaid: Vec::new(),
            outbox: Vec::new(),
        })
        .collect();
    // The rule, switched on now, written by the first device and synced to all.
    let on_since = now();
    edit(&devices[0], Automation::doc_key(&RULE), &RULE.to_string(), |doc| {
        document::put(doc, &RULE.to_string(), &rule(on_since))
    });
    for device in &mut devices {
        connect(device, &address).await;
    }
    push(&mut devices[0], Automation::doc_key(&RULE)).await;
    settle(&mut devices, &address, |d| d.local.borrow().replica.model.automations.len() == 1).await;

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut added: Vec<(PartyId, String)> = Vec::new();
    let (mut died, mut cut_off) = (0, 0);
    for step in 0..STEPS {
        let d = rng.random_range(0..DEVICES);
        match rng.random_range(0..100) {
            0..20 => {
                let name = format!("Person{seed}x{step}");
                let id = add_person(&devices[d], &name);
                added.push((id, name));
                push(&mut devices[d], Party::doc_key(&id)).await;
            }
            20..50 => {
                let fate = match rng.random_range(0..100) {
                    0..12 => Fate::DiesAfterTaking,
                    12..24 => Fate::CutOffAfterWriting,
                    _ => Fate::Finishes,
                };
                let (a, b) = act(&mut devices[d], &address, fate).await;
                died += a;
                cut_off += b;
            }
            50..78 => pump(&mut devices[d], Duration::from_millis(10)).await,
            78..89 => disconnect(&mut devices[d]).await,
            _ => connect(&mut devices[d], &address).await,
        }
    }
    assert!(added.len() > 15, "seed {seed}: the run added people ({})", added.len());
    assert!(
        died > 0 && cut_off > 0,
        "seed {seed}: faults happened ({died} died, {cut_off} cut off)"
    );

    // Everyone comes back, syncs, and runs the rule until no device has anything left to do: a key
    // held by a device that died is free once its hold ends.
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        for device in &mut devices {
            connect(device, &address).await;
            retry(device).await;
            act(device, &address, Fate::Finishes).await;
            pump(device, Duration::from_millis(20)).await;
        }
        let done = devices.iter().all(|device| {
            let local = device.local.borrow();
            let runs = local.replica.model.automations.get(&RULE).map_or(0, |r| r.runs.len());
            runs == added.len()
                && device.unsaid.is_empty()
                && device.outbox.is_empty()
                && local.replica.unsynced_edits() == 0
        });
        if done && converged(&mut devices) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "seed {seed}: not all done within 90 s: {:?}",
            devices
                .iter()
                .map(|d| {
                    let local = d.local.borrow();
                    let runs = local.replica.model.automations.get(&RULE).map(|r| r.runs.len());
                    (runs, d.unsaid.len(), local.replica.unsynced_edits())
                })
                .collect::<Vec<_>>()
        );
    }

    // One task and one email per person added, on every device.
    for device in &devices {
        let local = device.local.borrow();
        let model = &local.replica.model;
        for (id, name) in &added {
            let tasks =
                model.tasks.values().filter(|t| t.title == format!("Call — {name}")).count();
            assert_eq!(tasks, 1, "seed {seed}: {} shows {tasks} tasks for {name}", device.name);
            let emails = model
                .interactions
                .values()
                .flat_map(|month| month.values())
                .filter(|i| i.parties.contains(id) && i.summary == format!("Welcome, {name}"))
                .count();
            assert_eq!(emails, 1, "seed {seed}: {} shows {emails} emails to {name}", device.name);
        }
        assert_eq!(model.tasks.len(), added.len(), "seed {seed}: {}", device.name);
    }
    // And the mail server got one welcome each, whatever devices died or queued it twice.
    let deadline = Instant::now() + Duration::from_secs(60);
    while smtp.messages().len() < added.len() {
        assert!(Instant::now() < deadline, "seed {seed}: {} mails", smtp.messages().len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let outbox = outbox_entries(&address, &owner).await;
    assert!(outbox.iter().all(|state| state == "sent"), "seed {seed}: {outbox:?}");
    assert_eq!(outbox.len(), added.len(), "seed {seed}: one mail entry per person");
    for (_, name) in &added {
        let address = format!("{}@example.test", name.to_lowercase());
        assert_eq!(smtp.to(&address).len(), 1, "seed {seed}: mails to {address}");
    }
    assert_eq!(smtp.messages().len(), added.len(), "seed {seed}");
}

#[derive(Clone, Copy, PartialEq)]
enum Fate {
    Finishes,
    /// Takes the key and is never heard of again for this occurrence.
    DiesAfterTaking,
    /// Writes everything on the device, then loses its connection before anything left it.
    CutOffAfterWriting,
}

/// Runs the rule on `device` as the app's runner does; returns (keys it died holding, times it was
/// cut off after writing).
async fn act(device: &mut Device, address: &str, fate: Fate) -> (usize, usize) {
    if device.socket.is_none() {
        return (0, 0);
    }
    hand_over(device, address).await;
    say_unsaid(device, address).await;
    let planned: Vec<(Firing, Vec<Effect>)> = {
        let local = device.local.borrow();
        let replica = &local.replica;
        let audience = Audience::new(&replica.model, &replica.settings, Vec::new(), now());
        let automations =
            Automations::new(workspace(), &replica.model, &replica.settings, &audience, None);
        let Some(rule) = replica.model.automations.get(&RULE) else { return (0, 0) };
        let how = Sending { track: false, utm: false };
        automations
            .due(now())
            .into_iter()
            .map(|firing| {
                let plan = automations.plan(rule, &firing, how, None, now());
                (firing, plan.into_iter().map(|(_, effect)| effect).collect())
            })
            .collect()
    };
    let (mut died, mut cut_off) = (0, 0);
    for (firing, effects) in planned {
        let key = firing.key(workspace());
        if once(device, address, &format!("/once/{key}")).await != 204 {
            continue;
        }
        if fate == Fate::DiesAfterTaking {
            died += 1;
            return (died, cut_off);
        }
        let mut records = Vec::new();
        for effect in effects {
            match effect {
                Effect::Task { id, record } => {
                    let key = id.to_string();
                    edit(device, Task::doc_key(&id), &key, |doc| {
                        match document::get::<_, Task>(doc, &key) {
                            Ok(Some(_)) => Ok(()),
                            _ => document::put(doc, &key, record.as_ref()),
                        }
                    });
                    records.push(Task::doc_key(&id));
                }
                Effect::Email { interaction, record, mail } => {
                    let key = interaction.to_string();
                    let doc_key = DocKey::Interactions(Month::of(record.at));
                    edit(device, doc_key, &key, |doc| {
                        match document::get::<_, Interaction>(doc, &key) {
                            Ok(Some(_)) => Ok(()),
                            _ => document::put(doc, &key, record.as_ref()),
                        }
                    });
                    records.push(doc_key);
                    let work = serde_json::to_value(mail.as_ref()).unwrap();
                    device.outbox.push((OutboxId::of_mail(workspace(), interaction), work));
                }
                other => panic!("the rule does only tasks and emails: {other:?}"),
            }
        }
        let run = rapport_core::automation::run(
            &firing,
            None,
            vec!["task".into(), "email".into()],
            now(),
        );
        let cause = firing.cause.clone();
        edit(device, Automation::doc_key(&RULE), &RULE.to_string(), |doc| {
            let mut rule: Automation = document::get(doc, &RULE.to_string())?.expect("the rule");
            rule.runs.entry(cause).or_insert(run);
            document::put(doc, &RULE.to_string(), &rule)
        });
        records.push(Automation::doc_key(&RULE));
        if fate == Fate::CutOffAfterWriting {
            disconnect(device).await;
            cut_off += 1;
            return (died, cut_off);
        }
        hand_over(device, address).await;
        records.sort();
        records.dedup();
        for doc in records {
            push(device, doc).await;
        }
        device.unsaid.push(key);
    }
    (died, cut_off)
}

/// Hands the relay the mail waiting on the device.
async fn hand_over(device: &mut Device, address: &str) {
    for (id, work) in std::mem::take(&mut device.outbox) {
        let path = format!("/api/workspaces/{WS}/outbox/{id}");
        let (status, _, body) =
            http(address, reqwest::Method::PUT, &path, Some(&device.cookie), work).await;
        assert!(status == 200 || status == 201, "{}: queued {status} {body}", device.name);
    }
}

/// Says done every key whose work this device handed over — once the relay has confirmed its edits
/// (the app waits for the same before it says so).
async fn say_unsaid(device: &mut Device, address: &str) {
    if device.local.borrow().replica.unsynced_edits() > 0 {
        return;
    }
    for key in std::mem::take(&mut device.unsaid) {
        let status = once(device, address, &format!("/once/{key}/done")).await;
        // 409: held by another device since this one's hold ended — it does the same again.
        assert!([204, 409, 410].contains(&status), "{}: done {status}", device.name);
    }
}

async fn once(device: &Device, address: &str, path: &str) -> u16 {
    let response = reqwest::Client::new()
        .post(format!("http://{address}/api/workspaces/{WS}{path}"))
        .header("cookie", &device.cookie)
        .header("x-rapport-filer", &device.name)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

/// The states of the workspace's marketing mail entries in the relay's outbox.
async fn outbox_entries(address: &str, cookie: &str) -> Vec<String> {
    let path = format!("/api/workspaces/{WS}/outbox?after=0");
    let (status, _, body) =
        http(address, reqwest::Method::GET, &path, Some(cookie), serde_json::Value::Null).await;
    assert_eq!(status, 200, "{body}");
    body["entries"]
        .as_array()
        .into_iter()
        .flatten()
        // Marketing mail, with its unsubscribe headers and the suppression list applied.
        .filter(|entry| entry["kind"] == "bulk")
        .map(|entry| entry["state"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// A person with an address, owned by nobody in particular, added now.
fn add_person(device: &Device, name: &str) -> PartyId {
    let id = PartyId::from_bytes(rand::random());
    let party = Party {
        name: name.to_owned(),
        given_name: name.to_owned(),
        emails: vec![ContactPoint {
            label: String::new(),
            value: format!("{}@example.test", name.to_lowercase()),
        }],
        created_at: now(),
        ..Party::default()
    };
    let key = id.to_string();
    edit(device, Party::doc_key(&id), &key, |doc| document::put(doc, &key, &party));
    id
}

fn edit(
    device: &Device,
    key: DocKey,
    record: &str,
    change: impl FnOnce(&mut automerge::AutoCommit) -> Result<(), document::DocumentError>,
) {
    let records = [record.to_owned()];
    device
        .local
        .borrow_mut()
        .edit(key, &records, now(), |doc| {
            change(doc).map_err(|e| MemoryError::from(rapport_core::replica::ReplicaError::from(e)))
        })
        .expect("stored");
}

async fn push(device: &mut Device, key: DocKey) {
    let mut link = SocketLink(&mut device.socket);
    if device.session.local_change(&device.local, &mut link, key).await.is_err() {
        disconnect(device).await;
    }
}

async fn retry(device: &mut Device) {
    let mut link = SocketLink(&mut device.socket);
    if device.session.retry_unavailable(&device.local, &mut link).await.is_err() {
        disconnect(device).await;
    }
}

/// Syncs every device until `ready` holds for all of them.
async fn settle(devices: &mut [Device], address: &str, ready: impl Fn(&Device) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !devices.iter().all(&ready) {
        for device in devices.iter_mut() {
            connect(device, address).await;
            pump(device, Duration::from_millis(20)).await;
        }
        assert!(Instant::now() < deadline, "devices did not settle within 30 s");
    }
}

/// Every device holds the same heads for every document it knows, and the relay has told it so.
fn converged(devices: &mut [Device]) -> bool {
    let keys: Vec<DocKey> = devices[0].local.borrow().replica.document_keys();
    keys.into_iter().all(|key| {
        let id = key.document_id(workspace());
        let mut heads: Vec<_> = devices
            .iter_mut()
            .map(|device| {
                let mut local = device.local.borrow_mut();
                local.ensure_loaded(key);
                let mut h = local.replica.document(key).map(|d| d.get_heads()).unwrap_or_default();
                h.sort();
                h
            })
            .collect();
        heads.dedup();
        heads.len() == 1
            && devices.iter_mut().all(|device| {
                let mut local = device.local.borrow_mut();
                let doc = local.replica.document(key).unwrap();
                device.session.client().relay_has(id, doc)
            })
    })
}

async fn connect(device: &mut Device, address: &str) {
    if device.socket.is_some() {
        return;
    }
    let (status, _, body) = http(
        address,
        reqwest::Method::POST,
        &format!("/api/workspaces/{WS}/tickets"),
        Some(&device.cookie),
        serde_json::json!({}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let ticket = body["ticket"].as_str().unwrap();
    let url = format!("ws://{address}/api/sync?ticket={ticket}");
    let Ok((mut socket, _)) = tokio_tungstenite::connect_async(url).await else { return };
    if socket.send(Frame::Binary(device.session.join().into())).await.is_err() {
        return;
    }
    device.socket = Some(socket);
    pump(device, Duration::from_millis(20)).await;
}

async fn disconnect(device: &mut Device) {
    if let Some(mut socket) = device.socket.take() {
        let _ = socket.close(None).await;
    }
    device.session.disconnected();
}

struct SocketLink<'a>(&'a mut Option<Socket>);

impl Link for SocketLink<'_> {
    async fn send(&mut self, frame: Vec<u8>) -> Result<(), String> {
        let socket = self.0.as_mut().ok_or("not connected")?;
        socket.send(Frame::Binary(frame.into())).await.map_err(|error| error.to_string())
    }
}

/// Handles what the relay sends for up to `quiet` of silence, as the browser's engine does.
async fn pump(device: &mut Device, quiet: Duration) {
    loop {
        let Some(socket) = device.socket.as_mut() else { return };
        let frame = match tokio::time::timeout(quiet, socket.next()).await {
            Err(_) => return,
            Ok(Some(Ok(Frame::Binary(bytes)))) => bytes,
            Ok(Some(Ok(Frame::Close(_)))) | Ok(Some(Err(_))) | Ok(None) => {
                disconnect(device).await;
                return;
            }
            Ok(Some(Ok(_))) => continue,
        };
        let mut link = SocketLink(&mut device.socket);
        let handled = device.session.frame(&device.local, &mut link, &frame).await;
        let done = match handled {
            Ok(Handled::Worker(job)) => {
                let merged = rapport_core::offload::merge_whole(&job.job).ok();
                device.session.worker_done(&device.local, &mut link, job.merging, merged).await
            }
            Ok(Handled::Refused(reason)) => panic!("{} refused: {reason}", device.name),
            Ok(_) => Ok(()),
            Err(lost) => Err(lost),
        };
        let notices = device.session.take_notices();
        assert!(notices.is_empty(), "{}: {notices:?}", device.name);
        if done.is_err() {
            disconnect(device).await;
            return;
        }
    }
}
