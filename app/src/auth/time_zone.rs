//! A person's time zone, in which every time is shown to them: guessed from the browser at
//! sign-up, and theirs to change. The zones to choose from are the time zone database's.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use crate::{access, domain::Zone};

/// The zones a person or an organisation can choose, sorted by name.
#[server(endpoint = "time_zones", client = CsrfClient)]
pub async fn time_zones() -> Result<Vec<String>, AppError> {
    access::public()?;
    static CHOICES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(Zone::choices);
    Ok(CHOICES.clone())
}

/// The caller's time zone.
#[server(endpoint = "account/time_zone", client = CsrfClient)]
pub async fn my_time_zone() -> Result<String, AppError> {
    let me = access::signed_in().await?;
    let mut tx = me.begin().await?;
    Ok(me.zone(&mut tx).await?.name().to_string())
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TimeZoneForm {
    /// An IANA name, such as "Europe/London".
    pub time_zone: String,
}

#[server(endpoint = "account/set_time_zone", client = CsrfClient)]
pub async fn set_time_zone(form: TimeZoneForm) -> Result<(), AppError> {
    let me = access::signed_in().await?;
    let zone = Zone::parse(&form.time_zone).map_err(|e| AppError::invalid("time_zone", e))?;
    let mut tx = me.begin().await?;
    sqlx::query!(
        "update users set time_zone = $2 where user_id = $1",
        me.user_id,
        zone.name()
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
