//! What one workspace, account or connection may cost the relay. Anyone can sign up, so every limit
//! here is a limit on what a stranger can make the relay hold or do; ARCHITECTURE.md lists what each
//! protects.

use std::time::Duration;

/// The relay's limits; [`Limits::default`] is what `rapport-relay` runs with unless told otherwise.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Documents one workspace may hold (the 10k-party demo uses about 90).
    pub documents_per_workspace: u64,
    /// Bytes one document may take in storage (its chunks, before compaction).
    pub document_bytes: u64,
    /// Bytes one sync socket may send per second, sustained; reading pauses beyond it.
    pub bytes_per_second: u64,
    /// Bytes one sync socket may send at once before [`Limits::bytes_per_second`] applies.
    pub bytes_burst: u64,
    /// Sync sockets one account may hold open at once.
    pub sockets_per_account: usize,
    /// Unused sync tickets one account may hold.
    pub tickets_per_account: u64,
    /// Bytes queued for one socket before it counts as not reading and is closed.
    pub outbox_bytes: usize,
    /// How long one frame may take to be written to a socket before it counts as not reading.
    pub write_timeout: Duration,
    /// HTTP connections served at once; more wait to be accepted.
    pub http_connections: usize,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// Password hashes computed at once (each takes ~19 MiB and a core for ~50 ms); more wait, and
    /// beyond [`Limits::hashes_waiting`] are refused at once.
    pub hashes_at_once: usize,
    pub hashes_waiting: usize,
    /// Sign-in and sign-up attempts per client address per minute (after a burst of the same size).
    pub sign_ins_per_minute_per_address: u32,
    /// Sign-in attempts per email per minute (after a burst of the same size).
    pub sign_ins_per_minute_per_email: u32,
    /// Behind a proxy every client comes from the proxy's address: take the client's from the last
    /// `X-Forwarded-For` entry (the one the proxy added) instead, for the per-address limits.
    pub trust_forwarded_for: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Limits {
            documents_per_workspace: 20_000,
            document_bytes: 256 * 1024 * 1024,
            bytes_per_second: 8 * 1024 * 1024,
            bytes_burst: 64 * 1024 * 1024,
            sockets_per_account: 32,
            tickets_per_account: 64,
            outbox_bytes: 64 * 1024 * 1024,
            write_timeout: Duration::from_secs(30),
            http_connections: 4_096,
            header_read_timeout: Duration::from_secs(10),
            // One core stays free for syncing while passwords are hashed.
            hashes_at_once: cores.saturating_sub(1).max(1),
            hashes_waiting: 16,
            sign_ins_per_minute_per_address: 20,
            sign_ins_per_minute_per_email: 10,
            trust_forwarded_for: false,
        }
    }
}
