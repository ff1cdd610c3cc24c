//! The `billing.checkout` and `billing.portal` jobs: an Owner's trip to Stripe. Each makes the
//! session Stripe's hosted page needs and keeps its address for the Owner's browser, which
//! asks for it (`app::billing::billing_trip`). The session's own id is the `Idempotency-Key`,
//! so a retried job gets the session Stripe already made, never a second one.
//!
//! Checkout (`mode=subscription`): the plan's Price, the organisation in `client_reference_id`
//! and in the subscription's metadata (the webhook's job finds the organisation by them), the
//! existing customer when there is one (else the Owner's email), and the billing page as the
//! success and cancel addresses.

use app::billing::{CheckoutJob, PortalJob};
use app::plans::PlanId;
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use stripe_shared::CheckoutSessionMode;
use uuid::Uuid;

use super::{
    client::{Stripe, StripeError},
    objects::{CheckoutSession, PortalSession},
};
use crate::jobs::{JobContext, JobError};

struct Trip {
    kind: String,
    plan: Option<PlanId>,
    slug: String,
    customer: Option<String>,
    email: String,
}

/// The session as asked for, if it still waits for its address.
async fn pending(context: &JobContext, session: Uuid) -> Result<Option<Trip>, JobError> {
    let org = context.org()?;
    let mut tx = context.begin().await?;
    let row = sqlx::query!(
        r#"select s.kind, s.plan, s.state, o.slug::text as "slug!", a.customer_id as "customer?",
                  u.email::text as "email!"
           from billing_sessions s
           join organisations o on o.org_id = s.org_id
           join users u on u.user_id = s.user_id
           left join billing_accounts a on a.org_id = s.org_id
           where s.org_id = $1 and s.session_id = $2"#,
        org,
        session
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.rollback().await?;
    Ok(row.filter(|r| r.state == "pending").map(|r| Trip {
        kind: r.kind,
        plan: r.plan.as_deref().and_then(PlanId::parse),
        slug: r.slug,
        customer: r.customer,
        email: r.email,
    }))
}

/// Keeps the address (or why there is none) for the Owner's browser.
async fn settle(
    context: &JobContext,
    session: Uuid,
    outcome: Result<String, String>,
) -> Result<(), JobError> {
    let org = context.org()?;
    let mut tx = context.begin().await?;
    let (state, url, note) = match outcome {
        Ok(url) => ("ready", Some(url), None),
        Err(note) => ("failed", None, Some(note)),
    };
    sqlx::query!(
        "update billing_sessions set state = $3, url = $4, note = $5
         where org_id = $1 and session_id = $2 and state = 'pending'",
        org,
        session,
        state,
        url,
        note
    )
    .execute(&mut *tx)
    .await?;
    context.finish(tx).await
}

/// A Stripe refusal is the end of this trip (the Owner can start another); anything else is
/// tried again. The Owner is told in plain words; the log has Stripe's.
async fn made(
    context: &JobContext,
    session: Uuid,
    result: Result<String, StripeError>,
) -> Result<(), JobError> {
    match result {
        Ok(url) if url.starts_with("https://") || url.starts_with("http://") => {
            settle(context, session, Ok(url)).await
        }
        Ok(_) => Err(JobError::fatal("Stripe's session has no usable address")),
        Err(e @ (StripeError::Unavailable(_) | StripeError::Key)) => {
            if context.job.attempt >= context.job.max_attempts {
                settle(context, session, Err(unreachable())).await?;
            }
            Err(e.into())
        }
        Err(e) => {
            tracing::error!(error = %e, "Stripe refused a billing session");
            settle(
                context,
                session,
                Err(
                    "Stripe could not start this. Try again, or contact us if it keeps happening."
                        .into(),
                ),
            )
            .await
        }
    }
}

fn unreachable() -> String {
    "Stripe could not be reached. Nothing was charged; try again later.".into()
}

fn billing_page(public_url: &str, slug: &str) -> String {
    format!("{}/o/{slug}/billing", public_url.trim_end_matches('/'))
}

pub async fn checkout(
    stripe: &Stripe,
    public_url: &str,
    job: CheckoutJob,
    context: &JobContext,
) -> Result<(), JobError> {
    let org = context.org()?;
    let Some(trip) = pending(context, job.session_id).await? else {
        let tx = context.begin().await?;
        return context.finish(tx).await;
    };
    let Some(price) = trip
        .plan
        .filter(|_| trip.kind == "checkout")
        .and_then(|p| stripe.config().price_of(p))
    else {
        return Err(JobError::fatal("a checkout session without a paid plan"));
    };
    let page = billing_page(public_url, &trip.slug);
    let metadata = std::collections::HashMap::from([("org_id".to_string(), org.to_string())]);
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price = Some(price.to_string());
    item.quantity = Some(1);
    let mut subscription = CreateCheckoutSessionSubscriptionData::new();
    subscription.metadata = Some(metadata.clone());
    let mut request = CreateCheckoutSession::new()
        .mode(CheckoutSessionMode::Subscription)
        .line_items(vec![item])
        .client_reference_id(org.to_string())
        .metadata(metadata)
        .subscription_data(subscription)
        .success_url(format!("{page}?checkout=done"))
        .cancel_url(format!("{page}?checkout=cancelled"));
    request = match &trip.customer {
        Some(customer) => request.customer(customer.as_str()),
        None => request.customer_email(trip.email.as_str()),
    };
    let key = format!("checkout-{}", job.session_id);
    let result = stripe
        .send::<CheckoutSession>(&request, Some(&key))
        .await
        .and_then(|s| {
            s.url
                .ok_or_else(|| StripeError::Unusable("a Checkout Session without its url".into()))
        });
    made(context, job.session_id, result).await
}

pub async fn portal(
    stripe: &Stripe,
    public_url: &str,
    job: PortalJob,
    context: &JobContext,
) -> Result<(), JobError> {
    let Some(trip) = pending(context, job.session_id).await? else {
        let tx = context.begin().await?;
        return context.finish(tx).await;
    };
    let Some(customer) = trip.customer else {
        return settle(
            context,
            job.session_id,
            Err("The organisation has never subscribed: choose a plan first.".into()),
        )
        .await;
    };
    let request = CreateBillingPortalSession::new()
        .customer(customer.as_str())
        .return_url(billing_page(public_url, &trip.slug));
    let key = format!("portal-{}", job.session_id);
    let result = stripe
        .send::<PortalSession>(&request, Some(&key))
        .await
        .map(|s| s.url);
    made(context, job.session_id, result).await
}
