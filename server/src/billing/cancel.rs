//! The `billing.cancel` job: a deleted organisation's subscription is cancelled at Stripe, at
//! once, so nothing more is charged. Queued in the deletion's transaction, it runs after the
//! organisation is gone and carries only the subscription's id. Stripe's answer to a repeat
//! (the subscription is cancelled already, or no longer exists) means the work is done.

use app::billing::CancelSubscription;
use serde::Deserialize;
use stripe_billing::subscription::CancelSubscription as CancelRequest;

use super::client::{Stripe, StripeError};
use crate::jobs::{JobContext, JobError};

#[derive(Deserialize)]
struct Cancelled {
    status: String,
}

pub async fn cancel(
    stripe: &Stripe,
    job: CancelSubscription,
    context: &JobContext,
) -> Result<(), JobError> {
    let request = CancelRequest::new(job.subscription_id.as_str());
    match stripe.send::<Cancelled>(&request, None).await {
        Ok(c) => {
            tracing::info!(status = %c.status, "subscription of a deleted organisation cancelled")
        }
        Err(StripeError::Missing(_)) => {
            tracing::info!("subscription of a deleted organisation was gone already")
        }
        Err(StripeError::Refused { message, .. })
            if message.starts_with("A canceled subscription") =>
        {
            tracing::info!("subscription of a deleted organisation was cancelled already")
        }
        Err(e) => return Err(e.into()),
    }
    let tx = context.pool().begin().await?;
    context.finish(tx).await
}
