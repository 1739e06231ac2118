//! Contracts and their derived dates, end to end: a contract written on a supplier's record shows its
//! last day to give notice and its renewal (worked out, never stored), lists them in the renewals
//! calendar and its `.ics` file, and asks the relay for one reminder before the notice date; notice
//! given turns that into a reminder of the end. Anna's phone, in Russian, sees each change live, and
//! what it records offline reaches her desk when it is back online.

use rapport_e2e::flows::{
    add_party, api_session, change_to, click_centred as click, days_from_today, download,
    downloads_into, notifications, open_record, set_field, set_network, sign_in_on_another_device,
    sign_up_and_upload,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};

/// 09:00 UTC, `before` days ahead of `day` (`YYYY-MM-DD`), in seconds: when the relay pushes a reminder.
fn nine_utc(day: &str, before: i64) -> i64 {
    let parts: Vec<i64> = day.split('-').map(|p| p.parse().unwrap()).collect();
    let (y, m, d) = (parts[0], parts[1], parts[2]);
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    (days - before) * 86_400 + 9 * 3_600
}

/// The calendar's dates as `(kind, day)`, in the order listed.
async fn calendar(browser: &Browser) -> E2eResult<Vec<(String, String)>> {
    let listed = browser
        .eval(
            "return [...document.querySelectorAll('[data-testid=contract-date]')]
                .map(li => [li.dataset.kind, li.dataset.day]);",
        )
        .await?;
    Ok(listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|pair| (pair[0].as_str().unwrap().to_owned(), pair[1].as_str().unwrap().to_owned()))
        .collect())
}

#[tokio::test]
async fn a_contract_s_notice_and_renewal_are_derived_listed_exported_and_reminded_once() {
    let name = "a_contract_s_notice_and_renewal_are_derived_listed_exported_and_reminded_once";
    run(name, |harness| async move {
        let relay = harness.relay().url().to_owned();
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        add_party(&anna, "Nordwind GmbH").await?;
        open_record(&anna, "Nordwind").await?;
        click(&anna, "new-contract-open").await?;
        set_field(&anna, "new-contract-title", "Cleaning, Main St").await?;
        change_to(&anna, "new-contract-kind", "supplier").await?;
        click(&anna, "new-contract-create").await?;
        anna.by_testid("contract-form").await?;
        anna.text_becomes("contract-outlook", "No start date yet").await?;
        let contract_path = anna.path().await?;

        // A year's cleaning: started a month ago, first term to 100 days from now, 30 days' notice,
        // renewed for 12 months unless notice is given; the owner reminded 14 days ahead.
        let [started, ends, notice_by, renews, before_start, given_on] =
            days_from_today(&anna, [-30, 100, 70, 101, -40, 0]).await?;
        set_field(&anna, "contract-value", "1200").await?;
        change_to(&anna, "contract-billing", "monthly").await?;
        change_to(&anna, "contract-starts", &started).await?;
        change_to(&anna, "contract-ends", &ends).await?;
        set_field(&anna, "contract-notice", "30").await?;
        change_to(&anna, "contract-notice-unit", "days").await?;
        set_field(&anna, "contract-renewal", "12").await?;
        set_field(&anna, "contract-remind", "14").await?;
        // A term that ends before it starts is refused with the reason, and nothing is lost.
        change_to(&anna, "contract-ends", &before_start).await?;
        click(&anna, "save-contract").await?;
        anna.text_becomes("contract-form-error", "The first term ends before the contract starts.")
            .await?;
        change_to(&anna, "contract-ends", &ends).await?;
        click(&anna, "save-contract").await?;
        let outlook = anna.text_when("contract-outlook", |t| t.starts_with("Notice by")).await?;
        let term = anna.by_testid("contract-term").await?.text().await?;
        assert!(term.starts_with("Current term: "), "{term}");
        anna.screenshot("contract-1280x800").await?;

        // The renewals calendar: this term's notice date, then its renewal; the next term's notice
        // date is more than a year away.
        AppShell::open(&anna, "/contracts").await?;
        wait_until("the calendar to list the contract's dates", 20, || async {
            let listed = calendar(&anna).await?;
            Ok((listed
                == [
                    ("notice".to_owned(), notice_by.clone()),
                    ("renews".to_owned(), renews.clone()),
                ])
            .then_some(()))
        })
        .await?;
        let row = anna.by_testid("contract-row").await?.text().await?;
        assert!(row.contains("Cleaning, Main St") && row.contains("Nordwind GmbH"), "{row}");
        assert!(row.contains(&outlook), "the list says what the page says: {row}");
        anna.screenshot("contracts-1280x800").await?;
        anna.emulate(Viewport::Phone).await?;
        anna.screenshot("contracts-390x844").await?;
        anna.emulate(Viewport::Desktop).await?;

        // The same dates as a calendar file, each an all-day event with its reminder.
        let dir = tempfile::tempdir().expect("a temp dir");
        downloads_into(&anna, dir.path()).await?;
        let ics =
            std::fs::read_to_string(download(&anna, "contracts-ics", dir.path(), "ics").await?)
                .expect("the calendar file");
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "{ics}");
        let compact = |day: &str| day.replace('-', "");
        assert!(ics.contains(&format!("DTSTART;VALUE=DATE:{}\r\n", compact(&notice_by))), "{ics}");
        assert!(ics.contains(&format!("DTSTART;VALUE=DATE:{}\r\n", compact(&renews))), "{ics}");
        assert!(ics.contains("SUMMARY:Last day to give notice: Cleaning\\, Main St\r\n"), "{ics}");
        assert!(ics.contains("TRIGGER:-P13DT15H\r\n"), "09:00 14 days ahead: {ics}");

        // One reminder at the relay, 14 days before the notice date at 09:00 UTC.
        let session = api_session(&relay, "anna@example.test").await;
        wait_until("the notice reminder at the relay", 15, || async {
            let mut found = notifications(&relay, &session).await;
            found.sort();
            let wanted = vec![("queued".to_owned(), nine_utc(&notice_by, 14))];
            Ok((found == wanted).then_some(()))
        })
        .await?;

        // Anna's phone, in Russian, lists the contract with the same date.
        let phone = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        sign_in_on_another_device(&phone, "anna@example.test").await?;
        AppShell::open(&phone, "/contracts").await?;
        phone.text_when("contract-outlook", |t| t.starts_with("Уведомить не позднее")).await?;
        phone.screenshot("contracts-390x844-ru").await?;
        phone.emulate(Viewport::Desktop).await?;
        phone.screenshot("contracts-1280x800-ru").await?;
        phone.emulate(Viewport::Phone).await?;
        click(&phone, "contract-link").await?;
        phone.by_testid("contract-form").await?;

        // Reminded 75 days ahead instead: that moment has passed, so the relay pushes the reminder at
        // once (and only once), and the notice date is on Anna's Today.
        click(&anna, "contract-link").await?;
        anna.by_testid("contract-form").await?;
        set_field(&anna, "contract-remind", "75").await?;
        click(&anna, "save-contract").await?;
        wait_until("the reminder pushed at once", 15, || async {
            let mut found = notifications(&relay, &session).await;
            found.sort();
            Ok((found == [("sent".to_owned(), nine_utc(&notice_by, 75))]).then_some(()))
        })
        .await?;
        AppShell::open(&anna, "/").await?;
        let today = anna.text_when("today-contracts", |t| t.contains("Cleaning, Main St")).await?;
        assert!(today.contains("Last day to give notice"), "{today}");
        anna.screenshot("today-contract-1280x800").await?;
        AppShell::open(&anna, "/contracts").await?;
        click(&anna, "contract-link").await?;
        anna.by_testid("contract-form").await?;

        // Notice given today, on the desk: the phone's page says it ends, and the relay holds a
        // reminder of the end beside the notice reminder already sent.
        change_to(&anna, "contract-notice-given", &given_on).await?;
        click(&anna, "save-contract").await?;
        anna.text_when("contract-outlook", |t| t.starts_with("Ends")).await?;
        phone.text_when("contract-outlook", |t| t.starts_with("Заканчивается")).await?;
        // The phone's open form shows the colleague's value in the field it did not touch.
        rapport_e2e::flows::field_becomes(&phone, "contract-notice-given", &given_on, 15).await?;
        wait_until("the end reminder instead", 15, || async {
            let mut found = notifications(&relay, &session).await;
            found.sort();
            let wanted = vec![
                ("queued".to_owned(), nine_utc(&ends, 75)),
                ("sent".to_owned(), nine_utc(&notice_by, 75)),
            ];
            Ok((found == wanted).then_some(()))
        })
        .await?;
        phone.screenshot("contract-390x844-ru").await?;
        phone.emulate(Viewport::Desktop).await?;
        phone.screenshot("contract-1280x800-ru").await?;

        // An obligation recorded on the phone with no network reaches the desk once it is back.
        set_network(&phone, false).await?;
        set_field(&phone, "obligation-title", "Страховой полис").await?;
        click(&phone, "obligation-add").await?;
        phone.text_when("contract-obligations", |t| t.contains("Страховой полис")).await?;
        set_network(&phone, true).await?;
        anna.text_when("contract-obligations", |t| t.contains("Страховой полис")).await?;
        anna.emulate(Viewport::Phone).await?;
        anna.screenshot("contract-390x844").await?;

        // Deleted (after a confirmation): listed nowhere, and the end reminder is cancelled.
        anna.eval("window.confirm = () => true; return 1;").await?;
        click(&anna, "delete-contract").await?;
        anna.by_testid("empty-state").await?;
        wait_until("the end reminder cancelled", 15, || async {
            let mut found = notifications(&relay, &session).await;
            found.sort();
            let wanted = vec![
                ("cancelled".to_owned(), nine_utc(&ends, 75)),
                ("sent".to_owned(), nine_utc(&notice_by, 75)),
            ];
            Ok((found == wanted).then_some(()))
        })
        .await?;
        // Its link says so, and offers nothing to edit.
        AppShell::open(&anna, &contract_path).await?;
        anna.by_testid("contract-deleted").await?;
        assert!(!anna.has_testid("contract-form").await?, "a deleted contract is not edited");

        for browser in [&anna, &phone] {
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
