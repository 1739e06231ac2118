//! The relay's mail service end to end: the real relay binary sends through a real SMTP server on
//! loopback (aiosmtpd, `tests/servers/smtp.py`, which stores every message it accepts), devices queue
//! work over HTTP as the app does, and the tests read the mailbox and the ledger.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::smtp::SmtpServer;
use common::socket::{
    OTHER_WS, WS, http, outsider_with_workspace, remove_member, start_process_with,
    workspace_with_member,
};
use reqwest::Method;
use serde_json::{Value, json};

/// The real relay binary, killed when dropped.
struct Relay {
    child: common::socket::Process,
    address: String,
}

impl Relay {
    fn start(data: &Path, smtp: Option<&str>, more: &[&str]) -> Relay {
        let mut flags = vec!["--mail-retry-secs", "1", "--smtp-timeout-secs", "2"];
        if let Some(url) = smtp {
            flags.extend(["--smtp-url", url, "--mail-from", "Acme CRM <crm@acme.example>"]);
        }
        flags.extend(more);
        let dist = data.join("no-dist");
        let (child, address) = start_process_with(&dist, data, &flags, &[]);
        Relay { child: common::socket::Process(child), address }
    }
}

fn id(n: u32) -> String {
    format!("{n:032x}")
}

fn mail(to: &str, subject: &str) -> Value {
    json!({ "kind": "mail", "to": [{ "address": to, "name": "Ann Lee" }], "subject": subject,
            "text": format!("Hello Ann,\n\n{subject}.\n") })
}

async fn queue(relay: &Relay, cookie: &str, item: &str, work: Value) -> (u16, Value) {
    let path = format!("/api/workspaces/{WS}/outbox/{item}");
    let (status, _, body) = http(&relay.address, Method::PUT, &path, Some(cookie), work).await;
    (status, body)
}

/// The ledger entry `item` once it is final (sent, failed or suppressed), read as a viewer would.
async fn settled(relay: &Relay, cookie: &str, item: &str) -> Value {
    let path = format!("/api/workspaces/{WS}/outbox/{item}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, _, entry) =
            http(&relay.address, Method::GET, &path, Some(cookie), Value::Null).await;
        assert_eq!(status, 200, "{entry}");
        if ["sent", "failed", "suppressed"].contains(&entry["state"].as_str().unwrap()) {
            return entry;
        }
        assert!(Instant::now() < deadline, "{item} still {entry} after 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_mail_goes_out_once_with_a_stable_message_id_however_many_devices_ask_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(&dir.path().join("data"), Some(&smtp.url()), &[]);
    let (owner, member, viewer) = workspace_with_member(&relay.address).await;

    let (status, services) = {
        let path = format!("/api/workspaces/{WS}/services");
        let (s, _, b) = http(&relay.address, Method::GET, &path, Some(&viewer), Value::Null).await;
        (s, b)
    };
    assert_eq!((status, &services["mail"]), (200, &json!(true)), "{services}");
    assert_eq!(services["mail_from"], "Acme CRM <crm@acme.example>");

    // Two devices of the workspace see the same trigger and each queues it, three times over.
    let work = mail("ann@client.example", "Following up on our call");
    let asks = (0..6).map(|n| {
        let cookie = if n % 2 == 0 { owner.clone() } else { member.clone() };
        let (relay, work) = (&relay, work.clone());
        async move { queue(relay, &cookie, &id(1), work).await }
    });
    let answers = futures_util::future::join_all(asks).await;
    let created = answers.iter().filter(|(status, _)| *status == 201).count();
    let repeated = answers.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!((created, repeated), (1, 5), "{answers:?}");

    let entry = settled(&relay, &viewer, &id(1)).await;
    assert_eq!(entry["state"], "sent", "{entry}");
    assert_eq!(entry["attempts"], 1);
    let message_id = format!("<{}.{WS}@acme.example>", id(1));
    assert_eq!(entry["message_id"], message_id.as_str());
    assert!(entry["reason"].as_str().unwrap().starts_with("250"), "{entry}");

    let messages = smtp.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    for line in [
        format!("Message-ID: {message_id}"),
        "Subject: Following up on our call".into(),
        "From: \"Acme CRM\" <crm@acme.example>".into(),
        "To: \"Ann Lee\" <ann@client.example>".into(),
    ] {
        assert!(message.lines().any(|l| l == line), "no {line:?} in\n{message}");
    }
    assert!(message.contains("Following up on our call."), "{message}");
    assert!(!message.contains("List-Unsubscribe"), "one-to-one mail is not a list");

    // Asking again after it went changes nothing: same entry, no second message.
    let (status, again) = queue(&relay, &member, &id(1), work).await;
    assert_eq!((status, &again["state"]), (200, &json!("sent")));
    assert_eq!(smtp.messages().len(), 1);

    // Every member's device follows the ledger by version: queued, sending, sent.
    let path = format!("/api/workspaces/{WS}/outbox?after=0");
    let (_, _, changes) =
        http(&relay.address, Method::GET, &path, Some(&viewer), Value::Null).await;
    assert_eq!(changes["entries"].as_array().unwrap().len(), 1, "{changes}");
    assert_eq!(changes["entries"][0]["state"], "sent");
    assert_eq!(changes["more"], false);
    let last = changes["version"].as_i64().unwrap();
    assert!(last >= 3, "queued, sending and sent are three versions: {changes}");
    let path = format!("/api/workspaces/{WS}/outbox?after={last}");
    let (_, _, none) = http(&relay.address, Method::GET, &path, Some(&viewer), Value::Null).await;
    assert_eq!(none["entries"], json!([]), "nothing changed after the last version");
}

#[tokio::test]
async fn a_refusal_ends_at_once_a_temporary_one_is_retried_with_pauses_and_then_given_up() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay =
        Relay::start(&dir.path().join("data"), Some(&smtp.url()), &["--mail-attempts", "3"]);
    let (owner, _, _) = workspace_with_member(&relay.address).await;

    for (n, to) in
        [(1, "refuse@client.example"), (2, "busy@client.example"), (3, "flaky@client.example")]
    {
        assert_eq!(queue(&relay, &owner, &id(n), mail(to, "Hello")).await.0, 201);
    }
    let refused = settled(&relay, &owner, &id(1)).await;
    assert_eq!((&refused["state"], &refused["attempts"]), (&json!("failed"), &json!(1)));
    let reason = refused["reason"].as_str().unwrap();
    assert!(reason.starts_with("550") && reason.contains("mailbox unavailable"), "{reason}");

    let flaky = settled(&relay, &owner, &id(3)).await;
    assert_eq!((&flaky["state"], &flaky["attempts"]), (&json!("sent"), &json!(3)), "{flaky}");
    assert_eq!(smtp.to("flaky@client.example").len(), 1);

    let busy = settled(&relay, &owner, &id(2)).await;
    assert_eq!((&busy["state"], &busy["attempts"]), (&json!("failed"), &json!(3)), "{busy}");
    let reason = busy["reason"].as_str().unwrap();
    assert!(reason.starts_with("gave up after 3 attempts: 451"), "{reason}");
    // Pauses of 1 s then 3 s between the three attempts.
    let spent = busy["updated_at"].as_i64().unwrap() - busy["queued_at"].as_i64().unwrap();
    assert!(spent >= 3, "the attempts were spread over {spent} s");
    assert_eq!(smtp.messages().len(), 1, "only the flaky address's mail was accepted");
}

#[tokio::test]
async fn a_mail_server_that_never_answers_counts_as_a_failed_attempt() {
    let dir = tempfile::tempdir().unwrap();
    // Accepts connections and says nothing: no greeting ever comes.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", silent.local_addr().unwrap());
    let held = std::thread::spawn(move || {
        let mut open = Vec::new();
        for stream in silent.incoming().take(2) {
            open.push(stream);
        }
        std::thread::sleep(Duration::from_secs(8));
    });
    let relay = Relay::start(&dir.path().join("data"), Some(&url), &["--mail-attempts", "2"]);
    let (owner, _, _) = workspace_with_member(&relay.address).await;
    assert_eq!(queue(&relay, &owner, &id(7), mail("ann@client.example", "Hi")).await.0, 201);
    let entry = settled(&relay, &owner, &id(7)).await;
    assert_eq!((&entry["state"], &entry["attempts"]), (&json!("failed"), &json!(2)), "{entry}");
    assert!(entry["reason"].as_str().unwrap().starts_with("gave up after 2 attempts"), "{entry}");
    drop(held);
}

#[tokio::test]
async fn an_address_that_opted_out_by_one_click_while_every_device_was_offline_gets_no_more_mail() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(&dir.path().join("data"), Some(&smtp.url()), &[]);
    let (owner, member, viewer) = workspace_with_member(&relay.address).await;

    let mut news = mail("ann@client.example", "December news");
    news["bulk"] = json!(true);
    assert_eq!(queue(&relay, &owner, &id(1), news.clone()).await.0, 201);
    assert_eq!(settled(&relay, &owner, &id(1)).await["state"], "sent");
    let message = smtp.messages().pop().unwrap();
    assert!(message.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{message}");
    let link = message
        .lines()
        .find_map(|l| l.strip_prefix("List-Unsubscribe: <"))
        .and_then(|l| l.strip_suffix('>'))
        .unwrap_or_else(|| panic!("no List-Unsubscribe link in\n{message}"))
        .to_owned();
    assert!(link.starts_with(&format!("http://{}/api/unsubscribe/", relay.address)), "{link}");

    // Opening the link (as a mail scanner does) changes nothing.
    let page = reqwest::get(&link).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("ann@client.example"));
    let consent = format!("/api/workspaces/{WS}/consent");
    let (_, _, log) = http(&relay.address, Method::GET, &consent, Some(&viewer), Value::Null).await;
    assert_eq!(log["events"], json!([]), "a GET records nothing");

    // The mail provider's one-click POST (RFC 8058), with no cookie and no device online.
    let click = reqwest::Client::new()
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(click.status(), 200);
    let (_, _, log) = http(&relay.address, Method::GET, &consent, Some(&viewer), Value::Null).await;
    let events = log["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{log}");
    assert_eq!(events[0]["address"], "ann@client.example");
    assert_eq!(events[0]["opted_in"], false);
    assert_eq!(events[0]["source"], "one-click unsubscribe");
    assert!(events[0]["at"].as_i64().unwrap() > 1_700_000_000);

    // A device that queued before hearing of it: the relay checks at send time, however the address
    // is written.
    let mut later = mail("ANN@Client.Example", "January news");
    later["bulk"] = json!(true);
    assert_eq!(queue(&relay, &member, &id(2), later).await.0, 201);
    let entry = settled(&relay, &viewer, &id(2)).await;
    assert_eq!(entry["state"], "suppressed", "{entry}");
    assert_eq!(entry["reason"], "ann@client.example opted out (one-click unsubscribe)");
    assert_eq!(smtp.messages().len(), 1);

    // A forged or altered link does nothing.
    let forged = format!("{}x", link.trim_end_matches(|c: char| c != '.'));
    let answer = reqwest::Client::new().post(&forged).body("List-Unsubscribe=One-Click").send();
    assert_eq!(answer.await.unwrap().status(), 404);

    // Ann opts in again, told to a member: recorded with its source, and mail goes again.
    let opt_in =
        json!({ "address": "ann@client.example", "opted_in": true, "source": "asked at the fair" });
    let (status, _, event) =
        http(&relay.address, Method::POST, &consent, Some(&member), opt_in.clone()).await;
    assert_eq!((status, &event["source"]), (201, &json!("asked at the fair")), "{event}");
    let (status, _, _) = http(&relay.address, Method::POST, &consent, Some(&member), opt_in).await;
    assert_eq!(status, 204, "already opted in: nothing recorded twice");
    assert_eq!(queue(&relay, &member, &id(3), news).await.0, 201);
    assert_eq!(settled(&relay, &viewer, &id(3)).await["state"], "sent");
    assert_eq!(smtp.messages().len(), 2);
}

#[tokio::test]
async fn a_relay_killed_mid_send_resends_only_that_message_with_the_same_message_id() {
    let dir = tempfile::tempdir().unwrap();
    // The server stores the slow message, then holds its answer for a minute — far longer than
    // the test takes to see it stored, however loaded the machine; the copy sent again after the
    // restart is answered at once.
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 60);
    let data = dir.path().join("data");
    let mut relay = Relay::start(&data, Some(&smtp.url()), &[]);
    let (owner, _, _) = workspace_with_member(&relay.address).await;

    assert_eq!(queue(&relay, &owner, &id(1), mail("slow@client.example", "Contract")).await.0, 201);
    for n in 2..=4 {
        let to = format!("person{n}@client.example");
        assert_eq!(queue(&relay, &owner, &id(n), mail(&to, "Hello")).await.0, 201);
    }
    // The others go out alongside it and are recorded as sent.
    for n in 2..=4 {
        assert_eq!(settled(&relay, &owner, &id(n)).await["state"], "sent");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while smtp.to("slow@client.example").is_empty() {
        assert!(Instant::now() < deadline, "the slow message never reached the server");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The server has the slow message; the relay has not heard so. Now it dies.
    relay.child.kill().unwrap();
    relay.child.wait().unwrap();

    let relay = Relay::start(&data, Some(&smtp.url()), &[]);
    for n in 1..=4 {
        let entry = settled(&relay, &owner, &id(n)).await;
        assert_eq!(entry["state"], "sent", "{entry}");
    }
    let slow = smtp.to("slow@client.example");
    assert_eq!(slow.len(), 2, "the message in flight went twice, and only it");
    let message_id = format!("Message-ID: <{}.{WS}@acme.example>", id(1));
    assert!(slow.iter().all(|m| m.lines().any(|l| l == message_id)), "same Message-ID both times");
    for n in 2..=4 {
        assert_eq!(smtp.to(&format!("person{n}@client.example")).len(), 1, "person{n}");
    }
}

#[tokio::test]
async fn the_outbox_and_consent_refuse_outsiders_viewers_removed_members_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(&dir.path().join("data"), Some(&smtp.url()), &[]);
    let address = relay.address.clone();
    let (owner, member, viewer) = workspace_with_member(&address).await;
    let outsider = outsider_with_workspace(&address).await;
    let work = mail("ann@client.example", "Hi");
    let outbox = format!("/api/workspaces/{WS}/outbox");
    let consent = format!("/api/workspaces/{WS}/consent");
    let item = format!("{outbox}/{}", id(1));

    // Another workspace's member: answered as if the workspace did not exist, for every call.
    for (method, path, body) in [
        (Method::PUT, item.as_str(), work.clone()),
        (Method::GET, item.as_str(), Value::Null),
        (Method::GET, outbox.as_str(), Value::Null),
        (Method::GET, consent.as_str(), Value::Null),
        (
            Method::POST,
            consent.as_str(),
            json!({"address": "a@b.example", "opted_in": false, "source": "x"}),
        ),
    ] {
        let (status, _, body) = http(&address, method.clone(), path, Some(&outsider), body).await;
        assert_eq!((status, &body["code"]), (404, &json!("no_such_workspace")), "{method} {path}");
    }
    // Her own workspace's outbox does not show ours.
    assert_eq!(queue(&relay, &owner, &id(1), work.clone()).await.0, 201);
    let theirs = format!("/api/workspaces/{OTHER_WS}/outbox/{}", id(1));
    assert_eq!(http(&address, Method::GET, &theirs, Some(&outsider), Value::Null).await.0, 404);
    // Nobody signed in.
    assert_eq!(http(&address, Method::GET, &outbox, None, Value::Null).await.0, 401);
    assert_eq!(http(&address, Method::PUT, &item, None, work.clone()).await.0, 401);

    // A viewer reads the ledger and the consent log but queues and records nothing.
    assert_eq!(http(&address, Method::GET, &outbox, Some(&viewer), Value::Null).await.0, 200);
    let viewer_item = format!("{outbox}/{}", id(2));
    let (status, _, body) =
        http(&address, Method::PUT, &viewer_item, Some(&viewer), work.clone()).await;
    assert_eq!((status, &body["code"]), (403, &json!("read_only")));
    let opt_out = json!({"address": "a@b.example", "opted_in": false, "source": "phone"});
    let (status, _, _) =
        http(&address, Method::POST, &consent, Some(&viewer), opt_out.clone()).await;
    assert_eq!(status, 403);

    // Bad input, each refused with what is wrong, nothing queued.
    let cases = [
        ("not-an-id", work.clone(), 400, "bad_work"),
        (
            &id(3)[..],
            json!({"kind": "mail", "to": [{"address": "ann@client"}], "subject": "s", "text": "t"}),
            400,
            "bad_work",
        ),
        (
            &id(3)[..],
            json!({"kind": "mail", "to": [{"address": "a@b.example"}], "subject": "s\r\nBcc: x@y.example", "text": "t"}),
            400,
            "bad_work",
        ),
        (
            &id(3)[..],
            json!({"kind": "mail", "to": [], "subject": "s", "text": "t"}),
            400,
            "bad_work",
        ),
        (&id(3)[..], json!({"kind": "fax", "to": "x"}), 400, "bad_form"),
        (
            &id(3)[..],
            json!({"kind": "mail", "to": [{"address": "a@b.example"}], "subject": "s", "text": "t", "bcc": "x"}),
            400,
            "bad_form",
        ),
        (&id(3)[..], json!([1, 2, 3]), 400, "bad_form"),
    ];
    for (item, body, status, code) in cases {
        let path = format!("{outbox}/{item}");
        let (got, _, answer) =
            http(&address, Method::PUT, &path, Some(&member), body.clone()).await;
        assert_eq!((got, &answer["code"]), (status, &json!(code)), "{body} → {answer}");
        assert!(!answer["error"].as_str().unwrap().is_empty());
    }
    let path = format!("{outbox}/{}", id(3));
    let (_, _, answer) = http(
        &address,
        Method::PUT,
        &path,
        Some(&member),
        json!({"kind": "mail", "to": [{"address": "ann@client"}], "subject": "s", "text": "t"}),
    )
    .await;
    assert!(
        answer["error"].as_str().unwrap().contains("ann@client"),
        "names the address: {answer}"
    );
    // Oversized: refused before it is read whole.
    let mut huge = work.clone();
    huge["text"] = json!("x".repeat(400 * 1024));
    let (status, _, answer) = http(&address, Method::PUT, &path, Some(&member), huge).await;
    assert_eq!((status, &answer["code"]), (413, &json!("body_too_large")));
    let raw = reqwest::Client::new()
        .put(format!("http://{address}{path}"))
        .header("cookie", &member)
        .header("content-type", "application/json")
        .body("{\"kind\": \"mail\", \"to\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400, "malformed JSON");
    let (status, _, _) = http(
        &address,
        Method::GET,
        &format!("{outbox}?after=yesterday"),
        Some(&member),
        Value::Null,
    )
    .await;
    assert_eq!(status, 400);
    for bad in [
        json!({"address": "not an address", "opted_in": false, "source": "phone"}),
        json!({"address": "a@b.example", "opted_in": false, "source": ""}),
        json!({"address": "a@b.example", "opted_in": false, "source": "a\nb"}),
        json!({"address": "a@b.example", "opted_in": "no", "source": "phone"}),
    ] {
        let (status, _, _) =
            http(&address, Method::POST, &consent, Some(&member), bad.clone()).await;
        assert_eq!(status, 400, "{bad}");
    }
    let (_, _, changes) = http(&address, Method::GET, &outbox, Some(&member), Value::Null).await;
    assert_eq!(changes["entries"].as_array().unwrap().len(), 1, "only the good mail: {changes}");

    // A removed member loses the workspace's services with it.
    remove_member(&address, &owner, "max").await;
    assert_eq!(http(&address, Method::GET, &outbox, Some(&member), Value::Null).await.0, 404);
    let (status, _, _) =
        http(&address, Method::PUT, &format!("{outbox}/{}", id(4)), Some(&member), work.clone())
            .await;
    assert_eq!(status, 404);

    // A relay with no mail server: says so, and refuses mail work with a clear reason.
    let bare_dir = tempfile::tempdir().unwrap();
    let bare = Relay::start(bare_dir.path(), None, &[]);
    let (owner, _, _) = workspace_with_member(&bare.address).await;
    let path = format!("/api/workspaces/{WS}/services");
    let (_, _, services) = http(&bare.address, Method::GET, &path, Some(&owner), Value::Null).await;
    assert_eq!(services["mail"], false);
    let (status, answer) = queue(&bare, &owner, &id(1), work).await;
    assert_eq!((status, &answer["code"]), (503, &json!("no_mail")), "{answer}");
}

#[tokio::test]
async fn devices_syncing_the_workspace_hear_at_once_that_its_ledger_changed_and_no_one_else_does() {
    use automerge::AutoCommit;
    use common::socket::{Event, connect, next_event, sync_afresh, ticket};
    use rapport_core::layout::DocKey;
    use rapport_core::protocol::Message;

    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(&dir.path().join("data"), Some(&smtp.url()), &[]);
    let (owner, _, viewer) = workspace_with_member(&relay.address).await;
    let outsider = outsider_with_workspace(&relay.address).await;

    // The owner's device puts the root on the relay; the viewer's device syncs it, and an outsider's
    // device syncs her own workspace's root.
    let mut root_doc = AutoCommit::new();
    automerge::transaction::Transactable::put(&mut root_doc, automerge::ROOT, "name", "Acme")
        .unwrap();
    let owner_ticket = ticket(&relay.address, &owner, WS).await;
    let mut owner_socket = connect(&relay.address, &owner_ticket, "owner-device").await.unwrap();
    let root = DocKey::Root.document_id(WS.parse().unwrap());
    let synced = sync_afresh(&mut owner_socket, "owner-device", root, &mut root_doc, false).await;
    assert_eq!(synced, common::socket::Outcome::Synced);
    let mut listening = Vec::new();
    for (cookie, workspace, peer) in
        [(&viewer, WS, "viewer-device"), (&outsider, OTHER_WS, "eve-device")]
    {
        let ticket = ticket(&relay.address, cookie, workspace).await;
        let mut socket = connect(&relay.address, &ticket, peer).await.unwrap();
        let root = DocKey::Root.document_id(workspace.parse().unwrap());
        let theirs = workspace == WS;
        let mut doc = if theirs { AutoCommit::new() } else { root_doc.fork() };
        let synced = sync_afresh(&mut socket, peer, root, &mut doc, theirs).await;
        assert_eq!(synced, common::socket::Outcome::Synced, "{peer}");
        listening.push((socket, root));
    }

    assert_eq!(queue(&relay, &owner, &id(1), mail("ann@client.example", "Hi")).await.0, 201);
    let (viewer_socket, root) = &mut listening[0];
    // Queued, then sent: each is news.
    for news in ["queued", "sent"] {
        let heard = loop {
            match next_event(viewer_socket, Duration::from_secs(10)).await {
                Event::Message(Message::Ephemeral {
                    sender_id,
                    document_id,
                    data,
                    sender_account,
                    ..
                }) => {
                    break (sender_id, document_id, data, sender_account);
                }
                Event::Message(_) => continue,
                Event::Quiet | Event::Closed => panic!("no news of the ledger ({news})"),
            }
        };
        assert_eq!(heard.0, "rapport-relay");
        assert_eq!(heard.1, *root);
        assert_eq!(
            heard.2,
            rapport_core::outbox::OUTBOX_CHANGED,
            "it says only that something changed"
        );
        assert!(heard.3.is_none(), "from the relay itself, not a member");
    }
    let (outsider_socket, _) = &mut listening[1];
    loop {
        match next_event(outsider_socket, Duration::from_millis(500)).await {
            Event::Message(Message::Ephemeral { .. }) => {
                panic!("another workspace heard of this ledger")
            }
            Event::Message(_) => continue,
            Event::Quiet | Event::Closed => break,
        }
    }
}

/// Hands the relay a bounce as the mail system would: the raw notification with the bearer token.
async fn hand_bounce(relay: &Relay, token: Option<&str>, body: Vec<u8>) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(format!("http://{}/api/mail/bounces", relay.address))
        .header("content-type", "message/rfc822")
        .body(body);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_bounce_marks_the_mail_bounced_on_every_device_and_suppresses_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(
        &dir.path().join("data"),
        Some(&smtp.url()),
        &["--bounce-token", "bounce-secret-0123456789"],
    );
    let (owner, _member, viewer) = workspace_with_member(&relay.address).await;
    assert_eq!(
        queue(&relay, &owner, &id(1), mail("bounce-ann@client.example", "Hello")).await.0,
        201
    );
    assert_eq!(queue(&relay, &owner, &id(2), mail("ben@client.example", "Hello")).await.0, 201);
    assert_eq!(settled(&relay, &viewer, &id(1)).await["state"], "sent");
    assert_eq!(settled(&relay, &viewer, &id(2)).await["state"], "sent");
    let notifications = smtp.notifications();
    assert_eq!(notifications.len(), 1, "the mail system returned one message");
    let notification = notifications[0].clone();

    // Without the token, or with another, nothing happens.
    assert_eq!(hand_bounce(&relay, None, notification.clone()).await.0, 401);
    assert_eq!(hand_bounce(&relay, Some("guess"), notification.clone()).await.0, 401);
    assert_eq!(settled(&relay, &viewer, &id(1)).await["state"], "sent");

    let (status, body) =
        hand_bounce(&relay, Some("bounce-secret-0123456789"), notification.clone()).await;
    assert_eq!(status, 200, "{body}");
    let path = format!("/api/workspaces/{WS}/outbox/{}", id(1));
    let (_, _, entry) = http(&relay.address, Method::GET, &path, Some(&viewer), Value::Null).await;
    assert_eq!(entry["state"], "bounced", "{entry}");
    let reason = entry["reason"].as_str().unwrap();
    assert!(reason.starts_with("bounce-ann@client.example: 5.1.1"), "{reason}");
    assert!(reason.contains("User unknown"), "{reason}");
    // The address is suppressed: the consent log says so, and the next mail to it is not sent.
    let consent = format!("/api/workspaces/{WS}/consent");
    let (_, _, log) = http(&relay.address, Method::GET, &consent, Some(&viewer), Value::Null).await;
    let events = log["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{log}");
    assert_eq!(events[0]["address"], "bounce-ann@client.example");
    assert_eq!(events[0]["opted_in"], false);
    assert!(events[0]["source"].as_str().unwrap().starts_with("bounced: 5.1.1"), "{log}");
    assert_eq!(
        queue(&relay, &owner, &id(3), mail("bounce-ann@client.example", "Again")).await.0,
        201
    );
    assert_eq!(settled(&relay, &viewer, &id(3)).await["state"], "suppressed");
    assert_eq!(smtp.to("bounce-ann@client.example").len(), 1, "nothing more went to it");
    // The same notification again changes nothing; the other mail stays sent.
    let (status, body) =
        hand_bounce(&relay, Some("bounce-secret-0123456789"), notification.clone()).await;
    assert_eq!((status, body.as_str()), (202, r#"{"bounced":0}"#));
    assert_eq!(settled(&relay, &viewer, &id(2)).await["state"], "sent");
}

#[tokio::test]
async fn bounces_are_refused_without_a_token_and_bad_or_foreign_ones_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let token = "bounce-secret-0123456789";
    // A relay without a bounce token has no such door.
    let closed = Relay::start(&dir.path().join("closed"), Some(&smtp.url()), &[]);
    assert_eq!(hand_bounce(&closed, Some(token), b"x".to_vec()).await.0, 404);
    drop(closed);

    let relay =
        Relay::start(&dir.path().join("data"), Some(&smtp.url()), &["--bounce-token", token]);
    let (owner, _, viewer) = workspace_with_member(&relay.address).await;
    let eve = outsider_with_workspace(&relay.address).await;
    assert_eq!(
        queue(&relay, &owner, &id(1), mail("bounce-ann@client.example", "Hello")).await.0,
        201
    );
    assert_eq!(settled(&relay, &viewer, &id(1)).await["state"], "sent");
    let notification = String::from_utf8(smtp.notifications()[0].clone()).unwrap();

    // Malformed: not a message, not a report, no Message-ID.
    for bad in ["", "hello", "From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n"] {
        let (status, body) = hand_bounce(&relay, Some(token), bad.as_bytes().to_vec()).await;
        assert_eq!(status, 400, "{bad:?}: {body}");
        assert!(body.contains("bad_bounce"), "{body}");
    }
    let no_id: String = notification
        .lines()
        .filter(|l| !l.starts_with("Message-ID"))
        .collect::<Vec<_>>()
        .join("\r\n");
    assert_eq!(hand_bounce(&relay, Some(token), no_id.into_bytes()).await.0, 400);
    // Oversized.
    let huge = format!("{notification}{}", "x".repeat(2 * 1024 * 1024));
    assert_eq!(hand_bounce(&relay, Some(token), huge.into_bytes()).await.0, 413);
    // Naming another workspace's message (Eve's workspace, same ledger id): nothing of hers or ours.
    let foreign = notification.replace(WS, OTHER_WS);
    assert_eq!(hand_bounce(&relay, Some(token), foreign.into_bytes()).await.0, 202);
    // Naming a recipient the mail was not for: nobody else is suppressed.
    let stranger = notification
        .replace("Final-Recipient: rfc822; bounce-ann", "Final-Recipient: rfc822; carol");
    assert_eq!(hand_bounce(&relay, Some(token), stranger.into_bytes()).await.0, 202);
    // Only delayed: not a failure.
    let delayed = notification.replace("Action: failed", "Action: delayed");
    assert_eq!(hand_bounce(&relay, Some(token), delayed.into_bytes()).await.0, 202);
    let path = format!("/api/workspaces/{WS}/outbox/{}", id(1));
    let (_, _, entry) = http(&relay.address, Method::GET, &path, Some(&viewer), Value::Null).await;
    assert_eq!(entry["state"], "sent", "{entry}");
    let consent = format!("/api/workspaces/{WS}/consent");
    let (_, _, log) = http(&relay.address, Method::GET, &consent, Some(&viewer), Value::Null).await;
    assert_eq!(log["events"], json!([]));
    let theirs = format!("/api/workspaces/{OTHER_WS}/consent");
    let (_, _, log) = http(&relay.address, Method::GET, &theirs, Some(&eve), Value::Null).await;
    assert_eq!(log["events"], json!([]));
}

/// The text of a message as the customer's mail app shows it (transfer encoding undone).
fn text_of(message: &str) -> String {
    let parsed = mail_parser::MessageParser::default().parse(message.as_bytes()).unwrap();
    parsed.body_text(0).unwrap().into_owned()
}

/// A customer's answer to the survey at `link`, sent from its page: the status and the page.
async fn answer_survey(link: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = reqwest::Client::new().post(link).form(form).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn a_survey_s_links_are_signed_by_the_relay_and_keep_one_answer_per_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(&dir.path().join("data"), Some(&smtp.url()), &[]);
    let (owner, member, viewer) = workspace_with_member(&relay.address).await;
    let eve = outsider_with_workspace(&relay.address).await;
    let ticket = "0190f5a0-0000-7000-8000-0000000000c1";
    let mut survey = mail("ann@client.example", "Re: Printer jams");
    survey["text"] = json!(
        "How would you rate our answer?\n\n5 — Very satisfied: {{rating_link}}?score=5\n1 — Very dissatisfied: {{rating_link}}?score=1\n"
    );
    survey["rating_for"] = json!(ticket);
    // Queued by two devices (one after days offline): one mail.
    assert_eq!(queue(&relay, &member, &id(1), survey.clone()).await.0, 201);
    queue(&relay, &owner, &id(1), survey.clone()).await;
    assert_eq!(settled(&relay, &owner, &id(1)).await["state"], "sent");
    assert_eq!(smtp.messages().len(), 1);
    let text = text_of(&smtp.messages().pop().unwrap());
    assert!(!text.contains("{{rating_link}}"), "{text}");
    let links: Vec<&str> = text.lines().filter_map(|l| l.split(": ").nth(1)).collect();
    assert_eq!(links.len(), 2, "{text}");
    let prefix = format!("http://{}/api/rate/", relay.address);
    assert!(links[0].starts_with(&prefix) && links[0].ends_with("?score=5"), "{text}");
    let link = links[0].trim_end_matches("?score=5").to_owned();
    assert_eq!(links[1], format!("{link}?score=1"), "one survey, one token");

    // Opening the link (a mail scanner, or the customer) records nothing and shows the score chosen,
    // in the browser's language.
    let page = reqwest::get(links[0]).await.unwrap();
    assert_eq!(page.status(), 200);
    // What a customer typed is never kept by the browser, and the page runs no script.
    let header = |name: &str| page.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("cache-control"), "no-store");
    let policy = header("content-security-policy");
    assert!(policy.starts_with("default-src 'none'") && policy.contains("form-action 'self'"));
    let page = page.text().await.unwrap();
    assert!(page.contains("value=5 checked"), "{page}");
    assert!(!page.contains("value=4 checked"));
    let russian = reqwest::Client::new().get(&link).header("accept-language", "ru-RU,ru;q=0.9");
    let russian = russian.send().await.unwrap().text().await.unwrap();
    assert!(russian.contains("Как вы оцениваете наш ответ?") && !russian.contains(" checked>"));
    let answers = format!("/api/workspaces/{WS}/ratings");
    let (status, _, list) =
        http(&relay.address, Method::GET, &answers, Some(&member), Value::Null).await;
    assert_eq!((status, &list["answers"]), (200, &json!([])), "{list}");

    // Bad input comes back with what was written and keeps nothing.
    let long = "x".repeat(rapport_core::satisfaction::MOST_COMMENT_CHARS + 1);
    for (form, why) in [
        (vec![("comment", "Quick!")], "Choose a score"),
        (vec![("score", "6"), ("comment", "Quick!")], "Choose a score"),
        (vec![("score", "five"), ("comment", "Quick!")], "Choose a score"),
        (vec![("score", "4"), ("comment", long.as_str())], "too long"),
    ] {
        let (status, page) = answer_survey(&link, &form).await;
        assert_eq!(status, 400, "{form:?}");
        assert!(page.contains(why), "{form:?}: {page}");
        assert!(
            page.contains(form.last().unwrap().1.chars().take(50).collect::<String>().as_str())
        );
    }
    let garbage = reqwest::Client::new()
        .post(&link)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x00]);
    assert_eq!(garbage.send().await.unwrap().status(), 400);
    let huge = reqwest::Client::new().post(&link).form(&[("comment", "x".repeat(100_000))]);
    assert_eq!(huge.send().await.unwrap().status(), 413, "past the form's limit");

    // The answer, with no account and no device online: kept once, the first counts.
    let (status, page) =
        answer_survey(&link, &[("score", "4"), ("comment", "Quick <b>fix</b>")]).await;
    assert_eq!(status, 200);
    assert!(page.contains("Your answer reached the team"), "{page}");
    let (status, page) =
        answer_survey(&link, &[("score", "1"), ("comment", "changed my mind")]).await;
    assert_eq!(status, 200);
    assert!(page.contains("already answered"), "{page}");
    let opened = reqwest::get(links[1]).await.unwrap().text().await.unwrap();
    assert!(opened.contains("already answered") && !opened.contains("<form"), "{opened}");
    let (_, _, list) =
        http(&relay.address, Method::GET, &answers, Some(&member), Value::Null).await;
    let kept = list["answers"].as_array().unwrap();
    assert_eq!(kept.len(), 1, "{list}");
    assert_eq!((&kept[0]["key"], &kept[0]["score"]), (&json!(ticket), &json!(4)));
    assert_eq!(kept[0]["comment"], "Quick <b>fix</b>", "kept as written, escaped where shown");
    assert!(kept[0]["at"].as_i64().unwrap() > 1_700_000_000_000, "milliseconds");
    let after = format!("{answers}?after={}", list["after"]);
    let (_, _, none) = http(&relay.address, Method::GET, &after, Some(&owner), Value::Null).await;
    assert_eq!(none["answers"], json!([]));

    // Only the workspace's writers read its answers.
    let read = |who: String| {
        let (address, path) = (relay.address.clone(), answers.clone());
        async move { http(&address, Method::GET, &path, Some(&who), Value::Null).await.0 }
    };
    assert_eq!(read(viewer.clone()).await, 403);
    assert_eq!(read(eve.clone()).await, 404);
    let other = format!("/api/workspaces/{OTHER_WS}/ratings");
    let (status, _, _) =
        http(&relay.address, Method::GET, &other, Some(&member), Value::Null).await;
    assert_eq!(status, 404, "another workspace's answers");
    let (status, _, _) = http(&relay.address, Method::GET, &answers, None, Value::Null).await;
    assert_eq!(status, 401);
    remove_member(&relay.address, &owner, "max").await;
    assert_eq!(read(member).await, 404, "a removed member");

    // A forged or altered link answers nothing; one for another workspace's survey cannot be made.
    let forged = format!("{}x", link.trim_end_matches(|c: char| c != '.'));
    assert_eq!(answer_survey(&forged, &[("score", "5")]).await.0, 404);
    assert_eq!(reqwest::get(&forged).await.unwrap().status(), 404);
    let unsubscribe = link.replace("/api/rate/", "/api/unsubscribe/");
    assert_eq!(reqwest::get(&unsubscribe).await.unwrap().status(), 404, "not an unsubscribe link");
    let mut bad = survey.clone();
    bad["rating_for"] = json!("../../x");
    let (status, body) = queue(&relay, &owner, &id(2), bad).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_work")), "{body}");
}

const UPDATE: &str = "0190f5a0-0000-7000-8000-0000000000d1";
const ANN: &str = "0190f5a0-0000-7000-8000-0000000000a1";
const BOB: &str = "0190f5a0-0000-7000-8000-0000000000b2";

fn update_publication(readers: &[&str]) -> Value {
    json!({
        "title": "November 2026",
        "metrics": [
            { "name": "Revenue <MRR>", "value": "€84k", "previous": "€71k", "note": "" },
            { "name": "Runway", "value": "19 months" }
        ],
        "highlights": "Signed **Acme**. <script>alert(1)</script>",
        "asks": "Intros to CFOs",
        "readers": readers,
    })
}

async fn publish_update(relay: &Relay, who: Option<&str>, workspace: &str, body: Value) -> u16 {
    let path = format!("/api/workspaces/{workspace}/updates/{UPDATE}");
    http(&relay.address, Method::PUT, &path, who, body).await.0
}

async fn react_to(link: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = reqwest::Client::new().post(link).form(form).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn an_investor_update_s_link_opens_for_its_reader_counts_opens_keeps_reactions_and_can_be_revoked()
 {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(
        &dir.path().join("data"),
        Some(&smtp.url()),
        &["--max-published-updates", "1"],
    );
    let (owner, member, viewer) = workspace_with_member(&relay.address).await;
    let eve = outsider_with_workspace(&relay.address).await;
    let mut mail = mail("ann@fund.example", "November 2026");
    mail["text"] = json!("Revenue: €84k\n\nRead it online: {{update_link}}\n");
    mail["update_link"] = json!({ "update": UPDATE, "reader": ANN });
    // Two devices send it: one mail.
    assert_eq!(queue(&relay, &member, &id(1), mail.clone()).await.0, 201);
    queue(&relay, &owner, &id(1), mail.clone()).await;
    assert_eq!(settled(&relay, &owner, &id(1)).await["state"], "sent");
    assert_eq!(smtp.messages().len(), 1);
    let text = text_of(&smtp.messages().pop().unwrap());
    let link = text.lines().find_map(|l| l.strip_prefix("Read it online: ")).unwrap().to_owned();
    assert!(link.starts_with(&format!("http://{}/updates/", relay.address)), "{text}");

    // The mail may arrive before the device that sent it publishes: the link says so.
    let early = reqwest::get(&link).await.unwrap();
    assert_eq!(early.status(), 404);
    assert!(early.text().await.unwrap().contains("on its way"));

    // Published by a member who writes; the page escapes what was typed and runs no script.
    assert_eq!(
        publish_update(&relay, Some(&member), WS, update_publication(&[BOB, ANN])).await,
        204
    );
    let opened = reqwest::get(&link).await.unwrap();
    assert_eq!(opened.status(), 200);
    let header = |name: &str| opened.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("cache-control"), "no-store");
    assert!(header("content-security-policy").starts_with("default-src 'none'"));
    assert_eq!(header("referrer-policy"), "no-referrer", "the link is the reader's key");
    let page = opened.text().await.unwrap();
    assert!(page.contains("<h1>November 2026</h1>"), "{page}");
    assert!(page.contains("Revenue &lt;MRR&gt;") && page.contains("was €71k"), "{page}");
    assert!(page.contains("<strong>Acme</strong>") && !page.contains("<script>alert"), "{page}");
    let russian = reqwest::Client::new().get(&link).header("accept-language", "ru");
    let russian = russian.send().await.unwrap().text().await.unwrap();
    assert!(russian.contains("Ключевые показатели") && russian.contains("Что вы думаете?"));
    let list = format!("/api/workspaces/{WS}/updates");
    let activity = |who: String| {
        let (address, path) = (relay.address.clone(), list.clone());
        async move {
            let (status, _, body) =
                http(&address, Method::GET, &path, Some(&who), Value::Null).await;
            (status, body)
        }
    };
    let (status, body) = activity(viewer.clone()).await;
    assert_eq!(status, 200, "every member sees who read it");
    let update = &body["updates"][0];
    assert_eq!((&update["id"], &update["withdrawn"]), (&json!(UPDATE), &json!(false)), "{body}");
    assert_eq!(update["readers"][0]["reader"], ANN);
    assert_eq!(update["readers"][0]["opens"], 2, "each opening counts: {body}");
    assert!(update["readers"][0]["first_opened"].as_i64().unwrap() > 1_700_000_000_000);

    // A reaction: refused with what was written when it is not one, the latest kept.
    let long = "x".repeat(rapport_core::investor::MOST_COMMENT_CHARS + 1);
    for form in [
        vec![("comment", "Great quarter")],
        vec![("reaction", "love"), ("comment", "Great quarter")],
        vec![("reaction", "like"), ("comment", long.as_str())],
    ] {
        let (status, page) = react_to(&link, &form).await;
        assert_eq!(status, 400, "{form:?}");
        assert!(
            page.contains(form.last().unwrap().1.chars().take(40).collect::<String>().as_str())
        );
    }
    let huge = reqwest::Client::new().post(&link).form(&[("comment", "x".repeat(100_000))]);
    assert_eq!(huge.send().await.unwrap().status(), 413, "past the form's limit");
    let (status, page) = react_to(&link, &[("reaction", "like"), ("comment", "Nice")]).await;
    assert_eq!(status, 200);
    assert!(page.contains("the team received your answer") && page.contains("value=like checked"));
    let (status, _) =
        react_to(&link, &[("reaction", "help"), ("comment", "I know <b>CFOs</b>")]).await;
    assert_eq!(status, 200);
    let (_, body) = activity(member.clone()).await;
    let reader = &body["updates"][0]["readers"][0];
    assert_eq!(
        (&reader["reaction"], &reader["comment"]),
        (&json!("help"), &json!("I know <b>CFOs</b>"))
    );

    // Revoking Ann's link is publishing without her; publishing her again opens it again.
    assert_eq!(publish_update(&relay, Some(&member), WS, update_publication(&[BOB])).await, 204);
    let revoked = reqwest::get(&link).await.unwrap();
    assert_eq!(revoked.status(), 410);
    assert!(revoked.text().await.unwrap().contains("withdrawn"));
    assert_eq!(react_to(&link, &[("reaction", "like")]).await.0, 410, "nor can she react");
    assert_eq!(publish_update(&relay, Some(&owner), WS, update_publication(&[ANN])).await, 204);
    assert_eq!(reqwest::get(&link).await.unwrap().status(), 200);

    // Outsiders, viewers, removed members and bad input change nothing.
    let good = update_publication(&[ANN]);
    assert_eq!(publish_update(&relay, Some(&viewer), WS, good.clone()).await, 403);
    assert_eq!(publish_update(&relay, Some(&eve), WS, good.clone()).await, 404);
    assert_eq!(publish_update(&relay, None, WS, good.clone()).await, 401);
    assert_eq!(publish_update(&relay, Some(&member), OTHER_WS, good.clone()).await, 404);
    assert_eq!(activity(eve.clone()).await.0, 404, "another workspace's updates");
    let bad_id = format!("/api/workspaces/{WS}/updates/..%2Fx");
    let (status, _, _) =
        http(&relay.address, Method::PUT, &bad_id, Some(&member), good.clone()).await;
    assert_eq!(status, 400);
    for (change, expected) in [
        (json!({ "title": " " }), 400),
        (json!({ "readers": ["ann"] }), 400),
        (json!({ "metrics": vec![json!({ "name": "n", "value": "v" }); 41] }), 400),
        (json!({ "surprise": true }), 400),
        (json!({ "asks": "x".repeat(rapport_core::investor::MOST_TEXT_BYTES + 1) }), 413),
    ] {
        let mut body = good.clone();
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        assert_eq!(publish_update(&relay, Some(&member), WS, body).await, expected, "{change:.80}");
    }
    let another = format!("/api/workspaces/{WS}/updates/0190f5a0-0000-7000-8000-0000000000d2");
    let (status, _, body) =
        http(&relay.address, Method::PUT, &another, Some(&member), good.clone()).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("too_many_updates")), "past the limit");
    let path = format!("/api/workspaces/{WS}/updates/{UPDATE}");
    let raw = reqwest::Client::new()
        .put(format!("http://{}{path}", relay.address))
        .header("cookie", &member)
        .header("content-type", "application/json")
        .body("{not json");
    assert_eq!(raw.send().await.unwrap().status(), 400);
    let (status, _, _) =
        http(&relay.address, Method::DELETE, &path, Some(&viewer), Value::Null).await;
    assert_eq!(status, 403);
    assert_eq!(reqwest::get(&link).await.unwrap().status(), 200, "still readable");

    // A forged link reads nothing; a rating link is no update link; a bad update link is not queued.
    let forged = format!("{}x", link.trim_end_matches(|c: char| c != '.'));
    assert_eq!(reqwest::get(&forged).await.unwrap().status(), 404);
    assert_eq!(react_to(&forged, &[("reaction", "like")]).await.0, 404);
    let unsubscribe = link.replace("/updates/", "/api/unsubscribe/");
    assert_eq!(reqwest::get(&unsubscribe).await.unwrap().status(), 404, "not an unsubscribe link");
    let mut bad = mail.clone();
    bad["update_link"] = json!({ "update": UPDATE, "reader": "../../x" });
    let (status, body) = queue(&relay, &owner, &id(2), bad).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_work")), "{body}");

    // Withdrawn: no link opens, and who read it stays on the list.
    let (status, _, _) =
        http(&relay.address, Method::DELETE, &path, Some(&member), Value::Null).await;
    assert_eq!(status, 204);
    assert_eq!(reqwest::get(&link).await.unwrap().status(), 410);
    let (_, body) = activity(owner.clone()).await;
    assert_eq!(body["updates"][0]["withdrawn"], true);
    assert_eq!(body["updates"][0]["revision"], "");
    assert_eq!(body["updates"][0]["readers"][0]["reaction"], "help");
    remove_member(&relay.address, &owner, "max").await;
    assert_eq!(activity(member.clone()).await.0, 404, "a removed member");
    assert_eq!(publish_update(&relay, Some(&member), WS, good).await, 404);
}

/// A batch as a device hands it over: `(id, work)` pieces.
fn batch(items: &[(String, Value)]) -> Value {
    json!({ "items": items.iter().map(|(id, work)| json!({ "id": id, "work": work })).collect::<Vec<_>>() })
}

fn bulk(to: &str) -> Value {
    let mut work = mail(to, "Spring fair");
    work["bulk"] = json!(true);
    work
}

#[tokio::test]
async fn a_campaign_copy_waits_for_its_time_can_be_cancelled_until_then_and_goes_at_the_relay_s_pace()
 {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    // Two campaign mails a second at most.
    let flags = ["--bulk-per-minute", "120"];
    let relay = Relay::start(&dir.path().join("data"), Some(&smtp.url()), &flags);
    let (owner, member, viewer) = workspace_with_member(&relay.address).await;
    let at = |work: Value, send_at: i64| {
        let mut work = work;
        work["send_at"] = json!(send_at);
        work
    };
    let now = common::socket::unix_now();

    // Ann's copy is due in three seconds, Bob's and Cara's in an hour.
    let (status, ann) = queue(&relay, &member, &id(1), at(bulk("ann@example.com"), now + 3)).await;
    assert_eq!((status, ann["due_at"].as_i64()), (201, Some(now + 3)), "{ann}");
    let (status, _) = queue(&relay, &member, &id(2), at(bulk("bob@example.com"), now + 3600)).await;
    assert_eq!(status, 201);
    let (status, _) =
        queue(&relay, &member, &id(4), at(bulk("cara@example.com"), now + 3600)).await;
    assert_eq!(status, 201);
    // Handed over again with another time (a device offline meanwhile): it is what it was.
    let (status, bob) = queue(&relay, &owner, &id(2), at(bulk("bob@example.com"), now + 4)).await;
    assert_eq!((status, bob["due_at"].as_i64()), (200, Some(now + 3600)), "{bob}");
    // Cancelled while it waits (the campaign taken back): handed over again, it stays cancelled.
    let path = format!("/api/workspaces/{WS}/outbox/{}", id(2));
    let (status, _, cancelled) =
        http(&relay.address, Method::DELETE, &path, Some(&member), Value::Null).await;
    assert_eq!((status, &cancelled["state"]), (200, &json!("cancelled")), "{cancelled}");
    let (status, bob) = queue(&relay, &member, &id(2), at(bulk("bob@example.com"), now + 4)).await;
    assert_eq!((status, &bob["state"]), (200, &json!("cancelled")), "{bob}");
    // A viewer cancels nothing.
    let cara = format!("/api/workspaces/{WS}/outbox/{}", id(4));
    let (status, _, _) =
        http(&relay.address, Method::DELETE, &cara, Some(&viewer), Value::Null).await;
    assert_eq!(status, 403);

    // Ann's goes at its time, not before.
    let ann = settled(&relay, &viewer, &id(1)).await;
    assert_eq!(ann["state"], "sent");
    assert!(common::socket::unix_now() >= now + 3, "sent before its time: {ann}");
    assert_eq!(smtp.to("ann@example.com").len(), 1);
    // Once sent, never again, and cancelling it changes nothing.
    let ann_path = format!("/api/workspaces/{WS}/outbox/{}", id(1));
    let (status, _, ann) =
        http(&relay.address, Method::DELETE, &ann_path, Some(&member), Value::Null).await;
    assert_eq!((status, &ann["state"]), (200, &json!("sent")), "a sent copy stays sent");
    let (status, _) = queue(&relay, &owner, &id(1), bulk("ann@example.com")).await;
    assert_eq!(status, 200);
    assert_eq!(smtp.to("ann@example.com").len(), 1);
    assert!(smtp.to("bob@example.com").is_empty(), "a cancelled copy never goes");

    // Only a campaign's copy is sent at a time set in advance, and only within the years 2000-2100.
    let (status, body) =
        queue(&relay, &member, &id(3), at(mail("cara@example.com", "Hi"), now + 60)).await;
    assert_eq!((status, &body["code"]), (400, &json!("bad_work")), "{body}");
    let (status, body) = queue(&relay, &member, &id(3), at(bulk("cara@example.com"), 5)).await;
    assert_eq!((status, &body["code"]), (400, &json!("bad_work")), "{body}");
    let (status, _) = queue(&relay, &member, &id(3), at(bulk("cara@example.com"), i64::MAX)).await;
    assert_eq!(status, 400);
    let (status, body) =
        queue(&relay, &viewer, &id(3), at(bulk("cara@example.com"), now + 60)).await;
    assert_eq!((status, &body["code"]), (403, &json!("read_only")));

    // Five copies due at once go at the relay's pace, half a second apart; the last, waiting for
    // its turn, is still only waiting: it can be cancelled.
    let started = Instant::now();
    let items: Vec<(String, Value)> =
        (10..15).map(|n| (id(n), bulk(&format!("p{n}@example.com")))).collect();
    let batch_path = format!("/api/workspaces/{WS}/outbox");
    let (status, _, _) =
        http(&relay.address, Method::POST, &batch_path, Some(&member), batch(&items)).await;
    assert_eq!(status, 200);
    let last = format!("/api/workspaces/{WS}/outbox/{}", id(14));
    let (status, _, cancelled) =
        http(&relay.address, Method::DELETE, &last, Some(&member), Value::Null).await;
    assert_eq!((status, &cancelled["state"]), (200, &json!("cancelled")), "{cancelled}");
    for n in 10..14 {
        assert_eq!(settled(&relay, &viewer, &id(n)).await["state"], "sent");
    }
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(1400), "four campaign mails in {took:?}");
    assert!(smtp.to("p14@example.com").is_empty());
}

#[tokio::test]
async fn a_batch_is_queued_in_one_request_each_piece_answered_as_its_own_and_sent_once() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(&dir.path().join("data"), Some(&smtp.url()), &[]);
    let (owner, member, viewer) = workspace_with_member(&relay.address).await;
    let outsider = outsider_with_workspace(&relay.address).await;
    let path = format!("/api/workspaces/{WS}/outbox");

    // Three copies of a campaign, a piece with a bad id, one with a bad address and one that is no
    // work at all: the good ones are queued, each bad one says why, in order.
    let items = vec![
        (id(1), bulk("ann@example.com")),
        (id(2), bulk("bob@example.com")),
        ("../etc".to_owned(), bulk("cara@example.com")),
        (id(3), bulk("not an address")),
        (id(4), json!({ "kind": "fax" })),
        (id(5), bulk("dan@example.com")),
    ];
    let (status, _, answer) =
        http(&relay.address, Method::POST, &path, Some(&member), batch(&items)).await;
    assert_eq!(status, 200, "{answer}");
    let statuses: Vec<u64> = answer["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 201, 400, 400, 400, 201], "{answer}");
    assert_eq!(answer["answers"][0]["body"]["id"], id(1));
    // A campaign's copies are bulk mail: a lane and a limit of their own.
    assert_eq!(answer["answers"][0]["body"]["kind"], "bulk");
    assert_eq!(answer["answers"][3]["body"]["code"], "bad_work");
    assert!(answer["answers"][3]["body"]["error"].as_str().unwrap().contains("not an address"));

    // Handed over again (another device, a replay): the same entries, nothing queued twice.
    let (status, _, again) =
        http(&relay.address, Method::POST, &path, Some(&owner), batch(&items)).await;
    assert_eq!(status, 200);
    let statuses: Vec<u64> = again["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [200, 200, 400, 400, 400, 200], "{again}");
    for n in [1, 2, 5] {
        assert_eq!(settled(&relay, &viewer, &id(n)).await["state"], "sent");
    }
    for to in ["ann@example.com", "bob@example.com", "dan@example.com"] {
        let copies = smtp.to(to);
        assert_eq!(copies.len(), 1, "{to}");
        assert!(copies[0].contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"), "{to}");
    }

    // Refused whole: a viewer, another workspace's member, no session, too many pieces, too many
    // bytes, and what is not a batch.
    let one = batch(&[(id(9), bulk("eve@example.com"))]);
    let (status, _, body) =
        http(&relay.address, Method::POST, &path, Some(&viewer), one.clone()).await;
    assert_eq!((status, &body["code"]), (403, &json!("read_only")));
    assert_eq!(
        http(&relay.address, Method::POST, &path, Some(&outsider), one.clone()).await.0,
        404
    );
    assert_eq!(http(&relay.address, Method::POST, &path, None, one.clone()).await.0, 401);
    let many: Vec<(String, Value)> = (100..601).map(|n| (id(n), bulk("x@example.com"))).collect();
    let (status, _, body) =
        http(&relay.address, Method::POST, &path, Some(&member), batch(&many)).await;
    assert_eq!((status, &body["code"]), (400, &json!("bad_work")), "{body}");
    let client = reqwest::Client::new();
    let url = format!("http://{}{path}", relay.address);
    let huge = format!(
        r#"{{"items":[{{"id":"{}","work":{{"kind":"stamp","pad":"{}"}}}}]}}"#,
        id(7),
        "x".repeat(9 << 20)
    );
    // Its own connection: the relay answers 413 without reading the rest and closes it, and a
    // pooled connection reused after that would fail the next request.
    let response = reqwest::Client::new()
        .post(&url)
        .header("cookie", &member)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    for junk in ["not json", "[]", r#"{"items":{}}"#, r#"{"items":[{"id":1}]}"#] {
        let response = client
            .post(&url)
            .header("cookie", &member)
            .header("content-type", "application/json")
            .body(junk)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{junk}");
    }
    // Nothing refused whole was queued.
    let (_, _, changes) =
        http(&relay.address, Method::GET, &format!("{path}?after=0"), Some(&member), Value::Null)
            .await;
    assert_eq!(changes["entries"].as_array().unwrap().len(), 3, "{changes}");

    // A removed member's batches are refused like an outsider's.
    remove_member(&relay.address, &owner, "max").await;
    assert_eq!(http(&relay.address, Method::POST, &path, Some(&member), one).await.0, 404);
    // The relay is still up and answering.
    let (status, _, _) =
        http(&relay.address, Method::GET, &format!("{path}?after=0"), Some(&owner), Value::Null)
            .await;
    assert_eq!(status, 200);
}

/// The relay's links in `text` that begin with `prefix`, in order.
fn links_after(text: &str, prefix: &str) -> Vec<String> {
    text.match_indices(prefix)
        .map(|(at, _)| {
            let rest = &text[at..];
            let end = rest.find(|c: char| c.is_whitespace() || "\"<>)".contains(c)).unwrap();
            // A sentence's full stop is not the token's (which never ends in one).
            rest[..end].trim_end_matches('.').to_owned()
        })
        .collect()
}

/// Follows `link` once as a mail reader's browser would (`method` GET or HEAD), without going on to
/// where it leads: the status and the headers.
async fn follow(link: &str, method: Method) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.request(method, link).send().await.unwrap();
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_tracked_campaign_mail_is_formatted_and_counts_its_first_open_and_each_link_s_first_click()
 {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(&dir.path().join("data"), Some(&smtp.url()), &[]);
    let (owner, member, viewer) = workspace_with_member(&relay.address).await;
    let outsider = outsider_with_workspace(&relay.address).await;
    let log = format!("/api/workspaces/{WS}/engagement");

    let text = "Hello **Ann**,\nsee [our offer](https://acme.test/offer?utm_source=rapport) \
                or https://acme.test/price_list.\n\n![logo](https://acme.test/logo.png)\n";
    let mut news = mail("ann@client.example", "Spring offer");
    news["text"] = json!(text);
    news["bulk"] = json!(true);
    news["markdown"] = json!(true);
    news["track"] = json!(true);
    // Tracking is for campaigns: a one-to-one mail asking for it is refused, with the reason.
    let mut personal = news.clone();
    personal["bulk"] = json!(false);
    let (status, refused) = queue(&relay, &member, &id(9), personal).await;
    assert_eq!((status, &refused["code"]), (400, &json!("bad_work")), "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("tracked"), "{refused}");
    assert_eq!(queue(&relay, &member, &id(1), news.clone()).await.0, 201);
    // The same, untracked: formatted, its links tagged as the campaign asks.
    news["track"] = json!(false);
    news["utm"] = json!("spring-offer");
    news["to"] = json!([{ "address": "bob@client.example" }]);
    assert_eq!(queue(&relay, &member, &id(2), news).await.0, 201);
    assert_eq!(settled(&relay, &owner, &id(1)).await["state"], "sent");
    assert_eq!(settled(&relay, &owner, &id(2)).await["state"], "sent");

    let messages = smtp.messages();
    let message_to = |to: &str| {
        let raw = messages.iter().find(|m| m.contains(to)).unwrap();
        let parsed = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        let text = parsed.body_text(0).unwrap().replace("\r\n", "\n");
        (text, parsed.body_html(0).unwrap().into_owned())
    };
    let (plain, html) = message_to("ann@client.example");
    let origin = format!("http://{}", relay.address);
    let clicks = links_after(&plain, &format!("{origin}/api/t/"));
    assert_eq!(clicks.len(), 2, "both links tracked in the text part:\n{plain}");
    assert!(plain.starts_with("Hello Ann,\nsee our offer (http"), "the text, plainly: {plain}");
    assert!(!plain.contains("acme.test/offer"), "no link escapes tracking: {plain}");
    assert!(html.contains("<strong>Ann</strong>,<br />"), "lines kept: {html}");
    assert!(html.contains("<img src=\"https://acme.test/logo.png\""), "images untracked: {html}");
    assert!(html.contains(&format!("<a href=\"{}\">our offer</a>", clicks[0])), "{html}");
    assert!(
        html.contains(&format!("<a href=\"{}\">https://acme.test/price_list</a>", clicks[1])),
        "a bare link shows as written and goes through the relay: {html}"
    );
    let opens = links_after(&html, &format!("{origin}/api/o/"));
    assert_eq!(opens.len(), 1, "one image: {html}");
    let (bob_plain, bob_html) = message_to("bob@client.example");
    assert!(
        bob_plain.contains("our offer (https://acme.test/offer?utm_source=rapport)"),
        "its own tags kept: {bob_plain}"
    );
    assert!(
        bob_html.contains(
            "<a href=\"https://acme.test/price_list?utm_source=rapport&amp;utm_medium=email&amp;\
             utm_campaign=spring-offer\">https://acme.test/price_list</a>"
        ),
        "{bob_html}"
    );
    assert!(!bob_html.contains("/api/o/") && !bob_plain.contains("/api/t/"), "untracked");

    // A link checker's HEAD is answered and not counted.
    let (status, headers, _) = follow(&clicks[0], Method::HEAD).await;
    assert_eq!(
        (status, &headers["location"]),
        (302, &"https://acme.test/offer?utm_source=rapport".parse().unwrap())
    );
    let (_, _, heard) = http(&relay.address, Method::GET, &log, Some(&viewer), Value::Null).await;
    assert_eq!(heard["events"], json!([]), "a HEAD counts nothing");

    // Ann clicks the offer twice, opens the mail twice: one click, one open, in that order.
    for _ in 0..2 {
        let (status, headers, _) = follow(&clicks[0], Method::GET).await;
        assert_eq!(status, 302);
        assert_eq!(headers["location"], "https://acme.test/offer?utm_source=rapport");
        assert_eq!(headers["referrer-policy"], "no-referrer");
        assert_eq!(headers["cache-control"], "no-store");
    }
    for _ in 0..2 {
        let (status, headers, body) = follow(&opens[0], Method::GET).await;
        assert_eq!((status, &headers["content-type"]), (200, &"image/gif".parse().unwrap()));
        assert!(body.starts_with(b"GIF89a"), "a real image");
    }
    let (status, _, heard) =
        http(&relay.address, Method::GET, &log, Some(&viewer), Value::Null).await;
    assert_eq!(status, 200, "any member reads it, a viewer too");
    let events = heard["events"].as_array().unwrap();
    assert_eq!(events.len(), 2, "{heard}");
    assert_eq!(events[0]["item"], id(1).as_str());
    assert_eq!(events[0]["link"], "https://acme.test/offer?utm_source=rapport");
    assert_eq!((&events[1]["item"], events[1].get("link")), (&json!(id(1)), None));
    // Asked after what it heard: nothing new; the other link's first click is news.
    let after = format!("{log}?after={}", heard["after"]);
    let (_, _, later) = http(&relay.address, Method::GET, &after, Some(&member), Value::Null).await;
    assert_eq!(later["events"], json!([]));
    assert_eq!(follow(&clicks[1], Method::GET).await.0, 302);
    let (_, _, later) = http(&relay.address, Method::GET, &after, Some(&member), Value::Null).await;
    assert_eq!(later["events"][0]["link"], "https://acme.test/price_list", "{later}");

    // Altered or foreign tokens lead nowhere and count nothing.
    let tampered = format!("{}A", clicks[0]);
    // The payload altered, the tag kept: the signature no longer matches.
    let (payload, tag) = clicks[0].rsplit_once('.').unwrap();
    let altered = format!("{}B.{tag}", &payload[..payload.len() - 1]);
    let swapped = clicks[0].replacen("/api/t/", "/api/o/", 1);
    let oversized = format!("{origin}/api/t/{}", "x".repeat(4000));
    let raw = messages.iter().find(|m| m.contains("ann@client.example")).unwrap();
    let unsubscribe = raw
        .lines()
        .find_map(|l| l.strip_prefix(&format!("List-Unsubscribe: <{origin}/api/unsubscribe/")))
        .map(|token| format!("{origin}/api/t/{}", token.trim_end_matches('>')))
        .unwrap();
    let (status, _, _) = follow(&format!("{origin}/api/o/%FF%FE"), Method::GET).await;
    assert_eq!(status, 400, "a path that is not text");
    for bad in [&tampered, &altered, &swapped, &oversized, &unsubscribe] {
        let (status, headers, _) = follow(bad, Method::GET).await;
        assert_eq!(status, 404, "{bad}");
        assert!(headers.get("location").is_none());
    }
    let open_as_click = opens[0].replacen("/api/o/", "/api/t/", 1);
    assert_eq!(follow(&open_as_click, Method::GET).await.0, 404, "an image token is no redirect");

    // The log: another workspace's member, no session, a removed member, a bad page.
    let (status, _, body) =
        http(&relay.address, Method::GET, &log, Some(&outsider), Value::Null).await;
    assert_eq!((status, &body["code"]), (404, &json!("no_such_workspace")));
    assert_eq!(http(&relay.address, Method::GET, &log, None, Value::Null).await.0, 401);
    let bad_page = format!("{log}?after=soon");
    assert_eq!(
        http(&relay.address, Method::GET, &bad_page, Some(&member), Value::Null).await.0,
        400
    );
    remove_member(&relay.address, &owner, "max").await;
    assert_eq!(http(&relay.address, Method::GET, &log, Some(&member), Value::Null).await.0, 404);
    // Eve's workspace sends a tracked campaign of its own: each log holds its own clicks alone.
    let mut eves = mail("zoe@elsewhere.example", "Eve's news");
    eves["text"] = json!("Read https://eve.test/news");
    eves["bulk"] = json!(true);
    eves["markdown"] = json!(true);
    eves["track"] = json!(true);
    let eve_item = format!("/api/workspaces/{OTHER_WS}/outbox/{}", id(1));
    let (status, _, _) = http(&relay.address, Method::PUT, &eve_item, Some(&outsider), eves).await;
    assert_eq!(status, 201);
    let eve_mail = wait_for_mail(&smtp, "zoe@elsewhere.example").await;
    let eve_text = mail_parser::MessageParser::default().parse(eve_mail.as_bytes()).unwrap();
    let eve_click = links_after(&eve_text.body_text(0).unwrap(), &format!("{origin}/api/t/"));
    assert_eq!(follow(&eve_click[0], Method::GET).await.0, 302);
    let theirs = format!("/api/workspaces/{OTHER_WS}/engagement");
    let (_, _, eve_log) =
        http(&relay.address, Method::GET, &theirs, Some(&outsider), Value::Null).await;
    let links: Vec<&Value> =
        eve_log["events"].as_array().unwrap().iter().map(|e| &e["link"]).collect();
    assert_eq!(links, [&json!("https://eve.test/news")], "Eve's alone: {eve_log}");
    let (_, _, ours) = http(&relay.address, Method::GET, &log, Some(&owner), Value::Null).await;
    assert_eq!(ours["events"].as_array().unwrap().len(), 3, "ours alone: {ours}");

    // A mail the ledger no longer holds (its workspace gone): its links lead nowhere.
    let db = rusqlite::Connection::open(dir.path().join("data").join("rapport.sqlite3")).unwrap();
    db.execute("DELETE FROM outbox WHERE workspace_id = ?1", [OTHER_WS]).unwrap();
    let (status, headers, _) = follow(&eve_click[0], Method::GET).await;
    assert_eq!((status, headers.get("location")), (404, None), "no longer a redirect");
}

/// The first message to `to` in the mailbox, once it is there.
async fn wait_for_mail(smtp: &SmtpServer, to: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(message) = smtp.messages().into_iter().find(|m| m.contains(to)) {
            return message;
        }
        assert!(Instant::now() < deadline, "no mail to {to} after 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
