use leptos::prelude::*;

use crate::components::page_meta::PageMeta;

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
            <p>"These terms apply when you or your organisation use Ops Intel. By creating an \
                account you agree to them."</p>
            <h2>"Accounts"</h2>
            <p>"Keep your password to yourself and tell us at once if you believe your account has \
                been misused. Each organisation has exactly one Owner, who is responsible for its \
                members and its plan."</p>
            <h2>"Acceptable use"</h2>
            <p>"Do not use Ops Intel to break the law, to send unsolicited email, to probe or disrupt \
                the service or other customers' data, or to store data you have no right to hold."</p>
            <h2>"Plans and payment"</h2>
            <p>"Paid plans are billed monthly in advance through Stripe. You may change plan or \
                cancel at any time; a cancellation takes effect at the end of the period already paid."</p>
            <h2>"Your data"</h2>
            <p>"Your organisation's data remains yours. You can export it at any time, and it is \
                deleted when the organisation is deleted."</p>
            <h2>"Availability and liability"</h2>
            <p>"We work to keep the service available and your data safe, but we provide the \
                service as it is. Our liability is limited to the fees you paid in the twelve months \
                before a claim, except where the law does not allow such a limit."</p>
            <h2>"Governing law"</h2>
            <p>"These terms are governed by the law of England and Wales."</p>
        </article>
    }
}
