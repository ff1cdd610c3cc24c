//! The dashboard: figures and charts for a site and period. Changing the filters changes the
//! address (so a view can be shared or bookmarked) and refetches in place, without a reload.
//!
//! Charts are drawn by leptos-chartistry as SVG, the same on the server and in the browser.
//! Each has a text alternative: a sentence for assistive technology and the figures as a table.

use leptos::prelude::*;
use leptos_chartistry::{
    AspectRatio, AxisMarker, Bar, Colour, IntoInner, Legend, Line, Series, TickLabels, Tooltip,
    TooltipPlacement, XGuideLine, YGridLine,
};
use leptos_router::{components::A, hooks::use_navigate, NavigateOptions};
use time::{Date, OffsetDateTime};

use crate::{
    components::{
        address::{query, query_string},
        problem::LoadProblem,
    },
    org::OrgContext,
    work::dashboard::{
        describe_hours, load_dashboard, Dashboard, DashboardQuery, Period, Rating, Week,
    },
};

/// Colours that read on both the light and the dark background.
const TEAL: Colour = Colour::from_rgb(20, 150, 140);
const AMBER: Colour = Colour::from_rgb(217, 119, 6);

#[component]
pub fn DashboardPage() -> impl IntoView {
    let ctx = expect_context::<OrgContext>();
    let slug = ctx.slug.clone();
    let data = Resource::new(
        move || DashboardQuery {
            site: query("site"),
            days: query("days"),
        },
        move |query| load_dashboard(slug.clone(), query),
    );
    view! {
        <h1>"Dashboard"</h1>
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
            <CountChart title="Open issues by priority" id="by-priority" rows=priority colour=AMBER/>
            <CountChart title="Open issues by site" id="by-site" rows=sites colour=TEAL/>
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
            <CountChart title="Businesses by relationship" id="by-relationship" rows=businesses colour=TEAL/>
            <RatingsChart ratings=d.ratings/>
        </div>
    }
}

/// The y axis of a count or a rating: whole numbers named, ticks in between blank.
fn whole_numbers() -> TickLabels<f64> {
    TickLabels::aligned_floats().with_format(|y: &f64, _| {
        if y.fract() == 0.0 {
            format!("{y}")
        } else {
            String::new()
        }
    })
}

/// The x axis of a bar chart: bars stand on whole numbers, each named by its label; ticks in
/// between stay blank.
fn bar_labels(labels: Vec<String>) -> TickLabels<f64> {
    TickLabels::aligned_floats().with_format(move |x: &f64, _| {
        if x.fract() == 0.0 {
            labels.get(*x as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    })
}

/// Labels too long for the axis are shortened there; the table keeps them whole.
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
    colour: Colour,
) -> impl IntoView {
    let said = rows
        .iter()
        .map(|(label, n)| format!("{label}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let labels: Vec<String> = rows.iter().map(|(l, _)| axis_label(l)).collect();
    let points: Vec<(f64, f64)> = rows
        .iter()
        .enumerate()
        .map(|(i, (_, n))| (i as f64, *n as f64))
        .collect();
    let max = points.iter().map(|p| p.1).fold(0.0, f64::max);
    let x_ticks = bar_labels(labels);
    let series = Series::new(|p: &(f64, f64)| p.0)
        .with_y_range(0.0, max.max(4.0))
        .bar(
            Bar::new(|p: &(f64, f64)| p.1)
                .with_name(title)
                .with_colour(colour),
        );
    let (title_id, said_id) = (format!("{id}-title"), format!("{id}-said"));
    view! {
        <figure class="chart" id=id>
            <figcaption id=title_id.clone()>{title}</figcaption>
            <div role="img" aria-labelledby=title_id aria-describedby=said_id.clone()>
                <leptos_chartistry::Chart
                    aspect_ratio=AspectRatio::from_outer_ratio(420.0, 240.0)
                    font_height=12.0
                    font_width=7.0
                    left=whole_numbers()
                    bottom=x_ticks
                    inner=[
                        AxisMarker::left_edge().into_inner(),
                        AxisMarker::bottom_edge().into_inner(),
                        YGridLine::default().into_inner(),
                    ]
                    series=series
                    data=Signal::stored(points)
                />
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
    let labels: Vec<String> = ratings.iter().map(|r| axis_label(&r.name)).collect();
    type Point = (f64, f64, f64);
    // Each bar stands in its own series' place; the other series is zero there.
    let points: Vec<Point> = ratings
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let (own, other) = if r.own {
                (r.rating, 0.0)
            } else {
                (0.0, r.rating)
            };
            (i as f64, own, other)
        })
        .collect();
    let x_ticks = bar_labels(labels);
    let series = Series::new(|p: &Point| p.0)
        .with_y_range(0.0, 5.0)
        .bar(
            Bar::new(|p: &Point| p.1)
                .with_name("Own sites")
                .with_colour(TEAL),
        )
        .bar(
            Bar::new(|p: &Point| p.2)
                .with_name("Competitors")
                .with_colour(AMBER),
        );
    view! {
        <figure class="chart wide" id="ratings">
            <figcaption id="ratings-title">"Google ratings: own sites and competitors"</figcaption>
            <div role="img" aria-labelledby="ratings-title" aria-describedby="ratings-said">
                <leptos_chartistry::Chart
                    aspect_ratio=AspectRatio::from_outer_ratio(860.0, 280.0)
                    font_height=12.0
                    font_width=7.0
                    top=Legend::end()
                    left=whole_numbers()
                    bottom=x_ticks
                    inner=[
                        AxisMarker::left_edge().into_inner(),
                        AxisMarker::bottom_edge().into_inner(),
                        YGridLine::default().into_inner(),
                    ]
                    series=series
                    data=Signal::stored(points)
                />
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

const SECONDS_PER_DAY: i64 = 86_400;

/// The chart's x axis counts days since the Unix epoch: each week's point sits on the Monday it
/// starts, so the axis is a true time line.
fn day_of(week: &Week) -> f64 {
    week.starts.div_euclid(SECONDS_PER_DAY) as f64
}

/// "23 Nov", as the weeks' labels read, for the day a tick on the x axis falls on. The axis
/// spaces its ticks evenly over the period, not on day boundaries: a tick within a quarter of a
/// day of one is named after that day, and the others stay blank. The chart is wide enough for at
/// most 12 labels of this length, so even over the shortest period (7 days) ticks are more than
/// half a day apart and no day is named twice.
fn day_label(x: f64) -> String {
    let day = x.round();
    if (x - day).abs() >= 0.25 {
        return String::new();
    }
    let epoch = OffsetDateTime::UNIX_EPOCH.date().to_julian_day();
    match Date::from_julian_day(epoch + day as i32) {
        Ok(date) => {
            let month = date.month().to_string();
            format!("{:02} {}", date.day(), &month[..3])
        }
        Err(_) => String::new(),
    }
}

#[component]
fn WeeklyChart(weeks: Vec<Week>) -> impl IntoView {
    type Point = (f64, f64, f64);
    let points: Vec<Point> = weeks
        .iter()
        .map(|w| (day_of(w), w.opened as f64, w.resolved as f64))
        .collect();
    let max = points.iter().map(|p| p.1.max(p.2)).fold(0.0, f64::max);
    let series = Series::new(|p: &Point| p.0)
        .with_min_y(0.0)
        .with_max_y(max.max(4.0))
        .line(
            Line::new(|p: &Point| p.1)
                .with_name("Opened")
                .with_colour(AMBER),
        )
        .line(
            Line::new(|p: &Point| p.2)
                .with_name("Resolved")
                .with_colour(TEAL),
        );
    let days = || TickLabels::aligned_floats().with_format(|x: &f64, _| day_label(*x));
    view! {
        <leptos_chartistry::Chart
            aspect_ratio=AspectRatio::from_outer_ratio(860.0, 280.0)
            font_height=12.0
            font_width=7.0
            top=Legend::end()
            left=whole_numbers()
            bottom=days()
            inner=[
                AxisMarker::left_edge().into_inner(),
                AxisMarker::bottom_edge().into_inner(),
                YGridLine::default().into_inner(),
                XGuideLine::over_data().into_inner(),
            ]
            tooltip=Tooltip::new(TooltipPlacement::LeftCursor, days(), TickLabels::aligned_floats())
            series=series
            data=Signal::stored(points)
        />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_weekly_axis_names_days_as_the_weeks_labels_read() {
        // Monday 23 November 2026, 00:00 UTC.
        let week = Week {
            starts: 1_795_392_000,
            label: "23 Nov".into(),
            opened: 0,
            resolved: 0,
        };
        let monday = day_of(&week);
        assert_eq!(day_label(monday), week.label);
        assert_eq!(day_label(monday + 9.0), "02 Dec");
        assert_eq!(
            day_label(monday + 8.8),
            "02 Dec",
            "a tick near a day is named after it"
        );
        assert_eq!(day_label(monday + 0.5), "", "a tick between days is not");
    }
}
