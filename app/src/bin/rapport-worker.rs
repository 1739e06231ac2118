//! Rapport's Web Worker: Automerge work the page hands off so it never freezes (`app/src/offload.rs`
//! is the page's side, `rapport_core::offload` the work itself). It knows nothing of Leptos or storage:
//! bytes in, bytes out. One of them also keeps a read model of its own between jobs
//! (`rapport_core::mirror`).

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

fn main() {
    console_error_panic_hook::set_once();
    let scope: web_sys::DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let worker = RefCell::new(rapport_core::offload::Worker::default());
    let on_message =
        Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            // `[id: u32 LE][job]` in, `[id][answer]` out; the id is the page's, returned as it came.
            let message = js_sys::Uint8Array::new(&event.data()).to_vec();
            let Some((id, job)) = message.split_first_chunk::<4>() else { return };
            let mut answer = id.to_vec();
            answer.extend(worker.borrow_mut().run(job));
            let array = js_sys::Uint8Array::from(answer.as_slice());
            let transfer = js_sys::Array::of1(&array.buffer());
            let _ = reply_to.post_message_with_transfer(&array, &transfer);
        });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Ready: the page holds its jobs until it hears this (an empty message).
    let _ = scope.post_message(&js_sys::Uint8Array::new_with_length(0));
}
