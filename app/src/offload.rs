//! The page's side of the Web Worker that does Automerge work off the main thread
//! (`src/bin/rapport-worker.rs`, built by Trunk beside the app). Today it takes documents that arrive
//! whole from the relay — a new device pulling its workspace — so the page never freezes on loading a
//! document, deriving its rows and answering the relay (`rapport_core::offload`).
//!
//! Up to [`MAX_WORKERS`] workers (one per core the browser reports), each started on first use; a job
//! goes to the one with the fewest jobs waiting, so a new device's documents are merged on every core.
//! One more worker keeps a read model of its own (`crate::mirror`): its jobs always go to it, in order.
//! Whenever a worker cannot help — it does not load (no build of it, as in
//! the wasm unit tests), it fails, or it takes too long to start — [`merge_whole`] answers `None` and the
//! page does the work itself, as it did before there was a worker: slower, never wrong.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures_channel::oneshot;
use futures_util::future::{Either, select};
use rapport_core::layout::DocKey;
use rapport_core::mirror::Update;
use rapport_core::offload::{self, Job, Merged, Outcome, SavedDocument, WholeDocument};
use rapport_core::read_model::DocRows;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// Trunk names a worker's files after its binary and does not hash them (see `app/index.html`).
const WORKER_URL: &str = "/rapport-worker_loader.js";
/// How long a worker may take to load before the page stops waiting for it.
const START_TIMEOUT_MS: u32 = 15_000;
/// More workers than this would only compete with each other and the page for memory.
const MAX_WORKERS: usize = 4;

/// Applies a document that arrived whole in a worker. `None`: do it on the page.
pub async fn merge_whole(job: WholeDocument) -> Option<Merged> {
    let key = job.key.clone();
    let outcome = ask(&Job::Merge(job), &key).await;
    crate::timing::mark("rapport:worker-merge");
    match outcome? {
        Outcome::Merged(merged) => Some(*merged),
        _ => None,
    }
}

/// The rows of a saved document, derived in a worker. `None`: derive them on the page.
pub async fn rows_of(key: DocKey, bytes: &[u8]) -> Option<DocRows> {
    let key = key.to_string();
    let job = Job::Rows(SavedDocument { key: key.clone(), bytes: bytes.to_vec() });
    match ask(&job, &key).await? {
        Outcome::Rows(rows) => Some(rows),
        _ => None,
    }
}

/// An article's Markdown as safe HTML, rendered in a worker (the parser is not in the page's own
/// download). `None` when no worker can run: show the text as it is.
pub async fn render_markdown(markdown: String) -> Option<String> {
    match ask(&Job::Render(markdown), "an article's preview").await? {
        Outcome::Rendered(html) => Some(html),
        _ => None,
    }
}

/// A mail's Markdown as the HTML part its recipients read, rendered in a worker. `None` when no worker
/// can run: show the text as it is.
pub async fn render_mail(markdown: String) -> Option<String> {
    match ask(&Job::RenderMail(markdown), "a mail's preview").await? {
        Outcome::Rendered(html) => Some(html),
        _ => None,
    }
}

/// Sends the mirror worker `update` (what the page stored since), then `job` (one of the jobs over its
/// read model), and answers what it made of the job. `None` when it cannot help: do it on the page.
pub async fn mirror_job(update: Update, job: Job, what: &str) -> Option<Outcome> {
    let index = mirror_index();
    if !update.is_empty() {
        match ask_on(index, &Job::Mirror(update), "the mirror's update").await? {
            Outcome::Mirrored(taken) if !taken.unreadable.is_empty() => {
                // Rows of a format this build does not write: the page derives them again at
                // opening and stores them, which sends them again.
                let unreadable = taken.unreadable.join(", ");
                web_sys::console::warn_1(&format!("the mirror could not read {unreadable}").into());
            }
            Outcome::Mirrored(_) => {}
            _ => return None,
        }
    }
    let outcome = ask_on(index, &job, what).await?;
    // Browser tests read this to know what is on screen came from the worker.
    crate::timing::mark("rapport:mirror-answered");
    Some(outcome)
}

/// Whether the mirror worker may still help (it has not broken).
pub fn mirror_can_help() -> bool {
    SLOTS.with(|slots| !matches!(slots.borrow().last(), Some(Slot::Broken)))
}

/// The worker holding the read model: the last slot, never given other jobs.
fn mirror_index() -> usize {
    SLOTS.with(|slots| slots.borrow().len() - 1)
}

async fn ask(job: &Job, key: &str) -> Option<Outcome> {
    ask_on(least_busy()?, job, key).await
}

async fn ask_on(index: usize, job: &Job, key: &str) -> Option<Outcome> {
    let worker = running(index).await?;
    let answer = worker.ask(offload::encode_job(job)).await?;
    let outcome = offload::decode_outcome(&answer);
    if let Err(error) = &outcome {
        web_sys::console::warn_1(&format!("a worker could not do {key}: {error}").into());
    }
    outcome.ok()
}

enum Slot {
    NotStarted,
    Starting(Vec<oneshot::Sender<bool>>),
    Running(Rc<Handle>),
    /// It failed to load or broke: the page does the work from now on.
    Broken,
}

thread_local! {
    static SLOTS: RefCell<Vec<Slot>> = RefCell::new(
        // One per core, and the mirror's.
        (0..=worker_count()).map(|_| Slot::NotStarted).collect(),
    );
}

fn worker_count() -> usize {
    let cores = web_sys::window().map_or(1.0, |window| window.navigator().hardware_concurrency());
    (cores as usize).clamp(1, MAX_WORKERS)
}

/// The worker with the fewest jobs waiting (one not started yet has none); `None` when every one broke.
fn least_busy() -> Option<usize> {
    SLOTS.with(|slots| {
        let slots = slots.borrow();
        // The last is the mirror's.
        slots
            .iter()
            .enumerate()
            .take(slots.len() - 1)
            .filter_map(|(index, slot)| match slot {
                Slot::NotStarted => Some((index, 0)),
                Slot::Starting(waiting) => Some((index, waiting.len())),
                Slot::Running(handle) => Some((index, handle.waiting.borrow().len())),
                Slot::Broken => None,
            })
            .min_by_key(|(_, load)| *load)
            .map(|(index, _)| index)
    })
}

/// Worker `index`, started if need be; `None` when there is none to be had.
async fn running(index: usize) -> Option<Rc<Handle>> {
    let wait = SLOTS.with(|slots| {
        let mut slots = slots.borrow_mut();
        let slot = &mut slots[index];
        match &mut *slot {
            Slot::Running(handle) => Ok(Some(handle.clone())),
            Slot::Broken => Ok(None),
            Slot::Starting(waiting) => {
                let (sender, receiver) = oneshot::channel();
                waiting.push(sender);
                Err(receiver)
            }
            Slot::NotStarted => {
                let (sender, receiver) = oneshot::channel();
                *slot = Slot::Starting(vec![sender]);
                Err(receiver)
            }
        }
    });
    let receiver = match wait {
        Ok(found) => return found,
        Err(receiver) => receiver,
    };
    if SLOTS.with(
        |slots| matches!(&slots.borrow()[index], Slot::Starting(waiting) if waiting.len() == 1),
    ) {
        start(index);
    }
    let timeout = gloo_timers::future::TimeoutFuture::new(START_TIMEOUT_MS);
    match select(receiver, timeout).await {
        Either::Left((Ok(true), _)) => {}
        Either::Left(_) => return None,
        Either::Right(_) => {
            broken(index, "the worker did not start in time");
            return None;
        }
    }
    SLOTS.with(|slots| match &slots.borrow()[index] {
        Slot::Running(handle) => Some(handle.clone()),
        _ => None,
    })
}

/// Creates the worker; it says it is ready with an empty message once its handler is set (messages
/// posted before that would be lost while its wasm loads).
fn start(index: usize) {
    let worker = match web_sys::Worker::new(WORKER_URL) {
        Ok(worker) => worker,
        Err(_) => return broken(index, "the worker could not be created"),
    };
    let handle = Rc::new(Handle {
        worker: worker.clone(),
        next: Cell::new(0),
        waiting: RefCell::new(HashMap::new()),
    });
    let on_message = {
        let handle = handle.clone();
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let bytes = js_sys::Uint8Array::new(&event.data()).to_vec();
            if bytes.is_empty() {
                ready(index, handle.clone());
            } else {
                handle.answered(&bytes);
            }
        })
    };
    let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
        event.prevent_default();
        broken(index, "the worker failed");
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    // They live as long as the worker, which lives as long as the page.
    on_message.forget();
    on_error.forget();
}

fn ready(index: usize, handle: Rc<Handle>) {
    let previous = SLOTS
        .with(|slots| std::mem::replace(&mut slots.borrow_mut()[index], Slot::Running(handle)));
    if let Slot::Starting(waiting) = previous {
        for sender in waiting {
            let _ = sender.send(true);
        }
    }
}

/// Gives up on worker `index`: whoever waits for it or for its answer is told to do the work on the
/// page (later jobs go to the other workers, if any).
fn broken(index: usize, why: &str) {
    web_sys::console::warn_1(&format!("{why}; syncing on the page instead").into());
    let previous =
        SLOTS.with(|slots| std::mem::replace(&mut slots.borrow_mut()[index], Slot::Broken));
    match previous {
        Slot::Starting(waiting) => {
            for sender in waiting {
                let _ = sender.send(false);
            }
        }
        Slot::Running(handle) => {
            handle.worker.terminate();
            // Dropping the senders answers every question in flight with "cancelled".
            handle.waiting.borrow_mut().clear();
        }
        Slot::NotStarted | Slot::Broken => {}
    }
}

struct Handle {
    worker: web_sys::Worker,
    next: Cell<u32>,
    waiting: RefCell<HashMap<u32, oneshot::Sender<Vec<u8>>>>,
}

impl Handle {
    /// Sends a job (`[id: u32 LE][job]`) and waits for its answer (`[id][answer]`).
    async fn ask(&self, job: Vec<u8>) -> Option<Vec<u8>> {
        let id = self.next.get();
        self.next.set(id.wrapping_add(1));
        let mut message = Vec::with_capacity(job.len() + 4);
        message.extend_from_slice(&id.to_le_bytes());
        message.extend_from_slice(&job);
        let (sender, receiver) = oneshot::channel();
        self.waiting.borrow_mut().insert(id, sender);
        let array = js_sys::Uint8Array::from(message.as_slice());
        // The buffer moves to the worker instead of being copied.
        let transfer = js_sys::Array::of1(&array.buffer());
        if self.worker.post_message_with_transfer(&array, &transfer).is_err() {
            self.waiting.borrow_mut().remove(&id);
            return None;
        }
        receiver.await.ok()
    }

    fn answered(&self, bytes: &[u8]) {
        let Some((id, answer)) = bytes.split_first_chunk::<4>() else { return };
        if let Some(sender) = self.waiting.borrow_mut().remove(&u32::from_le_bytes(*id)) {
            let _ = sender.send(answer.to_vec());
        }
    }
}
