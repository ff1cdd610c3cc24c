//! The frame of every page under `/o/{slug}/`, and `/o/{slug}` itself.

use leptos::prelude::*;
use leptos_router::{
    components::{Outlet, Redirect, A},
    hooks::use_location,
};

use super::{
    bell::Bell,
    search_box::{SearchBox, Shortcuts},
    slug_param,
};
use crate::{
    components::{private_meta::PrivateMeta, problem::LoadProblem},
    org::{
        functions::{current_org, list_organisations},
        OrgContext, OrgSummary,
    },
    roles::Permission,
};

/// The frame of every organisation page. It resolves the organisation (redirecting an old slug
/// to the current one) and provides [`OrgContext`] to the page inside.
#[component]
pub fn OrgShell() -> impl IntoView {
    // The frame stays while the person moves between the organisation's pages: only a change
    // of slug (another organisation, or this one renamed) resolves it again. The route's other
    // parameters (an issue's number) are not the frame's to follow.
    let slug = Memo::new(|_| slug_param());
    let ctx = Resource::new(move || slug.get(), current_org);
    let orgs = Resource::new(|| (), |_| list_organisations());
    view! {
        <PrivateMeta title="Organisation"/>
        <section class="container">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match ctx.await {
                        Ok(ctx) if ctx.slug != slug.get_untracked() => {
                            let path = use_location().pathname.get_untracked();
                            let rest = path.splitn(4, '/').nth(3).unwrap_or("members").to_string();
                            view! { <Redirect path=format!("/o/{}/{rest}", ctx.slug)/> }.into_any()
                        }
                        Ok(ctx) => {
                            provide_context(ctx.clone());
                            let others = orgs.await.unwrap_or_default();
                            view! {
                                <header class="org-header">
                                    <Switcher ctx=ctx.clone() others/>
                                    <Tools slug=ctx.slug.clone()/>
                                    <Tabs ctx=ctx.clone()/>
                                </header>
                                <PaymentBanner ctx/>
                                <Outlet/>
                            }.into_any()
                        }
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The organisation's name and the viewer's role, opening onto their other organisations.
#[component]
fn Switcher(ctx: OrgContext, others: Vec<OrgSummary>) -> impl IntoView {
    view! {
        <details class="switcher">
            <summary><strong>{ctx.name}</strong> " " <span class="badge">{ctx.role.label()}</span></summary>
            <nav aria-label="Organisations">
                <ul>
                    {others.into_iter().map(|o| view! {
                        <li><a href=format!("/o/{}/members", o.slug)>{o.name}</a></li>
                    }).collect_view()}
                    <li><A href="/o">"All organisations"</A></li>
                </ul>
            </nav>
        </details>
    }
}

/// The header's tools: the search box, the bell and the keyboard shortcuts. They are the
/// browser's alone (they search and load as you type and look), so they are drawn once the page
/// has hydrated, never on the server.
#[component]
fn Tools(slug: String) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let slug = StoredValue::new(slug);
    move || {
        hydrated.get().then(|| {
            view! {
                <div class="org-tools">
                    <SearchBox slug=slug.get_value()/>
                    <Bell slug=slug.get_value()/>
                    <Shortcuts/>
                </div>
            }
        })
    }
}

/// The organisation's pages, leaving out those the viewer's role does not allow.
#[component]
fn Tabs(ctx: OrgContext) -> impl IntoView {
    view! {
        <nav aria-label="Organisation" class="tabs">
            <A href=format!("/o/{}/dashboard", ctx.slug)>"Dashboard"</A>
            <A href=format!("/o/{}/issues", ctx.slug)>"Issues"</A>
            <A href=format!("/o/{}/board", ctx.slug)>"Board"</A>
            <A href=format!("/o/{}/inbox", ctx.slug)>"Inbox"</A>
            <A href=format!("/o/{}/businesses", ctx.slug)>"Businesses"</A>
            <A href=format!("/o/{}/members", ctx.slug)>"Members"</A>
            {ctx.role.allows(Permission::Settings).then(|| view! {
                <A href=format!("/o/{}/settings", ctx.slug)>"Settings"</A>
            })}
            {ctx.role.allows(Permission::AuditExport).then(|| view! {
                <A href=format!("/o/{}/audit", ctx.slug)>"Audit log"</A>
            })}
            {ctx.role.allows(Permission::SeeBilling).then(|| view! {
                <A href=format!("/o/{}/billing", ctx.slug)>"Billing"</A>
            })}
        </nav>
    }
}

/// A payment owed, on every page of the organisation: what happens when, and where to act.
#[component]
fn PaymentBanner(ctx: OrgContext) -> impl IntoView {
    ctx.payment.map(|p| {
        let text = match p.grace_ends_on {
            Some(day) => format!(
                "A payment for the {} plan failed. Its limits hold until {day}; after that, Free limits apply to new members, businesses and requests. Nothing is removed.",
                p.plan
            ),
            None => format!(
                "A payment for the {} plan failed and the grace period has ended: Free limits apply to new members, businesses and requests. Nothing has been removed.",
                p.plan
            ),
        };
        let manage = ctx.role.allows(Permission::SeeBilling);
        view! {
            <div class="notice warning" role="alert" data-testid="payment-banner">
                <p>{text}</p>
                {if manage {
                    view! { <p><A href=format!("/o/{}/billing", ctx.slug)>"Update the card"</A></p> }.into_any()
                } else {
                    view! { <p>"An Owner can update the card."</p> }.into_any()
                }}
            </div>
        }
    })
}

/// `/o/{slug}` itself: the issues, the page people open every morning.
#[component]
pub fn OrgHome() -> impl IntoView {
    view! { <Redirect path=format!("/o/{}/issues", slug_param())/> }
}
