//! Measuring triage: the evaluation set (`server/ai-eval/triage.json`, thirty customer messages
//! with the category and urgency a person gave them) triaged through the configured endpoint,
//! and how often the model agrees. `server ai eval [FILE]` prints it; against the stand-in it runs
//! in the tests, against the real API when an operator has a key. Nothing is stored.

use std::fmt;

use app::work::ai::Triage;
use serde::Deserialize;

use super::{
    client::Anthropic,
    prompt::{self, ThreadText},
};

/// The set, built into the binary so the command runs anywhere.
pub const SET: &str = include_str!("../../ai-eval/triage.json");

#[derive(Clone, Debug, Deserialize)]
pub struct Case {
    pub id: String,
    pub from_name: String,
    pub subject: String,
    pub body: String,
    pub expected_category: String,
    pub expected_urgency: String,
}

/// The businesses the set's messages are written to.
const BUSINESSES: [&str; 5] = [
    "Harbour Café",
    "Minster Bakery",
    "The Copper Kettle",
    "Dales Dairy Supplies",
    "Bean There Roasters",
];

pub fn parse(json: &str) -> Result<Vec<Case>, String> {
    serde_json::from_str(json).map_err(|e| format!("the evaluation set does not parse: {e}"))
}

/// One case's result.
#[derive(Clone, Debug)]
pub struct Judged {
    pub id: String,
    pub expected: (String, String),
    /// The model's category and urgency, or why there is none.
    pub got: Result<(String, String), String>,
}

#[derive(Clone, Debug, Default)]
pub struct Report {
    pub judged: Vec<Judged>,
}

impl Report {
    pub fn categories_agreed(&self) -> usize {
        self.agreed(|e, g| e.0 == g.0)
    }

    pub fn urgencies_agreed(&self) -> usize {
        self.agreed(|e, g| e.1 == g.1)
    }

    pub fn unusable(&self) -> usize {
        self.judged.iter().filter(|j| j.got.is_err()).count()
    }

    fn agreed(&self, same: impl Fn(&(String, String), &(String, String)) -> bool) -> usize {
        self.judged
            .iter()
            .filter(|j| j.got.as_ref().is_ok_and(|g| same(&j.expected, g)))
            .count()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for j in &self.judged {
            match &j.got {
                Ok((c, u)) => {
                    let mark = |ok: bool| if ok { "=" } else { "≠" };
                    writeln!(
                        f,
                        "{:<5} category {} {mark_c} {}   urgency {} {mark_u} {}",
                        j.id,
                        j.expected.0,
                        c,
                        j.expected.1,
                        u,
                        mark_c = mark(&j.expected.0 == c),
                        mark_u = mark(&j.expected.1 == u)
                    )?;
                }
                Err(why) => writeln!(f, "{:<5} no usable answer: {why}", j.id)?,
            }
        }
        let n = self.judged.len().max(1);
        let pct = |k: usize| 100.0 * k as f64 / n as f64;
        writeln!(
            f,
            "agreement over {} messages: category {}/{} ({:.0}%), urgency {}/{} ({:.0}%), unusable answers {}",
            self.judged.len(),
            self.categories_agreed(),
            self.judged.len(),
            pct(self.categories_agreed()),
            self.urgencies_agreed(),
            self.judged.len(),
            pct(self.urgencies_agreed()),
            self.unusable()
        )
    }
}

/// Triage of every case, one after another (an operator's key has rate limits).
pub async fn run(ai: &Anthropic, cases: &[Case]) -> Report {
    let names: Vec<String> = BUSINESSES.iter().map(|b| b.to_string()).collect();
    let businesses: Vec<(String, String)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (i.to_string(), n.clone()))
        .collect();
    let model = ai.config().triage_model.clone();
    let mut report = Report::default();
    for case in cases {
        let text = ThreadText::new(&case.subject, &case.from_name, &[(true, case.body.clone())]);
        let body = prompt::triage_body(&model, &text, &names);
        let got = match ai.call(body, prompt::TRIAGE_TOOL).await {
            Ok(answer) => Triage::from_answer(&answer.input, &businesses).map(|t| {
                (
                    t.category.as_str().to_string(),
                    t.urgency.as_str().to_string(),
                )
            }),
            Err(failed) => Err(failed.error.to_string()),
        };
        report.judged.push(Judged {
            id: case.id.clone(),
            expected: (
                case.expected_category.clone(),
                case.expected_urgency.clone(),
            ),
            got,
        });
    }
    report
}
