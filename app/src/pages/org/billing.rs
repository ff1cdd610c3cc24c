//! `/o/{slug}/billing`: the plan, how its payments stand, usage against each limit, the card as
//! Stripe describes it, and the invoices (Owners and Admins); for Owners, the way to Stripe's
//! Checkout to subscribe and to its customer portal to change the plan or card, or cancel.
//! Card details are only ever typed into Stripe's pages.

use leptos::prelude::*;

use super::{org, NotAllowed};
use crate::{
    billing::{
        billing_trip, get_billing, BillingView, CardView, InvoiceView, OpenPortal, PlanChoice,
        SessionRef, StartCheckout, Trip, Usage,
    },
    components::{
        address::query,
        forms::{action_error, CsrfField, FormError},
        poll::poll_while,
        problem::LoadProblem,
    },
    error::AppError,
    roles::Permission,
};

/// How many times the page asks again, a second apart, for what Stripe's events changed.
const ASK_AFTER_CHECKOUT: u32 = 60;

#[component]
pub fn BillingPage() -> impl IntoView {
    let ctx = org();
    if !ctx.role.allows(Permission::SeeBilling) {
        return view! { <NotAllowed title="Plan and billing" role=ctx.role permission=Permission::SeeBilling/> }
            .into_any();
    }
    let slug = ctx.slug.clone();
    let back = query("checkout");
    let tick = RwSignal::new(0u32);
    let page = Resource::new(move || tick.get(), move |_| get_billing(slug.clone()));
    // Back from Checkout, Stripe's events may still be on their way: ask again until they land.
    let waiting_for_stripe = back == "done";
    poll_while(tick, move || {
        waiting_for_stripe
            && tick.get() < ASK_AFTER_CHECKOUT
            && matches!(page.get(), Some(Ok(ref p)) if !p.subscribed)
    });
    view! {
        <h1>"Plan and billing"</h1>
        {match back.as_str() {
            "done" => Some(view! {
                <p class="notice" role="status" data-testid="checkout-done">"Thank you. Stripe has taken the payment; the plan changes here as soon as Stripe confirms it."</p>
            }.into_any()),
            "cancelled" => Some(view! {
                <p class="notice" role="status">"Checkout was cancelled: nothing was charged."</p>
            }.into_any()),
            _ => None,
        }}
        <Transition fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! { <Billing p/> }.into_any(),
                    Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn Billing(p: BillingView) -> impl IntoView {
    let status = if p.owes {
        match &p.grace_ends_on {
            Some(day) => format!(
                "A payment failed. The {} plan's limits hold until {day}; update the card to keep them.",
                p.plan
            ),
            None => "A payment failed and the grace period has ended: Free limits apply to new things until it is paid. Nothing has been removed.".to_string(),
        }
    } else {
        p.status.clone()
    };
    view! {
        <section aria-labelledby="plan-heading">
            <h2 id="plan-heading">"Plan"</h2>
            <dl class="facts">
                <dt>"Plan"</dt><dd data-testid="plan">{p.plan.clone()}</dd>
                <dt>"Status"</dt><dd data-testid="billing-status">{status}</dd>
                {(p.in_force != p.plan).then(|| view! {
                    <dt>"Limits now"</dt><dd>{format!("{} plan", p.in_force)}</dd>
                })}
                {p.renews_on.clone().map(|day| view! {
                    <dt>{if p.cancels_at_period_end { "Ends on" } else { "Renews on" }}</dt><dd>{day}</dd>
                })}
                {p.card.clone().map(|c| view! { <dt>"Card"</dt><dd><Card c/></dd> })}
            </dl>
            {(!p.configured).then(|| view! {
                <p class="muted" data-testid="billing-unconfigured">"Billing is not configured on this server: plans cannot be bought here, and every organisation stays on the plan it started on."</p>
            })}
            {(p.configured && p.can_manage).then(|| view! { <Manage choices=p.choices.clone() subscribed=p.subscribed/> })}
            {(p.configured && !p.can_manage).then(|| view! {
                <p class="muted">"Only an Owner can change the plan or the card."</p>
            })}
        </section>
        <section aria-labelledby="usage-heading">
            <h2 id="usage-heading">"Usage"</h2>
            <UsageTable usage=p.usage/>
        </section>
        <section aria-labelledby="invoices-heading">
            <h2 id="invoices-heading">"Invoices"</h2>
            <Invoices invoices=p.invoices/>
        </section>
    }
}

#[component]
fn Card(c: CardView) -> impl IntoView {
    let brand = match c.brand.as_str() {
        "visa" => "Visa".to_string(),
        "mastercard" => "Mastercard".to_string(),
        "amex" => "American Express".to_string(),
        other => other.replace('_', " "),
    };
    view! { <span data-testid="card">{format!("{brand} ending {}, expires {}", c.last4, c.expires)}</span> }
}

#[component]
fn UsageTable(usage: Vec<Usage>) -> impl IntoView {
    view! {
        <table class="table">
            <caption class="visually-hidden">"Usage against the plan's limits"</caption>
            <thead><tr><th scope="col">"What"</th><th scope="col">"Used"</th><th scope="col">"Allowed"</th></tr></thead>
            <tbody>
                {usage.into_iter().map(|u| view! {
                    <tr>
                        <td>{u.what}</td>
                        <td>{format!("{} {}", u.used, u.period)}</td>
                        <td>{u.limit.map(|l| l.to_string()).unwrap_or_else(|| "Unlimited".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Invoices(invoices: Vec<InvoiceView>) -> impl IntoView {
    if invoices.is_empty() {
        return view! { <p class="empty">"No invoices yet."</p> }.into_any();
    }
    view! {
        <table class="table">
            <caption class="visually-hidden">"Invoices, newest first"</caption>
            <thead><tr><th scope="col">"Invoice"</th><th scope="col">"Date"</th><th scope="col">"Amount"</th><th scope="col">"Status"</th></tr></thead>
            <tbody>
                {invoices.into_iter().map(|i| view! {
                    <tr>
                        <td>{match i.url {
                            Some(url) => view! { <a href=url rel="noopener noreferrer" target="_blank">{i.number}</a> }.into_any(),
                            None => view! { <span>{i.number}</span> }.into_any(),
                        }}</td>
                        <td>{i.date}</td>
                        <td>{i.amount}</td>
                        <td>{i.status}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// An Owner's ways to Stripe: Checkout for a plan, or the customer portal.
#[component]
fn Manage(choices: Vec<PlanChoice>, subscribed: bool) -> impl IntoView {
    let slug = org().slug;
    let checkout = ServerAction::<StartCheckout>::new();
    let portal = ServerAction::<OpenPortal>::new();
    let session = Signal::derive(move || {
        let from = |v: Option<Result<String, AppError>>| v.and_then(Result::ok);
        // The latest of the two the Owner clicked.
        match (checkout.version().get(), portal.version().get()) {
            (0, 0) => None,
            _ => from(checkout.value().get()).or_else(|| from(portal.value().get())),
        }
    });
    let checkout_error = action_error(checkout);
    let portal_error = action_error(portal);
    let busy =
        move || checkout.pending().get() || portal.pending().get() || session.get().is_some();
    view! {
        <div class="billing-actions">
            {choices.into_iter().map(|c| {
                let slug = slug.clone();
                view! {
                    <ActionForm action=checkout attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="slug" value=slug/>
                        <input type="hidden" name="form[plan]" value=c.id.clone()/>
                        <button type="submit" class="button primary" disabled=busy data-plan=c.name.clone()>
                            {format!("Upgrade to {} ({})", c.name, c.price)}
                        </button>
                    </ActionForm>
                }
            }).collect_view()}
            {subscribed.then(|| {
                let slug = slug.clone();
                view! {
                    <ActionForm action=portal attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="slug" value=slug/>
                        <button type="submit" class="button" disabled=busy>"Change plan, card or cancel"</button>
                    </ActionForm>
                }
            })}
        </div>
        <p class="muted">"Payments are taken by Stripe on its own pages: your card details never reach Ops Intel."</p>
        <FormError error=checkout_error fields=&[]/>
        <FormError error=portal_error fields=&[]/>
        <ToStripe session/>
    }
}

/// Waits for Stripe's page for `session`, then goes there.
#[component]
fn ToStripe(session: Signal<Option<String>>) -> impl IntoView {
    let slug = org().slug;
    let tick = RwSignal::new(0u32);
    let trip = Resource::new(
        move || (session.get(), tick.get()),
        move |(id, _)| {
            let slug = slug.clone();
            async move {
                match id {
                    Some(session_id) => Some(billing_trip(slug, SessionRef { session_id }).await),
                    None => None,
                }
            }
        },
    );
    poll_while(tick, move || {
        matches!(trip.get(), Some(Some(Ok(Trip::Waiting))))
    });
    Effect::new(move |_| {
        if let Some(Some(Ok(Trip::Go(url)))) = trip.get() {
            let _ = window().location().set_href(&url);
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match trip.await {
                    Some(Ok(Trip::Waiting)) | Some(Ok(Trip::Go(_))) => {
                        view! { <p role="status" aria-busy="true">"Taking you to Stripe…"</p> }.into_any()
                    }
                    Some(Ok(Trip::Failed(why))) => view! { <p class="form-error" role="alert">{why}</p> }.into_any(),
                    Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    None => ().into_any(),
                }
            })}
        </Transition>
    }
}
