//! `POST /webhooks/stripe`: Stripe's events. The CSRF layer lets a request through only when its
//! `Stripe-Signature` verifies ([`super::signature`]); a bad or missing one is answered 400 there
//! and nothing is stored. Here the event is recorded by its id, with the job that applies it, in
//! one transaction, and Stripe is answered at once: an event seen before is acknowledged and
//! changes nothing. A failure of ours answers 503, and Stripe delivers again (for up to three
//! days).

use app::{billing::StripeEventJob, jobs};
use axum::{
    body::Bytes,
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;

use super::objects::Event;
use crate::startup::AppState;

pub const PATH: &str = "/webhooks/stripe";
/// Stripe's events are small; this is far above any.
pub const MAX_REQUEST_BYTES: usize = 512 * 1024;

/// A Stripe id: a lower-case prefix, `_`, then letters, digits and underscores (`cs_test_…`).
fn well_formed(id: &str, prefix_len: std::ops::RangeInclusive<usize>) -> bool {
    id.split_once('_').is_some_and(|(prefix, rest)| {
        prefix_len.contains(&prefix.len())
            && prefix.bytes().all(|b| b.is_ascii_lowercase())
            && (1..=250).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

pub async fn receive(State(state): State<AppState>, body: Bytes) -> Response {
    let event = match serde_json::from_slice::<Event>(&body) {
        Ok(e)
            if e.id.starts_with("evt_")
                && well_formed(&e.id, 3..=3)
                && well_formed(&e.data.object.id, 2..=6)
                && (1..=100).contains(&e.kind.len())
                && (1..=60).contains(&e.data.object.object.len()) =>
        {
            e
        }
        _ => {
            tracing::warn!(
                bytes = body.len(),
                "a signed Stripe webhook that is not an event was refused"
            );
            return (
                StatusCode::BAD_REQUEST,
                "The request is not a Stripe event.",
            )
                .into_response();
        }
    };
    match record(&state, &event).await {
        Ok(true) => {
            tracing::info!(event = %event.id, kind = %event.kind, "Stripe event received");
            (StatusCode::OK, Json(json!({ "received": true }))).into_response()
        }
        Ok(false) => {
            tracing::info!(event = %event.id, "Stripe event received before; acknowledged and not applied again");
            (StatusCode::OK, Json(json!({ "received": true }))).into_response()
        }
        Err(error) => {
            tracing::error!(%error, event = %event.id, "Stripe event could not be recorded; Stripe will deliver it again");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "60")],
                "Try again later.",
            )
                .into_response()
        }
    }
}

/// Records the event and queues its job, once; whether it was new.
async fn record(state: &AppState, event: &Event) -> Result<bool, sqlx::Error> {
    let customer = event
        .data
        .object
        .customer_id()
        .filter(|c| c.starts_with("cus_") && well_formed(c, 3..=3));
    let mut tx = state.pool.begin().await?;
    let created = time::OffsetDateTime::from_unix_timestamp(event.created)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let new = sqlx::query!(
        "insert into stripe_events (event_id, type, created, object_type, object_id, customer_id)
         values ($1, $2, $3, $4, $5, $6) on conflict (event_id) do nothing",
        event.id,
        event.kind,
        created,
        event.data.object.object,
        event.data.object.id,
        customer
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if new {
        jobs::enqueue(
            &mut tx,
            &StripeEventJob {
                event_id: event.id.clone(),
            },
            jobs::Queue::default(),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(new)
}
