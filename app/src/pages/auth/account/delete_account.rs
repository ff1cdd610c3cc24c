//! The account page's deletion of the account.

use leptos::prelude::*;

use crate::{
    auth::functions::DeleteAccount,
    components::{
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError},
    },
};

#[component]
pub(super) fn DeleteAccountForm() -> impl IntoView {
    let action = ServerAction::<DeleteAccount>::new();
    let error = action_error(action);
    view! {
        <h2>"Delete your account"</h2>
        <p>"This deletes your account and signs you out everywhere. It cannot be undone."</p>
        <ActionForm action attr:class="stack">
            <CsrfField/>
            <div class="field">
                <label for="delete_password">"Your password"</label>
                <input id="delete_password" name="password" type="password" autocomplete="current-password" required/>
                <FieldError error field="password"/>
            </div>
            <FormError error fields=&["password"]/>
            <button type="submit" class="button danger">"Delete my account"</button>
        </ActionForm>
    }
}
