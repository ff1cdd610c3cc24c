//! Ops Intel's user interface: routes, pages and components, rendered on the server and hydrated
//! in the browser from the same code.

pub mod access;
pub mod allowance;
#[cfg(feature = "ssr")]
pub mod audit;
pub mod auth;
pub mod billing;
pub mod components;
#[cfg(feature = "ssr")]
pub mod csv;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod email;
#[cfg(feature = "ssr")]
pub mod erasure;
pub mod error;
#[cfg(feature = "ssr")]
pub mod jobs;
pub mod limits;
pub mod org;
pub mod pages;
pub mod plans;
#[cfg(feature = "ssr")]
pub mod request;
pub mod roles;
pub mod site;
pub mod staff;
#[cfg(feature = "ssr")]
pub mod tenancy;
#[cfg(feature = "ssr")]
pub mod throttle;
pub mod work;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, Lazy, SsrMode,
};

use crate::auth::CsrfToken;
use crate::components::layout::Layout;
use crate::pages::{
    auth::{
        AccountPage, CheckEmailPage, ConfirmEmailChangePage, DevMailboxPage, ForgotPasswordPage,
        ResetPasswordPage, SignInCodePage, SignInPage, SignUpPage, TwoFactorPage, UnsubscribePage,
        VerifyEmailPage,
    },
    board::BoardPage,
    business::BusinessPage,
    businesses::BusinessesPage,
    dashboard::DashboardPage,
    digest::DigestPage,
    disclosure::DisclosurePage,
    home::HomePage,
    inbox::InboxPage,
    issue::IssuePage,
    issues::IssuesPage,
    not_found::NotFound,
    org::{
        AiRecordPage, AuditLogPage, BillingPage, InvitePage, MembersPage, OrgHome, OrgShell,
        OrganisationsPage, SettingsPage,
    },
    pricing::PricingPage,
    privacy::PrivacyPage,
    security::SecurityPage,
    security_testing::SecurityTestingPage,
    staff::StaffPage,
    staff_incident::IncidentPage,
    terms::TermsPage,
    thread::ThreadPage,
};
use crate::site::SiteInfo;

/// Pages other than the public ones load their code when first opened: the browser build is
/// split along these lines (`cargo leptos build --split`), so the public pages' first load
/// carries none of the account forms, the workspace or its charts.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),+ $(,)?) => {$(
        #[derive(Debug)]
        struct $route;

        #[leptos_router::lazy_route]
        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(this: Self) -> AnyView {
                let _ = this;
                view! { <$page/> }.into_any()
            }
        }
    )+};
}

lazy_pages!(
    SecurityRoute => SecurityPage,
    SecurityTestingRoute => SecurityTestingPage,
    DisclosureRoute => DisclosurePage,
    PrivacyRoute => PrivacyPage,
    TermsRoute => TermsPage,
    SignUpRoute => SignUpPage,
    CheckEmailRoute => CheckEmailPage,
    SignInRoute => SignInPage,
    SignInCodeRoute => SignInCodePage,
    VerifyEmailRoute => VerifyEmailPage,
    ForgotPasswordRoute => ForgotPasswordPage,
    ResetPasswordRoute => ResetPasswordPage,
    ConfirmEmailChangeRoute => ConfirmEmailChangePage,
    DevMailboxRoute => DevMailboxPage,
    AccountRoute => AccountPage,
    TwoFactorRoute => TwoFactorPage,
    UnsubscribeRoute => UnsubscribePage,
    OrganisationsRoute => OrganisationsPage,
    OrgShellRoute => OrgShell,
    InviteRoute => InvitePage,
    DashboardRoute => DashboardPage,
    DigestRoute => DigestPage,
    IssuesRoute => IssuesPage,
    IssueRoute => IssuePage,
    BoardRoute => BoardPage,
    BusinessesRoute => BusinessesPage,
    BusinessRoute => BusinessPage,
    MembersRoute => MembersPage,
    SettingsRoute => SettingsPage,
    AuditRoute => AuditLogPage,
    AiRecordRoute => AiRecordPage,
    BillingRoute => BillingPage,
    InboxRoute => InboxPage,
    ThreadRoute => ThreadPage,
    StaffRoute => StaffPage,
    IncidentRoute => IncidentPage,
);

/// The public pages, in the order the sitemap lists them.
pub const PUBLIC_PATHS: [&str; 7] = [
    "/",
    "/pricing",
    "/security",
    "/security/testing",
    "/security/disclosure",
    "/privacy",
    "/terms",
];

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en-GB">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <meta name="theme-color" content="#0f766e"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // Only the server renders the document's head: the browser's code carries none
                // of it. The id is the one the development server's style reload looks for.
                <link id="leptos" rel="stylesheet" href="/pkg/ops_intel.css"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The server knows the site's settings from its configuration; the browser receives the same
    // values inside the page, so hydration renders exactly what the server did.
    let site = SharedValue::new(|| use_context::<SiteInfo>().unwrap_or_default()).into_inner();
    provide_context(site);
    // The session's anti-forgery token, which forms carry in a hidden field.
    let csrf = SharedValue::new(|| use_context::<CsrfToken>().unwrap_or_default()).into_inner();
    auth::client::remember_token(&csrf.0);
    provide_context(csrf);

    view! {
        <Router>
            <Layout>
                <Routes fallback=NotFound>
                    <Route path=path!("") view=HomePage/>
                    <Route path=path!("pricing") view=PricingPage/>
                    <Route path=path!("security") view={Lazy::<SecurityRoute>::new()} ssr=SsrMode::Async/>
                    // Their text comes from the server: rendered whole, it reads without JavaScript.
                    <Route path=path!("security/testing") view={Lazy::<SecurityTestingRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("security/disclosure") view={Lazy::<DisclosureRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("privacy") view={Lazy::<PrivacyRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("terms") view={Lazy::<TermsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("sign-up") view={Lazy::<SignUpRoute>::new()}/>
                    <Route path=path!("check-email") view={Lazy::<CheckEmailRoute>::new()}/>
                    <Route path=path!("sign-in") view={Lazy::<SignInRoute>::new()}/>
                    <Route path=path!("sign-in/two-factor") view={Lazy::<SignInCodeRoute>::new()}/>
                    <Route path=path!("verify-email") view={Lazy::<VerifyEmailRoute>::new()}/>
                    <Route path=path!("forgot-password") view={Lazy::<ForgotPasswordRoute>::new()}/>
                    <Route path=path!("reset-password") view={Lazy::<ResetPasswordRoute>::new()}/>
                    <Route path=path!("confirm-email-change") view={Lazy::<ConfirmEmailChangeRoute>::new()}/>
                    <Route path=path!("notifications/unsubscribe") view={Lazy::<UnsubscribeRoute>::new()}/>
                    // Pages with data render whole before sending, so they read without JavaScript.
                    <Route path=path!("account") view={Lazy::<AccountRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("account/two-factor") view={Lazy::<TwoFactorRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("dev/mailbox") view={Lazy::<DevMailboxRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("invite/:token") view={Lazy::<InviteRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("o") view={Lazy::<OrganisationsRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("staff") view={Lazy::<StaffRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("staff/incidents/:number") view={Lazy::<IncidentRoute>::new()} ssr=SsrMode::Async/>
                    <ParentRoute path=path!("o/:slug") view={Lazy::<OrgShellRoute>::new()} ssr=SsrMode::Async>
                        <Route path=path!("") view=OrgHome ssr=SsrMode::Async/>
                        <Route path=path!("dashboard") view={Lazy::<DashboardRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("issues") view={Lazy::<IssuesRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("issues/:number") view={Lazy::<IssueRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("board") view={Lazy::<BoardRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("digest") view={Lazy::<DigestRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("inbox") view={Lazy::<InboxRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("inbox/:id") view={Lazy::<ThreadRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("businesses") view={Lazy::<BusinessesRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("businesses/:id") view={Lazy::<BusinessRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("members") view={Lazy::<MembersRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("settings") view={Lazy::<SettingsRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("audit") view={Lazy::<AuditRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("ai") view={Lazy::<AiRecordRoute>::new()} ssr=SsrMode::Async/>
                        <Route path=path!("billing") view={Lazy::<BillingRoute>::new()} ssr=SsrMode::Async/>
                    </ParentRoute>
                </Routes>
            </Layout>
        </Router>
    }
}
