//! The dashboard: figures and charts for a site and period. Changing the filters changes the
//! address (so a view can be shared or bookmarked) and refetches in place, without a reload.
//!
//! Charts are plain SVG (`components::chart`), the same on the server and in the browser.
//! Each has a text alternative: a sentence for assistive technology and the figures as a table.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_navigate, NavigateOptions};

use crate::{
    components::{
        address::{query, query_string},
        chart::{Bar, BarChart, Hue, LineChart, LineSeries, ValueAxis},
        problem::LoadProblem,
    },
    org::OrgContext,
    work::dashboard::{
        describe_hours, load_dashboard, Dashboard, DashboardQuery, Period, Rating, Week,
    },
};

/// Own sites in one colour, competitors in the other, on every chart that shows both.
const OWN: Hue = Hue::Teal;
const COMPETITOR: Hue = Hue::Amber;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let slug = ctx.slug.clone();
    let digest = format!("/o/{}/digest", ctx.slug);
    let data = Resource::new(
        move || DashboardQuery {
            site: query("site"),
            days: query("days"),
        },
        move |query| load_dashboard(slug.clone(), query),
    );
    view! {
        <h1>"Dashboard"</h1>
        <p><leptos_router::components::A href=digest>"The weekly digest of these figures"</leptos_router::components::A></p>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading the figures…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(d) => view! { <Filters d=d.clone()/> <Figures d/> }.into_any(),
                    Err(e) => view! { <LoadProblem error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Site and period. A plain GET form without scripts; in the browser a change navigates at once.
#[component]
fn Filters(d: Dashboard) -> impl IntoView {
    let site = RwSignal::new(query("site"));
    let days = RwSignal::new(query("days"));
    let navigate = use_navigate();
    let apply = move || {
        let to = query_string(&[
            ("site", site.get_untracked()),
            ("days", days.get_untracked()),
        ]);
        navigate(
            &to,
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        );
    };
    let (apply_site, apply_days) = (apply.clone(), apply.clone());
    let current = days.get_untracked();
    let current = Period::from_days(&current).unwrap_or_default();
    view! {
        <form method="get" class="filters" aria-label="Dashboard filters"
            on:submit=move |ev| { ev.prevent_default(); apply(); }>
            <div class="field">
                <label for="d-site">"Site"</label>
                <select id="d-site" name="site"
                    on:change=move |ev| { site.set(event_target_value(&ev)); apply_site(); }>
                    <option value="">"All sites"</option>
                    {d.open_by_site.into_iter().map(|s| {
                        let selected = s.id == site.get_untracked();
                        view! { <option value=s.id selected=selected>{s.name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="d-days">"Period"</label>
                <select id="d-days" name="days"
                    on:change=move |ev| { days.set(event_target_value(&ev)); apply_days(); }>
                    {Period::ALL.into_iter().map(|p| view! {
                        <option value=p.days().to_string() selected=p == current>{p.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <button type="submit" class="button">"Show"</button>
        </form>
    }
}

#[component]
fn Figures(d: Dashboard) -> impl IntoView {
    let slug = expect_context::<OrgContext>().slug;
    let median = d
        .median_hours_to_resolve
        .map(describe_hours)
        .unwrap_or_else(|| "–".into());
    let first_response = d
        .median_hours_to_first_response
        .map(describe_hours)
        .unwrap_or_else(|| "–".into());
    let priority: Vec<(String, i64)> = d
        .open_by_priority
        .iter()
        .map(|(p, n)| (p.label().to_string(), *n))
        .collect();
    let mut sites: Vec<(String, i64)> = d
        .open_by_site
        .iter()
        .map(|s| (s.name.clone(), s.open))
        .collect();
    sites.push(("Not at a site".into(), d.open_elsewhere));
    let businesses: Vec<(String, i64)> = d
        .businesses
        .iter()
        .map(|(r, n)| (r.label().to_string(), *n))
        .collect();
    let weeks_said = d
        .weeks
        .iter()
        .map(|w| {
            format!(
                "week of {}: {} opened, {} resolved",
                w.label, w.opened, w.resolved
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    view! {
        <ul class="stats" aria-label="Key figures">
            <li class="card"><span class="stat" data-figure="open">{d.open}</span> " open issues"</li>
            <li class="card">
                <A href=format!("/o/{slug}/issues?overdue=true")>
                    <span class="stat" data-figure="overdue">{d.overdue}</span> " overdue"
                </A>
            </li>
            <li class="card"><span class="stat" data-figure="resolved">{d.resolved}</span> " resolved in the period"</li>
            <li class="card"><span class="stat" data-figure="median">{median}</span> " median time to resolve"</li>
            <li class="card">
                <A href=format!("/o/{slug}/inbox")>
                    <span class="stat" data-figure="messages-waiting">{d.messages_waiting}</span> " messages waiting for an answer"
                </A>
            </li>
            <li class="card"><span class="stat" data-figure="first-response">{first_response}</span> " median first response"</li>
        </ul>
        <div class="charts">
            <CountChart title="Open issues by priority" id="by-priority" rows=priority hue=Hue::Amber/>
            <CountChart title="Open issues by site" id="by-site" rows=sites hue=Hue::Teal/>
            <figure class="chart wide">
                <figcaption id="weekly-title">"Issues opened and resolved per week"</figcaption>
                <div role="img" aria-labelledby="weekly-title" aria-describedby="weekly-said">
                    <WeeklyChart weeks=d.weeks.clone()/>
                </div>
                <p id="weekly-said" class="visually-hidden">{weeks_said}</p>
                <details>
                    <summary>"Show as a table"</summary>
                    <table class="table">
                        <thead><tr><th scope="col">"Week of"</th><th scope="col">"Opened"</th><th scope="col">"Resolved"</th></tr></thead>
                        <tbody>
                            {d.weeks.into_iter().map(|w| view! {
                                <tr><th scope="row">{w.label}</th><td>{w.opened}</td><td>{w.resolved}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </details>
            </figure>
            <CountChart title="Businesses by relationship" id="by-relationship" rows=businesses hue=Hue::Teal/>
            <RatingsChart ratings=d.ratings/>
        </div>
    }
}

/// Names too long for the axis are shortened there; the table keeps them whole.
fn axis_label(label: &str) -> String {
    const MAX: usize = 12;
    if label.chars().count() <= MAX {
        label.to_string()
    } else {
        let short: String = label.chars().take(MAX - 1).collect();
        format!("{}…", short.trim_end())
    }
}

/// A bar per label, with the same figures said in a sentence and listed in a table.
#[component]
fn CountChart(
    title: &'static str,
    id: &'static str,
    rows: Vec<(String, i64)>,
    hue: Hue,
) -> impl IntoView {
    let said = rows
        .iter()
        .map(|(label, n)| format!("{label}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let largest = rows.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let bars = rows
        .iter()
        .map(|(label, n)| Bar {
            name: axis_label(label),
            value: *n as f64,
            hue,
            title: format!("{label}: {n}"),
        })
        .collect();
    let (title_id, said_id) = (format!("{id}-title"), format!("{id}-said"));
    view! {
        <figure class="chart" id=id>
            <figcaption id=title_id.clone()>{title}</figcaption>
            <div role="img" aria-labelledby=title_id aria-describedby=said_id.clone()>
                <BarChart bars axis=ValueAxis::fit(largest as f64, 4.0) width=420.0 height=240.0/>
            </div>
            <p id=said_id class="visually-hidden">{said}</p>
            <details>
                <summary>"Show as a table"</summary>
                <table class="table">
                    <tbody>
                        {rows.into_iter().map(|(label, n)| view! {
                            <tr><th scope="row">{label}</th><td>{n}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
        </figure>
    }
}

/// Google ratings of own sites beside competitors': a bar each, own sites in one colour and
/// competitors in the other, with the figures said in a sentence and listed in a table.
#[component]
fn RatingsChart(ratings: Vec<Rating>) -> impl IntoView {
    let side = |r: &Rating| if r.own { "own site" } else { "competitor" };
    if ratings.is_empty() {
        return view! {
            <figure class="chart wide" id="ratings">
                <figcaption>"Google ratings: own sites and competitors"</figcaption>
                <p class="muted">"No ratings yet. They come from Google Maps when your own sites and competitors are enriched."</p>
            </figure>
        }
        .into_any();
    }
    let said = ratings
        .iter()
        .map(|r| {
            format!(
                "{} ({}): {:.1} from {} reviews",
                r.name,
                side(r),
                r.rating,
                r.reviews
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let bars = ratings
        .iter()
        .map(|r| Bar {
            name: axis_label(&r.name),
            value: r.rating,
            hue: if r.own { OWN } else { COMPETITOR },
            title: format!(
                "{} ({}): {:.1} from {} reviews",
                r.name,
                side(r),
                r.rating,
                r.reviews
            ),
        })
        .collect();
    view! {
        <figure class="chart wide" id="ratings">
            <figcaption id="ratings-title">"Google ratings: own sites and competitors"</figcaption>
            <div role="img" aria-labelledby="ratings-title" aria-describedby="ratings-said">
                <BarChart bars axis=ValueAxis::fit(5.0, 5.0) width=860.0 height=300.0
                    legend=vec![("Own sites", OWN), ("Competitors", COMPETITOR)]/>
            </div>
            <p id="ratings-said" class="visually-hidden">{said}</p>
            <details>
                <summary>"Show as a table"</summary>
                <table class="table">
                    <thead><tr><th scope="col">"Business"</th><th scope="col">"Side"</th><th scope="col">"Rating"</th><th scope="col">"Reviews"</th></tr></thead>
                    <tbody>
                        {ratings.iter().map(|r| view! {
                            <tr>
                                <th scope="row">{match r.maps_url.clone() {
                                    Some(url) => view! { <a href=url rel="noopener noreferrer" target="_blank">{r.name.clone()}</a> }.into_any(),
                                    None => r.name.clone().into_any(),
                                }}</th>
                                <td>{side(r)}</td><td>{format!("{:.1}", r.rating)}</td><td>{r.reviews}</td></tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </details>
            <p class="attribution">"Ratings from Google Maps; each business in the table links to its place there."</p>
        </figure>
    }
    .into_any()
}

/// Opened and resolved per week, each week named by the Monday it starts.
#[component]
fn WeeklyChart(weeks: Vec<Week>) -> impl IntoView {
    let largest = weeks
        .iter()
        .map(|w| w.opened.max(w.resolved))
        .max()
        .unwrap_or(0);
    let series = vec![
        LineSeries {
            name: "Opened",
            hue: Hue::Amber,
            values: weeks.iter().map(|w| w.opened as f64).collect(),
        },
        LineSeries {
            name: "Resolved",
            hue: Hue::Teal,
            values: weeks.iter().map(|w| w.resolved as f64).collect(),
        },
    ];
    let places = weeks.into_iter().map(|w| w.label).collect();
    view! {
        <LineChart places series axis=ValueAxis::fit(largest as f64, 4.0) width=860.0 height=280.0/>
    }
}
