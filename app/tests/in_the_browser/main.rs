//! The app's tests in headless Chromium (wasm-bindgen-test, through the Debian chromedriver): real
//! IndexedDB, the real page. One test binary rather than one per file: each binary is linked and
//! passed through wasm-bindgen on its own, minutes of CI for no test the more.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod analytics;
mod campaigns;
mod engagement;
mod local_workspace;
mod scoring;
mod segments;
mod shell;
mod storage;
mod timing;
