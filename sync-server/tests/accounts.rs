//! Accounts through the relay's router: sign up, sign in, sign out, who am I — with the database in a
//! real file that outlives the relay, and the refusals a careless or hostile client gets.

mod common;

use axum::http::StatusCode;
use common::{call, relay, session};
use serde_json::json;

const ADA: &str = "correct horse battery";

#[tokio::test]
async fn sign_up_sign_out_and_sign_in_again_after_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let relay1 = relay(data.path());
    let signed_up = call(
        &relay1,
        "POST",
        "/api/accounts",
        None,
        Some(json!({ "email": " Ada@Example.test ", "name": "Ada Lovelace", "password": ADA })),
    )
    .await;
    assert_eq!(signed_up.status, StatusCode::CREATED, "{}", signed_up.body);
    let cookie = session(&signed_up);
    let me = call(&relay1, "GET", "/api/me", Some(&cookie), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body, json!({ "email": "ada@example.test", "name": "Ada Lovelace" }));

    let out = call(&relay1, "DELETE", "/api/sessions", Some(&cookie), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = call(&relay1, "GET", "/api/me", Some(&cookie), None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED, "a signed-out session opens nothing");
    drop(relay1);

    // A new relay process on the same data folder knows her.
    let relay2 = relay(data.path());
    let signed_in = call(
        &relay2,
        "POST",
        "/api/sessions",
        None,
        Some(json!({ "email": "ADA@example.test", "password": ADA })),
    )
    .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    let me = call(&relay2, "GET", "/api/me", Some(&session(&signed_in)), None).await;
    assert_eq!(me.body["name"], "Ada Lovelace");

    // Only an Argon2id hash is stored, never the password or the session token.
    let db = rusqlite::Connection::open(data.path().join("rapport.sqlite3")).unwrap();
    let hash: String =
        db.query_row("SELECT password_hash FROM accounts", [], |row| row.get(0)).unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let token = session(&signed_in).split('=').nth(1).unwrap().to_owned();
    let stored: i64 = db
        .query_row("SELECT count(*) FROM sessions WHERE token_hash = ?1", [&token], |row| {
            row.get(0)
        })
        .unwrap();
    assert_eq!(stored, 0, "the database keeps a hash of the token, not the token");
}

#[tokio::test]
async fn refusals_are_clear_and_do_not_tell_which_emails_exist() {
    let data = tempfile::tempdir().unwrap();
    let relay = relay(data.path());
    let sign_up = |email: &str, password: &str| {
        Some(json!({ "email": email, "name": "Grace", "password": password }))
    };
    let first =
        call(&relay, "POST", "/api/accounts", None, sign_up("grace@example.test", ADA)).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again =
        call(&relay, "POST", "/api/accounts", None, sign_up("GRACE@example.test", ADA)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    // Each refusal names its reason in a stable code (the app says it in its user's language).
    assert_eq!(again.body["code"], "account_exists");

    let short =
        call(&relay, "POST", "/api/accounts", None, sign_up("x@example.test", "short")).await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    assert!(short.body["error"].as_str().unwrap().contains("10 characters"));
    assert_eq!(short.body["code"], "password_too_short");
    let long = "x".repeat(2000);
    let huge = call(&relay, "POST", "/api/accounts", None, sign_up("y@example.test", &long)).await;
    assert_eq!(huge.status, StatusCode::BAD_REQUEST);
    let not_email = call(&relay, "POST", "/api/accounts", None, sign_up("grace", ADA)).await;
    assert_eq!(not_email.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_email.body["code"], "not_an_email");
    let garbage =
        call(&relay, "POST", "/api/sessions", None, Some(json!(["not", "a", "form"]))).await;
    assert!(garbage.status.is_client_error(), "{}", garbage.status);

    let sign_in =
        |email: &str, password: &str| Some(json!({ "email": email, "password": password }));
    let wrong = call(
        &relay,
        "POST",
        "/api/sessions",
        None,
        sign_in("grace@example.test", "wrong password"),
    )
    .await;
    let unknown =
        call(&relay, "POST", "/api/sessions", None, sign_in("nobody@example.test", ADA)).await;
    assert_eq!(
        (wrong.status, unknown.status),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(wrong.body, unknown.body, "the same answer whether or not the email exists");
    assert!(wrong.cookie.is_none() && unknown.cookie.is_none());

    let forged = call(&relay, "GET", "/api/me", Some("rapport_session=00ff"), None).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let none = call(&relay, "GET", "/api/me", None, None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
}
