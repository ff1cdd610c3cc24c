//! The `billing.event` job: applies one Stripe event. It reads the object the event is about
//! from Stripe as it is now (a subscription with its card, an invoice, a Checkout Session), so
//! events that arrive late or out of order end in the state Stripe holds, never in the state
//! of whichever event came last. The effect and the event's `applied_at` are written in one
//! transaction: a job that runs twice applies its event once.
//!
//! What changes: the organisation's plan and billing status (a failed payment starts the grace
//! period; a payment made ends it), the subscription, card and invoices the billing page shows,
//! and the organisation's audit log (plan changes, a payment failed, a payment made), with an
//! email to each Owner when a payment fails.

use app::{
    audit::{record_org_event, AuditAction},
    billing::{long_date, StripeEventJob},
    email::{action_email, enqueue_email, EmailKind},
    plans::{plan, Billing, BillingStatus, PlanId},
    request::RequestMeta,
    tenancy::set_tenant,
};
use sqlx::PgConnection;
use stripe_billing::{invoice::RetrieveInvoice, subscription::RetrieveSubscription};
use stripe_checkout::checkout_session::RetrieveCheckoutSession;
use stripe_core::customer::RetrieveCustomer;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    client::{Stripe, StripeConfig, StripeError},
    objects::{Card, CheckoutSession, Customer, Expandable, Invoice, Subscription},
};
use crate::jobs::{JobContext, JobError};

/// What applying events needs besides Stripe.
#[derive(Clone)]
pub struct Applying {
    pub grace_days: u32,
    pub public_url: String,
}

/// What the event is about, as Stripe holds it now.
#[derive(Default)]
struct Found {
    /// The organisation a Checkout Session or subscription names (we put it there).
    org: Option<Uuid>,
    customer: Option<String>,
    subscription: Option<Subscription>,
    card: Option<Card>,
    invoice: Option<Invoice>,
}

pub async fn run(
    stripe: &Stripe,
    applying: &Applying,
    job: StripeEventJob,
    context: &JobContext,
) -> Result<(), JobError> {
    let event = sqlx::query!(
        "select object_type, object_id, customer_id, applied_at from stripe_events where event_id = $1",
        job.event_id
    )
    .fetch_optional(context.pool())
    .await?;
    let Some(event) = event.filter(|e| e.applied_at.is_none()) else {
        let tx = context.begin().await?;
        return context.finish(tx).await;
    };
    let mut found = Found {
        customer: event.customer_id.clone(),
        ..Found::default()
    };
    let mut subscription_id = None;
    match event.object_type.as_str() {
        "checkout.session" => {
            let s: CheckoutSession = stripe
                .send(
                    &RetrieveCheckoutSession::new(event.object_id.as_str()),
                    None,
                )
                .await?;
            found.org = s
                .client_reference_id
                .as_deref()
                .and_then(|r| Uuid::parse_str(r).ok());
            found.customer = s
                .customer
                .as_ref()
                .map(|c| c.id().to_string())
                .or(found.customer);
            subscription_id = s.subscription.as_ref().map(|s| s.id().to_string());
        }
        "subscription" => subscription_id = Some(event.object_id.clone()),
        "invoice" => {
            let i: Invoice = stripe
                .send(&RetrieveInvoice::new(event.object_id.as_str()), None)
                .await?;
            found.customer = i
                .customer
                .as_ref()
                .map(|c| c.id().to_string())
                .or(found.customer);
            subscription_id = i.subscription_id().map(str::to_string);
            found.invoice = Some(i);
        }
        // A customer, a payment method and the rest: the customer's current subscription.
        _ => {}
    }
    // The organisation the customer is already linked to, and its subscription.
    let linked = match &found.customer {
        Some(c) => linked_account(context, c).await?,
        None => None,
    };
    if subscription_id.is_none() {
        subscription_id = linked.as_ref().and_then(|(_, s)| s.clone());
    }
    if let Some(id) = &subscription_id {
        match fetch_subscription(stripe, id).await {
            Ok((s, card)) => {
                found.customer = Some(s.customer.id().to_string());
                found.org = found.org.or_else(|| {
                    s.metadata
                        .get("org_id")
                        .and_then(|o| Uuid::parse_str(o).ok())
                });
                found.card = card;
                found.subscription = Some(s);
            }
            // A subscription Stripe no longer has: nothing more to learn of it.
            Err(StripeError::Missing(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let org = match (&linked, found.org) {
        (Some((linked, _)), Some(named)) if *linked != named => {
            tracing::error!(event = %job.event_id, "a Stripe customer names two organisations; the event is not applied");
            return done(
                context,
                &job.event_id,
                "the customer belongs to another organisation",
            )
            .await;
        }
        (Some((linked, _)), _) => Some(*linked),
        (None, named) => named,
    };
    let Some(org) = org else {
        tracing::warn!(event = %job.event_id, "a Stripe event about no organisation of ours was recorded and not applied");
        return done(context, &job.event_id, "no organisation of ours").await;
    };

    let mut tx = context.begin().await?;
    let applied = sqlx::query_scalar!(
        "select applied_at is not null as \"applied!\" from stripe_events where event_id = $1 for update",
        job.event_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if applied {
        return context.finish(tx).await;
    }
    set_tenant(&mut tx, org).await?;
    let slug = sqlx::query_scalar!(
        "select slug::text as \"slug!\" from organisations where org_id = $1",
        org
    )
    .fetch_optional(&mut *tx)
    .await?;
    let note = match (slug, &found.customer) {
        (None, _) => Some("the organisation no longer exists"),
        (Some(_), None) => Some("no Stripe customer"),
        (Some(slug), Some(customer)) => {
            link(&mut tx, org, customer).await?;
            if let Some(i) = &found.invoice {
                keep_invoice(&mut tx, org, i).await?;
            }
            if let Some(s) = &found.subscription {
                apply_subscription(
                    &mut tx,
                    org,
                    &slug,
                    s,
                    found.card.as_ref(),
                    stripe.config(),
                    applying,
                )
                .await?;
            }
            None
        }
    };
    // An event about a deleted organisation (its subscription's cancellation, say) keeps no
    // trace of the customer it was.
    let gone = note == Some("the organisation no longer exists");
    sqlx::query!(
        "update stripe_events set applied_at = now(), applied_to = $2, note = $3,
                customer_id = case when $4 then null else customer_id end
         where event_id = $1",
        job.event_id,
        note.is_none().then_some(org),
        note,
        gone
    )
    .execute(&mut *tx)
    .await?;
    context.finish(tx).await
}

/// Marks an event that changes nothing as applied, saying why.
async fn done(context: &JobContext, event: &str, note: &str) -> Result<(), JobError> {
    let mut tx = context.begin().await?;
    sqlx::query!(
        "update stripe_events set applied_at = now(), note = $2 where event_id = $1 and applied_at is null",
        event,
        note
    )
    .execute(&mut *tx)
    .await?;
    context.finish(tx).await
}

/// The organisation a customer is linked to, and its subscription.
async fn linked_account(
    context: &JobContext,
    customer: &str,
) -> Result<Option<(Uuid, Option<String>)>, JobError> {
    let mut tx = context.begin().await?;
    let org = sqlx::query_scalar!("select app_billing_organisation($1)", customer)
        .fetch_one(&mut *tx)
        .await?;
    let Some(org) = org else {
        return Ok(None);
    };
    set_tenant(&mut tx, org).await?;
    let subscription = sqlx::query_scalar!(
        "select subscription_id from billing_accounts where org_id = $1",
        org
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    tx.rollback().await?;
    Ok(Some((org, subscription)))
}

/// The subscription with its card: the subscription's own default, else the customer's.
async fn fetch_subscription(
    stripe: &Stripe,
    id: &str,
) -> Result<(Subscription, Option<Card>), StripeError> {
    let s: Subscription = stripe
        .send(
            &RetrieveSubscription::new(id).expand(vec!["default_payment_method".to_string()]),
            None,
        )
        .await?;
    let mut card = s
        .default_payment_method
        .as_ref()
        .and_then(Expandable::object)
        .and_then(|pm| pm.card.clone());
    if card.is_none() {
        let c: Customer = stripe
            .send(
                &RetrieveCustomer::new(s.customer.id())
                    .expand(vec!["invoice_settings.default_payment_method".to_string()]),
                None,
            )
            .await?;
        card = c
            .invoice_settings
            .and_then(|i| i.default_payment_method)
            .and_then(|pm| pm.object().and_then(|pm| pm.card.clone()));
    }
    Ok((s, card))
}

/// Links the customer to the organisation (once: a customer is one organisation's).
async fn link(conn: &mut PgConnection, org: Uuid, customer: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "insert into billing_accounts (org_id, customer_id) values ($1, $2)
         on conflict (org_id) do nothing",
        org,
        customer
    )
    .execute(conn)
    .await?;
    Ok(())
}

fn at(secs: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

async fn keep_invoice(conn: &mut PgConnection, org: Uuid, i: &Invoice) -> Result<(), sqlx::Error> {
    let status = i.status.as_deref().unwrap_or("draft");
    if !["draft", "open", "paid", "uncollectible", "void"].contains(&status) {
        tracing::warn!(invoice = %i.id, status, "an invoice in a status we do not know was not kept");
        return Ok(());
    }
    let url = i
        .hosted_invoice_url
        .as_deref()
        .filter(|u| (u.starts_with("https://") || u.starts_with("http://")) && u.len() <= 2000);
    let clamp = |n: i64| n.clamp(0, i64::from(i32::MAX)) as i32;
    sqlx::query!(
        "insert into billing_invoices (org_id, invoice_id, number, status, amount_due, amount_paid, currency, hosted_invoice_url, created)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         on conflict (org_id, invoice_id) do update
         set number = excluded.number, status = excluded.status, amount_due = excluded.amount_due,
             amount_paid = excluded.amount_paid, hosted_invoice_url = excluded.hosted_invoice_url",
        org,
        i.id,
        i.number.as_deref().map(|n| n.chars().take(60).collect::<String>()),
        status,
        clamp(i.amount_due),
        clamp(i.amount_paid),
        i.currency.to_ascii_lowercase(),
        url,
        at(i.created).unwrap_or_else(OffsetDateTime::now_utc)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the subscription's state into the organisation, and records what changed.
async fn apply_subscription(
    conn: &mut PgConnection,
    org: Uuid,
    slug: &str,
    s: &Subscription,
    card: Option<&Card>,
    prices: &StripeConfig,
    applying: &Applying,
) -> Result<(), JobError> {
    let Some(status) = BillingStatus::parse(&s.status) else {
        return Err(JobError::fatal(format!(
            "a subscription status we do not know: {}",
            s.status
        )));
    };
    let old = sqlx::query!(
        "select o.plan, o.billing_status, o.grace_ends_at, a.subscription_id
         from organisations o left join billing_accounts a on a.org_id = o.org_id
         where o.org_id = $1 for update of o",
        org
    )
    .fetch_one(&mut *conn)
    .await?;
    let before = Billing::from_stored(&old.plan, &old.billing_status, None);
    // An older subscription ending changes nothing while a newer one pays.
    if old
        .subscription_id
        .as_deref()
        .is_some_and(|current| current != s.id)
        && !status.pays()
        && before.status.pays()
    {
        return Ok(());
    }
    let price = s.price();
    let paid_plan = price.and_then(|p| prices.plan_of(p));
    let plan_now = match status {
        BillingStatus::Canceled | BillingStatus::IncompleteExpired => PlanId::Free,
        BillingStatus::Incomplete | BillingStatus::None => before.plan,
        _ => paid_plan.unwrap_or_else(|| {
            tracing::error!(price = ?price, "a subscription to a price that is no plan of ours; the plan is unchanged");
            before.plan
        }),
    };
    let now = OffsetDateTime::now_utc();
    let grace_ends = match (status.owes(), before.status.owes(), old.grace_ends_at) {
        (true, true, Some(end)) => Some(end),
        (true, _, _) => Some(now + time::Duration::days(i64::from(applying.grace_days))),
        (false, _, _) => None,
    };
    sqlx::query!(
        "update organisations set plan = $2, billing_status = $3, grace_ends_at = $4 where org_id = $1",
        org,
        plan_now.as_str(),
        status.as_str(),
        grace_ends
    )
    .execute(&mut *conn)
    .await?;
    let card = card.filter(|c| {
        c.last4.len() == 4
            && c.last4.bytes().all(|b| b.is_ascii_digit())
            && (1..=12).contains(&c.exp_month)
            && (2000..=2200).contains(&c.exp_year)
            && (1..=20).contains(&c.brand.len())
            && c.brand.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    });
    sqlx::query!(
        "update billing_accounts
         set subscription_id = $2, price_id = $3, current_period_end = $4, cancel_at_period_end = $5,
             card_brand = coalesce($6, card_brand), card_last4 = coalesce($7, card_last4),
             card_exp_month = coalesce($8, card_exp_month), card_exp_year = coalesce($9, card_exp_year),
             synced_at = now()
         where org_id = $1",
        org,
        s.id,
        price.filter(|p| p.starts_with("price_")),
        s.period_end().and_then(at),
        s.cancel_at_period_end,
        card.map(|c| c.brand.clone()),
        card.map(|c| c.last4.clone()),
        card.map(|c| c.exp_month as i16),
        card.map(|c| c.exp_year as i16)
    )
    .execute(&mut *conn)
    .await?;

    let meta = RequestMeta::default();
    let name = |p: PlanId| plan(p).name;
    if before.plan != plan_now {
        record_org_event(
            conn,
            org,
            None,
            AuditAction::PlanChanged,
            Some(name(plan_now)),
            &format!(
                "The plan changed from {} to {}",
                name(before.plan),
                name(plan_now)
            ),
            &meta,
        )
        .await
        .map_err(not_recorded)?;
    }
    if status.owes() && !before.status.owes() {
        let until = grace_ends.map(long_date).unwrap_or_default();
        let summary = format!(
            "A payment failed. The {} plan's limits hold until {until}; then Free limits apply to new things",
            name(plan_now)
        );
        record_org_event(
            conn,
            org,
            None,
            AuditAction::PaymentFailed,
            None,
            &summary,
            &meta,
        )
        .await
        .map_err(not_recorded)?;
        tell_owners(conn, org, slug, name(plan_now), &until, applying).await?;
    } else if before.status.owes() && !status.owes() && status.pays() {
        record_org_event(
            conn,
            org,
            None,
            AuditAction::PaymentRecovered,
            None,
            "The payment owed was made",
            &meta,
        )
        .await
        .map_err(not_recorded)?;
    }
    Ok(())
}

fn not_recorded(e: app::error::AppError) -> JobError {
    JobError::retry(format!("recording in the audit log: {e:?}"))
}

/// Emails each Owner that a payment failed, with a link to the billing page.
async fn tell_owners(
    conn: &mut PgConnection,
    org: Uuid,
    slug: &str,
    plan_name: &str,
    until: &str,
    applying: &Applying,
) -> Result<(), JobError> {
    let owners = sqlx::query!(
        r#"select u.email::text as "email!", u.name, o.name as org_name
           from memberships m join users u on u.user_id = m.user_id join organisations o on o.org_id = m.org_id
           where m.org_id = $1 and m.role = 'owner'"#,
        org
    )
    .fetch_all(&mut *conn)
    .await?;
    for owner in owners {
        let line = format!(
            "A payment for {}'s {plan_name} plan failed. Stripe will try again; you can update the card now.",
            owner.org_name
        );
        let grace = format!(
            "Nothing is removed. The {plan_name} plan's limits hold until {until}; after that, Free limits apply to new members, businesses and requests."
        );
        enqueue_email(
            &mut *conn,
            action_email(
                EmailKind::PaymentFailed,
                &owner.email,
                &format!("A payment for {} failed", owner.org_name),
                &owner.name,
                &[&line, &grace],
                "Update the card",
                &format!(
                    "{}/o/{slug}/billing",
                    applying.public_url.trim_end_matches('/')
                ),
            )
            .for_org(org),
        )
        .await
        .map_err(|e| JobError::retry(format!("queuing the email: {e}")))?;
    }
    Ok(())
}
