//! Organisations: the tenants. Members, invitations and the audit log.

pub mod export;
pub mod forms;
pub mod functions;

use serde::{Deserialize, Serialize};

use crate::roles::Role;

/// An organisation the signed-in user belongs to, for the switcher.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub slug: String,
    pub name: String,
    pub role: Role,
}

/// The organisation a page is showing, and what the viewer's role lets them do there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgContext {
    pub slug: String,
    pub name: String,
    pub role: Role,
    pub user_id: String,
    /// Whether every member must use two-factor sign-in.
    pub require_two_factor: bool,
    /// Where its days begin and end ("Europe/London").
    pub time_zone: String,
    /// A payment owed, which every page of the organisation says.
    pub payment: Option<crate::billing::PaymentNotice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberInfo {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined: crate::domain::Moment,
    /// Whether the member signs in with two-factor.
    pub two_factor: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationInfo {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub sent: crate::domain::Moment,
    pub expires: crate::domain::Moment,
    pub expired: bool,
}

/// What an invitation link shows before it is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationDetails {
    pub org_name: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: crate::domain::Moment,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub summary: String,
    pub ip: String,
    pub user_agent: String,
}

/// One page of the audit log, newest first; `next` continues after its last entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next: Option<i64>,
}

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
