//! The account page's change of email address.

use leptos::prelude::*;

use crate::{
    auth::functions::ChangeEmail,
    components::{
        confirm_identity::ConfirmIdentity,
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError},
    },
};

#[component]
pub(super) fn ChangeEmailForm() -> impl IntoView {
    let action = ServerAction::<ChangeEmail>::new();
    let error = action_error(action);
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <h2>"Change your email address"</h2>
        <ActionForm action attr:class="stack">
            <CsrfField/>
            <div class="field">
                <label for="new_email">"New email address"</label>
                <input id="new_email" name="form[new_email]" type="email" autocomplete="email" required/>
                <FieldError error field="new_email"/>
            </div>
            <FormError error fields=&["new_email"]/>
            <Show when=done>
                <p role="status">"We sent a link to the new address. Your email changes when you open it."</p>
            </Show>
            <button type="submit" class="button">"Change email address"</button>
        </ActionForm>
        <ConfirmIdentity error id="email-confirm"/>
    }
}
