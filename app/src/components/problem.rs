//! What a page shows when its data could not be loaded, with the matching HTTP status.

use leptos::prelude::*;
use leptos_router::{
    components::{Redirect, A},
    hooks::use_location,
};

use crate::{error::AppError, org::OrgContext};

/// Sets the response status while rendering on the server; nothing in the browser.
pub fn set_status(_status: http::StatusCode) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(_status);
    }
}

/// A page's data could not be loaded. A signed-out reader is sent to sign in and back, and a
/// member of an organisation that requires two-factor sign-in to set it up; otherwise
/// the status goes on the response and the reader gets a way on: inside the organisation when the
/// page is one of its pages, else to their organisations or account.
#[component]
pub fn LoadProblem(error: AppError) -> impl IntoView {
    if error == AppError::NotSignedIn {
        let path = use_location().pathname.get_untracked();
        return view! { <Redirect path=format!("/sign-in?next={path}")/> }.into_any();
    }
    // The organisation requires two-factor sign-in: set it up first (the server refuses its
    // data until then).
    if error == AppError::TwoFactorRequired {
        return view! { <Redirect path="/account/two-factor?required"/> }.into_any();
    }
    set_status(error.status());
    let org_slug = use_context::<OrgContext>().map(|o| o.slug);
    let in_organisation = use_location().pathname.get_untracked().starts_with("/o/");
    let (title, text) = match (&error, &org_slug) {
        (AppError::NotFound, Some(_)) => (
            "Not found",
            "There is nothing at this address in this organisation. It may have been deleted, or the link may be mistyped.".to_string(),
        ),
        (AppError::NotFound, None) if in_organisation => (
            "Organisation not found",
            "There is no organisation at this address that you belong to.".to_string(),
        ),
        (AppError::NotFound, None) => (
            "Not found",
            "There is nothing at this address. The link may be mistyped.".to_string(),
        ),
        (AppError::Forbidden(_), _) => ("Not allowed", error.to_string()),
        (AppError::Invalid { .. }, _) => ("Not a valid request", error.to_string()),
        _ => ("Not available", error.to_string()),
    };
    let (back, back_label) = match (&error, org_slug) {
        (_, Some(slug)) => (format!("/o/{slug}/issues"), "Back to the issues"),
        (AppError::NotFound, None) => ("/o".to_string(), "Your organisations"),
        _ => ("/account".to_string(), "Your account"),
    };
    view! {
        <div class="problem">
            <h1>{title}</h1>
            <p role="alert">{text}</p>
            <p><A href=back>{back_label}</A></p>
        </div>
    }
    .into_any()
}
