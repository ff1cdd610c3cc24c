//! The operator side, for Ops Intel's staff: organisations and people (what they are, never what
//! they hold), the job queue's dead letters, support access to one organisation's content for a
//! stated reason, and the register of personal-data breaches with its 72-hour clock and the
//! notices sent to the people affected. Staff are named only from the command line
//! (`server staff grant|revoke EMAIL`); every function here declares `access::staff`.

pub mod forms;
pub mod functions;
pub mod register;

use serde::{Deserialize, Serialize};

/// An organisation as staff see it in a search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffOrganisation {
    pub org_id: String,
    pub name: String,
    pub slug: String,
    pub plan: String,
    pub billing_status: String,
    pub members: i64,
    pub created: String,
}

/// A person as staff see them in a search.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUser {
    pub name: String,
    pub email: String,
    pub verified: bool,
    pub two_factor: bool,
    pub staff: bool,
    pub organisations: i64,
    pub created: String,
}

/// A job that used up its attempts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadJob {
    pub id: i64,
    pub kind: String,
    pub attempts: i32,
    pub failed: String,
    pub error: String,
}

/// What a support session shows of an organisation: enough to help, all of it recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportView {
    pub name: String,
    pub businesses: Vec<String>,
    /// Open issues, newest first: number, title, status.
    pub open_issues: Vec<(i32, String, String)>,
    pub threads_waiting: i64,
}

/// An incident in the register's list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentSummary {
    pub number: i64,
    pub title: String,
    pub discovered: String,
    pub state: String,
}
