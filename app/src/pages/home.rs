use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::page_meta::PageMeta;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <PageMeta
            title="Ops Intel — the operations workspace for multi-site businesses"
            description="Ops Intel gives café groups, clinics, trades and retail chains one place \
                         for their sites, suppliers and competitors, the issues open against them, \
                         and the customer messages waiting for an answer."
            path="/"
        />
        <section class="hero">
            <div class="container">
                <p class="eyebrow">"For multi-site businesses in the UK"</p>
                <h1>"Every site, every issue, every customer message. One place."</h1>
                <p class="lede">
                    "Ops Intel is the operations workspace for small and mid-size multi-site \
                     businesses: café and restaurant groups, clinics, trades and retail chains. \
                     Your team sees the state of its operations at a glance and knows what to do next."
                </p>
                <p class="actions">
                    <A href="/pricing" attr:class="button primary">"See plans and pricing"</A>
                    <A href="/security" attr:class="button">"How we protect your data"</A>
                </p>
            </div>
        </section>
        <section class="container features" aria-labelledby="features-heading">
            <h2 id="features-heading">"What Ops Intel does"</h2>
            <ul class="feature-grid">
                <li class="card">
                    <h3>"A register of the places that matter"</h3>
                    <p>"Your own sites and the customers, suppliers, competitors and partners you deal \
                        with, filled in from Google Maps: address, opening hours, ratings."</p>
                </li>
                <li class="card">
                    <h3>"Issues that get resolved"</h3>
                    <p>"Incidents, maintenance, complaints and tasks with owners, priorities and due \
                        dates, on a board or a list, with a timeline of every change."</p>
                </li>
                <li class="card">
                    <h3>"An inbox for customer messages"</h3>
                    <p>"Enquiries, feedback and complaints arrive by email, threaded by sender and \
                        linked to the right site. An assistant suggests a category, urgency and a draft \
                        reply; a person always decides what is sent."</p>
                </li>
                <li class="card">
                    <h3>"The morning picture"</h3>
                    <p>"Open issues by priority and by site, overdue work, time to resolve, messages \
                        awaiting a reply, and your ratings against nearby competitors."</p>
                </li>
            </ul>
        </section>
        <section class="container who" aria-labelledby="who-heading">
            <h2 id="who-heading">"Who it is for"</h2>
            <p>"Owners, operations managers and site leads of businesses with two to fifty sites, \
                who have outgrown spreadsheets and group chats but do not want an enterprise system. \
                Four roles — Owner, Admin, Manager and Viewer — let everyone see what they need and \
                change only what they should."</p>
        </section>
    }
}
