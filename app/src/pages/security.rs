use leptos::prelude::*;

use crate::components::page_meta::PageMeta;
use crate::site::use_site;

/// Each commitment is a promise the code keeps and a test proves; the wording here must stay true.
const COMMITMENTS: [(&str, &str); 13] = [
    (
        "Encrypted in transit",
        "Every connection to Ops Intel uses TLS 1.2 or newer; older protocol versions are refused. \
         Browsers are told by HTTP Strict Transport Security to use HTTPS only.",
    ),
    (
        "A private database",
        "Our database accepts no connections from the internet: it listens only on a private \
         network or a local socket, and the application reaches it through a connection pool.",
    ),
    (
        "Passwords we cannot read",
        "Passwords are stored only as salted PBKDF2-SHA256 hashes in Django's own format, so \
         accounts moved from a Django system keep working. Every new account verifies its email \
         address before it can be used.",
    ),
    (
        "Two-factor sign-in",
        "Anyone can add a code from an authenticator app to their sign-in, with single-use recovery \
         codes for when the phone is not to hand; each code works once. Owners and Admins can \
         require it of every member of their organisation. Transferring ownership, deleting an \
         organisation, changing an email address or turning two-factor off asks for your password \
         or a code again if you have not given one in the last ten minutes.",
    ),
    (
        "Session cookies that stay put",
        "Your session cookie is sent over HTTPS only, is hidden from scripts, and is withheld from \
         other sites' requests (Secure, HttpOnly, SameSite=Lax).",
    ),
    (
        "Protection against forged requests",
        "Every request that changes anything must carry a valid anti-forgery token tied to your \
         session, and must come from our own pages.",
    ),
    (
        "Your organisation's data is yours alone",
        "Isolation between organisations is enforced by the database itself, with row-level \
         security under a database role that cannot bypass it, so even a query that forgot its \
         filter could not reach another organisation's data.",
    ),
    (
        "Four roles, checked everywhere",
        "Owner, Admin, Manager and Viewer. Every action checks the role of the person asking before \
         it does anything, on every endpoint.",
    ),
    (
        "No secrets in the code",
        "API keys and other secrets live only in the environment of the running service, never in \
         our source code or its history.",
    ),
    (
        "No card numbers",
        "Card details are entered on Stripe's own pages and never reach our servers: no column of \
         our database could hold a card number. We keep only your plan and its status, the card's \
         brand, last four digits and expiry month and year, and each invoice's number, amount, \
         status and link to Stripe.",
    ),
    (
        "Few, named sub-processors",
        "Stripe (payments), SendGrid (email), Anthropic (AI assistant) and Google Maps (business \
         details). AI is off until an organisation's Owner or Admin switches it on. When it is on, \
         the words of a customer conversation (without quoted history, signatures or \
         attachments), your businesses' names and, for a draft, the tone, signature and the first \
         name of the member asking are sent to Anthropic to be processed. We keep the suggestion, \
         the draft and a record of each request (when, why, who asked, the model, its size and a \
         fingerprint of what was sent), never the text sent or the raw answer. Anthropic's API \
         deletes inputs and outputs within 30 days by default, unless a zero-data-retention \
         agreement applies; what it keeps follows its own policy.",
    ),
    (
        "Responsible disclosure",
        "Report a vulnerability to the address below. We acknowledge reports within 3 business \
         days and aim to fix confirmed issues within 30 days. Our security.txt follows RFC 9116.",
    ),
    (
        "Breaches reported within 72 hours",
        "If a breach affects personal data, we notify the people affected and the Information \
         Commissioner's Office within 72 hours of becoming aware of it, as UK GDPR Article 33 \
         requires.",
    ),
];

#[component]
pub fn SecurityPage() -> impl IntoView {
    let site = use_site();
    let contact = site.security_contact.clone();
    view! {
        <PageMeta
            title="Security"
            description="How Ops Intel protects your data: encryption in transit, hashed passwords, \
                         database-level isolation between organisations, role checks on every \
                         request, and how to report a vulnerability."
            path="/security"
        />
        <article class="container prose">
            <h1>"Security at Ops Intel"</h1>
            <p class="lede">"Each statement on this page is a commitment. Our code keeps it, and an \
                automated test fails if it ever stops being true."</p>
            <ol class="commitments">
                {COMMITMENTS
                    .iter()
                    .map(|(title, body)| {
                        view! {
                            <li>
                                <h2>{*title}</h2>
                                <p>{*body}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
            <section aria-labelledby="report-heading" class="card report">
                <h2 id="report-heading">"Report a vulnerability"</h2>
                <p>
                    "Email "
                    <a href=format!("mailto:{contact}") data-testid="security-contact">
                        {contact.clone()}
                    </a>
                    ". Please include the steps to reproduce and give us a reasonable time to fix \
                     the issue before you disclose it. Our "
                    <a href="/.well-known/security.txt">"security.txt"</a>
                    " lists the same contact."
                </p>
            </section>
            <p class="muted">
                "Last updated "
                <time datetime=site.security_updated.clone() data-testid="security-updated">
                    {site.security_updated.clone()}
                </time>
                "."
            </p>
        </article>
    }
}
