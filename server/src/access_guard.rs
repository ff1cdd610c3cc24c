//! The server's half of [`app::access`]: every server-function request starts undeclared, and a
//! function that finishes without declaring its access has its response replaced by an error.
//! It is also where a function's error becomes an HTTP status, and where refusals are audited.

use app::{
    access::{AccessRecord, Declared},
    audit::{record_account_event, record_org_event, AuditAction},
    error::AppError,
    request::RequestMeta,
    tenancy::tenant_tx,
};
use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::json;
use sqlx::PgPool;

use crate::telemetry::RequestSpan;

/// Server functions live under this prefix.
pub const SERVER_FN_PREFIX: &str = "/api/";

/// Marks a refused undeclared function, so the registry test can tell it from other errors.
pub static UNDECLARED: HeaderName = HeaderName::from_static("x-access-undeclared");
/// What the function declared (`public`, `signed_in`, `member:<permission>`), so tests walking
/// the registry know what each function requires.
pub static DECLARED: HeaderName = HeaderName::from_static("x-access");

/// Error bodies are a few hundred bytes; anything larger is not one of ours.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

pub async fn require_declared_access(
    State(pool): State<Option<PgPool>>,
    mut request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with(SERVER_FN_PREFIX) {
        return next.run(request).await;
    }
    let span = request
        .extensions()
        .get::<RequestSpan>()
        .map_or_else(tracing::Span::current, |s| s.0.clone());
    let record = AccessRecord::new(span);
    request.extensions_mut().insert(record.clone());
    let path = request.uri().path().to_string();
    let meta = RequestMeta::from_request(request.extensions(), request.headers());
    let response = next.run(request).await;
    let Some(declared) = record.declared() else {
        return withhold(&path, response).await;
    };
    let mut response = with_error_status(response).await;
    if let Ok(value) = HeaderValue::from_str(&declared.access) {
        response.headers_mut().insert(DECLARED.clone(), value);
    }
    let status = response.status();
    if status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND {
        if let Some(pool) = pool {
            if let Err(e) = audit_refusal(&pool, &declared, &path, status, &meta).await {
                tracing::error!(error = ?e, "could not audit a refused request");
            }
        }
    }
    response
}

async fn withhold(path: &str, response: Response) -> Response {
    if !(response.status().is_success() || response.status().is_redirection()) {
        // Arguments that did not decode: the function never ran, so nothing was read or
        // written, and the caller is told the request was malformed.
        tracing::warn!(%path, status = %response.status(), "server function refused before declaring its access");
        let mut refused = with_error_status(response).await;
        refused
            .headers_mut()
            .insert(UNDECLARED.clone(), HeaderValue::from_static("1"));
        return refused;
    }
    tracing::error!(%path, "server function did not declare its access; response withheld");
    let mut refused = (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side.",
    )
        .into_response();
    refused
        .headers_mut()
        .insert(UNDECLARED.clone(), HeaderValue::from_static("1"));
    refused
}

/// Server functions report every error as 500; the error itself says what it is, and
/// [`AppError::status`] maps it to the status a client (and an auditor) expects.
async fn with_error_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, ERROR_BODY_LIMIT).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side.",
        )
            .into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status();
        if let Some(seconds) = error.retry_after() {
            parts.headers.insert(header::RETRY_AFTER, seconds.into());
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A refusal inside an organisation goes to its audit log; a "not found" without one (another
/// organisation's slug, which the caller must not learn exists) goes to the account log.
async fn audit_refusal(
    pool: &PgPool,
    declared: &Declared,
    path: &str,
    status: StatusCode,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let function = path.trim_start_matches(SERVER_FN_PREFIX);
    let (action, summary) = if status == StatusCode::FORBIDDEN {
        (
            AuditAction::AccessDenied,
            format!("Refused {function}: needs {}", declared.access),
        )
    } else {
        (
            AuditAction::AccessNotFound,
            format!("Not found in {function}"),
        )
    };
    match (declared.org_id, declared.user_id) {
        // A refusal inside an organisation is by a member of it, who is known.
        (Some(org_id), Some(user_id)) => {
            let mut tx = tenant_tx(pool, user_id, org_id).await?;
            record_org_event(
                &mut tx,
                org_id,
                declared.user_id,
                action,
                Some(function),
                &summary,
                meta,
            )
            .await?;
            tx.commit().await?;
        }
        (_, Some(user_id)) => {
            record_account_event(
                pool,
                Some(user_id),
                action,
                meta,
                json!({ "function": function }),
            )
            .await?;
        }
        // Anonymous requests that were refused are not worth a row each.
        (_, None) => {}
    }
    Ok(())
}
