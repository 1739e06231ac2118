//! Rapport in Russian: a browser whose user reads Russian gets every screen in Russian from the first
//! load — navigation, lists, forms, their error messages, the default pipeline's stages, plural forms
//! ("1 изменение", "2 изменения", "5 изменений"), the relay's refusals, and dates and money as Russian
//! writes them. The switch in Settings changes the language at once and the device remembers it across
//! a reload.

use rapport_e2e::flows::{add_party, open_record, set_field, set_network, sign_up_and_upload};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};
use serde_json::json;

async fn text_of(browser: &Browser, testid: &str) -> E2eResult<String> {
    Ok(browser.by_testid(testid).await?.text().await?)
}

/// The visible labels of the main navigation, in order.
async fn nav_labels(browser: &Browser) -> E2eResult<Vec<String>> {
    let labels = browser
        .eval("return [...document.querySelectorAll('.main-nav-label')].map(e => e.textContent.trim());")
        .await?;
    Ok(serde_json::from_value(labels).unwrap_or_default())
}

#[tokio::test]
async fn a_russian_browser_gets_every_screen_in_russian() {
    run("a_russian_browser_gets_every_screen_in_russian", |harness| async move {
        let browser = harness.browser_speaking(Viewport::Desktop, "ru-RU").await?;
        let shell = AppShell::open(&browser, "/").await?;
        browser.text_becomes("page-title", "Сегодня").await?;
        assert_eq!(nav_labels(&browser).await?, ["Сегодня", "Люди", "Сделки", "Задачи", "Заявки", "Настройки"]);
        assert_eq!(browser.eval("return document.documentElement.lang;").await?, "ru");
        assert_eq!(
            text_of(&browser, "today-summary").await?,
            "просрочено: 0 · на сегодня: 0 · пора напомнить о себе: 0"
        );

        // People: the quick add, the count, the duplicate warning.
        add_party(&browser, "Анна Петрова").await?;
        browser.text_becomes("party-count", "Найдено: 1").await?;
        browser.by_testid("new-party-name").await?.send_keys("анна петрова").await?;
        let warning = text_of(&browser, "duplicate-warning").await?;
        assert!(warning.starts_with("Уже есть в Rapport:"), "{warning}");
        browser.by_testid("add-party").await?.click().await?;
        browser.text_becomes("add-party", "Всё равно добавить").await?;
        browser.by_testid("new-party-name").await?.clear().await?;

        // The record: labels and what a bad email is told.
        open_record(&browser, "Анна").await?;
        // The record's name is the page's title.
        browser.text_becomes("page-title", "Анна Петрова").await?;
        set_field(&browser, "party-email", "anna-at-example").await?;
        browser.by_testid("save-party").await?.click().await?;
        let error = text_of(&browser, "party-form-error").await?;
        assert_eq!(error, "«anna-at-example» — не адрес почты (пример: name@example.com).");

        // Tasks: a due date as Russian writes it.
        shell.go_to("tasks").await?;
        browser.text_becomes("page-title", "Задачи").await?;
        browser.by_testid("new-task-title").await?.send_keys("Позвонить Анне").await?;
        browser
            .eval(
                "const d = new Date(); d.setDate(d.getDate() + 3);
                 const v = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
                 const input = document.querySelector('[data-testid=new-task-due]');
                 input.value = v; input.dispatchEvent(new Event('input', { bubbles: true }));",
            )
            .await?;
        browser.by_testid("add-task").await?.click().await?;
        browser.text_becomes("task-count", "Открыто: 1").await?;
        let expected_due = browser
            .eval(
                "const d = new Date(); d.setDate(d.getDate() + 3); d.setHours(0, 0, 0, 0);
                 return d.toLocaleDateString('ru-RU', { dateStyle: 'medium' });",
            )
            .await?;
        assert_eq!(json!(text_of(&browser, "task-due").await?), expected_due);
        assert!(expected_due.as_str().unwrap_or_default().ends_with(" г."), "{expected_due}");

        // Deals: the default pipeline was written in Russian, money in roubles as Russian writes them.
        shell.go_to("deals").await?;
        let stages = browser
            .eval("return [...document.querySelectorAll('[data-testid=stage-column]')].map(c => c.dataset.name);")
            .await?;
        assert_eq!(stages, json!(["Лид", "Квалификация", "Предложение", "Переговоры"]));
        browser.by_testid("new-deal-open").await?.click().await?;
        browser.by_testid("new-deal-title").await?.send_keys("Поставка").await?;
        browser.by_testid("new-deal-amount").await?.send_keys("много").await?;
        browser.by_testid("add-deal").await?.click().await?;
        let refused = text_of(&browser, "new-deal-error").await?;
        assert!(refused.starts_with("«много» — не сумма"), "{refused}");
        set_field(&browser, "new-deal-amount", "1 200,5").await?;
        browser.by_testid("add-deal").await?.click().await?;
        // Russian groups thousands and sets the sign apart with no-break spaces, as `Intl` does.
        let roubles = browser
            .eval("return new Intl.NumberFormat('ru-RU', { style: 'currency', currency: 'RUB' }).format(1200.5);")
            .await?;
        assert_eq!(roubles, "1\u{a0}200,50\u{a0}₽");
        browser.text_becomes("deal-amount", "1\u{a0}200,50\u{a0}₽").await?;

        browser.screenshot("russian-1280x800").await?;
        assert!(browser.console_errors().await?.is_empty(), "{:?}", browser.console_errors().await?);
        Ok(())
    })
    .await;
}

/// The status bar's text once it counts `n` edits waiting for the relay.
async fn pending(browser: &Browser, n: usize) -> E2eResult<String> {
    wait_until(&format!("{n} pending"), 10, || async {
        let text = text_of(browser, "sync-status").await?;
        Ok(text.contains(&format!(" · {n} ")).then_some(text))
    })
    .await
}

#[tokio::test]
async fn plural_forms_follow_russian_rules_while_offline() {
    run("plural_forms_follow_russian_rules_while_offline", |harness| async move {
        let phone = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        // The relay's refusals too: it names the reason, the app says it in Russian.
        AppShell::open(&phone, "/settings").await?;
        phone.by_testid("account-email").await?.send_keys("olga@example.test").await?;
        phone.by_testid("account-name").await?.send_keys("Ольга").await?;
        phone.by_testid("account-password").await?.send_keys("short").await?;
        phone.by_testid("sign-up").await?.click().await?;
        phone.text_becomes("sync-error", "в пароле должно быть не меньше 10 символов").await?;
        phone.driver().refresh().await?;
        sign_up_and_upload(&phone, "olga@example.test", "Ольга").await?;
        let status = text_of(&phone, "sync-status").await?;
        assert!(status.starts_with("Синхронизировано в "), "{status}");

        set_network(&phone, false).await?;
        add_party(&phone, "Первый").await?;
        let one = pending(&phone, 1).await?;
        assert!(one.ends_with("1 изменение не на сервере"), "{one}");
        assert!(one.starts_with("Нет сети"), "{one}");
        add_party(&phone, "Второй").await?;
        assert!(pending(&phone, 2).await?.ends_with("2 изменения не на сервере"));
        for name in ["Третий", "Четвёртый", "Пятый"] {
            add_party(&phone, name).await?;
        }
        assert!(pending(&phone, 5).await?.ends_with("5 изменений не на сервере"));
        phone.screenshot("russian-offline-390x844").await?;
        set_network(&phone, true).await?;
        wait_until("the edits to reach the relay", 30, || async {
            let text = text_of(&phone, "sync-status").await?;
            Ok(text.starts_with("Синхронизировано в ").then_some(()))
        })
        .await?;
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_language_switch_applies_at_once_and_is_remembered() {
    run("the_language_switch_applies_at_once_and_is_remembered", |harness| async move {
        let browser = harness.browser_speaking(Viewport::Desktop, "ru-RU").await?;
        AppShell::open(&browser, "/settings").await?;
        browser.text_becomes("page-title", "Настройки").await?;
        let choose = |tag: &'static str| {
            let browser = browser.clone();
            async move {
                browser
                    .eval(&format!(
                        "const s = document.querySelector('[data-testid=language]');
                         s.value = '{tag}'; s.dispatchEvent(new Event('change', {{ bubbles: true }}));"
                    ))
                    .await
            }
        };
        choose("en").await?;
        browser.text_becomes("page-title", "Settings").await?;
        assert_eq!(nav_labels(&browser).await?, ["Today", "People", "Deals", "Tasks", "Tickets", "Settings"]);
        assert_eq!(browser.eval("return document.documentElement.lang;").await?, "en");

        // A reload (and another page) keeps the choice although the browser still says Russian.
        AppShell::open(&browser, "/parties").await?;
        browser.text_becomes("page-title", "People").await?;
        let languages = browser.eval("return navigator.languages[0];").await?;
        assert_eq!(languages, "ru-RU", "the browser itself still reads Russian");

        AppShell::open(&browser, "/settings").await?;
        choose("ru").await?;
        browser.text_becomes("page-title", "Настройки").await?;
        let selected = browser
            .eval("return document.querySelector('[data-testid=language]').value;")
            .await?;
        assert_eq!(selected, "ru");
        Ok(())
    })
    .await;
}
