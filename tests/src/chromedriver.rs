//! Debian's chromedriver, started on a free loopback port for one test.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::{E2eError, E2eResult, wait_until};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A running chromedriver. Killed (and with it every browser it started) when dropped.
#[derive(Debug)]
pub struct ChromeDriver {
    url: String,
    _child: Child,
}

impl ChromeDriver {
    pub async fn start() -> E2eResult<ChromeDriver> {
        let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.to_owned());
        // chromedriver cannot report a port it chose itself, so take one the kernel hands out.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|source| E2eError::Io { what: "finding a free port".into(), source })?
            .port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| E2eError::Io {
                what: format!("starting {binary} (scripts/bootstrap installs it)"),
                source,
            })?;
        let url = format!("http://127.0.0.1:{port}");
        let status = format!("{url}/status");
        wait_until("chromedriver to answer", 20, || {
            let status = status.clone();
            async move {
                let ready = tokio::time::timeout(Duration::from_secs(2), probe(&status)).await;
                Ok(matches!(ready, Ok(true)).then_some(()))
            }
        })
        .await?;
        Ok(ChromeDriver { url, _child: child })
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

async fn probe(url: &str) -> bool {
    matches!(reqwest::get(url).await, Ok(response) if response.status().is_success())
}
