//! Email-to-ticket at the relay, end to end: the real relay binary receives mail over SMTP on loopback
//! from a real SMTP client (lettre), keeps it for the workspace whose support address it was sent to,
//! and lets exactly one device file it; replies sent through the outbox carry the thread's headers to a
//! real SMTP server (aiosmtpd). Every way in is tried by someone who may not: a member who is not a
//! manager, a viewer, a removed member, another workspace's owner, unknown recipients, oversized and
//! malformed input.

mod common;

use std::path::Path;

use common::smtp::SmtpServer;
use common::socket::{
    OTHER_WS, WS, http, outsider_with_workspace, remove_member, start_process_with,
    workspace_with_member,
};
use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use reqwest::Method;
use serde_json::{Value, json};

const DOMAIN: &str = "in.acme.example";

struct Relay {
    _child: common::socket::Process,
    address: String,
    smtp_port: u16,
}

impl Relay {
    fn start(data: &Path, outgoing: &str) -> Relay {
        Relay::start_with(data, outgoing, &[])
    }

    fn start_with(data: &Path, outgoing: &str, more: &[&str]) -> Relay {
        // A free port for the relay's SMTP listener (the relay prints only its HTTP address).
        let smtp_port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|probe| probe.local_addr())
            .unwrap()
            .port();
        let at = format!("127.0.0.1:{smtp_port}");
        let flags = [
            "--inbound-smtp",
            &at,
            "--inbound-domain",
            DOMAIN,
            "--smtp-url",
            outgoing,
            "--mail-from",
            "Acme support <crm@acme.example>",
        ];
        let flags: Vec<&str> = flags.iter().chain(more).copied().collect();
        let (child, address) = start_process_with(&data.join("no-dist"), data, &flags, &[]);
        Relay { _child: common::socket::Process(child), address, smtp_port }
    }

    /// Sends `raw` to `to` over SMTP as a customer's mail system would; the server's answer.
    async fn deliver(&self, to: &str, raw: &[u8]) -> Result<(), String> {
        self.deliver_to(&[to], raw).await
    }

    async fn deliver_to(&self, to: &[&str], raw: &[u8]) -> Result<(), String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
            .port(self.smtp_port)
            .build();
        let to = to.iter().map(|to| to.parse().unwrap()).collect();
        let envelope = Envelope::new(Some("ann@client.example".parse().unwrap()), to).unwrap();
        transport.send_raw(&envelope, raw).await.map(drop).map_err(|error| error.to_string())
    }
}

fn customer_mail(message_id: &str, subject: &str, text: &str) -> Vec<u8> {
    format!(
        "From: Ann Lee <ann@client.example>\r\nTo: support@acme.example\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
    )
    .into_bytes()
}

/// A filing step from another page (tab) of `who`'s browser: the status.
async fn call_as_page(relay: &Relay, path: &str, who: &str, page: &str) -> u16 {
    let response = reqwest::Client::new()
        .post(format!("http://{}{path}", relay.address))
        .header("cookie", who)
        .header("x-rapport-filer", page)
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

/// A file's bytes as `who` downloads them, with the status.
async fn file_bytes(relay: &Relay, path: &str, who: &str) -> (u16, Vec<u8>) {
    let served = reqwest::Client::new()
        .get(format!("http://{}{path}", relay.address))
        .header("cookie", who)
        .send()
        .await
        .unwrap();
    (served.status().as_u16(), served.bytes().await.unwrap().to_vec())
}

async fn call(relay: &Relay, method: Method, path: &str, who: &str) -> (u16, Value) {
    let (status, _, body) = http(&relay.address, method, path, Some(who), Value::Null).await;
    (status, body)
}

#[tokio::test]
async fn a_mail_to_the_support_address_is_kept_once_and_filed_by_one_device_only() {
    let dir = tempfile::tempdir().unwrap();
    let outgoing = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(&dir.path().join("data"), &outgoing.url());
    let (owner, member, viewer) = workspace_with_member(&relay.address).await;
    let eve = outsider_with_workspace(&relay.address).await;

    // No address made yet: nothing at the inbound domain is anyone's.
    let refused = relay.deliver(&format!("support@{DOMAIN}"), b"Subject: x\r\n\r\nx\r\n").await;
    assert!(refused.unwrap_err().contains("550"), "an unknown recipient is refused");

    // Only owners and admins make the address; the other workspace's owner cannot see it exists.
    let make = format!("/api/workspaces/{WS}/inbound/address");
    assert_eq!(call(&relay, Method::POST, &make, &member).await.0, 403);
    assert_eq!(call(&relay, Method::POST, &make, &viewer).await.0, 403);
    assert_eq!(call(&relay, Method::POST, &make, &eve).await.0, 404);
    let (status, made) = call(&relay, Method::POST, &make, &owner).await;
    assert_eq!(status, 200, "{made}");
    let address = made["address"].as_str().unwrap().to_owned();
    assert!(address.starts_with("support-") && address.ends_with(&format!("@{DOMAIN}")));
    let (_, again) = call(&relay, Method::POST, &make, &owner).await;
    assert_eq!(again["address"], made["address"], "made once, then the same one");
    let services = format!("/api/workspaces/{WS}/services");
    let (_, services) = call(&relay, Method::GET, &services, &viewer).await;
    assert_eq!(
        (&services["inbound"], &services["support_address"]),
        (&json!(true), &made["address"])
    );

    // A customer writes; the same mail delivered twice is kept once. Upper case reaches it too.
    let first = customer_mail("a1@client.example", "Printer jams", "It jams on every page.");
    relay.deliver(&address, &first).await.unwrap();
    relay.deliver(&address.to_uppercase(), &first).await.unwrap();
    // Past the size limit: refused at its end, nothing kept.
    let huge = customer_mail("big@client.example", "Scan", &"x".repeat(11 * 1024 * 1024));
    let too_large = relay.deliver(&address, &huge).await.unwrap_err();
    assert!(too_large.contains("552"), "{too_large}");
    // Another domain with the same local part is not this relay's.
    let elsewhere = address.replace(DOMAIN, "acme.example");
    assert!(relay.deliver(&elsewhere, &first).await.unwrap_err().contains("550"));
    // Not a mail at all, but from a sender: kept, to be read by a person.
    relay.deliver(&address, b"\x00\xff garbage without headers\r\n").await.unwrap();

    let list = format!("/api/workspaces/{WS}/inbound");
    let (status, listed) = call(&relay, Method::GET, &list, &member).await;
    assert_eq!(status, 200, "{listed}");
    let mails = listed["mails"].as_array().unwrap();
    assert_eq!(mails.len(), 2, "{listed}");
    let mail = &mails[0];
    assert_eq!(mail["message_id"], "a1@client.example");
    assert_eq!(mail["from"], json!({ "address": "ann@client.example", "name": "Ann Lee" }));
    assert_eq!(mail["subject"], "Printer jams");
    assert_eq!(mail["text"].as_str().unwrap().trim(), "It jams on every page.");
    assert_eq!(listed["address"], made["address"]);
    assert_eq!(mails[1]["from"]["address"], "ann@client.example", "the envelope's sender");
    // Viewers file nothing; another workspace's owner sees no such workspace, and her own is empty.
    assert_eq!(call(&relay, Method::GET, &list, &viewer).await.0, 403);
    assert_eq!(call(&relay, Method::GET, &list, &eve).await.0, 404);
    let hers = format!("/api/workspaces/{OTHER_WS}/inbound");
    let (status, empty) = call(&relay, Method::GET, &hers, &eve).await;
    assert_eq!((status, empty["mails"].as_array().unwrap().len()), (200, 0));

    // One device takes it; another is told it is being filed, and cannot say it filed it.
    let seq = mail["seq"].as_i64().unwrap();
    let take = format!("/api/workspaces/{WS}/inbound/{seq}/take");
    let filed = format!("/api/workspaces/{WS}/inbound/{seq}/filed");
    assert_eq!(call(&relay, Method::POST, &take, &member).await.0, 204);
    assert_eq!(call(&relay, Method::POST, &take, &member).await.0, 204, "taking again is fine");
    let (status, body) = call(&relay, Method::POST, &take, &owner).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("taken_elsewhere")));
    let (_, listed) = call(&relay, Method::GET, &list, &owner).await;
    assert_eq!(listed["mails"][0]["taken"], true, "the owner's device leaves it");
    assert_eq!(call(&relay, Method::POST, &filed, &owner).await.0, 409);
    // Another tab of the member's own browser is another filer.
    assert_eq!(call_as_page(&relay, &take, &member, "tab-2").await, 409);
    // One filer at a time in a workspace: the other mail waits for the member too.
    let unreadable = mails[1]["seq"].as_i64().unwrap();
    let take_other = format!("/api/workspaces/{WS}/inbound/{unreadable}/take");
    assert_eq!(call(&relay, Method::POST, &take_other, &owner).await.0, 409);
    assert_eq!(call(&relay, Method::POST, &take, &viewer).await.0, 403);
    assert_eq!(call(&relay, Method::POST, &take, &eve).await.0, 404);
    let eves_path = format!("/api/workspaces/{OTHER_WS}/inbound/{seq}/take");
    assert_eq!(call(&relay, Method::POST, &eves_path, &eve).await.0, 404, "not her workspace's");
    for bad in ["abc", "-1", "0", "99999999999999999999"] {
        let path = format!("/api/workspaces/{WS}/inbound/{bad}/take");
        assert_eq!(call(&relay, Method::POST, &path, &member).await.0, 404, "{bad}");
    }
    assert_eq!(call(&relay, Method::POST, &filed, &member).await.0, 204);
    assert_eq!(call(&relay, Method::POST, &take, &owner).await.0, 410, "filed: nobody takes it");
    assert_eq!(call(&relay, Method::POST, &take_other, &owner).await.0, 204, "free once filed");
    let (_, listed) = call(&relay, Method::GET, &list, &owner).await;
    assert_eq!(listed["mails"].as_array().unwrap().len(), 1, "only the unreadable one waits");
    // Delivered once more after filing: still not filed twice.
    relay.deliver(&address, &first).await.unwrap();
    let (_, listed) = call(&relay, Method::GET, &list, &owner).await;
    assert_eq!(listed["mails"].as_array().unwrap().len(), 1);

    // A removed member files nothing any more.
    remove_member(&relay.address, &owner, "max").await;
    let other = listed["mails"][0]["seq"].as_i64().unwrap();
    let path = format!("/api/workspaces/{WS}/inbound/{other}/take");
    assert_eq!(call(&relay, Method::POST, &path, &member).await.0, 404);
    assert_eq!(call(&relay, Method::GET, &list, &member).await.0, 404);
}

#[tokio::test]
async fn a_mail_s_files_are_kept_as_each_workspace_s_own_within_its_quota() {
    use lettre::message::header::ContentType;
    use lettre::message::{Attachment, MultiPart, SinglePart};
    use rapport_core::attachments::file_hash;

    let dir = tempfile::tempdir().unwrap();
    let outgoing = SmtpServer::start(&dir.path().join("mailbox"), 30);
    // 4 MB for the workspace's files, of which mail may bring 1 MB.
    let quota = ["--max-files-mb-per-workspace", "4"];
    let relay = Relay::start_with(&dir.path().join("data"), &outgoing.url(), &quota);
    let (owner, member, viewer) = workspace_with_member(&relay.address).await;
    let eve = outsider_with_workspace(&relay.address).await;
    let make = |ws: &str| format!("/api/workspaces/{ws}/inbound/address");
    let (_, ours) = call(&relay, Method::POST, &make(WS), &owner).await;
    let (_, hers) = call(&relay, Method::POST, &make(OTHER_WS), &eve).await;
    let (ours, hers) = (ours["address"].as_str().unwrap(), hers["address"].as_str().unwrap());

    // A photo and a scan, together past the 1 MB mail may bring: the first fits, the second does not.
    let photo: Vec<u8> = (0..600_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let scan: Vec<u8> = (0..600_000u32).map(|i| (i * 13 % 241) as u8).collect();
    let mail = |id: &str| {
        lettre::Message::builder()
            .from("Ann Lee <ann@client.example>".parse().unwrap())
            .to("support@acme.example".parse().unwrap())
            .subject("Jammed again")
            .message_id(Some(format!("<{id}>")))
            .multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain("Photo and scan attached.".to_owned()))
                    .singlepart(
                        Attachment::new("jam.png".into())
                            .body(photo.clone(), ContentType::parse("image/png").unwrap()),
                    )
                    .singlepart(
                        Attachment::new("scan.pdf".into())
                            .body(scan.clone(), ContentType::parse("application/pdf").unwrap()),
                    ),
            )
            .unwrap()
            .formatted()
    };
    // One mail to both workspaces (delivered twice: kept once).
    relay.deliver_to(&[ours, hers], &mail("files1@client.example")).await.unwrap();
    relay.deliver(ours, &mail("files1@client.example")).await.unwrap();

    let (status, listed) =
        call(&relay, Method::GET, &format!("/api/workspaces/{WS}/inbound"), &member).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["mails"].as_array().unwrap().len(), 1, "{listed}");
    let files = &listed["mails"][0]["attachments"];
    assert_eq!(files[0]["name"], "jam.png");
    assert_eq!(files[0]["content_type"], "image/png");
    assert_eq!(files[0]["size"], 600_000);
    assert_eq!(files[0]["hash"], file_hash(&photo), "kept: {files}");
    assert_eq!(files[1]["name"], "scan.pdf");
    assert_eq!(files[1]["hash"], Value::Null, "past mail's share of the quota: named only");
    let usage = format!("/api/workspaces/{WS}/files");
    let (_, usage) = call(&relay, Method::GET, &usage, &member).await;
    assert_eq!(usage["used"], 600_000, "counted once, though delivered twice");
    // What mail may not bring, a member still attaches: mail's share left their room alone.
    let uploaded = reqwest::Client::new()
        .put(format!("http://{}/api/workspaces/{WS}/files/{}", relay.address, file_hash(&scan)))
        .header("cookie", member.as_str())
        .header("content-type", "application/pdf")
        .body(scan.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201);

    // The members read it as any workspace file; the other workspace only through its own copy.
    let path = format!("/api/workspaces/{WS}/files/{}", file_hash(&photo));
    for who in [&member, &viewer] {
        assert_eq!(file_bytes(&relay, &path, who).await, (200, photo.clone()));
    }
    assert_eq!(call(&relay, Method::GET, &path, &eve).await.0, 404);
    let (_, hers) =
        call(&relay, Method::GET, &format!("/api/workspaces/{OTHER_WS}/inbound"), &eve).await;
    assert_eq!(hers["mails"][0]["attachments"][0]["hash"], file_hash(&photo));
    let her_copy = path.replace(WS, OTHER_WS);
    let served = file_bytes(&relay, &her_copy, &eve).await;
    assert_eq!(served, (200, photo), "her workspace keeps its own copy");

    // A removed member reads none of it.
    remove_member(&relay.address, &owner, "max").await;
    assert_eq!(call(&relay, Method::GET, &path, &member).await.0, 404);
}

#[tokio::test]
async fn a_reply_goes_out_threaded_under_the_customer_s_mails() {
    let dir = tempfile::tempdir().unwrap();
    let outgoing = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(&dir.path().join("data"), &outgoing.url());
    let (owner, _, _) = workspace_with_member(&relay.address).await;
    let reply = json!({
        "kind": "mail",
        "to": [{ "address": "ann@client.example", "name": "Ann Lee" }],
        "subject": "Re: Printer jams [#1a2b3c4d]",
        "text": "Fixed.",
        "reply_to": { "address": format!("support-x@{DOMAIN}") },
        "in_reply_to": "a2@client.example",
        "references": ["a1@client.example", "a2@client.example"],
    });
    let id = format!("{:032x}", 1);
    let path = format!("/api/workspaces/{WS}/outbox/{id}");
    let (status, _, body) =
        http(&relay.address, Method::PUT, &path, Some(&owner), reply.clone()).await;
    assert_eq!(status, 201, "{body}");
    let message = loop {
        if let Some(message) = outgoing.messages().pop() {
            break message;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(message.contains("In-Reply-To: <a2@client.example>"), "{message}");
    assert!(message.contains("References: <a1@client.example> <a2@client.example>"), "{message}");
    assert!(message.contains(&format!("Reply-To: support-x@{DOMAIN}")), "{message}");
    let message_id = message.lines().find(|line| line.starts_with("Message-ID: <")).unwrap();
    assert!(message_id.starts_with(&format!("Message-ID: <{id}.")), "{message_id}");

    // A thread id a header cannot carry is refused before anything is queued.
    for bad in [json!("two words"), json!("<a@b>"), json!("")] {
        let mut broken = reply.clone();
        broken["in_reply_to"] = bad.clone();
        let path = format!("/api/workspaces/{WS}/outbox/{:032x}", 2);
        let (status, _, body) =
            http(&relay.address, Method::PUT, &path, Some(&owner), broken).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("bad_work")), "{bad}: {body}");
    }
}

/// Speaks SMTP to the relay line by line: what it answers to each.
struct Conversation {
    reader: tokio::io::BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Conversation {
    async fn open(port: u16) -> Conversation {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let (reader, writer) = stream.into_split();
        let mut conversation = Conversation { reader: tokio::io::BufReader::new(reader), writer };
        assert!(conversation.answer().await.starts_with("220"));
        conversation
    }

    /// The server's next answer (the last line of a multi-line one).
    async fn answer(&mut self) -> String {
        use tokio::io::AsyncBufReadExt;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).await.unwrap();
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return line;
            }
        }
    }

    async fn say(&mut self, bytes: &[u8]) -> String {
        use tokio::io::AsyncWriteExt;
        self.writer.write_all(bytes).await.unwrap();
        self.answer().await
    }
}

#[tokio::test]
async fn a_dot_on_a_bare_line_feed_is_text_and_one_host_holds_few_connections() {
    let dir = tempfile::tempdir().unwrap();
    let outgoing = SmtpServer::start(&dir.path().join("mailbox"), 30);
    let relay = Relay::start(&dir.path().join("data"), &outgoing.url());
    let (owner, _, _) = workspace_with_member(&relay.address).await;
    let make = format!("/api/workspaces/{WS}/inbound/address");
    let (_, made) = call(&relay, Method::POST, &make, &owner).await;
    let address = made["address"].as_str().unwrap().to_owned();

    // A message whose text holds "<LF>.<LF>" and then what looks like commands: all of it is text,
    // and only CRLF.CRLF ends it — nothing is smuggled in as a second mail.
    let mut smtp = Conversation::open(relay.smtp_port).await;
    assert!(smtp.say(b"EHLO client.example\r\n").await.starts_with("250"));
    assert!(smtp.say(b"MAIL FROM:<ann@client.example>\r\n").await.starts_with("250"));
    assert!(smtp.say(format!("RCPT TO:<{address}>\r\n").as_bytes()).await.starts_with("250"));
    assert!(smtp.say(b"DATA\r\n").await.starts_with("354"));
    let text = "From: ann@client.example\r\nSubject: One\r\nMessage-ID: <one@client.example>\r\n\r\nhello\n.\nMAIL FROM:<eve@evil.example>\r\nRCPT TO:<x@y.example>\r\n.\r\n";
    assert!(smtp.say(text.as_bytes()).await.starts_with("250"), "one mail, taken once");
    assert!(smtp.say(b"QUIT\r\n").await.starts_with("221"));
    let list = format!("/api/workspaces/{WS}/inbound");
    let (_, listed) = call(&relay, Method::GET, &list, &owner).await;
    let mails = listed["mails"].as_array().unwrap();
    assert_eq!(mails.len(), 1, "{listed}");
    assert!(
        mails[0]["text"].as_str().unwrap().contains("MAIL FROM:<eve@evil.example>"),
        "{listed}"
    );

    // One address holds at most four connections; the fifth is told to come back.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(Conversation::open(relay.smtp_port).await);
    }
    let mut fifth = tokio::net::TcpStream::connect(("127.0.0.1", relay.smtp_port)).await.unwrap();
    let mut said = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut fifth, &mut said).await.unwrap();
    assert!(said.starts_with("421"), "{said}");
    drop(held);
}
