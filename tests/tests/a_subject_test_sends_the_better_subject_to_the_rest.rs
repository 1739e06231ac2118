//! A subject test, end to end: Anna writes a campaign with two subjects for six people and tests them
//! on half the audience. One half gets each subject, drawn the same on every device; Boris's phone (in
//! Russian) shows each subject's opens as the copies are opened through the relay, the second one
//! better; Anna sends it to the other three, and everyone has had exactly one copy.

use std::sync::Arc;

use rapport_e2e::flows::{
    anna_and_boris, attribute, attribute_becomes, campaign_for_list, change_to,
    click_centred as click, new_list_with, person_with_email, photograph,
};
use rapport_e2e::smtp::SmtpServer;
use rapport_e2e::{run_with_relay_args, wait_until};

const PEOPLE: [(&str, &str); 6] = [
    ("Ada Lovelace", "ada@example.com"),
    ("Blaise Pascal", "blaise@example.com"),
    ("Carl Gauss", "carl@example.com"),
    ("Dora Maar", "dora@example.com"),
    ("Emmy Noether", "emmy@example.com"),
    ("Felix Klein", "felix@example.com"),
];

/// The subject line of each copy the mailbox holds, by address.
fn subjects(smtp: &SmtpServer) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = PEOPLE
        .iter()
        .flat_map(|(_, address)| {
            smtp.to(address).into_iter().map(move |copy| {
                let subject = copy
                    .lines()
                    .find_map(|l| l.strip_prefix("Subject: "))
                    .unwrap_or_default()
                    .to_owned();
                ((*address).to_owned(), subject)
            })
        })
        .collect();
    found.sort();
    found
}

#[tokio::test]
async fn a_subject_test_sends_the_better_subject_to_the_rest_and_nobody_twice() {
    let mailbox = tempfile::tempdir().unwrap();
    let smtp = Arc::new(SmtpServer::start(&mailbox.path().join("mail"), 30));
    let url = smtp.url();
    let args = ["--smtp-url", url.as_str(), "--mail-from", "Acme CRM <crm@acme.example>"];
    let name = "a_subject_test_sends_the_better_subject_to_the_rest";
    run_with_relay_args(name, &args, move |harness| async move {
        let relay = harness.relay().url().to_owned();
        let (anna, boris) = anna_and_boris(&harness).await?;
        for (name, email) in PEOPLE {
            person_with_email(&anna, name, Some(email)).await?;
        }
        let first_names: Vec<&str> =
            PEOPLE.iter().map(|(name, _)| name.split(' ').next().unwrap()).collect();
        let list = new_list_with(&anna, "Newsletter", &first_names).await?;
        attribute_becomes(&anna, "segment-count", "data-count", "6").await?;

        let body = "Dear {{first_name}},\n\nsee [the programme](https://fair.example/p).";
        let campaign = campaign_for_list(&anna, "Spring news", ("Spring news", body), &list).await?;
        change_to(&anna, "campaign-subject-b", "{{first_name}}, are you coming?").await?;
        change_to(&anna, "campaign-test-share", "50").await?;
        // Half of six: two get the first subject and one the second now, three wait.
        attribute_becomes(&anna, "campaign-split", "data-rest", "3").await?;
        assert_eq!(attribute(&anna, "campaign-split", "data-a").await?, "2");
        assert_eq!(attribute(&anna, "campaign-split", "data-b").await?, "1");
        photograph(&anna, "campaign-subject-test-1280x800-en").await?;
        click(&anna, "campaign-send").await?;
        anna.text_when("campaign-send", |t| t.contains('3')).await?;
        click(&anna, "campaign-send").await?;
        anna.by_testid("campaign-subject-test").await?;
        let tested = wait_until("the test's three copies", 30, || async {
            let found = subjects(&smtp);
            Ok((found.len() == 3).then_some(found))
        })
        .await?;
        let second: Vec<&(String, String)> =
            tested.iter().filter(|(_, subject)| subject.ends_with("are you coming?")).collect();
        assert_eq!(second.len(), 1, "{tested:?}");
        assert_eq!(tested.iter().filter(|(_, s)| s == "Spring news").count(), 2, "{tested:?}");

        // The second subject's reader opens it: Boris's phone shows it better.
        let copy = smtp.to(&second[0].0).remove(0);
        let parsed = mail_parser::MessageParser::default().parse(copy.as_bytes()).unwrap();
        let html = parsed.body_html(0).unwrap().into_owned();
        let image = html.find(&format!("{relay}/api/o/")).map(|at| html[at..].split('"').next().unwrap().to_owned()).unwrap();
        assert_eq!(reqwest::get(&image).await.unwrap().status(), 200);
        boris.open(&campaign).await?;
        wait_until("the second subject better on Boris's phone", 45, || async {
            let better = boris
                .eval("return document.querySelector('[data-testid=campaign-variant][data-variant=b]')?.dataset.better ?? '';")
                .await?;
            Ok((better == "true").then_some(()))
        })
        .await?;
        let text = boris.by_testid("campaign-subject-test").await?.text().await?;
        assert!(text.contains("открыли 1 из 1 (100%)"), "{text}");
        photograph(&boris, "campaign-subject-test-390x844-ru").await?;

        // Anna sends the second subject to the other three: each has had one copy, nobody two.
        anna.text_when("campaign-send-b", |t| t.contains('3')).await?;
        click(&anna, "campaign-send-b").await?;
        anna.by_testid("campaign-rest-sent").await?;
        let all = wait_until("all six copies", 30, || async {
            let found = subjects(&smtp);
            Ok((found.len() == 6).then_some(found))
        })
        .await?;
        let addresses: std::collections::BTreeSet<&str> = all.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(addresses.len(), 6, "one copy each: {all:?}");
        assert_eq!(all.iter().filter(|(_, s)| s.ends_with("are you coming?")).count(), 4, "{all:?}");
        attribute_becomes(&boris, "campaign-recipients", "data-count", "6").await?;
        boris.by_testid("campaign-rest-sent").await?;
        photograph(&anna, "campaign-subject-test-sent-1280x800-en").await?;
        for browser in [&anna, &boris] {
            let errors = browser.console_errors().await?;
            assert!(errors.is_empty(), "console errors: {errors:?}");
        }
        Ok(())
    })
    .await;
}
