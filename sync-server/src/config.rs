//! Command-line flags and environment variables. Every flag has an environment twin so the relay can be
//! configured the same way in a terminal, a systemd unit or a container.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Rapport relay: serves the Rapport web app and syncs its data between devices.
#[derive(Debug, Clone, Parser)]
#[command(name = "rapport-relay", version)]
pub struct Config {
    /// Address to listen on. Port 0 picks a free port (the chosen address is printed on start).
    #[arg(long, env = "RAPPORT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Folder with the built web app (the output of `trunk build`).
    #[arg(long, env = "RAPPORT_DIST", default_value = "dist")]
    pub dist: PathBuf,

    /// Folder for the relay's embedded database. Created if missing.
    #[arg(long, env = "RAPPORT_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Offer a seeded demo workspace to browsers that have no data yet (generated once, cached in the data
    /// folder).
    #[arg(long, env = "RAPPORT_DEMO")]
    pub demo: bool,

    /// Number of parties in the demo workspace; interactions are five times as many.
    #[arg(long, env = "RAPPORT_DEMO_PARTIES", default_value_t = 10_000)]
    pub demo_parties: usize,

    /// Seconds a sync socket may stay silent before the relay closes it (devices send presence every
    /// 10 s, so only dead connections stay silent).
    #[arg(long, env = "RAPPORT_IDLE_TIMEOUT_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,

    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "RAPPORT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_serve_loopback_8080_from_dist_with_data_dir() {
        let config = Config::try_parse_from(["rapport-relay"]).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.dist, PathBuf::from("dist"));
        assert_eq!(config.data_dir, PathBuf::from("data"));
        assert_eq!(config.log_format, LogFormat::Text);
        assert_eq!(config.idle_timeout_secs, 300);
    }

    #[test]
    fn a_bad_listen_address_is_a_clear_error() {
        let err = Config::try_parse_from(["rapport-relay", "--listen", "localhost"]).unwrap_err();
        assert!(err.to_string().contains("--listen"), "{err}");
    }
}
