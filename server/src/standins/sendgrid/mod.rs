//! SendGrid's v3 Mail Send API (`POST /v3/mail/send`): it checks the bearer key and the body
//! (a recipient, a sender, a subject, plain-text content optionally followed by HTML, an
//! optional `reply_to`, and custom `headers` that are strings and none of those SendGrid
//! reserves), answers 400 with SendGrid's `{"errors": [{"message", "field"}]}` for a malformed
//! request, 503 during an outage it was told to have, and otherwise 202 Accepted with an empty
//! body and the email's id in `X-Message-Id`.
//!
//! Inbound Parse is SendGrid's too ([`inbound`]): `POST /standin/inbound` takes an email as JSON
//! ([`inbound::Mail`], `?raw=1` for the raw mode) and posts it, signed, to the webhook the
//! stand-in was given; `GET /standin/sent` lists what Mail Send accepted.

pub mod inbound;

use std::{
    io::Write,
    net::SocketAddr,
    path::PathBuf,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    extract::Query,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Value};

/// How the stand-in behaves.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The API key requests must carry.
    pub key: String,
    /// Requests answered 503 before it starts accepting.
    pub outage: usize,
    /// How long each answer takes, as a remote API's does.
    pub delay: Duration,
    /// A file to append one JSON line to per request: `{"id", "to", "subject", "at"}` for an
    /// accepted email, `{"refused": [fields], "at"}` for a malformed one.
    pub record: Option<PathBuf>,
    /// Where `POST /standin/inbound` delivers, and the key it signs with.
    pub inbound: Option<(String, inbound::Signer)>,
}

/// A running stand-in: what it has accepted, and how many requests it has seen.
#[derive(Clone, Default)]
pub struct SendGrid {
    pub accepted: Arc<Mutex<Vec<Value>>>,
    pub requests: Arc<AtomicUsize>,
    outage: Arc<AtomicUsize>,
    options: Arc<Options>,
}

impl SendGrid {
    /// Starts on `addr` (port 0 for any free port); the address it listens on.
    pub async fn start(options: Options, addr: SocketAddr) -> std::io::Result<(Self, SocketAddr)> {
        let standin = SendGrid {
            outage: Arc::new(AtomicUsize::new(options.outage)),
            options: Arc::new(options),
            ..Default::default()
        };
        let routes = Router::new()
            .route("/v3/mail/send", post(mail_send))
            .route("/standin/inbound", post(deliver_inbound))
            .route("/standin/sent", get(sent))
            .with_state(standin.clone());
        Ok((standin, super::listen(routes, addr).await?))
    }

    fn record(&self, entry: Value) {
        let Some(path) = &self.options.record else {
            return;
        };
        let line = format!("{entry}\n");
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

fn problems(key: &str, headers: &HeaderMap, body: &Value) -> Vec<&'static str> {
    let mut p = Vec::new();
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {key}"))
    {
        p.push("authorization");
    }
    if !headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"))
    {
        p.push("content-type");
    }
    let is_address = |v: &Value| v.as_str().is_some_and(|e| e.contains('@'));
    if !is_address(&body["personalizations"][0]["to"][0]["email"]) {
        p.push("personalizations[0].to[0].email");
    }
    if !is_address(&body["from"]["email"]) {
        p.push("from.email");
    }
    if body["subject"].as_str().is_none_or(str::is_empty) {
        p.push("subject");
    }
    let types: Vec<_> = body["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["type"].as_str())
        .collect();
    if types != ["text/plain", "text/html"] && types != ["text/plain"] {
        p.push("content: text/plain, then text/html if any");
    }
    if !body["reply_to"].is_null() && !is_address(&body["reply_to"]["email"]) {
        p.push("reply_to.email");
    }
    match &body["headers"] {
        Value::Null => {}
        Value::Object(headers) => {
            if headers.iter().any(|(name, value)| {
                !value.is_string() || RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str())
            }) {
                p.push("headers");
            }
        }
        _ => p.push("headers"),
    }
    p
}

/// Headers SendGrid sets itself and refuses in `headers`.
const RESERVED_HEADERS: [&str; 12] = [
    "x-sg-id",
    "x-sg-eid",
    "received",
    "dkim-signature",
    "content-type",
    "content-transfer-encoding",
    "to",
    "from",
    "subject",
    "reply-to",
    "cc",
    "bcc",
];

#[derive(serde::Deserialize)]
struct InboundMode {
    #[serde(default)]
    raw: Option<String>,
}

async fn deliver_inbound(
    State(standin): State<SendGrid>,
    Query(mode): Query<InboundMode>,
    Json(mail): Json<inbound::Mail>,
) -> Response {
    let Some((url, signer)) = &standin.options.inbound else {
        return (StatusCode::NOT_FOUND, "no webhook to deliver to").into_response();
    };
    let payload = if mode.raw.is_some_and(|r| r == "1") {
        mail.raw_payload()
    } else {
        mail.parsed_payload()
    };
    match payload
        .post(&reqwest::Client::new(), url, Some(signer))
        .await
    {
        Ok(status) => Json(json!({ "status": status })).into_response(),
        Err(e) => (StatusCode::BAD_GATEWAY, e.without_url().to_string()).into_response(),
    }
}

async fn sent(State(standin): State<SendGrid>) -> Json<Value> {
    Json(Value::Array(
        standin.accepted.lock().expect("not poisoned").clone(),
    ))
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

async fn mail_send(State(standin): State<SendGrid>, headers: HeaderMap, body: String) -> Response {
    standin.requests.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(standin.options.delay).await;
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let problems = if body.is_object() {
        problems(&standin.options.key, &headers, &body)
    } else {
        vec!["body is not JSON"]
    };
    if !problems.is_empty() {
        standin.record(json!({ "refused": problems, "at": now() }));
        let errors: Vec<_> = problems
            .iter()
            .map(|f| json!({ "message": "invalid", "field": f }))
            .collect();
        return (StatusCode::BAD_REQUEST, Json(json!({ "errors": errors }))).into_response();
    }
    let down = standin
        .outage
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if down {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "errors": [{ "message": "service unavailable" }] })),
        )
            .into_response();
    }
    let id = {
        let mut accepted = standin.accepted.lock().expect("not poisoned");
        accepted.push(body.clone());
        format!("standin-message-{}", accepted.len())
    };
    standin.record(json!({
        "id": id,
        "to": body["personalizations"][0]["to"][0]["email"],
        "subject": body["subject"],
        "reply_to": body["reply_to"]["email"],
        "headers": body["headers"],
        "at": now(),
    }));
    (StatusCode::ACCEPTED, [("x-message-id", id)]).into_response()
}
