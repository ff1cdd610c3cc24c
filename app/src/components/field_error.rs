//! The message under a form field when the server refused that field.

use leptos::prelude::*;

use crate::error::AppError;

/// The latest error's message about `field`, if it is about that field. `field` is the name the
/// server's error gives, which is the form field's name without its `form[…]` wrapping.
#[component]
pub fn FieldError(error: Signal<Option<AppError>>, field: &'static str) -> impl IntoView {
    view! {
        <p class="field-error">{move || error.get().and_then(|e| e.for_field(field))}</p>
    }
}
