//! Probes for a load balancer: `/healthz` says the process answers; `/readyz` says it can serve
//! (the database answers and its schema is current) and is not on its way out.

use axum::{extract::State, http::StatusCode, response::IntoResponse, Json};
use serde_json::json;

use crate::{db, startup::AppState};

pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.draining.is_draining() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "draining" })),
        );
    }
    match db::check_ready(&state.pool).await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            // The reason is for operators' logs; the probe needs only the status.
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "not ready" })),
            )
        }
    }
}
