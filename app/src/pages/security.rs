//! `/security`: the Security page. Its statements are read from the server ([`security_statements`]),
//! so their text is not part of the code every visitor's browser loads first.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    auth::client::CsrfClient,
    components::{page_meta::PageMeta, problem::LoadProblem},
    error::AppError,
    site::use_site,
};

/// A statement as the page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub id: String,
    pub title: String,
    pub body: String,
}

/// The statements shown, in the page's order: those whose feature is built.
#[server(endpoint = "site/security_statements", client = CsrfClient)]
pub async fn security_statements() -> Result<Vec<Statement>, AppError> {
    crate::access::public()?;
    Ok(COMMITMENTS
        .iter()
        .filter(|c| c.built)
        .map(|c| Statement {
            id: c.id.to_string(),
            title: c.title.to_string(),
            body: c.body.to_string(),
        })
        .collect())
}

/// A statement of the Security page: a promise the code keeps and tests prove.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug)]
pub struct Commitment {
    /// Its anchor, here and on the page that says how it is tested.
    pub id: &'static str,
    pub title: &'static str,
    pub body: &'static str,
    /// Whether what keeps the promise is built: a statement is shown only once it is, and then
    /// only with its proof (`security_testing`, whose tests check this).
    pub built: bool,
}

/// The statements, in the order the page gives them; the wording here must stay true.
#[cfg(feature = "ssr")]
pub const COMMITMENTS: [Commitment; 13] = [
    Commitment {
        id: "in-transit",
        title: "Encrypted in transit",
        body: "Every connection to Ops Intel uses TLS 1.2 or newer; older protocol versions are refused. \
         Browsers are told by HTTP Strict Transport Security to use HTTPS only.",
        built: true,
    },
    Commitment {
        id: "private-database",
        title: "A private database",
        body: "Our database accepts no connections from the internet: it listens only on a private \
         network or a local socket, and the application reaches it through a connection pool.",
        built: true,
    },
    Commitment {
        id: "passwords",
        title: "Passwords we cannot read",
        body: "Passwords are stored only as salted PBKDF2-SHA256 hashes in Django's own format, so \
         accounts moved from a Django system keep working. Every new account verifies its email \
         address before it can be used.",
        built: true,
    },
    Commitment {
        id: "two-factor",
        title: "Two-factor sign-in",
        body: "Anyone can add a code from an authenticator app to their sign-in, with single-use recovery \
         codes for when the phone is not to hand; each code works once. Owners and Admins can \
         require it of every member of their organisation. Transferring ownership, deleting an \
         organisation, changing an email address or turning two-factor off asks for your password \
         or a code again if you have not given one in the last ten minutes.",
        built: true,
    },
    Commitment {
        id: "session-cookies",
        title: "Session cookies that stay put",
        body: "Your session cookie is sent over HTTPS only, is hidden from scripts, and is withheld from \
         other sites' requests (Secure, HttpOnly, SameSite=Lax).",
        built: true,
    },
    Commitment {
        id: "forged-requests",
        title: "Protection against forged requests",
        body: "Every request that changes anything must carry a valid anti-forgery token tied to your \
         session, and must come from our own pages.",
        built: true,
    },
    Commitment {
        id: "isolation",
        title: "Your organisation's data is yours alone",
        body: "Isolation between organisations is enforced by the database itself, with row-level \
         security under a database role that cannot bypass it, so even a query that forgot its \
         filter could not reach another organisation's data.",
        built: true,
    },
    Commitment {
        id: "roles",
        title: "Four roles, checked everywhere",
        body: "Owner, Admin, Manager and Viewer. Every action checks the role of the person asking before \
         it does anything, on every endpoint.",
        built: true,
    },
    Commitment {
        id: "no-secrets",
        title: "No secrets in the code",
        body: "API keys and other secrets live only in the environment of the running service, never in \
         our source code or its history.",
        built: true,
    },
    Commitment {
        id: "no-card-numbers",
        title: "No card numbers",
        body: "Card details are entered on Stripe's own pages and never reach our servers: no column of \
         our database could hold a card number. We keep only your plan and its status, the card's \
         brand, last four digits and expiry month and year, and each invoice's number, amount, \
         status and link to Stripe.",
        built: true,
    },
    Commitment {
        id: "sub-processors",
        title: "Few, named sub-processors",
        body: "Stripe (payments), SendGrid (email), Anthropic (AI assistant) and Google Maps (business \
         details). AI is off until an organisation's Owner or Admin switches it on. When it is on, \
         the words of a customer conversation (without quoted history, signatures or \
         attachments), your businesses' names and, for a draft, the tone, signature and the first \
         name of the member asking are sent to Anthropic to be processed. We keep the suggestion, \
         the draft and a record of each request (when, why, who asked, the model, its size and a \
         fingerprint of what was sent), never the text sent or the raw answer. Anthropic's API \
         deletes inputs and outputs within 30 days by default, unless a zero-data-retention \
         agreement applies; what it keeps follows its own policy.",
        built: true,
    },
    Commitment {
        id: "disclosure",
        title: "Responsible disclosure",
        body: "Report a vulnerability to the address below. We acknowledge reports within 3 business \
         days and aim to fix confirmed issues within 30 days. Our security.txt follows RFC 9116.",
        built: true,
    },
    Commitment {
        id: "breaches",
        title: "Breaches reported within 72 hours",
        body: "If a breach affects personal data, we notify the people affected and the Information \
         Commissioner's Office within 72 hours of becoming aware of it, as UK GDPR Article 33 \
         requires.",
        built: true,
    },
];

#[component]
pub fn SecurityPage() -> impl IntoView {
    let site = use_site();
    let contact = site.security_contact.clone();
    let statements = Resource::new(|| (), |_| security_statements());
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
                automated test fails if it ever stops being true: each links to how it is tested."</p>
            <Suspense fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match statements.await {
                        Ok(list) => view! {
                            <ol class="commitments">
                                {list.into_iter().map(|c| {
                                    let hidden = format!(": {}", c.title);
                                    view! {
                                        <li id=c.id.clone()>
                                            <h2>{c.title}</h2>
                                            <p>{c.body}</p>
                                            <p class="proof"><a href=format!("/security/testing#{}", c.id)>
                                                "How we test this"<span class="visually-hidden">{hidden}</span>
                                            </a></p>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })}
            </Suspense>
            <section aria-labelledby="report-heading" class="card report">
                <h2 id="report-heading">"Report a vulnerability"</h2>
                <p>
                    "Email "
                    <a href=format!("mailto:{contact}") data-testid="security-contact">
                        {contact.clone()}
                    </a>
                    ". Please include the steps to reproduce and give us a reasonable time to fix \
                     the issue before you disclose it; our "
                    <a href="/security/disclosure">"disclosure policy"</a>
                    " says what happens next. Our "
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
