//! Anthropic's Messages API: one `POST /v1/messages` per call, with the `x-api-key` and
//! `anthropic-version` headers and a body built by [`super::prompt`] (sent exactly as built, so
//! the record's hash is of what left). The answer is taken from the one tool the request forces;
//! every failure is sorted into what the calling job does next.

use std::time::{Duration, Instant};

use app::work::ai::Outcome;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::jobs::JobError;

/// The API version our requests are written for.
pub const API_VERSION: &str = "2023-06-01";

#[derive(Clone, Debug)]
pub struct AnthropicConfig {
    pub api_key: SecretString,
    /// `https://api.anthropic.com` (tests point it at the stand-in).
    pub base_url: Url,
    /// A small, fast model for triage.
    pub triage_model: String,
    /// A stronger model for drafts.
    pub draft_model: String,
    /// A call not answered in this time counts as the service being unavailable.
    pub timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// 429: over the account's rate limit for now.
    #[error("Anthropic rate limit reached")]
    RateLimited { retry_after: Option<Duration> },
    /// 529: the service is overloaded.
    #[error("Anthropic is overloaded")]
    Overloaded { retry_after: Option<Duration> },
    /// No answer in time, no connection, or the service's own failure (5xx).
    #[error("Anthropic unavailable: {0}")]
    Unavailable(String),
    /// 401 or 403: the key is wrong or lacks permission; an operator must act.
    #[error("Anthropic refused the API key")]
    Key,
    /// Any other refusal (400, 404, 413), with the error's type and message.
    #[error("Anthropic refused the request: {kind}: {message}")]
    Refused { kind: String, message: String },
    /// An answer without the tool call the request forced, or cut short.
    #[error("Anthropic's answer was not usable: {0}")]
    Unusable(String),
}

impl AiError {
    /// How the record shows the call's end.
    pub fn outcome(&self) -> Outcome {
        match self {
            AiError::RateLimited { .. } => Outcome::RateLimited,
            AiError::Overloaded { .. } => Outcome::Overloaded,
            AiError::Unavailable(_) => Outcome::Unavailable,
            AiError::Key | AiError::Refused { .. } => Outcome::Refused,
            AiError::Unusable(_) => Outcome::Invalid,
        }
    }
}

impl From<AiError> for JobError {
    fn from(e: AiError) -> Self {
        match e {
            AiError::RateLimited { retry_after } | AiError::Overloaded { retry_after } => {
                JobError::retry_after(&e, retry_after)
            }
            // Until an operator fixes the key: later attempts may succeed.
            AiError::Unavailable(_) | AiError::Key => JobError::retry(&e),
            AiError::Refused { .. } | AiError::Unusable(_) => JobError::fatal(&e),
        }
    }
}

/// What a call produced: the forced tool's input, and what it cost.
#[derive(Clone, Debug)]
pub struct Answer {
    pub input: Value,
    pub usage: Usage,
    pub latency: Duration,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Vec<Block>,
    stop_reason: Option<String>,
    #[serde(default)]
    usage: Usage,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    input: Value,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    message: String,
}

/// A failed call: why, and what it cost when the service says.
#[derive(Debug)]
pub struct Failed {
    pub error: AiError,
    pub usage: Usage,
    pub latency: Duration,
}

pub struct Anthropic {
    http: reqwest::Client,
    config: AnthropicConfig,
}

impl Anthropic {
    pub fn new(config: AnthropicConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .expect("an HTTP client with the process's TLS provider");
        Self { http, config }
    }

    pub fn config(&self) -> &AnthropicConfig {
        &self.config
    }

    /// Sends `body` (a Messages API request forcing the tool `tool`) and returns that tool's
    /// input.
    pub async fn call(&self, body: Vec<u8>, tool: &str) -> Result<Answer, Failed> {
        let started = Instant::now();
        let failed = |error, usage| Failed {
            error,
            usage,
            latency: started.elapsed(),
        };
        let url = self
            .config
            .base_url
            .join("v1/messages")
            .expect("a valid base URL");
        let response = self
            .http
            .post(url)
            .header("x-api-key", self.config.api_key.expose_secret())
            .header("anthropic-version", API_VERSION)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            // Without the URL: error strings carry the cause only.
            .map_err(|e| {
                failed(
                    AiError::Unavailable(e.without_url().to_string()),
                    Usage::default(),
                )
            })?;
        let status = response.status();
        let retry_after = crate::email::retry_after(response.headers());
        let text = response.text().await.map_err(|e| {
            failed(
                AiError::Unavailable(e.without_url().to_string()),
                Usage::default(),
            )
        })?;
        if !status.is_success() {
            let error = serde_json::from_str::<ErrorAnswer>(&text).map(|a| a.error);
            let error = match (status.as_u16(), error) {
                (429, _) => AiError::RateLimited { retry_after },
                (529, _) => AiError::Overloaded { retry_after },
                (401 | 403, _) => AiError::Key,
                (500..=599, _) => AiError::Unavailable(format!("status {status}")),
                (_, Ok(e)) => AiError::Refused {
                    kind: e.kind,
                    message: e.message.chars().take(300).collect(),
                },
                (_, Err(_)) => AiError::Refused {
                    kind: format!("status {status}"),
                    message: String::new(),
                },
            };
            return Err(failed(error, Usage::default()));
        }
        let message: Message = serde_json::from_str(&text).map_err(|e| {
            failed(
                AiError::Unusable(format!("not a message: {e}")),
                Usage::default(),
            )
        })?;
        let usage = message.usage;
        if message.stop_reason.as_deref() == Some("max_tokens") {
            return Err(failed(AiError::Unusable("cut short".into()), usage));
        }
        let input = message
            .content
            .into_iter()
            .find(|b| b.kind == "tool_use" && b.name == tool)
            .map(|b| b.input)
            .ok_or_else(|| failed(AiError::Unusable(format!("no {tool} call")), usage))?;
        Ok(Answer {
            input,
            usage,
            latency: started.elapsed(),
        })
    }
}
