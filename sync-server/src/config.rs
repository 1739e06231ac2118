//! Command-line flags and environment variables. Every flag has an environment twin so the relay can be
//! configured the same way in a terminal, a systemd unit or a container.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use crate::limits::Limits;

const MB: u64 = 1024 * 1024;

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

    /// Number of support tickets in the demo workspace; one for every twenty parties when not given.
    #[arg(long, env = "RAPPORT_DEMO_TICKETS")]
    pub demo_tickets: Option<usize>,

    /// Number of contracts in the demo workspace; one for every hundred parties (at least four) when
    /// not given.
    #[arg(long, env = "RAPPORT_DEMO_CONTRACTS")]
    pub demo_contracts: Option<usize>,

    /// Number of suppliers in the demo workspace with a year of orders and ratings; one for every
    /// 500 parties (at least three) when not given.
    #[arg(long, env = "RAPPORT_DEMO_SUPPLIERS")]
    pub demo_suppliers: Option<usize>,

    /// Seconds a sync socket may stay silent before the relay closes it (devices send presence every
    /// 10 s, so only dead connections stay silent).
    #[arg(long, env = "RAPPORT_IDLE_TIMEOUT_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,

    /// The origin browsers reach the relay at (e.g. `https://crm.example.com`) when a proxy in front of
    /// it rewrites `Host`; browsers' `Origin` is checked against it instead.
    #[arg(long, env = "RAPPORT_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,

    /// The relay is reached over HTTPS (a TLS proxy in front): session cookies become `Secure` and
    /// `__Host-` prefixed.
    #[arg(long, env = "RAPPORT_BEHIND_TLS")]
    pub behind_tls: bool,

    /// A bearer token that reads `/metrics` from anywhere; without one, only loopback clients may.
    #[arg(long, env = "RAPPORT_METRICS_TOKEN")]
    pub metrics_token: Option<String>,

    /// Documents one workspace may hold.
    #[arg(long, env = "RAPPORT_MAX_DOCUMENTS_PER_WORKSPACE", default_value_t = Limits::default().documents_per_workspace)]
    pub max_documents_per_workspace: u64,

    /// Megabytes one document may take in storage, 1 to 12: a whole document must fit one sync frame.
    #[arg(long, env = "RAPPORT_MAX_DOCUMENT_MB", default_value_t = Limits::default().document_bytes / MB, value_parser = clap::value_parser!(u64).range(1..=crate::limits::MOST_DOCUMENT_BYTES / MB))]
    pub max_document_mb: u64,

    /// Megabytes all of one workspace's documents may take in storage.
    #[arg(long, env = "RAPPORT_MAX_WORKSPACE_MB", default_value_t = Limits::default().workspace_bytes / MB)]
    pub max_workspace_mb: u64,

    /// Megabytes per second one sync socket may send, sustained (reading pauses beyond it).
    #[arg(long, env = "RAPPORT_MAX_MB_PER_SECOND", default_value_t = Limits::default().bytes_per_second / MB)]
    pub max_mb_per_second: u64,

    /// Sync sockets one account may hold open at once.
    #[arg(long, env = "RAPPORT_MAX_SOCKETS_PER_ACCOUNT", default_value_t = Limits::default().sockets_per_account)]
    pub max_sockets_per_account: usize,

    /// HTTP connections served at once.
    #[arg(long, env = "RAPPORT_MAX_CONNECTIONS", default_value_t = Limits::default().http_connections)]
    pub max_connections: usize,

    /// HTTP connections (sync sockets included) one client address may hold at once; an IPv6 client
    /// counts by its /64. Not applied with --trust-forwarded-for (every connection is the proxy's).
    #[arg(long, env = "RAPPORT_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = Limits::default().connections_per_address)]
    pub max_connections_per_address: usize,

    /// Sync sockets open at once, all accounts together.
    #[arg(long, env = "RAPPORT_MAX_SYNC_SOCKETS", default_value_t = Limits::default().sync_sockets)]
    pub max_sync_sockets: usize,

    /// Workspaces one account may own.
    #[arg(long, env = "RAPPORT_MAX_WORKSPACES_PER_ACCOUNT", default_value_t = Limits::default().workspaces_per_account)]
    pub max_workspaces_per_account: u64,

    /// Knowledge-base articles one workspace may publish on the help pages at once.
    #[arg(long, env = "RAPPORT_MAX_PUBLISHED_ARTICLES", default_value_t = Limits::default().published_articles_per_workspace)]
    pub max_published_articles: u64,

    /// Investor updates one workspace may keep on the relay for their read-only links.
    #[arg(long, env = "RAPPORT_MAX_PUBLISHED_UPDATES", default_value_t = Limits::default().published_updates_per_workspace)]
    pub max_published_updates: u64,

    /// Seconds a device holds a key of the once-only ledger it took (an automation's occurrence, a
    /// sequence's step): another device may do the work once the hold ends without the first saying
    /// it was done. A device says so only once the relay holds what it wrote, which may take up to a
    /// minute: below about 90 s devices would do work again routinely (the tests use 1 s to see it).
    #[arg(long, env = "RAPPORT_ONCE_HOLD_SECS", default_value_t = Limits::default().once_hold_secs, value_parser = clap::value_parser!(i64).range(1..=3600))]
    pub once_hold_secs: i64,

    /// Sign-in and sign-up attempts per client address per minute.
    #[arg(long, env = "RAPPORT_SIGN_INS_PER_MINUTE", default_value_t = Limits::default().sign_ins_per_minute_per_address)]
    pub sign_ins_per_minute: u32,

    /// Unused sync tickets one account may hold.
    #[arg(long, env = "RAPPORT_MAX_TICKETS_PER_ACCOUNT", default_value_t = Limits::default().tickets_per_account)]
    pub max_tickets_per_account: u64,

    /// The relay is behind a proxy that appends the client's address to `X-Forwarded-For`: rate
    /// limits per address use that address instead of the proxy's.
    #[arg(long, env = "RAPPORT_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// The SMTP server the relay sends the outbox's mail through, as a URL with the submission
    /// credentials: `smtp://user:password@host:587?tls=required` (STARTTLS), `smtps://user:password@host`
    /// (TLS from the start, port 465), `smtp://host:25` (a local MTA, no TLS). Without it the relay
    /// sends no mail and devices hand messages to their mail app. Never written to a synced document.
    #[arg(long, env = "RAPPORT_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// A secret the mail system presents (`Authorization: Bearer …`) when it hands the relay a bounce,
    /// a delivery status notification, at `POST /api/mail/bounces` (e.g. from Postfix's `pipe` through
    /// curl, or a provider's webhook). Without it the relay takes no bounces.
    #[arg(long, env = "RAPPORT_BOUNCE_TOKEN", hide_env_values = true)]
    pub bounce_token: Option<String>,

    /// Where the relay receives mail for workspaces' support addresses over SMTP (`0.0.0.0:25`, or a
    /// port a mail system forwards to). Without it the relay receives no mail.
    #[arg(long, env = "RAPPORT_INBOUND_SMTP")]
    pub inbound_smtp: Option<SocketAddr>,

    /// The domain of the support addresses (`support-…@<domain>`): one whose MX points at the relay,
    /// or that a mail system delivers to it. Needed with --inbound-smtp.
    #[arg(long, env = "RAPPORT_INBOUND_DOMAIN")]
    pub inbound_domain: Option<String>,

    /// The sender of the relay's mail, `Name <address>` (needed with --smtp-url).
    #[arg(long, env = "RAPPORT_MAIL_FROM")]
    pub mail_from: Option<String>,

    /// Seconds one SMTP exchange may take before the attempt counts as failed and is retried.
    #[arg(long, env = "RAPPORT_SMTP_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub smtp_timeout_secs: u64,

    /// Seconds before a mail that failed for a temporary reason is tried again; each next pause is
    /// three times longer, 6 hours at most.
    #[arg(long, env = "RAPPORT_MAIL_RETRY_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub mail_retry_secs: u64,

    /// Attempts at one mail before it is marked failed with the server's last answer.
    #[arg(long, env = "RAPPORT_MAIL_ATTEMPTS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=30))]
    pub mail_attempts: u32,

    /// Mails handed to the SMTP server at once (1 to 10). A relay killed mid-send resends at most these,
    /// with the same `Message-ID`s; 1 makes that a single mail but sends ~22 mails a second.
    #[arg(long, env = "RAPPORT_MAIL_AT_ONCE", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=10))]
    pub mail_at_once: u64,

    /// Campaign mails handed to the SMTP server a minute at most, whatever campaigns ask for (0: as
    /// fast as it takes them) — a mail provider's sending limit, say. Mail written to one person is
    /// never held back by it.
    #[arg(long, env = "RAPPORT_BULK_PER_MINUTE", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub bulk_per_minute: u32,

    /// Send no push notifications (scheduled reminders then reach devices only while Rapport is open).
    #[arg(long, env = "RAPPORT_NO_PUSH")]
    pub no_push: bool,

    /// How push services may reach whoever runs this relay (the VAPID `sub` claim): `mailto:you@…` or
    /// an `https://` page. Defaults to the mail sender's address, else the public origin.
    #[arg(long, env = "RAPPORT_PUSH_CONTACT")]
    pub push_contact: Option<String>,

    /// A push service host subscriptions may point at (with its subdomains), instead of the browsers'
    /// own (fcm.googleapis.com, push.services.mozilla.com, notify.windows.com, push.apple.com).
    /// Repeat it for several.
    #[arg(long = "push-service", env = "RAPPORT_PUSH_SERVICES", value_delimiter = ',')]
    pub push_services: Vec<String>,

    /// Also push to `http://127.0.0.1:…` endpoints: for a test's push receiver, never in production.
    #[arg(long, env = "RAPPORT_PUSH_ALLOW_LOOPBACK")]
    pub push_allow_loopback: bool,

    /// Seconds before a push that failed for a temporary reason is tried again; each next pause is
    /// three times longer, an hour at most.
    #[arg(long, env = "RAPPORT_PUSH_RETRY_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub push_retry_secs: u64,

    /// Megabytes one attached file may take.
    #[arg(long, env = "RAPPORT_MAX_FILE_MB", default_value_t = 25, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_file_mb: u64,

    /// Megabytes all of one workspace's attached files may take.
    #[arg(long, env = "RAPPORT_MAX_FILES_MB_PER_WORKSPACE", default_value_t = 2048)]
    pub max_files_mb_per_workspace: u64,

    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, env = "RAPPORT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl Config {
    /// The limits these flags set, the rest at their defaults.
    pub fn limits(&self) -> Limits {
        Limits {
            documents_per_workspace: self.max_documents_per_workspace,
            document_bytes: self.max_document_mb.saturating_mul(MB),
            workspace_bytes: self.max_workspace_mb.saturating_mul(MB),
            bytes_per_second: self.max_mb_per_second.saturating_mul(MB),
            sockets_per_account: self.max_sockets_per_account,
            http_connections: self.max_connections,
            connections_per_address: self.max_connections_per_address,
            sync_sockets: self.max_sync_sockets,
            workspaces_per_account: self.max_workspaces_per_account,
            published_articles_per_workspace: self.max_published_articles,
            published_updates_per_workspace: self.max_published_updates,
            sign_ins_per_minute_per_address: self.sign_ins_per_minute,
            tickets_per_account: self.max_tickets_per_account,
            trust_forwarded_for: self.trust_forwarded_for,
            once_hold_secs: self.once_hold_secs,
            ..Limits::default()
        }
    }
}

impl Config {
    /// Where attachments are kept (`files/` in the data folder) and how large they may be.
    pub fn file_store(&self) -> crate::files::FileStore {
        crate::files::FileStore::new(
            self.data_dir.join("files"),
            self.max_file_mb.saturating_mul(MB),
            self.max_files_mb_per_workspace.saturating_mul(MB),
        )
    }

    /// The push settings these flags configure, unless push is off; `origin` is the relay's address
    /// when no --public-origin is given.
    pub fn push_settings(&self, origin: &str) -> Option<crate::push::PushSettings> {
        if self.no_push {
            return None;
        }
        let mail_address = self.mail_from.as_deref().and_then(|from| {
            let address = from.rsplit_once('<').map_or(from, |(_, rest)| rest);
            let address = address.trim().trim_end_matches('>').trim();
            address.contains('@').then(|| format!("mailto:{address}"))
        });
        let public = self.public_origin.clone().filter(|origin| origin.starts_with("https://"));
        let contact = self
            .push_contact
            .clone()
            .or(mail_address)
            .or(public)
            .unwrap_or_else(|| origin.replacen("http://", "https://", 1));
        let mut settings = crate::push::PushSettings::new(contact);
        if !self.push_services.is_empty() {
            settings.services =
                self.push_services.iter().map(|host| host.trim().to_owned()).collect();
        }
        settings.allow_loopback = self.push_allow_loopback;
        settings.retry_after = std::time::Duration::from_secs(self.push_retry_secs);
        Some(settings)
    }

    /// The mail sender these flags configure, if any; `links_origin` is where unsubscribe links point
    /// when no --public-origin is given.
    pub fn mail_settings(
        &self,
        links_origin: &str,
    ) -> Result<Option<crate::mail::MailSettings>, String> {
        let Some(smtp_url) = self.smtp_url.clone().filter(|url| !url.trim().is_empty()) else {
            return Ok(None);
        };
        let Some(from) = self.mail_from.clone().filter(|from| !from.trim().is_empty()) else {
            return Err("--smtp-url needs --mail-from (the sender, `Name <address>`)".into());
        };
        Ok(Some(crate::mail::MailSettings {
            smtp_url,
            from,
            timeout: std::time::Duration::from_secs(self.smtp_timeout_secs),
            retry_after: std::time::Duration::from_secs(self.mail_retry_secs),
            attempts: self.mail_attempts,
            at_once: self.mail_at_once as usize,
            bulk_per_minute: std::num::NonZeroU32::new(self.bulk_per_minute),
            links_origin: self.public_origin.clone().unwrap_or_else(|| links_origin.to_owned()),
            bounce_token: self.bounce_token.clone().filter(|token| !token.trim().is_empty()),
        }))
    }
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
    fn a_document_limit_no_frame_could_carry_is_refused() {
        let err =
            Config::try_parse_from(["rapport-relay", "--max-document-mb", "256"]).unwrap_err();
        assert!(err.to_string().contains("--max-document-mb"), "{err}");
        let config = Config::try_parse_from(["rapport-relay", "--max-document-mb", "4"]).unwrap();
        assert_eq!(config.limits().document_bytes, 4 * MB);
    }

    #[test]
    fn mail_is_off_by_default_and_a_server_without_a_sender_is_refused() {
        let config = Config::try_parse_from(["rapport-relay"]).unwrap();
        assert!(config.mail_settings("http://127.0.0.1:8080").unwrap().is_none());
        let config =
            Config::try_parse_from(["rapport-relay", "--smtp-url", "smtp://127.0.0.1:25"]).unwrap();
        assert!(config.mail_settings("http://x").unwrap_err().contains("--mail-from"));
        let config = Config::try_parse_from([
            "rapport-relay",
            "--smtp-url",
            "smtp://127.0.0.1:25",
            "--mail-from",
            "CRM <crm@example.com>",
        ])
        .unwrap();
        let settings = config.mail_settings("http://127.0.0.1:9").unwrap().unwrap();
        assert_eq!(settings.links_origin, "http://127.0.0.1:9");
        assert_eq!((settings.attempts, settings.retry_after.as_secs()), (8, 30));
    }

    #[test]
    fn a_bad_listen_address_is_a_clear_error() {
        let err = Config::try_parse_from(["rapport-relay", "--listen", "localhost"]).unwrap_err();
        assert!(err.to_string().contains("--listen"), "{err}");
    }
}
