//! The real `rapport-relay` binary: it prints the address it bound, answers on loopback, creates its
//! data folder, and exits cleanly on SIGTERM.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

struct Relay {
    child: common::socket::Process,
    url: String,
}

impl Relay {
    fn start(dist: &std::path::Path, data: &std::path::Path) -> Relay {
        let (child, address) = common::socket::start_process(dist, data);
        Relay { child: common::socket::Process(child), url: format!("http://{address}") }
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        assert!(status.unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the relay did not stop within 10 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

#[tokio::test]
async fn relay_serves_health_on_the_printed_address_and_stops_on_sigterm() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), "<!doctype html>").unwrap();
    let data_root = tempfile::tempdir().unwrap();
    let data = data_root.path().join("nested/data");

    let mut relay = Relay::start(dist.path(), &data);
    assert!(relay.url.starts_with("http://127.0.0.1:"), "{}", relay.url);
    assert!(data.is_dir(), "the data folder is created on start");

    let health: serde_json::Value =
        reqwest::get(format!("{}/healthz", relay.url)).await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "ok");

    let page = reqwest::get(format!("{}/tasks", relay.url)).await.unwrap();
    assert_eq!(page.status(), 200);

    let status = relay.terminate();
    assert!(status.success(), "graceful shutdown exits 0, got {status:?}");
}

#[test]
fn a_port_in_use_is_a_clear_error_and_a_failing_exit() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_rapport-relay"))
        .args(["--listen", &address, "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("binding {address}")), "{stderr}");
}
