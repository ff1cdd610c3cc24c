//! `/staff/incidents/{number}`: one incident of the breach register. Its 72-hour clock from
//! discovery, what is overdue, every step in order (append-only), the notice to the people
//! affected with each delivery, and the record as CSV for the regulator.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::{
    components::{
        csv_tools::CsvLink,
        field_error::FieldError,
        forms::{action_error, CsrfField, FormError, Submit},
        private_meta::PrivateMeta,
        problem::LoadProblem,
    },
    staff::{
        functions::{get_incident, IncidentCsv, RecordStep, SendNotices},
        register::{category_label, step_label, Incident, ReportState, STEP_KINDS},
    },
};

#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let number = move || {
        params
            .read()
            .get("number")
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let step = ServerAction::<RecordStep>::new();
    let notices = ServerAction::<SendNotices>::new();
    let found = Resource::new(
        move || (number(), step.version().get(), notices.version().get()),
        |(n, _, _)| get_incident(n),
    );
    view! {
        <PrivateMeta title="Incident"/>
        <div class="container staff">
            <p><a href="/staff">"Staff"</a></p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok(i) => view! { <IncidentView i step notices/> }.into_any(),
                        Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn IncidentView(
    i: Incident,
    step: ServerAction<RecordStep>,
    notices: ServerAction<SendNotices>,
) -> impl IntoView {
    let number = i.number;
    let clock_class = match (i.clock.closed, i.clock.state, i.clock.minutes_left < 0) {
        (true, _, _) | (_, ReportState::Reported | ReportState::NotReportable, _) => "clock done",
        (_, _, true) => "clock late",
        _ => "clock running",
    };
    let affected = if i.affects_all {
        "Everyone with an account".to_string()
    } else {
        i.affected.join("; ")
    };
    let categories = i
        .categories
        .iter()
        .map(|c| category_label(c))
        .collect::<Vec<_>>()
        .join("; ");
    let notice = i.steps.iter().find(|s| s.kind == "notice").cloned();
    let closed = i.clock.closed;
    view! {
        <h1>{format!("INC-{}: {}", i.number, i.title)}</h1>
        <section class=clock_class aria-label="Reporting clock" data-testid="clock">
            <p><strong>{i.clock.summary()}</strong></p>
            {(!i.clock.overdue.is_empty()).then(|| view! {
                <ul class="overdue" data-testid="overdue">
                    {i.clock.overdue.iter().map(|o| view! { <li>{o.clone()}</li> }).collect_view()}
                </ul>
            })}
        </section>
        <dl class="facts">
            <dt>"Discovered"</dt><dd>{i.discovered.clone()}</dd>
            <dt>"Opened"</dt><dd>{format!("{} by {}", i.opened, i.opened_by)}</dd>
            <dt>"Personal data involved"</dt><dd>{categories}</dd>
            <dt>"Affected"</dt><dd>{affected}</dd>
            <dt>"People affected"</dt><dd data-testid="people-affected">{i.people_affected}</dd>
        </dl>
        <p class="description">{i.description.clone()}</p>
        <h2>"Record"</h2>
        <ol class="steps" data-testid="steps">
            {i.steps.iter().map(|s| {
                let detail = match (&s.must_report, &s.ico_reference, &s.reported_at, &s.subject) {
                    (Some(true), ..) => Some("Must be reported.".to_string()),
                    (Some(false), ..) => Some("Need not be reported.".to_string()),
                    (_, Some(r), Some(at), _) => Some(format!("ICO reference {r}, reported {at}.")),
                    (_, _, _, Some(subject)) => Some(format!("Subject: {subject}")),
                    _ => None,
                };
                view! {
                    <li>
                        <p><strong>{step_label(&s.kind).to_string()}</strong>{format!(" · {} · {}", s.at, s.by)}</p>
                        {detail.map(|d| view! { <p>{d}</p> })}
                        <p class="summary">{s.summary.clone()}</p>
                    </li>
                }
            }).collect_view()}
        </ol>
        {(!closed).then(|| view! { <StepForm number step/> })}
        <h2>"Notice to affected people"</h2>
        <NoticeForm number notice=notice.map(|n| (n.subject.unwrap_or_default(), n.summary)) closed notices/>
        {(!i.deliveries.is_empty()).then(|| view! {
            <table class="table" data-testid="deliveries">
                <caption>"Notices sent"</caption>
                <thead><tr><th scope="col">"To"</th><th scope="col">"Queued"</th><th scope="col">"Delivery"</th></tr></thead>
                <tbody>
                    {i.deliveries.iter().map(|d| {
                        let delivery = match (&d.sent, d.retrying) {
                            (Some(at), _) => format!("Delivered {at}"),
                            (None, true) => format!("Retrying ({} attempts so far)", d.attempts),
                            (None, false) => "Queued".to_string(),
                        };
                        view! { <tr><td>{d.email.clone()}</td><td>{d.queued.clone()}</td><td>{delivery}</td></tr> }
                    }).collect_view()}
                </tbody>
            </table>
        })}
        <h2>"For the regulator"</h2>
        <RegulatorExport number/>
    }
}

#[component]
fn StepForm(number: i64, step: ServerAction<RecordStep>) -> impl IntoView {
    let error = action_error(step);
    view! {
        <details class="card" open=true>
            <summary>"Record a step"</summary>
            <ActionForm action=step>
                <CsrfField/>
                <input type="hidden" name="number" value=number.to_string()/>
                <div class="field">
                    <label for="step-kind">"Step"</label>
                    <select id="step-kind" name="form[kind]">
                        {STEP_KINDS.iter().filter(|(k, _)| *k != "notice").map(|(k, label)| view! {
                            <option value=*k>{*label}</option>
                        }).collect_view()}
                    </select>
                    <FieldError error field="kind"/>
                </div>
                <div class="field">
                    <label for="step-summary">"What was done or decided, and why"</label>
                    <textarea id="step-summary" name="form[summary]" rows="3" required></textarea>
                    <FieldError error field="summary"/>
                </div>
                <fieldset class="field">
                    <legend>"For a decision: must it be reported to the ICO?"</legend>
                    <label class="check"><input type="radio" name="form[must_report]" value="yes"/>" Yes"</label>
                    <label class="check"><input type="radio" name="form[must_report]" value="no"/>" No"</label>
                    <FieldError error field="must_report"/>
                </fieldset>
                <div class="field">
                    <label for="step-reference">"For an ICO report: the ICO's reference"</label>
                    <input id="step-reference" name="form[ico_reference]" type="text" maxlength="100"/>
                    <FieldError error field="ico_reference"/>
                </div>
                <div class="field">
                    <label for="step-reported">"For an ICO report: reported at (UTC)"</label>
                    <input id="step-reported" name="form[reported_at]" type="datetime-local"/>
                    <FieldError error field="reported_at"/>
                </div>
                <FormError error fields=&["kind", "summary", "must_report", "ico_reference", "reported_at"]/>
                <Submit pending=step.pending() label="Add to the record" primary=true/>
            </ActionForm>
        </details>
    }
}

#[component]
fn NoticeForm(
    number: i64,
    notice: Option<(String, String)>,
    closed: bool,
    notices: ServerAction<SendNotices>,
) -> impl IntoView {
    let error = action_error(notices);
    let queued = move || notices.value().get().and_then(|r| r.ok());
    let written = notice.is_some();
    view! {
        {notice.map(|(subject, body)| view! {
            <blockquote class="breach-notice" data-testid="notice">
                <p><strong>{subject}</strong></p>
                <p class="summary">{body}</p>
            </blockquote>
        })}
        {(!closed).then(|| view! {
            <ActionForm action=notices>
                <CsrfField/>
                <input type="hidden" name="number" value=number.to_string()/>
                {(!written).then(|| view! {
                    <div class="field">
                        <label for="notice-subject">"Subject"</label>
                        <input id="notice-subject" name="form[subject]" type="text" maxlength="150" required/>
                        <FieldError error field="subject"/>
                    </div>
                    <div class="field">
                        <label for="notice-body">"The notice (what happened, what it means for them, what to do)"</label>
                        <textarea id="notice-body" name="form[body]" rows="6" required></textarea>
                        <FieldError error field="body"/>
                    </div>
                })}
                <FormError error fields=&["subject", "body"]/>
                <Submit
                    pending=notices.pending()
                    label=if written { "Send to anyone affected not yet sent it" } else { "Send the notice to everyone affected" }
                    primary=true
                />
            </ActionForm>
        })}
        {move || queued().map(|n| {
            let what = if n == 1 { "notice" } else { "notices" };
            view! { <p role="status">{format!("{n} {what} queued.")}</p> }
        })}
    }
}

#[component]
fn RegulatorExport(number: i64) -> impl IntoView {
    let export = ServerAction::<IncidentCsv>::new();
    let error = action_error(export);
    view! {
        <ActionForm action=export attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="number" value=number.to_string()/>
            <Submit pending=export.pending() label="Export the record (CSV)"/>
        </ActionForm>
        <CsvLink csv=Signal::derive(move || export.value().get().and_then(|r| r.ok())) file=format!("INC-{number}.csv")/>
        <FormError error fields=&[]/>
    }
}
