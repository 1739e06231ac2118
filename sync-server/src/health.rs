//! `GET /healthz`: liveness for load balancers and the end-to-end harness.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use rapport_core::health::HealthReport;

use crate::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

async fn healthz(State(state): State<AppState>) -> Json<HealthReport> {
    Json(HealthReport::ok(state.uptime_seconds()))
}
