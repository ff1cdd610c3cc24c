//! The workspace pages: businesses and issues, their lists, detail pages and the board. What each
//! page offers comes from the roles matrix; the server checks it again on every call.

use leptos::prelude::*;
use leptos_router::{
    components::A,
    hooks::use_params_map,
};

use crate::{
    components::{
        address::{current_pairs, percent_encode, query, query_string},
        forms::{action_error, CsrfField, FormError},
        problem::LoadProblem,
    },
    error::AppError,
    org::OrgContext,
    roles::Permission,
    work::{
        businesses::{
            get_business, list_businesses, ArchiveBusiness, CreateBusiness, DeleteBusiness,
            UpdateBusiness,
        },
        csv_io::{
            ExportBusinesses, ExportIssues, ImportBusinesses, ImportIssues, ImportReport,
            BUSINESS_COLUMNS, ISSUE_COLUMNS,
        },
        issues::{
            get_issue, issue_choices, list_issues, move_issue, AddComment, BulkUpdate, Choices,
            CreateIssue, DeleteIssue, IssueSummary, UpdateIssue,
        },
        IssueKind, IssueOrder, Priority, Relationship, Status,
    },
};

fn org() -> OrgContext {
    expect_context::<OrgContext>()
}

/// A `<select>` over a closed set of choices, with an optional "any" first option.
#[component]
fn ChoiceSelect(
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

type ChoicesResource = Resource<Result<Choices, AppError>>;

fn choices_resource() -> ChoicesResource {
    let slug = org().slug;
    Resource::new(|| (), move |_| issue_choices(slug.clone()))
}

/// A `<select>` over the organisation's members (or its businesses), once they have loaded.
/// `first` is the option that means "any", "none" or "leave as is".
#[component]
fn NamedSelect(
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

fn relationships() -> Vec<(&'static str, &'static str)> {
    Relationship::ALL
        .iter()
        .map(|r| (r.as_str(), r.label()))
        .collect()
}
fn statuses() -> Vec<(&'static str, &'static str)> {
    Status::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect()
}
fn priorities() -> Vec<(&'static str, &'static str)> {
    Priority::ALL
        .iter()
        .map(|p| (p.as_str(), p.label()))
        .collect()
}
fn orders() -> Vec<(&'static str, &'static str)> {
    IssueOrder::ALL
        .iter()
        .map(|o| (o.as_str(), o.label()))
        .collect()
}
fn kinds() -> Vec<(&'static str, &'static str)> {
    IssueKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.label()))
        .collect()
}

#[component]
pub fn BusinessesPage() -> impl IntoView {
    let ctx = org();
    let create = ServerAction::<CreateBusiness>::new();
    let create_error = action_error(create);
    let slug = ctx.slug.clone();
    let page = Resource::new(
        move || {
            (
                query("q"),
                query("relationship"),
                query("tag"),
                query("after"),
                create.version().get(),
            )
        },
        move |(q, relationship, tag, after, _)| {
            list_businesses(
                slug.clone(),
                q,
                relationship,
                tag,
                false,
                Some(after).filter(|a| !a.is_empty()),
            )
        },
    );
    let slug = ctx.slug.clone();
    view! {
        <h1>"Businesses"</h1>
        <form method="get" class="filters" role="search" aria-label="Search businesses">
            <div class="field">
                <label for="b-q">"Search"</label>
                <input id="b-q" name="q" type="search" value=query("q") placeholder="Name or address"/>
            </div>
            <div class="field">
                <label for="b-rel">"Relationship"</label>
                <ChoiceSelect id="b-rel" name="relationship" options=relationships() selected=query("relationship") any="Any"/>
            </div>
            <div class="field">
                <label for="b-tag">"Tag"</label>
                <input id="b-tag" name="tag" type="text" value=query("tag")/>
            </div>
            <button type="submit" class="button">"Search"</button>
        </form>
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
        {ctx.role.allows(Permission::Edit).then(|| view! {
            <h2>"Add a business"</h2>
            <ActionForm action=create attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="slug" value=ctx.slug.clone()/>
                <BusinessFields error=create_error/>
                <FormError error=create_error fields=&["name", "relationship", "address", "phone", "website", "notes", "tags"]/>
                <Show when=move || matches!(create.value().get(), Some(Ok(_)))>
                    <p role="status">"Business added."</p>
                </Show>
                <button type="submit" class="button primary">"Add business"</button>
            </ActionForm>
        })}
        <BusinessCsv/>
    }
}

/// The fields of a business form, filled from `initial` when editing.
#[component]
fn BusinessFields(
    error: Signal<Option<AppError>>,
    #[prop(optional)] initial: Option<crate::work::businesses::Business>,
) -> impl IntoView {
    let v = |f: fn(&crate::work::businesses::Business) -> String| {
        initial.as_ref().map(f).unwrap_or_default()
    };
    let field_error = move |name: &'static str| move || error.get().and_then(|e| e.for_field(name));
    let relationship = initial
        .as_ref()
        .map(|b| b.relationship.as_str())
        .unwrap_or("customer");
    view! {
        <div class="field">
            <label for="bf-name">"Name"</label>
            <input id="bf-name" name="name" type="text" required maxlength="200" value=v(|b| b.name.clone())/>
            <p class="field-error">{field_error("name")}</p>
        </div>
        <div class="field">
            <label for="bf-relationship">"Relationship"</label>
            <ChoiceSelect id="bf-relationship" name="relationship" options=relationships() selected=relationship/>
        </div>
        <div class="field">
            <label for="bf-address">"Address"</label>
            <textarea id="bf-address" name="address" rows="2" maxlength="500">{v(|b| b.address.clone())}</textarea>
            <p class="field-error">{field_error("address")}</p>
        </div>
        <div class="field">
            <label for="bf-phone">"Phone"</label>
            <input id="bf-phone" name="phone" type="tel" maxlength="50" value=v(|b| b.phone.clone())/>
            <p class="field-error">{field_error("phone")}</p>
        </div>
        <div class="field">
            <label for="bf-website">"Website"</label>
            <input id="bf-website" name="website" type="text" maxlength="500" value=v(|b| b.website.clone())/>
            <p class="field-error">{field_error("website")}</p>
        </div>
        <div class="field">
            <label for="bf-tags">"Tags (comma-separated)"</label>
            <input id="bf-tags" name="tags" type="text" value=v(|b| b.tags.join(", "))/>
            <p class="field-error">{field_error("tags")}</p>
        </div>
        <div class="field">
            <label for="bf-notes">"Notes"</label>
            <textarea id="bf-notes" name="notes" rows="3" maxlength="10000">{v(|b| b.notes.clone())}</textarea>
            <p class="field-error">{field_error("notes")}</p>
        </div>
    }
}

#[component]
pub fn BusinessPage() -> impl IntoView {
    let ctx = org();
    let update = ServerAction::<UpdateBusiness>::new();
    let archive = ServerAction::<ArchiveBusiness>::new();
    let delete = ServerAction::<DeleteBusiness>::new();
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
            )
        },
        move |(id, _, _)| get_business(slug.clone(), id),
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
                    let (slug_a, slug_b, slug_c) = (ctx.slug.clone(), ctx.slug.clone(), ctx.slug.clone());
                    let (id_a, id_b, id_c) = (b.id.clone(), b.id.clone(), b.id.clone());
                    let archived = b.archived;
                    view! {
                        <h1>{b.name.clone()} {archived.then(|| view! { " " <span class="badge">"Archived"</span> })}</h1>
                        <dl class="facts">
                            <dt>"Relationship"</dt><dd>{b.relationship.label()}</dd>
                            <dt>"Address"</dt><dd class="pre">{b.address.clone()}</dd>
                            <dt>"Phone"</dt><dd>{b.phone.clone()}</dd>
                            <dt>"Website"</dt><dd>{(!b.website.is_empty()).then(|| view! { <a href=b.website.clone() rel="noopener noreferrer nofollow">{b.website.clone()}</a> })}</dd>
                            <dt>"Tags"</dt><dd>{b.tags.join(", ")}</dd>
                            <dt>"Notes"</dt><dd class="pre">{b.notes.clone()}</dd>
                        </dl>
                        <h2>"Issues"</h2>
                        <IssueTable issues=b.issues.clone() slug=ctx.slug.clone()/>
                        <FormError error fields=&["name", "relationship", "address", "phone", "website", "notes", "tags"]/>
                        {can_edit.then(|| view! {
                            <h2>"Edit"</h2>
                            <ActionForm action=update attr:class="stack">
                                <CsrfField/>
                                <input type="hidden" name="slug" value=slug_a/>
                                <input type="hidden" name="business_id" value=id_a/>
                                <input type="hidden" name="version" value=b.version.to_string()/>
                                <BusinessFields error initial=b.clone()/>
                                <button type="submit" class="button primary">"Save changes"</button>
                            </ActionForm>
                        })}
                        {can_archive.then(|| view! {
                            <div class="row-actions">
                                <ActionForm action=archive attr:class="inline">
                                    <CsrfField/>
                                    <input type="hidden" name="slug" value=slug_b/>
                                    <input type="hidden" name="business_id" value=id_b/>
                                    <input type="hidden" name="archived" value=(!archived).to_string()/>
                                    <button type="submit" class="button">{if archived { "Restore" } else { "Archive" }}</button>
                                </ActionForm>
                                <ActionForm action=delete attr:class="inline">
                                    <CsrfField/>
                                    <input type="hidden" name="slug" value=slug_c/>
                                    <input type="hidden" name="business_id" value=id_c/>
                                    <button type="submit" class="button danger">"Delete business"</button>
                                </ActionForm>
                            </div>
                        })}
                    }.into_any()
                })
            }}
        </Transition>
    }
}

/// Issues as a table; with `selection`, each row has a box to include it in a bulk change.
#[component]
fn IssueTable(
    issues: Vec<IssueSummary>,
    slug: String,
    #[prop(default = None)] selection: Option<RwSignal<Vec<i32>>>,
) -> impl IntoView {
    if issues.is_empty() {
        return view! { <p class="empty">"No issues match. Open one below, or change the filters."</p> }.into_any();
    }
    view! {
        <table class="table issues">
            <caption class="visually-hidden">"Issues"</caption>
            <thead><tr>
                {selection.map(|_| view! { <th scope="col"><span class="visually-hidden">"Select"</span></th> })}
                <th scope="col">"#"</th><th scope="col">"Title"</th><th scope="col">"Priority"</th>
                <th scope="col">"Status"</th><th scope="col">"Business"</th><th scope="col">"Assignee"</th><th scope="col">"Due"</th>
            </tr></thead>
            <tbody>
                {issues.into_iter().map(|i| {
                    let n = i.number;
                    view! {
                        <tr data-number=n>
                            {selection.map(|sel| view! {
                                <td>
                                    <input type="checkbox" aria-label=format!("Select #{n}")
                                        prop:checked=move || sel.read().contains(&n)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            sel.update(|s| { s.retain(|x| *x != n); if on { s.push(n); } });
                                        }/>
                                </td>
                            })}
                            <td>{format!("#{n}")}</td>
                            <td><A href=format!("/o/{}/issues/{}", slug, n)>{i.title}</A></td>
                            <td>{i.priority.label()}</td>
                            <td>{i.status.label()}</td>
                            <td>{i.business.unwrap_or_default()}</td>
                            <td>{i.assignee.unwrap_or_default()}</td>
                            <td>{i.due_on.unwrap_or_default()} {i.overdue.then(|| view! { " " <span class="badge warn">"Overdue"</span> })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The current address with `after` set: the next page of the same list.
fn next_page(after: &str) -> String {
    let mut pairs = current_pairs(&["status", "priority", "assignee", "business", "overdue", "order"]);
    pairs.push(("after".into(), after.to_string()));
    query_string(&pairs)
}

#[component]
pub fn IssuesPage() -> impl IntoView {
    let ctx = org();
    let create = ServerAction::<CreateIssue>::new();
    let create_error = action_error(create);
    let bulk = ServerAction::<BulkUpdate>::new();
    let bulk_error = action_error(bulk);
    let selection = RwSignal::new(Vec::<i32>::new());
    let choices = choices_resource();
    let slug = ctx.slug.clone();
    let page = Resource::new(
        move || {
            (
                (
                    query("status"),
                    query("priority"),
                    query("assignee"),
                    query("business"),
                ),
                (query("overdue") == "true", query("order"), query("after")),
                (create.version().get(), bulk.version().get()),
            )
        },
        move |((status, priority, assignee, business), (overdue, order, after), _)| {
            list_issues(
                slug.clone(),
                status,
                priority,
                assignee,
                business,
                overdue,
                order,
                after,
            )
        },
    );
    // A bulk change that went through empties the selection; a new issue empties its form.
    Effect::new(move |_| {
        if matches!(bulk.value().get(), Some(Ok(_))) {
            selection.set(Vec::new());
        }
    });
    let new_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            if let Some(form) = new_form.get_untracked() {
                form.reset();
            }
        }
    });
    let can_edit = ctx.role.allows(Permission::Edit);
    let slug = ctx.slug.clone();
    let bulk_slug = ctx.slug.clone();
    view! {
        <h1>"Issues"</h1>
        <form method="get" class="filters" role="search" aria-label="Filter issues">
            <div class="field">
                <label for="i-status">"Status"</label>
                <ChoiceSelect id="i-status" name="status" options=statuses() selected=query("status") any="Any"/>
            </div>
            <div class="field">
                <label for="i-priority">"Priority"</label>
                <ChoiceSelect id="i-priority" name="priority" options=priorities() selected=query("priority") any="Any"/>
            </div>
            <div class="field">
                <label for="i-assignee">"Assignee"</label>
                <NamedSelect choices id="i-assignee" name="assignee" members=true selected=query("assignee") first=("", "Anyone")/>
            </div>
            <div class="field">
                <label for="i-business">"Business"</label>
                <NamedSelect choices id="i-business" name="business" members=false selected=query("business") first=("", "Any")/>
            </div>
            <label class="check"><input type="checkbox" name="overdue" value="true" checked=query("overdue") == "true"/> " Overdue only"</label>
            <div class="field">
                <label for="i-order">"Order"</label>
                <ChoiceSelect id="i-order" name="order" options=orders() selected=query("order")/>
            </div>
            <button type="submit" class="button">"Filter"</button>
        </form>
        {can_edit.then(|| view! {
            <ActionForm action=bulk attr:class="filters bulk" attr:aria-label="Change the selected issues">
                <CsrfField/>
                <input type="hidden" name="slug" value=bulk_slug.clone()/>
                <input type="hidden" name="numbers" prop:value=move || {
                    selection.get().iter().map(i32::to_string).collect::<Vec<_>>().join(",")
                }/>
                <div class="field">
                    <label for="bulk-status">"Set status"</label>
                    <ChoiceSelect id="bulk-status" name="status" options=statuses() selected="" any="Leave as is"/>
                </div>
                <div class="field">
                    <label for="bulk-assignee">"Set assignee"</label>
                    <NamedSelect choices id="bulk-assignee" name="assignee_id" members=true selected="" first=("", "Leave as is") extra=("none", "Nobody")/>
                </div>
                <button type="submit" class="button" disabled=move || selection.read().is_empty()>
                    {move || match selection.read().len() {
                        0 => "Select issues to change".to_string(),
                        1 => "Change 1 issue".to_string(),
                        n => format!("Change {n} issues"),
                    }}
                </button>
                <FormError error=bulk_error fields=&[]/>
                <p role="status">{move || bulk.value().get().and_then(|r| r.ok()).map(|n| format!("Changed {n} issues."))}</p>
            </ActionForm>
        })}
        <Transition fallback=|| view! { <p aria-busy="true">"Loading the issues…"</p> }>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! {
                            <IssueTable issues=p.items slug selection=can_edit.then_some(selection)/>
                            {p.next.map(|n| view! { <p><a href=next_page(&n)>"Next page"</a></p> })}
                        }.into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })
            }}
        </Transition>
        {can_edit.then(|| view! {
            <h2>"New issue"</h2>
            <ActionForm action=create node_ref=new_form attr:class="stack">
                <CsrfField/>
                <input type="hidden" name="slug" value=ctx.slug.clone()/>
                <div class="field">
                    <label for="ni-title">"Title"</label>
                    <input id="ni-title" name="title" type="text" required maxlength="200"/>
                    <p class="field-error">{move || create_error.get().and_then(|e| e.for_field("title"))}</p>
                </div>
                <div class="field">
                    <label for="ni-description">"Description"</label>
                    <textarea id="ni-description" name="description" rows="3"></textarea>
                </div>
                <div class="field">
                    <label for="ni-kind">"Kind"</label>
                    <ChoiceSelect id="ni-kind" name="kind" options=kinds() selected="task"/>
                </div>
                <div class="field">
                    <label for="ni-priority">"Priority"</label>
                    <ChoiceSelect id="ni-priority" name="priority" options=priorities() selected="normal"/>
                </div>
                <div class="field">
                    <label for="ni-due">"Due date"</label>
                    <input id="ni-due" name="due_on" type="date"/>
                    <p class="field-error">{move || create_error.get().and_then(|e| e.for_field("due_on"))}</p>
                </div>
                <div class="field">
                    <label for="ni-business">"Business"</label>
                    <NamedSelect choices id="ni-business" name="business_id" members=false selected="" first=("", "None")/>
                </div>
                <div class="field">
                    <label for="ni-assignee">"Assignee"</label>
                    <NamedSelect choices id="ni-assignee" name="assignee_id" members=true selected="" first=("", "Nobody")/>
                </div>
                <FormError error=create_error fields=&["title", "due_on"]/>
                <Show when=move || matches!(create.value().get(), Some(Ok(_)))>
                    <p role="status">{move || create.value().get().and_then(|r| r.ok()).map(|n| format!("Issue #{n} opened."))}</p>
                </Show>
                <button type="submit" class="button primary">"Open issue"</button>
            </ActionForm>
        })}
        <IssueCsv/>
    }
}

#[component]
pub fn IssuePage() -> impl IntoView {
    let ctx = org();
    let update = ServerAction::<UpdateIssue>::new();
    let comment = ServerAction::<AddComment>::new();
    let delete = ServerAction::<DeleteIssue>::new();
    let update_error = action_error(update);
    let comment_error = action_error(comment);
    let delete_error = action_error(delete);
    let choices = choices_resource();
    let slug = ctx.slug.clone();
    let issue = Resource::new(
        move || {
            (
                use_params_map().read().get("number").unwrap_or_default(),
                update.version().get(),
                comment.version().get(),
            )
        },
        move |(number, _, _)| {
            let slug = slug.clone();
            async move {
                match number.parse::<i32>() {
                    Ok(n) => get_issue(slug, n).await,
                    Err(_) => Err(AppError::NotFound),
                }
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                let ctx = ctx.clone();
                Suspend::new(async move {
                    let i = match issue.await {
                        Ok(i) => i,
                        Err(e) => return view! { <LoadProblem error=e/> }.into_any(),
                    };
                    let s = i.summary.clone();
                    let (slug_a, slug_b, slug_c) = (ctx.slug.clone(), ctx.slug.clone(), ctx.slug.clone());
                    let (id_a, id_b, id_c) = (s.id.clone(), s.id.clone(), s.id.clone());
                    view! {
                        <h1>{format!("#{} {}", s.number, s.title)}</h1>
                        <dl class="facts">
                            <dt>"Status"</dt><dd>{s.status.label()}</dd>
                            <dt>"Priority"</dt><dd>{s.priority.label()}</dd>
                            <dt>"Kind"</dt><dd>{s.kind.label()}</dd>
                            <dt>"Business"</dt><dd>{s.business.clone().unwrap_or_else(|| "None".into())}</dd>
                            <dt>"Assignee"</dt><dd>{s.assignee.clone().unwrap_or_else(|| "Nobody".into())}</dd>
                            <dt>"Due"</dt><dd>{s.due_on.clone().unwrap_or_else(|| "No date".into())}</dd>
                            <dt>"Opened"</dt><dd>{format!("{} by {}", i.created_at, i.created_by)}</dd>
                        </dl>
                        <h2>"Description"</h2>
                        <PlainText text=i.description.clone()/>
                        <h2>"Comments"</h2>
                        {if i.comments.is_empty() { view! { <p class="empty">"No comments yet."</p> }.into_any() } else {
                            view! {
                                <ol class="comments">
                                    {i.comments.iter().cloned().map(|c| view! {
                                        <li class="card"><p class="muted">{format!("{} · {}", c.author, c.at)}</p><PlainText text=c.body/></li>
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }}
                        {ctx.role.allows(Permission::Edit).then(|| view! {
                            <ActionForm action=comment attr:class="stack">
                                <CsrfField/>
                                <input type="hidden" name="slug" value=slug_a/>
                                <input type="hidden" name="issue_id" value=id_a/>
                                <div class="field">
                                    <label for="c-body">"Add a comment"</label>
                                    <textarea id="c-body" name="body" rows="3" required></textarea>
                                </div>
                                <FormError error=comment_error fields=&[]/>
                                <button type="submit" class="button">"Comment"</button>
                            </ActionForm>
                            <h2>"Edit"</h2>
                            <ActionForm action=update attr:class="stack">
                                <CsrfField/>
                                <input type="hidden" name="slug" value=slug_b/>
                                <input type="hidden" name="issue_id" value=id_b/>
                                <input type="hidden" name="version" value=s.version.to_string()/>
                                <div class="field">
                                    <label for="e-title">"Title"</label>
                                    <input id="e-title" name="title" type="text" required value=s.title.clone()/>
                                </div>
                                <div class="field">
                                    <label for="e-description">"Description"</label>
                                    <textarea id="e-description" name="description" rows="4">{i.description.clone()}</textarea>
                                </div>
                                <div class="field">
                                    <label for="e-status">"Status"</label>
                                    <ChoiceSelect id="e-status" name="status" options=statuses() selected=s.status.as_str()/>
                                </div>
                                <div class="field">
                                    <label for="e-priority">"Priority"</label>
                                    <ChoiceSelect id="e-priority" name="priority" options=priorities() selected=s.priority.as_str()/>
                                </div>
                                <div class="field">
                                    <label for="e-kind">"Kind"</label>
                                    <ChoiceSelect id="e-kind" name="kind" options=kinds() selected=s.kind.as_str()/>
                                </div>
                                <div class="field">
                                    <label for="e-due">"Due date"</label>
                                    <input id="e-due" name="due_on" type="date" value=s.due_on.clone().unwrap_or_default()/>
                                </div>
                                <div class="field">
                                    <label for="e-business">"Business"</label>
                                    <NamedSelect choices id="e-business" name="business_id" members=false selected=s.business_id.clone().unwrap_or_default() first=("", "None")/>
                                </div>
                                <div class="field">
                                    <label for="e-assignee">"Assignee"</label>
                                    <NamedSelect choices id="e-assignee" name="assignee_id" members=true selected=i.assignee_id.clone().unwrap_or_default() first=("", "Nobody")/>
                                </div>
                                <FormError error=update_error fields=&[]/>
                                <button type="submit" class="button primary">"Save changes"</button>
                            </ActionForm>
                        })}
                        {ctx.role.allows(Permission::ArchiveDelete).then(|| view! {
                            <ActionForm action=delete attr:class="stack">
                                <CsrfField/>
                                <input type="hidden" name="slug" value=slug_c/>
                                <input type="hidden" name="issue_id" value=id_c/>
                                <FormError error=delete_error fields=&[]/>
                                <button type="submit" class="button danger">"Delete issue"</button>
                            </ActionForm>
                        })}
                        <h2>"Timeline"</h2>
                        <ol class="timeline">
                            {i.timeline.into_iter().map(|c| view! {
                                <li>
                                    <span class="muted">{c.at}</span> " " {c.actor} " "
                                    {match (c.field.as_str(), c.from, c.to) {
                                        ("created", _, _) => "opened the issue".to_string(),
                                        ("description", _, _) => "edited the description".to_string(),
                                        (f, Some(from), Some(to)) => format!("changed {f} from {from} to {to}"),
                                        (f, None, Some(to)) => format!("set {f} to {to}"),
                                        (f, Some(from), None) => format!("cleared {f} (was {from})"),
                                        (f, None, None) => format!("changed {f}"),
                                    }}
                                </li>
                            }).collect_view()}
                        </ol>
                    }.into_any()
                })
            }}
        </Transition>
    }
}

/// Plain text with line breaks kept and http(s) links made clickable; never HTML.
#[component]
fn PlainText(text: String) -> impl IntoView {
    let lines = text
        .lines()
        .map(|line| {
            let words = line
                .split(' ')
                .map(|w| {
                    if (w.starts_with("https://") || w.starts_with("http://")) && w.len() > 8 {
                        view! { <a href=w.to_string() rel="noopener noreferrer nofollow">{w.to_string()}</a>" " }.into_any()
                    } else {
                        view! { {format!("{w} ")} }.into_any()
                    }
                })
                .collect_view();
            view! { {words}<br/> }
        })
        .collect_view();
    view! { <p class="plain-text">{lines}</p> }
}

/// The board: a column per status. Each card moves with its "Move to" control (keyboard and
/// touch friendly) or by dragging it onto another column.
///
/// Moves are optimistic: the card changes column at once and goes back, with a message, if the
/// server refuses (someone else moved or edited it first, or the role does not allow it).
#[component]
pub fn BoardPage() -> impl IntoView {
    let ctx = org();
    let slug = ctx.slug.clone();
    let issues = Resource::new(
        || (),
        move |_| {
            list_issues(
                slug.clone(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                false,
                String::new(),
                String::new(),
            )
        },
    );
    // Cards moved here and not yet reloaded: id → (status, version).
    let moved = RwSignal::new(std::collections::HashMap::<String, (Status, i32)>::new());
    let problem = RwSignal::new(None::<String>);
    let slug = ctx.slug.clone();
    let mv = Action::new(move |card: &(IssueSummary, Status)| {
        let (card, to) = card.clone();
        let slug = slug.clone();
        async move {
            let from = moved
                .get_untracked()
                .get(&card.id)
                .copied()
                .unwrap_or((card.status, card.version));
            moved.update(|m| {
                m.insert(card.id.clone(), (to, from.1));
            });
            problem.set(None);
            match move_issue(slug, card.id.clone(), from.1, to.as_str().into()).await {
                Ok(version) => moved.update(|m| {
                    m.insert(card.id, (to, version));
                }),
                Err(e) => {
                    moved.update(|m| {
                        m.insert(card.id, from);
                    });
                    problem.set(Some(format!(
                        "#{} could not be moved to {}: {e} It is back in {}.",
                        card.number,
                        to.label(),
                        from.0.label()
                    )));
                }
            }
        }
    });
    view! {
        <h1>"Board"</h1>
        <p class="form-error" role="alert">{move || problem.get()}</p>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading the board…"</p> }>
            {move || {
                let ctx = ctx.clone();
                Suspend::new(async move {
                    let list = match issues.await {
                        Ok(p) => p.items,
                        Err(e) => return view! { <LoadProblem error=e/> }.into_any(),
                    };
                    let can_move = ctx.role.allows(Permission::Edit);
                    let list = StoredValue::new(list);
                    // Each card as it stands here, moves included.
                    let cards_in = move |status: Status| {
                        let moved = moved.get();
                        list.get_value()
                            .into_iter()
                            .map(|mut i| {
                                if let Some((s, v)) = moved.get(&i.id) {
                                    (i.status, i.version) = (*s, *v);
                                }
                                i
                            })
                            .filter(|i| i.status == status)
                            .collect::<Vec<_>>()
                    };
                    let find = move |id: &str| {
                        list.get_value().into_iter().find(|i| i.id == id)
                    };
                    view! {
                        <div class="board">
                            {Status::ALL.iter().copied().map(|status| view! {
                                <section class="column" aria-label=status.label() data-status=status.as_str()
                                    on:dragover=move |ev| ev.prevent_default()
                                    on:drop=move |ev| {
                                        ev.prevent_default();
                                        let id = ev.data_transfer().and_then(|d| d.get_data("text/plain").ok());
                                        if let Some(card) = id.and_then(|id| find(&id)) {
                                            mv.dispatch((card, status));
                                        }
                                    }>
                                    <h2>{status.label()} " " <span class="muted">{move || cards_in(status).len()}</span></h2>
                                    <ul>
                                        <For each=move || cards_in(status) key=|i| (i.id.clone(), i.status, i.version) let:card>
                                            <BoardCard card can_move on_move=Callback::new(move |m| { mv.dispatch(m); })/>
                                        </For>
                                    </ul>
                                </section>
                            }.into_any()).collect_view()}
                        </div>
                    }.into_any()
                })
            }}
        </Transition>
    }
}

/// One card: a link to the issue, and for editors a "Move to" control that also works without
/// scripts (a plain form post).
#[component]
fn BoardCard(
    card: IssueSummary,
    can_move: bool,
    on_move: Callback<(IssueSummary, Status)>,
) -> impl IntoView {
    let slug = org().slug;
    let select = NodeRef::<leptos::html::Select>::new();
    let select_id = format!("move-{}", card.number);
    let id = card.id.clone();
    let submit_card = card.clone();
    view! {
        <li class="card" draggable=can_move.to_string() data-number=card.number
            on:dragstart=move |ev| {
                if let Some(d) = ev.data_transfer() { let _ = d.set_data("text/plain", &id); }
            }>
            <A href=format!("/o/{}/issues/{}", slug, card.number)>{format!("#{} {}", card.number, card.title)}</A>
            <p class="muted">{card.priority.label()} {card.assignee.clone().map(|a| format!(" · {a}"))}</p>
            {can_move.then(|| view! {
                <form method="post" action="/api/work/move_issue" class="inline"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        let to = select.get().and_then(|s| Status::parse(&s.value()));
                        if let Some(to) = to.filter(|to| *to != submit_card.status) {
                            on_move.run((submit_card.clone(), to));
                        }
                    }>
                    <CsrfField/>
                    <input type="hidden" name="slug" value=slug.clone()/>
                    <input type="hidden" name="issue_id" value=card.id.clone()/>
                    <input type="hidden" name="version" value=card.version.to_string()/>
                    <label class="visually-hidden" for=select_id.clone()>{format!("Move #{} to", card.number)}</label>
                    <select id=select_id name="status" node_ref=select>
                        {Status::ALL.iter().map(|s| view! {
                            <option value=s.as_str() selected=*s == card.status>{s.label()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="button">"Move"</button>
                </form>
            })}
        </li>
    }
    .into_any()
}

/// CSV import (checked first, then written all at once) and export for one kind of record.
#[component]
fn CsvTools(
    what: &'static str,
    columns: &'static [&'static str],
    #[prop(into)] report: Signal<Option<ImportReport>>,
    #[prop(into)] csv: Signal<Option<String>>,
    #[prop(into)] error: Signal<Option<AppError>>,
    on_import: Callback<(String, bool)>,
    on_export: Callback<()>,
) -> impl IntoView {
    let ctx = org();
    let text = NodeRef::<leptos::html::Textarea>::new();
    let submit = move |commit: bool| {
        if let Some(area) = text.get() {
            on_import.run((area.value(), commit));
        }
    };
    let download = move || {
        csv.get()
            .map(|c| format!("data:text/csv;charset=utf-8,{}", percent_encode(&c)))
    };
    let (area_id, help_id) = (format!("csv-{what}"), format!("csv-help-{what}"));
    view! {
        {ctx.role.allows(Permission::Edit).then(|| view! {
            <h2>{format!("Import {what} from CSV")}</h2>
            <div class="stack">
                <div class="field">
                    <label for=area_id.clone()>"CSV"</label>
                    <textarea id=area_id node_ref=text rows="5" aria-describedby=help_id.clone()></textarea>
                    <p id=help_id class="muted">{format!("Columns: {}. Preview first: nothing is written until every row is right.", columns.join(", "))}</p>
                </div>
                <div class="row-actions">
                    <button type="button" class="button" on:click=move |_| submit(false)>"Preview"</button>
                    <button type="button" class="button primary" on:click=move |_| submit(true)>"Import"</button>
                </div>
            </div>
            {move || report.get().map(|r| view! {
                <div role="status" class="notice">
                    <p>{if r.imported > 0 { format!("Imported {} rows.", r.imported) } else if r.errors.is_empty() { format!("{} rows are ready to import.", r.rows) } else { format!("{} of {} rows need fixing; nothing was written.", r.errors.len(), r.rows) }}</p>
                    <ul>{r.errors.into_iter().map(|e| view! { <li>{format!("Line {}: {}", e.line, e.message)}</li> }).collect_view()}</ul>
                </div>
            })}
        })}
        {ctx.role.allows(Permission::AuditExport).then(|| view! {
            <p><button type="button" class="button" on:click=move |_| on_export.run(())>{format!("Export {what} as CSV")}</button></p>
            {move || download().map(|href| view! { <p role="status"><a href=href download=format!("{what}.csv")>{format!("Download {what}.csv")}</a></p> })}
        })}
        <FormError error fields=&[]/>
    }
}

/// The CSV tools wired to one kind of record's import and export functions.
macro_rules! csv_tools_for {
    ($component:ident, $import:ident, $export:ident, $what:literal, $columns:ident) => {
        #[component]
        fn $component() -> impl IntoView {
            let slug = org().slug;
            let import = ServerAction::<$import>::new();
            let export = ServerAction::<$export>::new();
            let error = Signal::derive(move || {
                action_error(import).get().or_else(|| action_error(export).get())
            });
            let slug_b = slug.clone();
            view! {
                <CsvTools what=$what columns=&$columns error
                    report=Signal::derive(move || import.value().get().and_then(|r| r.ok()))
                    csv=Signal::derive(move || export.value().get().and_then(|r| r.ok()))
                    on_import=Callback::new(move |(csv, commit)| { import.dispatch($import { slug: slug.clone(), csv, commit }); })
                    on_export=Callback::new(move |_| { export.dispatch($export { slug: slug_b.clone() }); })/>
            }
        }
    };
}

csv_tools_for!(
    BusinessCsv,
    ImportBusinesses,
    ExportBusinesses,
    "businesses",
    BUSINESS_COLUMNS
);
csv_tools_for!(
    IssueCsv,
    ImportIssues,
    ExportIssues,
    "issues",
    ISSUE_COLUMNS
);
