//! The page's side of the Web Worker that does Automerge work off the main thread
//! (`src/bin/rapport-worker.rs`, built by Trunk beside the app). Today it takes documents that arrive
//! whole from the relay — a new device pulling its workspace — so the page never freezes on loading a
//! document, deriving its rows and answering the relay (`rapport_core::offload`).
//!
//! The worker is started on first use. Whenever it cannot help — it does not load (no build of it, as in
//! the wasm unit tests), it fails, or it takes too long to start — [`merge_whole`] answers `None` and the
//! page does the work itself, as it did before there was a worker: slower, never wrong.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use futures_channel::oneshot;
use futures_util::future::{Either, select};
use rapport_core::offload::{self, Merged, WholeDocument};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

/// Trunk names a worker's files after its binary and does not hash them (see `app/index.html`).
const WORKER_URL: &str = "/rapport-worker_loader.js";
/// How long a worker may take to load before the page stops waiting for it.
const START_TIMEOUT_MS: u32 = 15_000;

/// Applies a document that arrived whole in the worker. `None`: do it on the page.
pub async fn merge_whole(job: &WholeDocument) -> Option<Merged> {
    let worker = running().await?;
    let answer = worker.ask(offload::encode_job(job)).await?;
    let outcome = offload::decode_outcome(&answer);
    if let Err(error) = &outcome {
        web_sys::console::warn_1(
            &format!("the worker could not merge {}: {error}", job.key).into(),
        );
    }
    crate::timing::mark("rapport:worker-merge");
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
    static SLOT: RefCell<Slot> = const { RefCell::new(Slot::NotStarted) };
}

/// The worker, started if need be; `None` when there is none to be had.
async fn running() -> Option<Rc<Handle>> {
    let wait = SLOT.with(|slot| {
        let mut slot = slot.borrow_mut();
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
    if SLOT.with(|slot| matches!(&*slot.borrow(), Slot::Starting(waiting) if waiting.len() == 1)) {
        start();
    }
    let timeout = gloo_timers::future::TimeoutFuture::new(START_TIMEOUT_MS);
    match select(receiver, timeout).await {
        Either::Left((Ok(true), _)) => {}
        Either::Left(_) => return None,
        Either::Right(_) => {
            broken("the worker did not start in time");
            return None;
        }
    }
    SLOT.with(|slot| match &*slot.borrow() {
        Slot::Running(handle) => Some(handle.clone()),
        _ => None,
    })
}

/// Creates the worker; it says it is ready with an empty message once its handler is set (messages
/// posted before that would be lost while its wasm loads).
fn start() {
    let worker = match web_sys::Worker::new(WORKER_URL) {
        Ok(worker) => worker,
        Err(_) => return broken("the worker could not be created"),
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
                ready(handle.clone());
            } else {
                handle.answered(&bytes);
            }
        })
    };
    let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
        event.prevent_default();
        broken("the worker failed");
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    // They live as long as the worker, which lives as long as the page.
    on_message.forget();
    on_error.forget();
}

fn ready(handle: Rc<Handle>) {
    let previous = SLOT.with(|slot| slot.replace(Slot::Running(handle)));
    if let Slot::Starting(waiting) = previous {
        for sender in waiting {
            let _ = sender.send(true);
        }
    }
}

/// Gives up on the worker: whoever waits for it or for an answer is told to do the work on the page.
fn broken(why: &str) {
    web_sys::console::warn_1(&format!("{why}; syncing on the page instead").into());
    let previous = SLOT.with(|slot| slot.replace(Slot::Broken));
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
