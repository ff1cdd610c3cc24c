//! `/staff`: the operator side. The incident register, organisations and people (what they are,
//! never what they hold), support access to one organisation's content for a stated reason
//! (recorded in its audit log), and the job queue's dead letters.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::{
    components::{
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError, Submit},
        private_meta::PrivateMeta,
        problem::LoadProblem,
    },
    error::AppError,
    staff::{
        forms::StaffSearchForm,
        functions::{
            dead_jobs, incidents, staff_organisations, staff_users, OpenIncident, SupportAccess,
        },
        register::CATEGORIES,
        DeadJob, StaffOrganisation, StaffUser, SupportView,
    },
};

#[component]
pub fn StaffPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || StaffSearchForm {
        q: query.read().get("q").unwrap_or_default(),
    };
    let open = ServerAction::<OpenIncident>::new();
    let support = ServerAction::<SupportAccess>::new();
    let list = Resource::new(move || open.version().get(), |_| incidents());
    let orgs = Resource::new(search, staff_organisations);
    let people = Resource::new(search, staff_users);
    let dead = Resource::new(|| (), |_| dead_jobs());
    view! {
        <PrivateMeta title="Staff"/>
        <div class="container staff">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                        Ok(list) => view! {
                            <h1>"Staff"</h1>
                            <section aria-labelledby="incidents-heading">
                                <h2 id="incidents-heading">"Incident register"</h2>
                                {if list.is_empty() {
                                    view! { <p>"No incidents recorded."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="table">
                                            <caption class="visually-hidden">"Incidents, newest first"</caption>
                                            <thead><tr><th scope="col">"Incident"</th><th scope="col">"Discovered"</th><th scope="col">"Where it stands"</th></tr></thead>
                                            <tbody>
                                                {list.into_iter().map(|i| view! {
                                                    <tr>
                                                        <td><a href=format!("/staff/incidents/{}", i.number)>{format!("INC-{}: {}", i.number, i.title)}</a></td>
                                                        <td>{i.discovered}</td>
                                                        <td>{i.state}</td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                                <OpenIncidentForm open/>
                            </section>
                            <Accounts orgs people support/>
                            <DeadLetters dead/>
                        }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// Organisations and people found by the search in the address, with support access.
#[component]
fn Accounts(
    orgs: Resource<Result<Vec<StaffOrganisation>, AppError>>,
    people: Resource<Result<Vec<StaffUser>, AppError>>,
    support: ServerAction<SupportAccess>,
) -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    view! {
        <section aria-labelledby="accounts-heading">
            <h2 id="accounts-heading">"Organisations and people"</h2>
            <form method="get" role="search" class="filters" aria-label="Search organisations and people">
                <div class="field">
                    <label for="staff-q">"Name, address or email"</label>
                    <input id="staff-q" name="q" type="search" value=q/>
                </div>
                <button type="submit" class="button">"Search"</button>
            </form>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match orgs.await {
                        Ok(orgs) => view! { <OrganisationTable orgs support/> }.into_any(),
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            <SupportResult support/>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match people.await {
                        Ok(people) => view! {
                            <table class="table">
                                <caption>"People"</caption>
                                <thead><tr>
                                    <th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Verified"</th>
                                    <th scope="col">"Two-factor"</th><th scope="col">"Organisations"</th><th scope="col">"Since"</th>
                                </tr></thead>
                                <tbody>
                                    {people.into_iter().map(|p| view! {
                                        <tr>
                                            <td>{p.name}{p.staff.then_some(" (staff)")}</td>
                                            <td>{p.email}</td>
                                            <td>{if p.verified { "Yes" } else { "No" }}</td>
                                            <td>{if p.two_factor { "On" } else { "Off" }}</td>
                                            <td>{p.organisations}</td>
                                            <td>{p.created}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The job queue's dead letters.
#[component]
fn DeadLetters(dead: Resource<Result<Vec<DeadJob>, AppError>>) -> impl IntoView {
    view! {
        <section aria-labelledby="dead-heading">
            <h2 id="dead-heading">"Dead letters"</h2>
            <p class="muted">"Jobs that used up their attempts. "<code>"server jobs retry ID"</code>" queues one again."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match dead.await {
                        Ok(jobs) if jobs.is_empty() => view! { <p>"None."</p> }.into_any(),
                        Ok(jobs) => view! {
                            <table class="table">
                                <caption class="visually-hidden">"Dead jobs, newest first"</caption>
                                <thead><tr><th scope="col">"Job"</th><th scope="col">"Kind"</th><th scope="col">"Attempts"</th><th scope="col">"Failed"</th><th scope="col">"Last error"</th></tr></thead>
                                <tbody>
                                    {jobs.into_iter().map(|j| view! {
                                        <tr><td>{j.id}</td><td><code>{j.kind}</code></td><td>{j.attempts}</td><td>{j.failed}</td><td>{j.error}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Organisations found, each with support access behind a stated reason.
#[component]
fn OrganisationTable(
    orgs: Vec<StaffOrganisation>,
    support: ServerAction<SupportAccess>,
) -> impl IntoView {
    view! {
        <table class="table">
            <caption>"Organisations"</caption>
            <thead><tr>
                <th scope="col">"Name"</th><th scope="col">"Address"</th><th scope="col">"Plan"</th>
                <th scope="col">"Billing"</th><th scope="col">"Members"</th><th scope="col">"Since"</th>
                <th scope="col">"Support access"</th>
            </tr></thead>
            <tbody>
                {orgs.into_iter().map(|o| {
                    let label = format!("Reason to view {}'s content", o.name);
                    let row = o.slug.clone();
                    view! {
                        <tr data-slug=row>
                            <td>{o.name}</td>
                            <td>{o.slug}</td>
                            <td>{o.plan}</td>
                            <td>{o.billing_status}</td>
                            <td>{o.members}</td>
                            <td>{o.created}</td>
                            <td>
                                <ActionForm action=support attr:class="inline">
                                    <CsrfField/>
                                    <input type="hidden" name="form[org_id]" value=o.org_id/>
                                    <input type="text" name="form[reason]" required aria-label=label placeholder="Reason (recorded in their audit log)"/>
                                    <Submit pending=support.pending() label="View content"/>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// What the latest support access showed.
#[component]
fn SupportResult(support: ServerAction<SupportAccess>) -> impl IntoView {
    let error = action_error(support);
    let shown = move || support.value().get().and_then(|r| r.ok());
    view! {
        <FormError error fields=&[]/>
        <FieldError error field="reason"/>
        {move || shown().map(|SupportView { name, businesses, open_issues, threads_waiting }| view! {
            <section class="card" aria-label="Support access" data-testid="support-view">
                <h3>{format!("{name}: content (this access is in its audit log)")}</h3>
                <p>{format!("{} businesses, {} open issues, {threads_waiting} conversations waiting.", businesses.len(), open_issues.len())}</p>
                <ul>
                    {open_issues.into_iter().map(|(n, title, status)| view! { <li>{format!("#{n} {title} ({status})")}</li> }).collect_view()}
                </ul>
            </section>
        })}
    }
}

#[component]
fn OpenIncidentForm(open: ServerAction<OpenIncident>) -> impl IntoView {
    let error = action_error(open);
    let opened = move || open.value().get().and_then(|r| r.ok());
    view! {
        <details class="card" open=move || error.get().is_some()>
            <summary>"Open an incident"</summary>
            <ActionForm action=open>
                <CsrfField/>
                <div class="field">
                    <label for="inc-title">"What happened, in a line"</label>
                    <input id="inc-title" name="form[title]" type="text" maxlength="200" required/>
                    <FieldError error field="title"/>
                </div>
                <div class="field">
                    <label for="inc-description">"Description"</label>
                    <textarea id="inc-description" name="form[description]" rows="4" required></textarea>
                    <FieldError error field="description"/>
                </div>
                <div class="field">
                    <label for="inc-discovered">"Discovered at (UTC)"</label>
                    <input id="inc-discovered" name="form[discovered_at]" type="datetime-local" required/>
                    <FieldError error field="discovered_at"/>
                </div>
                <fieldset class="field">
                    <legend>"Personal data involved"</legend>
                    {CATEGORIES.iter().map(|(id, label)| view! {
                        <label class="check"><input type="checkbox" name=format!("form[categories][{id}]") value="on"/>" "{*label}</label>
                    }).collect_view()}
                    <FieldError error field="categories"/>
                </fieldset>
                <fieldset class="field">
                    <legend>"Who is affected"</legend>
                    <label class="check"><input type="radio" name="form[scope]" value="all"/>" Everyone with an account"</label>
                    <label class="check"><input type="radio" name="form[scope]" value="chosen" checked/>" The organisations and people named below"</label>
                    <FieldError error field="scope"/>
                </fieldset>
                <div class="field">
                    <label for="inc-orgs">"Organisations (addresses, one per line)"</label>
                    <textarea id="inc-orgs" name="form[organisations]" rows="2"></textarea>
                    <FieldError error field="organisations"/>
                </div>
                <div class="field">
                    <label for="inc-people">"People (email addresses, one per line)"</label>
                    <textarea id="inc-people" name="form[people]" rows="2"></textarea>
                    <FieldError error field="people"/>
                </div>
                <FormError error fields=&["title", "description", "discovered_at", "categories", "scope", "organisations", "people"]/>
                <Submit pending=open.pending() label="Open the incident" primary=true/>
            </ActionForm>
        </details>
        {move || opened().map(|n| view! {
            <p role="status">"Opened "<a href=format!("/staff/incidents/{n}")>{format!("INC-{n}")}</a>"."</p>
        })}
    }
}
