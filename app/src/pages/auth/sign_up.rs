//! `/sign-up`: creating an account.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    auth::functions::SignUp,
    components::{
        forms::{action_error, CsrfField, FormError},
        private_meta::PrivateMeta,
        time_zone::BrowserTimeZone,
    },
    domain::{password::browser_hint, EmailAddress, PersonName},
};

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let error = action_error(action);
    let name = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // The browser runs the same rules as the server, for feedback as the user types.
    let name_hint = move || {
        let n = name.get();
        (!n.is_empty())
            .then(|| PersonName::parse(&n).err().map(|e| e.to_string()))
            .flatten()
    };
    let email_hint = move || {
        let e = email.get();
        (!e.is_empty())
            .then(|| EmailAddress::parse(&e).err().map(|e| e.to_string()))
            .flatten()
    };
    let password_hint = move || {
        let p = password.get();
        if p.is_empty() {
            return None;
        }
        let e = EmailAddress::parse(&email.get())
            .unwrap_or_else(|_| EmailAddress::parse("x@x.invalid").expect("valid"));
        browser_hint(&p, &e).map(|e| e.to_string())
    };
    // An invitation link passes the invited address along.
    let invited_email = use_query_map()
        .read_untracked()
        .get("email")
        .unwrap_or_default();
    // The server's verdict on a field, else the browser's.
    let field_error = move |field: &'static str, hint: Option<String>| {
        error.get().and_then(|e| e.for_field(field)).or(hint)
    };

    view! {
        <PrivateMeta title="Create your account"/>
        <section class="container narrow">
            <h1>"Create your account"</h1>
            <ActionForm action attr:class="stack" attr:novalidate=true>
                <CsrfField/>
                <BrowserTimeZone name="form[time_zone]"/>
                <div class="field">
                    <label for="name">"Your name"</label>
                    <input id="name" name="form[name]" type="text" autocomplete="name" required
                        aria-describedby="name-error"
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                    <p id="name-error" class="field-error" aria-live="polite">{move || field_error("name", name_hint())}</p>
                </div>
                <div class="field">
                    <label for="email">"Email address"</label>
                    <input id="email" name="form[email]" type="email" autocomplete="email" required
                        aria-describedby="email-error" value=invited_email
                        on:input=move |ev| email.set(event_target_value(&ev))/>
                    <p id="email-error" class="field-error" aria-live="polite">{move || field_error("email", email_hint())}</p>
                </div>
                <div class="field">
                    <label for="password">"Password"</label>
                    <input id="password" name="form[password]" type="password" autocomplete="new-password" required
                        aria-describedby="password-help password-error"
                        on:input=move |ev| password.set(event_target_value(&ev))/>
                    <p id="password-help" class="muted">"At least 10 characters. A few unrelated words make a strong one."</p>
                    <p id="password-error" class="field-error" aria-live="polite">{move || field_error("password", password_hint())}</p>
                </div>
                <FormError error fields=&["name", "email", "password"]/>
                <button type="submit" class="button primary">"Create account"</button>
            </ActionForm>
            <p>"Already have an account? " <A href="/sign-in">"Sign in"</A></p>
        </section>
    }
}
