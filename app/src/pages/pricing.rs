use leptos::prelude::*;

use crate::components::page_meta::PageMeta;
use crate::plans::{format_pounds, Limit, Period, Plan, PLANS};

#[component]
pub fn PricingPage() -> impl IntoView {
    let period = RwSignal::new(Period::Monthly);
    let yearly = move || period.get() == Period::Yearly;
    let toggle = move |_| {
        period.update(|p| {
            *p = match p {
                Period::Monthly => Period::Yearly,
                Period::Yearly => Period::Monthly,
            }
        })
    };

    view! {
        <PageMeta
            title="Pricing"
            description="Ops Intel plans: Free for a single site, Team at £29 a month and Business \
                         at £99 a month. Prices in pounds sterling; cancel at any time."
            path="/pricing"
        />
        <section class="container">
            <h1>"Plans and pricing"</h1>
            <p class="lede">"Start free. Upgrade when your team and your register grow. Prices are in \
                pounds sterling and exclude VAT. Paid plans are billed monthly by card through \
                Stripe, and an Owner upgrades, changes plan or cancels from the organisation's \
                billing page."</p>
            <p class="period-toggle">
                <button
                    type="button"
                    class="button"
                    aria-pressed=move || yearly().to_string()
                    on:click=toggle
                >
                    {move || if yearly() { "Show monthly prices" } else { "Show yearly prices" }}
                </button>
            </p>
            <ul class="plan-grid">
                {PLANS.iter().map(|plan| view! { <PlanCard plan=*plan period/> }).collect_view()}
            </ul>
            <p class="muted">"Members count pending invitations. Limits apply to new things only: \
                a smaller plan, or a payment that fails and stays unpaid past its 14 days' grace, \
                never removes anything."</p>
        </section>
    }
}

#[component]
fn PlanCard(plan: Plan, period: RwSignal<Period>) -> impl IntoView {
    let price = move || format_pounds(plan.price_pence(period.get()));
    let per = move || match period.get() {
        Period::Monthly => "per month",
        Period::Yearly => "per year, billed monthly",
    };
    let members = match plan.members {
        Limit::UpTo(1) => "1 member".to_string(),
        Limit::UpTo(_) => format!("Up to {} members", plan.members),
        Limit::Unlimited => "Unlimited members".to_string(),
    };
    let businesses = match plan.businesses {
        Limit::Unlimited => "Unlimited businesses in the register".to_string(),
        limit => format!("Up to {limit} businesses in the register"),
    };
    let ai = match plan.ai_requests_per_month {
        Limit::UpTo(0) => "No AI assistant".to_string(),
        limit => format!("{limit} AI requests a month"),
    };
    let enrichments = format!("{} Google Maps lookups a month", plan.enrichments_per_month);
    view! {
        <li class="card plan" data-plan=plan.name>
            <h2>{plan.name}</h2>
            <p class="muted">{plan.tagline}</p>
            <p class="price">
                <span class="amount" data-testid="price">{price}</span>
                " "
                <span class="muted">{per}</span>
            </p>
            <ul class="plan-features">
                <li>{members}</li>
                <li>{businesses}</li>
                <li>{ai}</li>
                <li>{enrichments}</li>
            </ul>
        </li>
    }
}
