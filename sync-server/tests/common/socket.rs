//! A relay on loopback and a minimal protocol peer (over `automerge::sync`) for socket tests.

use std::time::Duration;

use automerge::sync::{self as am_sync, SyncDoc};
use automerge::{AutoCommit, ROOT, ReadDoc};
use futures_util::{SinkExt, StreamExt};
use rapport_core::layout::DocumentId;
use rapport_core::protocol::Message;
use rapport_sync_server::{AppAssets, AppState, Store, router};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as Frame;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const WS: &str = "0192f3a4-5b6c-7d8e-9f00-aabbccddeeff";
pub const OTHER_WS: &str = "0192f3a4-5b6c-7d8e-9f00-000000000001";

/// A relay serving on a free loopback port over the database in `data`.
pub async fn start(data: &std::path::Path) -> (String, tokio::task::JoinHandle<()>) {
    start_with(data, |state| state).await
}

/// Like [`start`], with these limits.
pub async fn start_limited(
    data: &std::path::Path,
    limits: rapport_sync_server::Limits,
) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let assets = AppAssets::new(data.join("no-dist"));
    let state = AppState::with_limits(assets, Store::open(data).unwrap(), limits.clone());
    let app = router(state);
    let server = tokio::spawn(async move {
        rapport_sync_server::serve(listener, app, &limits, std::future::pending()).await
    });
    (address, server)
}

/// `/metrics` as Prometheus text, as a map of metric to value.
pub async fn metrics(address: &str) -> std::collections::HashMap<String, f64> {
    let text =
        reqwest::get(format!("http://{address}/metrics")).await.unwrap().text().await.unwrap();
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once(' '))
        .map(|(name, value)| (name.to_owned(), value.parse().unwrap()))
        .collect()
}

/// Polls `/metrics` until `holds` is true of them (what a person watching a dashboard would do), for
/// up to 20 s; returns the last reading either way.
pub async fn metrics_when(
    address: &str,
    holds: impl Fn(&std::collections::HashMap<String, f64>) -> bool,
) -> std::collections::HashMap<String, f64> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = metrics(address).await;
        if holds(&now) || tokio::time::Instant::now() > deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Like [`start`], with the relay's state adjusted first (e.g. a short idle timeout).
pub async fn start_with(
    data: &std::path::Path,
    adjust: impl FnOnce(AppState) -> AppState,
) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let state = AppState::new(AppAssets::new(data.join("no-dist")), Store::open(data).unwrap());
    let state = adjust(state);
    let limits = state.limits().clone();
    let app = router(state);
    let server = tokio::spawn(async move {
        rapport_sync_server::serve(listener, app, &limits, std::future::pending()).await
    });
    (address, server)
}

pub async fn http(
    address: &str,
    method: reqwest::Method,
    path: &str,
    cookie: Option<&str>,
    body: Value,
) -> (u16, Option<String>, Value) {
    let mut request =
        reqwest::Client::new().request(method, format!("http://{address}{path}")).json(&body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    (status, cookie, response.json().await.unwrap_or(Value::Null))
}

pub async fn account(address: &str, name: &str) -> String {
    let form = json!({ "email": format!("{name}@example.test"), "name": name, "password": "correct horse battery" });
    let (status, cookie, body) =
        http(address, reqwest::Method::POST, "/api/accounts", None, form).await;
    assert_eq!(status, 201, "{body}");
    cookie.unwrap()
}

pub async fn ticket(address: &str, cookie: &str, workspace: &str) -> String {
    let path = format!("/api/workspaces/{workspace}/tickets");
    let (status, _, body) =
        http(address, reqwest::Method::POST, &path, Some(cookie), json!({})).await;
    assert_eq!(status, 201, "{body}");
    body["ticket"].as_str().unwrap().to_owned()
}

/// A protocol peer: connects with a ticket and joins.
pub async fn connect(address: &str, ticket: &str, peer: &str) -> Result<Socket, String> {
    let url = format!("ws://{address}/api/sync?ticket={ticket}");
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.map_err(|e| e.to_string())?;
    let join = Message::Join {
        sender_id: peer.into(),
        supported_protocol_versions: vec!["1".into()],
        metadata: None,
    };
    socket.send(Frame::Binary(join.encode().into())).await.unwrap();
    match receive(&mut socket, Duration::from_secs(5)).await {
        Some(Message::Peer { target_id, .. }) if target_id == peer => Ok(socket),
        other => Err(format!("expected peer, got {other:?}")),
    }
}

/// The next protocol message, or `None` on timeout or close.
pub async fn receive(socket: &mut Socket, wait: Duration) -> Option<Message> {
    match next_event(socket, wait).await {
        Event::Message(message) => Some(message),
        Event::Quiet | Event::Closed => None,
    }
}

/// What the socket did within a wait.
pub enum Event {
    Message(Message),
    Quiet,
    Closed,
}

pub async fn next_event(socket: &mut Socket, wait: Duration) -> Event {
    loop {
        let frame = match tokio::time::timeout(wait, socket.next()).await {
            Err(_) => return Event::Quiet,
            Ok(None) | Ok(Some(Err(_))) => return Event::Closed,
            Ok(Some(Ok(frame))) => frame,
        };
        match frame {
            Frame::Binary(bytes) => {
                return Event::Message(
                    Message::decode(&bytes).expect("the relay sends valid frames"),
                );
            }
            Frame::Close(_) => return Event::Closed,
            _ => continue,
        }
    }
}

#[derive(Debug, PartialEq)]
pub enum Outcome {
    Synced,
    Unavailable,
    Closed(Option<String>),
}

/// Runs the sync protocol for `doc` until the relay has nothing more to say.
pub async fn sync(
    socket: &mut Socket,
    peer: &str,
    id: DocumentId,
    doc: &mut AutoCommit,
    state: &mut am_sync::State,
    request: bool,
) -> Outcome {
    let mut first = true;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(outgoing) = doc.sync().generate_sync_message(state) {
            let (sender_id, target_id, data) =
                (peer.to_owned(), "rapport-relay".to_owned(), outgoing.encode());
            let message = if request && first {
                Message::Request { sender_id, target_id, document_id: id, data }
            } else {
                Message::Sync { sender_id, target_id, document_id: id, data }
            };
            first = false;
            if socket.send(Frame::Binary(message.encode().into())).await.is_err() {
                return Outcome::Closed(None);
            }
        }
        match next_event(socket, Duration::from_millis(200)).await {
            Event::Message(Message::Sync { document_id, data, .. }) if document_id == id => {
                let message = am_sync::Message::decode(&data).unwrap();
                doc.sync().receive_sync_message(state, message).unwrap();
            }
            Event::Message(Message::DocUnavailable { document_id, .. }) if document_id == id => {
                return Outcome::Unavailable;
            }
            Event::Message(Message::Error { message }) => return Outcome::Closed(Some(message)),
            // Presence from others may arrive at any time; it is not part of syncing.
            Event::Message(Message::Ephemeral { .. }) => {}
            Event::Message(other) => panic!("unexpected {other:?}"),
            Event::Closed => return Outcome::Closed(None),
            // Done when the relay has said its heads are ours and neither side has more to say; a slow
            // relay is waited for (up to a deadline), not mistaken for a finished sync.
            Event::Quiet => {
                let mut mine = doc.get_heads();
                mine.sort();
                let mut theirs = state.their_heads.clone().unwrap_or_default();
                theirs.sort();
                let settled = state.their_heads.is_some() && mine == theirs;
                if settled && doc.sync().generate_sync_message(state).is_none() {
                    return Outcome::Synced;
                }
                if tokio::time::Instant::now() > deadline {
                    panic!("the sync of {id} did not settle within 20 s");
                }
            }
        }
    }
}

/// [`sync`] from a fresh sync state: a first conversation about `id` on this connection.
pub async fn sync_afresh(
    socket: &mut Socket,
    peer: &str,
    id: DocumentId,
    doc: &mut AutoCommit,
    request: bool,
) -> Outcome {
    sync(socket, peer, id, doc, &mut am_sync::State::new(), request).await
}

/// The document's `name`: a scalar string (as Rust peers here write it) or a text object (as JavaScript
/// automerge writes strings).
pub fn name(doc: &AutoCommit) -> Option<String> {
    match doc.get(ROOT, "name").unwrap()? {
        (automerge::Value::Object(automerge::ObjType::Text), id) => doc.text(id).ok(),
        (value, _) => value.into_string().ok(),
    }
}

pub async fn workspace_with_member(address: &str) -> (String, String, String) {
    let owner = account(address, "olga").await;
    let member = account(address, "max").await;
    let viewer = account(address, "vera").await;
    let create = json!({ "id": WS, "name": "Acme" });
    assert_eq!(
        http(address, reqwest::Method::POST, "/api/workspaces", Some(&owner), create).await.0,
        201
    );
    for (who, role) in [(&member, "member"), (&viewer, "viewer")] {
        let path = format!("/api/workspaces/{WS}/invites");
        let (_, _, invite) =
            http(address, reqwest::Method::POST, &path, Some(&owner), json!({ "role": role }))
                .await;
        let accept = format!("/api/invites/{}", invite["code"].as_str().unwrap());
        assert_eq!(
            http(address, reqwest::Method::POST, &accept, Some(who), json!({})).await.0,
            200
        );
    }
    (owner, member, viewer)
}

/// Eve: an account with a workspace of her own (`OTHER_WS`); returns her session cookie.
pub async fn outsider_with_workspace(address: &str) -> String {
    let outsider = account(address, "eve").await;
    let create = json!({ "id": OTHER_WS, "name": "Eve's" });
    let path = "/api/workspaces";
    assert_eq!(http(address, reqwest::Method::POST, path, Some(&outsider), create).await.0, 201);
    outsider
}

/// The real relay binary on a free loopback port; returns the process and its `host:port`.
pub fn start_process(
    dist: &std::path::Path,
    data: &std::path::Path,
) -> (std::process::Child, String) {
    start_process_with(dist, data, &[], &[])
}

/// A relay (or any server) process the test started: killed when the test lets go of it, passed or
/// not.
pub struct Process(pub std::process::Child);

impl std::ops::Deref for Process {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Process {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Like [`start_process`], with more flags and environment variables for the relay.
pub fn start_process_with(
    dist: &std::path::Path,
    data: &std::path::Path,
    flags: &[&str],
    environment: &[(&str, &str)],
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rapport-relay"))
        .args(["--listen", "127.0.0.1:0", "--dist"])
        .arg(dist)
        .arg("--data-dir")
        .arg(data)
        .args(flags)
        .envs(environment.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the relay binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line
        .trim()
        .strip_prefix("Rapport relay listening on http://")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_owned();
    (child, address)
}

/// The owner removes the member called `name` from `WS`.
pub async fn remove_member(address: &str, owner: &str, name: &str) {
    let path = format!("/api/workspaces/{WS}/members");
    let (_, _, members) =
        http(address, reqwest::Method::GET, &path, Some(owner), json!(null)).await;
    let id =
        members.as_array().unwrap().iter().find(|m| m["name"] == name).unwrap()["account"].clone();
    let path = format!("/api/workspaces/{WS}/members/{id}");
    let (status, _, body) =
        http(address, reqwest::Method::DELETE, &path, Some(owner), json!(null)).await;
    assert_eq!(status, 204, "{body}");
}

/// The time now, in Unix seconds.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// The resident memory of process `pid`, in MB (what the benchmarks report of the relay).
pub fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}
