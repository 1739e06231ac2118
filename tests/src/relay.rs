//! The relay under test: the real `rapport-relay` binary, as a child process.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::{E2eError, E2eResult, workspace_root};

/// A running relay on `127.0.0.1` with its own temporary data folder (or a given one). Killed when
/// dropped. It can be stopped and started again on the same address and data ([`Relay::stop`],
/// [`Relay::restart`]), as when the server goes away while browsers keep working.
#[derive(Debug)]
pub struct Relay {
    url: String,
    /// The process and its stdout (kept open so the relay never writes into a closed pipe); `None`
    /// while stopped.
    process: std::sync::Mutex<Option<(Child, BufReader<tokio::process::ChildStdout>)>>,
    data: PathBuf,
    dist: PathBuf,
    extra_args: Vec<String>,
    // Held for its `Drop`: the folder is removed after the process.
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
        Relay::launch(data_dir, dist_dir(), extra_args).await
    }

    /// Like [`Relay::start`], serving the app from `dist` (a copy a test can change, as a deployment
    /// of a new build would).
    pub async fn start_serving(dist: &Path, extra_args: &[&str]) -> E2eResult<Relay> {
        Relay::launch(None, dist.to_path_buf(), extra_args).await
    }

    async fn launch(
        data_dir: Option<&Path>,
        dist: PathBuf,
        extra_args: &[&str],
    ) -> E2eResult<Relay> {
        let temporary = match data_dir {
            Some(_) => None,
            None => {
                Some(tempfile::tempdir().map_err(|source| io("creating the data folder", source))?)
            }
        };
        let data: PathBuf = match (&temporary, data_dir) {
            (Some(temporary), _) => temporary.path().to_path_buf(),
            (None, Some(given)) => given.to_path_buf(),
            (None, None) => unreachable!("one of the two is set above"),
        };
        let extra_args: Vec<String> = extra_args.iter().map(|a| (*a).to_owned()).collect();
        let (child, stdout, url) = spawn(&data, &dist, "127.0.0.1:0", &extra_args).await?;
        Ok(Relay {
            url,
            process: std::sync::Mutex::new(Some((child, stdout))),
            data,
            dist,
            extra_args,
            _data: temporary,
        })
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops the relay process (SIGKILL: no goodbye to anyone) and waits until it is gone.
    pub async fn stop(&self) {
        let process = self.process.lock().expect("relay process").take();
        if let Some((mut child, _stdout)) = process {
            let _ = child.kill().await;
        }
    }

    /// Starts the relay again on the same address, over the same data.
    pub async fn restart(&self) -> E2eResult {
        self.stop().await;
        let address = self.url.trim_start_matches("http://").to_owned();
        // The port was just released; binding it again may take a moment.
        let mut last = None;
        for _attempt in 0..50 {
            match spawn(&self.data, &self.dist, &address, &self.extra_args).await {
                Ok((child, stdout, _)) => {
                    *self.process.lock().expect("relay process") = Some((child, stdout));
                    return Ok(());
                }
                Err(error) => last = Some(error),
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Err(last.unwrap_or_else(|| E2eError::Setup("the relay did not restart".into())))
    }
}

/// Starts the relay binary listening on `listen`; returns it, its stdout and its URL.
async fn spawn(
    data: &Path,
    dist: &Path,
    listen: &str,
    extra_args: &[String],
) -> E2eResult<(Child, BufReader<tokio::process::ChildStdout>, String)> {
    if !dist.join("index.html").is_file() {
        return Err(E2eError::Setup(format!(
            "{} has no built app; run `trunk build --release` (scripts/test does) first",
            dist.display()
        )));
    }
    let binary = relay_binary()?;
    let mut child = Command::new(&binary)
        .args(["--listen", listen, "--log-format", "json"])
        .arg("--dist")
        .arg(dist)
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
    Ok((child, stdout, url))
}

/// The built app the relay serves: `RAPPORT_DIST`, or `dist/` at the workspace root.
pub fn dist_dir() -> PathBuf {
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
