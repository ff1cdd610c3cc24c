//! Enrichment of a business from Google Maps: the job that does it (run by the server's worker,
//! `server/src/enrichment.rs`), queued in the transaction of the change that calls for it.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::jobs::Job;

/// Finds the business on Google Maps and keeps what Google knows of it beside the user's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrichBusiness {
    pub business_id: Uuid,
}

impl Job for EnrichBusiness {
    const KIND: &'static str = "business.enrich";
    /// With the back-off doubling, some hours of Google's quota or outage.
    const MAX_ATTEMPTS: i32 = 8;
}
