//! Suppliers and purchasing, end to end: four suppliers — one with an expired certification (on
//! watch), one blocked by hand — are asked for quotations from a phone in Russian; the blocked one
//! cannot be asked; the offers are compared side by side (lowest total, soonest delivery) and one is
//! ordered after confirming its watch, which cancels the others. On the desk, in English, the late
//! delivery with rejects scores the supplier's month from what was recorded, a rating moves the
//! score, and changing the criteria's weights in settings re-scores it at once. The order is
//! exported as CSV.

use rapport_e2e::flows::{
    attribute_becomes, change_to, click_centred as click, click_css, days_from_today, download,
    downloads_into, open_record, photograph, set_field, sign_in_on_another_device,
    sign_up_and_upload,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, wait_until};
use serde_json::Value;

const SUPPLIERS: [&str; 4] = ["Acme Supplies", "Borealis Parts", "Cobalt Trading", "Dorado Metals"];

/// Fills the offer of `supplier` on the tender page (prices per line, the promised day) and saves it.
async fn fill_offer(
    browser: &Browser,
    supplier: &str,
    prices: [&str; 2],
    promised: &str,
) -> E2eResult {
    let script = format!(
        "const card = [...document.querySelectorAll('[data-testid=offer]')]
             .find(c => c.querySelector('[data-testid=offer-supplier]').textContent === {supplier});
         if (!card) return false;
         const set = (f, v) => {{ f.value = v; f.dispatchEvent(new Event('input', {{ bubbles: true }})); }};
         set(card.querySelector('[data-testid=offer-price-0]'), {p0});
         set(card.querySelector('[data-testid=offer-price-1]'), {p1});
         set(card.querySelector('[data-testid=offer-promised]'), {promised});
         card.querySelector('[data-testid=offer-save]').click();
         return true;",
        supplier = Value::String(supplier.to_owned()),
        p0 = Value::String(prices[0].to_owned()),
        p1 = Value::String(prices[1].to_owned()),
        promised = Value::String(promised.to_owned()),
    );
    wait_until(&format!("{supplier}'s offer to be entered"), 10, || async {
        Ok((browser.eval(&script).await? == Value::Bool(true)).then_some(()))
    })
    .await?;
    wait_until(&format!("{supplier}'s offer to be saved"), 15, || async {
        let total = offer(browser, supplier, "[data-testid=offer-total]", "textContent").await?;
        Ok((!total.is_empty() && total.chars().any(|c| c.is_ascii_digit())).then_some(()))
    })
    .await
}

/// `property` of the element `css` inside the offer of `supplier` (a dataset key when it starts with
/// `data-`); empty when there is none.
async fn offer(browser: &Browser, supplier: &str, css: &str, property: &str) -> E2eResult<String> {
    let read = match property.strip_prefix("data-") {
        Some(key) => format!("e.getAttribute('data-{key}')"),
        None => format!("e.{property}"),
    };
    let value = browser
        .eval(&format!(
            "const card = [...document.querySelectorAll('[data-testid=offer]')]
                 .find(c => c.querySelector('[data-testid=offer-supplier]').textContent === {supplier});
             const e = card && ({css} === ':self' ? card : card.querySelector({css}));
             return e ? String({read}) : '';",
            supplier = Value::String(supplier.to_owned()),
            css = Value::String(css.to_owned()),
        ))
        .await?;
    Ok(value.as_str().unwrap_or_default().to_owned())
}

/// Waits for the latest scored month on the open supplier's record to score `score`.
async fn score_becomes(browser: &Browser, score: &str) -> E2eResult {
    wait_until(&format!("the month to score {score}"), 20, || async {
        let value = browser
            .eval(
                "return document.querySelector('[data-testid=score-month]')?.dataset.score ?? '';",
            )
            .await?;
        Ok((value == score).then_some(()))
    })
    .await
}

/// Brings `testid` to the top of the screen, as a person scrolls to what they look at.
async fn scroll_to(browser: &Browser, testid: &str) -> E2eResult {
    browser.by_testid(testid).await?;
    browser
        .eval(&format!(
            "document.querySelector('[data-testid={testid}]').scrollIntoView({{ block: 'start' }}); return 1;"
        ))
        .await?;
    Ok(())
}

/// Photographs the page after checking that it does not scroll sideways.
async fn reasons(browser: &Browser) -> E2eResult<String> {
    Ok(browser.by_testid("standing-reasons").await?.text().await?)
}

#[tokio::test]
async fn an_rfq_to_three_suppliers_is_compared_and_ordered_on_a_phone_and_its_delivery_scores_the_supplier()
 {
    let name = "an_rfq_to_three_suppliers_is_compared_and_ordered_on_a_phone_and_its_delivery_scores_the_supplier";
    run(name, |harness| async move {
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        let [yesterday, in_five, in_ten] = days_from_today(&anna, [-1, 5, 10]).await?;
        for supplier in SUPPLIERS {
            rapport_e2e::flows::add_party(&anna, supplier).await?;
            open_record(&anna, supplier).await?;
            click_css(&anna, "[data-testid=party-role][data-role=supplier]").await?;
            anna.by_testid("supplier-panel").await?;
            match supplier {
                "Borealis Parts" => {
                    // Its certification ran out yesterday: on watch, and the page says why.
                    set_field(&anna, "certification-name", "ISO 9001").await?;
                    change_to(&anna, "certification-expires", &yesterday).await?;
                    click(&anna, "certification-save").await?;
                    attribute_becomes(&anna, "standing", "data-standing", "watch").await?;
                    attribute_becomes(&anna, "certification", "data-state", "overdue").await?;
                    assert!(reasons(&anna).await?.contains("ISO 9001 expired on"));
                }
                "Dorado Metals" => {
                    change_to(&anna, "hold-standing", "blocked").await?;
                    // A hold needs its reason.
                    click(&anna, "hold-save").await?;
                    anna.by_testid("hold-form").await?;
                    set_field(&anna, "hold-reason", "Unpaid credit note").await?;
                    click(&anna, "hold-save").await?;
                    attribute_becomes(&anna, "standing", "data-standing", "blocked").await?;
                    assert!(reasons(&anna).await?.contains("Set by hand: Unpaid credit note"));
                }
                _ => attribute_becomes(&anna, "standing", "data-standing", "ok").await?,
            }
        }
        scroll_to(&anna, "supplier-panel").await?;
        photograph(&anna, "supplier-1280x800").await?;

        // Anna's phone, in Russian: a request for quotation to three suppliers; the blocked one
        // cannot be asked.
        let phone = harness.browser_speaking(Viewport::Phone, "ru-RU").await?;
        sign_in_on_another_device(&phone, "anna@example.test").await?;
        AppShell::open(&phone, "/purchasing").await?;
        attribute_becomes(&phone, "suppliers-standing", "data-count", "4").await?;
        click(&phone, "new-rfq-open").await?;
        set_field(&phone, "rfq-title", "Office chairs").await?;
        set_field(&phone, "rfq-item-0", "Chair").await?;
        set_field(&phone, "rfq-quantity-0", "10").await?;
        click(&phone, "rfq-add-line").await?;
        set_field(&phone, "rfq-item-1", "Desk").await?;
        set_field(&phone, "rfq-quantity-1", "2").await?;
        let disabled = phone
            .eval(
                "return [...document.querySelectorAll('[data-testid=rfq-supplier]')]
                    .filter(l => l.querySelector('input').disabled).map(l => l.textContent.includes('Dorado'));",
            )
            .await?;
        assert_eq!(disabled, serde_json::json!([true]), "only the blocked supplier is disabled");
        // Sending with nobody chosen says so.
        click(&phone, "rfq-send").await?;
        phone.text_becomes("rfq-error", "Выберите хотя бы одного поставщика.").await?;
        for supplier in &SUPPLIERS[..3] {
            let tick = format!(
                "const label = [...document.querySelectorAll('[data-testid=rfq-supplier]')]
                     .find(l => l.textContent.includes({supplier}));
                 if (!label) return false;
                 label.scrollIntoView({{ block: 'center' }}); label.querySelector('input').click();
                 return label.querySelector('input').checked;",
                supplier = Value::String(supplier.to_string()),
            );
            wait_until(&format!("{supplier} to be asked"), 10, || async {
                Ok((phone.eval(&tick).await? == Value::Bool(true)).then_some(()))
            })
            .await?;
        }
        photograph(&phone, "purchasing-new-rfq-390x844-ru").await?;
        // A double tap sends the requests once.
        phone
            .eval("const b = document.querySelector('[data-testid=rfq-send]'); b.click(); b.click(); return 1;")
            .await?;
        attribute_becomes(&phone, "offers", "data-count", "3").await?;
        assert!(phone.path().await?.starts_with("/purchasing/tenders/"));

        // Their offers as they come: Cobalt is cheapest, Borealis promises the soonest delivery. A
        // price being typed into one offer stays while another is saved.
        phone
            .eval(
                "const card = [...document.querySelectorAll('[data-testid=offer]')]
                     .find(c => c.textContent.includes('Acme Supplies'));
                 const f = card.querySelector('[data-testid=offer-price-0]');
                 f.value = '99'; f.dispatchEvent(new Event('input', { bubbles: true })); return 1;",
            )
            .await?;
        fill_offer(&phone, "Borealis Parts", ["95", "400"], &yesterday).await?;
        let typed = offer(&phone, "Acme Supplies", "[data-testid=offer-price-0]", "value").await?;
        assert_eq!(typed, "99", "what was typed into Acme's offer survives Borealis's save");
        fill_offer(&phone, "Acme Supplies", ["100", "400"], &in_ten).await?;
        fill_offer(&phone, "Cobalt Trading", ["80", "350"], &in_five).await?;
        wait_until("the best offers marked", 15, || async {
            let cheapest = offer(&phone, "Cobalt Trading", ":self", "data-cheapest").await?;
            let soonest = offer(&phone, "Borealis Parts", ":self", "data-soonest").await?;
            let others = offer(&phone, "Acme Supplies", ":self", "data-cheapest").await?;
            Ok((cheapest == "true" && soonest == "true" && others == "false").then_some(()))
        })
        .await?;
        let cobalt = offer(&phone, "Cobalt Trading", "[data-testid=offer-total]", "textContent").await?;
        let all = phone.eval("return [...document.querySelectorAll('[data-testid=offer]')].map(c => c.innerText + ' | ' + [...c.querySelectorAll('input')].map(i => i.value).join(',')).join(' ;; ');").await?;
        assert!(cobalt.contains("1") && cobalt.contains("500"), "10 × 80 + 2 × 350: {cobalt}\n{all}");
        let summary = phone.by_testid("offer-summary").await?.text().await?;
        assert!(summary.contains("Acme") && summary.contains("Cobalt"), "{summary}");
        photograph(&phone, "tender-390x844-ru").await?;

        // The desk sees the three offers in, live.
        AppShell::open(&anna, "/purchasing").await?;
        attribute_becomes(&anna, "tender", "data-state", "quoted").await?;
        anna.text_when("tenders", |t| t.contains("3 of 3 offers in")).await?;
        assert_eq!(rapport_e2e::flows::attribute(&anna, "tenders", "data-count").await?, "1");

        // Ordered from Borealis on the phone: it is on watch, so the phone asks first.
        phone.eval("window.confirm = () => true; return 1;").await?;
        let order_button = "[data-testid=offer][data-soonest=true] [data-testid=offer-order]";
        click_css(&phone, order_button).await?;
        wait_until("the order's page", 15, || async {
            Ok(phone.path().await?.starts_with("/purchasing/orders/").then_some(()))
        })
        .await?;
        attribute_becomes(&phone, "order-sheet", "data-status", "ordered").await?;
        photograph(&phone, "purchase-order-390x844-ru").await?;
        let order_path = phone.path().await?;
        click(&phone, "order-tender").await?;
        wait_until("one order and two offers not chosen", 15, || async {
            let states = phone
                .eval("return [...document.querySelectorAll('[data-testid=offer]')].map(c => c.dataset.state).sort();")
                .await?;
            Ok((states == serde_json::json!(["cancelled", "cancelled", "ordered"])).then_some(()))
        })
        .await?;
        phone.by_testid("tender-ordered").await?;
        assert!(!phone.has_testid("offer-order").await?, "nothing left to order");

        // On the desk: the order is listed; it came today, a day late, with 6 of its 12 units rejected.
        attribute_becomes(&anna, "order", "data-state", "late").await?;
        anna.open(&order_path).await?;
        anna.by_testid("delivery-form").await?;
        set_field(&anna, "order-rejected", "6").await?;
        click(&anna, "order-delivered-today").await?;
        photograph(&anna, "purchase-order-1280x800").await?;
        let dir = tempfile::tempdir().expect("a temp dir");
        downloads_into(&anna, dir.path()).await?;
        let csv = std::fs::read_to_string(download(&anna, "order-csv", dir.path(), "csv").await?)
            .expect("the order file");
        assert!(csv.contains("supplier,Borealis Parts\n"), "{csv}");
        assert!(csv.contains("Chair,10,95.00,950.00\n") && csv.contains("Desk,2,400.00,800.00\n"), "{csv}");

        // Its month is scored from that: on time 0 (weight 30), quality 50 (30), nothing else
        // recorded → 25, below 50: blocked, and the page says why.
        click(&anna, "order-supplier").await?;
        anna.by_testid("supplier-panel").await?;
        score_becomes(&anna, "25").await?;
        attribute_becomes(&anna, "standing", "data-standing", "blocked").await?;
        let why = reasons(&anna).await?;
        assert!(why.contains("Score 25 (the mean of 1 scored months") && why.contains("below 50"), "{why}");
        // A rating: quality 5 (now 50 and 100: 75) and responsiveness 5 (100) → (0·30 + 75·30 +
        // 100·20) / 80 = 53: on watch, no longer blocked.
        change_to(&anna, "rate-quality", "5").await?;
        change_to(&anna, "rate-responsiveness", "5").await?;
        click(&anna, "rate-save").await?;
        score_becomes(&anna, "53").await?;
        attribute_becomes(&anna, "standing", "data-standing", "watch").await?;
        scroll_to(&anna, "supplier-panel").await?;
        photograph(&anna, "supplier-scored-1280x800").await?;
        anna.emulate(Viewport::Phone).await?;
        scroll_to(&anna, "supplier-panel").await?;
        photograph(&anna, "supplier-scored-390x844").await?;
        anna.emulate(Viewport::Desktop).await?;
        let supplier_path = anna.path().await?;

        // On-time delivery weighed 0 in settings: (75·30 + 100·20) / 50 = 85 — only the
        // certification keeps it on watch.
        AppShell::open(&anna, "/settings").await?;
        set_field(&anna, "criterion-weight-0", "0").await?;
        click(&anna, "scorecard-save").await?;
        anna.by_testid("scorecard-saved").await?;
        scroll_to(&anna, "scorecard-settings").await?;
        photograph(&anna, "settings-scorecard-1280x800").await?;
        anna.open(&supplier_path).await?;
        score_becomes(&anna, "85").await?;
        let why = reasons(&anna).await?;
        assert!(!why.contains("Score ") && why.contains("ISO 9001"), "{why}");

        // The phone's standings follow.
        AppShell::open(&phone, "/purchasing").await?;
        wait_until("Borealis on watch at 85 on the phone", 20, || async {
            let line = phone
                .eval(
                    "return [...document.querySelectorAll('[data-testid=supplier-line]')]
                        .find(l => l.textContent.includes('Borealis'))?.textContent ?? '';",
                )
                .await?;
            Ok(line.as_str().is_some_and(|l| l.contains("85")).then_some(()))
        })
        .await?;
        photograph(&phone, "purchasing-390x844-ru").await?;
        phone.emulate(Viewport::Desktop).await?;
        photograph(&phone, "purchasing-1280x800-ru").await?;
        click_css(&phone, "[data-testid=supplier-line][data-standing=watch] a").await?;
        scroll_to(&phone, "supplier-panel").await?;
        photograph(&phone, "supplier-1280x800-ru").await?;
        phone.emulate(Viewport::Phone).await?;
        scroll_to(&phone, "supplier-panel").await?;
        photograph(&phone, "supplier-390x844-ru").await?;
        AppShell::open(&phone, "/settings").await?;
        scroll_to(&phone, "scorecard-settings").await?;
        photograph(&phone, "settings-scorecard-390x844-ru").await?;
        AppShell::open(&anna, "/purchasing").await?;
        anna.by_testid("supplier-cards").await?;
        click(&anna, "new-rfq-open").await?;
        photograph(&anna, "purchasing-1280x800").await?;
        anna.emulate(Viewport::Phone).await?;
        photograph(&anna, "purchasing-390x844").await?;
        Ok(())
    })
    .await;
}
