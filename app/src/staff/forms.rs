//! The operator side's forms as their functions receive them (`form[name]`, …), and, on the
//! server, the checked values each becomes. Errors name the field they are about.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    super::register::{CATEGORIES, STEP_KINDS},
    crate::{
        domain::{
            text::{field_text, TextError},
            EmailAddress, Slug,
        },
        error::AppError,
    },
    time::{macros::format_description, OffsetDateTime, PrimitiveDateTime},
};

#[cfg(feature = "ssr")]
field_text!(
    /// An incident's name in the register.
    IncidentTitle { what: "The title", max: 200, lines: One, required: "Say in a line what happened." }
);
#[cfg(feature = "ssr")]
field_text!(
    /// What happened, as known when the incident is opened.
    IncidentDescription { what: "The description", max: 10_000, lines: Many, required: "Describe what happened." }
);
#[cfg(feature = "ssr")]
field_text!(
    /// What a step of the response records.
    StepSummary { what: "The entry", max: 10_000, lines: Many, required: "Write what was done or decided." }
);
#[cfg(feature = "ssr")]
field_text!(
    /// Why staff need to see an organisation's content.
    SupportReason { what: "The reason", max: 500, lines: One, required: "Give the reason you need to see this organisation's content." }
);

#[cfg(feature = "ssr")]
fn text<T>(field: &str, parsed: Result<T, TextError>) -> Result<T, AppError> {
    parsed.map_err(|e| AppError::invalid(field, e))
}

/// A search of organisations or people.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StaffSearchForm {
    pub q: String,
}

#[cfg(feature = "ssr")]
impl StaffSearchForm {
    /// The words searched for, bounded.
    pub fn terms(&self) -> Result<String, AppError> {
        text(
            "q",
            crate::domain::text::checked(
                "The search",
                &self.q,
                100,
                crate::domain::text::Lines::One,
            ),
        )
    }
}

/// Opening an incident.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct IncidentForm {
    pub title: String,
    pub description: String,
    /// When it was discovered, as a browser's `datetime-local` field sends it, in UTC.
    pub discovered_at: String,
    /// The ids of [`CATEGORIES`] involved, each a box of its own (`form[categories][account]`).
    pub categories: std::collections::BTreeMap<String, String>,
    /// `all`, or `chosen` for the organisations and people below.
    pub scope: String,
    /// Organisations' addresses (slugs), one per line or separated by commas.
    pub organisations: String,
    /// People's email addresses, one per line or separated by commas.
    pub people: String,
}

/// Who an incident affects, checked.
#[cfg(feature = "ssr")]
#[derive(Debug, PartialEq, Eq)]
pub enum Affected {
    Everyone,
    Chosen {
        organisations: Vec<Slug>,
        people: Vec<EmailAddress>,
    },
}

#[cfg(feature = "ssr")]
#[derive(Debug)]
pub struct NewIncident {
    pub title: IncidentTitle,
    pub description: IncidentDescription,
    pub discovered_at: OffsetDateTime,
    pub categories: Vec<String>,
    pub affected: Affected,
}

/// `2026-12-01T09:30` (a `datetime-local` field, seconds optional) as a time in UTC.
#[cfg(feature = "ssr")]
pub fn parse_utc_minute(input: &str) -> Option<OffsetDateTime> {
    let input = input.trim();
    let with_seconds = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    let minutes = format_description!("[year]-[month]-[day]T[hour]:[minute]");
    PrimitiveDateTime::parse(input, &minutes)
        .or_else(|_| PrimitiveDateTime::parse(input, &with_seconds))
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// Items separated by commas or line breaks, without the empty ones.
#[cfg(feature = "ssr")]
fn items(list: &str) -> impl Iterator<Item = &str> {
    list.split([',', '\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(feature = "ssr")]
impl NewIncident {
    /// The form, checked, at time `now` (discovery cannot be in the future).
    pub fn parse(form: IncidentForm, now: OffsetDateTime) -> Result<Self, AppError> {
        let title = text("title", IncidentTitle::parse(&form.title))?;
        let description = text("description", IncidentDescription::parse(&form.description))?;
        let discovered_at = parse_utc_minute(&form.discovered_at).ok_or_else(|| {
            AppError::invalid(
                "discovered_at",
                "Give the date and time it was discovered (UTC).",
            )
        })?;
        if discovered_at > now + time::Duration::minutes(5) {
            return Err(AppError::invalid(
                "discovered_at",
                "The time of discovery cannot be in the future.",
            ));
        }
        if form
            .categories
            .keys()
            .any(|c| !CATEGORIES.iter().any(|(id, _)| id == c))
        {
            return Err(AppError::invalid(
                "categories",
                "Choose categories from the list.",
            ));
        }
        // In the list's order.
        let categories: Vec<String> = CATEGORIES
            .iter()
            .filter(|(id, _)| form.categories.contains_key(*id))
            .map(|(id, _)| id.to_string())
            .collect();
        if categories.is_empty() {
            return Err(AppError::invalid(
                "categories",
                "Choose at least one category of personal data involved.",
            ));
        }
        let affected = match form.scope.as_str() {
            "all" => Affected::Everyone,
            "chosen" => {
                let organisations = items(&form.organisations)
                    .take(1_001)
                    .map(|s| {
                        Slug::parse(s).map_err(|_| {
                            AppError::invalid(
                                "organisations",
                                format!("\u{201c}{s}\u{201d} is not an organisation's address."),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let people = items(&form.people)
                    .take(1_001)
                    .map(|s| {
                        EmailAddress::parse(s).map_err(|_| {
                            AppError::invalid(
                                "people",
                                format!("\u{201c}{s}\u{201d} is not an email address."),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                if organisations.len() + people.len() > 1_000 {
                    return Err(AppError::invalid(
                        "organisations",
                        "Name at most 1,000 organisations and people; choose \u{201c}everyone\u{201d} for more.",
                    ));
                }
                if organisations.is_empty() && people.is_empty() {
                    return Err(AppError::invalid(
                        "organisations",
                        "Name the organisations or people affected, or choose everyone.",
                    ));
                }
                Affected::Chosen {
                    organisations,
                    people,
                }
            }
            _ => return Err(AppError::invalid("scope", "Choose who is affected.")),
        };
        Ok(Self {
            title,
            description,
            discovered_at,
            categories,
            affected,
        })
    }
}

/// Recording a step of the response.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StepForm {
    /// One of [`STEP_KINDS`] other than `notice` (notices have their own form).
    pub kind: String,
    pub summary: String,
    /// A decision: `yes` when it must be reported, `no` when not.
    pub must_report: String,
    /// A report to the ICO: its reference and when it was made (UTC).
    pub ico_reference: String,
    pub reported_at: String,
}

#[cfg(feature = "ssr")]
#[derive(Debug, PartialEq, Eq)]
pub enum NewStep {
    Note(String),
    Assessment(String),
    Decision {
        must_report: bool,
        reason: String,
    },
    IcoReport {
        reference: String,
        at: OffsetDateTime,
        summary: String,
    },
    Closed(String),
}

#[cfg(feature = "ssr")]
impl NewStep {
    pub fn kind(&self) -> &'static str {
        match self {
            NewStep::Note(_) => "note",
            NewStep::Assessment(_) => "assessment",
            NewStep::Decision { .. } => "decision",
            NewStep::IcoReport { .. } => "ico_report",
            NewStep::Closed(_) => "closed",
        }
    }

    pub fn parse(form: StepForm, now: OffsetDateTime) -> Result<Self, AppError> {
        if !STEP_KINDS.iter().any(|(k, _)| *k == form.kind) || form.kind == "notice" {
            return Err(AppError::invalid("kind", "Choose what this step is."));
        }
        let summary = text("summary", StepSummary::parse(&form.summary))?.to_string();
        Ok(match form.kind.as_str() {
            "note" => NewStep::Note(summary),
            "assessment" => NewStep::Assessment(summary),
            "decision" => NewStep::Decision {
                must_report: match form.must_report.as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => {
                        return Err(AppError::invalid(
                            "must_report",
                            "Say whether it must be reported to the ICO.",
                        ))
                    }
                },
                reason: summary,
            },
            "ico_report" => {
                let reference = crate::domain::text::checked(
                    "The ICO's reference",
                    &form.ico_reference,
                    100,
                    crate::domain::text::Lines::One,
                )
                .map_err(|e| AppError::invalid("ico_reference", e))?;
                if reference.is_empty() {
                    return Err(AppError::invalid(
                        "ico_reference",
                        "Give the reference the ICO gave the report.",
                    ));
                }
                let at = parse_utc_minute(&form.reported_at).ok_or_else(|| {
                    AppError::invalid("reported_at", "Give the date and time of the report (UTC).")
                })?;
                if at > now + time::Duration::minutes(5) {
                    return Err(AppError::invalid(
                        "reported_at",
                        "The time of the report cannot be in the future.",
                    ));
                }
                NewStep::IcoReport {
                    reference,
                    at,
                    summary,
                }
            }
            _ => NewStep::Closed(summary),
        })
    }
}

/// The notice to the people affected: written once.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NoticeForm {
    pub subject: String,
    pub body: String,
}

#[cfg(feature = "ssr")]
field_text!(
    /// A notice's subject line.
    NoticeSubject { what: "The subject", max: 150, lines: One, required: "Give the notice a subject." }
);
#[cfg(feature = "ssr")]
field_text!(
    /// What the notice tells people: what happened, what it means for them, what to do.
    NoticeBody { what: "The notice", max: 10_000, lines: Many, required: "Write the notice." }
);

/// A notice, checked.
#[cfg(feature = "ssr")]
pub struct Notice {
    pub subject: String,
    pub body: String,
}

#[cfg(feature = "ssr")]
impl Notice {
    pub fn parse(form: &NoticeForm) -> Result<Self, AppError> {
        Ok(Self {
            subject: text("subject", NoticeSubject::parse(&form.subject))?.to_string(),
            body: text("body", NoticeBody::parse(&form.body))?.to_string(),
        })
    }
}

/// Support access to one organisation.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SupportForm {
    pub org_id: String,
    pub reason: String,
}

#[cfg(feature = "ssr")]
impl SupportForm {
    pub fn reason(&self) -> Result<SupportReason, AppError> {
        text("reason", SupportReason::parse(&self.reason))
    }
}

#[cfg(test)]
#[cfg(feature = "ssr")]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-12-01 12:00 UTC)
    }

    fn form() -> IncidentForm {
        IncidentForm {
            title: "Backup copy readable".into(),
            description: "A backup was readable by a contractor.".into(),
            discovered_at: "2026-12-01T09:30".into(),
            categories: [("sessions", "on"), ("account", "on")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
            scope: "chosen".into(),
            organisations: "alpha-cafes,\n bravo-bakes".into(),
            people: "one@example.com".into(),
        }
    }

    #[test]
    fn an_incident_is_opened_with_what_who_and_when() {
        let i = NewIncident::parse(form(), now()).unwrap();
        assert_eq!(
            i.discovered_at,
            time::macros::datetime!(2026-12-01 09:30 UTC)
        );
        assert_eq!(i.categories, ["account", "sessions"]);
        let Affected::Chosen {
            organisations,
            people,
        } = i.affected
        else {
            panic!("chosen")
        };
        assert_eq!(organisations.len(), 2);
        assert_eq!(people.len(), 1);
        let all = NewIncident::parse(
            IncidentForm {
                scope: "all".into(),
                organisations: String::new(),
                people: String::new(),
                ..form()
            },
            now(),
        )
        .unwrap();
        assert_eq!(all.affected, Affected::Everyone);
    }

    #[test]
    fn a_bad_incident_names_the_field_at_fault() {
        let field = |f: IncidentForm| match NewIncident::parse(f, now()) {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(IncidentForm {
                title: " ".into(),
                ..form()
            }),
            "title"
        );
        assert_eq!(
            field(IncidentForm {
                discovered_at: "yesterday".into(),
                ..form()
            }),
            "discovered_at"
        );
        assert_eq!(
            field(IncidentForm {
                discovered_at: "2026-12-02T09:30".into(),
                ..form()
            }),
            "discovered_at"
        );
        assert_eq!(
            field(IncidentForm {
                categories: Default::default(),
                ..form()
            }),
            "categories"
        );
        assert_eq!(
            field(IncidentForm {
                categories: [("gossip".to_string(), "on".to_string())].into(),
                ..form()
            }),
            "categories"
        );
        assert_eq!(
            field(IncidentForm {
                scope: "some".into(),
                ..form()
            }),
            "scope"
        );
        assert_eq!(
            field(IncidentForm {
                organisations: "Not A Slug!".into(),
                ..form()
            }),
            "organisations"
        );
        assert_eq!(
            field(IncidentForm {
                people: "nobody".into(),
                ..form()
            }),
            "people"
        );
        assert_eq!(
            field(IncidentForm {
                organisations: String::new(),
                people: String::new(),
                ..form()
            }),
            "organisations"
        );
    }

    #[test]
    fn steps_carry_what_their_kind_needs() {
        let step = |kind: &str, must: &str, reference: &str, at: &str| {
            NewStep::parse(
                StepForm {
                    kind: kind.into(),
                    summary: "Done.".into(),
                    must_report: must.into(),
                    ico_reference: reference.into(),
                    reported_at: at.into(),
                },
                now(),
            )
        };
        assert!(matches!(
            step("decision", "yes", "", ""),
            Ok(NewStep::Decision {
                must_report: true,
                ..
            })
        ));
        assert!(step("decision", "", "", "").is_err());
        assert!(matches!(
            step("ico_report", "", "IC-123", "2026-12-01T11:00"),
            Ok(NewStep::IcoReport { .. })
        ));
        assert!(step("ico_report", "", "", "2026-12-01T11:00").is_err());
        assert!(step("ico_report", "", "IC-1", "").is_err());
        assert!(
            step("notice", "", "", "").is_err(),
            "notices have their own form"
        );
        assert!(step("gossip", "", "", "").is_err());
        assert_eq!(step("closed", "", "", "").unwrap().kind(), "closed");
    }
}
