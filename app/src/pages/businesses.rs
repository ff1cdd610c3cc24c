//! The businesses register: search, the list a page at a time, adding a business and CSV tools.
//! What the page offers comes from the roles matrix; the server checks it again on every call.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    components::{
        address::{percent_encode, query},
        business_fields::{BusinessFields, BUSINESS_FIELDS},
        choices::ChoiceSelect,
        csv_tools::BusinessCsv,
        enrichment::{Imported, RegisterEnrichmentPanel},
        forms::{action_error, CsrfField, FormError},
        problem::LoadProblem,
    },
    org::OrgContext,
    roles::Permission,
    work::{
        businesses::{list_businesses, BusinessQuery, CreateBusiness},
        Relationship,
    },
};

#[component]
pub fn BusinessesPage() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let create = ServerAction::<CreateBusiness>::new();
    provide_context(Imported(RwSignal::new(0)));
    view! {
        <h1>"Businesses"</h1>
        <BusinessSearch/>
        <BusinessList create/>
        <RegisterEnrichmentPanel/>
        {ctx.role.allows(Permission::Edit).then(|| view! { <AddBusiness create/> })}
        <BusinessCsv/>
    }
}

/// The list's search as a plain GET form: the address says what is shown.
#[component]
fn BusinessSearch() -> impl IntoView {
    view! {
        <form method="get" class="filters" role="search" aria-label="Search businesses">
            <div class="field">
                <label for="b-q">"Search"</label>
                <input id="b-q" name="q" type="search" value=query("q") placeholder="Name or address"/>
            </div>
            <div class="field">
                <label for="b-rel">"Relationship"</label>
                <ChoiceSelect id="b-rel" name="relationship" options=Relationship::options() selected=query("relationship") any="Any"/>
            </div>
            <div class="field">
                <label for="b-tag">"Tag"</label>
                <input id="b-tag" name="tag" type="text" value=query("tag")/>
            </div>
            <button type="submit" class="button">"Search"</button>
        </form>
    }
}

/// The businesses the address asks for, a page at a time; loaded again when one is added.
#[component]
fn BusinessList(create: ServerAction<CreateBusiness>) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let list_slug = slug.clone();
    let page = Resource::new(
        move || {
            let query = BusinessQuery {
                q: query("q"),
                relationship: query("relationship"),
                tag: query("tag"),
                archived: false,
                after: query("after"),
            };
            (query, create.version().get())
        },
        move |(query, _)| list_businesses(list_slug.clone(), query),
    );
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    match page.await {
                        Ok(p) if p.items.is_empty() => view! {
                            <p class="empty">"No businesses match. Add your own sites and the businesses you deal with below."</p>
                        }.into_any(),
                        Ok(p) => view! {
                            <table class="table">
                                <caption class="visually-hidden">"Businesses"</caption>
                                <thead><tr><th scope="col">"Name"</th><th scope="col">"Relationship"</th><th scope="col">"Address"</th><th scope="col">"Open issues"</th></tr></thead>
                                <tbody>
                                    {p.items.into_iter().map(|b| view! {
                                        <tr>
                                            <td><A href=format!("/o/{}/businesses/{}", slug, b.id)>{b.name}</A></td>
                                            <td>{b.relationship.label()}</td>
                                            <td>{b.address}</td>
                                            <td>{b.open_issues}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {p.next.map(|next| view! {
                                <p><a href=format!("?q={}&relationship={}&tag={}&after={}", percent_encode(&query("q")), percent_encode(&query("relationship")), percent_encode(&query("tag")), percent_encode(&next))>"Next page"</a></p>
                            })}
                        }.into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// The form that adds a business.
#[component]
fn AddBusiness(create: ServerAction<CreateBusiness>) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(create);
    view! {
        <h2>"Add a business"</h2>
        <ActionForm action=create attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <BusinessFields error/>
            <FormError error fields=BUSINESS_FIELDS/>
            <Show when=move || matches!(create.value().get(), Some(Ok(_)))>
                <p role="status">"Business added."</p>
            </Show>
            <button type="submit" class="button primary">"Add business"</button>
        </ActionForm>
    }
}
