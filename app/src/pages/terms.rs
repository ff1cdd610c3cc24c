//! `/terms`: the terms of service, read from the server ([`terms_of_service`]).

use leptos::prelude::*;

use crate::{
    auth::client::CsrfClient,
    components::page_meta::PageMeta,
    error::AppError,
    pages::prose::{Part, Parts},
};

#[server(endpoint = "site/terms", client = CsrfClient)]
pub async fn terms_of_service() -> Result<Vec<Part>, AppError> {
    use crate::pages::prose::Layout;

    crate::access::public()?;
    let part = |heading, text| Part::new(heading, Layout::Paragraphs, &[text]);
    Ok(vec![
        part(
            "",
            "These terms apply when you or your organisation use Ops Intel. By creating an \
             account you agree to them.",
        ),
        part(
            "Accounts",
            "Keep your password to yourself and tell us at once if you believe your account has \
             been misused. Each organisation has exactly one Owner, who is responsible for its \
             members and its plan.",
        ),
        part(
            "Acceptable use",
            "Do not use Ops Intel to break the law, to send unsolicited email, to probe or \
             disrupt the service or other customers' data, or to store data you have no right to \
             hold.",
        ),
        part(
            "Plans and payment",
            "Paid plans are billed monthly in advance through Stripe. You may change plan or \
             cancel at any time; a cancellation takes effect at the end of the period already \
             paid.",
        ),
        part(
            "Your data",
            "Your organisation's data remains yours. Its Owner can export all of it at any time, \
             and it is deleted when the organisation is deleted.",
        ),
        part(
            "Availability and liability",
            "We work to keep the service available and your data safe, but we provide the \
             service as it is. Our liability is limited to the fees you paid in the twelve \
             months before a claim, except where the law does not allow such a limit.",
        ),
        part(
            "Governing law",
            "These terms are governed by the law of England and Wales.",
        ),
    ])
}

#[component]
pub fn TermsPage() -> impl IntoView {
    view! {
        <PageMeta
            title="Terms of service"
            description="The terms on which Ops Intel provides its operations workspace: accounts, \
                         acceptable use, plans and payment, your data, and ending the service."
            path="/terms"
        />
        <article class="container prose">
            <h1>"Terms of service"</h1>
            <Parts load=terms_of_service/>
        </article>
    }
}
