//! The account page's password change.

use leptos::prelude::*;

use crate::{
    auth::functions::ChangePassword,
    components::{
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError},
    },
};

#[component]
pub(super) fn ChangePasswordForm() -> impl IntoView {
    let action = ServerAction::<ChangePassword>::new();
    let error = action_error(action);
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <h2>"Change your password"</h2>
        <ActionForm action attr:class="stack">
            <CsrfField/>
            <div class="field">
                <label for="current_password">"Current password"</label>
                <input id="current_password" name="form[current_password]" type="password" autocomplete="current-password" required/>
                <FieldError error field="current_password"/>
            </div>
            <div class="field">
                <label for="new_password">"New password"</label>
                <input id="new_password" name="form[new_password]" type="password" autocomplete="new-password" required/>
                <FieldError error field="new_password"/>
            </div>
            <FormError error fields=&["current_password", "new_password"]/>
            <Show when=done>
                <p role="status">"Password changed. Your other sessions were signed out."</p>
            </Show>
            <button type="submit" class="button">"Change password"</button>
        </ActionForm>
    }
}
