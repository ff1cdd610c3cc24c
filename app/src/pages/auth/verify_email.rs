//! `/verify-email`: the link in a verification email.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    auth::functions::VerifyEmail,
    components::{
        forms::{action_error, CsrfField, FormError},
        private_meta::PrivateMeta,
    },
};

/// A link from an email lands here; confirming is a POST, because a GET must never change state.
#[component]
pub fn VerifyEmailPage() -> impl IntoView {
    let action = ServerAction::<VerifyEmail>::new();
    let error = action_error(action);
    let token = move || use_query_map().read().get("token").unwrap_or_default();
    view! {
        <PrivateMeta title="Confirm your email address"/>
        <section class="container narrow">
            <h1>"Confirm your email address"</h1>
            <ActionForm action attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="token" value=token/>
                <FormError error fields=&[]/>
                <button type="submit" class="button primary">"Confirm my email address"</button>
            </ActionForm>
        </section>
    }
}
