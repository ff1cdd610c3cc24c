//! One issue: its details, description, comments and timeline, and for the roles that may,
//! commenting, editing and deleting it.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use crate::{
    components::{
        choices::{choices_resource, ChoiceSelect, ChoicesResource, NamedSelect},
        forms::{action_error, CsrfField, FormError},
        linked_text::LinkedText,
        problem::LoadProblem,
    },
    error::AppError,
    org::OrgContext,
    roles::Permission,
    work::{
        issues::{get_issue, AddComment, Change, Comment, DeleteIssue, Issue, UpdateIssue},
        IssueKind, Priority, Status,
    },
};

#[component]
pub fn IssuePage() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let update = ServerAction::<UpdateIssue>::new();
    let comment = ServerAction::<AddComment>::new();
    let delete = ServerAction::<DeleteIssue>::new();
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
                    let id = i.summary.id.clone();
                    view! {
                        <IssueFacts issue=i.clone()/>
                        <h2>"Description"</h2>
                        <LinkedText class="plain-text" text=i.description.clone()/>
                        <Comments comments=i.comments.clone()/>
                        {ctx.role.allows(Permission::Edit).then(|| view! {
                            <CommentForm comment issue_id=id.clone()/>
                            <EditIssueForm update issue=i.clone() choices/>
                        })}
                        {ctx.role.allows(Permission::ArchiveDelete).then(|| view! {
                            <DeleteIssueForm delete issue_id=id/>
                        })}
                        <Timeline changes=i.timeline/>
                    }.into_any()
                })
            }}
        </Transition>
    }
}

/// The issue's number, title and details as stored.
#[component]
fn IssueFacts(issue: Issue) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let s = issue.summary;
    view! {
        <h1>{format!("#{} {}", s.number, s.title)}</h1>
        <dl class="facts">
            <dt>"Status"</dt><dd>{s.status.label()}</dd>
            <dt>"Priority"</dt><dd>{s.priority.label()}</dd>
            <dt>"Kind"</dt><dd>{s.kind.label()}</dd>
            <dt>"Business"</dt><dd>{s.business.unwrap_or_else(|| "None".into())}</dd>
            <dt>"Assignee"</dt><dd>{s.assignee.unwrap_or_else(|| "Nobody".into())}</dd>
            <dt>"Due"</dt><dd>{s.due_on.unwrap_or_else(|| "No date".into())}</dd>
            <dt>"Opened"</dt><dd>{format!("{} by {}", issue.created_at, issue.created_by)}</dd>
            {(!issue.conversations.is_empty()).then(|| view! {
                <dt>"From the inbox"</dt>
                <dd>{issue.conversations.into_iter().map(|c| view! {
                    <A href=format!("/o/{slug}/inbox/{}", c.id)>{c.name}</A>" "
                }).collect_view()}</dd>
            })}
        </dl>
    }
}

/// The comments, oldest first.
#[component]
fn Comments(comments: Vec<Comment>) -> impl IntoView {
    view! {
        <h2>"Comments"</h2>
        {if comments.is_empty() { view! { <p class="empty">"No comments yet."</p> }.into_any() } else {
            view! {
                <ol class="comments">
                    {comments.into_iter().map(|c| view! {
                        <li class="card"><p class="muted">{format!("{} · {}", c.author, c.at)}</p><LinkedText class="plain-text" text=c.body/></li>
                    }).collect_view()}
                </ol>
            }.into_any()
        }}
    }
}

#[component]
fn CommentForm(comment: ServerAction<AddComment>, issue_id: String) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(comment);
    view! {
        <ActionForm action=comment attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="issue_id" value=issue_id/>
            <div class="field">
                <label for="c-body">"Add a comment"</label>
                <textarea id="c-body" name="body" rows="3" required></textarea>
            </div>
            <FormError error fields=&[]/>
            <button type="submit" class="button">"Comment"</button>
        </ActionForm>
    }
}

/// The edit form, made from the copy on the page: saving it after someone else saved is refused.
#[component]
fn EditIssueForm(
    update: ServerAction<UpdateIssue>,
    issue: Issue,
    choices: ChoicesResource,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(update);
    let s = issue.summary;
    view! {
        <h2>"Edit"</h2>
        <ActionForm action=update attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="issue_id" value=s.id/>
            <input type="hidden" name="version" value=s.version.to_string()/>
            <div class="field">
                <label for="e-title">"Title"</label>
                <input id="e-title" name="form[title]" type="text" required value=s.title/>
            </div>
            <div class="field">
                <label for="e-description">"Description"</label>
                <textarea id="e-description" name="form[description]" rows="4">{issue.description}</textarea>
            </div>
            <div class="field">
                <label for="e-status">"Status"</label>
                <ChoiceSelect id="e-status" name="form[status]" options=Status::options() selected=s.status.as_str()/>
            </div>
            <div class="field">
                <label for="e-priority">"Priority"</label>
                <ChoiceSelect id="e-priority" name="form[priority]" options=Priority::options() selected=s.priority.as_str()/>
            </div>
            <div class="field">
                <label for="e-kind">"Kind"</label>
                <ChoiceSelect id="e-kind" name="form[kind]" options=IssueKind::options() selected=s.kind.as_str()/>
            </div>
            <div class="field">
                <label for="e-due">"Due date"</label>
                <input id="e-due" name="form[due_on]" type="date" value=s.due_on.unwrap_or_default()/>
            </div>
            <div class="field">
                <label for="e-business">"Business"</label>
                <NamedSelect choices id="e-business" name="form[business_id]" members=false selected=s.business_id.unwrap_or_default() first=("", "None")/>
            </div>
            <div class="field">
                <label for="e-assignee">"Assignee"</label>
                <NamedSelect choices id="e-assignee" name="form[assignee_id]" members=true selected=issue.assignee_id.unwrap_or_default() first=("", "Nobody")/>
            </div>
            <FormError error fields=&[]/>
            <button type="submit" class="button primary">"Save changes"</button>
        </ActionForm>
    }
}

#[component]
fn DeleteIssueForm(delete: ServerAction<DeleteIssue>, issue_id: String) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(delete);
    view! {
        <ActionForm action=delete attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="issue_id" value=issue_id/>
            <FormError error fields=&[]/>
            <button type="submit" class="button danger">"Delete issue"</button>
        </ActionForm>
    }
}

/// Every change to the issue, oldest first, each as a sentence.
#[component]
fn Timeline(changes: Vec<Change>) -> impl IntoView {
    view! {
        <h2>"Timeline"</h2>
        <ol class="timeline">
            {changes.into_iter().map(|c| view! {
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
    }
}
