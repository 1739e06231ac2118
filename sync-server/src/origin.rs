//! Which browser pages may talk to the relay. A cookie session is sent by the browser with every
//! request to the relay, whichever page makes it, so requests that change something, and the sync
//! socket, must come from the relay's own pages.
//!
//! The relay's own origin is `--public-origin` when set (behind a proxy that rewrites `Host`, the
//! browser's origin is the proxy's), otherwise the `Host` the request names. Clients that are not
//! browsers send neither `Origin` nor `Sec-Fetch-Site` and are not browsers' victims: they pass.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::accounts::{Refusal, Why};

/// Whether a websocket upgrade may proceed: a browser's `Origin` must be the relay's own.
pub(crate) fn websocket_origin_allowed(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    match headers.get(header::ORIGIN) {
        None => true,
        Some(origin) => origin.to_str().is_ok_and(|origin| is_own(origin, headers, public_origin)),
    }
}

/// Refuses, with 403, a request that would change something when a browser says it comes from
/// another site: `Sec-Fetch-Site` other than `same-origin`, or else an `Origin` that is not the
/// relay's. `SameSite=Strict` cookies already keep other sites' requests signed out; this holds even
/// for a browser that ignores SameSite, and for routes that need no session.
pub(crate) async fn same_origin_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !write_allowed(request.headers(), state.public_origin.as_deref()) {
        return Refusal(StatusCode::FORBIDDEN, Why::CrossSite, None).into_response();
    }
    next.run(request).await
}

fn write_allowed(headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() == b"same-origin";
    }
    websocket_origin_allowed(headers, public_origin)
}

fn is_own(origin: &str, headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let origin = origin.trim_end_matches('/');
    match public_origin {
        Some(own) => origin.eq_ignore_ascii_case(own.trim_end_matches('/')),
        None => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
            origin.split_once("://").is_some_and(|(_, authority)| {
                !host.is_empty() && authority.eq_ignore_ascii_case(host)
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    #[test]
    fn a_browser_page_of_another_site_may_neither_sync_nor_write() {
        let own = headers(&[("host", "crm.example:8080"), ("origin", "http://crm.example:8080")]);
        let other = headers(&[("host", "crm.example:8080"), ("origin", "https://evil.example")]);
        assert!(websocket_origin_allowed(&own, None));
        assert!(!websocket_origin_allowed(&other, None));
        assert!(websocket_origin_allowed(&headers(&[("host", "crm.example")]), None), "no browser");
        let fetch = |site| headers(&[("host", "crm.example"), ("sec-fetch-site", site)]);
        assert!(write_allowed(&fetch("same-origin"), None));
        for site in ["same-site", "cross-site", "none"] {
            assert!(!write_allowed(&fetch(site), None), "{site}");
        }
        assert!(!write_allowed(&other, None));
    }

    #[test]
    fn behind_a_proxy_the_public_origin_is_the_relays_own() {
        let proxied = headers(&[("host", "127.0.0.1:8080"), ("origin", "https://crm.example")]);
        assert!(!websocket_origin_allowed(&proxied, None), "Host was rewritten by the proxy");
        assert!(websocket_origin_allowed(&proxied, Some("https://crm.example")));
        assert!(websocket_origin_allowed(&proxied, Some("https://CRM.example/")));
        assert!(!websocket_origin_allowed(&proxied, Some("https://other.example")));
    }
}
