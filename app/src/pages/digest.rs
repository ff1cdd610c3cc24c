//! `/o/{slug}/digest`: the weekly digest as it would go now, and whether it comes to the reader.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    components::{
        forms::{action_error, CsrfField, FormError, Submit},
        problem::LoadProblem,
    },
    org::OrgContext,
    work::digest::{preview_digest, Digest, DigestPreview, SetWeeklyDigest},
};

#[component]
pub fn DigestPage() -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let set = ServerAction::<SetWeeklyDigest>::new();
    let preview = Resource::new(
        move || set.version().get(),
        move |_| preview_digest(slug.clone()),
    );
    view! {
        <h1>"Weekly digest"</h1>
        <p>"Every Monday morning where you are, an email of the organisation's week: issues opened, resolved and overdue, messages waiting and ratings that changed. This is the next one as it stands now."</p>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading the digest…"</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Ok(p) => view! { <Preview p set/> }.into_any(),
                    Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Preview(p: DigestPreview, set: ServerAction<SetWeeklyDigest>) -> impl IntoView {
    let error = action_error(set);
    let ctx = expect_context::<OrgContext>();
    let summary_note = match (&p.digest.summary, p.ai) {
        (Some(s), _) => Some(s.clone()),
        (None, true) => Some(
            "When it is sent, a few sentences from the AI sum up the week here (one AI request of the organisation's allowance)."
                .to_string(),
        ),
        (None, false) => None,
    };
    view! {
        <section class="card" aria-labelledby="digest-subject" data-testid="digest-preview">
            <h2 id="digest-subject">{p.subject}</h2>
            <p class="muted">{p.digest.period.clone()}</p>
            {summary_note.map(|s| view! { <p data-testid="digest-summary">{s}</p> })}
            <Figures d=p.digest slug=ctx.slug.clone()/>
            <details>
                <summary>"The email as text"</summary>
                <pre class="plain-text" data-testid="digest-text">{p.text}</pre>
            </details>
        </section>
        <ActionForm action=set attr:class="inline">
            <CsrfField/>
            <input type="hidden" name="form[on]" value=if p.subscribed { "false" } else { "true" }/>
            {if p.subscribed {
                view! {
                    <p data-testid="digest-subscribed">"You get this digest every Monday, for each of your organisations."</p>
                    <Submit pending=set.pending() label="Stop my weekly digests"/>
                }.into_any()
            } else {
                view! {
                    <p>"You do not get this digest."</p>
                    <Submit pending=set.pending() primary=true label="Send me this every Monday"/>
                }.into_any()
            }}
        </ActionForm>
        <FormError error fields=&[]/>
    }
}

#[component]
fn Figures(d: Digest, slug: String) -> impl IntoView {
    if d.is_quiet() {
        return view! {
            <p>"A quiet week: no issues opened or resolved, nothing overdue and no messages waiting."</p>
        }
        .into_any();
    }
    view! {
        <dl class="facts">
            <dt>"Issues opened"</dt><dd>{d.opened}</dd>
            <dt>"Issues resolved"</dt><dd>{d.resolved}</dd>
            <dt>"Overdue now"</dt>
            <dd><A href=format!("/o/{slug}/issues?overdue=true")>{format!("{} of {} open", d.overdue, d.open)}</A></dd>
            <dt>"Messages waiting for a reply"</dt>
            <dd><A href=format!("/o/{slug}/inbox")>{d.waiting}</A></dd>
        </dl>
        {(!d.overdue_issues.is_empty()).then(|| view! {
            <h3>"Overdue"</h3>
            <ul>
                {d.overdue_issues.into_iter().map(|i| view! {
                    <li><A href=format!("/o/{slug}/issues/{}", i.number)>{format!("#{} {}", i.number, i.title)}</A>
                        " (due " {i.due_on} ")"</li>
                }).collect_view()}
            </ul>
        })}
        {(!d.ratings.is_empty()).then(|| view! {
            <h3>"Google ratings that changed this week"</h3>
            <ul>
                {d.ratings.into_iter().map(|r| view! {
                    <li>{format!("{}: {} to {}", r.business, r.from, r.to)}</li>
                }).collect_view()}
            </ul>
        })}
    }
    .into_any()
}
