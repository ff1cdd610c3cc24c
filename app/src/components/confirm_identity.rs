//! The small "confirm it's you" step beside a dangerous action: shown when the server refused
//! the action for want of a recent proof, it takes the password or a two-factor code, after
//! which the action can be tried again.

use leptos::prelude::*;

use crate::{
    auth::recent_proof::{ConfirmIdentity as Confirm, PROOF_MINUTES},
    components::{
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError},
    },
    error::AppError,
};

/// Appears when `error` (the dangerous action's) asks for a recent proof. `id` keeps its fields'
/// ids apart from another such step on the same page.
#[component]
pub fn ConfirmIdentity(error: Signal<Option<AppError>>, id: &'static str) -> impl IntoView {
    let confirm = ServerAction::<Confirm>::new();
    let confirm_error = action_error(confirm);
    let needed = move || error.get() == Some(AppError::RecentProofRequired);
    let confirmed = move || matches!(confirm.value().get(), Some(Ok(())));
    view! {
        <Show when=move || needed() && !confirmed()>
            <section class="card confirm-identity" aria-label="Confirm it's you">
                <h3>"Confirm it's you"</h3>
                <p>{format!(
                    "Enter your password, or a code from your authenticator app. It counts for {PROOF_MINUTES} minutes."
                )}</p>
                <ActionForm action=confirm attr:class="stack">
                    <CsrfField/>
                    <div class="field">
                        <label for=format!("{id}-password")>"Your password"</label>
                        <input id=format!("{id}-password") name="form[password]" type="password" autocomplete="current-password"/>
                        <FieldError error=confirm_error field="password"/>
                    </div>
                    <div class="field">
                        <label for=format!("{id}-code")>"Or a two-factor code"</label>
                        <input id=format!("{id}-code") name="form[code]" type="text" inputmode="numeric" autocomplete="one-time-code"/>
                        <FieldError error=confirm_error field="code"/>
                    </div>
                    <FormError error=confirm_error fields=&["password", "code"]/>
                    <button type="submit" class="button">"Confirm it's you"</button>
                </ActionForm>
            </section>
        </Show>
        <Show when=move || needed() && confirmed()>
            <p role="status">"Confirmed. Now try again."</p>
        </Show>
    }
}
