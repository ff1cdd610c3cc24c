//! The issue list: filters and orders kept in the address, a page at a time, changes to several
//! issues at once, opening an issue and CSV tools. What the page offers comes from the roles
//! matrix; the server checks it again on every call.

use leptos::prelude::*;

use crate::{
    components::{
        address::{next_page, query},
        choices::{choices_resource, ChoiceSelect, ChoicesResource, NamedSelect},
        csv_tools::IssueCsv,
        forms::{action_error, CsrfField, FormError},
        issue_table::IssueTable,
        problem::LoadProblem,
    },
    org::OrgContext,
    roles::Permission,
    work::{
        issues::{list_issues, BulkUpdate, CreateIssue, IssueQuery},
        IssueKind, IssueOrder, Priority, Status,
    },
};

/// The address's query names, each for one field of [`IssueQuery`].
const FILTERS: [&str; 8] = [
    "q", "status", "priority", "assignee", "business", "overdue", "order", "archived",
];

/// The list the address asks for.
fn issue_query() -> IssueQuery {
    IssueQuery {
        status: query("status"),
        priority: query("priority"),
        assignee_id: query("assignee"),
        business_id: query("business"),
        overdue: query("overdue") == "true",
        order: query("order"),
        after: query("after"),
        q: query("q"),
        archived: query("archived") == "true",
    }
}

#[component]
pub fn IssuesPage() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let create = ServerAction::<CreateIssue>::new();
    let bulk = ServerAction::<BulkUpdate>::new();
    let selection = RwSignal::new(Vec::<i32>::new());
    let choices = choices_resource();
    let slug = ctx.slug.clone();
    let page = Resource::new(
        move || (issue_query(), create.version().get(), bulk.version().get()),
        move |(query, _, _)| list_issues(slug.clone(), query),
    );
    // A bulk change that went through empties the selection.
    Effect::new(move |_| {
        if matches!(bulk.value().get(), Some(Ok(_))) {
            selection.set(Vec::new());
        }
    });
    let can_edit = ctx.role.allows(Permission::Edit);
    let slug = ctx.slug.clone();
    view! {
        <h1>"Issues"</h1>
        <IssueFilters choices/>
        {can_edit.then(|| view! { <BulkChangeForm bulk selection choices/> })}
        <Transition fallback=|| view! { <p aria-busy="true">"Loading the issues…"</p> }>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! {
                            <IssueTable issues=p.items slug selection=can_edit.then_some(selection)/>
                            {p.next.map(|n| view! { <p><a href=next_page(&FILTERS, &n)>"Next page"</a></p> })}
                        }.into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })
            }}
        </Transition>
        {can_edit.then(|| view! { <NewIssueForm create choices/> })}
        <IssueCsv/>
    }
}

/// The filters and order as a plain GET form: the address says what is shown.
#[component]
fn IssueFilters(choices: ChoicesResource) -> impl IntoView {
    view! {
        <form method="get" class="filters" role="search" aria-label="Filter issues">
            <div class="field">
                <label for="i-q">"Words"</label>
                <input id="i-q" name="q" type="search" value=query("q") maxlength="200"
                    placeholder="In titles, descriptions, comments"/>
            </div>
            <div class="field">
                <label for="i-status">"Status"</label>
                <ChoiceSelect id="i-status" name="status" options=Status::options() selected=query("status") any="Any"/>
            </div>
            <div class="field">
                <label for="i-priority">"Priority"</label>
                <ChoiceSelect id="i-priority" name="priority" options=Priority::options() selected=query("priority") any="Any"/>
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
            <label class="check"><input type="checkbox" name="archived" value="true" checked=query("archived") == "true"/> " Archived issues"</label>
            <div class="field">
                <label for="i-order">"Order"</label>
                <ChoiceSelect id="i-order" name="order" options=IssueOrder::options() selected=query("order")/>
            </div>
            <button type="submit" class="button">"Filter"</button>
        </form>
    }
}

/// A new status and/or assignee for the issues selected in the table.
#[component]
fn BulkChangeForm(
    bulk: ServerAction<BulkUpdate>,
    selection: RwSignal<Vec<i32>>,
    choices: ChoicesResource,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(bulk);
    view! {
        <ActionForm action=bulk attr:class="filters bulk" attr:aria-label="Change the selected issues">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="form[numbers]" prop:value=move || {
                selection.get().iter().map(i32::to_string).collect::<Vec<_>>().join(",")
            }/>
            <div class="field">
                <label for="bulk-status">"Set status"</label>
                <ChoiceSelect id="bulk-status" name="form[status]" options=Status::options() selected="" any="Leave as is"/>
            </div>
            <div class="field">
                <label for="bulk-assignee">"Set assignee"</label>
                <NamedSelect choices id="bulk-assignee" name="form[assignee_id]" members=true selected="" first=("", "Leave as is") extra=("none", "Nobody")/>
            </div>
            <button type="submit" class="button" disabled=move || selection.read().is_empty()>
                {move || match selection.read().len() {
                    0 => "Select issues to change".to_string(),
                    1 => "Change 1 issue".to_string(),
                    n => format!("Change {n} issues"),
                }}
            </button>
            <FormError error fields=&[]/>
            <p role="status">{move || bulk.value().get().and_then(|r| r.ok()).map(|n| format!("Changed {n} issues."))}</p>
        </ActionForm>
    }
}

/// The form that opens an issue; emptied once the issue is open.
#[component]
fn NewIssueForm(create: ServerAction<CreateIssue>, choices: ChoicesResource) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(create);
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(_))) {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
    view! {
        <h2>"New issue"</h2>
        <ActionForm action=create node_ref=form attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <div class="field">
                <label for="ni-title">"Title"</label>
                <input id="ni-title" name="form[title]" type="text" required maxlength="200"/>
                <p class="field-error">{move || error.get().and_then(|e| e.for_field("title"))}</p>
            </div>
            <div class="field">
                <label for="ni-description">"Description"</label>
                <textarea id="ni-description" name="form[description]" rows="3"></textarea>
            </div>
            <div class="field">
                <label for="ni-kind">"Kind"</label>
                <ChoiceSelect id="ni-kind" name="form[kind]" options=IssueKind::options() selected=IssueKind::Task.as_str()/>
            </div>
            <div class="field">
                <label for="ni-priority">"Priority"</label>
                <ChoiceSelect id="ni-priority" name="form[priority]" options=Priority::options() selected=Priority::Normal.as_str()/>
            </div>
            <div class="field">
                <label for="ni-due">"Due date"</label>
                <input id="ni-due" name="form[due_on]" type="date"/>
                <p class="field-error">{move || error.get().and_then(|e| e.for_field("due_on"))}</p>
            </div>
            <div class="field">
                <label for="ni-business">"Business"</label>
                <NamedSelect choices id="ni-business" name="form[business_id]" members=false selected="" first=("", "None")/>
            </div>
            <div class="field">
                <label for="ni-assignee">"Assignee"</label>
                <NamedSelect choices id="ni-assignee" name="form[assignee_id]" members=true selected="" first=("", "Nobody")/>
            </div>
            <FormError error fields=&["title", "due_on"]/>
            <Show when=move || matches!(create.value().get(), Some(Ok(_)))>
                <p role="status">{move || create.value().get().and_then(|r| r.ok()).map(|n| format!("Issue #{n} opened."))}</p>
            </Show>
            <button type="submit" class="button primary">"Open issue"</button>
        </ActionForm>
    }
}
