//! The knowledge base's help pages over real HTTP on loopback: members who write publish articles,
//! anyone reads them without an account and says whether they helped (once per reader), and the calls
//! refuse outsiders, viewers, removed members and bad input.

mod common;

use common::socket::{
    OTHER_WS, WS, account, http, outsider_with_workspace, remove_member, start, start_limited,
    workspace_with_member,
};
use rapport_core::knowledge::{MOST_BODY_BYTES, Publication};
use reqwest::Method;
use serde_json::{Value, json};

const ARTICLE: &str = "0192f3a4-5b6c-7d8e-9f00-0000000000a1";
const OTHER_ARTICLE: &str = "0192f3a4-5b6c-7d8e-9f00-0000000000a2";

fn publication(title: &str, body: &str) -> Value {
    json!({ "title": title, "category": "Accounts", "body": body })
}

fn article_path(workspace: &str, article: &str) -> String {
    format!("/api/workspaces/{workspace}/articles/{article}")
}

/// A help page as a reader's browser gets it: status, `Set-Cookie` (name=value), CSP, and the HTML.
async fn read(
    address: &str,
    path: &str,
    language: &str,
    reader: Option<&str>,
) -> (u16, Option<String>, String, String) {
    let mut request = reqwest::Client::new()
        .get(format!("http://{address}{path}"))
        .header("accept-language", language);
    if let Some(reader) = reader {
        request = request.header("cookie", reader);
    }
    page(request.send().await.unwrap()).await
}

/// Answers "was this helpful?" from the article's own page, as its form posts.
async fn answer(
    address: &str,
    path: &str,
    helpful: &str,
    reader: Option<&str>,
    site: &str,
) -> (u16, Option<String>, String, String) {
    let mut request = reqwest::Client::new()
        .post(format!("http://{address}{path}/helpful"))
        .header("sec-fetch-site", site)
        .form(&[("helpful", helpful)]);
    if let Some(reader) = reader {
        request = request.header("cookie", reader);
    }
    page(request.send().await.unwrap()).await
}

async fn page(response: reqwest::Response) -> (u16, Option<String>, String, String) {
    let status = response.status().as_u16();
    let header = |name: &str| {
        response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    };
    let cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
    let csp = header("content-security-policy");
    (status, cookie, csp, response.text().await.unwrap())
}

async fn listed(address: &str, cookie: &str) -> Value {
    let path = format!("/api/workspaces/{WS}/articles");
    let (status, _, body) = http(address, Method::GET, &path, Some(cookie), Value::Null).await;
    assert_eq!(status, 200, "{body}");
    body["articles"].clone()
}

#[tokio::test]
async fn a_published_article_is_read_without_an_account_and_each_reader_s_answer_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let (address, _server) = start(dir.path()).await;
    let (owner, member, _viewer) = workspace_with_member(&address).await;
    let help = format!("/help/{WS}");
    let page_path = format!("{help}/{ARTICLE}");

    // Nothing published: no help pages, as for a workspace that does not exist.
    assert_eq!(read(&address, &help, "en", None).await.0, 404);

    let body = "Press **Reset**.\n\n<script>alert(1)</script>\n\nOr [this](javascript:alert(2)).";
    let (status, _, reply) = http(
        &address,
        Method::PUT,
        &article_path(WS, ARTICLE),
        Some(&member),
        publication("  Resetting a password ", body),
    )
    .await;
    assert_eq!(status, 204, "{reply}");

    // A title and category that are markup are shown as text.
    let sneaky =
        json!({ "title": "<img src=x onerror=alert(1)>", "category": "<b>Cat</b>", "body": "x" });
    let path = article_path(WS, OTHER_ARTICLE);
    assert_eq!(http(&address, Method::PUT, &path, Some(&member), sneaky).await.0, 204);
    let (_, _, _, index) = read(&address, &help, "en", None).await;
    assert!(
        index.contains("&lt;img src=x onerror=alert(1)&gt;") && !index.contains("<img"),
        "{index}"
    );
    assert!(index.contains("&lt;b&gt;Cat&lt;/b&gt;") && !index.contains("<b>"), "{index}");
    let (_, _, _, page) = read(&address, &format!("{help}/{OTHER_ARTICLE}"), "en", None).await;
    assert!(!page.contains("<img") && !page.contains("<b>"), "{page}");
    assert_eq!(http(&address, Method::DELETE, &path, Some(&member), Value::Null).await.0, 204);

    let (status, _, csp, index) = read(&address, &help, "en", None).await;
    assert_eq!(status, 200);
    assert!(index.contains("<h1>Acme — Help</h1>"), "{index}");
    assert!(index.contains("<h2>Accounts</h2>"), "{index}");
    assert!(
        index.contains(&format!("<a href=\"{page_path}\">Resetting a password</a>")),
        "{index}"
    );
    assert!(csp.contains("default-src 'none'"), "{csp}");

    let (status, _, csp, html) = read(&address, &page_path, "en", None).await;
    assert_eq!(status, 200);
    assert!(html.contains("<strong>Reset</strong>"), "{html}");
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"), "{html}");
    assert!(html.contains("<p>Or this.</p>"), "the link's text without its target: {html}");
    assert!(html.contains("Was this article helpful?"), "{html}");
    assert!(!csp.contains("script-src"), "no script may run: {csp}");
    let (_, _, _, russian) = read(&address, &page_path, "ru-RU,ru;q=0.9", None).await;
    assert!(russian.contains("Статья была полезной?") && russian.contains("lang=ru"), "{russian}");

    // A new reader is given a cookie; their second answer replaces the first.
    let (status, reader, _, thanks) =
        answer(&address, &page_path, "yes", None, "same-origin").await;
    assert_eq!(status, 200, "{thanks}");
    assert!(thanks.contains("Thank you for your answer."), "{thanks}");
    let reader = reader.expect("a reader cookie");
    assert!(reader.starts_with("rapport_reader="), "{reader}");
    let (status, again, _, _) =
        answer(&address, &page_path, "no", Some(&reader), "same-origin").await;
    assert_eq!((status, again), (200, None));
    // Another reader.
    assert_eq!(answer(&address, &page_path, "no", None, "same-origin").await.0, 200);
    let articles = listed(&address, &owner).await;
    let expected_revision = Publication {
        title: "Resetting a password".into(),
        category: "Accounts".into(),
        body: body.into(),
    }
    .revision();
    assert_eq!(
        articles,
        json!([{ "id": ARTICLE, "revision": expected_revision, "helpful": 0, "not_helpful": 2 }])
    );

    // Neither yes nor no: nothing counted, the form again.
    let (status, _, _, html) = answer(&address, &page_path, "maybe", None, "same-origin").await;
    assert_eq!(status, 400);
    assert!(html.contains("Was this article helpful?"));
    // From another site: refused.
    assert_eq!(answer(&address, &page_path, "yes", None, "cross-site").await.0, 403);
    assert_eq!(listed(&address, &owner).await[0]["not_helpful"], 2);
    assert_eq!(listed(&address, &owner).await[0]["helpful"], 0);

    // A new revision replaces the page; readers' answers stay.
    let edited = publication("Resetting a password", "Press **Reset** twice.");
    let path = article_path(WS, ARTICLE);
    assert_eq!(http(&address, Method::PUT, &path, Some(&owner), edited).await.0, 204);
    let (_, _, _, html) = read(&address, &page_path, "en", None).await;
    assert!(html.contains("Press <strong>Reset</strong> twice."), "{html}");
    let articles = listed(&address, &owner).await;
    assert_ne!(articles[0]["revision"], json!(expected_revision));
    assert_eq!(articles[0]["not_helpful"], 2);

    // Withdrawn: gone from the pages, answers to it no longer taken; withdrawing again is done.
    assert_eq!(http(&address, Method::DELETE, &path, Some(&owner), Value::Null).await.0, 204);
    assert_eq!(http(&address, Method::DELETE, &path, Some(&owner), Value::Null).await.0, 204);
    assert_eq!(read(&address, &page_path, "en", None).await.0, 404);
    assert_eq!(read(&address, &help, "en", None).await.0, 404);
    assert_eq!(answer(&address, &page_path, "yes", None, "same-origin").await.0, 404);
    assert_eq!(listed(&address, &owner).await, json!([]));
}

#[tokio::test]
async fn publishing_refuses_outsiders_viewers_removed_members_and_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let (address, _server) = start(dir.path()).await;
    let (owner, member, viewer) = workspace_with_member(&address).await;
    let outsider = outsider_with_workspace(&address).await;
    let ours = article_path(WS, ARTICLE);
    let list = format!("/api/workspaces/{WS}/articles");
    let good = publication("Billing", "Text");

    // Another workspace's member: as if the workspace did not exist, for every call.
    for (method, path, body) in [
        (Method::PUT, ours.as_str(), good.clone()),
        (Method::DELETE, ours.as_str(), Value::Null),
        (Method::GET, list.as_str(), Value::Null),
    ] {
        let (status, _, body) = http(&address, method.clone(), path, Some(&outsider), body).await;
        assert_eq!((status, &body["code"]), (404, &json!("no_such_workspace")), "{method} {path}");
    }
    // Nobody signed in.
    assert_eq!(http(&address, Method::PUT, &ours, None, good.clone()).await.0, 401);
    assert_eq!(http(&address, Method::GET, &list, None, Value::Null).await.0, 401);

    // Her own workspace's article is not on our pages, nor ours on hers.
    let theirs = article_path(OTHER_WS, OTHER_ARTICLE);
    assert_eq!(http(&address, Method::PUT, &theirs, Some(&outsider), good.clone()).await.0, 204);
    assert_eq!(read(&address, &format!("/help/{WS}/{OTHER_ARTICLE}"), "en", None).await.0, 404);
    assert_eq!(http(&address, Method::PUT, &ours, Some(&owner), good.clone()).await.0, 204);
    assert_eq!(read(&address, &format!("/help/{OTHER_WS}/{ARTICLE}"), "en", None).await.0, 404);
    assert_eq!(listed(&address, &owner).await.as_array().unwrap().len(), 1);

    // A viewer reads the list but publishes and withdraws nothing.
    assert_eq!(listed(&address, &viewer).await.as_array().unwrap().len(), 1);
    let (status, _, body) = http(&address, Method::PUT, &ours, Some(&viewer), good.clone()).await;
    assert_eq!((status, &body["code"]), (403, &json!("read_only")));
    let (status, _, _) = http(&address, Method::DELETE, &ours, Some(&viewer), Value::Null).await;
    assert_eq!(status, 403);
    assert_eq!(read(&address, &format!("/help/{WS}/{ARTICLE}"), "en", None).await.0, 200);

    // Bad input, each refused with what is wrong, nothing published.
    let other = article_path(WS, OTHER_ARTICLE);
    let cases = [
        (article_path(WS, "not-an-id"), good.clone(), 400, "bad_article"),
        (other.clone(), publication("  ", "Text"), 400, "bad_article"),
        (other.clone(), publication(&"t".repeat(201), "Text"), 400, "bad_article"),
        (
            other.clone(),
            json!({ "title": "T", "category": "c".repeat(81), "body": "" }),
            400,
            "bad_article",
        ),
        (
            other.clone(),
            publication("T", &"x".repeat(MOST_BODY_BYTES + 1)),
            413,
            "article_too_long",
        ),
        (other.clone(), publication("T", &"x".repeat(MOST_BODY_BYTES * 3)), 413, "body_too_large"),
        (other.clone(), json!({ "title": "T" }), 400, "bad_form"),
        (other.clone(), json!([1, 2]), 400, "bad_form"),
    ];
    for (path, body, status, code) in cases {
        let (got, _, reply) = http(&address, Method::PUT, &path, Some(&member), body).await;
        assert_eq!((got, &reply["code"]), (status, &json!(code)), "{path}");
    }
    assert_eq!(listed(&address, &owner).await.as_array().unwrap().len(), 1);
    // Malformed paths on the public side are pages that do not exist.
    for path in ["/help/nope", &format!("/help/{WS}/nope"), "/help/nope/nope"] {
        assert_eq!(read(&address, path, "en", None).await.0, 404, "{path}");
    }

    // Removed, the member is an outsider.
    remove_member(&address, &owner, "max").await;
    let (status, _, body) = http(&address, Method::PUT, &ours, Some(&member), good).await;
    assert_eq!((status, &body["code"]), (404, &json!("no_such_workspace")));
    let (status, _, _) = http(&address, Method::DELETE, &ours, Some(&member), Value::Null).await;
    assert_eq!(status, 404);
    let stranger = account(&address, "sam").await;
    assert_eq!(http(&address, Method::GET, &list, Some(&stranger), Value::Null).await.0, 404);
    assert_eq!(read(&address, &format!("/help/{WS}/{ARTICLE}"), "en", None).await.0, 200);
}

#[tokio::test]
async fn readers_answers_are_limited_per_address_and_a_workspace_publishes_a_bounded_number() {
    let dir = tempfile::tempdir().unwrap();
    let limits =
        rapport_sync_server::Limits { published_articles_per_workspace: 5, ..Default::default() };
    let (address, _server) = start_limited(dir.path(), limits).await;
    let (owner, _member, _viewer) = workspace_with_member(&address).await;
    let page_path = format!("/help/{WS}/{ARTICLE}");
    let path = article_path(WS, ARTICLE);
    assert_eq!(
        http(&address, Method::PUT, &path, Some(&owner), publication("A", "b")).await.0,
        204
    );

    // Each answer without a cookie is a new reader: an address gets twenty a minute, no more —
    // twenty at once, then one more for every three seconds that pass (however slowly this runs).
    let started = std::time::Instant::now();
    let mut granted = 0u64;
    loop {
        let (status, ..) = answer(&address, &page_path, "yes", None, "same-origin").await;
        if status == 429 {
            break;
        }
        assert_eq!(status, 200, "answer {granted}");
        granted += 1;
        assert!(granted <= 100, "never refused");
    }
    let replenished = started.elapsed().as_secs() / 3;
    assert!(
        (20..=20 + replenished).contains(&granted),
        "{granted} answers granted in {:?}",
        started.elapsed()
    );
    assert_eq!(listed(&address, &owner).await[0]["helpful"], granted);

    // As many published articles as the relay allows; a new one is refused, a new revision of one of
    // them is not.
    for n in 1..5u32 {
        let id = format!("0192f3a4-5b6c-7d8e-9f01-{n:012x}");
        let (status, _, body) = http(
            &address,
            Method::PUT,
            &article_path(WS, &id),
            Some(&owner),
            publication("T", "x"),
        )
        .await;
        assert_eq!(status, 204, "{n}: {body}");
    }
    let one_more = article_path(WS, "0192f3a4-5b6c-7d8e-9f00-ffffffffffff");
    let (status, _, body) =
        http(&address, Method::PUT, &one_more, Some(&owner), publication("T", "x")).await;
    assert_eq!((status, &body["code"]), (409, &json!("too_many_articles")));
    assert_eq!(
        http(&address, Method::PUT, &path, Some(&owner), publication("A", "c")).await.0,
        204
    );
    assert_eq!(listed(&address, &owner).await.as_array().unwrap().len(), 5);
}
