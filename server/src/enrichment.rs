//! Enriching a business from Google Maps, as a background job (`app::work::enrichment`):
//! Text Search for the business's name and address; the match taken only when it is plain
//! (`places::unambiguous`), otherwise the candidates kept for the user to choose from; then Place
//! Details into the business's Google columns, beside (never over) the user's own fields.
//!
//! No transaction is open while Google answers. When Google fails (quota, key, timeout, an
//! outage), the business is marked `delayed` and the job retried later; nothing else changes.

use std::{sync::Arc, time::Duration};

use app::work::enrichment::EnrichBusiness;
use uuid::Uuid;

use crate::{
    jobs::{JobContext, JobError, Kind, Rate},
    places::{unambiguous, Candidate, Place, Places},
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
        async move { enrich(&places, job.business_id, &context).await }
    })
    .rate_limited(RATE)
}

/// What Google said of the business.
enum Found {
    Place(Box<Place>),
    Choose(Vec<Candidate>),
    Nothing,
}

async fn enrich(places: &Places, business_id: Uuid, context: &JobContext) -> Result<(), JobError> {
    let org = context.org()?;
    let mut tx = context.begin().await?;
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
                    "insert into business_place_candidates (org_id, business_id, position, place_id, name, address)
                     values ($6, $1, $2, $3, $4, $5)",
                    business_id,
                    position as i16,
                    c.id,
                    c.name.text,
                    c.address,
                    org
                )
                .execute(&mut *tx)
                .await?;
            }
            set_state(&mut tx, org, business_id, "needs_choice").await?;
        }
        Found::Nothing => set_state(&mut tx, org, business_id, "not_found").await?,
    }
    context.finish(tx).await
}

/// With a place already chosen, its details; otherwise a search first.
async fn ask_google(
    places: &Places,
    name: &str,
    address: &str,
    chosen: Option<String>,
) -> Result<Found, crate::places::PlacesError> {
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
    Ok(Found::Place(Box::new(places.details(&id).await?)))
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
        place.google_maps_uri,
        org
    )
    .execute(tx)
    .await?;
    Ok(())
}
