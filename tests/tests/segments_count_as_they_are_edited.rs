//! Segments, end to end on a real relay. Anna (at her desk, in English) builds "VIP customers" from
//! conditions and sees the count follow each keystroke and choice; Boris (on his phone, in Russian)
//! sees the segment with its count and, with it open, the count change as Anna adds a customer. The
//! segment opens as a people list holding just its people, and is copied into a static list, which
//! takes people added and removed by hand.

use rapport_e2e::flows::{
    add_party, attribute_becomes, change_to, click_centred as click, click_css, join_by_invitation,
    open_record, photograph, set_field, sign_up_and_upload,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};

/// Gives the open record `roles` and `tags` and saves it.
async fn describe(browser: &Browser, name: &str, role: Option<&str>, tags: &str) -> E2eResult {
    open_record(browser, name).await?;
    if let Some(role) = role {
        click_css(browser, &format!("[data-testid=party-role][data-role={role}]")).await?;
        browser
            .wait_for_script(
                "the role to be on",
                &format!("return document.querySelector('[data-testid=party-role][data-role={role}]').getAttribute('aria-pressed') === 'true';"),
            )
            .await?;
    }
    if !tags.is_empty() {
        set_field(browser, "party-tags", tags).await?;
        browser.by_testid("save-party").await?.click().await?;
        wait_until("the record to be saved", 10, || async {
            Ok((browser.by_testid("save-party").await?.text().await? == "Save").then_some(()))
        })
        .await?;
    }
    Ok(())
}

/// The n-th (from 0) condition's control `testid` set to `value`, as a person chooses it.
async fn choose(browser: &Browser, n: usize, testid: &str, value: &str) -> E2eResult {
    browser
        .eval(&format!(
            "const f = document.querySelectorAll('[data-testid=condition] [data-testid={testid}]')[{n}];
             f.value = {value:?}; f.dispatchEvent(new Event('change', {{ bubbles: true }})); return 1;"
        ))
        .await?;
    Ok(())
}

#[tokio::test]
async fn a_segment_counts_as_it_is_edited_and_follows_a_colleague_s_records() {
    let name = "a_segment_counts_as_it_is_edited_and_follows_a_colleague_s_records";
    run(name, |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        let boris = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;

        AppShell::open(&anna, "/parties").await?;
        for person in ["Clara Schumann", "Dmitri Mendeleev", "Edith Piaf", "Grigory Perelman"] {
            add_party(&anna, person).await?;
        }
        describe(&anna, "Clara", Some("customer"), "vip").await?;
        describe(&anna, "Dmitri", None, "VIP, chemistry").await?;
        describe(&anna, "Edith", Some("customer"), "").await?;

        // A new segment holds everyone until it has conditions.
        AppShell::open(&anna, "/parties").await?;
        click(&anna, "marketing-link").await?;
        anna.by_testid("page-marketing").await?;
        click(&anna, "new-segment-create").await?;
        anna.by_testid("new-segment-error").await?;
        set_field(&anna, "new-segment-name", "VIP customers").await?;
        click(&anna, "new-segment-create").await?;
        anna.by_testid("rule-everyone").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "4").await?;
        let segment = anna.path().await?;
        assert!(segment.starts_with("/marketing/segments/"), "{segment}");

        // A tag condition admits nobody until its value is typed, and counts as it is typed — before
        // the field is left (which saves it).
        click(&anna, "add-group").await?;
        anna.by_testid("condition-problem").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "0").await?;
        anna.by_testid("condition-value").await?.send_keys("Vip").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "2").await?;
        anna.wait_for_script(
            "the condition readable once typed",
            "return !document.querySelector('[data-testid=condition-problem]');",
        )
        .await?;
        change_to(&anna, "condition-value", "Vip").await?;

        // And customers: Clara alone holds both; either of them, three.
        click(&anna, "add-condition").await?;
        anna.wait_for_script(
            "a second condition",
            "return document.querySelectorAll('[data-testid=condition]').length === 2;",
        )
        .await?;
        choose(&anna, 1, "condition-kind", "role").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "1").await?;
        anna.wait_for_script(
            "Clara alone listed",
            "const names = [...document.querySelectorAll('[data-testid=segment-member]')].map(e => e.dataset.name);
             return names.length === 1 && names[0] === 'Clara Schumann';",
        )
        .await?;
        anna.by_testid("group-any").await?;
        change_to(&anna, "group-any", "any").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "3").await?;
        photograph(&anna, "segment-1280x800-en").await?;

        // Boris's phone lists it with its count, in Russian, and follows Anna's new customer.
        AppShell::open(&boris, "/marketing").await?;
        boris
            .wait_for_script(
                "VIP customers listed with three people",
                "const row = document.querySelector('[data-testid=segment-row][data-name=\"VIP customers\"]');
                 return !!row && row.dataset.count === '3';",
            )
            .await?;
        photograph(&boris, "marketing-390x844-ru").await?;
        boris.open(&segment).await?;
        attribute_becomes(&boris, "segment-count", "data-count", "3").await?;
        boris
            .wait_for_script(
                "the rule as Anna left it",
                "return document.querySelectorAll('[data-testid=condition]').length === 2
                   && document.querySelector('[data-testid=group-any]').value === 'any'
                   && document.querySelector('[data-testid=condition-value]').value === 'Vip';",
            )
            .await?;
        let text = boris.by_testid("page-segment").await?.text().await?;
        assert!(text.contains("Человек: 3"), "{text}");
        add_party(&anna, "Fyodor Dostoevsky").await?;
        describe(&anna, "Fyodor", Some("customer"), "").await?;
        attribute_becomes(&boris, "segment-count", "data-count", "4").await?;
        photograph(&boris, "segment-390x844-ru").await?;

        // Opened as a people list: just its four.
        anna.open(&segment).await?;
        attribute_becomes(&anna, "segment-count", "data-count", "4").await?;
        click(&anna, "segment-open-list").await?;
        anna.by_testid("segment-filter").await?;
        wait_until("the segment's four listed", 15, || async {
            let names = anna
                .eval("return [...document.querySelectorAll('[data-testid=party-row] .row-title')].map(e => e.textContent).sort().join(', ');")
                .await?;
            Ok((names == "Clara Schumann, Dmitri Mendeleev, Edith Piaf, Fyodor Dostoevsky").then_some(()))
        })
        .await?;
        click(&anna, "segment-filter-clear").await?;
        wait_until("everyone listed again", 15, || async {
            let rows = anna.eval("return document.querySelectorAll('[data-testid=party-row]').length;").await?;
            Ok((rows == 5).then_some(()))
        })
        .await?;

        // Copied into a list, which keeps who was in it: Fyodor taken off, Grigory added by hand.
        anna.open(&segment).await?;
        attribute_becomes(&anna, "segment-count", "data-count", "4").await?;
        click(&anna, "segment-copy").await?;
        anna.by_testid("list-members").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "4").await?;
        let list = anna.path().await?;
        assert_ne!(list, segment);
        click_css(&anna, "[data-testid=list-member][data-name='Fyodor Dostoevsky'] button").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "3").await?;
        set_field(&anna, "list-add-party-search", "Grig").await?;
        click(&anna, "list-add-party-match").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "4").await?;
        anna.wait_for_script(
            "Grigory on the list, Fyodor not",
            "const names = [...document.querySelectorAll('[data-testid=list-member]')].map(e => e.dataset.name);
             return names.includes('Grigory Perelman') && !names.includes('Fyodor Dostoevsky');",
        )
        .await?;
        photograph(&anna, "list-1280x800-en").await?;

        // A record says which segments it is in and which lists it is on; Edith is taken off the
        // list there and put back.
        open_record(&anna, "Edith").await?;
        anna.wait_for_script(
            "Edith in the segment and on the list",
            "return !!document.querySelector('[data-testid=party-segment][data-name=\"VIP customers\"]')
               && !!document.querySelector('[data-testid=party-list][data-name=\"VIP customers (list)\"]');",
        )
        .await?;
        boris.open(&list).await?;
        attribute_becomes(&boris, "segment-count", "data-count", "4").await?;
        click_css(&anna, "[data-testid=party-list] button").await?;
        anna.wait_for_script(
            "Edith off the list",
            "return !document.querySelector('[data-testid=party-list]');",
        )
        .await?;
        boris
            .wait_for_script(
                "Edith off Boris's copy of the list",
                "const names = [...document.querySelectorAll('[data-testid=list-member]')].map(e => e.dataset.name);
                 return names.length === 3 && !names.includes('Edith Piaf');",
            )
            .await?;
        let list_id = list.rsplit('/').next().unwrap_or_default().to_owned();
        anna.by_testid("party-add-to-list").await?;
        change_to(&anna, "party-add-to-list", &list_id).await?;
        anna.by_testid("party-list").await?;
        boris
            .wait_for_script(
                "Edith back on Boris's copy of the list",
                "const names = [...document.querySelectorAll('[data-testid=list-member]')].map(e => e.dataset.name);
                 return names.length === 4 && names.includes('Edith Piaf');",
            )
            .await?;
        AppShell::open(&boris, "/marketing").await?;
        attribute_becomes(&boris, "segments", "data-count", "2").await?;

        for browser in [&anna, &boris] {
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
