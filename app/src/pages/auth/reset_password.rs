//! `/reset-password`: the link in a password reset email.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    auth::functions::ResetPassword,
    components::{
        forms::{action_error, CsrfField, FormError},
        private_meta::PrivateMeta,
    },
};

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = action_error(action);
    let token = move || use_query_map().read().get("token").unwrap_or_default();
    view! {
        <PrivateMeta title="Choose a new password"/>
        <section class="container narrow">
            <h1>"Choose a new password"</h1>
            <ActionForm action attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="form[token]" value=token/>
                <div class="field">
                    <label for="password">"New password"</label>
                    <input id="password" name="form[password]" type="password" autocomplete="new-password" required
                        aria-describedby="password-error"/>
                    <p id="password-error" class="field-error">{move || error.get().and_then(|e| e.for_field("password"))}</p>
                </div>
                <FormError error fields=&["password"]/>
                <button type="submit" class="button primary">"Set new password"</button>
            </ActionForm>
        </section>
    }
}
