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

/// Waits until `browser`'s first condition's control `testid` reads `value`.
async fn control_becomes(browser: &Browser, testid: &str, value: &str) -> E2eResult {
    browser
        .wait_for_script(
            &format!("{testid} to read {value}"),
            &format!(
                "const f = document.querySelector('[data-testid=condition] [data-testid={testid}]');
                 return !!f && f.value === {value:?};"
            ),
        )
        .await
}

/// Leaves the field being typed in, as a person does by tapping elsewhere.
async fn leave_field(browser: &Browser) -> E2eResult {
    browser.eval("document.activeElement.blur(); return 1;").await?;
    Ok(())
}

#[tokio::test]
async fn two_people_editing_one_condition_keep_both_changes_and_a_merged_record_leaves_a_list() {
    let name = "two_people_editing_one_condition_keep_both_changes";
    run(name, |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        let boris = harness.browser(Viewport::Desktop).await?;
        join_by_invitation(&anna, &boris, "boris@example.test", "Boris").await?;
        AppShell::open(&anna, "/parties").await?;
        for person in ["Ada Lovelace", "Alan Turing", "Alan M. Turing", "Grace Hopper"] {
            add_party(&anna, person).await?;
        }

        // A segment on the name, open on both desks.
        AppShell::open(&anna, "/marketing").await?;
        set_field(&anna, "new-segment-name", "Names").await?;
        click(&anna, "new-segment-create").await?;
        click(&anna, "add-group").await?;
        choose(&anna, 0, "condition-kind", "field").await?;
        control_becomes(&anna, "condition-op", "contains").await?;
        let segment = anna.path().await?;
        boris.open(&segment).await?;
        control_becomes(&boris, "condition-kind", "field").await?;

        // Anna makes the comparison exact and types a name while Boris makes it "contains" again:
        // her menu (which she has used) follows his choice at once, and leaving the field saves her
        // text without undoing his choice.
        choose(&anna, 0, "condition-op", "is").await?;
        control_becomes(&boris, "condition-op", "is").await?;
        anna.by_testid("condition-value").await?.send_keys("Lov").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "0").await?;
        choose(&boris, 0, "condition-op", "contains").await?;
        control_becomes(&anna, "condition-op", "contains").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "1").await?;
        leave_field(&anna).await?;
        control_becomes(&boris, "condition-value", "Lov").await?;
        control_becomes(&boris, "condition-op", "contains").await?;
        control_becomes(&anna, "condition-op", "contains").await?;

        // Text typed and then typed back fires no change; leaving the field still lets go of it, so
        // Boris's next value shows on Anna's screen.
        let field = anna.by_testid("condition-value").await?;
        field.send_keys("x").await?;
        field.send_keys("\u{E003}").await?;
        leave_field(&anna).await?;
        change_to(&boris, "condition-value", "Ada Lovelace").await?;
        control_becomes(&anna, "condition-value", "Ada Lovelace").await?;
        attribute_becomes(&anna, "segment-count", "data-count", "1").await?;

        // An amount that is not one is refused with its reason, not read as "any amount".
        choose(&anna, 0, "condition-kind", "deal").await?;
        control_becomes(&boris, "condition-kind", "deal").await?;
        anna.by_testid("condition-amount").await?.send_keys("lots").await?;
        let why = anna.by_testid("condition-amount-problem").await?.text().await?;
        assert!(why.contains("lots"), "{why}");
        leave_field(&anna).await?;
        let amount = anna.by_testid("condition-amount").await?;
        amount.clear().await?;
        amount.send_keys("1500").await?;
        leave_field(&anna).await?;
        control_becomes(&boris, "condition-amount", "1500").await?;
        anna.wait_for_script(
            "the reason gone",
            "return !document.querySelector('[data-testid=condition-amount-problem]');",
        )
        .await?;

        // A list holding a duplicate: once merged, its survivor is on the list — on the list's page
        // and on the survivor's — and is taken off it.
        AppShell::open(&anna, "/marketing").await?;
        set_field(&anna, "new-segment-name", "Fair").await?;
        change_to(&anna, "new-segment-kind", "list").await?;
        click(&anna, "new-segment-create").await?;
        anna.by_testid("list-members").await?;
        let list = anna.path().await?;
        for person in ["Alan M. Turing", "Grace Hopper"] {
            set_field(&anna, "list-add-party-search", person).await?;
            anna.eval(&format!(
                "[...document.querySelectorAll('[data-testid=list-add-party-match]')].find(b => b.textContent === {person:?}).click(); return 1;"
            ))
            .await?;
            anna.wait_for_script(
                "the search emptied for the next",
                "const f = document.querySelector('[data-testid=list-add-party-search]'); return !!f && f.value === '';",
            )
            .await?;
        }
        attribute_becomes(&anna, "segment-count", "data-count", "2").await?;
        open_record(&anna, "Alan T").await?;
        anna.eval("document.querySelector('[data-testid=merge]').open = true; return 1;").await?;
        anna.by_testid("merge-party-search").await?.send_keys("Alan M").await?;
        anna.eval("[...document.querySelectorAll('[data-testid=merge-party-match]')].find(b => b.textContent === 'Alan M. Turing').click(); return 1;")
            .await?;
        click(&anna, "confirm-merge").await?;
        anna.wait_for_script(
            "the survivor on the list",
            "return !!document.querySelector('[data-testid=party-list][data-name=Fair]');",
        )
        .await?;
        boris.open(&list).await?;
        boris
            .wait_for_script(
                "Alan Turing on Boris's copy of the list",
                "const names = [...document.querySelectorAll('[data-testid=list-member]')].map(e => e.dataset.name);
                 return names.length === 2 && names.includes('Alan Turing');",
            )
            .await?;
        click_css(&boris, "[data-testid=list-member][data-name='Alan Turing'] button").await?;
        attribute_becomes(&boris, "segment-count", "data-count", "1").await?;
        anna.wait_for_script(
            "the survivor off the list on Anna's screen",
            "return !document.querySelector('[data-testid=party-list]');",
        )
        .await?;

        for browser in [&anna, &boris] {
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
