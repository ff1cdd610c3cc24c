//! Stripe's API, as billing uses it. Requests are async-stripe's typed ones (so their paths,
//! form encoding and `expand[]` are Stripe's own), sent by our reqwest client with the secret key
//! as a bearer token, the API version the types are written for, and, on every create call, an
//! `Idempotency-Key` the caller chooses, so a retried job never makes a second session.
//!
//! Answers are read into the few fields billing uses ([`super::objects`]): a field Stripe adds,
//! renames or drops elsewhere in an object cannot break billing. Stripe's errors
//! (`{"error": {"type", "code", "message"}}`) are sorted into what the calling job does next.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::{de::DeserializeOwned, Deserialize};
use stripe_client_core::{RequestBuilder, StripeMethod, StripeRequest};
use url::Url;

use crate::jobs::JobError;

#[derive(Clone, Debug)]
pub struct StripeConfig {
    pub secret_key: SecretString,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: SecretString,
    /// `https://api.stripe.com` (tests and development point it at the stand-in).
    pub base_url: Url,
    /// The Price IDs of the paid plans.
    pub team_price: String,
    pub business_price: String,
    /// A call not answered in this time counts as Stripe being unavailable.
    pub timeout: Duration,
}

impl StripeConfig {
    pub fn price_of(&self, plan: app::plans::PlanId) -> Option<&str> {
        match plan {
            app::plans::PlanId::Team => Some(&self.team_price),
            app::plans::PlanId::Business => Some(&self.business_price),
            app::plans::PlanId::Free => None,
        }
    }

    pub fn plan_of(&self, price: &str) -> Option<app::plans::PlanId> {
        [app::plans::PlanId::Team, app::plans::PlanId::Business]
            .into_iter()
            .find(|p| self.price_of(*p) == Some(price))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// No answer in time, no connection, rate limited, a conflict on the idempotency key
    /// in use, or Stripe's own failure: worth another attempt.
    #[error("Stripe unavailable: {0}")]
    Unavailable(String),
    /// 401 or 403: the key is wrong or lacks permission; an operator must act.
    #[error("Stripe refused the API key")]
    Key,
    /// 404: no such object.
    #[error("Stripe has no such object: {0}")]
    Missing(String),
    /// Any other refusal, with Stripe's error type, code and message.
    #[error("Stripe refused the request: {kind}: {code}: {message}")]
    Refused {
        kind: String,
        code: String,
        message: String,
    },
    /// An answer that is not the object asked for.
    #[error("Stripe's answer was not usable: {0}")]
    Unusable(String),
}

impl From<StripeError> for JobError {
    fn from(e: StripeError) -> Self {
        match e {
            // Until an operator fixes the key: later attempts may succeed.
            StripeError::Unavailable(_) | StripeError::Key => JobError::retry(&e),
            StripeError::Missing(_) | StripeError::Refused { .. } | StripeError::Unusable(_) => {
                JobError::fatal(&e)
            }
        }
    }
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
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Clone)]
pub struct Stripe {
    http: reqwest::Client,
    config: StripeConfig,
}

impl Stripe {
    pub fn new(config: StripeConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .expect("an HTTP client with the process's TLS provider");
        Self { http, config }
    }

    pub fn config(&self) -> &StripeConfig {
        &self.config
    }

    /// Sends `request` and reads the answer as `T`. A create call (a POST) must name its
    /// idempotency key.
    pub async fn send<T: DeserializeOwned>(
        &self,
        request: &impl StripeRequest,
        idempotency_key: Option<&str>,
    ) -> Result<T, StripeError> {
        self.execute(request.build(), idempotency_key).await
    }

    async fn execute<T: DeserializeOwned>(
        &self,
        request: RequestBuilder,
        idempotency_key: Option<&str>,
    ) -> Result<T, StripeError> {
        let mut url = self
            .config
            .base_url
            .join(&format!("v1{}", request.path))
            .map_err(|_| {
                StripeError::Unusable(format!("a path Stripe has not: {}", request.path))
            })?;
        if let Some(query) = &request.query {
            url.set_query(Some(query));
        }
        let method = match request.method {
            StripeMethod::Get => reqwest::Method::GET,
            StripeMethod::Post => reqwest::Method::POST,
            StripeMethod::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self
            .http
            .request(method.clone(), url)
            .bearer_auth(self.config.secret_key.expose_secret())
            .header("Stripe-Version", stripe_shared::version::VERSION.as_str());
        if method == reqwest::Method::POST {
            let key = idempotency_key.ok_or_else(|| {
                StripeError::Unusable("a create call without an idempotency key".into())
            })?;
            builder = builder
                .header("Idempotency-Key", key)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(request.body.unwrap_or_default());
        }
        // Without the URL: error strings carry the cause only.
        let response = builder
            .send()
            .await
            .map_err(|e| StripeError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| StripeError::Unavailable(e.without_url().to_string()))?;
        if !status.is_success() {
            let error = serde_json::from_str::<ErrorAnswer>(&text).map(|a| a.error);
            return Err(match (status.as_u16(), error) {
                (401 | 403, _) => StripeError::Key,
                (404, Ok(e)) => StripeError::Missing(e.message.chars().take(300).collect()),
                (404, Err(_)) => StripeError::Missing("not found".into()),
                // 409: the idempotency key is in use by a request still running.
                (409 | 429 | 500..=599, _) => StripeError::Unavailable(format!("status {status}")),
                (_, Ok(e)) => StripeError::Refused {
                    kind: e.kind,
                    code: e.code,
                    message: e.message.chars().take(300).collect(),
                },
                (_, Err(_)) => {
                    StripeError::Unusable(format!("status {status} without Stripe's error"))
                }
            });
        }
        serde_json::from_str(&text).map_err(|e| StripeError::Unusable(e.to_string()))
    }
}
