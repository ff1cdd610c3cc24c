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
}

impl Default for SiteInfo {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            security_contact: "security@localhost".into(),
            security_updated: "2026-11-29".into(),
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
