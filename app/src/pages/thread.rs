//! One conversation: the messages in order (text preferred; HTML only sanitised, remote
//! images held back until asked for), its attachments, and for the roles that may, answering,
//! internal notes, assigning, status, its business, opening an issue from it and deleting it;
//! and its AI triage and drafts (`super::thread_ai`). While an answer is being sent or the
//! triage is pending the page asks again each second, so "Sending…" turns into "Sent" (or the
//! reason it was not delivered) without a reload.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_params_map};

use super::thread_ai::{Composer, DraftAssist, TriagePanel};
use crate::{
    components::{
        address::query,
        choices::{choices_resource, ChoiceSelect, ChoicesResource, NamedSelect},
        forms::{action_error, CsrfField, FormError},
        linked_text::LinkedText,
        moment::When,
        poll::poll_while,
        problem::LoadProblem,
    },
    org::OrgContext,
    roles::Permission,
    work::{
        ai::{
            suggest::{AcceptTriage, TriageThread},
            IssueSuggestion, TriageState,
        },
        inbox::{
            download_attachment, get_thread, AddNote, AttachmentRef, AttachmentView, DeleteThread,
            Delivery, Direction, MessageView, ReplyToThread, ThreadQuery, ThreadStatus,
            ThreadToIssue, ThreadView, UpdateThread,
        },
        IssueKind, Priority,
    },
};

#[component]
pub fn ThreadPage() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let reply = ServerAction::<ReplyToThread>::new();
    let note = ServerAction::<AddNote>::new();
    let update = ServerAction::<UpdateThread>::new();
    let to_issue = ServerAction::<ThreadToIssue>::new();
    let delete = ServerAction::<DeleteThread>::new();
    let accept = ServerAction::<AcceptTriage>::new();
    let again = ServerAction::<TriageThread>::new();
    let tick = RwSignal::new(0u32);
    let choices = choices_resource();
    let thread_id = || use_params_map().read().get("id").unwrap_or_default();
    let composer = Composer::new(thread_id, ctx.role.allows(Permission::Edit));
    // Sent: the composer is empty again.
    Effect::new(move |_| {
        if matches!(reply.value().get(), Some(Ok(()))) {
            composer.clear();
        }
    });
    let slug = ctx.slug.clone();
    let thread = Resource::new(
        move || {
            (
                thread_id(),
                query("images") == "shown",
                (
                    reply.version().get(),
                    note.version().get(),
                    update.version().get(),
                ),
                (to_issue.version().get(), tick.get()),
                (accept.version().get(), again.version().get()),
            )
        },
        move |(thread_id, images, _, _, _)| {
            get_thread(slug.clone(), ThreadQuery { thread_id, images })
        },
    );
    poll_while(tick, move || {
        matches!(thread.get(), Some(Ok(t)) if t.ai.state == TriageState::Pending
                || t.messages.iter().any(|m| m.delivery == Some(Delivery::Queued)))
    });
    view! {
        <Transition fallback=|| view! { <p aria-busy="true">"Loading the conversation…"</p> }>
            {move || {
                let ctx = ctx.clone();
                Suspend::new(async move {
                    let t = match thread.await {
                        Ok(t) => t,
                        Err(e) => return view! { <LoadProblem error=e/> }.into_any(),
                    };
                    let id = t.id.clone();
                    let can_edit = ctx.role.allows(Permission::Edit);
                    view! {
                        <ThreadFacts thread=t.clone()/>
                        <TriagePanel ai=t.ai.clone() thread_id=id.clone() has_business=t.business_id.is_some() accept again can_edit/>
                        <ol class="messages">
                            {t.messages.iter().cloned().map(|m| view! { <Message message=m images_shown=t.images_shown/> }).collect_view()}
                        </ol>
                        {can_edit.then(|| view! {
                            <ReplyForm reply thread_id=id.clone() customer=t.customer_address.clone() why_not=t.ai.why_not.clone() composer/>
                            <NoteForm note thread_id=id.clone()/>
                            <ThreadForm update thread=t.clone() choices/>
                            {t.issue_number.is_none().then(|| {
                                let suggested = t.ai.suggestion.as_ref().and_then(|s| s.open_issue);
                                view! { <IssueForm to_issue thread_id=id.clone() subject=t.subject.clone() suggested/> }
                            })}
                        })}
                        {ctx.role.allows(Permission::ArchiveDelete).then(|| view! { <DeleteForm delete thread_id=id.clone()/> })}
                    }.into_any()
                })
            }}
        </Transition>
    }
}

#[component]
fn ThreadFacts(thread: ThreadView) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let customer = if thread.customer_name.is_empty() {
        thread.customer_address.clone()
    } else {
        format!("{} <{}>", thread.customer_name, thread.customer_address)
    };
    view! {
        <p><A href=format!("/o/{slug}/inbox")>"← Inbox"</A></p>
        <h1>{thread.subject}</h1>
        <dl class="facts">
            <dt>"Customer"</dt><dd>{customer}</dd>
            <dt>"Status"</dt><dd>{thread.status.label()}{thread.awaiting_reply.then_some(" · needs an answer")}</dd>
            <dt>"Business"</dt>
            <dd>{match (thread.business_id, thread.business_name) {
                (Some(id), Some(name)) => view! { <A href=format!("/o/{slug}/businesses/{id}")>{name}</A> }.into_any(),
                _ => view! { "None" }.into_any(),
            }}</dd>
            <dt>"Issue"</dt>
            <dd>{match thread.issue_number {
                Some(n) => view! { <A href=format!("/o/{slug}/issues/{n}")>{format!("#{n}")}</A> }.into_any(),
                None => view! { "None" }.into_any(),
            }}</dd>
        </dl>
    }
}

#[component]
fn Message(message: MessageView, images_shown: bool) -> impl IntoView {
    let kind = match message.direction {
        Direction::In => "message received",
        Direction::Out => "message reply",
        Direction::Note => "message note",
    };
    let delivery = message
        .delivery
        .map(|d| match (d, message.delivery_error.clone()) {
            (Delivery::Failed, Some(error)) => format!("{}: {error}", d.label()),
            (d, _) => d.label().to_string(),
        });
    view! {
        <li class=format!("card {kind}")>
            <p class="muted">
                {message.from} " · " <When at=message.at/>
                {message.ai_draft.map(|edited| view! { " · " <span class="badge">{if edited { "AI draft, edited" } else { "AI draft, sent as written" }}</span> })}
                {(message.direction == Direction::Note).then(|| view! { " · " <strong>"Internal note, never sent"</strong> })}
                {delivery.map(|d| view! { " · " <span role="status">{d}</span> })}
            </p>
            {match message.html {
                // Sanitised on the server (`work::inbox::sanitise`): no script, style or handler
                // survives, and the page's CSP would refuse one anyway.
                Some(html) => view! { <div class="email-html" inner_html=html></div> }.into_any(),
                None => view! { <LinkedText class="plain-text" text=message.text/> }.into_any(),
            }}
            {(message.blocked_images > 0 && !images_shown).then(|| view! {
                <p class="notice">
                    {format!("{} remote image(s) not shown, so the sender cannot tell you opened this. ", message.blocked_images)}
                    <a href="?images=shown" rel="external">"Show images"</a>
                </p>
            })}
            {(!message.attachments.is_empty()).then(|| view! {
                <ul class="attachments">
                    {message.attachments.into_iter().map(|a| view! { <Attachment attachment=a/> }).collect_view()}
                </ul>
            })}
            {(message.attachments_dropped > 0).then(|| view! {
                <p class="notice">{format!("{} attachment(s) were not kept: the organisation's attachment storage is full.", message.attachments_dropped)}</p>
            })}
        </li>
    }
}

fn size_label(bytes: i64) -> String {
    match bytes {
        b if b >= 1024 * 1024 => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
        b if b >= 1024 => format!("{} KB", b / 1024),
        b => format!("{b} bytes"),
    }
}

/// An attachment: fetched when asked for, then saved by the browser as a file (never opened in
/// the page, whatever its type).
#[component]
fn Attachment(attachment: AttachmentView) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let id = attachment.id.clone();
    let fetch = Action::new(move |_: &()| {
        let (slug, attachment_id) = (slug.clone(), id.clone());
        async move { download_attachment(slug, AttachmentRef { attachment_id }).await }
    });
    let name = attachment.name.clone();
    view! {
        <li>
            {format!("{} ({}, {}) ", attachment.name, attachment.content_type, size_label(attachment.size))}
            {move || match fetch.value().get() {
                Some(Ok(file)) => view! {
                    <a href=format!("data:application/octet-stream;base64,{}", file.base64) download=file.name>{format!("Save {}", name)}</a>
                }.into_any(),
                Some(Err(e)) => view! { <span role="alert">{e.to_string()}</span> }.into_any(),
                None => view! {
                    <button type="button" class="button" disabled=move || fetch.pending().get() on:click=move |_| { fetch.dispatch(()); }>"Download"</button>
                }.into_any(),
            }}
        </li>
    }
}

/// The composer. An AI draft asked for here lands in it; it is sent only when the person presses
/// send, and the answer records whether it began as a draft.
#[component]
fn ReplyForm(
    reply: ServerAction<ReplyToThread>,
    thread_id: String,
    customer: String,
    why_not: Option<String>,
    composer: Composer,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(reply);
    let Composer { body, used, .. } = composer;
    view! {
        <h2>"Reply"</h2>
        <DraftAssist thread_id=thread_id.clone() why_not composer/>
        <ActionForm action=reply attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="form[thread_id]" value=thread_id/>
            <input type="hidden" name="form[from_draft]" value=move || used.get().to_string()/>
            <div class="field">
                <label for="r-body">{format!("Reply to {customer}")}</label>
                <textarea id="r-body" name="form[body]" rows="8" required aria-describedby="r-help"
                    prop:value=move || body.get() on:input=move |e| body.set(event_target_value(&e))></textarea>
                <p id="r-help" class="muted">"Plain text. The customer's last message is quoted below your reply."</p>
            </div>
            <FormError error fields=&["body"]/>
            <button type="submit" class="button primary" disabled=move || reply.pending().get()>"Send reply"</button>
        </ActionForm>
    }
}

#[component]
fn NoteForm(note: ServerAction<AddNote>, thread_id: String) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(note);
    view! {
        <ActionForm action=note attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="form[thread_id]" value=thread_id/>
            <div class="field">
                <label for="n-body">"Internal note (members only, never sent)"</label>
                <textarea id="n-body" name="form[body]" rows="2" required></textarea>
            </div>
            <FormError error fields=&["body"]/>
            <button type="submit" class="button" disabled=move || note.pending().get()>"Add note"</button>
        </ActionForm>
    }
}

#[component]
fn ThreadForm(
    update: ServerAction<UpdateThread>,
    thread: ThreadView,
    choices: ChoicesResource,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(update);
    view! {
        <h2>"Status and assignment"</h2>
        <ActionForm action=update attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="form[thread_id]" value=thread.id/>
            <div class="field">
                <label for="t-status">"Status"</label>
                <ChoiceSelect id="t-status" name="form[status]" options=ThreadStatus::options() selected=thread.status.as_str()/>
            </div>
            <div class="field">
                <label for="t-assignee">"Assigned to"</label>
                <NamedSelect choices id="t-assignee" name="form[assignee_id]" members=true selected=thread.assignee_id.unwrap_or_default() first=("", "Nobody")/>
            </div>
            <div class="field">
                <label for="t-business">"Business"</label>
                <NamedSelect choices id="t-business" name="form[business_id]" members=false selected=thread.business_id.unwrap_or_default() first=("", "None")/>
            </div>
            <FormError error fields=&[]/>
            <button type="submit" class="button" disabled=move || update.pending().get()>"Save"</button>
        </ActionForm>
    }
}

/// Opening an issue; the kind and priority the triage suggested come chosen.
#[component]
fn IssueForm(
    to_issue: ServerAction<ThreadToIssue>,
    thread_id: String,
    subject: String,
    suggested: Option<IssueSuggestion>,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(to_issue);
    view! {
        <h2>"Open an issue from this conversation"</h2>
        <ActionForm action=to_issue attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="form[thread_id]" value=thread_id/>
            <div class="field">
                <label for="ti-title">"Title"</label>
                <input id="ti-title" name="form[title]" type="text" required value=subject/>
            </div>
            <div class="field">
                <label for="ti-kind">"Kind"</label>
                <ChoiceSelect id="ti-kind" name="form[kind]" options=IssueKind::options() selected=suggested.map_or(IssueKind::Complaint, |s| s.kind).as_str()/>
            </div>
            <div class="field">
                <label for="ti-priority">"Priority"</label>
                <ChoiceSelect id="ti-priority" name="form[priority]" options=Priority::options() selected=suggested.map_or(Priority::Normal, |s| s.priority).as_str()/>
            </div>
            <FormError error fields=&["title"]/>
            <button type="submit" class="button" disabled=move || to_issue.pending().get()>"Open issue"</button>
        </ActionForm>
    }
}

#[component]
fn DeleteForm(delete: ServerAction<DeleteThread>, thread_id: String) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let error = action_error(delete);
    view! {
        <ActionForm action=delete attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="form[thread_id]" value=thread_id/>
            <FormError error fields=&[]/>
            <button type="submit" class="button danger" disabled=move || delete.pending().get()>"Delete conversation"</button>
        </ActionForm>
    }
}
