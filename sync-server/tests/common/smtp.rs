//! The tests' SMTP server: `tests/servers/smtp.py` (aiosmtpd, installed by `scripts/bootstrap` into
//! `.tools/python`) on a free loopback port, and what it has accepted.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The SMTP server of the tests, killed when dropped.
#[derive(Debug)]
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    mailbox: PathBuf,
}

impl SmtpServer {
    pub fn start(mailbox: &Path, slow_seconds: u64) -> SmtpServer {
        use std::io::{BufRead, BufReader};
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let python = root.join(".tools/python/bin/python");
        assert!(python.exists(), "{} is missing: run scripts/bootstrap", python.display());
        let mut child = Command::new(python)
            .arg(root.join("tests/servers/smtp.py"))
            .arg(mailbox)
            .env("SLOW_SECONDS", slow_seconds.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the SMTP server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from the SMTP server: {line:?}"));
        SmtpServer { child, port, mailbox: mailbox.to_owned() }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every accepted message's file and text, oldest first.
    pub fn accepted_files(&self) -> Vec<(PathBuf, String)> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(&self.mailbox)
            .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
            .unwrap_or_default();
        names.retain(|path| path.extension().is_some_and(|ext| ext == "eml"));
        names.sort();
        names.into_iter().map(|eml| (eml.clone(), std::fs::read_to_string(eml).unwrap())).collect()
    }

    /// Every message accepted so far with its envelope's recipients, oldest first.
    pub fn accepted(&self) -> Vec<(String, String)> {
        let files = self.accepted_files().into_iter();
        files
            .map(|(eml, text)| (text, std::fs::read_to_string(eml.with_extension("rcpt")).unwrap()))
            .collect()
    }

    /// The delivery status notifications the server wrote for messages it accepted and then found
    /// undeliverable (recipients `bounce…`), oldest first: what its mail system would hand the relay.
    pub fn notifications(&self) -> Vec<Vec<u8>> {
        let files = self.accepted_files().into_iter();
        files.filter_map(|(eml, _)| std::fs::read(eml.with_extension("dsn")).ok()).collect()
    }

    pub fn messages(&self) -> Vec<String> {
        self.accepted().into_iter().map(|(message, _)| message).collect()
    }

    /// The messages accepted for `address`.
    pub fn to(&self, address: &str) -> Vec<String> {
        let accepted = self.accepted().into_iter();
        accepted.filter(|(_, rcpt)| rcpt.lines().any(|r| r == address)).map(|(m, _)| m).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
