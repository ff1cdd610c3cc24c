//! A stand-in for SendGrid's v3 Mail Send API on a local port: it checks each request as
//! SendGrid would, can be told to fail, and keeps what it accepted.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
    Json, Router,
};
use serde_json::{json, Value};

pub const API_KEY: &str = "test-sendgrid-key";

#[derive(Clone, Default)]
pub struct FakeSendGrid {
    pub accepted: Arc<Mutex<Vec<Value>>>,
    /// Requests answered with 503 before it starts accepting.
    pub outage: Arc<AtomicUsize>,
    pub requests: Arc<AtomicUsize>,
}

fn problems(headers: &HeaderMap, body: &Value) -> Vec<&'static str> {
    let mut p = Vec::new();
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {API_KEY}"))
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
    if !body["personalizations"][0]["to"][0]["email"]
        .as_str()
        .is_some_and(|e| e.contains('@'))
    {
        p.push("personalizations[0].to[0].email");
    }
    if !body["from"]["email"]
        .as_str()
        .is_some_and(|e| e.contains('@'))
    {
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
    if types != ["text/plain", "text/html"] {
        p.push("content: text/plain then text/html");
    }
    p
}

async fn mail_send(
    State(fake): State<FakeSendGrid>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    fake.requests.fetch_add(1, Ordering::SeqCst);
    let problems = problems(&headers, &body);
    if !problems.is_empty() {
        let errors: Vec<_> = problems
            .iter()
            .map(|f| json!({ "message": "invalid", "field": f }))
            .collect();
        return (StatusCode::BAD_REQUEST, Json(json!({ "errors": errors }))).into_response();
    }
    if fake.outage.load(Ordering::SeqCst) > 0 {
        fake.outage.fetch_sub(1, Ordering::SeqCst);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "errors": [{ "message": "service unavailable" }] })),
        )
            .into_response();
    }
    let mut accepted = fake.accepted.lock().unwrap();
    accepted.push(body);
    // SendGrid answers 202 Accepted with an empty body, and its id for the email in a header.
    let id = format!("fake-message-{}", accepted.len());
    (StatusCode::ACCEPTED, [("x-message-id", id)]).into_response()
}

impl FakeSendGrid {
    pub async fn start(outage: usize) -> (Self, SocketAddr) {
        let fake = FakeSendGrid {
            outage: Arc::new(AtomicUsize::new(outage)),
            ..Default::default()
        };
        let app = Router::new()
            .route("/v3/mail/send", post(mail_send))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (fake, addr)
    }
}
