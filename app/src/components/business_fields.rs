//! The fields of a business, for adding one and for editing one.

use leptos::prelude::*;

use crate::{
    components::choices::ChoiceSelect,
    error::AppError,
    work::{businesses::Business, Relationship},
};

/// The fields of a business form, named for [`crate::work::businesses::BusinessForm`] nested as
/// `form[…]`, filled from `initial` when editing. A field's error shows beside it.
#[component]
pub fn BusinessFields(
    error: Signal<Option<AppError>>,
    #[prop(optional)] initial: Option<Business>,
) -> impl IntoView {
    let v = |f: fn(&Business) -> String| initial.as_ref().map(f).unwrap_or_default();
    let field_error = move |name: &'static str| move || error.get().and_then(|e| e.for_field(name));
    let relationship = initial
        .as_ref()
        .map(|b| b.relationship.as_str())
        .unwrap_or(Relationship::Customer.as_str());
    view! {
        <div class="field">
            <label for="bf-name">"Name"</label>
            <input id="bf-name" name="form[name]" type="text" required maxlength="200" value=v(|b| b.name.clone())/>
            <p class="field-error">{field_error("name")}</p>
        </div>
        <div class="field">
            <label for="bf-relationship">"Relationship"</label>
            <ChoiceSelect id="bf-relationship" name="form[relationship]" options=Relationship::options() selected=relationship/>
        </div>
        <div class="field">
            <label for="bf-address">"Address"</label>
            <textarea id="bf-address" name="form[address]" rows="2" maxlength="500">{v(|b| b.address.clone())}</textarea>
            <p class="field-error">{field_error("address")}</p>
        </div>
        <div class="field">
            <label for="bf-phone">"Phone"</label>
            <input id="bf-phone" name="form[phone]" type="tel" maxlength="50" value=v(|b| b.phone.clone())/>
            <p class="field-error">{field_error("phone")}</p>
        </div>
        <div class="field">
            <label for="bf-website">"Website"</label>
            <input id="bf-website" name="form[website]" type="text" maxlength="500" value=v(|b| b.website.clone())/>
            <p class="field-error">{field_error("website")}</p>
        </div>
        <div class="field">
            <label for="bf-tags">"Tags (comma-separated)"</label>
            <input id="bf-tags" name="form[tags]" type="text" value=v(|b| b.tags.join(", "))/>
            <p class="field-error">{field_error("tags")}</p>
        </div>
        <div class="field">
            <label for="bf-notes">"Notes"</label>
            <textarea id="bf-notes" name="form[notes]" rows="3" maxlength="10000">{v(|b| b.notes.clone())}</textarea>
            <p class="field-error">{field_error("notes")}</p>
        </div>
    }
}

/// The names of a business form's fields: a form-wide message leaves out errors about these.
/// They are the CSV import's columns: one list of a business's fields.
pub const BUSINESS_FIELDS: &[&str] = &crate::work::csv_io::BUSINESS_COLUMNS;
