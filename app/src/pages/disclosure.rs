//! The vulnerability disclosure policy that `security.txt` names: how to report, and what we do
//! and by when, as the Security page promises.

use leptos::prelude::*;

use crate::components::page_meta::PageMeta;
use crate::site::use_site;

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
                with it. One issue per report helps us fix each quickly. Do not include other \
                people's personal data; if you came across some, tell us what kind, not the data."</p>
            <h2>"What we do"</h2>
            <ol>
                <li>"We acknowledge your report within 3 business days, with a person to talk to."</li>
                <li>"We confirm whether it is a vulnerability and tell you how serious we judge it."</li>
                <li>"We aim to fix a confirmed vulnerability within 30 days, and tell you when it \
                     is fixed. If it needs longer, we say why and when."</li>
                <li>"If the vulnerability exposed personal data, we follow our breach procedure: \
                     the people affected and the Information Commissioner's Office are told as \
                     UK GDPR requires."</li>
                <li>"With your agreement, we credit you when the fix is announced."</li>
            </ol>
            <h2>"What we ask of you"</h2>
            <ul>
                <li>"Test only against your own account and organisation; never read, change or \
                     delete data that is not yours."</li>
                <li>"No denial of service, spam, social engineering of our staff or customers, or \
                     physical attacks."</li>
                <li>"Give us the time above to fix the issue before you publish it, and agree the \
                     date with us."</li>
            </ul>
            <h2>"Safe harbour"</h2>
            <p>"Research done in good faith and within this policy is authorised: we will not take \
                legal action against you for it, and if someone else does, we will say that you \
                acted within this policy."</p>
            <p>"Our "<a href="/security">"Security page"</a>" lists the commitments this policy \
                belongs to; our "<a href="/.well-known/security.txt">"security.txt"</a>" gives the \
                same contact for tools."</p>
        </article>
    }
}
