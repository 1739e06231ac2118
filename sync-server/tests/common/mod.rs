//! Driving the relay's router in tests: a relay on a data folder, a JSON call, the session cookie.
#![allow(dead_code)] // each test file uses part of it

pub mod push;
pub mod smtp;
pub mod socket;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use rapport_sync_server::{AppAssets, AppState, Store, router};
use serde_json::{Value, json};
use tower::ServiceExt;

pub struct Reply {
    pub status: StatusCode,
    pub cookie: Option<String>,
    pub body: Value,
}

/// The relay's router on the database in `data` (no built app).
pub fn relay(data: &std::path::Path) -> Router {
    router(AppState::new(AppAssets::new(data.join("no-dist")), Store::open(data).unwrap()))
}

pub async fn call(
    relay: &Router,
    method: &str,
    uri: &str,
    cookie: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    let response = relay.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let cookie =
        response.headers().get(header::SET_COOKIE).map(|value| value.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, cookie, body }
}

/// `name=value` from a `Set-Cookie` header.
pub fn session(reply: &Reply) -> String {
    let cookie = reply.cookie.as_deref().expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    cookie.split(';').next().unwrap().to_owned()
}

/// Signs up `name` and returns the session cookie.
pub async fn sign_up(relay: &Router, name: &str) -> String {
    let form = json!({ "email": format!("{name}@example.test"), "name": name, "password": "correct horse battery" });
    let reply = call(relay, "POST", "/api/accounts", None, Some(form)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    session(&reply)
}
