//! Enriching a business from Google Maps, as a background job (`app::work::enrichment`):
//! Text Search for the business's name and address; the match taken only when it is plain
//! (`places::unambiguous`), otherwise the candidates kept for the user to choose from; then Place
//! Details into the business's Google columns, beside (never over) the user's own fields.
//!
//! No transaction is open while Google answers. When Google fails (quota, key, timeout, an
//! outage), the business is marked `delayed` and the job retried later; nothing else changes.
//!
//! Google's terms let us keep a place ID indefinitely and other Places content for at most 30
//! days: a daily job ([`Refresh`]) queues a refresh of content 29 days old and drops content
//! past 30 days, keeping the place ID.

use std::{sync::Arc, time::Duration};

use app::{
    allowance::{self, Meter},
    jobs::Job,
    limits,
    work::enrichment::EnrichBusiness,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    jobs::{JobContext, JobError, Kind, Rate},
    places::{unambiguous, Candidate, Place, Places, PlacesError},
};

/// Businesses enriched at once by one process.
const AT_ONCE: usize = 4;
/// Google's default quota is generous; this keeps a whole register's enrichment from spending a
/// month's allowance in a minute, across every process.
const RATE: Rate = Rate {
    per_second: 5.0,
    burst: 10,
};

pub fn enrich_kind(places: Places, retry_base: Duration) -> Kind {
    let places = Arc::new(places);
    Kind::new(AT_ONCE, retry_base, move |job: EnrichBusiness, context| {
        let places = places.clone();
        async move { enrich(&places, job, &context).await }
    })
    .rate_limited(RATE)
}

/// The daily look for Google content about to pass 30 days, across every organisation.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Refresh;

impl Job for Refresh {
    const KIND: &'static str = "enrichment.refresh";
    const MAX_ATTEMPTS: i32 = 3;
}

pub fn refresh_kind() -> Kind {
    Kind::new(
        1,
        Duration::from_secs(60),
        |_: Refresh, context: JobContext| async move {
            // The function runs as the owner, across organisations; it is all this job may do.
            let mut tx = context.pool().begin().await?;
            let r = sqlx::query!(
            r#"select queued as "queued!", expired as "expired!" from app_refresh_enrichments($1)"#,
            EnrichBusiness::MAX_ATTEMPTS
        )
        .fetch_one(&mut *tx)
        .await?;
            tracing::info!(
                queued = r.queued,
                expired = r.expired,
                "Google Maps content refreshed or dropped at 30 days"
            );
            context.finish(tx).await
        },
    )
}

/// What Google said of the business.
enum Found {
    Place(Box<Place>),
    Choose(Vec<Candidate>),
    Nothing,
}

async fn enrich(
    places: &Places,
    job: EnrichBusiness,
    context: &JobContext,
) -> Result<(), JobError> {
    let (org, business_id) = (context.org()?, job.business_id);
    let mut tx = context.begin().await?;
    // A refresh is paid for when Google has answered (so its retries are not paid again), and
    // only asked for while the allowance has some left; without, the content is dropped when
    // it reaches 30 days.
    let limit = limits::monthly(limits::in_force_of(&mut tx, org).await?, Meter::Enrichment);
    if job.refresh
        && allowance::standing(&mut tx, org, Meter::Enrichment, limit)
            .await?
            .left()
            == Some(0)
    {
        tracing::info!(%org, %business_id, "no enrichment allowance left for a refresh");
        return context.finish(tx).await;
    }
    let business = sqlx::query!(
        "select name, address, place_id from businesses where org_id = $1 and business_id = $2",
        org,
        business_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    // Deleted since: nothing to do.
    let Some(business) = business else {
        return Ok(());
    };
    let found = match ask_google(places, &business.name, &business.address, business.place_id).await
    {
        Ok(found) => found,
        Err(e) => {
            let mut tx = context.begin().await?;
            set_state(&mut tx, org, business_id, "delayed").await?;
            tx.commit().await?;
            return Err(e.into());
        }
    };
    let mut tx = context.begin().await?;
    if job.refresh {
        // Within the allowance when asked; a refresh racing the last of it goes uncounted.
        let _ = allowance::take(&mut tx, org, Meter::Enrichment, limit, 1).await?;
    }
    sqlx::query!(
        "delete from business_place_candidates where org_id = $1 and business_id = $2",
        org,
        business_id
    )
    .execute(&mut *tx)
    .await?;
    match found {
        Found::Place(place) => save_place(&mut tx, org, business_id, &place).await?,
        Found::Choose(candidates) => {
            for (position, c) in candidates.iter().enumerate() {
                sqlx::query!(
                    "insert into business_place_candidates
                         (org_id, business_id, position, place_id, name, address, maps_url)
                     values ($6, $1, $2, $3, $4, $5, $7)",
                    business_id,
                    position as i16,
                    c.id,
                    c.name.text,
                    c.address,
                    org,
                    https_only(c.google_maps_uri.as_deref())
                )
                .execute(&mut *tx)
                .await?;
            }
            set_state(&mut tx, org, business_id, "needs_choice").await?;
        }
        Found::Nothing => {
            sqlx::query!(
                "update businesses set place_id = null where org_id = $1 and business_id = $2",
                org,
                business_id
            )
            .execute(&mut *tx)
            .await?;
            set_state(&mut tx, org, business_id, "not_found").await?
        }
    }
    context.finish(tx).await
}

/// With a place already chosen, its details; otherwise a search first.
async fn ask_google(
    places: &Places,
    name: &str,
    address: &str,
    chosen: Option<String>,
) -> Result<Found, PlacesError> {
    let id = match chosen {
        Some(id) => id,
        None => {
            let candidates = places.search(name, address).await?;
            match unambiguous(name, &candidates) {
                Some(one) => one.id.clone(),
                None if candidates.is_empty() => return Ok(Found::Nothing),
                None => return Ok(Found::Choose(candidates)),
            }
        }
    };
    match places.details(&id).await {
        Ok(place) => Ok(Found::Place(Box::new(place))),
        // A place chosen earlier that Google no longer has: the business is looked up afresh
        // next time.
        Err(PlacesError::Refused { status, .. }) if status == "NOT_FOUND" => Ok(Found::Nothing),
        Err(e) => Err(e),
    }
}

/// The link every view of Google's content carries: only ever to an https address.
fn https_only(url: Option<&str>) -> Option<&str> {
    url.filter(|u| u.starts_with("https://"))
}

async fn set_state(
    tx: &mut sqlx::PgConnection,
    org: Uuid,
    business_id: Uuid,
    state: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "update businesses set enrichment = $3 where org_id = $1 and business_id = $2",
        org,
        business_id,
        state
    )
    .execute(tx)
    .await?;
    Ok(())
}

async fn save_place(
    tx: &mut sqlx::PgConnection,
    org: Uuid,
    business_id: Uuid,
    place: &Place,
) -> Result<(), sqlx::Error> {
    let hours = place
        .regular_opening_hours
        .as_ref()
        .map(|h| serde_json::json!(h.weekdays));
    let maps_url = https_only(place.google_maps_uri.as_deref());
    // Ratings are stored to one decimal place, as Google shows them.
    let rating = place.rating.map(|r| (r * 10.0).round() / 10.0);
    sqlx::query!(
        "update businesses set enrichment = 'matched', enriched_at = now(), place_id = $2,
                formatted_address = $3, latitude = $4, longitude = $5, maps_phone = $6,
                maps_website = $7, opening_hours = $8, rating = $9::float8::numeric(2, 1),
                rating_count = $10, business_status = $11, maps_url = $12
         where org_id = $13 and business_id = $1",
        business_id,
        place.id,
        place.formatted_address,
        place.location.as_ref().map(|l| l.latitude),
        place.location.as_ref().map(|l| l.longitude),
        place.national_phone_number,
        place.website_uri,
        hours,
        rating,
        place.user_rating_count,
        place.business_status,
        maps_url,
        org
    )
    .execute(tx)
    .await?;
    Ok(())
}
