//! What one workspace, account or connection may cost the relay. Anyone can sign up, so every limit
//! here is a limit on what a stranger can make the relay hold or do; ARCHITECTURE.md lists what each
//! protects.

use std::time::Duration;

/// The largest document limit there can be: a device that has none of a document is sent it whole, in
/// one chunk of one frame (Automerge's sync), and a frame carries at most
/// [`rapport_core::protocol::MAX_SYNC_DATA_BYTES`] (16 MB less an envelope). A quarter is left for a
/// snapshot that comes out a little larger than the chunks it was counted from. The 10,000-party demo's
/// largest document is 39 KB.
pub const MOST_DOCUMENT_BYTES: u64 = 12 * 1024 * 1024;

/// The relay's limits; [`Limits::default`] is what `rapport-relay` runs with unless told otherwise.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Documents one workspace may hold (the 10k-party demo uses about 90).
    pub documents_per_workspace: u64,
    /// Bytes one document may take in storage (its chunks, before compaction), counting a peer's
    /// compressed changes as they inflate. At most [`MOST_DOCUMENT_BYTES`].
    pub document_bytes: u64,
    /// Bytes all of one workspace's documents may take in storage. With
    /// [`Limits::workspaces_per_account`] it bounds what one account can make the relay store.
    pub workspace_bytes: u64,
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
    /// HTTP connections (sync sockets included) one client address may hold at once (an IPv6
    /// client's /64); not applied behind a proxy (`trust_forwarded_for`), where every connection comes
    /// from the proxy.
    pub connections_per_address: usize,
    /// Sync sockets open at once, all accounts together (each holds sync states and buffers).
    pub sync_sockets: usize,
    /// Workspaces one account may create.
    pub workspaces_per_account: u64,
    /// How long a client may take to send a request's body, and a handler to answer.
    pub request_timeout: Duration,
    /// How long an upload or a download of a file may take, whole (as long as its bytes keep coming).
    pub transfer_timeout: Duration,
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
    /// Knowledge-base articles one workspace may publish on the help pages at once (each up to
    /// `rapport_core::knowledge::MOST_BODY_BYTES` of text).
    pub published_articles_per_workspace: u64,
    /// Investor updates one workspace may keep on the relay (withdrawn ones count: their readers'
    /// activity stays), each up to about 1 MB (`rapport_core::investor`'s limits).
    pub published_updates_per_workspace: u64,
    /// How long a device holds a key of the once-only ledger it took (`crate::once`): long enough to
    /// write the change to its documents, short enough that another device does it soon after one
    /// that went quiet.
    pub once_hold_secs: i64,
}

impl Default for Limits {
    fn default() -> Limits {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        Limits {
            once_hold_secs: 120,
            documents_per_workspace: 20_000,
            document_bytes: MOST_DOCUMENT_BYTES,
            workspace_bytes: 4 * 1024 * 1024 * 1024,
            bytes_per_second: 8 * 1024 * 1024,
            bytes_burst: 64 * 1024 * 1024,
            sockets_per_account: 32,
            tickets_per_account: 64,
            outbox_bytes: 64 * 1024 * 1024,
            write_timeout: Duration::from_secs(30),
            http_connections: 4_096,
            header_read_timeout: Duration::from_secs(10),
            connections_per_address: 256,
            sync_sockets: 20_000,
            workspaces_per_account: 100,
            request_timeout: Duration::from_secs(30),
            // 25 MB at 1 Mbit/s takes 200 s.
            transfer_timeout: Duration::from_secs(15 * 60),
            // One core stays free for syncing while passwords are hashed.
            hashes_at_once: cores.saturating_sub(1).max(1),
            hashes_waiting: 16,
            sign_ins_per_minute_per_address: 20,
            sign_ins_per_minute_per_email: 10,
            trust_forwarded_for: false,
            published_articles_per_workspace: 1_000,
            published_updates_per_workspace: 500,
        }
    }
}
