//! A fresh browser opens the relay's address and gets the working app: the wasm module starts, the shell
//! and the home page render, and nothing is logged as an error.

use rapport_e2e::pages::AppShell;
use rapport_e2e::{E2eError, Viewport, run};

#[tokio::test]
async fn app_loads_from_the_relay_and_renders_the_shell_without_console_errors() {
    run("app_loads_from_the_relay", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        let shell = AppShell::open(&browser, "/").await?;

        assert_eq!(shell.page_title().await?, "Today");
        assert_eq!(browser.driver().title().await?, "Rapport");
        assert_eq!(shell.current_nav().await?.as_deref(), Some("today"));

        // The page really runs WebAssembly served by the relay with the right MIME type
        // (streaming instantiation refuses anything but application/wasm).
        let wasm = browser
            .eval(
                "return performance.getEntriesByType('resource')
                    .filter(e => e.name.endsWith('.wasm'))
                    .map(e => e.name);",
            )
            .await?;
        let wasm = wasm.as_array().cloned().unwrap_or_default();
        assert_eq!(wasm.len(), 1, "one wasm module loaded: {wasm:?}");
        assert!(wasm[0].as_str().unwrap_or("").starts_with(harness.relay().url()));

        let errors = browser.console_errors().await?;
        if !errors.is_empty() {
            return Err(E2eError::Setup(format!("console errors: {errors:#?}")));
        }
        browser.screenshot("desktop-today").await?;
        Ok(())
    })
    .await;
}
