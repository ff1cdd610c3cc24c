//! The plan's limits, enforced in one place as access is: every function that creates something
//! a plan counts passes through [`admit`] (members, pending invitations included, and
//! businesses) or [`take`] (this month's AI requests and enrichments, see
//! [`crate::allowance`]), in the transaction that creates it.
//!
//! Counting is atomic: [`admit`] holds a lock on the organisation's count of that thing until
//! the transaction ends, so two invitations at once cannot both take the last seat. At the
//! limit nothing is written, and the message names the limit and where to change the plan. A
//! plan that falls (a downgrade, or a payment owed past its grace period) removes nothing: the
//! limits only ever refuse new things.

use serde::{Deserialize, Serialize};

/// Something a plan allows a number of at any one time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Counted {
    /// Members and pending invitations.
    Members,
    /// Businesses not archived.
    Businesses,
}

impl Counted {
    /// "3 members", "1 business".
    pub fn count(self, n: u32) -> String {
        let (one, many) = match self {
            Counted::Members => ("member", "members"),
            Counted::Businesses => ("business", "businesses"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }

    /// What is counted.
    fn rule(self) -> &'static str {
        match self {
            Counted::Members => "pending invitations included",
            Counted::Businesses => "archived ones not counted",
        }
    }

    /// What a plan's limit answers with; the pages add a link to the billing page.
    pub fn over_limit(self, plan: &str, max: u32, after: u32) -> String {
        format!(
            "The {plan} plan allows {} ({}), and this would make {after}. An Owner can change the plan on the billing page.",
            self.count(max),
            self.rule()
        )
    }
}

#[cfg(feature = "ssr")]
mod enforce {
    use time::OffsetDateTime;

    use super::Counted;
    use crate::{
        access::Member,
        allowance::{self, Meter, Standing},
        error::AppError,
        plans::{plan, Billing, Limit, Plan},
    };

    /// The plan whose limits apply now to the member's organisation (read as it was entered).
    pub fn in_force(m: &Member) -> &'static Plan {
        plan(
            m.billing
                .in_force(OffsetDateTime::now_utc().unix_timestamp()),
        )
    }

    /// The plan whose limits apply now to `org`, for work that is not a member's request (a
    /// job), read in its tenant transaction.
    pub async fn in_force_of(
        conn: &mut sqlx::PgConnection,
        org: uuid::Uuid,
    ) -> Result<&'static Plan, sqlx::Error> {
        let r = sqlx::query!(
            "select plan, billing_status, grace_ends_at from organisations where org_id = $1",
            org
        )
        .fetch_one(conn)
        .await?;
        let billing = Billing::from_stored(
            &r.plan,
            &r.billing_status,
            r.grace_ends_at.map(OffsetDateTime::unix_timestamp),
        );
        Ok(plan(
            billing.in_force(OffsetDateTime::now_utc().unix_timestamp()),
        ))
    }

    fn limit_of(p: &Plan, what: Counted) -> Limit {
        match what {
            Counted::Members => p.members,
            Counted::Businesses => p.businesses,
        }
    }

    /// Admits `adding` more of `what` if the plan in force allows them, holding the count
    /// until the member's transaction ends; otherwise refuses, and the caller writes nothing.
    /// Called after an insert with `adding` 0, it counts what the transaction just made.
    pub async fn admit(m: &mut Member, what: Counted, adding: u32) -> Result<(), AppError> {
        let p = in_force(m);
        let limit = limit_of(p, what);
        if limit == Limit::Unlimited {
            return Ok(());
        }
        // One lock per organisation and kind of count, taken before counting: a second
        // request counts only once the first has committed (or rolled back).
        let kind = match what {
            Counted::Members => 1,
            Counted::Businesses => 2,
        };
        sqlx::query!(
            "select pg_advisory_xact_lock($1, hashtext($2::uuid::text))",
            kind,
            m.org_id
        )
        .execute(&mut *m.tx)
        .await?;
        let count = count(m, what).await?;
        let after = u64::from(count).saturating_add(u64::from(adding));
        if limit.allows(u32::try_from(after).unwrap_or(u32::MAX)) {
            return Ok(());
        }
        let Limit::UpTo(max) = limit else {
            unreachable!("unlimited returned early")
        };
        Err(AppError::OverAllowance(what.over_limit(
            p.name,
            max,
            after.min(u64::from(u32::MAX)) as u32,
        )))
    }

    /// The plan in force's monthly allowance of `meter`.
    pub fn monthly(p: &Plan, meter: Meter) -> Limit {
        match meter {
            Meter::Ai => p.ai_requests_per_month,
            Meter::Enrichment => p.enrichments_per_month,
        }
    }

    /// How many of `what` the organisation has now.
    pub async fn count(m: &mut Member, what: Counted) -> Result<u32, AppError> {
        let n = match what {
            Counted::Members => sqlx::query_scalar!(
                r#"select (select count(*) from memberships where org_id = $1)
                        + (select count(*) from invitations
                           where org_id = $1 and accepted_at is null and revoked_at is null and expires_at > now())
                   as "n!""#,
                m.org_id
            )
            .fetch_one(&mut *m.tx)
            .await?,
            Counted::Businesses => sqlx::query_scalar!(
                r#"select count(*) as "n!" from businesses where org_id = $1 and archived_at is null"#,
                m.org_id
            )
            .fetch_one(&mut *m.tx)
            .await?,
        };
        Ok(u32::try_from(n.max(0)).unwrap_or(u32::MAX))
    }

    /// This month's allowance of `meter` under the plan in force.
    pub fn allowance_of(m: &Member, meter: Meter) -> Limit {
        monthly(in_force(m), meter)
    }

    /// Where `meter` stands this month.
    pub async fn standing(m: &mut Member, meter: Meter) -> Result<Standing, AppError> {
        let limit = allowance_of(m, meter);
        Ok(allowance::standing(&mut m.tx, m.org_id, meter, limit).await?)
    }

    /// Takes `n` of this month's `meter` for a person's request, or refuses with what is left.
    pub async fn take(m: &mut Member, meter: Meter, n: u32) -> Result<(), AppError> {
        let limit = allowance_of(m, meter);
        allowance::take_or_refuse(&mut m.tx, m.org_id, meter, limit, n).await
    }

    /// Takes `n` of this month's `meter` when that many are left, for work a change starts by
    /// itself (the change is made either way); whether they were taken.
    pub async fn take_if_left(m: &mut Member, meter: Meter, n: u32) -> Result<bool, AppError> {
        let limit = allowance_of(m, meter);
        Ok(allowance::take(&mut m.tx, m.org_id, meter, limit, n)
            .await?
            .is_ok())
    }
}

#[cfg(feature = "ssr")]
pub use enforce::{
    admit, allowance_of, count, in_force, in_force_of, monthly, standing, take, take_if_left,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_limit_and_the_billing_page() {
        assert_eq!(
            Counted::Members.over_limit("Free", 3, 4),
            "The Free plan allows 3 members (pending invitations included), and this would make 4. An Owner can change the plan on the billing page."
        );
        assert_eq!(Counted::Businesses.count(1), "1 business");
        assert_eq!(Counted::Businesses.count(26), "26 businesses");
    }
}
