//! AI triage and reply drafts for the inbox, through Anthropic's Messages API (called by the
//! server's jobs, `server/src/ai/`). Everything here is a suggestion a person reviews: triage
//! proposes a category, urgency and the rest, which a member accepts or changes; a draft lands in
//! the composer and goes out only when a person presses send.
//!
//! Under the organisation's control: off until an Owner or Admin switches it on
//! ([`settings`]); each call counted before it is made against the plan's monthly allowance;
//! each call on the record ([`record`]), with a hash of what was sent and never the content.

pub mod record;
pub mod settings;
pub mod suggest;

use serde::{Deserialize, Serialize};

use super::{IssueKind, Priority};

choice!(
    /// What a customer's message is about.
    Category {
        Complaint => ("complaint", "Complaint"),
        Booking => ("booking", "Booking"),
        Supplier => ("supplier", "Supplier"),
        Billing => ("billing", "Billing"),
        Praise => ("praise", "Praise"),
        Spam => ("spam", "Spam"),
        Other => ("other", "Other"),
    }
);

choice!(
    /// How soon a message needs an answer; most urgent first.
    Urgency {
        Urgent => ("urgent", "Urgent"),
        High => ("high", "High"),
        Normal => ("normal", "Normal"),
        Low => ("low", "Low"),
    }
);

choice!(
    Sentiment {
        Negative => ("negative", "Negative"),
        Neutral => ("neutral", "Neutral"),
        Positive => ("positive", "Positive"),
    }
);

choice!(
    /// How drafts are written.
    Tone {
        Friendly => ("friendly", "Friendly"),
        Formal => ("formal", "Formal"),
        Brief => ("brief", "Brief and plain"),
    }
);

choice!(
    /// Where a thread's triage stands.
    TriageState {
        NotAsked => ("none", "Not triaged"),
        Pending => ("pending", "Triage pending"),
        Done => ("done", "Triaged"),
        Failed => ("failed", "Could not triage"),
        Skipped => ("skipped", "Not triaged"),
    }
);

choice!(
    /// Why a call to the AI service was made.
    Purpose {
        Triage => ("triage", "Triage"),
        Draft => ("draft", "Draft"),
        Digest => ("digest", "Weekly digest"),
    }
);

choice!(
    /// How a call to the AI service ended.
    Outcome {
        Sent => ("sent", "No answer recorded"),
        Ok => ("ok", "Answered"),
        Invalid => ("invalid", "Answer not usable"),
        RateLimited => ("rate_limited", "Rate limited"),
        Overloaded => ("overloaded", "Service overloaded"),
        Unavailable => ("unavailable", "Service unavailable"),
        Refused => ("refused", "Refused"),
    }
);

impl Outcome {
    /// Whether the call counts against the allowance: the service did the work (or may have).
    /// A call refused because the service was busy or down is given back.
    pub fn is_charged(self) -> bool {
        !matches!(
            self,
            Outcome::RateLimited | Outcome::Overloaded | Outcome::Unavailable
        )
    }
}

/// The words shown beside the switch, and on the Security page: what leaves, and what stays.
pub const WHAT_IS_SENT: &str = "With AI on, the text of a customer's conversation (the words of \
each message, without quoted earlier messages, signatures or attachments), its subject, your \
businesses' names (to suggest which one it is about) and, for a draft, your chosen tone, \
signature and the first name of the member asking, are sent to Anthropic to be processed. \
Nothing else about your customers or members is sent. Ops Intel keeps the suggestion, the \
draft and a record of each request (when, why, who asked, the model, its size and a \
fingerprint of what was sent), never the text sent or the raw answer.";

/// A triage suggestion, as the model made it and our types accept it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    pub category: Category,
    pub urgency: Urgency,
    pub sentiment: Sentiment,
    /// One sentence.
    pub summary: String,
    /// The business the message is about, by id: one of the organisation's.
    pub business_id: Option<String>,
    pub business_name: Option<String>,
    /// Whether an issue should be opened, and of what kind and priority.
    pub open_issue: Option<IssueSuggestion>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueSuggestion {
    pub kind: IssueKind,
    pub priority: Priority,
}

/// The longest summary kept.
pub const SUMMARY_CHARS: usize = 200;
/// The longest draft kept.
pub const DRAFT_CHARS: usize = 5000;

#[cfg(feature = "ssr")]
impl Triage {
    /// The model's answer (the `record_triage` tool's input), checked field by field against
    /// the schema it was given; `businesses` are the organisation's (id, name), of which the
    /// suggested one must be. Anything else is an answer we cannot use.
    pub fn from_answer(
        input: &serde_json::Value,
        businesses: &[(String, String)],
    ) -> Result<Triage, String> {
        const FIELDS: [&str; 8] = [
            "category",
            "urgency",
            "sentiment",
            "summary",
            "business",
            "open_issue",
            "issue_kind",
            "issue_priority",
        ];
        let object = input.as_object().ok_or("the answer is not an object")?;
        if let Some(extra) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(format!("an unexpected field of {} characters", extra.len()));
        }
        let text = |field: &str| -> Result<&str, String> {
            object
                .get(field)
                .and_then(|v| v.as_str())
                .ok_or_else(|| format!("{field} is missing or not text"))
        };
        let nullable = |field: &str| -> Result<Option<&str>, String> {
            match object.get(field) {
                Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
                _ => Err(format!("{field} is missing or not text or null")),
            }
        };
        let pick = |field: &str, ok: bool| -> Result<(), String> {
            if ok {
                Ok(())
            } else {
                Err(format!("{field} is not one of the choices"))
            }
        };
        let category = text("category")?;
        let urgency = text("urgency")?;
        let sentiment = text("sentiment")?;
        let (c, u, s) = (
            Category::parse(category),
            Urgency::parse(urgency),
            Sentiment::parse(sentiment),
        );
        pick("category", c.is_some())?;
        pick("urgency", u.is_some())?;
        pick("sentiment", s.is_some())?;
        let summary = one_line(text("summary")?);
        if summary.is_empty() || summary.chars().count() > SUMMARY_CHARS {
            return Err(format!(
                "the summary is empty or longer than {SUMMARY_CHARS} characters"
            ));
        }
        let business = match nullable("business")? {
            None => None,
            Some(name) => Some(
                businesses
                    .iter()
                    .find(|(_, n)| n.trim().eq_ignore_ascii_case(name.trim()))
                    .ok_or("business is not one of the organisation's")?
                    .clone(),
            ),
        };
        let open_issue = object
            .get("open_issue")
            .and_then(|v| v.as_bool())
            .ok_or("open_issue is missing or not true or false")?;
        let kind = nullable("issue_kind")?;
        let priority = nullable("issue_priority")?;
        let open_issue = match (open_issue, kind, priority) {
            (false, _, _) => None,
            (true, Some(kind), Some(priority)) => Some(IssueSuggestion {
                kind: IssueKind::parse(kind).ok_or("issue_kind is not one of the choices")?,
                priority: Priority::parse(priority)
                    .ok_or("issue_priority is not one of the choices")?,
            }),
            (true, _, _) => {
                return Err("an issue is suggested without its kind and priority".into())
            }
        };
        let (business_id, business_name) = business.unzip();
        Ok(Triage {
            category: c.expect("checked"),
            urgency: u.expect("checked"),
            sentiment: s.expect("checked"),
            summary,
            business_id,
            business_name,
            open_issue,
        })
    }
}

/// The model's draft (the `write_reply` tool's input): its body, within our limits.
#[cfg(feature = "ssr")]
pub fn draft_from_answer(input: &serde_json::Value) -> Result<String, String> {
    let object = input.as_object().ok_or("the answer is not an object")?;
    if object.len() != 1 {
        return Err("the answer has fields other than body".into());
    }
    let body = object
        .get("body")
        .and_then(|v| v.as_str())
        .ok_or("body is missing or not text")?
        .trim();
    if body.is_empty() || body.chars().count() > DRAFT_CHARS {
        return Err(format!(
            "the draft is empty or longer than {DRAFT_CHARS} characters"
        ));
    }
    Ok(body.replace("\r\n", "\n"))
}

/// A category and an urgency as a form sends them, each empty for none (or any).
#[cfg(feature = "ssr")]
pub(crate) fn parse_triage(
    category: &str,
    urgency: &str,
) -> Result<(Option<Category>, Option<Urgency>), crate::error::AppError> {
    use super::fields::optional_choice;
    Ok((
        optional_choice(category, Category::parse, "category", "Choose a category.")?,
        optional_choice(urgency, Urgency::parse, "urgency", "Choose an urgency.")?,
    ))
}

/// Whitespace (newlines included) collapsed to single spaces.
#[cfg(feature = "ssr")]
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use serde_json::json;

    fn businesses() -> Vec<(String, String)> {
        vec![
            ("b1".into(), "Harbour Café".into()),
            ("b2".into(), "Minster Bakery".into()),
        ]
    }

    fn answer() -> serde_json::Value {
        json!({
            "category": "complaint", "urgency": "high", "sentiment": "negative",
            "summary": "Cold food\nserved on Saturday.", "business": "harbour café",
            "open_issue": true, "issue_kind": "complaint", "issue_priority": "high"
        })
    }

    #[test]
    fn a_valid_answer_becomes_a_suggestion() {
        let t = Triage::from_answer(&answer(), &businesses()).unwrap();
        assert_eq!(t.category, Category::Complaint);
        assert_eq!(t.urgency, Urgency::High);
        assert_eq!(t.summary, "Cold food served on Saturday.");
        assert_eq!(t.business_id.as_deref(), Some("b1"));
        assert_eq!(t.business_name.as_deref(), Some("Harbour Café"));
        assert_eq!(
            t.open_issue,
            Some(IssueSuggestion {
                kind: IssueKind::Complaint,
                priority: Priority::High
            })
        );
        let mut no_issue = answer();
        no_issue["open_issue"] = json!(false);
        no_issue["issue_kind"] = json!(null);
        no_issue["issue_priority"] = json!(null);
        no_issue["business"] = json!(null);
        let t = Triage::from_answer(&no_issue, &businesses()).unwrap();
        assert_eq!((t.open_issue, t.business_id), (None, None));
    }

    #[test]
    fn anything_off_schema_is_refused() {
        let cases: Vec<(&str, serde_json::Value)> = vec![
            ("category", json!("urgent-ish")),
            ("urgency", json!(3)),
            ("sentiment", json!(null)),
            ("summary", json!("")),
            ("summary", json!("x".repeat(201))),
            ("business", json!("Somebody Else's Pub")),
            ("open_issue", json!("yes")),
            ("issue_kind", json!("lawsuit")),
            ("issue_priority", json!(null)),
        ];
        for (field, value) in cases {
            let mut a = answer();
            a[field] = value.clone();
            assert!(
                Triage::from_answer(&a, &businesses()).is_err(),
                "{field} = {value}"
            );
        }
        // The reason names the field only: a model's answer may carry a message's words.
        for field in ["category", "business", "issue_kind"] {
            let mut a = answer();
            a[field] = json!("CANARY from the customer's message");
            let why = Triage::from_answer(&a, &businesses()).unwrap_err();
            assert!(!why.contains("CANARY"), "{why}");
        }
        let mut extra = answer();
        extra["reveal"] = json!("the other threads");
        assert!(Triage::from_answer(&extra, &businesses()).is_err());
        let mut missing = answer();
        missing.as_object_mut().unwrap().remove("sentiment");
        assert!(Triage::from_answer(&missing, &businesses()).is_err());
        assert!(Triage::from_answer(&json!("complaint"), &businesses()).is_err());
    }

    #[test]
    fn a_draft_is_only_its_body() {
        assert_eq!(
            draft_from_answer(&json!({"body": " Hello Sam,\r\nThanks. "})).unwrap(),
            "Hello Sam,\nThanks."
        );
        assert!(draft_from_answer(&json!({"body": ""})).is_err());
        assert!(draft_from_answer(&json!({"body": "Hi", "send": true})).is_err());
        assert!(draft_from_answer(&json!({"text": "Hi"})).is_err());
        assert!(draft_from_answer(&json!({"body": "x".repeat(5001)})).is_err());
    }

    #[test]
    fn busy_or_down_is_not_charged() {
        assert!(Outcome::Ok.is_charged());
        assert!(Outcome::Invalid.is_charged());
        assert!(!Outcome::Overloaded.is_charged());
        assert!(!Outcome::RateLimited.is_charged());
    }
}
