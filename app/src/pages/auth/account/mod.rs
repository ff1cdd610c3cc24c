//! `/account`: who is signed in, and the changes they can make to their account. Each change
//! is its own section, in its own file.

mod change_email;
mod change_password;
mod delete_account;
mod notifications;
mod sessions;
mod time_zone;
mod your_data;

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use self::{
    change_email::ChangeEmailForm, change_password::ChangePasswordForm,
    delete_account::DeleteAccountForm, notifications::NotificationSettings, sessions::SessionsList,
    time_zone::TimeZoneSettings, your_data::YourDataForm,
};
use crate::{
    auth::{
        functions::{current_user, ResendVerification, SignOut},
        UserSummary,
    },
    components::{
        forms::{action_error, CsrfField, FormError},
        private_meta::PrivateMeta,
    },
};

#[component]
pub fn AccountPage() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    let sign_out = ServerAction::<SignOut>::new();
    let codes_left = move || {
        use_query_map()
            .read()
            .get("recovery_codes_left")
            .and_then(|n| n.parse::<u32>().ok())
    };
    view! {
        <PrivateMeta title="Your account"/>
        <section class="container narrow">
            {move || codes_left().map(|n| view! {
                <p class="notice" role="status">{format!(
                    "You signed in with a recovery code. You have {n} recovery codes left; make new ones from Two-factor sign-in when you run low."
                )}</p>
            })}
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(u)) if !u.verified => view! { <Unverified user=u sign_out/> }.into_any(),
                        Ok(Some(u)) => view! { <Account user=u sign_out/> }.into_any(),
                        Ok(None) => view! {
                            <h1>"Your account"</h1>
                            <p>"You are not signed in. " <A href="/sign-in">"Sign in"</A></p>
                        }.into_any(),
                        Err(e) => view! { <h1>"Your account"</h1><p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Until the address is confirmed the account can do nothing else, so this is all it shows.
#[component]
fn Unverified(user: UserSummary, sign_out: ServerAction<SignOut>) -> impl IntoView {
    let resend = ServerAction::<ResendVerification>::new();
    let resend_error = action_error(resend);
    let resent = move || matches!(resend.value().get(), Some(Ok(())));
    view! {
        <h1>"Verify your email address"</h1>
        <p>"We sent a link to " <strong>{user.email}</strong>
           ". Open it to start using Ops Intel."</p>
        <ActionForm action=resend attr:class="stack">
            <CsrfField/>
            <FormError error=resend_error fields=&[]/>
            <Show when=resent>
                <p role="status">"A new link is on its way."</p>
            </Show>
            <button type="submit" class="button">"Send a new link"</button>
        </ActionForm>
        <SignOutButton action=sign_out/>
    }
}

#[component]
fn Account(user: UserSummary, sign_out: ServerAction<SignOut>) -> impl IntoView {
    view! {
        <h1>"Your account"</h1>
        <dl class="facts">
            <dt>"Name"</dt><dd>{user.name}</dd>
            <dt>"Email"</dt><dd>{user.email}</dd>
        </dl>
        <SignOutButton action=sign_out/>
        <h2>"Two-factor sign-in"</h2>
        <p><A href="/account/two-factor">"Set up or manage two-factor sign-in"</A></p>
        <ChangePasswordForm/>
        <ChangeEmailForm/>
        <TimeZoneSettings/>
        <NotificationSettings/>
        <SessionsList/>
        <YourDataForm/>
        <DeleteAccountForm/>
    }
}

#[component]
fn SignOutButton(action: ServerAction<SignOut>) -> impl IntoView {
    view! {
        <ActionForm action attr:class="stack">
            <CsrfField/>
            <button type="submit" class="button">"Sign out"</button>
        </ActionForm>
    }
}
