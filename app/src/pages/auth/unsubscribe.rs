//! `/notifications/unsubscribe`: the link at the foot of every notification email. It works
//! without signing in (the link is signed for this alone); stopping is a POST, because a GET
//! must never change state (mail scanners open links).

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    components::{
        forms::{action_error, CsrfField, FormError, Submit},
        private_meta::PrivateMeta,
    },
    work::notifications::Unsubscribe,
};

#[component]
pub fn UnsubscribePage() -> impl IntoView {
    let action = ServerAction::<Unsubscribe>::new();
    let error = action_error(action);
    let query = |name: &'static str| move || use_query_map().read().get(name).unwrap_or_default();
    let done = move || matches!(action.value().get(), Some(Ok(())));
    view! {
        <PrivateMeta title="Stop notification emails"/>
        <section class="container narrow">
            <h1>"Stop notification emails"</h1>
            <Show when=done fallback=move || view! {
                <p>"Stop every notification email from Ops Intel to you? Notifications still show in the app, and you can choose again from your account page."</p>
                <ActionForm action attr:class="stack">
                    <CsrfField/>
                    <input type="hidden" name="form[user]" value=query("user")/>
                    <input type="hidden" name="form[signature]" value=query("signature")/>
                    <FormError error fields=&[]/>
                    <Submit pending=action.pending() label="Stop the emails" primary=true/>
                </ActionForm>
            }>
                <p role="status">"Done: no more notification emails. They still show in the app; choose again from your "<A href="/account">"account page"</A>"."</p>
            </Show>
        </section>
    }
}
