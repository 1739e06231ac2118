//! The tests' Web Push receiver: `tests/servers/push.py` (installed by `scripts/bootstrap` into
//! `.tools/python`) on a free loopback port. It holds the keys browsers would, checks each push's
//! VAPID signature and decrypts it before keeping it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The push receiver of the tests, killed when dropped.
#[derive(Debug)]
pub struct PushReceiver {
    child: Child,
    /// Its subscriptions as `PushSubscription.toJSON()` gives them: `{endpoint, keys}`.
    pub subscriptions: Vec<Value>,
    inbox: PathBuf,
}

impl PushReceiver {
    pub fn start(inbox: &Path, subscriptions: usize) -> PushReceiver {
        use std::io::{BufRead, BufReader};
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let python = root.join(".tools/python/bin/python");
        assert!(python.exists(), "{} is missing: run scripts/bootstrap", python.display());
        let mut child = Command::new(python)
            .arg(root.join("tests/servers/push.py"))
            .arg(inbox)
            .arg(subscriptions.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the push receiver starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let first: Value = serde_json::from_str(&line)
            .unwrap_or_else(|_| panic!("unexpected first line from the push receiver: {line:?}"));
        let subscriptions = first["subscriptions"].as_array().unwrap().clone();
        PushReceiver { child, subscriptions, inbox: inbox.to_owned() }
    }

    /// Subscription `n` with its endpoint's kind changed (`push`, `gone` or `flaky`).
    pub fn subscription(&self, n: usize, kind: &str) -> Value {
        let mut subscription = self.subscriptions[n].clone();
        let endpoint =
            subscription["endpoint"].as_str().unwrap().replace("/push/", &format!("/{kind}/"));
        subscription["endpoint"] = Value::String(endpoint);
        subscription
    }

    /// Every push accepted so far, oldest first.
    pub fn received(&self) -> Vec<Value> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.inbox)
            .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
            .unwrap_or_default();
        names.retain(|path| path.extension().is_some_and(|ext| ext == "json"));
        names.sort();
        names
            .into_iter()
            .map(|name| serde_json::from_str(&std::fs::read_to_string(name).unwrap()).unwrap())
            .collect()
    }

    /// Waits until `count` pushes have arrived (30 s at most), and returns them.
    pub async fn wait_for(&self, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} pushes after 30 s; rejected: {}",
                received.len(),
                self.rejected()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// What the receiver refused, one reason per line.
    pub fn rejected(&self) -> String {
        std::fs::read_to_string(self.inbox.join("rejected.log")).unwrap_or_default()
    }
}

impl Drop for PushReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
