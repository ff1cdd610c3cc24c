//! The thread page's AI parts: the triage (a suggestion a member accepts or changes, asked for
//! again on demand) and the draft that lands in the composer. When AI cannot be used, they say
//! why instead of offering buttons.

use leptos::prelude::*;

use crate::{
    components::{
        choices::ChoiceSelect,
        forms::{action_error, CsrfField, FormError},
        poll::poll_while,
    },
    error::AppError,
    org::OrgContext,
    work::ai::{
        suggest::{
            get_draft, AcceptTriage, AiThreadRef, DraftView, RequestDraft, ThreadAi, TriageThread,
        },
        Category, Triage, TriageState, Urgency,
    },
};

/// The triage: where it stands, the suggestion, and the form that accepts or changes it.
#[component]
pub fn TriagePanel(
    ai: ThreadAi,
    thread_id: String,
    /// The thread's business: the suggestion's is linked only when it has none.
    has_business: bool,
    accept: ServerAction<AcceptTriage>,
    again: ServerAction<TriageThread>,
    can_edit: bool,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let accept_error = action_error(accept);
    let again_error = action_error(again);
    let s = ai.suggestion.clone();
    let accepted = ai.category.is_some() || ai.urgency.is_some();
    let category = ai
        .category
        .or(s.as_ref().map(|s| s.category))
        .map(Category::as_str)
        .unwrap_or_default();
    let urgency = ai
        .urgency
        .or(s.as_ref().map(|s| s.urgency))
        .map(Urgency::as_str)
        .unwrap_or_default();
    let (again_slug, again_thread) = (slug.clone(), thread_id.clone());
    let business = (!has_business)
        .then(|| s.as_ref().and_then(|s| s.business_id.clone()))
        .flatten()
        .unwrap_or_default();
    view! {
        <section class="card triage" aria-labelledby="triage-h">
            <h2 id="triage-h">"Triage"</h2>
            <p data-testid="triage-state" role="status">{match ai.state {
                TriageState::Pending => "Triage pending: the AI service has not answered yet.".to_string(),
                state => ai.note.clone().unwrap_or_else(|| state.label().to_string()),
            }}</p>
            {s.map(|s| view! {
                <div>
                <p data-testid="triage-suggestion">
                    <strong>"Suggested: "</strong>
                    {suggestion_text(&s)}
                </p>
                <p class="muted">"A suggestion from AI triage: accept it or change it."</p>
                </div>
            })}
            {accepted.then(|| view! {
                <p data-testid="triage-accepted">{format!(
                    "Accepted: {} · {} urgency",
                    ai.category.map(Category::label).unwrap_or("no category"),
                    ai.urgency.map(Urgency::label).unwrap_or("no").to_lowercase()
                )}</p>
            })}
            {can_edit.then(|| view! {
                <ActionForm action=accept attr:class="filters">
                    <CsrfField/>
                    <input type="hidden" name="slug" value=slug/>
                    <input type="hidden" name="form[thread_id]" value=thread_id/>
                    <input type="hidden" name="form[business_id]" value=business/>
                    <div class="field">
                        <label for="tr-category">"Category"</label>
                        <ChoiceSelect id="tr-category" name="form[category]" options=Category::options() selected=category any="None"/>
                    </div>
                    <div class="field">
                        <label for="tr-urgency">"Urgency"</label>
                        <ChoiceSelect id="tr-urgency" name="form[urgency]" options=Urgency::options() selected=urgency any="None"/>
                    </div>
                    <FormError error=accept_error fields=&["category", "urgency"]/>
                    <button type="submit" class="button" disabled=move || accept.pending().get()>
                        {move || if accept.pending().get() { "Saving…" } else { "Accept triage" }}
                    </button>
                </ActionForm>
            })}
            {ai.why_not.clone().map(|why| view! { <p class="muted" data-testid="ai-absent">{why}</p> })}
            {(can_edit && ai.why_not.is_none()).then(|| view! {
                    <ActionForm action=again>
                        <CsrfField/>
                        <input type="hidden" name="slug" value=again_slug/>
                        <input type="hidden" name="form[thread_id]" value=again_thread/>
                        <FormError error=again_error fields=&[]/>
                        <button type="submit" class="button" disabled=move || again.pending().get() || ai.state == TriageState::Pending>
                            "Triage again"
                        </button>
                    </ActionForm>
            })}
        </section>
    }
}

/// The composer's state, made once per page (not per render of the thread, which is redrawn
/// each time it is read again): what is written, whether it began as an AI draft, and the draft
/// asked for.
#[derive(Clone, Copy)]
pub struct Composer {
    pub body: RwSignal<String>,
    /// The composer holds an AI draft (edited or not), which the answer records.
    pub used: RwSignal<bool>,
    request: ServerAction<RequestDraft>,
    draft: Resource<Result<Option<DraftView>, AppError>>,
}

impl Composer {
    /// For the thread the address names; `can_edit`: only members who may answer have drafts.
    pub fn new(thread_id: impl Fn() -> String + Send + Sync + 'static, can_edit: bool) -> Self {
        let slug = expect_context::<OrgContext>().slug;
        let body = RwSignal::new(String::new());
        let used = RwSignal::new(false);
        let request = ServerAction::<RequestDraft>::new();
        let tick = RwSignal::new(0u32);
        let draft = Resource::new(
            move || (thread_id(), request.version().get(), tick.get()),
            move |(thread_id, _, _)| {
                let slug = slug.clone();
                async move {
                    match can_edit {
                        true => get_draft(slug, AiThreadRef { thread_id }).await,
                        false => Ok(None),
                    }
                }
            },
        );
        poll_while(
            tick,
            move || matches!(draft.get(), Some(Ok(Some(ref d))) if d.state == "pending"),
        );
        // A draft that becomes ready goes into the composer once, unless the person has
        // written something of their own meanwhile.
        let placed = StoredValue::new(None::<String>);
        Effect::new(move |_| {
            if let Some(Ok(Some(DraftView {
                state,
                body: Some(text),
                ..
            }))) = draft.get()
            {
                if state == "ready" && placed.get_value().as_deref() != Some(text.as_str()) {
                    placed.set_value(Some(text.clone()));
                    if body.get_untracked().trim().is_empty() || used.get_untracked() {
                        body.set(text);
                        used.set(true);
                    }
                }
            }
        });
        Composer {
            body,
            used,
            request,
            draft,
        }
    }

    fn drafting(&self) -> bool {
        self.request.pending().get()
            || matches!(self.draft.get(), Some(Ok(Some(ref d))) if d.state == "pending")
    }

    /// After an answer is sent: empty again.
    pub fn clear(&self) {
        self.body.set(String::new());
        self.used.set(false);
    }
}

/// The suggestion in one sentence: "Complaint · high urgency · negative · …".
fn suggestion_text(s: &Triage) -> String {
    let mut text = format!(
        "{} · {} urgency · {} · {}",
        s.category.label(),
        s.urgency.label().to_lowercase(),
        s.sentiment.label().to_lowercase(),
        s.summary
    );
    if let Some(b) = &s.business_name {
        text.push_str(&format!(" About {b}."));
    }
    if let Some(i) = s.open_issue {
        text.push_str(&format!(
            " Suggests opening an issue ({}, {} priority).",
            i.kind.label(),
            i.priority.label().to_lowercase()
        ));
    }
    text
}

/// Asking for a draft, and what became of it; or why AI cannot draft here.
#[component]
pub fn DraftAssist(
    thread_id: String,
    why_not: Option<String>,
    composer: Composer,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    if let Some(why) = why_not {
        return view! { <p class="muted" data-testid="draft-absent">{why}</p> }.into_any();
    }
    let request = composer.request;
    let error = action_error(request);
    let draft = composer.draft;
    view! {
        <ActionForm action=request attr:class="draft-request">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="form[thread_id]" value=thread_id/>
            <FormError error fields=&[]/>
            <button type="submit" class="button" disabled=move || composer.drafting()>
                {move || if composer.drafting() { "Drafting…" } else { "Draft a reply with AI" }}
            </button>
        </ActionForm>
        {move || match draft.get() {
            Some(Ok(Some(d))) if d.state == "failed" => Some(d.note.unwrap_or_else(|| "No draft this time.".into())),
            _ => None,
        }.map(|note| view! { <p class="notice" role="alert">{note}</p> })}
        {move || composer.used.get().then(|| view! {
            <p class="notice" data-testid="ai-draft">
                "AI draft: read and change it as needed. Nothing is sent until you press Send reply."
            </p>
        })}
        {move || match draft.get() {
            Some(Ok(Some(d))) if d.state == "ready" && !d.unseen.is_empty() => Some(d.unseen),
            _ => None,
        }.map(|unseen| view! {
            <div class="notice" role="alert" data-testid="draft-unseen">
                <p><strong>"Check before sending: "</strong>"the draft mentions these, which are not in the conversation:"</p>
                <ul>{unseen.into_iter().map(|u| view! { <li><code>{u}</code></li> }).collect_view()}</ul>
            </div>
        })}
    }
    .into_any()
}
