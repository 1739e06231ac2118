//! Tasks, Today, the deal board and list, and the command palette with a workspace of a thousand
//! people (the relay's demo): each list puts only the rows near the screen in the page, scrolling shows
//! the rest, ticking a task moves it at once, Today's groups link to records and "Show all" lists the
//! rest, and the palette says how many people match and leads to them. Screenshots of each page at
//! both sizes in both languages.

use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eError, E2eResult, Viewport, run_with_relay_args, wait_until};

const PARTIES: &str = "1000";

/// `count` from a heading such as "Overdue · 1,234".
fn heading_count(text: &str) -> usize {
    text.rsplit('·')
        .next()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or(0)
}

async fn count_of(browser: &Browser, selector: &str) -> E2eResult<usize> {
    let found =
        browser.eval(&format!("return document.querySelectorAll({selector:?}).length;")).await?;
    Ok(found.as_u64().unwrap_or(0) as usize)
}

/// Rows of `selector` whose box is at least partly on screen.
async fn on_screen(browser: &Browser, selector: &str) -> E2eResult<usize> {
    let found = browser
        .eval(&format!(
            "return [...document.querySelectorAll({selector:?})].filter(r => {{
                 const b = r.getBoundingClientRect();
                 return b.bottom > 0 && b.top < innerHeight && b.height > 0;
             }}).length;"
        ))
        .await?;
    Ok(found.as_u64().unwrap_or(0) as usize)
}

/// Opens the app on a new device and waits until the demo is in its list.
async fn with_demo(browser: &Browser) -> E2eResult {
    AppShell::open(browser, "/parties").await?;
    wait_until("the demo workspace", 120, || async {
        let text = browser.by_testid("party-count").await?.text().await?;
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        Ok((digits.parse::<usize>().unwrap_or(0) >= 1000).then_some(()))
    })
    .await
}

async fn section_total(browser: &Browser, section: &str) -> E2eResult<usize> {
    let heading = browser
        .eval(&format!(
            "return document.querySelector('[data-testid={section}] h2')?.textContent ?? '';"
        ))
        .await?;
    Ok(heading_count(heading.as_str().unwrap_or("")))
}

#[tokio::test]
async fn long_lists_render_only_what_is_on_screen() {
    run_with_relay_args("long_lists", &["--demo", "--demo-parties", PARTIES], |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        with_demo(&browser).await?;

        // People: a dense table; scrolled to its heading, about twenty rows fill a laptop's screen.
        browser.screenshot("people-1280x800-en").await?;
        let people_in_page = count_of(&browser, "[data-testid=party-row]").await?;
        assert!(people_in_page <= 60, "{people_in_page} people rows in the page");
        browser
            .eval("const t = document.querySelector('.people-table'); window.scrollTo(0, t.getBoundingClientRect().top + scrollY); return 0;")
            .await?;
        let visible = wait_until("rows under the heading", 10, || async {
            let n = on_screen(&browser, "[data-testid=party-row]").await?;
            Ok((n >= 18).then_some(n))
        })
        .await?;
        assert!(visible >= 18, "{visible} rows on screen");
        browser.screenshot("people-scrolled-1280x800-en").await?;

        // Tasks: hundreds listed, a screenful in the page.
        let shell = AppShell::open(&browser, "/tasks").await?;
        if browser.has_testid("tasks-everyone").await? {
            browser.by_testid("tasks-everyone").await?.click().await?;
        }
        browser.by_testid("task-row").await?;
        let mut listed = 0;
        for section in ["tasks-overdue", "tasks-today", "tasks-upcoming", "tasks-someday"] {
            listed += section_total(&browser, section).await?;
        }
        let in_page = count_of(&browser, "[data-testid=task-row]").await?;
        assert!(listed >= 300, "the demo has hundreds of open tasks: {listed}");
        assert!(in_page <= 80, "{in_page} task rows in the page for {listed} tasks");
        browser.screenshot("tasks-1280x800-en").await?;
        // The end of the page shows rows too, not blank space.
        browser.eval("window.scrollTo(0, document.documentElement.scrollHeight); return 0;").await?;
        wait_until("rows at the bottom of the page", 10, || async {
            Ok((on_screen(&browser, "[data-testid=task-row]").await? > 0).then_some(()))
        })
        .await?;
        browser.eval("window.scrollTo(0, 0); return 0;").await?;

        // Ticking the first overdue task moves it to "Done today" at once (once the top of the page is
        // drawn again, as a person would see it).
        let overdue = section_total(&browser, "tasks-overdue").await?;
        let title = wait_until("the first overdue task on screen", 10, || async {
            let title = browser
                .eval("return document.querySelector('[data-testid=tasks-overdue] [data-testid=task-row]')?.dataset.title ?? '';")
                .await?;
            Ok(title.as_str().filter(|t| !t.is_empty()).map(str::to_owned))
        })
        .await?;
        browser
            .driver()
            .find(thirtyfour::By::Css("[data-testid=tasks-overdue] [data-testid=task-done]"))
            .await?
            .click()
            .await?;
        wait_until("the ticked task under Done today", 10, || async {
            let done = browser
                .eval(&format!(
                    "return [...document.querySelectorAll('[data-testid=tasks-done] [data-testid=task-row]')].some(r => r.dataset.title === {title:?});"
                ))
                .await?;
            Ok((done == true && section_total(&browser, "tasks-overdue").await? == overdue - 1).then_some(()))
        })
        .await?;

        // Today: each group shows its first five; "Show all" lists the rest, a screenful at a time.
        shell.go_to("today").await?;
        browser.by_testid("today-overdue").await?;
        let overdue = section_total(&browser, "today-overdue").await?;
        assert!(overdue > 5, "{overdue} overdue");
        assert_eq!(count_of(&browser, "[data-testid=today-overdue] [data-testid=task-row]").await?, 5);
        browser.screenshot("today-1280x800-en").await?;
        browser.by_testid("today-overdue-all").await?.click().await?;
        wait_until("more overdue tasks", 10, || async {
            let shown = count_of(&browser, "[data-testid=today-overdue] [data-testid=task-row]").await?;
            Ok((shown > 5 && shown <= 80).then_some(()))
        })
        .await?;
        // A person to get in touch with is a link to the record.
        if browser.has_testid("today-contact").await? {
            let href = browser
                .eval("return document.querySelector('[data-testid=contact-party]').getAttribute('href');")
                .await?;
            assert!(href.as_str().unwrap_or_default().starts_with("/parties/"), "{href}");
        }

        // The deal board: compact cards, a screenful per column; the list likewise.
        shell.go_to("deals").await?;
        browser.by_testid("deal-card").await?;
        let summary = browser.by_testid("deal-summary").await?.text().await?;
        let open: usize = summary.split(' ').next().unwrap_or("").chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0);
        let cards = count_of(&browser, "[data-testid=deal-card]").await?;
        assert!(open >= 100, "{summary}");
        assert!(cards < open, "{cards} cards in the page for {open} open deals");
        let owners = count_of(&browser, "[data-testid=deal-card] [data-testid=deal-owner]").await?;
        assert!(owners > 0, "cards show their owner");
        let days = browser.by_testid("deal-days").await?.text().await?;
        assert!(days.ends_with(" d"), "{days}");
        let won = browser
            .eval("return [...document.querySelector('[data-testid=deal-move]').options].filter(o => o.text === 'Won').length;")
            .await?;
        assert_eq!(won, 1, "Won once in the stage menu");
        browser.screenshot("deals-board-1280x800-en").await?;
        // A new deal closing last of all sorts to the end of the first column: the board brings it on
        // screen and marks it.
        browser.by_testid("new-deal-open").await?.click().await?;
        browser.by_testid("new-deal-title").await?.send_keys("Zeppelin fleet").await?;
        browser
            .eval("const d = document.querySelector('[data-testid=new-deal-close]'); d.value = '2099-12-31'; d.dispatchEvent(new Event('input', { bubbles: true })); return 1;")
            .await?;
        browser.by_testid("add-deal").await?.click().await?;
        wait_until("the new deal on screen, marked", 10, || async {
            let seen = on_screen(&browser, "[data-testid=deal-card].just-added[data-title='Zeppelin fleet']").await?;
            Ok((seen == 1).then_some(()))
        })
        .await?;
        browser.screenshot("deals-new-deal-1280x800-en").await?;
        browser.by_testid("deals-list").await?.click().await?;
        browser.by_testid("deal-table-row").await?;
        let rows = count_of(&browser, "[data-testid=deal-table-row]").await?;
        assert!(rows < open, "{rows} list rows in the page for {open} open deals");
        browser.screenshot("deals-list-1280x800-en").await?;

        // The palette: context for each person, and all of them one step away.
        browser.by_testid("palette-open").await?.click().await?;
        browser.by_testid("palette-input").await?.send_keys("a").await?;
        let all = wait_until("Show all people", 10, || async {
            let label = browser
                .eval("return document.querySelector('[data-testid=palette-item][data-kind=all]')?.textContent ?? '';")
                .await?;
            let label = label.as_str().unwrap_or_default().to_owned();
            Ok((!label.is_empty()).then_some(label))
        })
        .await?;
        let people = count_of(&browser, "[data-testid=palette-item][data-kind=party]").await?;
        assert!(people > 6, "more than six people offered: {people}");
        let details = browser
            .eval("return [...document.querySelectorAll('[data-testid=palette-item][data-kind=party] .row-detail')].filter(d => d.textContent.length > 0).length;")
            .await?;
        assert!(details.as_u64().unwrap_or(0) > 0, "people come with context");
        browser.screenshot("palette-1280x800-en").await?;
        let matching: String = all.chars().filter(char::is_ascii_digit).collect();
        browser
            .driver()
            .find(thirtyfour::By::Css("[data-testid=palette-item][data-kind=all]"))
            .await?
            .click()
            .await?;
        browser
            .text_when("party-count", |text| {
                text.chars().filter(char::is_ascii_digit).collect::<String>() == matching
            })
            .await?;
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn long_lists_look_right_on_a_phone_and_in_russian() {
    run_with_relay_args("long_lists_screens", &["--demo", "--demo-parties", PARTIES], |harness| async move {
        for (viewport, language, size) in [
            (Viewport::Phone, "en", "390x844"),
            (Viewport::Phone, "ru", "390x844"),
            (Viewport::Desktop, "ru", "1280x800"),
        ] {
            let browser = harness.browser_speaking(viewport, language).await?;
            with_demo(&browser).await?;
            browser.screenshot(&format!("people-{size}-{language}")).await?;
            let shell = AppShell::open(&browser, "/tasks").await?;
            browser.by_testid("task-row").await?;
            let rows = count_of(&browser, "[data-testid=task-row]").await?;
            if rows > 60 {
                return Err(E2eError::Setup(format!("{rows} task rows in the page at {size}")));
            }
            browser.screenshot(&format!("tasks-{size}-{language}")).await?;
            for (page, shot) in [("today", "today"), ("deals", "deals-board")] {
                shell.go_to(page).await?;
                browser.by_testid(&format!("page-{page}")).await?;
                if page == "deals" {
                    browser.by_testid("deal-card").await?;
                } else {
                    browser.by_testid("today-summary").await?;
                }
                browser.screenshot(&format!("{shot}-{size}-{language}")).await?;
            }
            if matches!(viewport, Viewport::Phone) {
                // Nothing scrolls sideways but the board itself.
                let overflow = browser
                    .eval("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
                    .await?;
                assert_eq!(overflow, 0, "no sideways scrolling at {size} ({language})");
            }
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
