//! The vulnerability disclosure policy that `security.txt` names: how to report, and what we do
//! and by when, as the Security page promises. The policy's text stays on the server
//! ([`disclosure_policy`], shown by [`crate::pages::prose::Parts`]).

use leptos::prelude::*;

use crate::{
    auth::client::CsrfClient,
    components::page_meta::PageMeta,
    error::AppError,
    pages::prose::{Part, Parts},
    site::use_site,
};

/// The policy after "How to report".
#[server(endpoint = "site/disclosure_policy", client = CsrfClient)]
pub async fn disclosure_policy() -> Result<Vec<Part>, AppError> {
    use crate::pages::prose::Layout;

    crate::access::public()?;
    let part = Part::new;
    Ok(vec![
        part(
            "What we do",
            Layout::Steps,
            &[
                "We acknowledge your report within 3 business days, with a person to talk to.",
                "We confirm whether it is a vulnerability and tell you how serious we judge it.",
                "We aim to fix a confirmed vulnerability within 30 days, and tell you when it is \
                 fixed. If it needs longer, we say why and when.",
                "If the vulnerability exposed personal data, we follow our breach procedure: the \
                 people affected and the Information Commissioner's Office are told as UK GDPR \
                 requires.",
                "With your agreement, we credit you when the fix is announced.",
            ],
        ),
        part(
            "What we ask of you",
            Layout::Points,
            &[
                "Test only against your own account and organisation; never read, change or \
                 delete data that is not yours.",
                "No denial of service, spam, social engineering of our staff or customers, or \
                 physical attacks.",
                "Give us the time above to fix the issue before you publish it, and agree the \
                 date with us.",
            ],
        ),
        part(
            "Safe harbour",
            Layout::Paragraphs,
            &[
                "Research done in good faith and within this policy is authorised: we will not \
               take legal action against you for it, and if someone else does, we will say that \
               you acted within this policy.",
            ],
        ),
    ])
}

#[component]
pub fn DisclosurePage() -> impl IntoView {
    let contact = use_site().security_contact;
    view! {
        <PageMeta
            title="Vulnerability disclosure policy"
            description="How to report a security vulnerability in Ops Intel, what to include, and \
                         what we do: acknowledgement within 3 business days and a fix for a \
                         confirmed issue aimed for within 30 days."
            path="/security/disclosure"
        />
        <article class="container prose">
            <h1>"Vulnerability disclosure policy"</h1>
            <p class="lede">"If you have found a weakness in Ops Intel, thank you for telling us. \
                This is what we ask of you and what you can expect from us."</p>
            <h2>"How to report"</h2>
            <p>"Email "<a href=format!("mailto:{contact}") data-testid="disclosure-contact">{contact.clone()}</a>
                " with what you found, the steps to reproduce it, and what an attacker could do \
                with it. Do not include other people's personal data."</p>
            <Parts load=disclosure_policy/>
            <p>"Our "<a href="/security">"Security page"</a>" lists the commitments this policy \
                belongs to; our "<a href="/.well-known/security.txt">"security.txt"</a>" gives the \
                same contact for tools."</p>
        </article>
    }
}
