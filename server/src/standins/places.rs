//! Google's Places API (New): Text Search (`POST /v1/places:searchText`) and Place Details
//! (`GET /v1/places/{id}`), over a small catalogue of places. Like Google, it requires the
//! `X-Goog-Api-Key` header (403 `PERMISSION_DENIED` when wrong) and the `X-Goog-FieldMask` header
//! (400 `INVALID_ARGUMENT` without it), answers with only the fields the mask names, and reports
//! errors as `{"error": {"code", "message", "status"}}`. It can be told to answer 429
//! `RESOURCE_EXHAUSTED` for a number of requests, and to answer slowly.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde_json::{json, Map, Value};

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub key: String,
    /// Requests answered 429 `RESOURCE_EXHAUSTED` before it answers normally.
    pub quota_exhausted: usize,
    /// How long each answer takes.
    pub delay: Duration,
}

/// A running stand-in, and what it was asked.
#[derive(Clone, Default)]
pub struct Places {
    /// Each request: its method and path, its field mask, and its JSON body (`null` for a GET).
    pub requests: Arc<Mutex<Vec<(String, String, Value)>>>,
    quota_exhausted: Arc<AtomicUsize>,
    options: Arc<Options>,
}

/// The catalogue: (id, name, address, latitude, longitude, phone, website, rating, count).
type Entry = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    &'static str,
    &'static str,
    f64,
    i64,
);

const CATALOGUE: [Entry; 6] = [
    (
        "ChIJstandinHarbourWhitby",
        "Harbour Café",
        "14 Pier Road, Whitby YO21 3PU, UK",
        54.4877,
        -0.6152,
        "01947 600123",
        "https://harbourcafe.example",
        4.5,
        312,
    ),
    (
        "ChIJstandinHarbourScarborough",
        "Harbour Café",
        "3 Sandside, Scarborough YO11 1PE, UK",
        54.2831,
        -0.3957,
        "01723 500456",
        "https://harbour-scarborough.example",
        4.1,
        188,
    ),
    (
        "ChIJstandinMinsterBakery",
        "Minster Bakery",
        "22 Low Petergate, York YO1 7HZ, UK",
        53.9614,
        -1.0812,
        "01904 620789",
        "https://minsterbakery.example",
        4.7,
        954,
    ),
    (
        "ChIJstandinDalesDairy",
        "Dales Dairy Supplies",
        "Unit 4, Skipton Business Park, Skipton BD23 2TZ, UK",
        53.9555,
        -2.0069,
        "01756 700321",
        "",
        4.0,
        41,
    ),
    (
        "ChIJstandinCopperKettle",
        "The Copper Kettle",
        "8 Parliament Street, Harrogate HG1 2QU, UK",
        53.9936,
        -1.5410,
        "01423 550987",
        "https://copperkettle.example",
        3.9,
        276,
    ),
    (
        "ChIJstandinBeanRoasters",
        "Bean There Roasters",
        "31 Call Lane, Leeds LS1 7BT, UK",
        53.7955,
        -1.5419,
        "0113 496 0123",
        "https://beanthere.example",
        4.6,
        530,
    ),
];

fn place(entry: &Entry) -> Value {
    let (id, name, address, lat, lng, phone, website, rating, count) = *entry;
    let mut place = json!({
        "id": id,
        "displayName": { "text": name, "languageCode": "en" },
        "formattedAddress": address,
        "location": { "latitude": lat, "longitude": lng },
        "nationalPhoneNumber": phone,
        "regularOpeningHours": {
            "openNow": true,
            "weekdayDescriptions": [
                "Monday: 8:00 AM – 5:00 PM", "Tuesday: 8:00 AM – 5:00 PM",
                "Wednesday: 8:00 AM – 5:00 PM", "Thursday: 8:00 AM – 5:00 PM",
                "Friday: 8:00 AM – 6:00 PM", "Saturday: 9:00 AM – 6:00 PM", "Sunday: Closed"
            ]
        },
        "businessStatus": "OPERATIONAL",
        "rating": rating,
        "userRatingCount": count,
        "googleMapsUri": format!("https://maps.google.com/?cid={}", id.len() * 7919),
    });
    if !website.is_empty() {
        place["websiteUri"] = json!(website);
    }
    place
}

/// Only the fields the mask names (`*` for all); `prefix` is `places.` for Text Search.
fn masked(place: &Value, mask: &str, prefix: &str) -> Value {
    let fields: Vec<&str> = mask
        .split(',')
        .map(str::trim)
        .filter_map(|f| f.strip_prefix(prefix))
        .collect();
    if fields.contains(&"*") {
        return place.clone();
    }
    let mut out = Map::new();
    for field in fields {
        let top = field.split('.').next().unwrap_or(field);
        if let Some(v) = place.get(top) {
            out.insert(top.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

fn error(status: StatusCode, message: &str, code: &str) -> Response {
    let body = json!({ "error": { "code": status.as_u16(), "message": message, "status": code } });
    (status, Json(body)).into_response()
}

impl Places {
    pub async fn start(options: Options, addr: SocketAddr) -> std::io::Result<(Self, SocketAddr)> {
        let standin = Places {
            quota_exhausted: Arc::new(AtomicUsize::new(options.quota_exhausted)),
            options: Arc::new(options),
            ..Default::default()
        };
        let routes = Router::new()
            .route("/v1/places:searchText", post(search_text))
            .route("/v1/places/{id}", get(details))
            .with_state(standin.clone());
        Ok((standin, super::listen(routes, addr).await?))
    }

    /// What every request is checked for first, as Google checks it; the field mask when fine.
    async fn admit(
        &self,
        what: String,
        headers: &HeaderMap,
        body: Value,
    ) -> Result<String, Response> {
        let mask = headers
            .get("x-goog-fieldmask")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        self.requests
            .lock()
            .expect("not poisoned")
            .push((what, mask.clone(), body));
        tokio::time::sleep(self.options.delay).await;
        if headers.get("x-goog-api-key").and_then(|v| v.to_str().ok()) != Some(&self.options.key) {
            return Err(error(
                StatusCode::FORBIDDEN,
                "The provided API key is invalid.",
                "PERMISSION_DENIED",
            ));
        }
        if self
            .quota_exhausted
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(error(
                StatusCode::TOO_MANY_REQUESTS,
                "Quota exceeded for quota metric 'Text Search requests' of service 'places.googleapis.com'.",
                "RESOURCE_EXHAUSTED",
            ));
        }
        if mask.trim().is_empty() {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "FieldMask is a required parameter. See https://cloud.google.com/apis/docs/system-parameters on how to provide it.",
                "INVALID_ARGUMENT",
            ));
        }
        Ok(mask)
    }
}

async fn search_text(State(standin): State<Places>, headers: HeaderMap, body: String) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let mask = match standin
        .admit("POST /v1/places:searchText".into(), &headers, body.clone())
        .await
    {
        Ok(mask) => mask,
        Err(refused) => return refused,
    };
    let json_body = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let Some(query) = body["textQuery"].as_str().filter(|q| !q.trim().is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Empty text_query.",
            "INVALID_ARGUMENT",
        );
    };
    if !json_body {
        return error(
            StatusCode::BAD_REQUEST,
            "Invalid JSON payload received.",
            "INVALID_ARGUMENT",
        );
    }
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1)
        .map(str::to_lowercase)
        .collect();
    let places: Vec<Value> = CATALOGUE
        .iter()
        .filter(|(_, name, address, ..)| {
            let haystack = format!("{name} {address}").to_lowercase();
            words.iter().all(|w| haystack.contains(w.as_str()))
        })
        .take(body["pageSize"].as_u64().unwrap_or(20).clamp(1, 20) as usize)
        .map(|entry| masked(&place(entry), &mask, "places."))
        .collect();
    // Google answers `{}` when nothing matches.
    if places.is_empty() {
        return Json(json!({})).into_response();
    }
    Json(json!({ "places": places })).into_response()
}

async fn details(
    State(standin): State<Places>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let mask = match standin
        .admit(format!("GET /v1/places/{id}"), &headers, Value::Null)
        .await
    {
        Ok(mask) => mask,
        Err(refused) => return refused,
    };
    match CATALOGUE.iter().find(|entry| entry.0 == id) {
        Some(entry) => Json(masked(&place(entry), &mask, "")).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("Requested entity was not found. Place ID: {id}"),
            "NOT_FOUND",
        ),
    }
}
