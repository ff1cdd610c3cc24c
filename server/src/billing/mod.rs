//! Billing through Stripe (see `app::billing` for what members see): the API client, the signed
//! webhook, and the jobs that make Checkout and portal sessions and apply Stripe's events.

pub mod cancel;
pub mod client;
pub mod events;
pub mod objects;
pub mod signature;
pub mod trips;
pub mod webhook;

use std::{sync::Arc, time::Duration};

use crate::jobs::Kind;

/// Sessions and events at once per process.
const AT_ONCE: usize = 4;

/// The billing jobs: Checkout and portal sessions (an Owner waits, so retries come quickly),
/// Stripe's events, and deleted organisations' cancellations.
pub fn kinds(stripe: client::Stripe, applying: events::Applying) -> Vec<Kind> {
    let stripe = Arc::new(stripe);
    let applying = Arc::new(applying);
    let (for_checkout, for_portal, for_cancel) = (stripe.clone(), stripe.clone(), stripe.clone());
    let (url_checkout, url_portal) = (applying.public_url.clone(), applying.public_url.clone());
    vec![
        Kind::new(AT_ONCE, Duration::from_secs(5), move |job, context| {
            let stripe = for_cancel.clone();
            async move { cancel::cancel(&stripe, job, &context).await }
        }),
        Kind::new(AT_ONCE, Duration::from_secs(1), move |job, context| {
            let (stripe, url) = (for_checkout.clone(), url_checkout.clone());
            async move { trips::checkout(&stripe, &url, job, &context).await }
        }),
        Kind::new(AT_ONCE, Duration::from_secs(1), move |job, context| {
            let (stripe, url) = (for_portal.clone(), url_portal.clone());
            async move { trips::portal(&stripe, &url, job, &context).await }
        }),
        Kind::new(AT_ONCE, Duration::from_secs(5), move |job, context| {
            let (stripe, applying) = (stripe.clone(), applying.clone());
            async move { events::run(&stripe, &applying, job, &context).await }
        }),
    ]
}
