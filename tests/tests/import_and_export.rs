//! Contacts come in from real files — a Windows-1251 Outlook CSV with semicolons and a field spanning two
//! lines, a vCard address book with folded lines and a photo — with a preview of each column's meaning,
//! a report of skipped rows and duplicates, and nothing created twice. They go out as CSV and vCard
//! files, and another device importing those files ends with the same records.

use std::path::{Path, PathBuf};

use rapport_e2e::flows::{
    click_centred as click, download, downloads_into, open_record, party_count,
};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Browser, E2eResult, Viewport, run, workspace_root};
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    workspace_root().join("tests/fixtures").join(name)
}

async fn texts(browser: &Browser, testid: &str) -> E2eResult<Vec<String>> {
    let value = browser
        .eval(&format!(
            "return [...document.querySelectorAll('[data-testid={testid}]')].map(e => e.textContent.trim());"
        ))
        .await?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

async fn choose_file(browser: &Browser, path: &Path) -> E2eResult {
    let input = browser.by_testid("import-file").await?;
    input.send_keys(path.to_str().expect("a UTF-8 path")).await?;
    Ok(())
}

async fn set_column(browser: &Browser, column: usize, field: &str) -> E2eResult {
    browser.by_testid("mapping-select").await?;
    let set = browser
        .eval(&format!(
            "const s = document.querySelector('[data-testid=mapping-select][data-column=\"{column}\"]');
             s.value = '{field}'; s.dispatchEvent(new Event('change', {{ bubbles: true }})); return s.value;"
        ))
        .await?;
    assert_eq!(set, field);
    Ok(())
}

#[tokio::test]
async fn contacts_are_imported_with_a_report_and_exported_without_loss() {
    run("contacts_are_imported_with_a_report_and_exported_without_loss", |harness| async move {
        let browser = harness.browser(Viewport::Desktop).await?;
        AppShell::open(&browser, "/import-export").await?;

        // The Outlook file: its encoding, separator and columns are recognised.
        choose_file(&browser, &fixture("outlook-ru-windows-1251.csv")).await?;
        browser.text_becomes("import-format", "5 rows · Windows-1251 · separated by semicolons").await?;
        let mapping = browser
            .eval("return [...document.querySelectorAll('[data-testid=mapping-select]')].map(s => s.value);")
            .await?;
        assert_eq!(mapping, json!(["given-name", "family-name", "organisation", "email", "phone", "notes"]));
        browser.text_becomes("import-plan", "2 new · 1 already in Rapport · 2 skipped").await?;

        // The preview follows the mapping: without the email column, nothing is a duplicate by email and
        // the bad address no longer matters.
        set_column(&browser, 3, "ignore").await?;
        browser.text_becomes("import-plan", "4 new · 0 already in Rapport · 1 skipped").await?;
        set_column(&browser, 3, "email").await?;
        browser.text_becomes("import-plan", "2 new · 1 already in Rapport · 2 skipped").await?;
        browser.screenshot("import-preview-1280x800").await?;

        click(&browser, "start-import").await?;
        browser
            .text_becomes(
                "import-summary",
                "outlook-ru-windows-1251.csv: 2 imported, 1 already in Rapport, 2 skipped.",
            )
            .await?;
        assert_eq!(
            texts(&browser, "import-skipped").await?,
            ["Row 5: no name", "Row 6: email “oleg-at-example.ru” is not an address"]
        );
        assert_eq!(texts(&browser, "import-duplicate").await?, ["Row 7: same email as Иван Петров"]);

        // The vCard book: the card without a name is reported, and the photo no field keeps is said
        // to be left out.
        choose_file(&browser, &fixture("contacts.vcf")).await?;
        browser.text_becomes("import-plan", "2 new · 0 already in Rapport · 1 skipped").await?;
        browser.text_becomes("import-left-out", "Left out of the cards (no field keeps them): PHOTO").await?;
        click(&browser, "start-import").await?;
        browser.text_becomes("import-summary", "contacts.vcf: 2 imported, 0 already in Rapport, 1 skipped.")
            .await?;
        assert_eq!(texts(&browser, "import-skipped").await?, ["Card 3: no name"]);
        // What a card made can go on a list of its own — the two cards, not the organisation named.
        click(&browser, "import-to-list").await?;
        browser.by_testid("list-members").await?;
        browser
            .wait_for_script(
                "the two cards on a list named after the file",
                "const names = [...document.querySelectorAll('[data-testid=list-member]')].map(e => e.dataset.name).sort();
                 return document.querySelector('[data-testid=segment-name]').value === 'contacts.vcf'
                   && names.join(', ') === 'Anna Weber, Baltic Freight';",
            )
            .await?;
        AppShell::open(&browser, "/import-export").await?;

        // The same file again creates nothing.
        choose_file(&browser, &fixture("outlook-ru-windows-1251.csv")).await?;
        browser.text_becomes("import-plan", "0 new · 3 already in Rapport · 2 skipped").await?;
        let disabled = browser.eval("return document.querySelector('[data-testid=start-import]').disabled;").await?;
        assert_eq!(disabled, true);

        // What came in, as the record page shows it (the multi-line note and Cyrillic intact). Each
        // person's organisation became a record of its own, linked ("works at"): four people and
        // organisations from the files, and the two organisations the people named.
        let shell = AppShell::open(&browser, "/parties").await?;
        party_count(&browser, 6).await?;
        open_record(&browser, "Иван").await?;
        rapport_e2e::flows::field_becomes(&browser, "party-email", "ivan@romashka.ru", 5).await?;
        rapport_e2e::flows::field_becomes(&browser, "party-phone", "+7 495 123-45-67", 5).await?;
        browser.text_when("works-at", |t| t.contains("ООО Ромашка")).await?;
        shell.go_to("parties").await?;
        open_record(&browser, "Anna").await?;
        rapport_e2e::flows::field_becomes(&browser, "party-email", "anna@nordwind.de", 5).await?;
        browser.text_when("works-at", |t| t.contains("Nordwind GmbH")).await?;

        // Out as files, then into a second device that has nothing.
        let exported = tempfile::tempdir().expect("a temp dir");
        downloads_into(&browser, exported.path()).await?;
        AppShell::open(&browser, "/import-export").await?;
        let csv = download(&browser, "export-csv", exported.path(), "csv").await?;
        let vcf = download(&browser, "export-vcard", exported.path(), "vcf").await?;
        let csv_text = std::fs::read_to_string(&csv).expect("the CSV");
        assert!(csv_text.starts_with("\u{feff}Name,Kind,"), "{csv_text}");
        assert!(csv_text.contains("\"Постоянный клиент\r\nзвонить после 10\""), "{csv_text}");
        assert!(csv_text.contains("Иван Петров,Person,,Иван,Петров,ООО Ромашка,,"), "{csv_text}");
        assert!(csv_text.contains("Anna Weber,Person,,Anna,Weber,Nordwind GmbH,Buyer,"), "{csv_text}");
        let vcf_text = std::fs::read_to_string(&vcf).expect("the vCard file");
        assert_eq!(vcf_text.matches("BEGIN:VCARD").count(), 6);
        assert!(vcf_text.contains("ORG:Nordwind GmbH\r\nTITLE:Buyer\r\n"), "{vcf_text}");

        let other = harness.browser(Viewport::Phone).await?;
        AppShell::open(&other, "/import-export").await?;
        choose_file(&other, &csv).await?;
        other.text_becomes("import-plan", "6 new · 0 already in Rapport · 0 skipped").await?;
        other.screenshot("import-preview-390x844").await?;
        click(&other, "start-import").await?;
        other.text_becomes("import-summary", &format!(
            "{}: 6 imported, 0 already in Rapport, 0 skipped.",
            csv.file_name().unwrap().to_string_lossy()
        ))
        .await?;
        choose_file(&other, &vcf).await?;
        other.text_becomes("import-plan", "0 new · 6 already in Rapport · 0 skipped").await?;

        // The second device's export equals the first's: nothing was lost on the way.
        let again = tempfile::tempdir().expect("a temp dir");
        downloads_into(&other, again.path()).await?;
        let csv_again = download(&other, "export-csv", again.path(), "csv").await?;
        assert_eq!(std::fs::read_to_string(&csv_again).expect("the CSV"), csv_text);

        // An old Android phone's vCard 2.1: quoted-printable UTF-8 with a soft line break, the
        // middle name kept as a line of the notes, the birthday the record's own, the organisation
        // linked.
        AppShell::open(&other, "/import-export").await?;
        choose_file(&other, &fixture("import/android-2.1.vcf")).await?;
        other.text_becomes("import-plan", "1 new · 0 already in Rapport · 0 skipped").await?;
        // Shown before anything is written, decoded.
        other
            .text_becomes("import-preview-record", "Ольга СмирноваРомашка · olga.smirnova@example.ru · +7 916 555-12-34")
            .await?;
        other.screenshot("import-vcard-preview-390x844").await?;
        click(&other, "start-import").await?;
        other
            .text_becomes("import-summary", "android-2.1.vcf: 1 imported, 0 already in Rapport, 0 skipped.")
            .await?;
        AppShell::open(&other, "/parties").await?;
        open_record(&other, "Ольга").await?;
        rapport_e2e::flows::field_becomes(&other, "party-name", "Ольга Смирнова", 5).await?;
        rapport_e2e::flows::field_becomes(&other, "party-phone", "+7 916 555-12-34", 5).await?;
        other.text_when("works-at", |t| t.contains("Ромашка")).await?;
        rapport_e2e::flows::field_becomes(&other, "party-birthday", "1985-03-08", 5).await?;
        rapport_e2e::flows::field_becomes(&other, "party-notes", "Middle name: Петровна", 5).await?;
        AppShell::open(&other, "/import-export").await?;
        let third = tempfile::tempdir().expect("a temp dir");
        downloads_into(&other, third.path()).await?;
        let with_olga = download(&other, "export-csv", third.path(), "csv").await?;
        let with_olga = std::fs::read_to_string(&with_olga).expect("the CSV");
        assert!(
            with_olga.contains("Ольга Смирнова,Person,,Ольга,Смирнова,Ромашка,,home,olga.smirnova@example.ru"),
            "{with_olga}"
        );
        assert!(with_olga.contains("Middle name: Петровна,"), "{with_olga}");
        assert!(with_olga.contains(",1985-03-08,"), "the birthday has its column: {with_olga}");
        assert!(!with_olga.contains("=D0"), "nothing quoted-printable is left: {with_olga}");
        for browser in [&browser, &other] {
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}

/// Before anything is written the import says, in the user's language, which columns it leaves out and
/// how the first records will read: an English Outlook export (its type and display-name columns say
/// nothing of the person, and its flags are named) and a Russian one in Windows-1251, whose headers name
/// the part of an address in brackets and whose email type is not an address.
#[tokio::test]
async fn what_an_import_leaves_out_is_said_before_it_is_written() {
    run("what_an_import_leaves_out_is_said_before_it_is_written", |harness| async move {
        let english = (
            "import/outlook-en.csv",
            "Left out (choose a meaning above to keep them): E-mail Type, E-mail Display Name, E-mail 2 Type, E-mail 2 Display Name, Priority, Sensitivity, Private, Gender",
            "John SmithAccount Manager, Acme Corp · john.smith@acme.example · john@home.example",
        );
        let russian = (
            "import/outlook-ru-1251.csv",
            "Не будут импортированы (выберите назначение выше, чтобы сохранить): Тип эл. почты, Краткое имя эл. почты, Важность, Пол",
            "Игорь СоколовДиректор по закупкам, ООО «Альфа» · sokolov@alfa.example · +7 495 123-45-67",
        );
        for (language, viewport, (file, left_out, preview), size) in [
            ("en-GB", Viewport::Desktop, english, "1280x800"),
            ("ru-RU", Viewport::Phone, russian, "390x844"),
            ("ru-RU", Viewport::Desktop, russian, "1280x800"),
            ("en-GB", Viewport::Phone, english, "390x844"),
        ] {
            let browser = harness.browser_speaking(viewport, language).await?;
            AppShell::open(&browser, "/import-export").await?;
            choose_file(&browser, &fixture(file)).await?;
            browser.text_becomes("import-left-out", left_out).await?;
            browser.text_becomes("import-preview-record", preview).await?;
            browser.eval("document.querySelector('[data-testid=import-left-out]').scrollIntoView({ block: 'center' }); return 1;").await?;
            browser.screenshot(&format!("import-left-out-{language}-{size}")).await?;
            assert!(browser.console_errors().await?.is_empty(), "{:?}", browser.console_errors().await?);
        }
        Ok(())
    })
    .await;
}
