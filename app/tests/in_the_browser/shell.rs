//! The app mounted in a real Chromium page (wasm-bindgen-test): the shell renders its five destinations
//! and the router switches pages on a click without reloading.

use std::time::Duration;

use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

fn by_testid(id: &str) -> Option<web_sys::HtmlElement> {
    document()
        .query_selector(&format!("[data-testid=\"{id}\"]"))
        .unwrap()
        .map(|element| element.unchecked_into())
}

async fn wait_for_testid(id: &str) -> web_sys::HtmlElement {
    for _ in 0..200 {
        if let Some(element) = by_testid(id) {
            return element;
        }
        gloo_timers::future::sleep(Duration::from_millis(10)).await;
    }
    panic!("data-testid={id} never appeared");
}

#[wasm_bindgen_test]
async fn shell_renders_every_destination_and_navigates_on_click() {
    leptos::mount::mount_to_body(rapport_app::App);

    wait_for_testid("app-shell").await;
    let links =
        document().query_selector_all("[data-testid=main-nav] a[data-testid^=nav-]").unwrap();
    assert_eq!(links.length() as usize, rapport_app::NAV_ITEMS.len());

    for item in rapport_app::NAV_ITEMS.iter().rev() {
        let link = wait_for_testid(&format!("nav-{}", item.key)).await;
        let label = link.query_selector(".main-nav-label").unwrap().unwrap().text_content();
        link.click();
        let page = wait_for_testid(&format!("page-{}", item.key)).await;
        let title = page.query_selector("h1").unwrap().unwrap().text_content().unwrap();
        assert!(!title.is_empty());
        assert_eq!(Some(title), label, "the page is headed as its link names it");
        let path = web_sys::window().unwrap().location().pathname().unwrap();
        assert_eq!(path, item.path);
    }
}
