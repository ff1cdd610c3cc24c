//! The operations picture: what is open, where, how urgent, what is late, and how quickly work
//! gets done. One server function gathers it for a site (or every site) over a period.
//!
//! An issue is at a site when its linked business is one of the organisation's own sites; work
//! about an outside business or about nothing in the register is counted for the organisation as
//! a whole.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Priority, Relationship};
use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::fields::optional_id,
    crate::{access, roles::Permission},
    uuid::Uuid,
};

/// How far back the flow figures (opened, resolved, time to resolve) look. Open and overdue
/// work is counted as it stands now, whatever the period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Period {
    Week,
    Month,
    #[default]
    Quarter,
    Year,
}

impl Period {
    pub const ALL: [Period; 4] = [Period::Week, Period::Month, Period::Quarter, Period::Year];

    pub fn days(self) -> i32 {
        match self {
            Period::Week => 7,
            Period::Month => 30,
            Period::Quarter => 90,
            Period::Year => 365,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Week => "Last 7 days",
            Period::Month => "Last 30 days",
            Period::Quarter => "Last 90 days",
            Period::Year => "Last 12 months",
        }
    }

    /// The period named by a `days` query value; anything else is refused, not guessed at.
    pub fn from_days(days: &str) -> Option<Period> {
        Self::ALL
            .into_iter()
            .find(|p| p.days().to_string() == days.trim())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SiteCount {
    pub id: String,
    pub name: String,
    pub open: i64,
}

/// One week of flow, starting on a Monday (UTC).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Week {
    /// The Monday it starts on, as "23 Nov".
    pub label: String,
    pub opened: i64,
    pub resolved: i64,
}

/// A business's Google rating, for comparing own sites with competitors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    pub name: String,
    /// One of the organisation's own sites; otherwise a competitor.
    pub own: bool,
    /// Out of 5, to one decimal place.
    pub rating: f64,
    pub reviews: i32,
    /// The place on Google Maps.
    pub maps_url: Option<String>,
}

/// At most this many of each side in the ratings chart: own sites, and the competitors with
/// the most reviews.
pub const RATED_PER_SIDE: i64 = 8;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub open: i64,
    pub overdue: i64,
    pub resolved: i64,
    /// Median hours from opening to resolving, over issues resolved in the period.
    pub median_hours_to_resolve: Option<f64>,
    /// Conversations whose customer spoke last and that nobody has answered.
    pub messages_waiting: i64,
    /// The median time from a conversation's first message to the first answer, over the
    /// conversations started in the period that have one.
    pub median_hours_to_first_response: Option<f64>,
    /// Every priority, most urgent first, with zero where nothing is open.
    pub open_by_priority: Vec<(Priority, i64)>,
    /// Every own site by name; this chart compares sites, so the site filter does not narrow it.
    pub open_by_site: Vec<SiteCount>,
    /// Open work not at any own site (not narrowed by the site filter either).
    pub open_elsewhere: i64,
    pub weeks: Vec<Week>,
    /// Businesses in the register (not archived) by relationship, in the usual order.
    pub businesses: Vec<(Relationship, i64)>,
    /// Own sites, then competitors, by reviews: their Google ratings (from enrichment).
    pub ratings: Vec<Rating>,
}

/// "3.5 hours", "2.1 days": a duration people read at a glance.
pub fn describe_hours(hours: f64) -> String {
    if hours < 48.0 {
        format!("{hours:.1} hours")
    } else {
        format!("{:.1} days", hours / 24.0)
    }
}

/// The site and period the dashboard shows, as its page asks for them (nested, as `form[site]`
/// and `form[days]`). Either may be left empty or out: every site, and the default period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DashboardQuery {
    /// One of the organisation's own sites, by id.
    pub site: String,
    /// A [`Period`] by its length in days.
    pub days: String,
}

/// A [`DashboardQuery`] checked. Whether the site is one of the organisation's own is checked
/// against the register when the figures are gathered.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq)]
struct DashboardFilter {
    site: Option<Uuid>,
    period: Period,
}

#[cfg(feature = "ssr")]
impl TryFrom<DashboardQuery> for DashboardFilter {
    type Error = AppError;

    fn try_from(query: DashboardQuery) -> Result<Self, AppError> {
        let period = match query.days.trim() {
            "" => Period::default(),
            d => Period::from_days(d)
                .ok_or_else(|| AppError::invalid("days", "Choose one of the periods offered."))?,
        };
        Ok(Self {
            site: optional_id(&query.site)?,
            period,
        })
    }
}

#[server(endpoint = "work/dashboard", client = CsrfClient)]
pub async fn load_dashboard(slug: String, form: DashboardQuery) -> Result<Dashboard, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let filter = DashboardFilter::try_from(form)?;
    let (key, version) = ((m.org_id, filter.site, filter.period), m.data_version);
    let kept = m.svc.kept.dashboards.clone();
    kept.or_compute(key, version, compute(&mut m, filter)).await
}

/// The dashboard's figures, read from the organisation's issues and businesses.
#[cfg(feature = "ssr")]
async fn compute(m: &mut access::Member, filter: DashboardFilter) -> Result<Dashboard, AppError> {
    let DashboardFilter { site, period } = filter;
    let org = m.org_id;

    let sites = sqlx::query!(
        r#"select business_id, name from businesses
           where org_id = $1 and relationship = 'own_site' and archived_at is null
           order by lower(name), business_id"#,
        org
    )
    .fetch_all(&mut *m.tx)
    .await?;
    // A site filter names one of this organisation's own sites, or nothing is shown.
    if let Some(site) = site {
        if !sites.iter().any(|s| s.business_id == site) {
            return Err(AppError::NotFound);
        }
    }
    // All open work in one pass over the status index; the figures are sums of these groups.
    let open = sqlx::query!(
        r#"select business_id, priority, count(*) as "open!",
                  count(*) filter (where due_on < $2) as "overdue!"
           from issues
           where org_id = $1 and issue_is_open(status) and archived_at is null
           group by business_id, priority"#,
        org,
        m.today()
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let in_filter = |b: Option<Uuid>| site.is_none() || b == site;
    let open_in = |b: Option<Uuid>| -> i64 {
        open.iter()
            .filter(|g| g.business_id == b)
            .map(|g| g.open)
            .sum()
    };
    let is_site = |b: Option<Uuid>| sites.iter().any(|s| Some(s.business_id) == b);

    let resolved = sqlx::query!(
        r#"select count(*) as "count!",
                  percentile_cont(0.5) within group (
                      order by extract(epoch from resolved_at - created_at)::float8) / 3600 as hours
           from issues
           where org_id = $1 and resolved_at >= now() - make_interval(days => $2)
             and archived_at is null and ($3::uuid is null or business_id = $3)"#,
        org,
        period.days(),
        site
    )
    .fetch_one(&mut *m.tx)
    .await?;

    let inbox = sqlx::query!(
        r#"select count(*) filter (where awaiting_reply and status <> 'closed') as "waiting!",
                  percentile_cont(0.5) within group (
                      order by extract(epoch from first_response_at - created_at)::float8)
                      filter (where first_response_at is not null
                              and created_at >= now() - make_interval(days => $2)) / 3600 as hours
           from inbox_threads
           where org_id = $1 and ($3::uuid is null or business_id = $3)
             and (status <> 'closed' or created_at >= now() - make_interval(days => $2))"#,
        org,
        period.days(),
        site
    )
    .fetch_one(&mut *m.tx)
    .await?;

    // Whole weeks by grouping, not a subquery per week: under row-level security only plain
    // bounds on the columns reach the index.
    let weeks = sqlx::query_as!(
        Week,
        r#"with weeks as (
               select generate_series(date_trunc('week', now() - make_interval(days => $2)),
                                      date_trunc('week', now()), interval '1 week') as starts
           ), opened as (
               select date_trunc('week', created_at) as week, count(*) as n from issues
               where org_id = $1 and created_at >= date_trunc('week', now() - make_interval(days => $2))
                 and archived_at is null and ($3::uuid is null or business_id = $3)
               group by 1
           ), resolved as (
               select date_trunc('week', resolved_at) as week, count(*) as n from issues
               where org_id = $1 and resolved_at >= date_trunc('week', now() - make_interval(days => $2))
                 and archived_at is null and ($3::uuid is null or business_id = $3)
               group by 1
           )
           select to_char(w.starts, 'DD Mon') as "label!",
                  coalesce(o.n, 0) as "opened!", coalesce(r.n, 0) as "resolved!"
           from weeks w
           left join opened o on o.week = w.starts
           left join resolved r on r.week = w.starts
           order by w.starts"#,
        org,
        period.days(),
        site
    )
    .fetch_all(&mut *m.tx)
    .await?;

    let businesses = sqlx::query!(
        r#"select relationship, count(*) as "count!" from businesses
           where org_id = $1 and archived_at is null group by relationship"#,
        org
    )
    .fetch_all(&mut *m.tx)
    .await?;

    let ratings = sqlx::query!(
        r#"select name, own as "own!", rating::float8 as "rating!", coalesce(rating_count, 0) as "reviews!",
                  maps_url
           from (select name, relationship = 'own_site' as own, rating, rating_count, maps_url,
                        row_number() over (partition by relationship
                                           order by rating_count desc nulls last, lower(name)) as n
                 from businesses
                 where org_id = $1 and archived_at is null and rating is not null
                   and relationship in ('own_site', 'competitor')) r
           where n <= $2
           order by 2 desc, 4 desc, lower(name)"#,
        org,
        RATED_PER_SIDE
    )
    .fetch_all(&mut *m.tx)
    .await?
    .into_iter()
    .map(|r| Rating {
        name: r.name,
        own: r.own,
        rating: r.rating,
        reviews: r.reviews,
        maps_url: r.maps_url,
    })
    .collect();

    let businesses: Vec<(String, i64)> = businesses
        .into_iter()
        .map(|r| (r.relationship, r.count))
        .collect();
    let filtered = || open.iter().filter(|g| in_filter(g.business_id));
    Ok(Dashboard {
        open: filtered().map(|g| g.open).sum(),
        overdue: filtered().map(|g| g.overdue).sum(),
        resolved: resolved.count,
        median_hours_to_resolve: resolved.hours,
        messages_waiting: inbox.waiting,
        median_hours_to_first_response: inbox.hours,
        open_by_priority: Priority::ALL
            .iter()
            .map(|p| {
                let n = filtered()
                    .filter(|g| g.priority == p.as_str())
                    .map(|g| g.open)
                    .sum();
                (*p, n)
            })
            .collect(),
        open_by_site: sites
            .iter()
            .map(|s| SiteCount {
                id: s.business_id.to_string(),
                name: s.name.clone(),
                open: open_in(Some(s.business_id)),
            })
            .collect(),
        open_elsewhere: open
            .iter()
            .filter(|g| !is_site(g.business_id))
            .map(|g| g.open)
            .sum(),
        weeks,
        businesses: Relationship::ALL
            .iter()
            .map(|r| {
                let n = businesses
                    .iter()
                    .find(|(k, _)| k == r.as_str())
                    .map_or(0, |(_, n)| *n);
                (*r, n)
            })
            .collect(),
        ratings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_named_by_their_days() {
        assert_eq!(Period::from_days("30"), Some(Period::Month));
        assert_eq!(Period::from_days(" 365 "), Some(Period::Year));
        assert_eq!(Period::from_days("31"), None);
        assert_eq!(Period::from_days("-7"), None);
        assert_eq!(describe_hours(5.25), "5.2 hours");
        assert_eq!(describe_hours(72.0), "3.0 days");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn an_empty_dashboard_query_is_every_site_over_the_default_period() {
        let filter = DashboardFilter::try_from(DashboardQuery::default()).unwrap();
        assert_eq!(
            filter,
            DashboardFilter {
                site: None,
                period: Period::Quarter
            }
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_dashboard_query_names_a_period_offered_and_a_site_by_id() {
        let query = |site: &str, days: &str| DashboardQuery {
            site: site.into(),
            days: days.into(),
        };
        assert!(matches!(
            DashboardFilter::try_from(query("", "31")),
            Err(AppError::Invalid { field, .. }) if field == "days"
        ));
        assert_eq!(
            DashboardFilter::try_from(query("x", "30")),
            Err(AppError::NotFound)
        );
        let site = Uuid::nil();
        assert_eq!(
            DashboardFilter::try_from(query(&site.to_string(), " 7 ")),
            Ok(DashboardFilter {
                site: Some(site),
                period: Period::Week
            })
        );
    }
}
