//! `/account/two-factor`: setting up two-factor sign-in (a QR code and the secret as text,
//! turned on by the app's first code), the recovery codes shown once with a download, and for
//! an account that has it, new recovery codes or turning it off, each after "confirm it's you".

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    auth::two_factor::{
        functions::{
            two_factor_status, BeginTwoFactorSetup, DisableTwoFactor, EnableTwoFactor,
            RegenerateRecoveryCodes,
        },
        RecoveryCodes, TwoFactorInfo, TwoFactorSetup,
    },
    components::{
        confirm_identity::ConfirmIdentity,
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError},
        private_meta::PrivateMeta,
        problem::LoadProblem,
    },
};

#[component]
pub fn TwoFactorPage() -> impl IntoView {
    let setup = ServerAction::<BeginTwoFactorSetup>::new();
    let enable = ServerAction::<EnableTwoFactor>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    let status = Resource::new(
        move || {
            (
                enable.version().get(),
                disable.version().get(),
                regenerate.version().get(),
            )
        },
        |_| two_factor_status(),
    );
    // New codes are shown until the page is left: they are never shown again.
    let codes = RwSignal::new(None::<RecoveryCodes>);
    Effect::new(move |_| {
        if let Some(Ok(new)) = enable.value().get() {
            codes.set(Some(new));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(new)) = regenerate.value().get() {
            codes.set(Some(new));
        }
    });
    let required = move || use_query_map().read().get("required").is_some();
    view! {
        <PrivateMeta title="Two-factor sign-in"/>
        <section class="container narrow">
            <h1>"Two-factor sign-in"</h1>
            <p><A href="/account">"Back to your account"</A></p>
            <Show when=required>
                <p class="notice" role="status">"An organisation you belong to requires two-factor sign-in. \
                    Set it up to see its pages."</p>
            </Show>
            {move || codes.get().map(|c| view! { <NewRecoveryCodes codes=c/> })}
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(info) if info.enabled => view! { <Enabled info disable regenerate/> }.into_any(),
                        Ok(_) => view! { <SetUp setup enable/> }.into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Two-factor is off: set it up. The secret is shown only after the user asks for one.
#[component]
fn SetUp(
    setup: ServerAction<BeginTwoFactorSetup>,
    enable: ServerAction<EnableTwoFactor>,
) -> impl IntoView {
    let setup_error = action_error(setup);
    let started = move || setup.value().get().and_then(|r| r.ok());
    view! {
        <p>"Two-factor sign-in is off. With it on, signing in needs your password and a code from \
            an authenticator app on your phone, so a stolen password alone is not enough."</p>
        <Show
            when=move || started().is_some()
            fallback=move || view! {
                <ActionForm action=setup attr:class="stack">
                    <CsrfField/>
                    <FormError error=setup_error fields=&[]/>
                    <button type="submit" class="button primary">"Set up two-factor sign-in"</button>
                </ActionForm>
            }
        >
            {move || started().map(|s| view! { <Confirm setup=s enable/> })}
        </Show>
    }
}

/// The new secret, and the form that turns two-factor on with the app's first code.
#[component]
fn Confirm(setup: TwoFactorSetup, enable: ServerAction<EnableTwoFactor>) -> impl IntoView {
    let error = action_error(enable);
    view! {
        <h2>"1. Add Ops Intel to your authenticator app"</h2>
        <p>"Scan this QR code with your app, or type the key below into it."</p>
        <img class="qr-code" src=setup.qr_code width="200" height="200"
            alt="QR code holding your two-factor key, for an authenticator app to scan"/>
        <p>"Key: " <code data-testid="totp-secret">{setup.secret}</code></p>
        <h2>"2. Enter the code the app shows"</h2>
        <ActionForm action=enable attr:class="stack">
            <CsrfField/>
            <div class="field">
                <label for="setup-code">"Code from your app"</label>
                <input id="setup-code" name="form[code]" type="text" inputmode="numeric"
                    autocomplete="one-time-code" required/>
                <FieldError error field="code"/>
            </div>
            <FormError error fields=&["code"]/>
            <button type="submit" class="button primary">"Turn on two-factor sign-in"</button>
        </ActionForm>
    }
}

/// Two-factor is on: new recovery codes, or turning it off, each after a recent proof.
#[component]
fn Enabled(
    info: TwoFactorInfo,
    disable: ServerAction<DisableTwoFactor>,
    regenerate: ServerAction<RegenerateRecoveryCodes>,
) -> impl IntoView {
    let (disable_error, regenerate_error) = (action_error(disable), action_error(regenerate));
    view! {
        <p data-testid="two-factor-state">{format!(
            "Two-factor sign-in is on. You have {} unused recovery code{}.",
            info.recovery_codes_left,
            if info.recovery_codes_left == 1 { "" } else { "s" }
        )}</p>
        <h2>"Recovery codes"</h2>
        <p>"New codes replace the old ones, which stop working."</p>
        <ActionForm action=regenerate attr:class="stack">
            <CsrfField/>
            <FormError error=regenerate_error fields=&[]/>
            <button type="submit" class="button">"Make new recovery codes"</button>
        </ActionForm>
        <ConfirmIdentity error=regenerate_error id="codes-confirm"/>
        <h2>"Turn off two-factor sign-in"</h2>
        <ActionForm action=disable attr:class="stack">
            <CsrfField/>
            <FormError error=disable_error fields=&[]/>
            <button type="submit" class="button danger">"Turn off two-factor sign-in"</button>
        </ActionForm>
        <ConfirmIdentity error=disable_error id="disable-confirm"/>
    }
}

/// Percent-encodes text for a `data:` URL.
fn data_url_text(text: &str) -> String {
    let encoded: String = text
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("data:text/plain;charset=utf-8,{encoded}")
}

/// Recovery codes just made: shown this once, with a download.
#[component]
fn NewRecoveryCodes(codes: RecoveryCodes) -> impl IntoView {
    let download = data_url_text(&codes.as_text());
    view! {
        <section class="card" aria-labelledby="codes-heading">
            <h2 id="codes-heading">"Your recovery codes"</h2>
            <p>"Each code signs you in once when you cannot use your app. Keep them somewhere safe: \
                they are shown only now."</p>
            <ul class="recovery-codes" data-testid="recovery-codes">
                {codes.0.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
            <p><a href=download download="ops-intel-recovery-codes.txt">"Download the codes as text"</a></p>
        </section>
    }
}
