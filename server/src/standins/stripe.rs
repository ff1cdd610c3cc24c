//! Stripe, for the endpoints billing uses, with its hosted pages and its webhooks.
//!
//! The API (`/v1/…`) checks what Stripe checks: the secret key as a bearer token (401 otherwise),
//! form-encoded bodies with bracketed keys (`line_items[0][price]`, `expand[]`), required and
//! known parameters (400 `invalid_request_error` naming the `param`), and `Idempotency-Key`: the
//! same key with the same body replays the first answer (`Idempotent-Replayed: true`), with
//! another body it is refused (400 `idempotency_error`). Objects are JSON with `object` and `id`
//! as Stripe shapes them (API version 2025-03-31 and later: the period is the subscription
//! item's, the invoice names its subscription under `parent`), and `expand[]` expands the
//! default payment method of a subscription or customer.
//!
//! Its hosted pages stand in for Stripe's: Checkout (`/c/pay/{session}`: a card form; the card
//! 4000 0000 0000 0002 is declined, as Stripe's test card is), the customer portal
//! (`/p/session/{session}`: change the plan, the card, or cancel at the period's end) and an
//! invoice page. What they do is sent to the webhook endpoint as Stripe's events, signed with
//! Stripe's scheme (`Stripe-Signature: t=…,v1=…`, one `v1` per signing secret), in order, each
//! retried a few times while the endpoint does not answer 2xx.
//!
//! For tests, `/standin/…` can fail a payment (the subscription goes `past_due`), make the
//! payment owed, end a subscription, hold events back and deliver any one again or out of order,
//! list the events and requests, and fail the next API call.
//!
//! The card number typed into Checkout is used for its brand and last four digits and then
//! dropped, as Stripe keeps it from its customers' servers.

// A refusal here is the HTTP answer itself, made once per request: its size does not matter.
#![allow(clippy::result_large_err)]

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{Html, IntoResponse, Redirect, Response},
    routing::{get, post},
    Form, Json, Router,
};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

/// The API version the objects are shaped for.
pub const API_VERSION: &str = "2025-09-30.clover";

/// A plan's price, as the stand-in's catalogue has it.
#[derive(Clone, Debug)]
pub struct Price {
    pub id: String,
    pub name: String,
    /// In pence.
    pub amount: i64,
}

/// The stand-in's catalogue's Price IDs for the paid plans.
pub const TEAM_PRICE: &str = "price_standinTeamMonthly";
pub const BUSINESS_PRICE: &str = "price_standinBusinessMonthly";

/// The paid plans at the prices the pricing page shows.
pub fn development_prices() -> Vec<Price> {
    use app::plans::{plan, PlanId};
    [
        (PlanId::Team, TEAM_PRICE),
        (PlanId::Business, BUSINESS_PRICE),
    ]
    .into_iter()
    .map(|(p, id)| Price {
        id: id.into(),
        name: plan(p).name.into(),
        amount: i64::from(plan(p).monthly_pence),
    })
    .collect()
}

#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The secret key requests must carry as a bearer token.
    pub key: String,
    /// Where events go, and the signing secrets each is signed with (two while rolling).
    pub webhook: Option<(String, Vec<String>)>,
    pub prices: Vec<Price>,
    /// How long each API answer takes.
    pub delay: Duration,
}

/// One API request as it arrived.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    /// The form body's fields, in order.
    pub form: Vec<(String, String)>,
    pub status: u16,
}

/// An event sent (or held), and what the endpoint answered each time.
#[derive(Clone, Debug)]
pub struct Sent {
    pub event: Value,
    pub answers: Vec<u16>,
    /// Whether it was sent by itself (not made while events were held).
    pub sent_by_itself: bool,
}

#[derive(Default)]
struct Books {
    /// Where events go, and the secrets they are signed with.
    webhook: Option<(String, Vec<String>)>,
    next: u64,
    customers: HashMap<String, Value>,
    payment_methods: HashMap<String, Value>,
    subscriptions: HashMap<String, Value>,
    invoices: HashMap<String, Value>,
    checkout_sessions: HashMap<String, Value>,
    portal_sessions: HashMap<String, Value>,
    /// Idempotency key → (body, status, answer).
    idempotency: HashMap<String, (String, u16, Value)>,
    events: Vec<Sent>,
    held: bool,
    faults: Vec<StatusCode>,
    requests: Vec<Recorded>,
}

impl Books {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}_standin{:010}{}", self.next, random_tail())
    }
}

fn random_tail() -> String {
    let n: u64 = rand::random();
    format!("{n:x}")
}

#[derive(Clone)]
pub struct Stripe {
    books: Arc<Mutex<Books>>,
    options: Arc<Options>,
    base: Arc<str>,
    http: reqwest::Client,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl Stripe {
    /// Starts on `addr` (port 0 for any free port); the address it listens on.
    pub async fn start(options: Options, addr: SocketAddr) -> std::io::Result<(Self, SocketAddr)> {
        // Its webhook client needs the process's TLS provider chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let books = Books {
            webhook: options.webhook.clone(),
            ..Books::default()
        };
        let standin = Stripe {
            books: Arc::new(Mutex::new(books)),
            options: Arc::new(options),
            base: format!("http://{addr}").into(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("an HTTP client"),
        };
        let routes = Router::new()
            .route("/v1/checkout/sessions", post(create_checkout))
            .route("/v1/checkout/sessions/{id}", get(retrieve_checkout))
            .route("/v1/billing_portal/sessions", post(create_portal))
            .route(
                "/v1/subscriptions/{id}",
                get(retrieve_subscription).delete(cancel_subscription),
            )
            .route("/v1/customers/{id}", get(retrieve_customer))
            .route("/v1/invoices/{id}", get(retrieve_invoice))
            .route("/c/pay/{id}", get(checkout_page).post(pay))
            .route("/p/session/{id}", get(portal_page).post(portal_action))
            .route("/i/{id}", get(invoice_page))
            .route("/standin/fail-payment", post(fail_payment))
            .route("/standin/pay", post(pay_owed))
            .route("/standin/end", post(end_subscription))
            .route("/standin/hold", post(hold))
            .route("/standin/deliver", post(deliver_again))
            .route("/standin/events", get(list_events))
            .route("/standin/requests", get(list_requests))
            .route("/standin/faults", post(faults))
            .with_state(standin.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, routes).await;
        });
        Ok((standin, addr))
    }

    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().expect("not poisoned")
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Sends events to `url`, signed with each of `secrets`.
    pub fn set_webhook(&self, url: String, secrets: Vec<String>) {
        self.books().webhook = Some((url, secrets));
    }

    /// Every API request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.books().requests.clone()
    }

    /// Every event so far, in the order made.
    pub fn events(&self) -> Vec<Sent> {
        self.books().events.clone()
    }

    /// While held, events are made and kept, not sent; [`Stripe::deliver`] sends any of them.
    pub fn hold(&self, held: bool) {
        self.books().held = held;
    }

    /// The next API calls fail with these statuses, one each.
    pub fn fail_next(&self, statuses: impl IntoIterator<Item = StatusCode>) {
        self.books().faults.extend(statuses);
    }

    /// A subscription as Stripe would return it.
    pub fn subscription(&self, id: &str) -> Option<Value> {
        self.books().subscriptions.get(id).cloned()
    }

    /// Sends the event `id` (again) to the webhook, signed with `secrets` (the configured ones
    /// when `None`) at `timestamp` (now when `None`); the endpoint's status.
    pub async fn deliver(
        &self,
        id: &str,
        secrets: Option<Vec<String>>,
        timestamp: Option<i64>,
    ) -> Option<u16> {
        let event = self
            .books()
            .events
            .iter()
            .find(|s| s.event["id"] == id)
            .map(|s| s.event.clone())?;
        let (url, configured) = self.books().webhook.clone()?;
        let status = self
            .post_event(
                &url,
                &event,
                &secrets.unwrap_or(configured),
                timestamp.unwrap_or_else(now),
            )
            .await;
        if let Some(sent) = self.books().events.iter_mut().find(|s| s.event["id"] == id) {
            sent.answers.push(status);
        }
        Some(status)
    }

    async fn post_event(&self, url: &str, event: &Value, secrets: &[String], t: i64) -> u16 {
        let body = serde_json::to_vec_pretty(event).expect("JSON");
        let mut signature = format!("t={t}");
        for secret in secrets {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
            mac.update(format!("{t}.").as_bytes());
            mac.update(&body);
            signature.push_str(&format!(",v1={}", hex::encode(mac.finalize().into_bytes())));
        }
        match self
            .http
            .post(url)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("Stripe-Signature", signature)
            .header(
                "User-Agent",
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            )
            .body(body)
            .send()
            .await
        {
            Ok(r) => r.status().as_u16(),
            Err(_) => 0,
        }
    }

    /// Makes an event about `object` and, unless events are held, sends it after those before it.
    fn emit(&self, books: &mut Books, kind: &str, object: Value, previous: Option<Value>) {
        let id = books.id("evt");
        let mut data = json!({ "object": object });
        if let Some(p) = previous {
            data["previous_attributes"] = p;
        }
        let event = json!({
            "id": id,
            "object": "event",
            "api_version": API_VERSION,
            "created": now(),
            "data": data,
            "livemode": false,
            "pending_webhooks": 1,
            "request": { "id": null, "idempotency_key": null },
            "type": kind,
        });
        books.events.push(Sent {
            event,
            answers: Vec::new(),
            sent_by_itself: !books.held,
        });
        if books.held {
            return;
        }
        let this = self.clone();
        let order = books.events.len();
        tokio::spawn(async move { this.send_in_order(order, id).await });
    }

    /// Sends event `id` once every event made before it has had its first answer, trying a
    /// few times while the endpoint does not answer 2xx.
    async fn send_in_order(&self, order: usize, id: String) {
        for _ in 0..500 {
            let ready = self.books().events[..order - 1]
                .iter()
                .all(|s| !s.answers.is_empty() || !s.sent_by_itself);
            if ready {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for attempt in 0..5u32 {
            if let Some(status) = self.deliver(&id, None, None).await {
                if (200..300).contains(&status) {
                    return;
                }
            } else {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
        }
    }
}

/// Stripe's error shape.
fn error(status: StatusCode, kind: &str, message: &str, param: Option<&str>) -> Response {
    let mut e = json!({ "type": kind, "message": message });
    if let Some(p) = param {
        e["param"] = json!(p);
    }
    if kind == "invalid_request_error" && status == StatusCode::NOT_FOUND {
        e["code"] = json!("resource_missing");
    }
    (status, Json(json!({ "error": e }))).into_response()
}

fn missing(what: &str, id: &str, param: Option<&str>) -> Response {
    error(
        if param.is_some() {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::NOT_FOUND
        },
        "invalid_request_error",
        &format!("No such {what}: '{id}'"),
        param,
    )
}

type Fields = Vec<(String, String)>;

fn field<'a>(form: &'a Fields, key: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// What every API request goes through: the key, a queued fault, the record, the delay.
async fn admit(
    standin: &Stripe,
    method: &str,
    path: &str,
    headers: &HeaderMap,
    body: &str,
) -> Result<Fields, Response> {
    let form: Fields = url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let idempotency_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (refused, fault) = {
        let mut books = standin.books();
        let refused = key != Some(standin.options.key.as_str());
        let fault = if refused || books.faults.is_empty() {
            None
        } else {
            Some(books.faults.remove(0))
        };
        let status = match (refused, fault) {
            (true, _) => 401,
            (_, Some(s)) => s.as_u16(),
            _ => 200,
        };
        books.requests.push(Recorded {
            method: method.into(),
            path: path.into(),
            idempotency_key,
            form: form.clone(),
            status,
        });
        (refused, fault)
    };
    tokio::time::sleep(standin.options.delay).await;
    if refused {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            "Invalid API Key provided",
            None,
        ));
    }
    if let Some(status) = fault {
        let kind = if status == StatusCode::TOO_MANY_REQUESTS {
            "rate_limit_error"
        } else {
            "api_error"
        };
        return Err(error(
            status,
            kind,
            "The stand-in was told to fail this request.",
            None,
        ));
    }
    if method == "POST"
        && !headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "Invalid request: the body must be form-encoded.",
            None,
        ));
    }
    Ok(form)
}

/// Answers a create call, replaying the first answer to a repeated idempotency key.
fn idempotent(
    standin: &Stripe,
    headers: &HeaderMap,
    body: &str,
    make: impl FnOnce(&mut Books) -> Result<Value, Response>,
) -> Response {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut books = standin.books();
    if let Some(key) = &key {
        if let Some((first, status, answer)) = books.idempotency.get(key).cloned() {
            if first != body {
                return error(
                    StatusCode::BAD_REQUEST,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                    None,
                );
            }
            let mut r = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                Json(answer),
            )
                .into_response();
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return r;
        }
    }
    match make(&mut books) {
        Ok(answer) => {
            if let Some(key) = key {
                books
                    .idempotency
                    .insert(key, (body.to_string(), 200, answer.clone()));
            }
            Json(answer).into_response()
        }
        Err(refusal) => refusal,
    }
}

/// `metadata[k]=v` fields under `prefix` (`metadata`, `subscription_data[metadata]`).
fn metadata(form: &Fields, prefix: &str) -> Value {
    let start = format!("{prefix}[");
    let map: serde_json::Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(&start)
                .and_then(|rest| rest.strip_suffix(']'))
                .map(|key| (key.to_string(), json!(v)))
        })
        .collect();
    Value::Object(map)
}

fn expands(query: &str) -> Vec<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == "expand[]" || k.starts_with("expand["))
        .map(|(_, v)| v.into_owned())
        .collect()
}

async fn create_checkout(State(s): State<Stripe>, headers: HeaderMap, body: String) -> Response {
    let form = match admit(&s, "POST", "/v1/checkout/sessions", &headers, &body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let base = s.base.clone();
    let prices = s.options.prices.clone();
    idempotent(&s, &headers, &body, |books| {
        match field(&form, "mode") {
            Some("subscription") => {}
            Some(other) => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    &format!("Invalid mode: {other}; this stand-in makes subscriptions"),
                    Some("mode"),
                ))
            }
            None => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    "Missing required param: mode.",
                    Some("mode"),
                ))
            }
        }
        let Some(success_url) = field(&form, "success_url") else {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "Missing required param: success_url.",
                Some("success_url"),
            ));
        };
        let Some(price_id) = field(&form, "line_items[0][price]") else {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "Missing required param: line_items.",
                Some("line_items"),
            ));
        };
        let Some(price) = prices.iter().find(|p| p.id == price_id) else {
            return Err(missing("price", price_id, Some("line_items[0][price]")));
        };
        if field(&form, "line_items[0][quantity]").is_some_and(|q| q != "1") {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "This stand-in sells one of each plan.",
                Some("line_items[0][quantity]"),
            ));
        }
        let customer = field(&form, "customer");
        if customer.is_some() && field(&form, "customer_email").is_some() {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "You may only specify one of these parameters: customer, customer_email.",
                Some("customer_email"),
            ));
        }
        if let Some(c) = customer {
            if !books.customers.contains_key(c) {
                return Err(missing("customer", c, Some("customer")));
            }
        }
        let id = books.id("cs_test");
        let session = json!({
            "id": id,
            "object": "checkout.session",
            "mode": "subscription",
            "status": "open",
            "payment_status": "unpaid",
            "url": format!("{base}/c/pay/{id}"),
            "client_reference_id": field(&form, "client_reference_id"),
            "customer": customer,
            "customer_email": field(&form, "customer_email"),
            "subscription": null,
            "success_url": success_url,
            "cancel_url": field(&form, "cancel_url"),
            "metadata": metadata(&form, "metadata"),
            "amount_total": price.amount,
            "currency": "gbp",
            "livemode": false,
            "created": now(),
            "expires_at": now() + 86_400,
            // Kept for when it is paid: what the subscription is to carry.
            "standin": { "price": price.id, "subscription_metadata": metadata(&form, "subscription_data[metadata]") },
        });
        books.checkout_sessions.insert(id, session.clone());
        Ok(public(session))
    })
}

/// An object without the stand-in's own notes.
fn public(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("standin");
    }
    v
}

async fn retrieve_checkout(
    State(s): State<Stripe>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(
        &s,
        "GET",
        &format!("/v1/checkout/sessions/{id}"),
        &headers,
        "",
    )
    .await
    {
        return r;
    }
    match s.books().checkout_sessions.get(&id) {
        Some(v) => Json(public(v.clone())).into_response(),
        None => missing("checkout.session", &id, None),
    }
}

async fn create_portal(State(s): State<Stripe>, headers: HeaderMap, body: String) -> Response {
    let form = match admit(&s, "POST", "/v1/billing_portal/sessions", &headers, &body).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let base = s.base.clone();
    idempotent(&s, &headers, &body, |books| {
        let Some(customer) = field(&form, "customer") else {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                "Missing required param: customer.",
                Some("customer"),
            ));
        };
        if !books.customers.contains_key(customer) {
            return Err(missing("customer", customer, Some("customer")));
        }
        let id = books.id("bps");
        let session = json!({
            "id": id,
            "object": "billing_portal.session",
            "customer": customer,
            "return_url": field(&form, "return_url"),
            "url": format!("{base}/p/session/{id}"),
            "created": now(),
            "livemode": false,
        });
        books.portal_sessions.insert(id, session.clone());
        Ok(session)
    })
}

fn with_payment_method(books: &Books, mut v: Value, at: &[&str]) -> Value {
    let mut slot = &mut v;
    for key in at {
        slot = &mut slot[*key];
    }
    if let Some(pm) = slot.as_str().and_then(|id| books.payment_methods.get(id)) {
        *slot = pm.clone();
    }
    v
}

async fn retrieve_subscription(
    State(s): State<Stripe>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    if let Err(r) = admit(&s, "GET", &format!("/v1/subscriptions/{id}"), &headers, "").await {
        return r;
    }
    let expand = expands(uri.query().unwrap_or_default());
    let books = s.books();
    match books.subscriptions.get(&id) {
        Some(v) if expand.iter().any(|e| e == "default_payment_method") => Json(
            with_payment_method(&books, v.clone(), &["default_payment_method"]),
        )
        .into_response(),
        Some(v) => Json(v.clone()).into_response(),
        None => missing("subscription", &id, None),
    }
}

/// `DELETE /v1/subscriptions/{id}`: cancelled at once. A cancelled subscription cannot be
/// cancelled again, as Stripe answers.
async fn cancel_subscription(
    State(s): State<Stripe>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(
        &s,
        "DELETE",
        &format!("/v1/subscriptions/{id}"),
        &headers,
        "",
    )
    .await
    {
        return r;
    }
    let mut books = s.books();
    let Some(v) = books.subscriptions.get_mut(&id) else {
        return missing("subscription", &id, None);
    };
    if v["status"] == "canceled" {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "A canceled subscription can only update its cancellation_details.",
            None,
        );
    }
    v["status"] = json!("canceled");
    v["canceled_at"] = json!(now());
    v["ended_at"] = json!(now());
    let ended = v.clone();
    s.emit(
        &mut books,
        "customer.subscription.deleted",
        ended.clone(),
        None,
    );
    Json(ended).into_response()
}

async fn retrieve_customer(
    State(s): State<Stripe>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    if let Err(r) = admit(&s, "GET", &format!("/v1/customers/{id}"), &headers, "").await {
        return r;
    }
    let expand = expands(uri.query().unwrap_or_default());
    let books = s.books();
    match books.customers.get(&id) {
        Some(v)
            if expand
                .iter()
                .any(|e| e == "invoice_settings.default_payment_method") =>
        {
            Json(with_payment_method(
                &books,
                v.clone(),
                &["invoice_settings", "default_payment_method"],
            ))
            .into_response()
        }
        Some(v) => Json(v.clone()).into_response(),
        None => missing("customer", &id, None),
    }
}

async fn retrieve_invoice(
    State(s): State<Stripe>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = admit(&s, "GET", &format!("/v1/invoices/{id}"), &headers, "").await {
        return r;
    }
    match s.books().invoices.get(&id) {
        Some(v) => Json(v.clone()).into_response(),
        None => missing("invoice", &id, None),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"></head>\
         <body style=\"font-family:sans-serif;max-width:32rem;margin:2rem auto\">\
         <p><small>Stripe (local stand-in)</small></p>{body}</body></html>",
        escape(title)
    ))
}

async fn checkout_page(State(s): State<Stripe>, Path(id): Path<String>) -> Response {
    let Some(session) = s.books().checkout_sessions.get(&id).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            page("Not found", "<h1>This checkout is not available</h1>"),
        )
            .into_response();
    };
    if session["status"] != "open" {
        return page("Checkout", "<h1>This checkout is complete</h1>").into_response();
    }
    let price = session["standin"]["price"].as_str().unwrap_or_default();
    let name = s
        .options
        .prices
        .iter()
        .find(|p| p.id == price)
        .map(|p| (p.name.clone(), p.amount))
        .unwrap_or_default();
    let cancel = session["cancel_url"].as_str().unwrap_or("/");
    let body = format!(
        "<h1>Subscribe to {plan}</h1><p>£{pounds}.{pence:02} a month</p>\
         <form method=\"post\">\
         <p><label>Email <input name=\"email\" type=\"email\" value=\"{email}\"></label></p>\
         <p><label>Card number <input name=\"card_number\" inputmode=\"numeric\" autocomplete=\"cc-number\"></label></p>\
         <p><label>Expiry (MM / YY) <input name=\"expiry\" autocomplete=\"cc-exp\" placeholder=\"MM / YY\"></label></p>\
         <p><label>CVC <input name=\"cvc\" autocomplete=\"cc-csc\"></label></p>\
         <p><button type=\"submit\">Subscribe</button></p></form>\
         <p><a href=\"{cancel}\">Back</a></p>",
        plan = escape(&name.0),
        pounds = name.1 / 100,
        pence = name.1 % 100,
        email = escape(session["customer_email"].as_str().unwrap_or_default()),
        cancel = escape(cancel),
    );
    page("Checkout", &body).into_response()
}

#[derive(Deserialize)]
struct CardForm {
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    expiry: String,
    #[serde(default)]
    cvc: String,
}

/// A card as Stripe describes it once it has it: brand, last four, expiry. Nothing else of the
/// number is kept.
fn card(form: &CardForm) -> Result<Value, &'static str> {
    let digits: String = form
        .card_number
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if !(12..=19).contains(&digits.len())
        || form
            .card_number
            .chars()
            .any(|c| !c.is_ascii_digit() && c != ' ')
    {
        return Err("Your card number is incomplete.");
    }
    if digits == "4000000000000002" {
        return Err("Your card was declined.");
    }
    let (month, year) = form
        .expiry
        .split_once('/')
        .and_then(|(m, y)| Some((m.trim().parse::<i64>().ok()?, y.trim().parse::<i64>().ok()?)))
        .filter(|(m, _)| (1..=12).contains(m))
        .ok_or("Your card's expiration date is incomplete.")?;
    let year = if year < 100 { 2000 + year } else { year };
    if !(3..=4).contains(&form.cvc.trim().len())
        || !form.cvc.trim().chars().all(|c| c.is_ascii_digit())
    {
        return Err("Your card's security code is incomplete.");
    }
    let brand = match digits.as_bytes()[0] {
        b'4' => "visa",
        b'5' | b'2' => "mastercard",
        b'3' => "amex",
        _ => "unknown",
    };
    Ok(json!({
        "brand": brand,
        "last4": &digits[digits.len() - 4..],
        "exp_month": month,
        "exp_year": year,
        "funding": "credit",
        "country": "GB",
    }))
}

fn new_payment_method(books: &mut Books, card: Value, customer: &str) -> String {
    let id = books.id("pm");
    books.payment_methods.insert(
        id.clone(),
        json!({ "id": id, "object": "payment_method", "type": "card", "card": card, "customer": customer, "created": now(), "livemode": false }),
    );
    id
}

fn new_invoice(
    books: &mut Books,
    base: &str,
    customer: &str,
    subscription: &str,
    amount: i64,
    paid: bool,
) -> Value {
    let id = books.id("in");
    let number = format!("STANDIN-{:04}", books.next);
    let invoice = json!({
        "id": id,
        "object": "invoice",
        "customer": customer,
        "number": number,
        "status": if paid { "paid" } else { "open" },
        "amount_due": amount,
        "amount_paid": if paid { amount } else { 0 },
        "amount_remaining": if paid { 0 } else { amount },
        "currency": "gbp",
        "hosted_invoice_url": format!("{base}/i/{id}"),
        "created": now(),
        "attempt_count": 1,
        "parent": { "type": "subscription_details", "subscription_details": { "subscription": subscription, "metadata": {} } },
        "livemode": false,
    });
    books.invoices.insert(id, invoice.clone());
    invoice
}

async fn pay(
    State(s): State<Stripe>,
    Path(id): Path<String>,
    Form(form): Form<CardForm>,
) -> Response {
    let mut books = s.books();
    let Some(session) = books
        .checkout_sessions
        .get(&id)
        .cloned()
        .filter(|v| v["status"] == "open")
    else {
        return (
            StatusCode::NOT_FOUND,
            page("Not found", "<h1>This checkout is not available</h1>"),
        )
            .into_response();
    };
    let card = match card(&form) {
        Ok(c) => c,
        Err(why) => {
            drop(books);
            let again = format!("<h1>Payment not taken</h1><p role=\"alert\">{}</p><p><a href=\"/c/pay/{}\">Try again</a></p>", escape(why), escape(&id));
            return (StatusCode::PAYMENT_REQUIRED, page("Checkout", &again)).into_response();
        }
    };
    let customer = match session["customer"].as_str() {
        Some(c) => c.to_string(),
        None => {
            let c = books.id("cus");
            let customer = json!({ "id": c, "object": "customer", "email": session["customer_email"], "invoice_settings": { "default_payment_method": null }, "created": now(), "livemode": false });
            books.customers.insert(c.clone(), customer.clone());
            s.emit(&mut books, "customer.created", customer, None);
            c
        }
    };
    let pm = new_payment_method(&mut books, card, &customer);
    let pm_object = books.payment_methods[&pm].clone();
    s.emit(&mut books, "payment_method.attached", pm_object, None);
    if let Some(c) = books.customers.get_mut(&customer) {
        c["invoice_settings"]["default_payment_method"] = json!(pm);
    }
    let price_id = session["standin"]["price"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let amount = s
        .options
        .prices
        .iter()
        .find(|p| p.id == price_id)
        .map_or(0, |p| p.amount);
    let sub = books.id("sub");
    let item = books.id("si");
    let invoice = new_invoice(&mut books, &s.base, &customer, &sub, amount, true);
    let subscription = json!({
        "id": sub,
        "object": "subscription",
        "customer": customer,
        "status": "active",
        "items": { "object": "list", "data": [{
            "id": item, "object": "subscription_item", "quantity": 1,
            "price": { "id": price_id, "object": "price", "currency": "gbp", "unit_amount": amount, "recurring": { "interval": "month" } },
            "current_period_start": now(), "current_period_end": now() + 30 * 86_400,
        }], "has_more": false },
        "metadata": session["standin"]["subscription_metadata"],
        "cancel_at_period_end": false,
        "created": now(),
        "start_date": now(),
        "default_payment_method": pm,
        "latest_invoice": invoice["id"],
        "currency": "gbp",
        "livemode": false,
    });
    books
        .subscriptions
        .insert(sub.clone(), subscription.clone());
    let mut done = session.clone();
    done["status"] = json!("complete");
    done["payment_status"] = json!("paid");
    done["customer"] = json!(customer);
    done["subscription"] = json!(sub);
    books.checkout_sessions.insert(id.clone(), done.clone());
    s.emit(&mut books, "checkout.session.completed", public(done), None);
    s.emit(
        &mut books,
        "customer.subscription.created",
        subscription,
        None,
    );
    s.emit(&mut books, "invoice.paid", invoice, None);
    let to = session["success_url"]
        .as_str()
        .unwrap_or("/")
        .replace("{CHECKOUT_SESSION_ID}", &id);
    Redirect::to(&to).into_response()
}

async fn portal_page(State(s): State<Stripe>, Path(id): Path<String>) -> Response {
    let books = s.books();
    let Some(session) = books.portal_sessions.get(&id) else {
        return (
            StatusCode::NOT_FOUND,
            page("Not found", "<h1>This session is not available</h1>"),
        )
            .into_response();
    };
    let customer = session["customer"].as_str().unwrap_or_default();
    let back = escape(session["return_url"].as_str().unwrap_or("/"));
    let subscription = books
        .subscriptions
        .values()
        .filter(|v| v["customer"] == customer && v["status"] != "canceled")
        .max_by_key(|v| v["created"].as_i64());
    let mut body = String::from("<h1>Manage your subscription</h1>");
    if let Some(sub) = subscription {
        let price = sub["items"]["data"][0]["price"]["id"]
            .as_str()
            .unwrap_or_default();
        for p in &s.options.prices {
            if p.id == price {
                body.push_str(&format!("<p>Current plan: {}</p>", escape(&p.name)));
            } else {
                body.push_str(&format!(
                    "<form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"plan\"><input type=\"hidden\" name=\"price\" value=\"{}\"><button type=\"submit\">Switch to {}</button></form>",
                    escape(&p.id),
                    escape(&p.name)
                ));
            }
        }
        if sub["cancel_at_period_end"] != true {
            body.push_str("<form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"cancel\"><button type=\"submit\">Cancel plan</button></form>");
        }
    }
    body.push_str(
        "<h2>Payment method</h2><form method=\"post\"><input type=\"hidden\" name=\"action\" value=\"card\">\
         <p><label>Card number <input name=\"card_number\" inputmode=\"numeric\"></label></p>\
         <p><label>Expiry (MM / YY) <input name=\"expiry\"></label></p>\
         <p><label>CVC <input name=\"cvc\"></label></p>\
         <button type=\"submit\">Update card</button></form>",
    );
    body.push_str(&format!(
        "<p><a href=\"{back}\">Return to Ops Intel</a></p>"
    ));
    page("Billing", &body).into_response()
}

#[derive(Deserialize)]
struct PortalForm {
    action: String,
    #[serde(default)]
    price: String,
    #[serde(flatten)]
    card: CardForm,
}

async fn portal_action(
    State(s): State<Stripe>,
    Path(id): Path<String>,
    Form(form): Form<PortalForm>,
) -> Response {
    let mut books = s.books();
    let Some(customer) = books
        .portal_sessions
        .get(&id)
        .and_then(|v| v["customer"].as_str())
        .map(str::to_string)
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let sub = books
        .subscriptions
        .values()
        .filter(|v| v["customer"] == customer.as_str() && v["status"] != "canceled")
        .max_by_key(|v| v["created"].as_i64())
        .and_then(|v| v["id"].as_str())
        .map(str::to_string);
    match (form.action.as_str(), sub) {
        ("plan", Some(sub)) => {
            let Some(price) = s
                .options
                .prices
                .iter()
                .find(|p| p.id == form.price)
                .cloned()
            else {
                return StatusCode::BAD_REQUEST.into_response();
            };
            let Some(v) = books.subscriptions.get_mut(&sub) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let previous = json!({ "items": v["items"].clone() });
            v["items"]["data"][0]["price"] = json!({ "id": price.id, "object": "price", "currency": "gbp", "unit_amount": price.amount, "recurring": { "interval": "month" } });
            let updated = v.clone();
            s.emit(
                &mut books,
                "customer.subscription.updated",
                updated,
                Some(previous),
            );
        }
        ("cancel", Some(sub)) => {
            let Some(v) = books.subscriptions.get_mut(&sub) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            v["cancel_at_period_end"] = json!(true);
            let updated = v.clone();
            s.emit(
                &mut books,
                "customer.subscription.updated",
                updated,
                Some(json!({ "cancel_at_period_end": false })),
            );
        }
        ("card", sub) => {
            let card = match card(&form.card) {
                Ok(c) => c,
                Err(why) => {
                    return (
                        StatusCode::PAYMENT_REQUIRED,
                        page("Billing", &format!("<p role=\"alert\">{}</p>", escape(why))),
                    )
                        .into_response()
                }
            };
            let pm = new_payment_method(&mut books, card, &customer);
            let pm_object = books.payment_methods[&pm].clone();
            s.emit(&mut books, "payment_method.attached", pm_object, None);
            if let Some(c) = books.customers.get_mut(&customer) {
                c["invoice_settings"]["default_payment_method"] = json!(pm);
                let updated = c.clone();
                s.emit(&mut books, "customer.updated", updated, None);
            }
            if let Some(v) = sub.and_then(|sub| books.subscriptions.get_mut(&sub)) {
                v["default_payment_method"] = json!(pm);
                let updated = v.clone();
                s.emit(&mut books, "customer.subscription.updated", updated, None);
            }
        }
        _ => return StatusCode::BAD_REQUEST.into_response(),
    }
    Redirect::to(&format!("/p/session/{id}")).into_response()
}

async fn invoice_page(State(s): State<Stripe>, Path(id): Path<String>) -> Response {
    match s.books().invoices.get(&id) {
        Some(i) => page(
            "Invoice",
            &format!(
                "<h1>Invoice {}</h1><p>Status: {}</p><p>Amount: £{:.2}</p>",
                escape(i["number"].as_str().unwrap_or_default()),
                escape(i["status"].as_str().unwrap_or_default()),
                i["amount_due"].as_i64().unwrap_or(0) as f64 / 100.0
            ),
        )
        .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
struct SubscriptionRef {
    subscription: String,
}

/// The subscription's renewal payment fails: an open invoice, `past_due`.
async fn fail_payment(State(s): State<Stripe>, Json(r): Json<SubscriptionRef>) -> Response {
    let mut books = s.books();
    let Some(sub) = books.subscriptions.get(&r.subscription).cloned() else {
        return missing("subscription", &r.subscription, None);
    };
    let customer = sub["customer"].as_str().unwrap_or_default().to_string();
    let amount = sub["items"]["data"][0]["price"]["unit_amount"]
        .as_i64()
        .unwrap_or(0);
    let invoice = new_invoice(
        &mut books,
        &s.base,
        &customer,
        &r.subscription,
        amount,
        false,
    );
    let v = books
        .subscriptions
        .get_mut(&r.subscription)
        .expect("found above");
    v["status"] = json!("past_due");
    v["latest_invoice"] = invoice["id"].clone();
    let updated = v.clone();
    s.emit(&mut books, "invoice.payment_failed", invoice.clone(), None);
    s.emit(
        &mut books,
        "customer.subscription.updated",
        updated,
        Some(json!({ "status": "active" })),
    );
    Json(invoice).into_response()
}

/// The payment owed is made: the open invoices paid, `active`.
async fn pay_owed(State(s): State<Stripe>, Json(r): Json<SubscriptionRef>) -> Response {
    let mut books = s.books();
    if !books.subscriptions.contains_key(&r.subscription) {
        return missing("subscription", &r.subscription, None);
    }
    let open: Vec<String> = books
        .invoices
        .values()
        .filter(|i| {
            i["status"] == "open"
                && i["parent"]["subscription_details"]["subscription"] == r.subscription.as_str()
        })
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect();
    for id in open {
        let i = books.invoices.get_mut(&id).expect("listed above");
        i["status"] = json!("paid");
        i["amount_paid"] = i["amount_due"].clone();
        i["amount_remaining"] = json!(0);
        let paid = i.clone();
        s.emit(&mut books, "invoice.paid", paid, None);
    }
    let v = books
        .subscriptions
        .get_mut(&r.subscription)
        .expect("checked above");
    v["status"] = json!("active");
    let updated = v.clone();
    s.emit(
        &mut books,
        "customer.subscription.updated",
        updated.clone(),
        Some(json!({ "status": "past_due" })),
    );
    Json(updated).into_response()
}

/// The subscription ends now (the period ended after a cancellation, or the last retry failed).
async fn end_subscription(State(s): State<Stripe>, Json(r): Json<SubscriptionRef>) -> Response {
    let mut books = s.books();
    let Some(v) = books.subscriptions.get_mut(&r.subscription) else {
        return missing("subscription", &r.subscription, None);
    };
    v["status"] = json!("canceled");
    v["ended_at"] = json!(now());
    let ended = v.clone();
    s.emit(
        &mut books,
        "customer.subscription.deleted",
        ended.clone(),
        None,
    );
    Json(ended).into_response()
}

#[derive(Deserialize)]
struct HoldForm {
    held: bool,
}

async fn hold(State(s): State<Stripe>, Json(h): Json<HoldForm>) -> StatusCode {
    s.hold(h.held);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct DeliverForm {
    event: String,
    secrets: Option<Vec<String>>,
    timestamp: Option<i64>,
}

async fn deliver_again(State(s): State<Stripe>, Json(d): Json<DeliverForm>) -> Response {
    match s.deliver(&d.event, d.secrets, d.timestamp).await {
        Some(status) => Json(json!({ "status": status })).into_response(),
        None => missing("event", &d.event, None),
    }
}

async fn list_events(State(s): State<Stripe>) -> Json<Value> {
    Json(json!(s
        .events()
        .into_iter()
        .map(|e| json!({ "event": e.event, "answers": e.answers }))
        .collect::<Vec<_>>()))
}

async fn list_requests(State(s): State<Stripe>) -> Json<Value> {
    Json(json!(s
        .requests()
        .into_iter()
        .map(|r| json!({ "method": r.method, "path": r.path, "idempotency_key": r.idempotency_key, "form": r.form, "status": r.status }))
        .collect::<Vec<_>>()))
}

async fn faults(State(s): State<Stripe>, Json(statuses): Json<Vec<u16>>) -> StatusCode {
    s.fail_next(
        statuses
            .into_iter()
            .filter_map(|c| StatusCode::from_u16(c).ok()),
    );
    StatusCode::NO_CONTENT
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_is_kept_as_its_brand_last_four_and_expiry_only() {
        let c = card(&CardForm {
            card_number: "4242 4242 4242 4242".into(),
            expiry: "04 / 30".into(),
            cvc: "123".into(),
        })
        .unwrap();
        assert_eq!(c["brand"], "visa");
        assert_eq!(c["last4"], "4242");
        assert_eq!(
            (c["exp_month"].as_i64(), c["exp_year"].as_i64()),
            (Some(4), Some(2030))
        );
        assert!(!c.to_string().contains("42424242"));
        let declined = card(&CardForm {
            card_number: "4000000000000002".into(),
            expiry: "04/30".into(),
            cvc: "123".into(),
        });
        assert_eq!(declined, Err("Your card was declined."));
    }
}
