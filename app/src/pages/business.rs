//! One business: its details and issues, and for the roles that may, editing, archiving and
//! deleting it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::{
    components::{
        business_fields::{BusinessFields, BUSINESS_FIELDS},
        enrichment::BusinessEnrichment,
        forms::{action_error, Confirm, CsrfField, FormError, Submit},
        issue_table::IssueTable,
        problem::LoadProblem,
    },
    error::AppError,
    org::OrgContext,
    roles::Permission,
    work::{
        businesses::{get_business, ArchiveBusiness, Business, DeleteBusiness, UpdateBusiness},
        enrichment::CopyFromGoogle,
    },
};

#[component]
pub fn BusinessPage() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let update = ServerAction::<UpdateBusiness>::new();
    let archive = ServerAction::<ArchiveBusiness>::new();
    let delete = ServerAction::<DeleteBusiness>::new();
    let copy = ServerAction::<CopyFromGoogle>::new();
    let error = Signal::derive(move || {
        action_error(update)
            .get()
            .or_else(|| action_error(archive).get())
            .or_else(|| action_error(delete).get())
    });
    let slug = ctx.slug.clone();
    let business = Resource::new(
        move || {
            (
                use_params_map().read().get("id").unwrap_or_default(),
                update.version().get(),
                archive.version().get(),
                copy.version().get(),
            )
        },
        move |(id, ..)| get_business(slug.clone(), id),
    );
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let ctx = ctx.clone();
                Suspend::new(async move {
                    let b = match business.await {
                        Ok(b) => b,
                        Err(e) => return view! { <LoadProblem error=e/> }.into_any(),
                    };
                    let can_edit = ctx.role.allows(Permission::Edit);
                    let can_archive = ctx.role.allows(Permission::ArchiveDelete);
                    view! {
                        <BusinessFacts business=b.clone()/>
                        <BusinessEnrichment business_id=b.id.clone() copy/>
                        <h2>"Issues"</h2>
                        <IssueTable issues=b.issues.clone() slug=ctx.slug.clone()/>
                        <FormError error fields=BUSINESS_FIELDS/>
                        {can_edit.then(|| view! { <EditBusiness update error business=b.clone()/> })}
                        {can_archive.then(|| view! { <ArchiveOrDelete archive delete business=b.clone()/> })}
                    }.into_any()
                })
            }}
        </Transition>
    }
}

/// The business's name and details as stored.
#[component]
fn BusinessFacts(business: Business) -> impl IntoView {
    let b = business;
    view! {
        <h1>{b.name.clone()} {b.archived.then(|| view! { " " <span class="badge">"Archived"</span> })}</h1>
        <dl class="facts">
            <dt>"Relationship"</dt><dd>{b.relationship.label()}</dd>
            <dt>"Address"</dt><dd class="pre">{b.address.clone()}</dd>
            <dt>"Phone"</dt><dd>{b.phone.clone()}</dd>
            <dt>"Website"</dt><dd>{(!b.website.is_empty()).then(|| view! { <a href=b.website.clone() rel="noopener noreferrer nofollow">{b.website.clone()}</a> })}</dd>
            <dt>"Tags"</dt><dd>{b.tags.join(", ")}</dd>
            <dt>"Notes"</dt><dd class="pre">{b.notes.clone()}</dd>
        </dl>
    }
}

/// The edit form, made from the copy on the page: saving it after someone else saved is refused.
#[component]
fn EditBusiness(
    update: ServerAction<UpdateBusiness>,
    error: Signal<Option<AppError>>,
    business: Business,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    view! {
        <h2>"Edit"</h2>
        <ActionForm action=update attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="business_id" value=business.id.clone()/>
            <input type="hidden" name="version" value=business.version.to_string()/>
            <BusinessFields error initial=business/>
            <button type="submit" class="button primary">"Save changes"</button>
        </ActionForm>
    }
}

/// Archive (asked first) or restore, for the roles that may; an archived business may then be
/// deleted for good by an Owner or Admin.
#[component]
fn ArchiveOrDelete(
    archive: ServerAction<ArchiveBusiness>,
    delete: ServerAction<DeleteBusiness>,
    business: Business,
) -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let slug = ctx.slug.clone();
    let archived = business.archived;
    let can_purge = archived && ctx.role.allows(Permission::Purge);
    let (archive_slug, archive_id) = (slug.clone(), business.id.clone());
    let name = business.name.clone();
    view! {
        <div class="row-actions">
            <ActionForm action=archive attr:class="inline">
                <CsrfField/>
                <input type="hidden" name="slug" value=archive_slug/>
                <input type="hidden" name="business_id" value=archive_id/>
                <input type="hidden" name="archived" value=(!archived).to_string()/>
                {if archived {
                    view! { <Submit pending=archive.pending() label="Restore"/> }.into_any()
                } else {
                    view! {
                        <Confirm label="Archive" confirm="Archive it" pending=archive.pending()
                            question=format!("Archive {name}? It leaves the register and its pickers; its issues stay. It can be restored.")/>
                    }.into_any()
                }}
            </ActionForm>
            {can_purge.then(|| view! {
                <ActionForm action=delete attr:class="inline">
                    <CsrfField/>
                    <input type="hidden" name="slug" value=slug/>
                    <input type="hidden" name="business_id" value=business.id/>
                    <Confirm label="Delete for good" confirm="Delete for good" danger=true pending=delete.pending()
                        question=format!("Delete {} for good? Its issues stay, no longer linked to it. This cannot be undone.", business.name)/>
                </ActionForm>
            })}
        </div>
    }
}
