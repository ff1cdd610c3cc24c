use leptos::prelude::*;

use crate::{
    auth::{CsrfToken, CSRF_FIELD},
    error::AppError,
};

/// The hidden anti-forgery field every form that changes state carries, with or without JavaScript.
#[component]
pub fn CsrfField() -> impl IntoView {
    let token = use_context::<CsrfToken>().unwrap_or_default().0;
    // In the browser, a form drawn after a sign-in on this page carries the replaced token.
    // (Never on the server, where one thread renders many requests' pages.)
    #[cfg(target_arch = "wasm32")]
    let token = Some(crate::auth::client::current_token())
        .filter(|current| !current.is_empty())
        .unwrap_or(token);
    view! { <input type="hidden" name=CSRF_FIELD value=token/> }
}

/// A form-wide message for an action's error that is not about one field.
#[component]
pub fn FormError(
    error: Signal<Option<AppError>>,
    fields: &'static [&'static str],
) -> impl IntoView {
    let message = move || {
        error
            .get()
            .filter(|e| !fields.iter().any(|f| e.for_field(f).is_some()))
            .map(|e| e.to_string())
    };
    // A plan's limit: the way to change the plan, inside an organisation.
    let org_billing = StoredValue::new(
        use_context::<crate::org::OrgContext>().map(|o| format!("/o/{}/billing", o.slug)),
    );
    let billing = move || {
        matches!(error.get(), Some(AppError::OverAllowance(_)))
            .then(|| org_billing.get_value())
            .flatten()
    };
    view! {
        <Show when=move || message().is_some()>
            <p class="form-error" role="alert">
                {message}
                {move || billing().map(|href| view! { " " <a href=href>"Plans and billing"</a> })}
            </p>
        </Show>
    }
}

/// The error of the latest run of a server action, if it failed.
pub fn action_error<A, T>(action: ServerAction<A>) -> Signal<Option<AppError>>
where
    A: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    Signal::derive(move || action.value().get().and_then(|r| r.err()))
}

/// A form's submit button that shows it is working while its action runs, and cannot be sent
/// again until the action has answered.
#[component]
pub fn Submit(
    #[prop(into)] pending: Signal<bool>,
    label: &'static str,
    #[prop(optional)] primary: bool,
) -> impl IntoView {
    view! {
        <button
            type="submit"
            class=if primary { "button primary" } else { "button" }
            disabled=move || pending.get()
            aria-busy=move || pending.get().then_some("true")
        >
            {move || if pending.get() { "Working…" } else { label }}
        </button>
    }
}
