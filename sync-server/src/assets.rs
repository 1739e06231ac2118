//! Serving the built web app.
//!
//! Trunk writes content-hashed names (`app-1a2b…_bg.wasm`), so those are cached forever; everything else
//! (`index.html`, the service worker, the manifest, icons) must be revalidated or a new release would
//! never reach installed apps. Paths without a file extension are client routes of the single-page app
//! and get `index.html`; a missing file with an extension is a real 404, never the app shell, so a broken
//! asset reference fails loudly instead of "loading" HTML as JavaScript.

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The Content-Security-Policy of every response: scripts, styles, workers and connections from this
/// origin only (WebAssembly compiled, never `eval`), no framing (clickjacking), no plugins. The app
/// page's own (`document_csp`) adds the hashes of the inline scripts Trunk writes into it. Inline
/// styles stay allowed: Leptos sets `style` attributes, and styles cannot run code.
pub(crate) const BASE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; \
    worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'self'; object-src 'none'";
const REVALIDATE: &str = "no-cache";

/// The folder holding the built app.
#[derive(Debug, Clone)]
pub struct AppAssets {
    dist: Arc<PathBuf>,
}

impl AppAssets {
    pub fn new(dist: impl Into<PathBuf>) -> Self {
        Self { dist: Arc::new(dist.into()) }
    }

    pub fn dist(&self) -> &Path {
        &self.dist
    }

    /// Whether the folder holds a built app at all; the relay still starts without one (API only).
    pub fn is_built(&self) -> bool {
        self.dist.join("index.html").is_file()
    }
}

pub(crate) async fn serve(State(state): State<AppState>, request: Request) -> Response {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = request.uri().path().to_owned();
    let assets = &state.assets;
    let response = if is_client_route(&path) {
        if !assets.is_built() {
            return app_not_built(assets);
        }
        return serve_document(assets, request).await;
    } else if path == "/index.html" {
        return serve_document(assets, request).await;
    } else {
        let files = ServeDir::new(assets.dist.as_ref())
            .precompressed_br()
            .precompressed_gzip()
            .append_index_html_on_directories(false);
        into_response(files.oneshot(request).await)
    };
    with_cache_policy(&path, response)
}

/// The app's page, with a policy that lets exactly its own inline scripts run.
async fn serve_document(assets: &AppAssets, request: Request) -> Response {
    let index = assets.dist.join("index.html");
    let policy = tokio::fs::read_to_string(&index).await.map(|html| document_csp(&html));
    let page = ServeFile::new(index).precompressed_br().precompressed_gzip();
    let mut response = with_cache_policy("/index.html", into_response(page.oneshot(request).await));
    if let Ok(policy) = policy
        && let Ok(value) = HeaderValue::from_str(&policy)
    {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// [`BASE_CSP`] with the SHA-256 of each inline `<script>` of `html` allowed.
fn document_csp(html: &str) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let mut hashes = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        rest = &rest[start..];
        let Some(open_end) = rest.find('>') else { break };
        let tag = &rest[..open_end];
        let body = &rest[open_end + 1..];
        let Some(close) = body.find("</script>") else { break };
        if !tag.contains(" src=") && !body[..close].trim().is_empty() {
            let digest = Sha256::digest(&body.as_bytes()[..close]);
            let encoded = base64::engine::general_purpose::STANDARD.encode(digest);
            hashes.push_str(&format!(" 'sha256-{encoded}'"));
        }
        rest = &body[close..];
    }
    BASE_CSP.replacen("'wasm-unsafe-eval'", &format!("'wasm-unsafe-eval'{hashes}"), 1)
}

fn into_response<B>(result: Result<axum::http::Response<B>, Infallible>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    match result {
        Ok(response) => response.map(Body::new),
        Err(never) => match never {},
    }
}

/// A path whose last segment has no extension names a page of the app, not a file.
fn is_client_route(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or_default();
    !last.contains('.')
}

/// Trunk names hashed files `<stem>-<hex hash>.<ext>`, the wasm module `<stem>-<hex hash>_bg.wasm`.
fn is_content_hashed(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let Some((stem, _ext)) = file.split_once('.') else { return false };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    let Some((_, hash)) = stem.rsplit_once('-') else { return false };
    (8..=32).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

fn with_cache_policy(path: &str, mut response: Response) -> Response {
    if response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED {
        let policy = if is_content_hashed(path) { IMMUTABLE } else { REVALIDATE };
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

fn app_not_built(assets: &AppAssets) -> Response {
    tracing::warn!(dist = %assets.dist.display(), "no index.html: the web app has not been built");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CACHE_CONTROL, REVALIDATE)],
        "The Rapport web app has not been built on this server yet. Build it with `trunk build --release` \
         (or start everything with `./scripts/run`).",
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_routes_are_paths_without_an_extension() {
        for path in ["/", "/parties", "/parties/0190c4e2-7d1c-7000-8000-000000000000", "/tasks/"] {
            assert!(is_client_route(path), "{path}");
        }
        for path in ["/index.html", "/app-1a2b3c4d5e6f7a8b.js", "/icons/icon-192.png", "/sw.js"] {
            assert!(!is_client_route(path), "{path}");
        }
    }

    #[test]
    fn the_page_policy_allows_exactly_its_inline_scripts() {
        let html = "<head><script src=\"/a.js\"></script><script type=\"module\">run()</script>\
                    </head><body><script>\n</script></body>";
        let policy = document_csp(html);
        // sha256("run()"), as `printf 'run()' | openssl dgst -sha256 -binary | base64` writes it.
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-AvyuiL0SD1mVY3NNxR+V2uo+lhk6RMFrytWmRt6CrJQ='"),
            "{policy}"
        );
        assert_eq!(policy.matches("sha256-").count(), 1, "external and empty scripts need no hash");
        assert!(policy.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn trunk_hashed_names_are_recognised() {
        for path in [
            "/rapport-app-9f8e7d6c5b4a3921.js",
            "/rapport-app-9f8e7d6c5b4a3921_bg.wasm",
            "/main-0123456789abcdef.css",
        ] {
            assert!(is_content_hashed(path), "{path}");
        }
        for path in
            ["/index.html", "/sw.js", "/manifest.webmanifest", "/icons/icon-192.png", "/x-y.js"]
        {
            assert!(!is_content_hashed(path), "{path}");
        }
    }
}
