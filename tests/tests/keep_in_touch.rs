//! A party with a keep-in-touch cadence comes up on Today once that long has passed without contact
//! (the browser's clock is moved forward a month to see it), and logging a call puts it off again.

use rapport_e2e::flows::{add_party, open_record};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Viewport, run};
use serde_json::json;

/// From the next page load on, the page's clock runs `days` ahead.
const SHIFT_CLOCK: &str = "
    const shift = DAYS * 86400000;
    const RealDate = Date;
    class ShiftedDate extends RealDate {
        constructor(...args) { if (args.length === 0) super(RealDate.now() + shift); else super(...args); }
        static now() { return RealDate.now() + shift; }
    }
    window.Date = ShiftedDate;";

#[tokio::test]
async fn a_party_to_keep_in_touch_with_comes_up_when_its_time_has_come() {
    run("a_party_to_keep_in_touch_with_comes_up_when_its_time_has_come", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/parties").await?;
        add_party(&browser, "Nordwind GmbH").await?;
        open_record(&browser, "Nordwind").await?;
        browser.by_testid("keep-in-touch").await?;
        let chosen = browser
            .eval(
                "const s = document.querySelector('[data-testid=keep-in-touch]');
                 s.value = '30'; s.dispatchEvent(new Event('change', { bubbles: true })); return s.value;",
            )
            .await?;
        assert_eq!(chosen, "30");
        browser.text_when("keep-in-touch-due", |t| t.starts_with("Next contact due ")).await?;
        AppShell::open(&browser, "/").await?;
        browser.text_when("today-summary", |t| t == "0 overdue · 0 due today · 0 to keep in touch with")
            .await?;

        // A month and a day later.
        browser
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                json!({ "source": SHIFT_CLOCK.replace("DAYS", "31") }),
            )
            .await?;
        AppShell::open(&browser, "/").await?;
        browser.text_when("today-summary", |t| t == "0 overdue · 0 due today · 1 to keep in touch with")
            .await?;
        // Today says who, since when and that there was no contact yet, and leads to the record.
        let due = browser.by_testid("today-contact").await?.text().await?;
        assert!(due.contains("Nordwind GmbH") && due.contains("no contact yet"), "{due}");
        browser.by_testid("contact-party").await?.click().await?;
        rapport_e2e::flows::field_becomes(&browser, "party-name", "Nordwind GmbH", 10).await?;
        browser.text_when("keep-in-touch-due", |t| t.starts_with("Contact was due ")).await?;
        let cadence = browser
            .eval("return document.querySelector('[data-testid=keep-in-touch]').value;")
            .await?;
        assert_eq!(cadence, "30", "kept after a reload");

        // A call logged now puts the next reminder a month ahead.
        browser.by_testid("log-call-link").await?.click().await?;
        browser.by_testid("log-party").await?;
        browser.by_testid("save-log").await?.click().await?;
        browser.by_testid("log-done").await?;
        AppShell::open(&browser, "/").await?;
        browser.text_when("today-summary", |t| t == "0 overdue · 0 due today · 0 to keep in touch with")
            .await?;
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    })
    .await;
}
