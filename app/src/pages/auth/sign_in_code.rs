//! `/sign-in/two-factor`: the second step of signing in, for accounts with two-factor on.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    auth::two_factor::functions::SignInSecondFactor,
    components::{
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError},
        private_meta::PrivateMeta,
    },
};

#[component]
pub fn SignInCodePage() -> impl IntoView {
    let action = ServerAction::<SignInSecondFactor>::new();
    let error = action_error(action);
    view! {
        <PrivateMeta title="Two-factor sign-in"/>
        <section class="container narrow">
            <h1>"Two-factor sign-in"</h1>
            <p>"Enter the code your authenticator app shows for Ops Intel."</p>
            <ActionForm action attr:class="stack">
                <CsrfField/>
                <div class="field">
                    <label for="code">"Authentication code"</label>
                    <input id="code" name="form[code]" type="text" inputmode="numeric" autocomplete="one-time-code"
                        required autofocus aria-describedby="code-help"/>
                    <p id="code-help" class="muted">"No phone to hand? Enter one of your recovery codes instead."</p>
                    <FieldError error field="code"/>
                </div>
                <FormError error fields=&["code"]/>
                <button type="submit" class="button primary">"Verify"</button>
            </ActionForm>
            <p><A href="/sign-in">"Start again"</A></p>
        </section>
    }
}
