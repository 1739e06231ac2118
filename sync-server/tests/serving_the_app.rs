//! The relay serves a built app: right content types, cache policy by file kind, SPA fallback, and real
//! 404s for missing files. Driven through the same `router` that `main.rs` serves.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use rapport_sync_server::{AppAssets, AppState, router};
use tower::ServiceExt;

const INDEX: &str = "<!doctype html><title>Rapport</title>";

fn built_app() -> tempfile::TempDir {
    let dist = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dist.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    write("index.html", INDEX.as_bytes());
    write("rapport-app-0123456789abcdef_bg.wasm", b"\0asm\x01\0\0\0");
    write("rapport-app-0123456789abcdef.js", b"export default 1;");
    write("main-fedcba9876543210.css", b"body{}");
    write("rapport-app-0123456789abcdef.js.br", b"brotli bytes");
    write("sw.js", b"self.addEventListener('fetch', () => {});");
    write("icons/icon-192.png", b"\x89PNG");
    dist
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

async fn get(dist: &std::path::Path, uri: &str, accept_encoding: Option<&str>) -> Reply {
    let mut request = Request::get(uri);
    if let Some(encoding) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, encoding);
    }
    let response = router(AppState::new(
        AppAssets::new(dist),
        rapport_sync_server::Store::in_memory().unwrap(),
    ))
    .oneshot(request.body(Body::empty()).unwrap())
    .await
    .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

fn header(reply: &Reply, name: header::HeaderName) -> &str {
    reply.headers.get(name).map(|v| v.to_str().unwrap()).unwrap_or("")
}

#[tokio::test]
async fn index_html_is_served_at_the_root_and_always_revalidated() {
    let dist = built_app();
    let reply = get(dist.path(), "/", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, INDEX);
    assert_eq!(header(&reply, header::CACHE_CONTROL), "no-cache");
    assert!(header(&reply, header::CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(header(&reply, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
}

#[tokio::test]
async fn client_routes_fall_back_to_the_app_shell() {
    let dist = built_app();
    for uri in ["/parties", "/parties/0190c4e2-7d1c-7000-8000-000000000000", "/settings/"] {
        let reply = get(dist.path(), uri, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        assert_eq!(reply.body, INDEX, "{uri}");
        assert_eq!(header(&reply, header::CACHE_CONTROL), "no-cache", "{uri}");
    }
}

#[tokio::test]
async fn hashed_assets_are_immutable_with_the_right_mime() {
    let dist = built_app();
    let wasm = get(dist.path(), "/rapport-app-0123456789abcdef_bg.wasm", None).await;
    assert_eq!(wasm.status, StatusCode::OK);
    assert_eq!(header(&wasm, header::CONTENT_TYPE), "application/wasm");
    assert_eq!(header(&wasm, header::CACHE_CONTROL), "public, max-age=31536000, immutable");

    let css = get(dist.path(), "/main-fedcba9876543210.css", None).await;
    assert!(header(&css, header::CONTENT_TYPE).starts_with("text/css"));
    assert_eq!(header(&css, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
}

#[tokio::test]
async fn unhashed_files_like_the_service_worker_are_revalidated() {
    let dist = built_app();
    for uri in ["/sw.js", "/icons/icon-192.png"] {
        let reply = get(dist.path(), uri, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        assert_eq!(header(&reply, header::CACHE_CONTROL), "no-cache", "{uri}");
    }
}

#[tokio::test]
async fn precompressed_brotli_is_served_when_accepted() {
    let dist = built_app();
    let reply = get(dist.path(), "/rapport-app-0123456789abcdef.js", Some("br, gzip")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(header(&reply, header::CONTENT_ENCODING), "br");
    assert_eq!(reply.body, "brotli bytes");
    assert!(header(&reply, header::CONTENT_TYPE).contains("javascript"));

    let plain = get(dist.path(), "/rapport-app-0123456789abcdef.js", None).await;
    assert_eq!(plain.body, "export default 1;");
}

#[tokio::test]
async fn a_missing_file_is_a_404_not_the_app_shell() {
    let dist = built_app();
    let reply = get(dist.path(), "/rapport-app-ffffffffffffffff.js", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_ne!(reply.body, INDEX);
}

#[tokio::test]
async fn path_traversal_never_leaves_the_dist_folder() {
    let root = tempfile::tempdir().unwrap();
    let dist = root.path().join("dist");
    std::fs::create_dir(&dist).unwrap();
    std::fs::write(dist.join("index.html"), INDEX).unwrap();
    std::fs::write(root.path().join("secret.txt"), "top secret").unwrap();
    for uri in
        ["/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/assets/../../secret.txt"]
    {
        let reply = get(&dist, uri, None).await;
        assert!(!reply.body.contains("top secret"), "{uri} escaped the dist folder");
    }
}

#[tokio::test]
async fn an_unbuilt_app_says_how_to_build_it() {
    let empty = tempfile::tempdir().unwrap();
    let reply = get(empty.path(), "/", None).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(reply.body.contains("trunk build"), "{}", reply.body);
}

#[tokio::test]
async fn healthz_reports_ok_and_the_version() {
    let dist = built_app();
    let reply = get(dist.path(), "/healthz", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let report: rapport_core::health::HealthReport = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(report, rapport_core::health::HealthReport::ok(report.uptime_seconds));
}
