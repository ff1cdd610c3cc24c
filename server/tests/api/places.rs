//! The Places API client against Google's stand-in: the exact requests (field masks, key,
//! region), the answers parsed, and each failure sorted into what a job does next.

use std::{net::SocketAddr, time::Duration};

use serde_json::json;
use server::{
    jobs::JobError,
    places::{unambiguous, Places, PlacesConfig, PlacesError, DETAIL_FIELDS, SEARCH_FIELDS},
    standins::places::{Options, Places as Google},
};

const KEY: &str = "test-places-key";

async fn google(options: Options) -> (Google, Places) {
    // The process's TLS provider, as the server installs it at start-up.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (google, addr) = Google::start(options, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let client = Places::new(PlacesConfig {
        api_key: KEY.to_string().into(),
        base_url: format!("http://{addr}").parse().unwrap(),
        region: "GB".into(),
        timeout: Duration::from_millis(500),
    });
    (google, client)
}

fn options() -> Options {
    Options {
        key: KEY.into(),
        ..Options::default()
    }
}

#[tokio::test]
async fn text_search_asks_for_the_candidates_fields_only_and_finds_ambiguity() {
    let (google, places) = google(options()).await;
    let found = places.search("Harbour Café", "").await.unwrap();
    assert_eq!(found.len(), 2, "two cafés of that name: {found:?}");
    assert_eq!(
        unambiguous("Harbour Café", &found),
        None,
        "a person chooses"
    );
    assert!(
        found.iter().all(|c| !c.address.is_empty()),
        "each with its address"
    );

    let found = places
        .search("Minster Bakery", "Low Petergate, York")
        .await
        .unwrap();
    assert_eq!(
        unambiguous("Minster Bakery", &found).map(|c| c.id.as_str()),
        Some("ChIJstandinMinsterBakery")
    );
    assert!(places
        .search("Nowhere Tearoom", "Atlantis")
        .await
        .unwrap()
        .is_empty());

    let requests = google.requests.lock().unwrap().clone();
    let (what, mask, body) = &requests[0];
    assert_eq!(what, "POST /v1/places:searchText");
    assert_eq!(mask, SEARCH_FIELDS);
    assert_eq!(
        body,
        &json!({ "textQuery": "Harbour Café", "regionCode": "GB", "pageSize": 5 })
    );
}

#[tokio::test]
async fn place_details_are_parsed_from_the_fields_asked_for() {
    let (google, places) = google(options()).await;
    let place = places.details("ChIJstandinMinsterBakery").await.unwrap();
    assert_eq!(place.display_name.text, "Minster Bakery");
    assert_eq!(
        place.formatted_address,
        "22 Low Petergate, York YO1 7HZ, UK"
    );
    assert_eq!(place.rating, Some(4.7));
    assert_eq!(place.user_rating_count, Some(954));
    assert_eq!(place.business_status.as_deref(), Some("OPERATIONAL"));
    assert_eq!(place.regular_opening_hours.unwrap().weekdays.len(), 7);
    assert!(place.location.is_some() && place.google_maps_uri.is_some());
    let requests = google.requests.lock().unwrap().clone();
    assert_eq!(requests[0].0, "GET /v1/places/ChIJstandinMinsterBakery");
    assert_eq!(requests[0].1, DETAIL_FIELDS);

    // A place Google no longer knows is a refusal no retry fixes.
    let gone = places.details("ChIJgone").await.unwrap_err();
    assert!(matches!(&gone, PlacesError::Refused { status, .. } if status == "NOT_FOUND"));
    assert!(matches!(JobError::from(gone), JobError::Fatal(_)));
}

#[tokio::test]
async fn failures_delay_the_work_rather_than_lose_it() {
    // Quota: retried, and not before Google's Retry-After when it gives one.
    let (_, places) = google(Options {
        quota_exhausted: 1,
        ..options()
    })
    .await;
    let quota = places.search("Minster Bakery", "York").await.unwrap_err();
    assert!(matches!(quota, PlacesError::Quota { .. }), "{quota:?}");
    assert!(matches!(JobError::from(quota), JobError::Retry { .. }));
    assert_eq!(
        places.search("Minster Bakery", "York").await.unwrap().len(),
        1
    );

    // A wrong key: retried (an operator fixes the key), never logged with the key.
    let (_, wrong) = google(Options {
        key: "another-key".into(),
        ..options()
    })
    .await;
    let refused = wrong.search("Minster Bakery", "York").await.unwrap_err();
    assert!(matches!(refused, PlacesError::Key));
    assert!(!refused.to_string().contains(KEY));
    assert!(matches!(JobError::from(refused), JobError::Retry { .. }));

    // Too slow: unavailable, retried.
    let (_, slow) = google(Options {
        delay: Duration::from_secs(2),
        ..options()
    })
    .await;
    let late = slow.search("Minster Bakery", "York").await.unwrap_err();
    assert!(matches!(late, PlacesError::Unavailable(_)), "{late:?}");
    assert!(matches!(JobError::from(late), JobError::Retry { .. }));
}

#[tokio::test]
async fn the_stand_in_refuses_a_request_without_a_field_mask_as_google_does() {
    let (_, addr) = Google::start(options(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/v1/places:searchText"))
        .header("X-Goog-Api-Key", KEY)
        .json(&json!({ "textQuery": "Minster Bakery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(body["error"]["code"], 400);
}
