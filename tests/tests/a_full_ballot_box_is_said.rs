//! The relay keeps at most 1,000 surveys for a workspace (each pulse round and each upward review is
//! one). Anna's workspace has them all; when she starts another pulse, her device's registration of
//! its rounds is refused, and the Team page tells her that new rounds ask nobody — rather than a
//! survey that silently never opens.

use rapport_e2e::flows::{api_session, click_centred as click, employ, sign_up_and_upload};
use rapport_e2e::pages::AppShell;
use rapport_e2e::{Viewport, run};
use serde_json::json;

/// Fills the workspace's ballot box at the relay: `count` surveys, ten requests at a time.
async fn fill_ballot_box(relay: &str, cookie: &str, workspace: &str, count: usize) {
    let closes_at =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
            + 3_600;
    let mut lanes = Vec::new();
    for lane in 0..10 {
        let client = reqwest::Client::new();
        let (relay, cookie, workspace) =
            (relay.to_owned(), cookie.to_owned(), workspace.to_owned());
        lanes.push(tokio::spawn(async move {
            for n in (lane..count).step_by(10) {
                let body = json!({
                    "k": 3,
                    "closes_at": closes_at,
                    "invitees": [{ "member": "0190f5a0-0000-7000-8000-000000000001" }],
                });
                let path = format!("{relay}/api/workspaces/{workspace}/ballots/filler-{n}");
                let response = client
                    .put(path)
                    .header("cookie", &cookie)
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await
                    .expect("registering a survey");
                assert_eq!(response.status().as_u16(), 201, "survey {n}");
            }
        }));
    }
    for lane in lanes {
        lane.await.expect("a lane of registrations");
    }
}

#[tokio::test]
async fn a_survey_the_full_ballot_box_refuses_is_said_to_whoever_starts_it() {
    let name = "a_survey_the_full_ballot_box_refuses_is_said_to_whoever_starts_it";
    run(name, |harness| async move {
        let relay = harness.relay().url().to_owned();
        let anna = harness.browser(Viewport::Desktop).await?;
        sign_up_and_upload(&anna, "anna@example.test", "Anna").await?;
        employ(&anna, "Anna Petrova", "Anna", "Sales").await?;
        let (_, cookie, workspace) = api_session(&relay, "anna@example.test").await;
        fill_ballot_box(&relay, &cookie, &workspace, 1_000).await;

        AppShell::open(&anna, "/team").await?;
        let empty =
            anna.eval("return !document.querySelector('[data-testid=ballot-box-full]');").await?;
        assert_eq!(empty, json!(true), "nothing said before a registration is refused");
        click(&anna, "new-survey-create").await?;
        anna.by_testid("engagement").await?;
        AppShell::open(&anna, "/team").await?;
        let said = anna.by_testid("ballot-box-full").await?.text().await?;
        assert!(said.contains("1,000") && said.contains("ask nobody"), "{said}");
        Ok(())
    })
    .await;
}
