//! Issue 25 benchmark: a pulse survey of 1,000 people answered through the relay's ballot box. The
//! real relay binary on loopback; 1,000 accounts, members of one workspace in ten teams of 100, are
//! written into its database beforehand (signing 1,000 people up over HTTP would measure password
//! hashing, not the ballot box). Then, over HTTP as the app does, 50 requests in flight:
//!
//! 1. the survey registered with its 1,000 invitees;
//! 2. each member takes a token;
//! 3. each answers with the token alone — the number that matters: answers per second, each one
//!    durable (`synchronous = FULL`) and its write-ahead log emptied so no trace joins it to its token;
//! 4. the survey closed and its results read (1,000 answers, ten teams apart).
//!
//! The relay's memory (RSS) is read before and after. Run: `cargo bench -p rapport-sync-server --bench
//! ballot_box`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a report is this program's output

#[allow(dead_code)]
#[path = "../tests/common/socket.rs"]
mod socket;

use std::time::Instant;

use futures_util::StreamExt;
use rapport_core::workspace::member_of_account;
use rapport_sync_server::store::{self, NewInvite, Role};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const PEOPLE: usize = 1_000;
const IN_FLIGHT: usize = 50;
const SURVEY: &str = "0190f5a0-0000-7000-8000-0000000050b1";

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The workspace with its owner and `PEOPLE` members, each with a session: their cookies.
fn seed(data: &std::path::Path) -> (String, Vec<(String, String)>) {
    drop(rapport_sync_server::Store::open(data).unwrap());
    let mut db = rusqlite::Connection::open(data.join("rapport.sqlite3")).unwrap();
    let now = socket::unix_now();
    let session = |db: &mut rusqlite::Connection, account: i64, n: usize| {
        let token = format!("{:064x}", n + 1);
        store::create_session(db, &hex_sha256(&token), account, now + 86_400).unwrap();
        format!("rapport_session={token}")
    };
    let owner = store::create_account(&mut db, "olga@example.test", "Olga", "-", now).unwrap();
    store::create_workspace(&mut db, socket::WS, "Acme", owner.id, now, 10).unwrap();
    let owner_cookie = session(&mut db, owner.id, PEOPLE);
    let code_hash = hex_sha256("bench-invite");
    let invite = NewInvite {
        code_hash: &code_hash,
        workspace: socket::WS,
        role: Role::Member,
        uses: PEOPLE as i64,
        created_by: owner.id,
        now,
        expires_at: now + 86_400,
    };
    store::create_invite(&mut db, invite).unwrap();
    let mut people = Vec::new();
    for n in 0..PEOPLE {
        let email = format!("person{n}@example.test");
        let account =
            store::create_account(&mut db, &email, &format!("Person {n}"), "-", now).unwrap();
        store::accept_invite(&mut db, &code_hash, account.id, now).unwrap().unwrap();
        people.push((email, session(&mut db, account.id, n)));
    }
    (owner_cookie, people)
}

/// Runs `call` for every item, `IN_FLIGHT` at a time; the statuses and the seconds taken.
async fn all<T, F, R>(items: Vec<T>, call: F) -> (Vec<u16>, f64)
where
    F: Fn(T) -> R,
    R: std::future::Future<Output = u16>,
{
    let started = Instant::now();
    let statuses =
        futures_util::stream::iter(items).map(call).buffer_unordered(IN_FLIGHT).collect().await;
    (statuses, started.elapsed().as_secs_f64())
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_owned();
    let seeding = Instant::now();
    let (owner, people) = seed(&data);
    println!("seeded {PEOPLE} members in {:.1} s", seeding.elapsed().as_secs_f64());
    let (child, address) = socket::start_process(&data.join("no-dist"), &data);
    let relay = socket::Process(child);
    let idle_mb = socket::rss_mb(relay.id());

    // 1. Registered, ten teams of 100.
    let invitees: Vec<Value> = people
        .iter()
        .enumerate()
        .map(|(n, (email, _))| {
            json!({ "member": member_of_account(email).to_string(), "team": format!("Team {}", n % 10) })
        })
        .collect();
    let path = format!("/api/workspaces/{}/ballots/{SURVEY}", socket::WS);
    let closes_at = socket::unix_now() + 3_600;
    let ballot =
        json!({ "k": 5, "batch": 0, "closes_at": closes_at, "invitees": invitees.clone() });
    let started = Instant::now();
    let (status, _, body) =
        socket::http(&address, reqwest::Method::PUT, &path, Some(&owner), ballot).await;
    assert_eq!(status, 201, "{body}");
    let registering = started.elapsed().as_secs_f64();

    // 2. A token each.
    let client = reqwest::Client::new();
    let token_path = format!("http://{address}{path}/token");
    let tokens = std::sync::Mutex::new(Vec::new());
    let cookies: Vec<String> = people.iter().map(|(_, cookie)| cookie.clone()).collect();
    let (statuses, taking) = all(cookies, |cookie| {
        let (client, url, tokens) = (client.clone(), token_path.clone(), &tokens);
        async move {
            let response = client.post(url).header("cookie", cookie).send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or_default();
            if let Some(token) = body["token"].as_str() {
                tokens.lock().unwrap().push(token.to_owned());
            }
            status
        }
    })
    .await;
    assert!(statuses.iter().all(|s| *s == 201), "tokens: {statuses:?}");

    // 3. The answers, with the tokens alone.
    let answer_url = format!("http://{address}/api/ballots/answer");
    let tokens = tokens.into_inner().unwrap();
    let (statuses, answering) = all(tokens.into_iter().enumerate().collect(), |(n, token)| {
        let (client, url) = (client.clone(), answer_url.clone());
        async move {
            let answer = format!("{{\"enps\":{},\"comment\":\"Answer {n}\"}}", n % 11);
            let body = json!({ "token": token, "answer": answer });
            client.post(url).json(&body).send().await.unwrap().status().as_u16()
        }
    })
    .await;
    assert!(statuses.iter().all(|s| *s == 201), "answers: {statuses:?}");
    let answered_mb = socket::rss_mb(relay.id());

    // 4. Closed, and read.
    let closes_at = socket::unix_now() - 1;
    let closing = json!({ "k": 5, "batch": 0, "closes_at": closes_at, "invitees": invitees });
    let (status, _, body) =
        socket::http(&address, reqwest::Method::PUT, &path, Some(&owner), closing).await;
    assert_eq!(status, 204, "{body}");
    let started = Instant::now();
    let (status, _, results) =
        socket::http(&address, reqwest::Method::GET, &path, Some(&owner), Value::Null).await;
    let reading = started.elapsed().as_secs_f64();
    assert_eq!(status, 200);
    assert_eq!(results["answers"].as_array().unwrap().len(), PEOPLE);
    assert_eq!(results["teams"].as_object().unwrap().len(), 10);

    println!("ballot box, {PEOPLE} people, {IN_FLIGHT} requests in flight:");
    println!("  registering the survey         {:>8.0} ms", registering * 1000.0);
    println!(
        "  taking {PEOPLE} tokens            {:>8.2} s   {:>6.0} tokens/s",
        taking,
        PEOPLE as f64 / taking
    );
    println!(
        "  answering {PEOPLE} times           {:>8.2} s   {:>6.0} answers/s",
        answering,
        PEOPLE as f64 / answering
    );
    println!("  reading the results            {:>8.0} ms", reading * 1000.0);
    println!("  relay RSS idle {idle_mb:.1} MB, after the answers {answered_mb:.1} MB");
}
