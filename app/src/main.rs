//! Entry point of the browser app: install the panic hook and mount. Everything else is in the library.

fn main() {
    console_error_panic_hook::set_once();
    rapport_app::timing::mark_once("rapport:wasm-started");
    leptos::mount::mount_to_body(rapport_app::App);
}
