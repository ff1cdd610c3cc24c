//! `/privacy`: the privacy notice, read from the server ([`privacy_notice`]) with the retention
//! periods this deployment is configured to keep.

use leptos::prelude::*;

use crate::{
    auth::client::CsrfClient,
    components::page_meta::PageMeta,
    error::AppError,
    pages::prose::{Part, Parts},
    site::use_site,
};

#[server(endpoint = "site/privacy", client = CsrfClient)]
pub async fn privacy_notice() -> Result<Vec<Part>, AppError> {
    use crate::pages::prose::Layout::{Paragraphs, Points};
    use crate::site::describe_days;

    crate::access::public()?;
    let kept = use_site().retention;
    Ok(vec![
        Part::new(
            "",
            Paragraphs,
            &["This notice explains what personal data Ops Intel processes and why. For the \
               data your organisation keeps in its workspace, your organisation is the controller \
               and we are its processor. For your account itself, we are the controller."],
        ),
        Part::new(
            "What we process",
            Points,
            &[
                "Account data: your name, email address and a one-way hash of your password.",
                "Workspace data your organisation enters: businesses, issues, comments and \
                 customer messages, which may include customers' names and email addresses.",
                "Security data: sign-in events, the IP address and device of each session, and an \
                 audit log of changes, kept to protect your account and your organisation.",
                "Billing data: your plan and subscription status, and your card's brand, last \
                 four digits and expiry. Card numbers are entered on Stripe and never reach us.",
            ],
        ),
        Part::new(
            "Why",
            Paragraphs,
            &["To provide the service you or your organisation signed up for (contract), to keep \
               it secure (legitimate interests), and to meet our legal obligations."],
        ),
        Part::new(
            "Who else processes it",
            Paragraphs,
            &["Stripe (payments), SendGrid (email), Anthropic (the optional AI assistant) and \
               Google Maps (business details). Each acts on our instructions under a data \
               processing agreement, as our Security page describes."],
        ),
        Part::new(
            "How long",
            Paragraphs,
            &["Workspace data is kept while your organisation's account is open and deleted when \
               the organisation is deleted. Your account data is deleted when you delete your \
               account. Some records are deleted sooner, automatically each day, once they reach \
               these ages:"],
        ),
        Part::owned(
            "",
            Points,
            vec![
                format!(
                    "Customer conversations in the inbox, with their attachments: {} after the \
                     last message.",
                    describe_days(kept.inbox_days)
                ),
                format!(
                    "Audit log entries (the organisation's and your account's): {}.",
                    describe_days(kept.audit_days)
                ),
                format!(
                    "The record of each AI request: {}.",
                    describe_days(kept.ai_days)
                ),
            ],
        )
        .test_id("retention"),
        Part::new(
            "Your rights",
            Paragraphs,
            &["Your account page gives you a copy of your data (a ZIP of JSON files) whenever you \
               ask, and deletes your account; an organisation's Owner and Admins can export all of \
               its data from its settings. When an account or organisation is deleted, we email a receipt \
               of what was deleted and what is kept, and why. You may also ask for access to, \
               correction of, or deletion of your personal data, object to its processing, or ask \
               for a copy to take elsewhere, by writing to the address below. You may also \
               complain to the Information Commissioner's Office (ico.org.uk)."],
        ),
    ])
}

#[component]
pub fn PrivacyPage() -> impl IntoView {
    let contact = use_site().security_contact;
    view! {
        <PageMeta
            title="Privacy notice"
            description="What personal data Ops Intel processes, why, with whom it is shared, how \
                         long it is kept and how to exercise your rights under UK GDPR."
            path="/privacy"
        />
        <article class="container prose">
            <h1>"Privacy notice"</h1>
            <Parts load=privacy_notice/>
            <p>"Write to us at "<a href=format!("mailto:{contact}")>{contact.clone()}</a>
                "; our "<a href="/security">"Security page"</a>" says how your data is protected."</p>
        </article>
    }
}
