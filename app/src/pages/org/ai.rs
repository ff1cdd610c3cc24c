//! AI for Owners and Admins: the switch in settings, with the plain statement of what is sent
//! beside it, the tone and signature of drafts and the month's allowance; and `/o/{slug}/ai`,
//! the record of every request, filtered, in pages, and exported as CSV.

use leptos::prelude::*;

use super::{org, NotAllowed};
use crate::{
    allowance::Meter,
    components::{
        address::{next_page, query},
        choices::ChoiceSelect,
        csv_tools::CsvLink,
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError},
        moment::When,
        problem::LoadProblem,
    },
    roles::Permission,
    work::ai::{
        record::{ai_record, AiCall, AiRecordQuery, ExportAiRecordCsv},
        settings::{get_ai_settings, AiSettings, UpdateAiSettings, SIGNATURE_CHARS},
        Outcome, Purpose, Tone, WHAT_IS_SENT,
    },
};

/// The settings section: the switch, what it sends, how drafts are written, the allowance.
#[component]
pub fn AiPanel() -> impl IntoView {
    let ctx = org();
    let update = ServerAction::<UpdateAiSettings>::new();
    let slug = ctx.slug.clone();
    let settings = Resource::new(
        move || update.version().get(),
        move |_| get_ai_settings(slug.clone()),
    );
    view! {
        <h2 id="ai">"AI triage and drafts"</h2>
        <p class="muted" data-testid="ai-statement">{WHAT_IS_SENT}</p>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! { <AiForm settings=s update/> }.into_any(),
                    Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                }
            })}
        </Transition>
        <p><a href=format!("/o/{}/ai", ctx.slug)>"See every AI request"</a></p>
    }
}

#[component]
fn AiForm(settings: AiSettings, update: ServerAction<UpdateAiSettings>) -> impl IntoView {
    let slug = org().slug;
    let error = action_error(update);
    let s = settings;
    view! {
        <p data-testid="ai-state">{match (s.configured, s.enabled) {
            (false, _) => "AI is not configured on this server: nothing is sent anywhere.".to_string(),
            (true, true) => format!("AI is on. {} plan: {}.", s.plan, s.allowance.describe(Meter::Ai)),
            (true, false) => format!("AI is off: nothing is sent to Anthropic. {} plan: {}.", s.plan, s.allowance.describe(Meter::Ai)),
        }}</p>
        <ActionForm action=update attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <label class="check">
                <input type="checkbox" name="form[enabled]" value="true" checked=s.enabled disabled=!s.configured/>
                " Use AI for triage and reply drafts"
            </label>
            <div class="field">
                <label for="ai-tone">"Tone of drafts"</label>
                <ChoiceSelect id="ai-tone" name="form[tone]" options=Tone::options() selected=s.tone.as_str()/>
            </div>
            <div class="field">
                <label for="ai-signature">"Signature under drafts"</label>
                <textarea id="ai-signature" name="form[signature]" rows="2" maxlength=SIGNATURE_CHARS.to_string()
                    aria-describedby="ai-signature-help">{s.signature}</textarea>
                <p id="ai-signature-help" class="muted">"After the first name of the member writing, such as the business's name and phone number."</p>
                <FieldError error field="signature"/>
            </div>
            <FormError error fields=&["signature", "tone"]/>
            <button type="submit" class="button primary" disabled=move || update.pending().get()>
                {move || if update.pending().get() { "Saving…" } else { "Save AI settings" }}
            </button>
        </ActionForm>
    }
}

/// The address's query names, each for one field of [`AiRecordQuery`].
const FILTERS: [&str; 2] = ["purpose", "outcome"];

fn record_query() -> AiRecordQuery {
    AiRecordQuery {
        purpose: query("purpose"),
        outcome: query("outcome"),
        after: query("after"),
    }
}

/// `/o/{slug}/ai`: every request to the AI service, newest first.
#[component]
pub fn AiRecordPage() -> impl IntoView {
    let ctx = org();
    if !ctx.role.allows(Permission::Settings) {
        return view! { <NotAllowed title="AI record" role=ctx.role permission=Permission::Settings/> }
            .into_any();
    }
    let slug = ctx.slug.clone();
    let page = Resource::new(record_query, move |q| ai_record(slug.clone(), q));
    view! {
        <h1>"AI record"</h1>
        <p class="muted">"Every request sent to the AI service: when, why, what started it, the model, its size in tokens, how long it took and how it ended. The fingerprint is a SHA-256 of exactly what was sent; the text itself is not kept."</p>
        <form method="get" class="filters" role="search" aria-label="Filter the AI record">
            <div class="field">
                <label for="ai-purpose">"Purpose"</label>
                <ChoiceSelect id="ai-purpose" name="purpose" options=Purpose::options() selected=query("purpose") any="Any"/>
            </div>
            <div class="field">
                <label for="ai-outcome">"Outcome"</label>
                <ChoiceSelect id="ai-outcome" name="outcome" options=Outcome::options() selected=query("outcome") any="Any"/>
            </div>
            <button type="submit" class="button">"Filter"</button>
        </form>
        <AiRecordExport slug=ctx.slug.clone()/>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) => view! {
                        <p data-testid="ai-allowance">{format!("This month: {}.", p.allowance.describe(Meter::Ai))}</p>
                        {if p.calls.is_empty() {
                            view! { <p class="empty">"No AI requests match."</p> }.into_any()
                        } else {
                            view! { <AiCalls calls=p.calls/> }.into_any()
                        }}
                        {p.next.map(|n| view! { <p><a href=next_page(&FILTERS, &n)>"Older requests"</a></p> })}
                    }.into_any(),
                    Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn AiCalls(calls: Vec<AiCall>) -> impl IntoView {
    let slug = org().slug;
    let number = |n: Option<i32>| n.map(|n| n.to_string()).unwrap_or_else(|| "—".into());
    view! {
        <table class="table ai-record">
            <caption class="visually-hidden">"AI requests, newest first"</caption>
            <thead><tr>
                <th scope="col">"Time"</th><th scope="col">"Purpose"</th><th scope="col">"Started by"</th>
                <th scope="col">"Conversation"</th><th scope="col">"Model"</th><th scope="col">"Tokens in / out"</th>
                <th scope="col">"Time taken"</th><th scope="col">"Outcome"</th><th scope="col">"Fingerprint"</th>
            </tr></thead>
            <tbody>
                {calls.into_iter().map(|c| view! {
                    <tr>
                        <td><When at=c.at/></td>
                        <td>{c.purpose.label()}</td>
                        <td>{c.started_by}</td>
                        <td>{match (c.thread_id, c.thread) {
                            (Some(id), Some(subject)) => view! { <a href=format!("/o/{slug}/inbox/{id}")>{subject}</a> }.into_any(),
                            _ => view! { "Deleted" }.into_any(),
                        }}</td>
                        <td><code>{c.model}</code></td>
                        <td>{format!("{} / {}", number(c.input_tokens), number(c.output_tokens))}</td>
                        <td>{c.latency_ms.map(|ms| format!("{ms} ms")).unwrap_or_else(|| "—".into())}</td>
                        <td>{c.outcome.label()}</td>
                        <td><code title=c.content_sha256.clone()>{c.content_sha256.chars().take(12).collect::<String>()}</code></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Exporting what the filters select, as a CSV link.
#[component]
fn AiRecordExport(slug: String) -> impl IntoView {
    let export = ServerAction::<ExportAiRecordCsv>::new();
    let error = action_error(export);
    view! {
        <ActionForm action=export attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="form[purpose]" value=query("purpose")/>
            <input type="hidden" name="form[outcome]" value=query("outcome")/>
            <button type="submit" class="button" disabled=move || export.pending().get()>"Export CSV"</button>
        </ActionForm>
        <CsvLink csv=Signal::derive(move || export.value().get().and_then(|r| r.ok())) file="ai-record.csv"/>
        <FormError error fields=&[]/>
    }
}
