//! Monthly allowances: how much of something costly (an outside service's calls) an organisation
//! may use in a calendar month (UTC). Every use passes through [`take`], as every server function
//! passes through its access declaration: one statement adds to the month's count only while
//! the sum stays within the allowance, so two requests at once cannot both take the last one,
//! and a refusal takes nothing.
//!
//! An allowance comes from the plan in force ([`crate::limits`], which every person's request
//! goes through).

use serde::{Deserialize, Serialize};

/// Something counted against a monthly allowance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Meter {
    /// Finding a business on Google Maps and fetching its details.
    Enrichment,
    /// One request to the AI service: a triage or a draft.
    Ai,
}

impl Meter {
    #[cfg(feature = "ssr")]
    fn as_str(self) -> &'static str {
        match self {
            Meter::Enrichment => "enrichment",
            Meter::Ai => "ai",
        }
    }

    /// One unit's name.
    fn word(self) -> &'static str {
        match self {
            Meter::Enrichment => "enrichment",
            Meter::Ai => "AI request",
        }
    }

    /// What one unit is, for messages: "1 enrichment", "12 enrichments".
    pub fn units(self, n: u32) -> String {
        format!("{n} {}{}", self.word(), if n == 1 { "" } else { "s" })
    }
}

/// Where a meter stands this month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    pub used: u32,
    /// `None`: unlimited.
    pub allowance: Option<u32>,
}

impl Standing {
    pub fn left(&self) -> Option<u32> {
        self.allowance.map(|a| a.saturating_sub(self.used))
    }

    /// "38 of 500 enrichments left this month".
    pub fn describe(&self, meter: Meter) -> String {
        match (self.left(), self.allowance) {
            (Some(left), Some(all)) => format!("{left} of {} left this month", meter.units(all)),
            _ => format!("Unlimited {}s", meter.word()),
        }
    }
}

#[cfg(feature = "ssr")]
mod take {
    use sqlx::PgConnection;
    use uuid::Uuid;

    use super::{Meter, Standing};
    use crate::{error::AppError, plans::Limit};

    /// Where `meter` stands this month for `org` (in the caller's tenant transaction).
    pub async fn standing(
        conn: &mut PgConnection,
        org: Uuid,
        meter: Meter,
        limit: Limit,
    ) -> Result<Standing, sqlx::Error> {
        let used = sqlx::query_scalar!(
            "select used from usage_meters
             where org_id = $1 and meter = $2 and month = date_trunc('month', now() at time zone 'UTC')::date",
            org,
            meter.as_str()
        )
        .fetch_optional(conn)
        .await?
        .unwrap_or(0);
        Ok(Standing {
            used: used.max(0) as u32,
            allowance: cap(limit),
        })
    }

    fn cap(limit: Limit) -> Option<u32> {
        match limit {
            Limit::UpTo(n) => Some(n),
            Limit::Unlimited => None,
        }
    }

    /// Takes `n` from this month's allowance in the caller's transaction (so a change that
    /// fails later gives it back), or takes nothing and says how much is left.
    pub async fn take(
        conn: &mut PgConnection,
        org: Uuid,
        meter: Meter,
        limit: Limit,
        n: u32,
    ) -> Result<Result<(), Standing>, sqlx::Error> {
        let max = cap(limit).map_or(i32::MAX, |c| c.min(i32::MAX as u32) as i32);
        let n = n.min(i32::MAX as u32) as i32;
        let taken = if n > max {
            None
        } else {
            sqlx::query_scalar!(
                "insert into usage_meters (org_id, meter, month, used)
                 values ($1, $2, date_trunc('month', now() at time zone 'UTC')::date, $3)
                 on conflict (org_id, meter, month) do update set used = usage_meters.used + excluded.used
                 where usage_meters.used::int8 + excluded.used <= $4
                 returning used",
                org,
                meter.as_str(),
                n,
                max as i64
            )
            .fetch_optional(&mut *conn)
            .await?
        };
        match taken {
            Some(_) => Ok(Ok(())),
            None => Ok(Err(standing(conn, org, meter, limit).await?)),
        }
    }

    /// Gives back `n` taken this month, for a use the outside service refused before doing
    /// any work (it was busy, or down): only what was done counts.
    pub async fn give_back(
        conn: &mut PgConnection,
        org: Uuid,
        meter: Meter,
        n: u32,
    ) -> Result<(), sqlx::Error> {
        sqlx::query!(
            "update usage_meters set used = greatest(used - $3, 0)
             where org_id = $1 and meter = $2 and month = date_trunc('month', now() at time zone 'UTC')::date",
            org,
            meter.as_str(),
            n.min(i32::MAX as u32) as i32
        )
        .execute(conn)
        .await?;
        Ok(())
    }

    /// [`take`] for a person's request: a refusal is a message saying what is left and when
    /// the allowance renews.
    pub async fn take_or_refuse(
        conn: &mut PgConnection,
        org: Uuid,
        meter: Meter,
        limit: Limit,
        n: u32,
    ) -> Result<(), AppError> {
        match take(conn, org, meter, limit, n).await? {
            Ok(()) => Ok(()),
            Err(standing) => Err(AppError::OverAllowance(format!(
                "This needs {}, and this month's allowance has {} left. It renews on the 1st of next month.",
                meter.units(n),
                standing.left().unwrap_or(0)
            ))),
        }
    }
}

#[cfg(feature = "ssr")]
pub use take::{give_back, standing, take, take_or_refuse};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standing_says_what_is_left() {
        let s = Standing {
            used: 462,
            allowance: Some(500),
        };
        assert_eq!(s.left(), Some(38));
        assert_eq!(
            s.describe(Meter::Enrichment),
            "38 of 500 enrichments left this month"
        );
        let over = Standing {
            used: 510,
            allowance: Some(500),
        };
        assert_eq!(over.left(), Some(0));
        let unlimited = Standing {
            used: 9,
            allowance: None,
        };
        assert_eq!(
            unlimited.describe(Meter::Enrichment),
            "Unlimited enrichments"
        );
        assert_eq!(Meter::Enrichment.units(1), "1 enrichment");
    }
}
