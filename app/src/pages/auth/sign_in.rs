//! `/sign-in`.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    auth::functions::SignIn,
    components::{
        forms::{action_error, CsrfField, FormError},
        private_meta::PrivateMeta,
    },
};

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = action_error(action);
    let verified = move || use_query_map().read().get("verified").is_some();
    let reset = move || use_query_map().read().get("reset").is_some();
    view! {
        <PrivateMeta title="Sign in"/>
        <section class="container narrow">
            <h1>"Sign in"</h1>
            <Show when=verified>
                <p class="notice" role="status">"Your email address is confirmed. Sign in to continue."</p>
            </Show>
            <Show when=reset>
                <p class="notice" role="status">"Your password is changed and every session was signed out. \
                    Sign in with your new password."</p>
            </Show>
            <ActionForm action attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="form[next]" value=move || use_query_map().read().get("next").unwrap_or_default()/>
                <div class="field">
                    <label for="email">"Email address"</label>
                    <input id="email" name="form[email]" type="email" autocomplete="username" required/>
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="form[password]" type="password" autocomplete="current-password" required/>
                </div>
                // One message for every failure, so the form never tells which part was wrong.
                <FormError error fields=&[]/>
                <button type="submit" class="button primary">"Sign in"</button>
            </ActionForm>
            <p><A href="/forgot-password">"Forgot your password?"</A></p>
            <p>"New to Ops Intel? " <A href="/sign-up">"Create an account"</A></p>
        </section>
    }
}
