//! `/o`: the organisations the user belongs to, and creating one.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    components::{
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError},
        private_meta::PrivateMeta,
        problem::LoadProblem,
    },
    domain::Slug,
    org::{
        functions::{list_organisations, CreateOrganisation},
        OrgSummary,
    },
};

#[component]
pub fn OrganisationsPage() -> impl IntoView {
    let orgs = Resource::new(|| (), |_| list_organisations());
    let deleted = move || use_query_map().read().get("deleted").is_some();
    view! {
        <PrivateMeta title="Your organisations"/>
        <section class="container narrow">
            <Show when=deleted>
                <p class="notice" role="status">"The organisation and everything in it was deleted."</p>
            </Show>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match orgs.await {
                        Ok(list) => view! {
                            <h1>"Your organisations"</h1>
                            <OrganisationList list/>
                        }.into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })}
            </Transition>
            <NewOrganisationForm/>
        </section>
    }
}

#[component]
fn OrganisationList(list: Vec<OrgSummary>) -> impl IntoView {
    if list.is_empty() {
        return view! { <p>"You do not belong to an organisation yet. Create one below, or ask a colleague to invite you."</p> }.into_any();
    }
    view! {
        <ul class="org-list">
            {list.into_iter().map(|o| view! {
                <li class="card">
                    <A href=format!("/o/{}/members", o.slug)>{o.name}</A>
                    " " <span class="badge">{o.role.label()}</span>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Creating an organisation; the address it will get is shown as the name is typed.
#[component]
fn NewOrganisationForm() -> impl IntoView {
    let create = ServerAction::<CreateOrganisation>::new();
    let error = action_error(create);
    let name = RwSignal::new(String::new());
    let slug_hint = move || {
        let n = name.get();
        (!n.trim().is_empty())
            .then(|| format!("Leave empty to use /o/{}", Slug::derive(&n).as_str()))
    };
    view! {
        <h2>"Create an organisation"</h2>
        <ActionForm action=create attr:class="stack">
            <CsrfField/>
            <div class="field">
                <label for="org-name">"Name"</label>
                <input id="org-name" name="form[name]" type="text" required maxlength="100"
                    on:input=move |ev| name.set(event_target_value(&ev))/>
                <FieldError error field="name"/>
            </div>
            <div class="field">
                <label for="org-slug">"Address (optional)"</label>
                <input id="org-slug" name="form[slug]" type="text" maxlength="40" aria-describedby="org-slug-help"/>
                <p id="org-slug-help" class="muted">{move || slug_hint().unwrap_or_else(|| "Lowercase letters, digits and hyphens.".into())}</p>
                <FieldError error field="slug"/>
            </div>
            <FormError error fields=&["name", "slug"]/>
            <button type="submit" class="button primary">"Create organisation"</button>
        </ActionForm>
    }
}
