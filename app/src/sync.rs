//! The sync engine: keeps this device's workspace and the relay's copy equal while the device is online.
//!
//! One task per page. It waits until the workspace is linked to the relay and the browser is online,
//! asks the relay for a single-use ticket (the session cookie proves who we are), opens the websocket,
//! syncs every document of the workspace — discovering new ones through the root's table — and then
//! pushes each local edit at once and applies colleagues' changes into the read model as they arrive.
//! When the connection drops it backs off (1 s doubling to 30 s, with jitter) and reconnects; the
//! protocol state kept in [`SyncClient`] makes the reconnect send only what is missing. The protocol
//! itself is `rapport_core::sync_client`; this module only moves frames and documents.

use std::collections::{BTreeMap, BTreeSet};
use std::pin::pin;

use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::future::{Either, LocalBoxFuture, select};
use futures_util::stream::FuturesUnordered;
use futures_util::{SinkExt, StreamExt};
use gloo_net::websocket::Message as Frame;
use gloo_net::websocket::futures::WebSocket;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_i18n::td_string;
use rapport_core::device_sync::{Device, Handled, Link, Lost, Merging, Notice, Session, WorkerJob};
use rapport_core::ids::WorkspaceId;
use rapport_core::layout::DocKey;
use rapport_core::offload::Merged;
use rapport_core::presence::{self, Presence};
use rapport_core::protocol::SenderAccount;
use rapport_core::replica::{Chunk, Replica, Write};
use rapport_core::sync_client::SyncClient;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::account::AccountCtx;
use crate::local::{self, Shared};
use crate::relay_api::{self, Account, ApiError};
use crate::state::{Status, WorkspaceCtx};

/// What the status bar says about sync.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncStatus {
    /// The workspace is not linked to a relay: everything stays on this device.
    LocalOnly,
    /// Linked, but this browser is not signed in (or the session expired).
    SignedOut,
    /// The relay refused this workspace (not a member any more, removed, unknown).
    Refused(String),
    /// No network, or the relay cannot be reached: retrying.
    Offline,
    Connecting,
    /// Connected, exchanging changes.
    Syncing,
    /// Connected, and the relay holds everything this device has.
    Synced,
}

/// Why the engine woke up.
#[derive(Debug, Clone, Copy)]
enum Wake {
    /// A local edit to this document is durable: push it.
    Changed(DocKey),
    /// Something may now let a connection succeed (signed in, linked, back online): try at once.
    Retry,
    /// The browser lost its network: a socket can take minutes to notice, so drop it now.
    Offline,
}

/// How a connection ended.
enum Ended {
    SignedOut,
    Refused(String),
    /// The relay closed the socket and said why (a limit reached, a document it could not store):
    /// shown as refused, retried like a lost connection.
    Closed(String),
    Lost(String),
}

#[derive(Debug, Clone, Copy)]
pub struct SyncCtx {
    pub status: RwSignal<SyncStatus>,
    /// When the relay last held everything this device had (ms since the epoch).
    pub last_synced: RwSignal<Option<f64>>,
    /// Who is signed in on this browser; `None` when nobody is (or not known yet). The same signal
    /// as [`AccountCtx::account`].
    pub account: RwSignal<Option<Account>>,
    /// Why the last connection attempt failed, for the settings page.
    pub detail: RwSignal<Option<String>>,
    /// The record this person has on screen, announced to colleagues.
    pub viewing: RwSignal<Option<String>>,
    /// Colleagues online now, by protocol peer (one person may have several devices).
    pub colleagues: RwSignal<BTreeMap<String, Colleague>>,
    /// This person is a viewer of the workspace: the relay refuses their changes, so the screens offer
    /// none. Remembered per workspace, so it holds offline too. The same signal as
    /// [`AccountCtx::view_only`].
    pub view_only: RwSignal<bool>,
    /// [`AccountCtx::manages`].
    pub manages: RwSignal<bool>,
    /// Bumped each time the relay says the workspace's outbox ledger changed.
    pub outbox_news: RwSignal<u64>,
    wake: StoredValue<Option<UnboundedSender<Wake>>, LocalStorage>,
}

/// A colleague's device that announced itself recently.
#[derive(Debug, Clone, PartialEq)]
pub struct Colleague {
    pub presence: Presence,
    /// When we last heard from it (ms since the epoch).
    pub seen: f64,
}

impl SyncCtx {
    /// The names of colleagues online, each once, sorted.
    pub fn online_names(&self) -> Vec<String> {
        let names: BTreeSet<String> =
            self.colleagues.with(|all| all.values().map(|c| c.presence.name.clone()).collect());
        names.into_iter().collect()
    }

    /// The names of colleagues with record `id` on screen.
    pub fn viewers_of(&self, id: &str) -> Vec<String> {
        let names: BTreeSet<String> = self.colleagues.with(|all| {
            all.values()
                .filter(|c| c.presence.viewing.as_deref() == Some(id))
                .map(|c| c.presence.name.clone())
                .collect()
        });
        names.into_iter().collect()
    }
}

/// Once the account is known in a workspace that syncs, the device writes as that account's member
/// (history says who, "mine" means something, deals and tasks get owners), and the member is listed in
/// the workspace settings under the account's name so colleagues see it (except a viewer's, who cannot
/// write the settings).
fn know_who_i_am(ctx: SyncCtx, workspace: WorkspaceCtx) {
    let registering = StoredValue::new(false);
    Effect::new(move || {
        let Some(account) = ctx.account.get() else { return };
        // Read through the workspace so this runs again once it opens or is linked.
        if !workspace.read(|ws| ws.linked).unwrap_or(false) {
            return;
        }
        let Some(shared) = workspace.shared() else { return };
        let me = rapport_core::workspace::member_of_account(&account.email);
        let (listed, new) = {
            let mut ws = shared.borrow_mut();
            let new = ws.me != Some(me);
            ws.replica.set_me(me);
            let listed = ws
                .settings
                .members
                .get(&me.to_string())
                .is_some_and(|m| m.display_name == account.name);
            (listed, new)
        };
        // The screens that show what is this member's ("mine", their 1:1s, their private notes).
        if new {
            workspace.changed_all();
        }
        // Connected means the role was just read from the relay: a viewer is known to be one.
        let connected = matches!(ctx.status.get(), SyncStatus::Syncing | SyncStatus::Synced);
        if listed || !connected || ctx.view_only.get_untracked() || registering.get_value() {
            return;
        }
        registering.set_value(true);
        spawn_local(async move {
            let result = local::update_settings(&shared, move |settings| {
                rapport_core::workspace::register_member(settings, me, &account.name);
            })
            .await;
            registering.set_value(false);
            match result {
                Ok(()) => workspace.changed(),
                Err(error) => workspace.report(&error),
            }
        });
    });
}

impl SyncCtx {
    /// Creates the handle, puts it in context and starts the engine for `workspace`.
    pub fn provide(workspace: WorkspaceCtx, people: AccountCtx) -> SyncCtx {
        let (sender, inbox) = unbounded();
        let ctx = SyncCtx {
            status: RwSignal::new(SyncStatus::LocalOnly),
            last_synced: RwSignal::new(None),
            account: people.account,
            detail: RwSignal::new(None),
            viewing: RwSignal::new(None),
            colleagues: RwSignal::new(BTreeMap::new()),
            view_only: people.view_only,
            manages: people.manages,
            outbox_news: RwSignal::new(0),
            wake: StoredValue::new_local(Some(sender)),
        };
        provide_context(ctx);
        // A viewer's screens offer no edits from the first frame, also offline: the role remembered for
        // this workspace applies as soon as it opens (the engine refreshes it on each connection).
        Effect::new(move || {
            if workspace.status.get() != Status::Ready {
                return;
            }
            let Some(shared) = workspace.shared() else { return };
            let remembered = remembered_view_only(shared.borrow().workspace);
            if ctx.view_only.get_untracked() != remembered {
                ctx.view_only.set(remembered);
            }
        });
        // Who signed in last is known offline too, from the first frame after a reload: "mine", the
        // surveys that ask this member, their private notes (the relay confirms it when reached).
        if signed_in_before()
            && let Some(account) = remembered_account()
        {
            ctx.account.set(Some(account));
        }
        Effect::new(move || {
            if let Some(account) = ctx.account.get() {
                remember_account(&account);
            }
        });
        know_who_i_am(ctx, workspace);
        retry_when_online(ctx);
        spawn_local(async move { ctx.run(workspace, inbox).await });
        spawn_local(async move {
            // Asked only of a browser that signed in before: for everyone else the answer is a 401,
            // which browsers log as an error on every start.
            if !signed_in_before() {
                return;
            }
            // Only a change re-renders what depends on it (a form half filled in must not be replaced).
            if let Ok(account) = relay_api::me().await
                && ctx.account.get_untracked() != account
            {
                ctx.account.set(account);
            }
        });
        ctx
    }

    pub fn use_ctx() -> SyncCtx {
        expect_context::<SyncCtx>()
    }

    /// Try to connect now (after signing in, linking the workspace, coming back online).
    pub fn retry(&self) {
        self.send(Wake::Retry);
    }

    fn send(&self, wake: Wake) {
        self.wake.with_value(|sender| {
            if let Some(sender) = sender {
                let _ = sender.unbounded_send(wake);
            }
        });
    }

    async fn run(self, workspace: WorkspaceCtx, mut inbox: UnboundedReceiver<Wake>) {
        let shared = loop {
            if let Some(shared) = workspace.shared() {
                break shared;
            }
            gloo_timers::future::TimeoutFuture::new(100).await;
        };
        // Every durable local edit wakes the engine, which pushes it if connected.
        let (edits, mut edited) = unbounded::<DocKey>();
        shared.borrow_mut().on_change = Some(edits);
        let forward = self;
        spawn_local(async move {
            while let Some(key) = edited.next().await {
                forward.send(Wake::Changed(key));
            }
        });

        let mut client = SyncClient::new(random_id("rapport-"), random_id(""));
        // Where the last page's conversations stopped: a reload resumes instead of starting over.
        client.resume(&local::resume_points(&shared).await);
        let mut session = Session::new(client, shared.borrow().workspace);
        let mut backoff_ms = 1_000u32;
        loop {
            if !shared.borrow().linked {
                self.status.set(SyncStatus::LocalOnly);
                wait_for_retry(&mut inbox, None).await;
                continue;
            }
            if !online() {
                self.status.set(SyncStatus::Offline);
                wait_for_retry(&mut inbox, Some(5_000)).await;
                continue;
            }
            self.status.set(SyncStatus::Connecting);
            let ended =
                Connection::new(self, workspace, &shared, &mut session).run(&mut inbox).await;
            if session.is_connected() {
                backoff_ms = 1_000;
            }
            session.disconnected();
            local::keep_resume_points(&shared, &session.client().resume_points()).await;
            // Whoever we heard through this connection is unknown now.
            self.colleagues.set(BTreeMap::new());
            let (status, reason) = match ended {
                Ended::SignedOut => {
                    remember_signed_in(false);
                    self.account.set(None);
                    self.status.set(SyncStatus::SignedOut);
                    wait_for_retry(&mut inbox, None).await;
                    continue;
                }
                Ended::Refused(reason) => {
                    self.status.set(SyncStatus::Refused(reason.clone()));
                    self.detail.set(Some(reason));
                    wait_for_retry(&mut inbox, None).await;
                    continue;
                }
                Ended::Closed(reason) => (SyncStatus::Refused(reason.clone()), reason),
                Ended::Lost(reason) => (SyncStatus::Offline, reason),
            };
            self.status.set(status);
            self.detail.set(Some(reason));
            // Jitter spreads the reconnects of many devices after a relay restart.
            let jitter = (js_sys::Math::random() * f64::from(backoff_ms) / 2.0) as u32;
            wait_for_retry(&mut inbox, Some(backoff_ms + jitter)).await;
            backoff_ms = (backoff_ms * 2).min(30_000);
        }
    }
}

/// One websocket connection to the relay, from ticket to close. It moves frames and runs the workers;
/// what each frame means is decided by the session (`rapport_core::device_sync`).
struct Connection<'a> {
    ctx: SyncCtx,
    workspace: WorkspaceCtx,
    device: BrowserDevice<'a>,
    session: &'a mut Session,
    /// The workers' merges under way. Other documents' frames go on being read meanwhile: a new
    /// device's pull keeps the workers busy instead of waiting on each answer.
    in_worker: FuturesUnordered<LocalBoxFuture<'static, (Merging, Option<Merged>)>>,
    /// What we last told colleagues, and when.
    announced: Option<(Presence, f64)>,
}

/// The device's workspace as the session needs it: IndexedDB through `crate::local`.
struct BrowserDevice<'a> {
    shared: &'a Shared,
    workspace: WorkspaceCtx,
}

impl Device for BrowserDevice<'_> {
    type Error = local::LocalError;

    fn with_replica<T>(&self, f: impl FnOnce(&mut Replica) -> T) -> T {
        f(&mut self.shared.borrow_mut().replica)
    }

    async fn load(&self, key: DocKey) -> Result<(), local::LocalError> {
        local::ensure_loaded(self.shared, key).await
    }

    async fn save(&self, chunk: &Chunk) -> Result<(), local::LocalError> {
        local::store_chunk(self.shared, chunk).await
    }

    async fn perform(&self, writes: Vec<Write>) {
        local::perform(self.shared, writes).await;
    }

    async fn pause(&self) {
        gloo_timers::future::TimeoutFuture::new(0).await;
    }

    fn ledger_changed(&self) {
        self.workspace.ledger_changed();
    }
}

type Sink = futures_util::stream::SplitSink<WebSocket, Frame>;

/// The websocket's sending half as the session's link.
struct SocketLink<'s>(&'s mut Sink);

impl Link for SocketLink<'_> {
    async fn send(&mut self, frame: Vec<u8>) -> Result<(), String> {
        self.0.send(Frame::Bytes(frame)).await.map_err(|error| format!("sending failed: {error}"))
    }
}

impl<'a> Connection<'a> {
    fn new(
        ctx: SyncCtx,
        workspace: WorkspaceCtx,
        shared: &'a Shared,
        session: &'a mut Session,
    ) -> Connection<'a> {
        Connection {
            ctx,
            workspace,
            device: BrowserDevice { shared, workspace },
            session,
            in_worker: FuturesUnordered::new(),
            announced: None,
        }
    }

    async fn run(mut self, inbox: &mut UnboundedReceiver<Wake>) -> Ended {
        let id = self.device.shared.borrow().workspace;
        // The role may have changed since the last connection (an admin made this person a viewer).
        if let Ok(workspaces) = relay_api::my_workspaces().await
            && let Some(this) = workspaces.iter().find(|w| w.id == id.to_string())
        {
            let view_only = this.role == "viewer";
            remember_view_only(id, view_only);
            if self.ctx.view_only.get_untracked() != view_only {
                self.ctx.view_only.set(view_only);
            }
            let manages = matches!(this.role.as_str(), "owner" | "admin");
            if self.ctx.manages.get_untracked() != manages {
                self.ctx.manages.set(manages);
            }
        }
        let ticket = match relay_api::ticket(id).await {
            Ok(ticket) => ticket,
            Err(ApiError::SignedOut) => return Ended::SignedOut,
            Err(ApiError::Refused(reason)) => return Ended::Refused(reason),
            Err(ApiError::Unreachable) => {
                return Ended::Lost(said(|l| td_string!(l, sync.unreachable)));
            }
        };
        // This member's private document (their 1:1 notes), before the socket opens so the session
        // syncs it from the start. Asked at every connection: another account signed in on this
        // browser gets its own, and the last one's notes leave the screens. Not heard (an old relay,
        // a blip): asked again at the next connection, and private notes wait meanwhile.
        // Who this member is follows from the account signed in, though `know_who_i_am` may not
        // have run yet on a first connection.
        let account = self.ctx.account.get_untracked();
        let me = {
            let mut ws = self.device.shared.borrow_mut();
            ws.replica.unconfirm_private();
            let me = account
                .map(|account| rapport_core::workspace::member_of_account(&account.email))
                .or(ws.replica.me);
            let new = me.is_some() && me != ws.replica.me;
            if let Some(me) = me {
                ws.replica.set_me(me);
            }
            (me, new)
        };
        let (me, new) = me;
        if new {
            self.device.workspace.changed_all();
        }
        if let Some(me) = me
            && let Ok(document) = relay_api::private_document(id).await
            && let Err(error) = crate::local::adopt_private(self.device.shared, document, me).await
        {
            web_sys::console::warn_1(&format!("private notes not moved: {error}").into());
        }
        let socket = match WebSocket::open(&socket_url(&ticket)) {
            Ok(socket) => socket,
            Err(error) => return Ended::Lost(error.to_string()),
        };
        let (mut sink, mut stream) = socket.split();
        if sink.send(Frame::Bytes(self.session.join())).await.is_err() {
            return Ended::Lost(said(|l| td_string!(l, sync.closed_at_once)));
        }
        let mut ticks = 0u32;
        loop {
            let step = {
                let merged = pin!(async {
                    match self.in_worker.next().await {
                        Some(merged) => merged,
                        None => std::future::pending().await,
                    }
                });
                match select(stream.next(), select(merged, select(inbox.next(), timeout(100))))
                    .await
                {
                    Either::Left((frame, _)) => Either::Left(frame),
                    Either::Right((Either::Left((merged, _)), _)) => {
                        Either::Right(Either::Left(merged))
                    }
                    Either::Right((Either::Right((wake, _)), _)) => {
                        Either::Right(Either::Right(wake))
                    }
                }
            };
            let mut link = SocketLink(&mut sink);
            let handled = match step {
                Either::Left(Some(Ok(Frame::Bytes(bytes)))) => {
                    self.receive(&bytes, &mut link).await
                }
                Either::Left(Some(Ok(Frame::Text(_)))) => Ok(()),
                Either::Left(Some(Err(error))) => return Ended::Lost(error.to_string()),
                Either::Left(None) => {
                    return Ended::Lost(said(|l| td_string!(l, sync.relay_closed)));
                }
                Either::Right(Either::Left((merging, merged))) => {
                    let done = self.session.worker_done(&self.device, &mut link, merging, merged);
                    let done = done.await.map_err(|Lost(reason)| Ended::Lost(reason));
                    self.report_status();
                    self.keep_resume_points();
                    done
                }
                Either::Right(Either::Right(Either::Left((Some(Wake::Changed(key)), _)))) => self
                    .session
                    .local_change(&self.device, &mut link, key)
                    .await
                    .map_err(|Lost(reason)| Ended::Lost(reason)),
                Either::Right(Either::Right(Either::Left((Some(Wake::Retry), _)))) => Ok(()),
                Either::Right(Either::Right(Either::Left((Some(Wake::Offline), _)))) => {
                    return Ended::Lost(said(|l| td_string!(l, sync.device_offline)));
                }
                Either::Right(Either::Right(Either::Left((None, _)))) => {
                    return Ended::Lost("stopped".into());
                }
                Either::Right(Either::Right(Either::Right(_))) => {
                    ticks += 1;
                    // Every few seconds, ask again for documents the relay did not have: a colleague's
                    // device may have created them since.
                    if ticks.is_multiple_of(30) {
                        self.session
                            .retry_unavailable(&self.device, &mut link)
                            .await
                            .map_err(|Lost(reason)| Ended::Lost(reason))
                    } else {
                        Ok(())
                    }
                }
            };
            if let Err(ended) = handled {
                return ended;
            }
            self.tell_notices();
            self.render_if_due();
            if let Err(ended) = self.announce(&mut sink).await {
                return ended;
            }
        }
    }

    /// Tells colleagues who is here and what they look at: at once when that changes, and every
    /// [`presence::HEARTBEAT_MS`] otherwise. Also forgets colleagues not heard from for a while.
    async fn announce(&mut self, sink: &mut Sink) -> Result<(), Ended> {
        let now = js_sys::Date::now();
        let stale = self
            .ctx
            .colleagues
            .with_untracked(|all| all.values().any(|c| now - c.seen > presence::EXPIRES_MS));
        if stale {
            self.ctx
                .colleagues
                .update(|all| all.retain(|_, c| now - c.seen <= presence::EXPIRES_MS));
        }
        let Some(account) = self.ctx.account.get_untracked() else { return Ok(()) };
        if !self.session.is_connected() {
            return Ok(());
        }
        let current = Presence { name: account.name, viewing: self.ctx.viewing.get_untracked() };
        let due = match &self.announced {
            Some((said, at)) => *said != current || now - at >= presence::HEARTBEAT_MS,
            None => true,
        };
        if !due {
            return Ok(());
        }
        if let Some(frame) = self.session.presence(current.encode()) {
            sink.send(Frame::Bytes(frame))
                .await
                .map_err(|error| Ended::Lost(format!("sending failed: {error}")))?;
        }
        self.announced = Some((current, now));
        Ok(())
    }

    /// Hands one frame to the session, and does what it asks: start a worker, show a colleague.
    async fn receive(&mut self, bytes: &[u8], link: &mut SocketLink<'_>) -> Result<(), Ended> {
        let handled = self
            .session
            .frame(&self.device, link, bytes)
            .await
            .map_err(|Lost(reason)| Ended::Lost(reason))?;
        match handled {
            Handled::Nothing => {
                self.report_status();
                self.keep_resume_points();
            }
            Handled::Worker(work) => {
                let WorkerJob { job, merging } = *work;
                self.in_worker.push(Box::pin(async move {
                    let merged = crate::offload::merge_whole(job).await;
                    (merging, merged)
                }));
                self.report_status();
            }
            // The relay itself (no account stamped) says the outbox ledger changed.
            Handled::Presence { data, account: None, .. }
                if data == rapport_core::outbox::OUTBOX_CHANGED =>
            {
                self.ctx.outbox_news.update(|n| *n += 1);
            }
            Handled::Presence { from, data, account } => self.colleague(from, &data, account),
            Handled::Refused(reason) => return Err(Ended::Closed(reason)),
        }
        Ok(())
    }

    /// A colleague's device announced itself.
    fn colleague(&mut self, from: String, data: &[u8], account: Option<SenderAccount>) {
        let Ok(mut presence) = Presence::decode(data) else { return };
        // The relay's word on who sent it, not the name the device chose.
        if let Some(account) = account {
            presence.name = account.name;
        }
        let seen = js_sys::Date::now();
        let known = self
            .ctx
            .colleagues
            .with_untracked(|all| all.get(&from).map(|c| c.presence == presence).unwrap_or(false));
        if known {
            // Only the time: no re-render for a heartbeat.
            self.ctx.colleagues.update_untracked(|all| {
                if let Some(c) = all.get_mut(&from) {
                    c.seen = seen;
                }
            });
        } else {
            self.ctx.colleagues.update(|all| {
                all.insert(from, Colleague { presence, seen });
            });
            // A newcomer should see us at once, not at our next heartbeat.
            self.announced = None;
        }
    }

    /// Says what the user must know: a document not stored or not read, one the relay will not take.
    fn tell_notices(&mut self) {
        let notices = self.session.take_notices();
        if notices.is_empty() {
            return;
        }
        let locale = crate::locale::current();
        for notice in notices {
            match notice {
                Notice::NotStored { error, .. } => {
                    let text = td_string!(locale, sync.not_stored, error);
                    self.workspace.notice.set(Some(text.to_string()));
                }
                Notice::NotRead { key, error } => {
                    let text = td_string!(locale, sync.not_read, key, error);
                    self.workspace.notice.set(Some(text.to_string()));
                }
                Notice::Unavailable { key } => {
                    // The relay will not take what this device holds: say so, never wait silently.
                    let key = key.to_string();
                    let text = td_string!(locale, sync.unavailable_document, key = key.as_str());
                    self.ctx.detail.set(Some(text.to_string()));
                }
            }
        }
    }

    /// Once in step with the relay, keeps where each conversation stands, at most every 10 s: a page
    /// closed or reloaded mid-connection then resumes from there.
    fn keep_resume_points(&mut self) {
        let Some(points) = self.session.resume_points_due(js_sys::Date::now()) else { return };
        let shared = self.device.shared.clone();
        spawn_local(async move { local::keep_resume_points(&shared, &points).await });
    }

    /// Synced when no document has changes the relay has not confirmed.
    fn report_status(&self) {
        if !self.session.is_connected() {
            return;
        }
        if self.session.synced() {
            if self.ctx.status.get_untracked() != SyncStatus::Synced {
                self.ctx.status.set(SyncStatus::Synced);
            }
            self.ctx.last_synced.set(Some(js_sys::Date::now()));
        } else if self.ctx.status.get_untracked() != SyncStatus::Syncing {
            self.ctx.status.set(SyncStatus::Syncing);
        }
    }

    /// Tells the screens about colleagues' changes, at most every
    /// [`rapport_core::connection::RENDER_EVERY_MS`] while changes stream in.
    fn render_if_due(&mut self) {
        if self.session.render_due(js_sys::Date::now(), false) {
            self.workspace.changed();
        }
    }
}

/// Waits until something asks for a retry, or `ms` pass (forever when `None`). Local edits do not end
/// the wait: while the relay is unreachable, typing must not turn into reconnect attempts.
async fn wait_for_retry(inbox: &mut UnboundedReceiver<Wake>, ms: Option<u32>) {
    let deadline = ms.map(|ms| js_sys::Date::now() + f64::from(ms));
    loop {
        let left = deadline.map(|at| (at - js_sys::Date::now()).max(0.0) as u32);
        if left == Some(0) {
            return;
        }
        let wait = timeout(left.unwrap_or(u32::MAX / 2));
        match select(inbox.next(), wait).await {
            Either::Left((Some(Wake::Retry), _)) | Either::Left((None, _)) => return,
            Either::Left((Some(Wake::Changed(_) | Wake::Offline), _)) => continue,
            Either::Right(_) => return,
        }
    }
}

const SIGNED_IN_KEY: &str = "rapport-signed-in";

/// Whether someone signed in on this browser (and did not sign out) — remembered in `localStorage`.
fn signed_in_before() -> bool {
    let storage = web_sys::window().and_then(|window| window.local_storage().ok().flatten());
    storage.and_then(|storage| storage.get_item(SIGNED_IN_KEY).ok().flatten()).is_some()
}

/// Remembers (or forgets) that someone is signed in on this browser.
pub fn remember_signed_in(signed_in: bool) {
    let Some(storage) = web_sys::window().and_then(|window| window.local_storage().ok().flatten())
    else {
        return;
    };
    let _ = if signed_in {
        storage.set_item(SIGNED_IN_KEY, "1")
    } else {
        let _ = storage.remove_item(ACCOUNT_KEY);
        storage.remove_item(SIGNED_IN_KEY)
    };
}

/// Where the account last signed in on this browser is kept (its email and name).
const ACCOUNT_KEY: &str = "rapport-account";

fn remember_account(account: &relay_api::Account) {
    let storage = web_sys::window().and_then(|window| window.local_storage().ok().flatten());
    if let (Some(storage), Ok(json)) = (storage, serde_json::to_string(account)) {
        let _ = storage.set_item(ACCOUNT_KEY, &json);
    }
}

fn remembered_account() -> Option<relay_api::Account> {
    let storage = web_sys::window().and_then(|window| window.local_storage().ok().flatten())?;
    let json = storage.get_item(ACCOUNT_KEY).ok().flatten()?;
    serde_json::from_str(&json).ok()
}

fn view_only_key(workspace: WorkspaceId) -> String {
    format!("rapport-view-only-{workspace}")
}

fn remembered_view_only(workspace: WorkspaceId) -> bool {
    let storage = web_sys::window().and_then(|window| window.local_storage().ok().flatten());
    storage.and_then(|s| s.get_item(&view_only_key(workspace)).ok().flatten()).is_some()
}

fn remember_view_only(workspace: WorkspaceId, view_only: bool) {
    let Some(storage) = web_sys::window().and_then(|window| window.local_storage().ok().flatten())
    else {
        return;
    };
    let key = view_only_key(workspace);
    let _ = if view_only { storage.set_item(&key, "1") } else { storage.remove_item(&key) };
}

fn timeout(ms: u32) -> gloo_timers::future::TimeoutFuture {
    gloo_timers::future::TimeoutFuture::new(ms)
}

fn online() -> bool {
    web_sys::window().map(|window| window.navigator().on_line()).unwrap_or(true)
}

/// Reconnects as soon as the browser says the network is back, and drops the socket when it says the
/// network is gone (so the status says "offline" at once, not after a socket timeout).
fn retry_when_online(ctx: SyncCtx) {
    let Some(window) = web_sys::window() else { return };
    let online = Closure::<dyn Fn()>::new(move || ctx.retry());
    let _ = window.add_event_listener_with_callback("online", online.as_ref().unchecked_ref());
    let offline = Closure::<dyn Fn()>::new(move || ctx.send(Wake::Offline));
    let _ = window.add_event_listener_with_callback("offline", offline.as_ref().unchecked_ref());
    // The listeners live as long as the page.
    online.forget();
    offline.forget();
}

fn socket_url(ticket: &str) -> String {
    let location = web_sys::window().map(|window| window.location());
    let secure = location.as_ref().and_then(|l| l.protocol().ok()).as_deref() == Some("https:");
    let host = location.and_then(|l| l.host().ok()).unwrap_or_default();
    let scheme = if secure { "wss" } else { "ws" };
    format!("{scheme}://{host}/api/sync?ticket={ticket}")
}

/// A random id for this page's protocol peer and session.
fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 12];
    // The browser always has a random source; without one, ids still differ by time.
    if getrandom::fill(&mut bytes).is_err() {
        bytes[..8].copy_from_slice(&js_sys::Date::now().to_bits().to_le_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// A fixed reason in the screens' language, for the sync panel's detail line.
fn said(text: impl Fn(crate::i18n::Locale) -> &'static str) -> String {
    text(crate::locale::current()).to_owned()
}
