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

/// Every control a thumb presses, on every page, at least 44 × 44 px (inline links inside a line of text
/// excepted, as WCAG 2.5.8 does); nothing scrolls sideways; the floating search button covers nothing
/// that can be pressed.
#[tokio::test]
async fn every_control_on_every_page_is_thumb_sized_on_a_phone() {
    run("thumb_sized_controls", |harness| async move {
        let browser = harness.browser(Viewport::Phone).await?;
        AppShell::open(&browser, "/parties").await?;
        rapport_e2e::flows::add_party(&browser, "Nordwind GmbH").await?;
        rapport_e2e::flows::open_record(&browser, "Nordwind").await?;
        let record = browser.path().await?;
        browser.by_testid("new-task-title").await?.send_keys("Send the offer\n").await?;
        browser.by_testid("timeline-item").await?;
        // A deal with the record, so the board and the list have cards and links to measure.
        AppShell::open(&browser, "/deals").await?;
        if browser.has_testid("set-up-pipeline").await? {
            browser.by_testid("set-up-pipeline").await?.click().await?;
        }
        browser.by_testid("stage-column").await?;
        AppShell::open(&browser, &record).await?;
        rapport_e2e::flows::click_centred(&browser, "add-deal-link").await?;
        browser.text_when("new-deal-party", |t| t == "Nordwind GmbH").await?;
        browser.by_testid("new-deal-title").await?.send_keys("Fleet renewal\n").await?;
        browser.by_testid("deal-card").await?;
        for path in ["/", "/parties", "/deals", "/tasks", "/settings", "/import-export", "/log/call", record.as_str()] {
            AppShell::open(&browser, path).await?;
            browser.by_testid("page-title").await?;
            if path == "/deals" && browser.has_testid("set-up-pipeline").await? {
                browser.by_testid("set-up-pipeline").await?.click().await?;
                browser.by_testid("stage-column").await?;
            }
            let small = browser.eval(SMALL_TARGETS).await?;
            assert_eq!(small, serde_json::json!([]), "targets under 44 px on {path}");
            let overflow = browser
                .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                .await?;
            assert_eq!(overflow, 0, "no sideways scrolling on {path}");
            let covered = browser.eval(UNDER_THE_SEARCH_BUTTON).await?;
            assert_eq!(covered, serde_json::json!([]), "the search button covers a control on {path}");
        }
        Ok(())
    })
    .await;
}

/// The visible controls smaller than 44 × 44 px, as "tag#testid: w×h". Checkboxes and radios count by
/// the label that holds them; links inside text (not standalone actions) are left out.
const SMALL_TARGETS: &str = "
    const controls = [...document.querySelectorAll(
        'button, select, textarea, summary, a.action, a.row-link, a.main-nav-link, .chip, ' +
        'a[data-testid=deal-link], a[data-testid=contact-party], ' +
        'input:not([type=checkbox]):not([type=radio]):not([type=hidden]), ' +
        'label:has(> input[type=checkbox]), label:has(> input[type=radio])')];
    return controls
        .filter(e => e.offsetParent !== null && !e.closest('.points .remove-never'))
        .map(e => [e, e.getBoundingClientRect()])
        .filter(([e, r]) => r.width > 0 && (r.height < 44 - 0.5 || r.width < 44 - 0.5))
        .map(([e, r]) => `${e.tagName.toLowerCase()}#${e.dataset.testid || e.className}: ${Math.round(r.width)}×${Math.round(r.height)}`);";

/// The controls the floating search button overlaps, at the top of the page.
const UNDER_THE_SEARCH_BUTTON: &str = "
    window.scrollTo(0, 0);
    const b = document.querySelector('[data-testid=palette-open]').getBoundingClientRect();
    return [...document.querySelectorAll('button, select, input, textarea, a, summary, label')]
        .filter(e => e.offsetParent !== null && e.dataset.testid !== 'palette-open')
        .filter(e => {
            const r = e.getBoundingClientRect();
            return r.width > 0 && r.left < b.right && r.right > b.left && r.top < b.bottom && r.bottom > b.top;
        })
        .map(e => e.dataset.testid || e.tagName);";
