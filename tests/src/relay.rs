//! The relay under test: the real `rapport-relay` binary, as a child process.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::{E2eError, E2eResult, workspace_root};

/// A running relay on `127.0.0.1` with its own temporary data folder (or a given one). Killed when
/// dropped.
#[derive(Debug)]
pub struct Relay {
    url: String,
    // Held for their `Drop`: the process is killed, then the folder removed.
    _child: Child,
    // Kept open so the relay never writes into a closed pipe.
    _stdout: BufReader<tokio::process::ChildStdout>,
    _data: Option<tempfile::TempDir>,
}

impl Relay {
    /// Starts the relay on a free port, serving `dist/` (or `RAPPORT_DIST`), and waits until it listens.
    pub async fn start(extra_args: &[&str]) -> E2eResult<Relay> {
        Relay::start_in(None, extra_args).await
    }

    /// Like [`Relay::start`], keeping its data in `data_dir` when given (a benchmark reuses the demo
    /// workspace cached there) instead of a temporary folder.
    pub async fn start_in(data_dir: Option<&Path>, extra_args: &[&str]) -> E2eResult<Relay> {
        let dist = dist_dir();
        if !dist.join("index.html").is_file() {
            return Err(E2eError::Setup(format!(
                "{} has no built app; run `trunk build --release` (scripts/test does) first",
                dist.display()
            )));
        }
        let binary = relay_binary()?;
        let temporary = match data_dir {
            Some(_) => None,
            None => {
                Some(tempfile::tempdir().map_err(|source| io("creating the data folder", source))?)
            }
        };
        let data: &Path = match (&temporary, data_dir) {
            (Some(temporary), _) => temporary.path(),
            (None, Some(given)) => given,
            (None, None) => unreachable!("one of the two is set above"),
        };
        let mut child = Command::new(&binary)
            .args(["--listen", "127.0.0.1:0", "--log-format", "json"])
            .arg("--dist")
            .arg(&dist)
            .arg("--data-dir")
            .arg(data)
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| io(&format!("starting {}", binary.display()), source))?;
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
        let mut first_line = String::new();
        let read = stdout.read_line(&mut first_line);
        tokio::time::timeout(std::time::Duration::from_secs(20), read)
            .await
            .map_err(|_| E2eError::Timeout { what: "the relay to listen".into(), seconds: 20 })?
            .map_err(|source| io("reading the relay's address", source))?;
        let url = first_line
            .trim()
            .strip_prefix("Rapport relay listening on ")
            .ok_or_else(|| E2eError::Setup(format!("relay printed {first_line:?}")))?
            .to_owned();
        Ok(Relay { url, _child: child, _stdout: stdout, _data: temporary })
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }
}

fn dist_dir() -> PathBuf {
    std::env::var_os("RAPPORT_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("dist"))
}

/// `RAPPORT_RELAY_BIN`, or the binary Cargo built beside this test executable.
fn relay_binary() -> E2eResult<PathBuf> {
    if let Some(path) = std::env::var_os("RAPPORT_RELAY_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe().map_err(|source| io("locating the test binary", source))?;
    // target/<profile>/deps/<test> → target/<profile>/rapport-relay
    let candidate = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("rapport-relay"))
        .ok_or_else(|| E2eError::Setup("unexpected test binary location".into()))?;
    if candidate.is_file() {
        Ok(candidate)
    } else {
        Err(E2eError::Setup(format!(
            "{} is missing; build it with `cargo build -p rapport-sync-server`",
            candidate.display()
        )))
    }
}

fn io(what: &str, source: std::io::Error) -> E2eError {
    E2eError::Io { what: what.to_owned(), source }
}
