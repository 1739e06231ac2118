//! `GET /healthz`: liveness for load balancers and the end-to-end harness. `GET /metrics`: Prometheus
//! text for monitoring, for loopback clients or whoever presents `--metrics-token` as a bearer token
//! (it tells how busy the relay is, which is nobody else's business). Behind a proxy (`--public-origin`
//! or `--behind-tls`) without `--trust-forwarded-for`, every client looks like loopback: only the token
//! opens it there.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rapport_core::health::HealthReport;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz)).route("/metrics", get(metrics))
}

async fn healthz(State(state): State<AppState>) -> Json<HealthReport> {
    Json(HealthReport::ok(state.uptime_seconds()))
}

async fn metrics(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if !may_read_metrics(&state, &request) {
        return axum::http::StatusCode::NOT_FOUND.into_response();
    }
    use std::fmt::Write;
    use std::sync::atomic::Ordering::Relaxed;
    let counters = &state.hub.counters;
    let gauges = [
        ("rapport_sync_connections", "Open sync sockets.", state.hub.connections() as u64),
        (
            "rapport_documents_in_memory",
            "Documents held in memory because some socket syncs them.",
            state.hub.documents_in_memory() as u64,
        ),
        ("rapport_uptime_seconds", "Seconds since the relay started.", state.uptime_seconds()),
    ];
    let totals = [
        (
            "rapport_sync_messages_received_total",
            "Protocol messages received.",
            &counters.messages_received,
        ),
        ("rapport_sync_messages_sent_total", "Protocol messages sent.", &counters.messages_sent),
        (
            "rapport_storage_errors_total",
            "Failed writes to the database.",
            &counters.storage_errors,
        ),
        (
            "rapport_sync_connections_refused_total",
            "Sync sockets refused for a bad ticket or too many sockets.",
            &counters.connections_refused,
        ),
        (
            "rapport_documents_failed_total",
            "Documents taken out of memory, their sockets closed, after a storage error or a panic.",
            &counters.documents_failed,
        ),
        (
            "rapport_slow_sockets_closed_total",
            "Sync sockets closed because the device did not read what the relay sent.",
            &counters.slow_sockets_closed,
        ),
        (
            "rapport_compactions_total",
            "Documents whose stored chunks were compacted into one snapshot.",
            &counters.compactions,
        ),
        (
            "rapport_documents_refused_total",
            "Documents refused to one device (too large, or the workspace holds the most documents allowed); its other documents sync on.",
            &counters.documents_refused,
        ),
    ];
    let mut text = String::new();
    for (name, help, value) in gauges {
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
    }
    for (name, help, counter) in totals {
        let value = counter.load(Relaxed);
        let _ = writeln!(text, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
    }
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

fn may_read_metrics(state: &AppState, request: &axum::extract::Request) -> bool {
    if let Some(token) = &state.metrics_token {
        let bearer = request
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        return bearer.is_some_and(|given| constant_time_equal(given.as_bytes(), token.as_bytes()));
    }
    // Behind a proxy on the same host every client comes from loopback: that address proves nothing
    // unless the proxy's `X-Forwarded-For` is trusted. There, only the token opens the metrics.
    let proxied = state.public_origin.is_some() || state.behind_tls;
    if proxied && !state.limits.trust_forwarded_for {
        return false;
    }
    crate::server::client_address(request.extensions())
        .is_some_and(|address| address.ip().is_loopback())
}

/// Compares without stopping at the first difference, so timing does not reveal a token's prefix.
pub(crate) fn constant_time_equal(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
