//! Billing as members see it: the billing page (Owners and Admins: `SeeBilling`) with the plan,
//! its status and renewal, usage against each limit, the card as Stripe describes it (brand, last
//! four digits, expiry) and the invoices; and, for Owners (`ManageBilling`), the way to Stripe's
//! hosted Checkout to subscribe and to its customer portal to change the plan, the card, or
//! cancel. No card detail is ever typed into our pages: Stripe's own pages take it.
//!
//! Making a Checkout or portal session is a call to Stripe, so it is a job (`server/src/billing`):
//! the Owner's click queues it, the page asks until its address is ready, then goes there. What
//! Stripe then does reaches us as signed webhooks, applied by another job.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    crate::{
        access::{self, Member},
        allowance::{Meter, Standing},
        audit::AuditAction,
        jobs::{enqueue, Job, Queue},
        limits::{self, Counted},
        plans::{format_pounds, plan, Limit, PlanId, PLANS},
        roles::Permission,
        work::fields::parse_id,
    },
    time::OffsetDateTime,
    uuid::Uuid,
};

/// Makes a Checkout Session for one of the organisation's `billing_sessions`.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct CheckoutJob {
    pub session_id: Uuid,
}

#[cfg(feature = "ssr")]
impl Job for CheckoutJob {
    const KIND: &'static str = "billing.checkout";
    const MAX_ATTEMPTS: i32 = 5;
}

/// Cancels a deleted organisation's subscription at Stripe, at once and without proration.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CancelSubscription {
    pub subscription_id: String,
}

#[cfg(feature = "ssr")]
impl Job for CancelSubscription {
    const KIND: &'static str = "billing.cancel";
    /// Stripe keeps billing until this succeeds: keep trying for days.
    const MAX_ATTEMPTS: i32 = 20;
}

/// Makes a customer portal session for one of the organisation's `billing_sessions`.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct PortalJob {
    pub session_id: Uuid,
}

#[cfg(feature = "ssr")]
impl Job for PortalJob {
    const KIND: &'static str = "billing.portal";
    const MAX_ATTEMPTS: i32 = 5;
}

/// Applies one Stripe event (`stripe_events`), queued by the webhook.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StripeEventJob {
    pub event_id: String,
}

#[cfg(feature = "ssr")]
impl Job for StripeEventJob {
    const KIND: &'static str = "billing.event";
    const MAX_ATTEMPTS: i32 = 20;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub what: String,
    pub used: u32,
    /// `None`: unlimited.
    pub limit: Option<u32>,
    pub period: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CardView {
    pub brand: String,
    pub last4: String,
    /// "04/2030".
    pub expires: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InvoiceView {
    pub number: String,
    pub date: String,
    /// "£29.00".
    pub amount: String,
    pub status: String,
    pub url: Option<String>,
}

/// A plan an Owner may subscribe to from the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanChoice {
    /// The stored name (`team`, `business`).
    pub id: String,
    pub name: String,
    pub price: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BillingView {
    /// Whether Stripe is configured on this server.
    pub configured: bool,
    /// Whether the viewer may subscribe or manage (an Owner).
    pub can_manage: bool,
    /// The plan paid for (or set), and the plan whose limits apply now.
    pub plan: String,
    pub in_force: String,
    pub status: String,
    /// Whether a payment is owed.
    pub owes: bool,
    pub renews_on: Option<String>,
    pub cancels_at_period_end: bool,
    pub grace_ends_on: Option<String>,
    /// Whether the organisation has a subscription to manage in the customer portal.
    pub subscribed: bool,
    pub card: Option<CardView>,
    pub usage: Vec<Usage>,
    pub invoices: Vec<InvoiceView>,
    /// What an Owner can subscribe to (nothing while subscribed: the portal changes plans).
    pub choices: Vec<PlanChoice>,
}

/// A payment owed, as every page of the organisation says it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentNotice {
    pub plan: String,
    /// The day the plan's limits stop, or `None` once they have.
    pub grace_ends_on: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckoutForm {
    /// `team` or `business`.
    pub plan: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionRef {
    pub session_id: String,
}

/// Where an Owner's trip to Stripe stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Trip {
    /// Stripe is being asked; ask again shortly.
    Waiting,
    /// Go here (once: the address is handed out a single time).
    Go(String),
    /// It could not be made; the words say why.
    Failed(String),
}

/// "14 December 2026", as the billing page, the notice, the audit log and the emails say a day.
#[cfg(feature = "ssr")]
pub fn long_date(t: OffsetDateTime) -> String {
    t.format(time::macros::format_description!(
        "[day padding:none] [month repr:long] [year]"
    ))
    .unwrap_or_default()
}

/// The payment notice for the member's organisation, if a payment is owed.
#[cfg(feature = "ssr")]
pub fn payment_notice(m: &Member) -> Option<PaymentNotice> {
    let b = m.billing;
    if !b.status.owes() {
        return None;
    }
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let grace_ends_on = b
        .grace_ends
        .filter(|end| *end > now)
        .and_then(|end| OffsetDateTime::from_unix_timestamp(end).ok())
        .map(long_date);
    Some(PaymentNotice {
        plan: plan(b.plan).name.into(),
        grace_ends_on,
    })
}

#[cfg(feature = "ssr")]
fn cap(limit: Limit) -> Option<u32> {
    match limit {
        Limit::UpTo(n) => Some(n),
        Limit::Unlimited => None,
    }
}

#[server(endpoint = "billing/page", client = CsrfClient)]
pub async fn get_billing(slug: String) -> Result<BillingView, AppError> {
    let mut m = access::member(&slug, Permission::SeeBilling).await?;
    let in_force = limits::in_force(&m);
    let account = sqlx::query!(
        "select subscription_id, current_period_end, cancel_at_period_end,
                card_brand, card_last4, card_exp_month, card_exp_year
         from billing_accounts where org_id = $1",
        m.org_id
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    let members = limits::count(&mut m, Counted::Members).await?;
    let businesses = limits::count(&mut m, Counted::Businesses).await?;
    let ai: Standing = limits::standing(&mut m, Meter::Ai).await?;
    let enrichment: Standing = limits::standing(&mut m, Meter::Enrichment).await?;
    let invoices = sqlx::query!(
        "select number, status, amount_due, amount_paid, currency, hosted_invoice_url, created
         from billing_invoices where org_id = $1 order by created desc, invoice_id limit 24",
        m.org_id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let b = m.billing;
    let subscribed = b.status.pays()
        && account
            .as_ref()
            .is_some_and(|a| a.subscription_id.is_some());
    let configured = m.svc.billing.stripe;
    let can_manage = m.role.allows(Permission::ManageBilling);
    let usage = vec![
        Usage {
            what: "Members (pending invitations included)".into(),
            used: members,
            limit: cap(in_force.members),
            period: "now".into(),
        },
        Usage {
            what: "Businesses (archived ones not counted)".into(),
            used: businesses,
            limit: cap(in_force.businesses),
            period: "now".into(),
        },
        Usage {
            what: "AI requests".into(),
            used: ai.used,
            limit: ai.allowance,
            period: "this month".into(),
        },
        Usage {
            what: "Google Maps enrichments".into(),
            used: enrichment.used,
            limit: enrichment.allowance,
            period: "this month".into(),
        },
    ];
    let card = account.as_ref().and_then(|a| {
        Some(CardView {
            brand: a.card_brand.clone()?,
            last4: a.card_last4.clone()?,
            expires: format!("{:02}/{}", a.card_exp_month?, a.card_exp_year?),
        })
    });
    let choices = if subscribed || !configured {
        Vec::new()
    } else {
        // Only upwards: an organisation put on a plan without paying keeps it until it does.
        let current = plan(m.billing.plan).monthly_pence;
        PLANS
            .iter()
            .filter(|p| p.id != PlanId::Free && p.monthly_pence > current)
            .map(|p| PlanChoice {
                id: p.id.as_str().into(),
                name: p.name.into(),
                price: format!("{} a month", format_pounds(p.monthly_pence)),
            })
            .collect()
    };
    let notice = payment_notice(&m);
    Ok(BillingView {
        configured,
        can_manage,
        plan: plan(b.plan).name.into(),
        in_force: in_force.name.into(),
        status: b.status.label().into(),
        owes: notice.is_some(),
        renews_on: account
            .as_ref()
            .and_then(|a| a.current_period_end)
            .filter(|_| subscribed)
            .map(long_date),
        cancels_at_period_end: account.as_ref().is_some_and(|a| a.cancel_at_period_end),
        grace_ends_on: notice.and_then(|n| n.grace_ends_on),
        subscribed,
        card,
        usage,
        invoices: invoices
            .into_iter()
            .map(|i| InvoiceView {
                number: i.number.unwrap_or_else(|| "Draft".into()),
                date: long_date(i.created),
                amount: money(
                    if i.status == "paid" {
                        i.amount_paid
                    } else {
                        i.amount_due
                    },
                    &i.currency,
                ),
                status: i.status,
                url: i.hosted_invoice_url,
            })
            .collect(),
        choices,
    })
}

/// An amount in the currency's minor unit: "£29.00", "99.00 EUR".
pub fn money(minor: i32, currency: &str) -> String {
    let (units, cents) = (minor / 100, (minor % 100).abs());
    match currency {
        "gbp" => format!("£{units}.{cents:02}"),
        other => format!("{units}.{cents:02} {}", other.to_ascii_uppercase()),
    }
}

/// Billing must be configured, and the caller an Owner, for a trip to Stripe.
#[cfg(feature = "ssr")]
fn configured(m: &Member) -> Result<(), AppError> {
    if m.svc.billing.stripe {
        Ok(())
    } else {
        Err(AppError::Refused(
            "Billing is not configured on this server.".into(),
        ))
    }
}

#[cfg(feature = "ssr")]
async fn start_trip(m: &mut Member, plan: Option<PlanId>) -> Result<String, AppError> {
    let session_id = sqlx::query_scalar!(
        "insert into billing_sessions (org_id, user_id, kind, plan) values ($1, $2, $3, $4)
         returning session_id",
        m.org_id,
        m.user_id,
        if plan.is_some() { "checkout" } else { "portal" },
        plan.map(PlanId::as_str)
    )
    .fetch_one(&mut *m.tx)
    .await?;
    let queue = Queue::for_org(m.org_id);
    match plan {
        Some(_) => enqueue(&mut m.tx, &CheckoutJob { session_id }, queue).await?,
        None => enqueue(&mut m.tx, &PortalJob { session_id }, queue).await?,
    };
    Ok(session_id.to_string())
}

/// Starts an Owner's subscription through Stripe's Checkout: the session's id, for
/// [`billing_trip`].
#[server(endpoint = "billing/checkout", client = CsrfClient)]
pub async fn start_checkout(slug: String, form: CheckoutForm) -> Result<String, AppError> {
    let mut m = access::member(&slug, Permission::ManageBilling).await?;
    configured(&m)?;
    let chosen = PlanId::parse(form.plan.trim())
        .filter(|p| *p != PlanId::Free)
        .ok_or_else(|| AppError::invalid("plan", "Choose the Team or Business plan."))?;
    if m.billing.status.pays() {
        return Err(AppError::Refused(
            "The organisation has a subscription: change its plan in Stripe's customer portal."
                .into(),
        ));
    }
    let id = start_trip(&mut m, Some(chosen)).await?;
    m.audit(
        AuditAction::BillingOpened,
        Some(plan(chosen).name),
        &format!(
            "Went to Stripe's Checkout for the {} plan",
            plan(chosen).name
        ),
    )
    .await?;
    m.commit().await?;
    Ok(id)
}

/// Opens Stripe's customer portal for an Owner: the session's id, for [`billing_trip`].
#[server(endpoint = "billing/portal", client = CsrfClient)]
pub async fn open_portal(slug: String) -> Result<String, AppError> {
    let mut m = access::member(&slug, Permission::ManageBilling).await?;
    configured(&m)?;
    let customer = sqlx::query_scalar!(
        "select customer_id from billing_accounts where org_id = $1",
        m.org_id
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    if customer.is_none() {
        return Err(AppError::Refused(
            "The organisation has never subscribed: choose a plan first.".into(),
        ));
    }
    let id = start_trip(&mut m, None).await?;
    m.audit(
        AuditAction::BillingOpened,
        None,
        "Went to Stripe's customer portal",
    )
    .await?;
    m.commit().await?;
    Ok(id)
}

/// Where the caller's trip to Stripe stands; its address is handed out once.
#[server(endpoint = "billing/trip", client = CsrfClient)]
pub async fn billing_trip(slug: String, form: SessionRef) -> Result<Trip, AppError> {
    let mut m = access::member(&slug, Permission::ManageBilling).await?;
    let id = parse_id(&form.session_id)?;
    let s = sqlx::query!(
        "select state, url, note from billing_sessions
         where org_id = $1 and session_id = $2 and user_id = $3 for update",
        m.org_id,
        id,
        m.user_id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let trip = match (s.state.as_str(), s.url) {
        ("ready", Some(url)) => {
            sqlx::query!(
                "update billing_sessions set state = 'used', url = null where org_id = $1 and session_id = $2",
                m.org_id,
                id
            )
            .execute(&mut *m.tx)
            .await?;
            Trip::Go(url)
        }
        ("pending", _) => Trip::Waiting,
        ("failed", _) => Trip::Failed(
            s.note
                .unwrap_or_else(|| "Stripe could not be reached. Try again later.".into()),
        ),
        _ => Trip::Failed("This link to Stripe was used already. Start again.".into()),
    };
    m.commit().await?;
    Ok(trip)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_shown_in_their_currency() {
        assert_eq!(money(2900, "gbp"), "£29.00");
        assert_eq!(money(9950, "eur"), "99.50 EUR");
        assert_eq!(money(5, "gbp"), "£0.05");
    }
}
