//! On a 390×844 phone the navigation is a bottom bar within thumb reach, every target is at least 44 px,
//! and nothing scrolls sideways; on a desktop it is a sidebar.

use rapport_e2e::pages::{AppShell, DESTINATIONS};
use rapport_e2e::{E2eError, Viewport, run};

#[tokio::test]
async fn phone_gets_a_bottom_bar_with_thumb_sized_targets() {
    run("phone_layout", |harness| async move {
        let browser = harness.browser(Viewport::Phone).await?;
        let shell = AppShell::open(&browser, "/").await?;

        let viewport = browser.eval("return [innerWidth, innerHeight];").await?;
        assert_eq!(viewport, serde_json::json!([390, 844]));

        let nav = shell.nav().await?.rect().await?;
        assert_eq!(nav.x, 0.0);
        assert_eq!(nav.width, 390.0);
        assert!(
            (nav.y + nav.height - 844.0).abs() < 1.0,
            "the bar sits on the bottom edge: {nav:?}"
        );

        for (key, _, _) in DESTINATIONS {
            let link = shell.nav_link(key).await?;
            assert!(link.is_displayed().await?, "{key} is visible");
            let rect = link.rect().await?;
            if rect.width < 44.0 || rect.height < 44.0 {
                return Err(E2eError::Setup(format!("{key} is a {rect:?} target, under 44 px")));
            }
        }

        let overflow = browser
            .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
            .await?;
        assert_eq!(overflow, 0, "no sideways scrolling");

        // The page's last content is not hidden behind the bar.
        let covered = browser
            .eval(
                "const main = document.querySelector('[data-testid=main]');
                 const pad = parseFloat(getComputedStyle(main).paddingBottom);
                 const bar = document.querySelector('[data-testid=main-nav]').getBoundingClientRect();
                 return pad >= bar.height;",
            )
            .await?;
        assert_eq!(covered, true);

        shell.go_to("tasks").await?;
        assert_eq!(shell.page_title().await?, "Tasks");
        browser.screenshot("phone-390x844-tasks").await?;
        assert!(browser.console_errors().await?.is_empty());
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn desktop_gets_a_sidebar() {
    run("desktop_layout", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        let shell = AppShell::open(&browser, "/parties").await?;
        let nav = shell.nav().await?.rect().await?;
        assert_eq!((nav.x, nav.y), (0.0, 0.0));
        assert!(nav.width < 300.0 && nav.height >= 799.0, "a full-height sidebar: {nav:?}");
        let main = browser.by_testid("main").await?.rect().await?;
        assert!(main.x >= nav.width, "the page is beside the sidebar: {main:?}");
        browser.screenshot("desktop-1280x800-parties").await?;
        Ok(())
    })
    .await;
}
