use leptos::prelude::*;

use crate::components::page_meta::PageMeta;
use crate::site::{describe_days, use_site};

#[component]
pub fn PrivacyPage() -> impl IntoView {
    let site = use_site();
    let contact = site.security_contact;
    let kept = site.retention;
    view! {
        <PageMeta
            title="Privacy notice"
            description="What personal data Ops Intel processes, why, with whom it is shared, how \
                         long it is kept and how to exercise your rights under UK GDPR."
            path="/privacy"
        />
        <article class="container prose">
            <h1>"Privacy notice"</h1>
            <p>"This notice explains what personal data Ops Intel processes and why. For the data \
                your organisation keeps in its workspace, your organisation is the controller and we \
                are its processor. For your account itself, we are the controller."</p>
            <h2>"What we process"</h2>
            <ul>
                <li>"Account data: your name, email address and a one-way hash of your password."</li>
                <li>"Workspace data your organisation enters: businesses, issues, comments and \
                     customer messages, which may include customers' names and email addresses."</li>
                <li>"Security data: sign-in events, the IP address and device of each session, and \
                     an audit log of changes, kept to protect your account and your organisation."</li>
                <li>"Billing data: your plan and subscription status, and your card's brand, last \
                     four digits and expiry. Card numbers are entered on Stripe and never reach us."</li>
            </ul>
            <h2>"Why"</h2>
            <p>"To provide the service you or your organisation signed up for (contract), to keep it \
                secure (legitimate interests), and to meet our legal obligations."</p>
            <h2>"Who else processes it"</h2>
            <p>"Stripe (payments), SendGrid (email), Anthropic (the optional AI assistant) and Google \
                Maps (business details). Each acts on our instructions under a data processing \
                agreement. Details are on our "<a href="/security">"Security page"</a>"."</p>
            <h2>"How long"</h2>
            <p>"Workspace data is kept while your organisation's account is open and deleted when the \
                organisation is deleted. Your account data is deleted when you delete your account. \
                Some records are deleted sooner, automatically each day, once they reach these ages:"</p>
            <ul data-testid="retention">
                <li>{format!("Customer conversations in the inbox, with their attachments: {} after \
                    the last message.", describe_days(kept.inbox_days))}</li>
                <li>{format!("Audit log entries (the organisation's and your account's): {}.",
                    describe_days(kept.audit_days))}</li>
                <li>{format!("The record of each AI request: {}.", describe_days(kept.ai_days))}</li>
            </ul>
            <h2>"Your rights"</h2>
            <p>"Your account page gives you a copy of your data (a ZIP of JSON files) whenever \
                you ask, and deletes your account. You may also ask for access to, correction of, \
                or deletion of your personal data, object to its processing, or ask for a copy to \
                take elsewhere. Write to "
                <a href=format!("mailto:{contact}")>{contact.clone()}</a>
                ". You may also complain to the Information Commissioner's Office (ico.org.uk)."</p>
        </article>
    }
}
