//! Goals, end to end on a real relay. Anna (at her desk, in English) sets the company's goal with two
//! key results and a Sales team goal that serves it; Boris (on his phone, in Russian) sees them as a
//! tree and checks in on the company's goal — one key result moved, the other left as it stands, how
//! confident he is and a note. Anna's open page shows the progress and the confidence as he saves.

use rapport_e2e::flows::{
    attribute_becomes, change_to, click_centred as click, click_css, days_from_today, employ,
    join_by_invitation, photograph, set_field, sign_up_and_upload, sync_state,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run};

/// Adds key result `title` from `start` to `target` in `unit` on the open goal.
async fn add_key_result(
    browser: &Browser,
    title: &str,
    start: &str,
    target: &str,
    unit: &str,
) -> E2eResult {
    set_field(browser, "kr-title", title).await?;
    set_field(browser, "kr-start", start).await?;
    set_field(browser, "kr-target", target).await?;
    set_field(browser, "kr-unit", unit).await?;
    click(browser, "kr-add").await
}

#[tokio::test]
async fn a_team_goal_serves_the_company_s_and_a_check_in_shows_on_every_screen() {
    let name = "a_team_goal_serves_the_company_s_and_a_check_in_shows_on_every_screen";
    run(name, |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        let boris = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;
        employ(&anna, "Boris Ivanov", "Boris", "Sales").await?;
        let boris_record = anna.path().await?;

        // The company's goal, with two key results — one aiming up, one down.
        AppShell::open(&anna, "/team").await?;
        click(&anna, "new-goal-create").await?;
        anna.by_testid("new-goal-error").await?;
        set_field(&anna, "new-goal-title", "Double ARR").await?;
        click(&anna, "new-goal-create").await?;
        anna.by_testid("key-results").await?;
        let company = anna.path().await?;
        assert!(company.starts_with("/team/goals/"), "{company}");
        add_key_result(&anna, "ARR", "1", "2", "M€").await?;
        attribute_becomes(&anna, "key-results", "data-count", "1").await?;
        // A result met before it starts, or a number read two ways, is refused with the reason.
        add_key_result(&anna, "Churn", "10", "10", "%").await?;
        anna.by_testid("kr-error").await?;
        add_key_result(&anna, "Churn", "10", "1,000", "%").await?;
        anna.by_testid("kr-error").await?;
        add_key_result(&anna, "Churn", "10", "5", "%").await?;
        attribute_becomes(&anna, "key-results", "data-count", "2").await?;
        let results = anna.eval("return [...document.querySelectorAll('[data-testid=key-result-detail]')].map(e => e.textContent.trim());").await?;
        assert_eq!(results, serde_json::json!(["1 → 2 M€", "10 → 5 %"]));

        // Sales' goal serves it.
        AppShell::open(&anna, "/team").await?;
        set_field(&anna, "new-goal-title", "Sales books 40 new customers").await?;
        change_to(&anna, "new-goal-level", "team").await?;
        set_field(&anna, "new-goal-team", "Sales").await?;
        anna.wait_for_script(
            "the company's goal offered to serve",
            "const menu = document.querySelector('[data-testid=new-goal-parent]');
             return !!menu && [...menu.options].some(o => o.textContent.trim() === 'Double ARR');",
        )
        .await?;
        anna.eval(
            "const menu = document.querySelector('[data-testid=new-goal-parent]');
             menu.value = [...menu.options].find(o => o.textContent.trim() === 'Double ARR').value;
             menu.dispatchEvent(new Event('change', { bubbles: true })); return 1;",
        )
        .await?;
        click(&anna, "new-goal-create").await?;
        anna.by_testid("goal-parent").await?;
        let team_goal = anna.path().await?;

        // Boris's phone shows the tree: the company's goal, Sales' under it.
        AppShell::open(&boris, "/team").await?;
        attribute_becomes(&boris, "goals", "data-count", "2").await?;
        boris
            .wait_for_script(
                "Sales' goal under the company's",
                "const rows = [...document.querySelectorAll('[data-testid=goal-row]')];
                 return rows.length === 2 && rows[0].dataset.title === 'Double ARR' && rows[0].dataset.depth === '0'
                   && rows[1].dataset.depth === '1';",
            )
            .await?;

        // He checks in on the company's goal while Anna has it open: ARR at 1.5 M€, churn as it
        // stands, confidence 5 of 10.
        anna.open(&company).await?;
        anna.by_testid("key-results").await?;
        boris.open(&company).await?;
        boris.by_testid("check-in").await?;
        boris
            .wait_for_script(
                "the check-in form with both key results",
                "return document.querySelectorAll('[data-testid=check-in-value]').length === 2;",
            )
            .await?;
        boris
            .eval(
                "const f = document.querySelector('[data-testid=check-in-value][data-title=ARR]');
                 f.value = '1,5'; f.dispatchEvent(new Event('input', { bubbles: true })); return 1;",
            )
            .await?;
        change_to(&boris, "check-in-confidence", "5").await?;
        set_field(&boris, "check-in-note", "Хороший пайплайн в марте").await?;
        click(&boris, "check-in-save").await?;
        boris.by_testid("checked-in").await?;
        // Half of ARR's way, none of churn's: a quarter, at risk — on Anna's screen too.
        for browser in [&anna, &boris] {
            attribute_becomes(browser, "check-ins", "data-count", "1").await?;
            attribute_becomes(browser, "goal-progress-total", "data-percent", "25").await?;
            attribute_becomes(browser, "goal-track", "data-track", "at-risk").await?;
        }
        let row = anna.by_testid("check-in-row").await?.text().await?;
        // Only what he moved: churn, as it stood, is nobody's word.
        assert!(row.contains("Boris") && row.contains("ARR: 1.5") && !row.contains("Churn"), "{row}");
        assert!(row.contains("Хороший пайплайн в марте"), "{row}");

        // The company's goal cannot be made to serve Sales' (which serves it): not offered.
        let offered = anna
            .eval("return [...document.querySelectorAll('[data-testid=edit-goal-parent] option')].map(o => o.textContent.trim());")
            .await?;
        assert!(!offered.to_string().contains("Sales books"), "{offered}");
        // At once, Anna renames the company's goal and Boris gives it a due day: both are kept.
        let [due] = days_from_today(&boris, [90]).await?;
        set_field(&anna, "edit-goal-title", "Double ARR by 2027").await?;
        change_to(&boris, "edit-goal-due", &due).await?;
        click(&anna, "edit-goal-save").await?;
        click(&boris, "edit-goal-save").await?;
        for browser in [&anna, &boris] {
            browser
                .wait_for_script(
                    "both changes on the goal",
                    &format!(
                        "return document.querySelector('[data-testid=page-title]').textContent.trim() === 'Double ARR by 2027'
                           && document.querySelector('[data-testid=edit-goal-due]').value === '{due}';"
                    ),
                )
                .await?;
        }
        // Anna raises ARR's target while Boris looks on: read against 3 M€ from now on.
        click_css(&anna, "[data-testid=key-result][data-title=ARR] .kr-edit summary").await?;
        anna.eval(
            "const f = document.querySelector('[data-testid=key-result][data-title=ARR] [data-testid=kr-new-target]');
             f.value = '3'; f.dispatchEvent(new Event('input', { bubbles: true })); return 1;",
        )
        .await?;
        click_css(&anna, "[data-testid=key-result][data-title=ARR] [data-testid=kr-retarget-save]")
            .await?;
        boris
            .wait_for_script(
                "ARR's new target on Boris's phone",
                "return [...document.querySelectorAll('[data-testid=key-result-detail]')]
                   .some(e => e.textContent.trim() === '1.5 → 3 M€');",
            )
            .await?;
        // Sales' goal becomes Boris's own: whose a goal is changes in place.
        anna.open(&team_goal).await?;
        anna.by_testid("edit-goal").await?;
        change_to(&anna, "edit-goal-level", "person").await?;
        set_field(&anna, "edit-goal-owner-party-search", "Boris Iv").await?;
        click(&anna, "edit-goal-owner-party-match").await?;
        click(&anna, "edit-goal-save").await?;
        anna.wait_for_script(
            "the goal now Boris's",
            "return document.querySelector('[data-testid=goal-meta]').textContent.includes('Boris Ivanov');",
        )
        .await?;
        // Boris's record lists the goal, now his own.
        anna.open(&boris_record).await?;
        attribute_becomes(&anna, "employee-goals", "data-count", "1").await?;
        let listed = anna.by_testid("employee-goals").await?.text().await?;
        assert!(listed.contains("Sales books 40 new customers"), "{listed}");

        // Every new page at both sizes, in English on Anna's screens and Russian on Boris's.
        for (browser, language) in [(&anna, "en"), (&boris, "ru")] {
            for (viewport, size) in [(Viewport::Desktop, "1280x800"), (Viewport::Phone, "390x844")] {
                browser.emulate(viewport).await?;
                for (page, path, ready) in [("team-goals", "/team", "goals"), ("goal", company.as_str(), "key-results"), ("team-goal", team_goal.as_str(), "goal-parent")] {
                    browser.open(path).await?;
                    browser.by_testid(ready).await?;
                    sync_state(browser, "synced", 30).await?;
                    if page == "team-goals" {
                        browser.eval("document.querySelector('[data-testid=goals]').scrollIntoView(); return 1;").await?;
                    }
                    photograph(browser, &format!("{page}-{size}-{language}")).await?;
                }
            }
        }
        Ok(())
    })
    .await;
}
