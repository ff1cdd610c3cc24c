//! `/forgot-password`: asking for a password reset link.

use leptos::prelude::*;

use crate::{
    auth::functions::ForgotPassword,
    components::{
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError},
        private_meta::PrivateMeta,
    },
};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let error = action_error(action);
    view! {
        <PrivateMeta title="Reset your password"/>
        <section class="container narrow">
            <h1>"Reset your password"</h1>
            <p>"Enter your account's email address and we will send you a link to choose a new password."</p>
            <ActionForm action attr:class="stack">
                <CsrfField/>
                <div class="field">
                    <label for="email">"Email address"</label>
                    <input id="email" name="email" type="email" autocomplete="email" required/>
                    <FieldError error field="email"/>
                </div>
                <FormError error fields=&["email"]/>
                <button type="submit" class="button primary">"Send me a link"</button>
            </ActionForm>
        </section>
    }
}
