//! The breach register's reading of an incident: from its append-only steps, where it stands
//! against the 72 hours that UK GDPR article 33 allows from discovery to the ICO's report, and
//! what is overdue. Plain functions of the record and the time, so the page, the list and the
//! regulator's export say the same.

use serde::{Deserialize, Serialize};

/// The hours from discovery within which a reportable breach is reported to the ICO.
pub const REPORT_WITHIN_HOURS: i64 = 72;

/// The categories of personal data an incident can involve, as stored and as shown.
pub const CATEGORIES: [(&str, &str); 7] = [
    ("account", "Account details (names, email addresses)"),
    ("credentials", "Password hashes or two-factor secrets"),
    ("sessions", "Sign-in sessions and IP addresses"),
    (
        "organisation",
        "Organisations' records (businesses, issues, comments)",
    ),
    ("messages", "Customer messages and attachments"),
    ("billing", "Billing records"),
    ("ai", "The AI record"),
];

/// What a list of `(stored, shown)` names shows for `id`; an unknown one as it is.
fn shown<'a>(list: &[(&str, &'a str)], id: &'a str) -> &'a str {
    list.iter()
        .find(|(stored, _)| *stored == id)
        .map_or(id, |(_, label)| *label)
}

pub fn category_label(id: &str) -> &str {
    shown(&CATEGORIES, id)
}

/// The kinds of step, as stored, with what the page calls them.
pub const STEP_KINDS: [(&str, &str); 6] = [
    ("note", "Note"),
    ("assessment", "Assessment"),
    ("decision", "Decision on reporting"),
    ("ico_report", "Reported to the ICO"),
    ("notice", "Notice to affected people"),
    ("closed", "Closed"),
];

pub fn step_label(kind: &str) -> &str {
    shown(&STEP_KINDS, kind)
}

/// One recorded step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub at: String,
    pub by: String,
    pub kind: String,
    pub summary: String,
    pub must_report: Option<bool>,
    pub ico_reference: Option<String>,
    pub reported_at: Option<String>,
    pub subject: Option<String>,
}

/// How one notice's delivery stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub email: String,
    pub queued: String,
    pub sent: Option<String>,
    pub attempts: i32,
    pub retrying: bool,
}

/// An incident, whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub number: i64,
    pub title: String,
    pub description: String,
    pub discovered: String,
    pub opened: String,
    pub opened_by: String,
    pub categories: Vec<String>,
    /// "Everyone with an account", or the organisations and people named.
    pub affected: Vec<String>,
    pub affects_all: bool,
    pub people_affected: i64,
    pub steps: Vec<Step>,
    pub deliveries: Vec<Delivery>,
    pub clock: Clock,
}

/// Where an incident stands against its deadlines, at the time it was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// The ICO report's deadline, discovery + 72 hours.
    pub report_due: String,
    /// Minutes left to the deadline (negative once past).
    pub minutes_left: i64,
    pub state: ReportState,
    /// What is late or still to do, worded for the page.
    pub overdue: Vec<String>,
    pub closed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportState {
    /// No decision yet on whether it must be reported.
    Undecided,
    /// Decided not reportable (the reason is in the decision).
    NotReportable,
    /// Reportable, not reported yet.
    Due,
    /// Reported to the ICO.
    Reported,
}

/// What an incident's record says so far, as far as the clock cares.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The latest decision: whether it must be reported.
    pub decision: Option<bool>,
    pub reported: bool,
    pub noticed: bool,
    pub closed: bool,
}

impl Progress {
    pub fn of(steps: &[Step]) -> Self {
        Self {
            decision: steps.iter().rev().find_map(|s| s.must_report),
            reported: steps.iter().any(|s| s.kind == "ico_report"),
            noticed: steps.iter().any(|s| s.kind == "notice"),
            closed: steps.iter().any(|s| s.kind == "closed"),
        }
    }
}

/// What the clock says about an incident discovered `minutes_since_discovery` ago with `steps`
/// recorded and `people`/`notified` the affected people and those sent a notice.
pub fn clock(
    report_due: String,
    minutes_since_discovery: i64,
    steps: &[Step],
    people: i64,
    notified: i64,
) -> Clock {
    clock_at(
        report_due,
        minutes_since_discovery,
        Progress::of(steps),
        people,
        notified,
    )
}

/// The same from the record's [`Progress`] alone (the register's list reads only that).
pub fn clock_at(
    report_due: String,
    minutes_since_discovery: i64,
    progress: Progress,
    people: i64,
    notified: i64,
) -> Clock {
    let minutes_left = REPORT_WITHIN_HOURS * 60 - minutes_since_discovery;
    let Progress {
        decision,
        reported,
        noticed,
        closed,
    } = progress;
    let state = match (reported, decision) {
        (true, _) => ReportState::Reported,
        (false, Some(true)) => ReportState::Due,
        (false, Some(false)) => ReportState::NotReportable,
        (false, None) => ReportState::Undecided,
    };
    let late = minutes_left < 0;
    let mut overdue = Vec::new();
    if !closed {
        match state {
            ReportState::Undecided if late => overdue.push(
                "No decision on reporting, and the 72 hours since discovery have passed.".into(),
            ),
            ReportState::Due if late => overdue
                .push("The ICO report is overdue: 72 hours since discovery have passed.".into()),
            _ => {}
        }
        if decision == Some(true) && !noticed {
            overdue.push("The notice to affected people is not written yet.".into());
        }
        if noticed && notified < people {
            overdue.push(format!(
                "{} of {people} affected people have no notice yet.",
                people - notified
            ));
        }
    }
    Clock {
        report_due,
        minutes_left,
        state,
        overdue,
        closed,
    }
}

/// "2 days 4 hours", "3 hours 5 minutes", "12 minutes".
pub fn describe_minutes(minutes: i64) -> String {
    let m = minutes.abs();
    let (days, hours, mins) = (m / 1440, m % 1440 / 60, m % 60);
    let unit = |n: i64, one: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    };
    if days > 0 {
        format!("{} {}", unit(days, "day"), unit(hours, "hour"))
    } else if hours > 0 {
        format!("{} {}", unit(hours, "hour"), unit(mins, "minute"))
    } else {
        unit(mins, "minute")
    }
}

impl Clock {
    /// One line for the page and the list.
    pub fn summary(&self) -> String {
        if self.closed {
            return "Closed".into();
        }
        match self.state {
            ReportState::Reported => "Reported to the ICO".into(),
            ReportState::NotReportable => "Assessed as not reportable".into(),
            ReportState::Undecided | ReportState::Due if self.minutes_left >= 0 => format!(
                "ICO report due in {} (by {})",
                describe_minutes(self.minutes_left),
                self.report_due
            ),
            ReportState::Undecided | ReportState::Due => format!(
                "Overdue by {} (was due {})",
                describe_minutes(self.minutes_left),
                self.report_due
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(kind: &str) -> Step {
        Step {
            at: String::new(),
            by: String::new(),
            kind: kind.into(),
            summary: "x".into(),
            must_report: None,
            ico_reference: None,
            reported_at: None,
            subject: None,
        }
    }

    fn decision(must_report: bool) -> Step {
        Step {
            must_report: Some(must_report),
            ..step("decision")
        }
    }

    #[test]
    fn the_clock_runs_72_hours_from_discovery_until_the_report() {
        let fresh = clock("due".into(), 60, &[], 10, 0);
        assert_eq!(fresh.minutes_left, 71 * 60);
        assert_eq!(fresh.state, ReportState::Undecided);
        assert!(fresh.overdue.is_empty());
        assert_eq!(
            fresh.summary(),
            "ICO report due in 2 days 23 hours (by due)"
        );

        let late = clock("due".into(), 73 * 60, &[], 10, 0);
        assert_eq!(late.summary(), "Overdue by 1 hour 0 minutes (was due due)");
        assert_eq!(late.overdue.len(), 1, "{:?}", late.overdue);

        let due = clock("due".into(), 80 * 60, &[decision(true)], 10, 0);
        assert_eq!(due.state, ReportState::Due);
        assert_eq!(
            due.overdue.len(),
            2,
            "the report and the notice: {:?}",
            due.overdue
        );

        let reported = clock(
            "due".into(),
            80 * 60,
            &[decision(true), step("ico_report")],
            10,
            0,
        );
        assert_eq!(reported.state, ReportState::Reported);
        assert_eq!(
            reported.overdue,
            ["The notice to affected people is not written yet."]
        );

        let partly = clock(
            "d".into(),
            90,
            &[decision(true), step("ico_report"), step("notice")],
            10,
            7,
        );
        assert_eq!(
            partly.overdue,
            ["3 of 10 affected people have no notice yet."]
        );

        let done = clock(
            "d".into(),
            90,
            &[decision(true), step("ico_report"), step("notice")],
            10,
            10,
        );
        assert!(done.overdue.is_empty());
    }

    #[test]
    fn a_later_decision_replaces_an_earlier_one_and_closing_ends_the_clock() {
        let changed = clock(
            "d".into(),
            100 * 60,
            &[decision(false), decision(true)],
            3,
            0,
        );
        assert_eq!(changed.state, ReportState::Due);
        let not = clock(
            "d".into(),
            100 * 60,
            &[decision(true), decision(false)],
            3,
            0,
        );
        assert_eq!(not.state, ReportState::NotReportable);
        assert!(not.overdue.is_empty());
        let closed = clock("d".into(), 100 * 60, &[step("closed")], 3, 0);
        assert!(closed.closed && closed.overdue.is_empty());
        assert_eq!(closed.summary(), "Closed");
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(describe_minutes(1), "1 minute");
        assert_eq!(describe_minutes(61), "1 hour 1 minute");
        assert_eq!(describe_minutes(-(2 * 1440 + 120)), "2 days 2 hours");
    }
}
