//! `POST /webhooks/sendgrid/inbound`: customer email from SendGrid Inbound Parse, in either of
//! its modes. The CSRF layer lets the request through only when its signature verifies
//! ([`signature`]); an unsigned or badly signed request is refused there and stored nowhere.
//! Then the email is read ([`parse`]) and stored for the organisation it was sent to
//! ([`store`]), and SendGrid is told 200 only once it is stored (or known: a repeated delivery,
//! or mail to an address that is no one's, which is dropped with a log line). A failure of
//! ours answers 503, so SendGrid delivers again later (it retries for three days).
//!
//! Limits: a request of at most [`MAX_REQUEST_BYTES`] (SendGrid's own limit on a message is
//! 30 MB); text cut at 512 KiB and HTML at 1 MiB, at most 20 attachments, and attachments kept
//! while the organisation's storage allowance has room. Each cut is logged.

pub mod parse;
pub mod signature;
pub mod store;

use axum::{
    body::Bytes,
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};

use crate::startup::AppState;

pub const PATH: &str = "/webhooks/sendgrid/inbound";
/// The largest request the webhook reads.
pub const MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;

pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let bytes = body.len();
    let inbound = match parse::parse(content_type, body).await {
        Ok(inbound) => inbound,
        Err(error) => {
            tracing::warn!(%error, bytes, "inbound mail that could not be read was refused");
            return (
                StatusCode::BAD_REQUEST,
                "The request is not an Inbound Parse email.",
            )
                .into_response();
        }
    };
    if !inbound.cut.is_empty() {
        tracing::warn!(cut = ?inbound.cut, bytes, "inbound mail over a size limit was cut to fit");
    }
    let config = &state.config.inbound;
    let receiving = store::Receiving {
        domain: &config.domain,
        allowance: config.attachment_allowance,
        ai: state.config.anthropic.is_some(),
    };
    match store::store(&state.pool, &receiving, &inbound).await {
        Ok(store::Outcome::Stored {
            org,
            thread,
            new_thread,
        }) => {
            tracing::info!(%org, %thread, new_thread, bytes, attachments = inbound.attachments.len(), "inbound mail stored");
            StatusCode::OK.into_response()
        }
        Ok(store::Outcome::Duplicate { org }) => {
            tracing::info!(%org, "inbound mail received before; acknowledged and not stored again");
            StatusCode::OK.into_response()
        }
        Ok(store::Outcome::UnknownAddress) => {
            tracing::info!(
                recipients = inbound.recipients.len(),
                "inbound mail to no current address of ours was dropped"
            );
            StatusCode::OK.into_response()
        }
        Err(error) => {
            tracing::error!(%error, "inbound mail could not be stored; SendGrid will deliver it again");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "60")],
                "Try again later.",
            )
                .into_response()
        }
    }
}
