//! Issue 22 benchmark: a campaign of 10,000 recipients through the real relay binary and the tests'
//! real SMTP server on loopback. A device (`core::outbox::DeviceOutbox`, as the app drives it) queues
//! the 10,000 copies at once and hands them over in batches (`POST …/outbox`, `DeviceOutbox::batches`
//! and `batch_answered`); then the relay sends them.
//!
//! Measured: the handover (first request to last answer), the send (first answer to the SMTP server's
//! 10,000th message, and mails a second), the relay's memory (RSS) before, with the 10,000 waiting, and
//! at its peak while sending; and that each copy went once.
//!
//! Run: `cargo bench -p rapport-sync-server --bench campaign_send` (`-- --quick`: 2,000 recipients).
#![allow(clippy::print_stdout, clippy::print_stderr)] // a report is this program's output

#[allow(dead_code)]
#[path = "../tests/common/socket.rs"]
mod socket;

#[allow(dead_code)]
#[path = "../tests/common/smtp.rs"]
mod smtp;

use std::time::{Duration, Instant};

use rapport_core::ids::WorkspaceId;
use rapport_core::outbox::{
    Batch, BatchItem, BatchOutcome, DeviceOutbox, Mail, OutboxId, Recipient, Work,
};

fn copy(n: usize) -> Work {
    Work::Mail(Mail {
        to: vec![Recipient {
            address: format!("person{n}@client.example"),
            name: format!("Person {n}"),
        }],
        subject: format!("Person {n}, meet us at the spring fair"),
        text: format!("Dear Person {n},\n\nwe would be glad to see you at our stand.\n\n")
            .repeat(6),
        reply_to: None,
        bulk: true,
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

#[tokio::main]
async fn main() {
    let recipients = if std::env::args().any(|a| a == "--quick") { 2_000 } else { 10_000 };
    let dir = tempfile::tempdir().unwrap();
    let smtp = smtp::SmtpServer::start(&dir.path().join("mailbox"), 0);
    let data = dir.path().join("data");
    let flags = ["--smtp-url", &smtp.url(), "--mail-from", "CRM <crm@acme.example>"];
    let (child, address) = socket::start_process_with(&data.join("no-dist"), &data, &flags, &[]);
    let relay = socket::Process(child);
    let (_owner, member, _viewer) = socket::workspace_with_member(&address).await;
    let workspace: WorkspaceId = socket::WS.parse().unwrap();
    let before_mb = socket::rss_mb(relay.id());

    // The device: every copy queued at once, handed over batch by batch.
    let mut outbox = DeviceOutbox::default();
    let copies = (0..recipients).map(|n| {
        (OutboxId::from_cause(workspace, &["campaign", "spring", &n.to_string()]), copy(n))
    });
    let queued_on_device = Instant::now();
    assert_eq!(outbox.queue_many(copies, 1), recipients);
    let device_ms = queued_on_device.elapsed().as_secs_f64() * 1000.0;
    let client = reqwest::Client::new();
    let url = format!("http://{address}/api/workspaces/{}/outbox", socket::WS);
    let started = Instant::now();
    let mut requests = 0;
    for batch in outbox.batches() {
        let items = batch.iter().map(|w| BatchItem { id: &w.id, work: &w.work }).collect();
        let response = client
            .post(&url)
            .header("cookie", &member)
            .json(&Batch { items })
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        let outcome = outbox.batch_answered(&batch, status, &body);
        assert_eq!(outcome, BatchOutcome::Done, "{status} {body}");
        requests += 1;
    }
    let handed_over = started.elapsed();
    assert!(outbox.waiting().is_empty());
    let waiting_mb = socket::rss_mb(relay.id());

    // The relay sends: the mailbox counted until every copy is there.
    let mut peak_mb = waiting_mb;
    let sending = Instant::now();
    loop {
        let accepted = smtp.messages().len();
        peak_mb = peak_mb.max(socket::rss_mb(relay.id()));
        if accepted >= recipients {
            break;
        }
        assert!(
            sending.elapsed() < Duration::from_secs(1_200),
            "{accepted} of {recipients} after 20 min"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sent = sending.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let accepted = smtp.messages().len();
    println!("campaign_send: {recipients} recipients, one device, batches of up to 200");
    println!(
        "  on the device: queued in {device_ms:.0} ms; handed over in {requests} requests in {:.2} s",
        handed_over.as_secs_f64()
    );
    println!(
        "  sent: all {recipients} accepted by the SMTP server {:.1} s after the handover ({:.0} a second); {accepted} messages in all",
        sent.as_secs_f64(),
        recipients as f64 / sent.as_secs_f64()
    );
    println!(
        "  relay RSS: {before_mb:.1} MB before, {waiting_mb:.1} MB with {recipients} waiting, peak {peak_mb:.1} MB while sending"
    );
    assert_eq!(accepted, recipients, "each copy once");
}
