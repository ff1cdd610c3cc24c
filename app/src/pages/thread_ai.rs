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
    org::OrgContext,
    work::ai::{
        suggest::{
            get_draft, AcceptTriage, AiThreadRef, DraftView, RequestDraft, ThreadAi, TriageThread,
        },
        Category, TriageState, Urgency,
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
                <p data-testid="triage-suggestion">
                    <strong>"Suggested: "</strong>
                    {format!("{} · {} urgency · {} · {}", s.category.label(), s.urgency.label().to_lowercase(), s.sentiment.label().to_lowercase(), s.summary)}
                    {s.business_name.map(|b| format!(" About {b}."))}
                    {s.open_issue.map(|i| format!(" Suggests opening an issue ({}, {} priority).", i.kind.label(), i.priority.label().to_lowercase()))}
                </p>
                <p class="muted">"A suggestion from AI triage: accept it or change it."</p>
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
            {match (can_edit, ai.why_not.clone()) {
                (_, Some(why)) => view! { <p class="muted" data-testid="ai-absent">{why}</p> }.into_any(),
                (true, None) => view! {
                    <ActionForm action=again>
                        <CsrfField/>
                        <input type="hidden" name="slug" value=again_slug/>
                        <input type="hidden" name="form[thread_id]" value=again_thread/>
                        <FormError error=again_error fields=&[]/>
                        <button type="submit" class="button" disabled=move || again.pending().get() || ai.state == TriageState::Pending>
                            "Triage again"
                        </button>
                    </ActionForm>
                }.into_any(),
                (false, None) => ().into_any(),
            }}
        </section>
    }
}

/// Asking for a draft, and putting it into the composer (`body`) when it is ready; `used` says
/// the composer holds a draft, which the answer records.
#[component]
pub fn DraftAssist(
    thread_id: String,
    why_not: Option<String>,
    body: RwSignal<String>,
    used: RwSignal<bool>,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    if let Some(why) = why_not {
        return view! { <p class="muted" data-testid="draft-absent">{why}</p> }.into_any();
    }
    let request = ServerAction::<RequestDraft>::new();
    let error = action_error(request);
    let tick = RwSignal::new(0u32);
    let draft = {
        let (slug, thread_id) = (slug.clone(), thread_id.clone());
        Resource::new(
            move || (request.version().get(), tick.get()),
            move |_| {
                get_draft(
                    slug.clone(),
                    AiThreadRef {
                        thread_id: thread_id.clone(),
                    },
                )
            },
        )
    };
    let pending = move || matches!(draft.get(), Some(Ok(Some(ref d))) if d.state == "pending");
    poll_while(tick, pending);
    // A draft that becomes ready goes into the composer once, unless the person has written
    // something meanwhile.
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
    view! {
        <ActionForm action=request attr:class="draft-request">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="form[thread_id]" value=thread_id/>
            <FormError error fields=&[]/>
            <button type="submit" class="button" disabled=move || request.pending().get() || pending()>
                {move || if request.pending().get() || pending() { "Drafting…" } else { "Draft a reply with AI" }}
            </button>
        </ActionForm>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match draft.await {
                    Ok(Some(d)) if d.state == "failed" => view! {
                        <p class="notice" role="alert">{d.note.unwrap_or_else(|| "No draft this time.".into())}</p>
                    }.into_any(),
                    Ok(Some(d)) if d.state == "ready" => view! {
                        <DraftNotice unseen=d.unseen used/>
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

/// Said beside a draft in the composer: it is AI's, nothing goes until sent, and what to check.
#[component]
fn DraftNotice(unseen: Vec<String>, used: RwSignal<bool>) -> impl IntoView {
    view! {
        <Show when=move || used.get()>
            <p class="notice" data-testid="ai-draft">
                "AI draft: read and change it as needed. Nothing is sent until you press Send reply."
            </p>
        </Show>
        {(!unseen.is_empty()).then(|| view! {
            <div class="notice" role="alert" data-testid="draft-unseen">
                <p><strong>"Check before sending: "</strong>"the draft mentions these, which are not in the conversation:"</p>
                <ul>{unseen.into_iter().map(|u| view! { <li><code>{u}</code></li> }).collect_view()}</ul>
            </div>
        })}
    }
}
