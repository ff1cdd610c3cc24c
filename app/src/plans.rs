//! The subscription plans: defined once here, shown on the pricing page and enforced by the
//! server through one mechanism ([`crate::limits`]). Which plan is in force for an organisation
//! follows from what it pays for and how its payments stand ([`Billing::in_force`]).

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanId {
    Free,
    Team,
    Business,
}

/// A plan's allowance of something countable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    UpTo(u32),
    Unlimited,
}

impl Limit {
    pub fn allows(self, count: u32) -> bool {
        match self {
            Limit::UpTo(max) => count <= max,
            Limit::Unlimited => true,
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::UpTo(n) => f.write_str(&group_thousands(*n)),
            Limit::Unlimited => f.write_str("Unlimited"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub id: PlanId,
    pub name: &'static str,
    pub tagline: &'static str,
    /// Price per month in pence (GBP).
    pub monthly_pence: u32,
    pub members: Limit,
    pub businesses: Limit,
    pub ai_requests_per_month: Limit,
    pub enrichments_per_month: Limit,
}

pub const PLANS: [Plan; 3] = [
    Plan {
        id: PlanId::Free,
        name: "Free",
        tagline: "For a single site finding its feet.",
        monthly_pence: 0,
        members: Limit::UpTo(3),
        businesses: Limit::UpTo(25),
        ai_requests_per_month: Limit::UpTo(0),
        enrichments_per_month: Limit::UpTo(25),
    },
    Plan {
        id: PlanId::Team,
        name: "Team",
        tagline: "For a growing group with a few sites.",
        monthly_pence: 2900,
        members: Limit::UpTo(15),
        businesses: Limit::UpTo(500),
        ai_requests_per_month: Limit::UpTo(1000),
        enrichments_per_month: Limit::UpTo(500),
    },
    Plan {
        id: PlanId::Business,
        name: "Business",
        tagline: "For multi-site operators who run on it.",
        monthly_pence: 9900,
        members: Limit::Unlimited,
        businesses: Limit::Unlimited,
        ai_requests_per_month: Limit::UpTo(10000),
        enrichments_per_month: Limit::UpTo(5000),
    },
];

impl PlanId {
    /// The name stored with an organisation (`organisations.plan`).
    pub fn as_str(self) -> &'static str {
        match self {
            PlanId::Free => "free",
            PlanId::Team => "team",
            PlanId::Business => "business",
        }
    }

    pub fn parse(stored: &str) -> Option<PlanId> {
        [PlanId::Free, PlanId::Team, PlanId::Business]
            .into_iter()
            .find(|p| p.as_str() == stored)
    }
}

impl fmt::Display for PlanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(plan(*self).name)
    }
}

pub fn plan(id: PlanId) -> &'static Plan {
    PLANS
        .iter()
        .find(|p| p.id == id)
        .expect("every PlanId has a plan")
}

/// A subscription's status as Stripe names it (`none`: never subscribed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingStatus {
    None,
    Incomplete,
    IncompleteExpired,
    Trialing,
    Active,
    PastDue,
    Canceled,
    Unpaid,
    Paused,
}

impl BillingStatus {
    const ALL: [BillingStatus; 9] = [
        BillingStatus::None,
        BillingStatus::Incomplete,
        BillingStatus::IncompleteExpired,
        BillingStatus::Trialing,
        BillingStatus::Active,
        BillingStatus::PastDue,
        BillingStatus::Canceled,
        BillingStatus::Unpaid,
        BillingStatus::Paused,
    ];

    /// Stripe's name, which is also the stored one (`organisations.billing_status`).
    pub fn as_str(self) -> &'static str {
        match self {
            BillingStatus::None => "none",
            BillingStatus::Incomplete => "incomplete",
            BillingStatus::IncompleteExpired => "incomplete_expired",
            BillingStatus::Trialing => "trialing",
            BillingStatus::Active => "active",
            BillingStatus::PastDue => "past_due",
            BillingStatus::Canceled => "canceled",
            BillingStatus::Unpaid => "unpaid",
            BillingStatus::Paused => "paused",
        }
    }

    pub fn parse(name: &str) -> Option<BillingStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether a payment is owed: the plan holds through the grace period, then Free limits
    /// apply to new things.
    pub fn owes(self) -> bool {
        matches!(self, BillingStatus::PastDue | BillingStatus::Unpaid)
    }

    /// Whether the subscription pays for its plan (or will, once the payment is made).
    pub fn pays(self) -> bool {
        matches!(
            self,
            BillingStatus::Active
                | BillingStatus::Trialing
                | BillingStatus::PastDue
                | BillingStatus::Unpaid
        )
    }

    pub fn label(self) -> &'static str {
        match self {
            BillingStatus::None => "No subscription",
            BillingStatus::Incomplete => "Waiting for the first payment",
            BillingStatus::IncompleteExpired => "First payment not made",
            BillingStatus::Trialing => "Trial",
            BillingStatus::Active => "Active",
            BillingStatus::PastDue => "Payment failed",
            BillingStatus::Canceled => "Cancelled",
            BillingStatus::Unpaid => "Unpaid",
            BillingStatus::Paused => "Paused",
        }
    }
}

/// How an organisation's payments stand, as stored: the plan it pays for, the subscription's
/// status, and when the grace period after a failed payment ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Billing {
    pub plan: PlanId,
    pub status: BillingStatus,
    /// Unix seconds; set when a payment is first owed.
    pub grace_ends: Option<i64>,
}

impl Billing {
    /// From the stored names (`organisations.plan`, `billing_status`); anything unknown reads
    /// as Free and no subscription.
    pub fn from_stored(plan: &str, status: &str, grace_ends: Option<i64>) -> Billing {
        Billing {
            plan: PlanId::parse(plan).unwrap_or(PlanId::Free),
            status: BillingStatus::parse(status).unwrap_or(BillingStatus::None),
            grace_ends,
        }
    }

    /// The plan whose limits apply to new things at `now` (Unix seconds): the plan paid for,
    /// through the grace period after a failed payment, and Free after it while the payment is
    /// owed. Data is never removed: limits only ever refuse new things.
    pub fn in_force(&self, now: i64) -> PlanId {
        match (self.status.owes(), self.grace_ends) {
            (true, Some(end)) if now >= end => PlanId::Free,
            _ => self.plan,
        }
    }
}

/// How the server bills, from its configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BillingTerms {
    /// Whether Stripe is configured, so that plans are bought and kept through billing.
    pub stripe: bool,
    /// The plan a new organisation starts on (Free in production); without Stripe, the plan
    /// it stays on.
    pub new_organisations: PlanId,
}

/// Billing period shown on the pricing page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Monthly,
    Yearly,
}

impl Plan {
    /// The price for a period in pence; a year is twelve months (no hidden discount).
    pub fn price_pence(&self, period: Period) -> u32 {
        match period {
            Period::Monthly => self.monthly_pence,
            Period::Yearly => self.monthly_pence * 12,
        }
    }
}

/// `2900` → `£29`, `2950` → `£29.50`.
pub fn format_pounds(pence: u32) -> String {
    let pounds = group_thousands(pence / 100);
    match pence % 100 {
        0 => format!("£{pounds}"),
        p => format!("£{pounds}.{p:02}"),
    }
}

fn group_thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_match_the_published_table() {
        let rows: Vec<_> = PLANS
            .iter()
            .map(|p| {
                (
                    p.name,
                    format_pounds(p.monthly_pence),
                    p.members.to_string(),
                    p.businesses.to_string(),
                    p.ai_requests_per_month.to_string(),
                    p.enrichments_per_month.to_string(),
                )
            })
            .collect();
        let s = |x: &str| x.to_string();
        assert_eq!(
            rows,
            vec![
                ("Free", s("£0"), s("3"), s("25"), s("0"), s("25")),
                ("Team", s("£29"), s("15"), s("500"), s("1,000"), s("500")),
                (
                    "Business",
                    s("£99"),
                    s("Unlimited"),
                    s("Unlimited"),
                    s("10,000"),
                    s("5,000")
                ),
            ]
        );
    }

    #[test]
    fn limits_allow_up_to_and_including_the_maximum() {
        assert!(Limit::UpTo(3).allows(3));
        assert!(!Limit::UpTo(3).allows(4));
        assert!(!Limit::UpTo(0).allows(1));
        assert!(Limit::Unlimited.allows(u32::MAX));
    }

    #[test]
    fn a_failed_payment_keeps_the_plan_through_the_grace_period_then_free_limits_apply() {
        let day = 86_400;
        let paid = Billing::from_stored("team", "active", None);
        assert_eq!(paid.in_force(0), PlanId::Team);
        let owed = Billing::from_stored("team", "past_due", Some(1_014 * day));
        assert_eq!(owed.in_force(1_014 * day - 1), PlanId::Team);
        assert_eq!(owed.in_force(1_014 * day), PlanId::Free);
        // Unpaid after the last retry: the same.
        let unpaid = Billing {
            status: BillingStatus::Unpaid,
            ..owed
        };
        assert_eq!(unpaid.in_force(2_000 * day), PlanId::Free);
        // Paid again: the plan is back, whatever the old grace period said.
        let recovered = Billing {
            status: BillingStatus::Active,
            ..owed
        };
        assert_eq!(recovered.in_force(2_000 * day), PlanId::Team);
        assert_eq!(
            Billing::from_stored("gold", "whatever", None),
            Billing::from_stored("free", "none", None)
        );
    }

    #[test]
    fn statuses_are_stripes_names() {
        for s in BillingStatus::ALL {
            assert_eq!(BillingStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            BillingStatus::parse("past_due"),
            Some(BillingStatus::PastDue)
        );
        assert_eq!(BillingStatus::parse("pastdue"), None);
    }

    #[test]
    fn yearly_price_is_twelve_months() {
        assert_eq!(plan(PlanId::Team).price_pence(Period::Yearly), 34800);
        assert_eq!(format_pounds(34800), "£348");
        assert_eq!(format_pounds(2950), "£29.50");
        assert_eq!(format_pounds(123456700), "£1,234,567");
    }
}
