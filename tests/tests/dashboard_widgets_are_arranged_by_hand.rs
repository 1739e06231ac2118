//! A dashboard arranged by hand, end to end on a real relay. Anna (at her desk, in English) pins three
//! reports for the team: they show by name until she moves one — with its "earlier" button, then by
//! dragging another by its handle onto the first place. Boris (on his phone, in Russian) sees the
//! team's order follow at once and moves one with his buttons; Anna's page follows his move, and the
//! order outlives a reload. Her own reports are hers to arrange, and his page never shows them.

use rapport_e2e::flows::{
    add_party, anna_and_boris, change_to, click_centred as click, new_deal, photograph,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, run, wait_until};

/// The titles of the widgets in `grid` (`pinned-widgets` or `my-widgets`), in the page's order.
async fn widget_titles(browser: &Browser, grid: &str) -> E2eResult<Vec<String>> {
    let titles = browser
        .eval(&format!(
            "return [...document.querySelectorAll('[data-testid={grid}] [data-testid=pinned-widget] h2')].map(h => h.textContent);"
        ))
        .await?;
    Ok(serde_json::from_value(titles).unwrap_or_default())
}

async fn order_becomes(browser: &Browser, grid: &str, expected: &[&str]) -> E2eResult {
    wait_until(&format!("{grid} in the order {expected:?}"), 20, || async {
        Ok((widget_titles(browser, grid).await? == expected).then_some(()))
    })
    .await
}

/// Clicks button `testid` of the widget titled `title` in `grid`.
async fn press(browser: &Browser, grid: &str, title: &str, testid: &str) -> E2eResult {
    let pressed = browser
        .eval(&format!(
            "const w = [...document.querySelectorAll('[data-testid={grid}] [data-testid=pinned-widget]')]
               .find(w => w.querySelector('h2')?.textContent === {title:?});
             const b = w?.querySelector('[data-testid={testid}]');
             if (!b || b.disabled) return false;
             b.scrollIntoView({{ block: 'center' }}); b.click(); return true;"
        ))
        .await?;
    assert_eq!(pressed, true, "{testid} of {title} in {grid}");
    Ok(())
}

/// Drags the widget titled `title` by its handle onto the widget titled `onto`, as the browser tells
/// a page of a drag: dragstart on the handle, dragover and drop on the target, dragend.
async fn drag(browser: &Browser, title: &str, onto: &str) -> E2eResult {
    let dropped = browser
        .eval(&format!(
            "const find = t => [...document.querySelectorAll('[data-testid=pinned-widgets] [data-testid=pinned-widget]')]
               .find(w => w.querySelector('h2')?.textContent === t);
             const from = find({title:?}), to = find({onto:?});
             const handle = from?.querySelector('[data-testid=widget-handle]');
             if (!handle || !to) return false;
             const data = new DataTransfer();
             const fire = (el, type) => el.dispatchEvent(new DragEvent(type, {{ bubbles: true, cancelable: true, dataTransfer: data }}));
             fire(handle, 'dragstart');
             const welcomed = !fire(to, 'dragover');
             fire(to, 'drop');
             fire(handle, 'dragend');
             return welcomed;"
        ))
        .await?;
    assert_eq!(dropped, true, "{onto} takes the drop of {title}");
    Ok(())
}

/// Saves the report the builder shows as `name`, pinned for the team or only for Anna.
async fn save_report(browser: &Browser, group: &str, name: &str) -> E2eResult {
    change_to(browser, "report-group", group).await?;
    click(browser, "new-report").await?;
    browser.by_testid("report-name").await?.send_keys(name).await?;
    click(browser, "save-report").await?;
    browser
        .wait_for_script(
            &format!("{name} saved"),
            &format!(
                "return [...document.querySelectorAll('[data-testid=saved-report]')].some(c => c.textContent === {name:?});"
            ),
        )
        .await
}

#[tokio::test]
async fn a_dashboard_s_widgets_keep_the_order_people_give_them_on_every_device() {
    let name = "dashboard_widgets_are_arranged_by_hand";
    run(name, |harness| async move {
        let (anna, boris) = anna_and_boris(&harness).await?;
        AppShell::open(&anna, "/parties").await?;
        add_party(&anna, "Nordwind GmbH").await?;
        AppShell::open(&anna, "/deals").await?;
        new_deal(&anna, "Fleet renewal", "12000", "Nord").await?;

        // Three reports pinned for the team: by name at first.
        AppShell::open(&anna, "/analytics/reports").await?;
        click(&anna, "report-pinned").await?;
        save_report(&anna, "status", "Gamma: by status").await?;
        save_report(&anna, "stage", "Alpha: by stage").await?;
        save_report(&anna, "owner", "Beta: by owner").await?;
        AppShell::open(&anna, "/analytics").await?;
        let by_name = ["Alpha: by stage", "Beta: by owner", "Gamma: by status"];
        order_becomes(&anna, "pinned-widgets", &by_name).await?;
        AppShell::open(&boris, "/analytics").await?;
        order_becomes(&boris, "pinned-widgets", &by_name).await?;

        // Anna moves Gamma up one — by a real click, and the focus stays on its button as it moves —;
        // then drags Beta to the first place.
        let gamma_earlier =
            "[data-testid=pinned-widgets] [data-testid=pinned-widget]:nth-child(3) [data-testid=move-earlier]";
        anna.eval(&format!(
            "document.querySelector({gamma_earlier:?}).scrollIntoView({{ block: 'center' }}); return 1;"
        ))
        .await?;
        anna.driver().find(thirtyfour::By::Css(gamma_earlier)).await?.click().await?;
        order_becomes(&anna, "pinned-widgets", &["Alpha: by stage", "Gamma: by status", "Beta: by owner"])
            .await?;
        anna.wait_for_script(
            "the focus on Gamma's button",
            "const f = document.activeElement;
             return f?.dataset.testid === 'move-earlier'
               && f.closest('[data-testid=pinned-widget]')?.querySelector('h2')?.textContent === 'Gamma: by status';",
        )
        .await?;
        drag(&anna, "Beta: by owner", "Alpha: by stage").await?;
        let arranged = ["Beta: by owner", "Alpha: by stage", "Gamma: by status"];
        order_becomes(&anna, "pinned-widgets", &arranged).await?;
        // The first cannot go earlier, the last not later.
        let ends = anna
            .eval(
                "const w = [...document.querySelectorAll('[data-testid=pinned-widgets] [data-testid=pinned-widget]')];
                 return w[0].querySelector('[data-testid=move-earlier]').disabled
                   && w[2].querySelector('[data-testid=move-later]').disabled
                   && !w[1].querySelector('[data-testid=move-later]').disabled;",
            )
            .await?;
        assert_eq!(ends, true);
        // Each widget's chart is still the one it was: Beta counts the deal under its owner.
        anna.wait_for_script(
            "Beta's bar",
            "const w = [...document.querySelectorAll('[data-testid=pinned-widgets] [data-testid=pinned-widget]')][0];
             return w.querySelectorAll('[data-testid=chart-bar]').length === 1;",
        )
        .await?;
        photograph(&anna, "dashboard-arranged-1280x800-en").await?;

        // Boris's phone follows; he moves Alpha down with his buttons, and Anna's page follows.
        order_becomes(&boris, "pinned-widgets", &arranged).await?;
        press(&boris, "pinned-widgets", "Alpha: by stage", "move-later").await?;
        let after_boris = ["Beta: by owner", "Gamma: by status", "Alpha: by stage"];
        order_becomes(&boris, "pinned-widgets", &after_boris).await?;
        order_becomes(&anna, "pinned-widgets", &after_boris).await?;
        boris
            .eval("document.querySelector('[data-testid=pinned-widgets]').scrollIntoView(); return 1;")
            .await?;
        photograph(&boris, "dashboard-arranged-390x844-ru").await?;
        anna.driver().refresh().await?;
        order_becomes(&anna, "pinned-widgets", &after_boris).await?;

        // Her own page: two reports only for her, arranged by her, never on Boris's page.
        AppShell::open(&anna, "/analytics/reports").await?;
        click(&anna, "report-mine").await?;
        save_report(&anna, "status", "Mine: Zulu").await?;
        save_report(&anna, "stage", "Mine: Yankee").await?;
        AppShell::open(&anna, "/analytics").await?;
        order_becomes(&anna, "my-widgets", &["Mine: Yankee", "Mine: Zulu"]).await?;
        press(&anna, "my-widgets", "Mine: Zulu", "move-earlier").await?;
        order_becomes(&anna, "my-widgets", &["Mine: Zulu", "Mine: Yankee"]).await?;
        anna.driver().refresh().await?;
        order_becomes(&anna, "my-widgets", &["Mine: Zulu", "Mine: Yankee"]).await?;
        order_becomes(&anna, "pinned-widgets", &after_boris).await?;
        AppShell::open(&boris, "/analytics").await?;
        order_becomes(&boris, "pinned-widgets", &after_boris).await?;
        assert!(widget_titles(&boris, "my-widgets").await?.is_empty());

        for browser in [&anna, &boris] {
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
