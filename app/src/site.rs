//! Facts about this deployment that public pages print: where it lives and whom to tell about a
//! vulnerability. The server fills them from its configuration.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteInfo {
    /// The canonical origin, without a trailing slash, such as `https://opsintel.example`.
    pub public_url: String,
    /// Where security reports go, such as `security@opsintel.example`.
    pub security_contact: String,
    /// When the security page was last reviewed, as an ISO date (`2026-11-01`).
    pub security_updated: String,
    /// How long records are kept before the daily job deletes them.
    pub retention: Retention,
}

/// How many days each kind of record is kept, as the privacy notice states and the retention job
/// enforces (`OPS_RETAIN_*_DAYS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// A customer conversation, counted from its last message, with its attachments.
    pub inbox_days: u32,
    /// Entries of the organisation and account audit logs.
    pub audit_days: u32,
    /// The record of each AI request.
    pub ai_days: u32,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            inbox_days: 730,
            audit_days: 2190,
            ai_days: 365,
        }
    }
}

/// "90 days", "2 years", "18 months": a period as the privacy notice says it.
pub fn describe_days(days: u32) -> String {
    let plural = |n: u32, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    if days.is_multiple_of(365) {
        plural(days / 365, "year")
    } else if days.is_multiple_of(30) && days >= 60 {
        plural(days / 30, "month")
    } else {
        plural(days, "day")
    }
}

impl Default for SiteInfo {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            security_contact: "security@localhost".into(),
            security_updated: "2026-11-29".into(),
            retention: Retention::default(),
        }
    }
}

impl SiteInfo {
    /// The absolute address of a path on this site.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

pub fn use_site() -> SiteInfo {
    use_context::<SiteInfo>().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_said_in_the_largest_whole_unit() {
        assert_eq!(describe_days(1), "1 day");
        assert_eq!(describe_days(30), "30 days");
        assert_eq!(describe_days(90), "3 months");
        assert_eq!(describe_days(365), "1 year");
        assert_eq!(describe_days(2190), "6 years");
        assert_eq!(describe_days(400), "400 days");
    }
}
