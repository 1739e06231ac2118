//! Issue 20 benchmark: a 20 MB attachment through the real relay binary on loopback — upload and
//! download throughput, and the relay's memory while it streams (its peak resident set, `VmHWM`,
//! before and after, from `/proc`).
//!
//! Run: `cargo bench -p rapport-sync-server --bench attachment_transfer`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a report is this program's output

#[allow(dead_code)]
#[path = "../tests/common/socket.rs"]
mod socket;

use std::time::Instant;

use sha2::{Digest, Sha256};

const SIZE: usize = 20 * 1024 * 1024;
const RUNS: usize = 5;

/// The relay's peak and current resident memory, in MB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

#[tokio::main]
async fn main() {
    let data = tempfile::tempdir().unwrap();
    let (mut child, address) =
        socket::start_process_with(&data.path().join("no-dist"), data.path(), &[], &[]);
    let (owner, _, _) = socket::workspace_with_member(&address).await;
    let client = reqwest::Client::new();
    let (peak_before, _) = memory(child.id());
    let mut uploads = Vec::new();
    let mut downloads = Vec::new();
    for run in 0..RUNS {
        let file: Vec<u8> =
            (0..SIZE).map(|i| (i as u8).wrapping_mul(17).wrapping_add(run as u8)).collect();
        let hash: String = Sha256::digest(&file).iter().map(|b| format!("{b:02x}")).collect();
        let url = format!("http://{address}/api/workspaces/{}/files/{hash}", socket::WS);
        let started = Instant::now();
        let response = client
            .put(&url)
            .header("cookie", &owner)
            .header("content-type", "application/pdf")
            .body(file.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        uploads.push(started.elapsed().as_secs_f64());
        let started = Instant::now();
        let body =
            client.get(&url).header("cookie", &owner).send().await.unwrap().bytes().await.unwrap();
        downloads.push(started.elapsed().as_secs_f64());
        assert_eq!(body.len(), SIZE);
    }
    let (peak_after, now) = memory(child.id());
    let _ = child.kill();
    let _ = child.wait();
    let median = |times: &mut Vec<f64>| {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let mb = SIZE as f64 / (1024.0 * 1024.0);
    let (up, down) = (median(&mut uploads), median(&mut downloads));
    println!("attachment_transfer: {RUNS} × 20 MB on loopback");
    println!("  upload   median {:.3} s ({:.0} MB/s), all {uploads:.3?}", up, mb / up);
    println!("  download median {:.3} s ({:.0} MB/s), all {downloads:.3?}", down, mb / down);
    println!(
        "  relay peak memory {peak_before:.1} MB before, {peak_after:.1} MB after ({now:.1} MB now)"
    );
}
