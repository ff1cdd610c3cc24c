//! One issue, laid out as issue trackers are: the title, description and an activity stream of
//! comments and changes in the main column; the fields in a side panel, editable in place for
//! the roles that may; archiving (asked first), restoring and deleting for good.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use crate::{
    components::{
        choices::{choices_resource, ChoiceSelect, ChoicesResource, NamedSelect},
        forms::{action_error, Confirm, CsrfField, FormError, Submit},
        linked_text::LinkedText,
        mention_box::MentionBox,
        moment::When,
        problem::LoadProblem,
    },
    error::AppError,
    org::OrgContext,
    roles::Permission,
    work::{
        issues::{
            get_issue, AddComment, ArchiveIssue, Change, Comment, DeleteIssue, Issue, UpdateIssue,
        },
        notifications::FollowIssue,
        IssueKind, Priority, Status,
    },
};

/// The id of the edit form: the title and description fields in the main column belong to the
/// side panel's form through their `form` attribute.
const EDIT_FORM: &str = "issue-edit";

#[component]
pub fn IssuePage() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let update = ServerAction::<UpdateIssue>::new();
    let comment = ServerAction::<AddComment>::new();
    let archive = ServerAction::<ArchiveIssue>::new();
    let delete = ServerAction::<DeleteIssue>::new();
    let follow = ServerAction::<FollowIssue>::new();
    let choices = choices_resource();
    let slug = ctx.slug.clone();
    let issue = Resource::new(
        move || {
            (
                use_params_map().read().get("number").unwrap_or_default(),
                update.version().get(),
                comment.version().get(),
                archive.version().get(),
                follow.version().get(),
            )
        },
        move |(number, ..)| {
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
                    let can_edit = ctx.role.allows(Permission::Edit) && !i.archived;
                    let can_archive = ctx.role.allows(Permission::ArchiveDelete);
                    let s = &i.summary;
                    view! {
                        <div class="issue-layout">
                            <div class="issue-main">
                                <h1>
                                    {format!("#{} {}", s.number, s.title)}
                                    {i.archived.then(|| view! { " " <span class="badge">"Archived"</span> })}
                                </h1>
                                {i.archived.then(|| view! {
                                    <Archived issue_id=s.id.clone() archive delete can_restore=can_archive
                                        can_purge=ctx.role.allows(Permission::Purge)/>
                                })}
                                <Description issue=i.clone() editable=can_edit/>
                                <Activity comments=i.comments.clone() changes=i.timeline.clone()/>
                                {can_edit.then(|| view! { <CommentForm comment choices issue_id=s.id.clone()/> })}
                            </div>
                            <aside class="issue-side" aria-label="Details">
                                {if can_edit {
                                    view! { <EditFields update issue=i.clone() choices/> }.into_any()
                                } else {
                                    view! { <Fields issue=i.clone()/> }.into_any()
                                }}
                                <Origin issue=i.clone()/>
                                <FollowForm follow issue_id=s.id.clone() following=i.following/>
                                {(can_archive && !i.archived).then(|| view! {
                                    <ArchiveForm archive issue_id=s.id.clone() number=s.number/>
                                })}
                            </aside>
                        </div>
                    }.into_any()
                })
            }}
        </Transition>
    }
}

/// The description, and for editors the title and description fields of the edit form, behind
/// one disclosure.
#[component]
fn Description(issue: Issue, editable: bool) -> impl IntoView {
    view! {
        <section aria-labelledby="description-heading">
            <h2 id="description-heading">"Description"</h2>
            {if issue.description.is_empty() {
                view! { <p class="empty">"No description."</p> }.into_any()
            } else {
                view! { <LinkedText class="plain-text" text=issue.description.clone()/> }.into_any()
            }}
            {editable.then(|| view! {
                <details class="edit-text">
                    <summary>"Edit the title and description"</summary>
                    <div class="stack">
                        <div class="field">
                            <label for="e-title">"Title"</label>
                            <input id="e-title" form=EDIT_FORM name="form[title]" type="text" required value=issue.summary.title.clone()/>
                        </div>
                        <div class="field">
                            <label for="e-description">"Description"</label>
                            <textarea id="e-description" form=EDIT_FORM name="form[description]" rows="6">{issue.description.clone()}</textarea>
                        </div>
                        <p class="muted">"Saved with the details beside."</p>
                    </div>
                </details>
            })}
        </section>
    }
}

/// The fields as stored, for those who may not edit them (or while archived).
#[component]
fn Fields(issue: Issue) -> impl IntoView {
    let s = issue.summary;
    view! {
        <h2>"Details"</h2>
        <dl class="facts">
            <dt>"Status"</dt><dd>{s.status.label()}</dd>
            <dt>"Priority"</dt><dd>{s.priority.label()}</dd>
            <dt>"Kind"</dt><dd>{s.kind.label()}</dd>
            <dt>"Business"</dt><dd>{s.business.unwrap_or_else(|| "None".into())}</dd>
            <dt>"Assignee"</dt><dd>{s.assignee.unwrap_or_else(|| "Nobody".into())}</dd>
            <dt>"Due"</dt><dd>{s.due_on.unwrap_or_else(|| "No date".into())}</dd>
        </dl>
    }
}

/// Who opened the issue and when, and the inbox conversations it came from.
#[component]
fn Origin(issue: Issue) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    view! {
        <dl class="facts">
            <dt>"Opened"</dt><dd><When at=issue.created_at/>" by "{issue.created_by}</dd>
            {(!issue.conversations.is_empty()).then(|| view! {
                <dt>"From the inbox"</dt>
                <dd>{issue.conversations.into_iter().map(|c| view! {
                    <A href=format!("/o/{slug}/inbox/{}", c.id)>{c.name}</A>" "
                }).collect_view()}</dd>
            })}
        </dl>
    }
}

/// The side panel's fields, each changed in place and saved together, made from the copy on
/// the page: saving it after someone else saved is refused.
#[component]
fn EditFields(
    update: ServerAction<UpdateIssue>,
    issue: Issue,
    choices: ChoicesResource,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(update);
    let s = issue.summary;
    view! {
        <h2>"Details"</h2>
        <ActionForm action=update attr:id=EDIT_FORM attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="issue_id" value=s.id/>
            <input type="hidden" name="version" value=s.version.to_string()/>
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
                <label for="e-business">"Business"</label>
                <NamedSelect choices id="e-business" name="form[business_id]" members=false selected=s.business_id.unwrap_or_default() first=("", "None")/>
            </div>
            <div class="field">
                <label for="e-assignee">"Assignee"</label>
                <NamedSelect choices id="e-assignee" name="form[assignee_id]" members=true selected=issue.assignee_id.unwrap_or_default() first=("", "Nobody")/>
            </div>
            <div class="field">
                <label for="e-due">"Due date"</label>
                <input id="e-due" name="form[due_on]" type="date" value=s.due_on.unwrap_or_default()/>
            </div>
            <FormError error fields=&[]/>
            <Submit pending=update.pending() label="Save changes" primary=true/>
        </ActionForm>
    }
}

/// Comments and changes in one stream, oldest first: what happened to the issue, in order.
#[component]
fn Activity(comments: Vec<Comment>, changes: Vec<Change>) -> impl IntoView {
    enum Entry {
        Comment(Comment),
        Change(Change),
    }
    let at = |e: &Entry| match e {
        Entry::Comment(c) => c.at.utc.clone(),
        Entry::Change(c) => c.at.utc.clone(),
    };
    let mut entries: Vec<Entry> = changes
        .into_iter()
        .map(Entry::Change)
        .chain(comments.into_iter().map(Entry::Comment))
        .collect();
    // The times are written year first, so they sort as text; a stable sort keeps each kind's
    // own order within a second.
    entries.sort_by_key(at);
    view! {
        <section aria-labelledby="activity-heading">
            <h2 id="activity-heading">"Activity"</h2>
            <ol class="activity">
                {entries.into_iter().map(|e| match e {
                    Entry::Comment(c) => view! {
                        <li class="card comment">
                            <p class="muted">{c.author}" commented · "<When at=c.at/></p>
                            <LinkedText class="plain-text" text=c.body/>
                        </li>
                    }.into_any(),
                    Entry::Change(c) => view! {
                        <li class="change">
                            <span class="muted"><When at=c.at.clone()/></span> " " {c.actor.clone()} " " {describe(&c)}
                        </li>
                    }.into_any(),
                }).collect_view()}
            </ol>
        </section>
    }
}

/// A change as a sentence, after the name of who made it.
fn describe(c: &Change) -> String {
    match (c.field.as_str(), c.from.as_deref(), c.to.as_deref()) {
        ("created", _, _) => "opened the issue".into(),
        ("description", _, _) => "edited the description".into(),
        ("archive", _, Some(_)) => "archived the issue".into(),
        ("archive", _, None) => "restored the issue".into(),
        (f, Some(from), Some(to)) => format!("changed {f} from {from} to {to}"),
        (f, None, Some(to)) => format!("set {f} to {to}"),
        (f, Some(from), None) => format!("cleared {f} (was {from})"),
        (f, None, None) => format!("changed {f}"),
    }
}

#[component]
fn CommentForm(
    comment: ServerAction<AddComment>,
    choices: ChoicesResource,
    issue_id: String,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(comment);
    view! {
        <ActionForm action=comment attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="issue_id" value=issue_id/>
            <div class="field">
                <label for="c-body">"Add a comment"</label>
                <MentionBox choices id="c-body" name="body" cleared=Signal::derive(move || comment.version().get())/>
                <p class="muted">"Type @ and a name to mention a member: they are told."</p>
            </div>
            <FormError error fields=&[]/>
            <Submit pending=comment.pending() label="Comment"/>
        </ActionForm>
    }
}

/// Following: comments on the issue are notified to the caller, or no longer.
#[component]
fn FollowForm(
    follow: ServerAction<FollowIssue>,
    issue_id: String,
    following: bool,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    view! {
        <ActionForm action=follow attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="issue_id" value=issue_id/>
            <input type="hidden" name="follow" value=(!following).to_string()/>
            <p class="muted">{if following { "You are told of new comments." } else { "You are not told of new comments." }}</p>
            <Submit pending=follow.pending() label=if following { "Stop following" } else { "Follow" }/>
        </ActionForm>
    }
}

/// Archiving, asked first: the delete people are offered, since it can be undone.
#[component]
fn ArchiveForm(
    archive: ServerAction<ArchiveIssue>,
    issue_id: String,
    number: i32,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(archive);
    view! {
        <ActionForm action=archive attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="issue_id" value=issue_id/>
            <input type="hidden" name="archived" value="true"/>
            <Confirm label="Archive issue" confirm="Archive it" pending=archive.pending()
                question=format!("Archive #{number}? It leaves the lists, the board and the dashboard, and can be restored from the archive.")/>
            <FormError error fields=&[]/>
        </ActionForm>
    }
}

/// An archived issue: say so, with restoring and, for Owners and Admins, deleting for good.
#[component]
fn Archived(
    issue_id: String,
    archive: ServerAction<ArchiveIssue>,
    delete: ServerAction<DeleteIssue>,
    can_restore: bool,
    can_purge: bool,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = Signal::derive(move || {
        action_error(archive)
            .get()
            .or_else(|| action_error(delete).get())
    });
    let (restore_slug, restore_id) = (slug.clone(), issue_id.clone());
    view! {
        <div class="notice" data-testid="archived-banner">
            <p>"This issue is archived: it is not in the lists, the board or the dashboard."</p>
            <div class="row-actions">
                {can_restore.then(|| view! {
                    <ActionForm action=archive attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="slug" value=restore_slug/>
                        <input type="hidden" name="issue_id" value=restore_id/>
                        <input type="hidden" name="archived" value="false"/>
                        <Submit pending=archive.pending() label="Restore"/>
                    </ActionForm>
                })}
                {can_purge.then(|| view! {
                    <ActionForm action=delete attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="slug" value=slug/>
                        <input type="hidden" name="issue_id" value=issue_id/>
                        <Confirm label="Delete for good" confirm="Delete for good" danger=true pending=delete.pending()
                            question="Delete this issue, its comments and its history for good? This cannot be undone."/>
                    </ActionForm>
                })}
            </div>
            <FormError error fields=&[]/>
        </div>
    }
}
