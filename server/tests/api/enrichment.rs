//! Enrichment as a background job, against Google's stand-in: a plain match fills the Google
//! columns beside the user's own fields, several candidates wait for the user's choice, no match
//! says so, and a quota failure marks the business delayed and is retried to the end.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use app::{
    jobs::{enqueue, Queue},
    work::enrichment::EnrichBusiness,
};
use server::{
    enrichment::enrich_kind,
    jobs::{Runner, Settings},
    places::{Places, PlacesConfig},
    standins::places::{Options, Places as Google},
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::support::{
    orgs::{tenant_tx, Fixture},
    TestApp,
};

const KEY: &str = "test-places-key";

/// Adds a business to `org` as the user typed it, and queues its enrichment.
async fn business(pool: &PgPool, org: Uuid, name: &str, address: &str, phone: &str) -> Uuid {
    let mut conn = pool.acquire().await.unwrap();
    let mut tx = tenant_tx(&mut conn, org).await;
    let id: Uuid = sqlx::query_scalar(
        "insert into businesses (org_id, name, relationship, address, phone)
         values ($1, $2, 'competitor', $3, $4) returning business_id",
    )
    .bind(org)
    .bind(name)
    .bind(address)
    .bind(phone)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    enqueue(
        &mut tx,
        &EnrichBusiness { business_id: id },
        Queue::for_org(org),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn state(admin: &PgPool, id: Uuid) -> Option<String> {
    sqlx::query_scalar("select enrichment from businesses where business_id = $1")
        .bind(id)
        .fetch_one(admin)
        .await
        .unwrap()
}

async fn wait_for(admin: &PgPool, id: Uuid, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while state(admin, id).await.as_deref() != Some(wanted) {
        assert!(
            Instant::now() < deadline,
            "enrichment is {:?}, not {wanted}",
            state(admin, id).await
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn start(pool: &PgPool, options: Options) -> (Google, CancellationToken) {
    let (google, addr) = Google::start(options, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let places = Places::new(PlacesConfig {
        api_key: KEY.to_string().into(),
        base_url: format!("http://{addr}").parse().unwrap(),
        region: "GB".into(),
        timeout: Duration::from_secs(2),
    });
    let settings = Settings {
        poll: Duration::from_millis(20),
        lease: Duration::from_secs(10),
        grace: Duration::from_secs(1),
    };
    let runner = Runner::new(
        pool.clone(),
        vec![enrich_kind(places, Duration::from_millis(50))],
        vec![],
        settings,
    );
    let stop = CancellationToken::new();
    tokio::spawn(runner.run(stop.clone()));
    (google, stop)
}

#[tokio::test]
async fn businesses_are_matched_left_to_choose_or_not_found_and_the_users_fields_stay() {
    let app = TestApp::spawn_with(&[("OPS_JOBS_IN_SERVE", "0")]).await;
    let pool = PgPool::connect(&app.db.app_url).await.unwrap();
    let admin = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&admin).await;
    let bakery = business(
        &pool,
        f.a,
        "Minster Bakery",
        "Petergate, York",
        "01904 000000",
    )
    .await;
    let cafe = business(&pool, f.a, "Harbour Café", "", "").await;
    let nowhere = business(&pool, f.b, "Nowhere Tearoom", "Atlantis", "").await;
    let (_google, stop) = start(
        &pool,
        Options {
            key: KEY.into(),
            ..Options::default()
        },
    )
    .await;

    wait_for(&admin, bakery, "matched").await;
    let row: (String, String, String, Option<String>, f64, i32, String) = sqlx::query_as(
        "select address, phone, formatted_address, maps_phone, rating::float8, rating_count, place_id
         from businesses where business_id = $1",
    )
    .bind(bakery)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "Petergate, York".into(),
            "01904 000000".into(),
            "22 Low Petergate, York YO1 7HZ, UK".into(),
            Some("01904 620789".into()),
            4.7,
            954,
            "ChIJstandinMinsterBakery".into()
        ),
        "Google's values beside the user's own, which stay as typed"
    );

    wait_for(&admin, cafe, "needs_choice").await;
    let candidates: Vec<(String, String)> = sqlx::query_as(
        "select place_id, address from business_place_candidates where business_id = $1 order by position",
    )
    .bind(cafe)
    .fetch_all(&admin)
    .await
    .unwrap();
    assert_eq!(candidates.len(), 2, "{candidates:?}");
    assert!(candidates.iter().all(|(_, address)| !address.is_empty()));
    let place: Option<String> =
        sqlx::query_scalar("select place_id from businesses where business_id = $1")
            .bind(cafe)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(place, None, "nothing taken without the user's choice");

    wait_for(&admin, nowhere, "not_found").await;
    stop.cancel();
}

#[tokio::test]
async fn a_quota_failure_leaves_the_business_delayed_and_the_retry_finishes_it() {
    let app = TestApp::spawn_with(&[("OPS_JOBS_IN_SERVE", "0")]).await;
    let pool = PgPool::connect(&app.db.app_url).await.unwrap();
    let admin = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&admin).await;
    let bakery = business(&pool, f.a, "Minster Bakery", "York", "").await;
    let (google, stop) = start(
        &pool,
        Options {
            key: KEY.into(),
            quota_exhausted: 1,
            ..Options::default()
        },
    )
    .await;
    wait_for(&admin, bakery, "delayed").await;
    let rating: Option<f64> =
        sqlx::query_scalar("select rating::float8 from businesses where business_id = $1")
            .bind(bakery)
            .fetch_one(&admin)
            .await
            .unwrap();
    assert_eq!(rating, None, "nothing half-done");
    wait_for(&admin, bakery, "matched").await;
    let asked: Vec<String> = google
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.0.clone())
        .collect();
    assert_eq!(
        asked,
        [
            "POST /v1/places:searchText",
            "POST /v1/places:searchText",
            "GET /v1/places/ChIJstandinMinsterBakery"
        ]
    );
    stop.cancel();
}
