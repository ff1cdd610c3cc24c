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
    /// For an action that removes something.
    #[prop(optional)]
    danger: bool,
) -> impl IntoView {
    let class = match (primary, danger) {
        (_, true) => "button danger",
        (true, false) => "button primary",
        (false, false) => "button",
    };
    view! {
        <button
            type="submit"
            class=class
            disabled=move || pending.get()
            aria-busy=move || pending.get().then_some("true")
        >
            {move || if pending.get() { "Working…" } else { label }}
        </button>
    }
}

/// An action that asks first: its button opens the question, beside the button that does it (a
/// `<details>`, so it asks the same before the page's scripts have loaded). Goes inside the
/// action's form.
#[component]
pub fn Confirm(
    label: &'static str,
    #[prop(into)] question: String,
    confirm: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional)] danger: bool,
) -> impl IntoView {
    view! {
        <details class="confirm">
            <summary class=if danger { "button danger" } else { "button" }>{label}</summary>
            <div class="confirm-panel">
                <p>{question}</p>
                <Submit pending label=confirm danger/>
            </div>
        </details>
    }
}
