//! Google Maps on the business pages: a business's enrichment (Google's values beside the
//! organisation's own, the choice between candidates, copying a value over) and the register's
//! "enrich all" with its progress. While Google is being asked, the panels ask the server again
//! every second, so the page moves without a reload. Everything from Google carries the
//! "Google Maps" attribution and a link to the place, as Google's terms require.

use leptos::prelude::*;

use crate::{
    allowance::Meter,
    components::{
        forms::{action_error, CsrfField, FormError},
        poll::poll_while,
    },
    org::OrgContext,
    roles::Permission,
    work::enrichment::{
        business_enrichment, register_enrichment, BusinessRef, ChoosePlace, CopyFromGoogle,
        EnrichRegister, Enrichment, EnrichmentOverview, EnrichmentState, GoogleFacts, GoogleField,
        LookUpBusiness, RunProgress, RunQuery, NOT_CONFIGURED,
    },
};

/// The "Google Maps" attribution with the link to the place, for every view of its content.
#[component]
fn Attribution(facts: GoogleFacts) -> impl IntoView {
    view! {
        <p class="attribution">
            "Details from "
            {match facts.maps_url {
                Some(url) => view! { <a href=url rel="noopener noreferrer" target="_blank">"Google Maps"</a> }.into_any(),
                None => view! { "Google Maps" }.into_any(),
            }}
            {facts.fetched_on.map(|d| view! { ", fetched " <crate::components::moment::When at=d/> })}
            "."
        </p>
    }
}

/// A business's enrichment, on its page. `copy` is the page's: when a value is copied over, the
/// page's own facts are loaded again too.
#[component]
pub fn BusinessEnrichment(
    business_id: String,
    copy: ServerAction<CopyFromGoogle>,
) -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let enrich = ServerAction::<LookUpBusiness>::new();
    let choose = ServerAction::<ChoosePlace>::new();
    let tick = RwSignal::new(0u32);
    let (slug, id) = (ctx.slug.clone(), business_id.clone());
    let data = Resource::new(
        move || {
            (
                tick.get(),
                enrich.version().get(),
                choose.version().get(),
                copy.version().get(),
            )
        },
        move |_| {
            business_enrichment(
                slug.clone(),
                BusinessRef {
                    business_id: id.clone(),
                },
            )
        },
    );
    poll_while(
        tick,
        move || matches!(data.get(), Some(Ok(e)) if e.state == Some(EnrichmentState::Queued)),
    );
    let error = Signal::derive(move || {
        action_error(enrich)
            .get()
            .or_else(|| action_error(choose).get())
            .or_else(|| action_error(copy).get())
    });
    let can_edit = ctx.role.allows(Permission::Edit);
    view! {
        <section class="enrichment" aria-labelledby="google-title">
            <h2 id="google-title">"Google Maps"</h2>
            <FormError error fields=&["place_id"]/>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let business_id = business_id.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(e) => view! {
                                <EnrichmentView e business_id can_edit enrich choose copy/>
                            }.into_any(),
                            Err(e) => view! { <crate::components::problem::LoadProblem error=e/> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn EnrichmentView(
    e: Enrichment,
    business_id: String,
    can_edit: bool,
    enrich: ServerAction<LookUpBusiness>,
    choose: ServerAction<ChoosePlace>,
    copy: ServerAction<CopyFromGoogle>,
) -> impl IntoView {
    if !e.configured {
        return view! { <p class="muted">{NOT_CONFIGURED}</p> }.into_any();
    }
    let slug = expect_context::<OrgContext>().slug;
    let state = e.state.map(|s| {
        let class = match s {
            EnrichmentState::Delayed | EnrichmentState::Expired => "notice warning",
            _ => "notice",
        };
        view! { <p role="status" class=class data-enrichment=s.as_str()>{s.label()}</p> }
    });
    let choosing = (can_edit && e.state == Some(EnrichmentState::NeedsChoice)).then(|| {
        view! { <PlaceChooser e=e.clone() business_id=business_id.clone() choose/> }.into_any()
    });
    let facts = e.google.clone().map(|g| {
        view! { <GoogleFactsTable g business_id=business_id.clone() can_edit copy/> }.into_any()
    });
    let button = (can_edit && e.state != Some(EnrichmentState::Queued)).then(|| {
        let label = if e.google.is_some() {
            "Refresh from Google Maps"
        } else {
            "Look up on Google Maps"
        };
        view! {
            <ActionForm action=enrich attr:class="inline">
                <CsrfField/>
                <input type="hidden" name="slug" value=slug/>
                <input type="hidden" name="form[business_id]" value=business_id/>
                <button type="submit" class="button">{label}</button>
                " "<span class="muted">{e.allowance.describe(Meter::Enrichment)}</span>
            </ActionForm>
        }
        .into_any()
    });
    view! { {state} {choosing} {facts} {button} }.into_any()
}

/// Google's candidates, each with its address, and "none of these".
#[component]
fn PlaceChooser(
    e: Enrichment,
    business_id: String,
    choose: ServerAction<ChoosePlace>,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    view! {
        <ActionForm action=choose attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="slug" value=slug/>
            <input type="hidden" name="form[business_id]" value=business_id/>
            <fieldset>
                <legend>"Which of these is the business?"</legend>
                {e.candidates.into_iter().enumerate().map(|(i, c)| {
                    let id = format!("place-{i}");
                    let which = format!(": {}, {}", c.name, c.address);
                    view! {
                        <div class="choice">
                            <input type="radio" id=id.clone() name="form[place_id]" value=c.place_id required/>
                            <label for=id>{c.name} <span class="muted">" – "{c.address}</span></label>
                            {c.maps_url.map(|url| view! {
                                <a href=url rel="noopener noreferrer" target="_blank">
                                    "See on Google Maps"<span class="visually-hidden">{which}</span>
                                </a>
                            })}
                        </div>
                    }
                }).collect_view()}
                <div class="choice">
                    <input type="radio" id="place-none" name="form[place_id]" value=""/>
                    <label for="place-none">"None of these"</label>
                </div>
            </fieldset>
            <p class="attribution">"Places from Google Maps."</p>
            <button type="submit" class="button primary">"Use this choice"</button>
        </ActionForm>
    }
}

/// Google's values beside the organisation's own, each with a button that copies it over.
#[component]
fn GoogleFactsTable(
    g: GoogleFacts,
    business_id: String,
    can_edit: bool,
    copy: ServerAction<CopyFromGoogle>,
) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let rows = GoogleField::ALL
        .iter()
        .filter_map(|&field| {
            let value = g.value(field)?.to_string();
            let (slug, business_id) = (slug.clone(), business_id.clone());
            let form = can_edit.then(move || {
                view! {
                    <ActionForm action=copy attr:class="inline">
                        <CsrfField/>
                        <input type="hidden" name="slug" value=slug/>
                        <input type="hidden" name="form[business_id]" value=business_id/>
                        <input type="hidden" name="form[field]" value=field.as_str()/>
                        <button type="submit" class="button small">
                            "Use this"
                            <span class="visually-hidden">{format!(" {} from Google", field.label().to_lowercase())}</span>
                        </button>
                    </ActionForm>
                }
            });
            Some(view! { <tr><th scope="row">{field.label()}</th><td class="pre">{value}</td><td>{form}</td></tr> })
        })
        .collect_view();
    let rating = g.rating.clone().map(|r| {
        let count = g.rating_count.unwrap_or(0);
        view! { <tr><th scope="row">"Rating"</th><td>{format!("{r} out of 5 from {count} reviews")}</td><td></td></tr> }
    });
    let status = g.status_label().map(|s| {
        view! { <tr><th scope="row">"Status"</th><td><span class="badge">{s}</span></td><td></td></tr> }
    });
    let hours = (!g.hours.is_empty()).then(|| {
        let days = g.hours.clone();
        view! {
            <tr><th scope="row">"Opening hours"</th>
                <td><ul class="plain">{days.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul></td><td></td></tr>
        }
    });
    let rows = rows.into_any();
    view! {
        <table class="table google">
            <caption class="visually-hidden">"What Google Maps says of this business"</caption>
            <tbody>{rows}{rating}{status}{hours}</tbody>
        </table>
        <Attribution facts=g/>
    }
}

/// Moves on each time businesses are imported (an import starts a run of its own), for the
/// businesses page's panel to show that run.
#[derive(Clone, Copy)]
pub struct Imported(pub RwSignal<usize>);

/// "Enrich all" for the register, with the latest run's progress moving as Google answers.
#[component]
pub fn RegisterEnrichmentPanel() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let imported = expect_context::<Imported>().0;
    let start = ServerAction::<EnrichRegister>::new();
    let tick = RwSignal::new(0u32);
    let slug = ctx.slug.clone();
    let data = Resource::new(
        move || (tick.get(), start.version().get(), imported.get()),
        move |_| register_enrichment(slug.clone(), RunQuery::default()),
    );
    poll_while(
        tick,
        move || matches!(data.get(), Some(Ok(EnrichmentOverview { run: Some(run), .. })) if !run.finished()),
    );
    let error = Signal::derive(move || action_error(start).get());
    let can_edit = ctx.role.allows(Permission::Edit);
    let slug = ctx.slug.clone();
    view! {
        <Transition fallback=|| ()>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    let r = match data.await {
                        Ok(r) if r.configured => r,
                        // Where enrichment is not set up, the business pages say so.
                        _ => return ().into_any(),
                    };
                    let running = r.run.as_ref().is_some_and(|run| !run.finished());
                    view! {
                        <section class="enrich-all" aria-labelledby="enrich-all-title">
                            <h2 id="enrich-all-title">"Google Maps"</h2>
                            {r.run.map(|run| view! { <RunMeter run/> })}
                            {(can_edit && !running).then(|| view! {
                                <ActionForm action=start attr:class="inline">
                                    <CsrfField/>
                                    <input type="hidden" name="slug" value=slug/>
                                    <button type="submit" class="button">"Enrich all from Google Maps"</button>
                                    " "<span class="muted">{r.allowance.describe(Meter::Enrichment)}</span>
                                </ActionForm>
                            })}
                        </section>
                    }.into_any()
                })
            }}
        </Transition>
        <FormError error fields=&[]/>
    }
}

#[component]
fn RunMeter(run: RunProgress) -> impl IntoView {
    let said = if run.finished() {
        format!("Enrichment finished. {}", run.summary())
    } else {
        format!(
            "Looked up {} of {} businesses on Google Maps…",
            run.done(),
            run.total
        )
    };
    view! {
        <div class="run">
            <label for="enrich-progress">"Enrichment from Google Maps"</label>
            <progress id="enrich-progress" max=run.total.to_string() value=run.done().to_string()>
                {format!("{} of {}", run.done(), run.total)}
            </progress>
            <p role="status" data-finished=run.finished().to_string()>{said}</p>
        </div>
    }
}
