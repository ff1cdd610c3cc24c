//! Pickers for the workspace's forms: a closed set of choices, or the organisation's members and
//! businesses once they have loaded.

use leptos::prelude::*;

use crate::{
    error::AppError,
    org::OrgContext,
    work::issues::{issue_choices, Choices},
};

/// A `<select>` over a closed set of choices (stored name, label), with an optional "any"
/// first option whose value is empty.
#[component]
pub fn ChoiceSelect(
    #[prop(into)] id: String,
    name: &'static str,
    options: Vec<(&'static str, &'static str)>,
    #[prop(into)] selected: String,
    #[prop(optional)] any: Option<&'static str>,
) -> impl IntoView {
    view! {
        <select id=id name=name>
            {any.map(|label| view! { <option value="">{label}</option> })}
            {options.into_iter().map(|(value, label)| {
                let is = value == selected;
                view! { <option value=value selected=is>{label}</option> }
            }).collect_view()}
        </select>
    }
}

/// The organisation's members and businesses, loaded once per page for all its pickers.
pub type ChoicesResource = Resource<Result<Choices, AppError>>;

pub fn choices_resource() -> ChoicesResource {
    let slug = expect_context::<OrgContext>().slug;
    Resource::new(|| (), move |_| issue_choices(slug.clone()))
}

/// A `<select>` over the organisation's members (or its businesses), once they have loaded.
/// `first` is the option that means "any", "none" or "leave as is"; `extra`, if given, comes
/// next (such as "nobody").
#[component]
pub fn NamedSelect(
    choices: ChoicesResource,
    #[prop(into)] id: String,
    name: &'static str,
    members: bool,
    #[prop(into)] selected: String,
    first: (&'static str, &'static str),
    #[prop(optional)] extra: Option<(&'static str, &'static str)>,
) -> impl IntoView {
    let fallback = {
        let id = id.clone();
        move || view! { <select id=id.clone() name=name disabled><option>"Loading…"</option></select> }
    };
    view! {
        <Suspense fallback>
            {move || {
                let (id, selected) = (id.clone(), selected.clone());
                Suspend::new(async move {
                    let c = choices.await.unwrap_or_default();
                    let list = if members { c.members } else { c.businesses };
                    view! {
                        <select id=id name=name>
                            <option value=first.0>{first.1}</option>
                            {extra.map(|(value, label)| view! { <option value=value selected=selected == value>{label}</option> })}
                            {list.into_iter().map(|n| {
                                let is = n.id == selected;
                                view! { <option value=n.id selected=is>{n.name}</option> }
                            }).collect_view()}
                        </select>
                    }
                })
            }}
        </Suspense>
    }
}
