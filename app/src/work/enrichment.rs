//! Enrichment of businesses from Google Maps, as people use it: what Google knows of a business
//! beside what the organisation typed (copied over only when someone asks), the choice between
//! candidates, "enrich all" with its progress, and the monthly allowance. The work itself is a
//! background job (`EnrichBusiness`, run by `server/src/enrichment.rs`), queued in the
//! transaction of the change that calls for it: adding a business, changing its address, the
//! button on its page, or a run over the register or an import.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{allowance::Standing, auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::fields::{choice, parse_id},
    crate::access::{self, Member},
    crate::allowance::Meter,
    crate::audit::AuditAction,
    crate::domain::{Address, Phone, Website},
    crate::jobs::{enqueue, Job, Queue},
    crate::limits,
    crate::roles::Permission,
    uuid::Uuid,
};

/// Finds the business on Google Maps and keeps what Google knows of it beside the user's fields.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrichBusiness {
    pub business_id: Uuid,
    /// The daily refresh of content about to pass Google's 30 days: it takes from the
    /// allowance when it runs, and without any left the content is dropped at 30 days.
    #[serde(default)]
    pub refresh: bool,
}

#[cfg(feature = "ssr")]
impl Job for EnrichBusiness {
    const KIND: &'static str = "business.enrich";
    /// With the back-off doubling, some hours of Google's quota or outage.
    const MAX_ATTEMPTS: i32 = 8;
}

choice!(
    /// Where a business's enrichment stands.
    EnrichmentState {
        Queued => ("queued", "Looking it up on Google Maps…"),
        Matched => ("matched", "Found on Google Maps."),
        NeedsChoice => ("needs_choice", "Google Maps found several places. Which one is this business?"),
        NotFound => ("not_found", "Not found on Google Maps."),
        Delayed => ("delayed", "Enrichment delayed: Google Maps did not answer. It will be tried again shortly."),
        Expired => ("expired", "Google's details were more than 30 days old and could not be refreshed, so they were removed. Enrich again to fetch them."),
    }
);

choice!(
    /// The user's fields that Google's value can be copied into.
    GoogleField {
        Address => ("address", "Address"),
        Phone => ("phone", "Phone"),
        Website => ("website", "Website"),
    }
);

/// What Google Maps says of a business, as fetched (at most 30 days ago).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GoogleFacts {
    pub address: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    /// One line per day, as Google words it.
    pub hours: Vec<String>,
    /// "4.5".
    pub rating: Option<String>,
    pub rating_count: Option<i32>,
    /// Google's business status (`OPERATIONAL`, `CLOSED_TEMPORARILY`, `CLOSED_PERMANENTLY`).
    pub status: Option<String>,
    /// The place on Google Maps: every view of these facts links to it.
    pub maps_url: Option<String>,
    /// When Google was last asked.
    pub fetched_on: Option<crate::domain::Moment>,
}

impl GoogleFacts {
    pub fn value(&self, field: GoogleField) -> Option<&str> {
        match field {
            GoogleField::Address => self.address.as_deref(),
            GoogleField::Phone => self.phone.as_deref(),
            GoogleField::Website => self.website.as_deref(),
        }
    }

    /// Google's status in words; nothing for a business that is simply open.
    pub fn status_label(&self) -> Option<&'static str> {
        match self.status.as_deref()? {
            "CLOSED_TEMPORARILY" => Some("Temporarily closed"),
            "CLOSED_PERMANENTLY" => Some("Permanently closed"),
            _ => None,
        }
    }
}

/// A place Google found that might be the business.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaceCandidate {
    pub place_id: String,
    pub name: String,
    pub address: String,
    /// The place on Google Maps.
    pub maps_url: Option<String>,
}

/// A business's enrichment, for its page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Enrichment {
    /// Whether this server enriches at all (`OPS_GOOGLE_MAPS_API_KEY`).
    pub configured: bool,
    pub state: Option<EnrichmentState>,
    /// Google's values, while they are kept.
    pub google: Option<GoogleFacts>,
    /// When the state is [`EnrichmentState::NeedsChoice`].
    pub candidates: Vec<PlaceCandidate>,
    pub allowance: Standing,
}

/// How a run of enrichment over many businesses stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunProgress {
    pub id: String,
    pub total: i64,
    /// Not looked up yet.
    pub waiting: i64,
    pub matched: i64,
    pub needs_choice: i64,
    pub not_found: i64,
    /// Google failed for now; retried later.
    pub delayed: i64,
}

impl RunProgress {
    pub fn finished(&self) -> bool {
        self.waiting == 0
    }

    pub fn done(&self) -> i64 {
        self.total - self.waiting
    }

    /// "Matched 5, needs a choice 1, not found 1, failed for now 0."
    pub fn summary(&self) -> String {
        format!(
            "Matched {}, needs a choice {}, not found {}, failed for now {}.",
            self.matched, self.needs_choice, self.not_found, self.delayed
        )
    }
}

/// The register's enrichment, for the businesses page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnrichmentOverview {
    pub configured: bool,
    pub allowance: Standing,
    /// The latest run of the last day, if any.
    pub run: Option<RunProgress>,
}

/// A business, by id, for the buttons that act on one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BusinessRef {
    pub business_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChoosePlaceForm {
    pub business_id: String,
    /// One of the business's candidates, or empty for "none of these".
    pub place_id: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CopyFromGoogleForm {
    pub business_id: String,
    /// A [`GoogleField`]'s stored name.
    pub field: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunQuery {
    /// A run's id; empty for the latest of the last day.
    #[serde(default)]
    pub run_id: String,
}

/// Enrichment only where the server has it; the message a person reads where it has not.
#[cfg(feature = "ssr")]
fn configured(m: &Member) -> Result<(), AppError> {
    if m.svc.enrichment {
        Ok(())
    } else {
        Err(AppError::Refused(NOT_CONFIGURED.into()))
    }
}

pub const NOT_CONFIGURED: &str =
    "Enrichment from Google Maps is not set up on this server (it needs a Google Maps API key).";

/// Queues enrichment of `ids` (already counted against the allowance), as part of `run` if any.
#[cfg(feature = "ssr")]
async fn queue(m: &mut Member, ids: &[Uuid], run: Option<Uuid>) -> Result<(), AppError> {
    sqlx::query!(
        "update businesses set enrichment = 'queued', enrichment_run = $3
         where org_id = $1 and business_id = any($2)",
        m.org_id,
        ids,
        run
    )
    .execute(&mut *m.tx)
    .await?;
    for &business_id in ids {
        let job = EnrichBusiness {
            business_id,
            refresh: false,
        };
        enqueue(
            &mut m.tx,
            &job,
            Queue::for_org(m.org_id).dedupe(business_id.to_string()),
        )
        .await?;
    }
    Ok(())
}

/// A business added, or its address changed: enriched when the server enriches and the month's
/// allowance has one left. Without one the change is saved all the same, and the business's
/// page offers enrichment when the allowance renews.
#[cfg(feature = "ssr")]
pub(crate) async fn on_change(m: &mut Member, business_id: Uuid) -> Result<(), AppError> {
    if !m.svc.enrichment {
        return Ok(());
    }
    if limits::take_if_left(m, Meter::Enrichment, 1).await? {
        queue(m, &[business_id], None).await?;
    }
    Ok(())
}

/// The address changed: what Google said was about the old one, so it goes, and the business is
/// looked up again.
#[cfg(feature = "ssr")]
pub(crate) async fn on_address_change(m: &mut Member, business_id: Uuid) -> Result<(), AppError> {
    if !m.svc.enrichment {
        return Ok(());
    }
    sqlx::query!(
        "update businesses set enrichment = null, place_id = null, formatted_address = null,
                latitude = null, longitude = null, maps_phone = null, maps_website = null,
                opening_hours = null, rating = null, rating_count = null, business_status = null,
                maps_url = null, enriched_at = null
         where org_id = $1 and business_id = $2",
        m.org_id,
        business_id
    )
    .execute(&mut *m.tx)
    .await?;
    sqlx::query!(
        "delete from business_place_candidates where org_id = $1 and business_id = $2",
        m.org_id,
        business_id
    )
    .execute(&mut *m.tx)
    .await?;
    on_change(m, business_id).await
}

/// A run over `ids`: all of them counted against the allowance at once, or none and a message
/// saying what is left, so a run is never half started.
#[cfg(feature = "ssr")]
pub(crate) async fn start_run(m: &mut Member, ids: &[Uuid]) -> Result<RunProgress, AppError> {
    configured(m)?;
    let total = i32::try_from(ids.len()).map_err(|_| AppError::Internal)?;
    if total == 0 {
        return Err(AppError::Refused(
            "Every business is already enriched, being looked up, or waiting for you to choose its place."
                .into(),
        ));
    }
    limits::take(m, Meter::Enrichment, total as u32).await?;
    let run = sqlx::query_scalar!(
        "insert into enrichment_runs (org_id, started_by, total) values ($1, $2, $3) returning run_id",
        m.org_id,
        m.user_id,
        total
    )
    .fetch_one(&mut *m.tx)
    .await?;
    queue(m, ids, Some(run)).await?;
    Ok(RunProgress {
        id: run.to_string(),
        total: total.into(),
        waiting: total.into(),
        matched: 0,
        needs_choice: 0,
        not_found: 0,
        delayed: 0,
    })
}

#[cfg(feature = "ssr")]
async fn progress(m: &mut Member, run: Option<Uuid>) -> Result<Option<RunProgress>, AppError> {
    let r = sqlx::query!(
        r#"select r.run_id, r.total::int8 as "total!",
                  count(*) filter (where b.enrichment = 'queued') as "waiting!",
                  count(*) filter (where b.enrichment = 'matched') as "matched!",
                  count(*) filter (where b.enrichment = 'needs_choice') as "needs_choice!",
                  count(*) filter (where b.enrichment = 'not_found') as "not_found!",
                  count(*) filter (where b.enrichment = 'delayed') as "delayed!"
           from enrichment_runs r
           left join businesses b on b.org_id = r.org_id and b.enrichment_run = r.run_id
           where r.org_id = $1
             and r.run_id = coalesce($2, (select run_id from enrichment_runs
                                           where org_id = $1 and started_at > now() - interval '1 day'
                                           order by started_at desc limit 1))
           group by r.run_id, r.total"#,
        m.org_id,
        run
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    Ok(r.map(|r| RunProgress {
        id: r.run_id.to_string(),
        // Businesses deleted since the run began are no longer waited for.
        total: r
            .total
            .min(r.waiting + r.matched + r.needs_choice + r.not_found + r.delayed),
        waiting: r.waiting,
        matched: r.matched,
        needs_choice: r.needs_choice,
        not_found: r.not_found,
        delayed: r.delayed,
    }))
}

/// A business's enrichment: its state, Google's values and the candidates to choose from.
#[server(endpoint = "work/business_enrichment", client = CsrfClient)]
pub async fn business_enrichment(slug: String, form: BusinessRef) -> Result<Enrichment, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let id = parse_id(&form.business_id)?;
    let r = sqlx::query!(
        r#"select enrichment, formatted_address, maps_phone, maps_website, opening_hours,
                  rating::text as rating, rating_count, business_status, maps_url,
                  enriched_at
           from businesses where org_id = $1 and business_id = $2"#,
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let candidates = sqlx::query_as!(
        PlaceCandidate,
        "select place_id, name, address, maps_url from business_place_candidates
         where org_id = $1 and business_id = $2 order by position",
        m.org_id,
        id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let allowance = limits::standing(&mut m, Meter::Enrichment).await?;
    let hours = r
        .opening_hours
        .and_then(|h| serde_json::from_value::<Vec<String>>(h).ok())
        .unwrap_or_default();
    let google = (r.maps_url.is_some() || r.formatted_address.is_some()).then_some(GoogleFacts {
        address: r.formatted_address,
        phone: r.maps_phone,
        website: r.maps_website,
        hours,
        rating: r.rating,
        rating_count: r.rating_count,
        status: r.business_status,
        maps_url: r.maps_url,
        fetched_on: r.enriched_at.map(|at| m.moment(at)),
    });
    Ok(Enrichment {
        configured: m.svc.enrichment,
        state: r.enrichment.as_deref().and_then(EnrichmentState::parse),
        google,
        candidates,
        allowance,
    })
}

/// Looks the business up on Google Maps again (its chosen place, if it has one).
#[server(endpoint = "work/look_up_business", client = CsrfClient)]
pub async fn look_up_business(slug: String, form: BusinessRef) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    configured(&m)?;
    let id = parse_id(&form.business_id)?;
    let name = sqlx::query_scalar!(
        "select name from businesses where org_id = $1 and business_id = $2 for update",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    limits::take(&mut m, Meter::Enrichment, 1).await?;
    queue(&mut m, &[id], None).await?;
    m.audit(
        AuditAction::BusinessesEnriched,
        Some(&name),
        &format!("Asked Google Maps about {name}"),
    )
    .await?;
    m.commit().await
}

/// Enriches every current business not yet enriched (or not found, or delayed) as one run.
#[server(endpoint = "work/enrich_register", client = CsrfClient)]
pub async fn enrich_register(slug: String) -> Result<RunProgress, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    configured(&m)?;
    let ids = sqlx::query_scalar!(
        "select business_id from businesses
         where org_id = $1 and archived_at is null
           and (enrichment is null or enrichment in ('not_found', 'delayed', 'expired'))
         order by lower(name), business_id
         for update",
        m.org_id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let run = start_run(&mut m, &ids).await?;
    m.audit(
        AuditAction::BusinessesEnriched,
        None,
        &format!("Asked Google Maps about {} businesses", ids.len()),
    )
    .await?;
    m.commit().await?;
    Ok(run)
}

/// How a run stands; the latest of the last day when none is named.
#[server(endpoint = "work/register_enrichment", client = CsrfClient)]
pub async fn register_enrichment(
    slug: String,
    form: RunQuery,
) -> Result<EnrichmentOverview, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let run = match form.run_id.trim() {
        "" => None,
        id => Some(parse_id(id)?),
    };
    let run = progress(&mut m, run).await?;
    let allowance = limits::standing(&mut m, Meter::Enrichment).await?;
    Ok(EnrichmentOverview {
        configured: m.svc.enrichment,
        allowance,
        run,
    })
}

/// The person's choice among the candidates Google found, or "none of these".
#[server(endpoint = "work/choose_place", client = CsrfClient)]
pub async fn choose_place(slug: String, form: ChoosePlaceForm) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    configured(&m)?;
    let id = parse_id(&form.business_id)?;
    let name = sqlx::query_scalar!(
        "select name from businesses
         where org_id = $1 and business_id = $2 and enrichment = 'needs_choice' for update",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or_else(|| {
        AppError::Refused("This business is not waiting for a choice of place.".into())
    })?;
    let place = form.place_id.trim();
    let summary = if place.is_empty() {
        sqlx::query!(
            "update businesses set enrichment = 'not_found' where org_id = $1 and business_id = $2",
            m.org_id,
            id
        )
        .execute(&mut *m.tx)
        .await?;
        format!("Said none of Google's places is {name}")
    } else {
        // Only a place Google offered for this business; its details were paid for by the
        // enrichment that found the candidates.
        let chosen = sqlx::query_scalar!(
            "select name from business_place_candidates
             where org_id = $1 and business_id = $2 and place_id = $3",
            m.org_id,
            id,
            place
        )
        .fetch_optional(&mut *m.tx)
        .await?
        .ok_or_else(|| AppError::invalid("place_id", "Choose one of the places offered."))?;
        sqlx::query!(
            "update businesses set place_id = $3 where org_id = $1 and business_id = $2",
            m.org_id,
            id,
            place
        )
        .execute(&mut *m.tx)
        .await?;
        queue(&mut m, &[id], None).await?;
        format!("Chose the Google Maps place {chosen} for {name}")
    };
    sqlx::query!(
        "delete from business_place_candidates where org_id = $1 and business_id = $2",
        m.org_id,
        id
    )
    .execute(&mut *m.tx)
    .await?;
    m.audit(AuditAction::BusinessPlaceChosen, Some(&name), &summary)
        .await?;
    m.commit().await
}

/// Copies Google's value of one field over the business's own, checked as if typed.
#[server(endpoint = "work/copy_from_google", client = CsrfClient)]
pub async fn copy_from_google(slug: String, form: CopyFromGoogleForm) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&form.business_id)?;
    let field = choice(
        &form.field,
        GoogleField::parse,
        "field",
        "Choose address, phone or website.",
    )?;
    let r = sqlx::query!(
        "select name, formatted_address, maps_phone, maps_website from businesses
         where org_id = $1 and business_id = $2 for update",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let missing = || {
        AppError::Refused(format!(
            "Google Maps has no {} for this business.",
            field.label().to_lowercase()
        ))
    };
    let (address, phone, website) = match field {
        GoogleField::Address => {
            let v = r.formatted_address.ok_or_else(missing)?;
            (
                Some(Address::parse(&v).map_err(|e| AppError::invalid("address", e))?),
                None,
                None,
            )
        }
        GoogleField::Phone => {
            let v = r.maps_phone.ok_or_else(missing)?;
            (
                None,
                Some(Phone::parse(&v).map_err(|e| AppError::invalid("phone", e))?),
                None,
            )
        }
        GoogleField::Website => {
            let v = r.maps_website.ok_or_else(missing)?;
            (
                None,
                None,
                Some(Website::parse(&v).map_err(|e| AppError::invalid("website", e))?),
            )
        }
    };
    // Google's own values, so the place stays as it is: no new lookup.
    sqlx::query!(
        "update businesses set address = coalesce($3, address), phone = coalesce($4, phone),
                website = coalesce($5, website), version = version + 1
         where org_id = $1 and business_id = $2",
        m.org_id,
        id,
        address.as_ref().map(Address::as_str),
        phone.as_ref().map(Phone::as_str),
        website.as_ref().map(Website::as_str)
    )
    .execute(&mut *m.tx)
    .await?;
    m.audit(
        AuditAction::BusinessUpdated,
        Some(&r.name),
        &format!(
            "Copied the {} from Google Maps into {}",
            field.label().to_lowercase(),
            r.name
        ),
    )
    .await?;
    m.commit().await
}
