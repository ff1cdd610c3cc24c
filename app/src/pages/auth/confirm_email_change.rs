//! `/confirm-email-change`: the link sent to a new email address.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    auth::functions::ConfirmEmailChange,
    components::{
        forms::{action_error, CsrfField, FormError},
        private_meta::PrivateMeta,
    },
};

#[component]
pub fn ConfirmEmailChangePage() -> impl IntoView {
    let action = ServerAction::<ConfirmEmailChange>::new();
    let error = action_error(action);
    let token = move || use_query_map().read().get("token").unwrap_or_default();
    view! {
        <PrivateMeta title="Confirm your new email address"/>
        <section class="container narrow">
            <h1>"Confirm your new email address"</h1>
            <ActionForm action attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="token" value=token/>
                <FormError error fields=&[]/>
                <button type="submit" class="button primary">"Confirm my new address"</button>
            </ActionForm>
        </section>
    }
}
