//! The subscription plans: defined once here, shown on the pricing page and (later) enforced by
//! the server.

use std::fmt;

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
    },
    Plan {
        id: PlanId::Team,
        name: "Team",
        tagline: "For a growing group with a few sites.",
        monthly_pence: 2900,
        members: Limit::UpTo(15),
        businesses: Limit::UpTo(500),
        ai_requests_per_month: Limit::UpTo(1000),
    },
    Plan {
        id: PlanId::Business,
        name: "Business",
        tagline: "For multi-site operators who run on it.",
        monthly_pence: 9900,
        members: Limit::Unlimited,
        businesses: Limit::Unlimited,
        ai_requests_per_month: Limit::UpTo(10000),
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

pub fn plan(id: PlanId) -> &'static Plan {
    PLANS
        .iter()
        .find(|p| p.id == id)
        .expect("every PlanId has a plan")
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
                )
            })
            .collect();
        let s = |x: &str| x.to_string();
        assert_eq!(
            rows,
            vec![
                ("Free", s("£0"), s("3"), s("25"), s("0")),
                ("Team", s("£29"), s("15"), s("500"), s("1,000")),
                (
                    "Business",
                    s("£99"),
                    s("Unlimited"),
                    s("Unlimited"),
                    s("10,000")
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
    fn yearly_price_is_twelve_months() {
        assert_eq!(plan(PlanId::Team).price_pence(Period::Yearly), 34800);
        assert_eq!(format_pounds(34800), "£348");
        assert_eq!(format_pounds(2950), "£29.50");
        assert_eq!(format_pounds(123456700), "£1,234,567");
    }
}
