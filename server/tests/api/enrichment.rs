//! Enrichment as a background job, against Google's stand-in: a plain match fills the Google
//! columns beside the user's own fields, several candidates wait for the user's choice, no match
//! says so, and a quota failure marks the business delayed and is retried to the end.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use app::{
    error::AppError,
    jobs::{enqueue, Queue},
    plans::Limit,
    work::{
        businesses::{BusinessForm, CreateBusiness, GetBusiness, UpdateBusiness},
        csv_io::{ImportBusinesses, ImportForm},
        enrichment::{
            BusinessEnrichment, BusinessRef, ChoosePlace, ChoosePlaceForm, CopyFromGoogle,
            CopyFromGoogleForm, EnrichBusiness, EnrichRegister, EnrichmentState,
            RegisterEnrichment, RunQuery, NOT_CONFIGURED,
        },
    },
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
    browser::Browser,
    orgs::{email_of, sign_in, tenant_tx, Fixture, A_SLUG},
    TestApp,
};

const KEY: &str = "test-places-key";
/// Puts `org` on the Free plan with `left` of this month's enrichments left.
async fn leave_enrichments(admin: &PgPool, org: Uuid, left: u32) {
    let Limit::UpTo(all) = app::plans::plan(app::plans::PlanId::Free).enrichments_per_month else {
        unreachable!("Free's enrichments are limited")
    };
    sqlx::query("update organisations set plan = 'free' where org_id = $1")
        .bind(org)
        .execute(admin)
        .await
        .unwrap();
    sqlx::query(
        "insert into usage_meters (org_id, meter, month, used)
         values ($1, 'enrichment', date_trunc('month', now() at time zone 'UTC')::date, $2)
         on conflict (org_id, meter, month) do update set used = excluded.used",
    )
    .bind(org)
    .bind((all - left) as i32)
    .execute(admin)
    .await
    .unwrap();
}

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
        &EnrichBusiness {
            business_id: id,
            refresh: false,
        },
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

/// The app with enrichment configured against a fresh stand-in, its worker inside `serve`.
async fn app_with_google() -> (TestApp, Google) {
    let (google, addr) = Google::start(
        Options {
            key: KEY.into(),
            ..Options::default()
        },
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let url = format!("http://{addr}");
    let app = TestApp::spawn_with(&[
        ("OPS_GOOGLE_MAPS_API_KEY", KEY),
        ("OPS_PLACES_BASE_URL", &url),
        ("OPS_JOBS_POLL_MS", "20"),
    ])
    .await;
    (app, google)
}

async fn enrichment_of(b: &mut Browser<'_>, id: &str) -> app::work::enrichment::Enrichment {
    b.ok(BusinessEnrichment {
        slug: A_SLUG.into(),
        form: BusinessRef {
            business_id: id.into(),
        },
    })
    .await
}

/// Asks as the page does until the business's enrichment is `wanted`.
async fn settles(
    b: &mut Browser<'_>,
    id: &str,
    wanted: EnrichmentState,
) -> app::work::enrichment::Enrichment {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let e = enrichment_of(b, id).await;
        if e.state == Some(wanted) {
            return e;
        }
        assert!(
            Instant::now() < deadline,
            "still {:?}, not {wanted:?}",
            e.state
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn business_form(name: &str, relationship: &str, address: &str) -> BusinessForm {
    BusinessForm {
        name: name.into(),
        relationship: relationship.into(),
        address: address.into(),
        ..BusinessForm::default()
    }
}

#[tokio::test]
async fn a_business_added_is_looked_up_the_user_chooses_its_place_and_copies_only_what_they_ask_for(
) {
    let (app, google) = app_with_google().await;
    let admin = PgPool::connect(&app.db.url).await.unwrap();
    let _f = Fixture::create(&admin).await;
    let mut manager = sign_in(&app, email_of("a-manager")).await;
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;

    // Two cafés of this name on Google: the user chooses.
    let id = manager
        .ok(CreateBusiness {
            slug: A_SLUG.into(),
            form: business_form("Harbour Café", "competitor", ""),
        })
        .await;
    let e = settles(&mut manager, &id, EnrichmentState::NeedsChoice).await;
    assert_eq!(e.candidates.len(), 2, "{:?}", e.candidates);
    assert!(
        e.candidates.iter().all(|c| c
            .maps_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))),
        "each candidate links to its place: {:?}",
        e.candidates
    );
    assert!(
        e.google.is_none(),
        "nothing taken without the user's choice"
    );
    assert_eq!(e.allowance.used, 1, "the lookup counted once");

    // Only a place Google offered, and only by a role that may edit.
    let choose = |place_id: &str| ChoosePlace {
        slug: A_SLUG.into(),
        form: ChoosePlaceForm {
            business_id: id.clone(),
            place_id: place_id.into(),
        },
    };
    assert!(matches!(
        manager.err(choose("ChIJstandinMinsterBakery")).await,
        AppError::Invalid { field, .. } if field == "place_id"
    ));
    assert!(matches!(
        viewer.err(choose("ChIJstandinHarbourWhitby")).await,
        AppError::Forbidden(_)
    ));
    manager.ok(choose("ChIJstandinHarbourWhitby")).await;
    let e = settles(&mut manager, &id, EnrichmentState::Matched).await;
    let google_facts = e.google.expect("Google's values");
    assert_eq!(
        google_facts.address.as_deref(),
        Some("14 Pier Road, Whitby YO21 3PU, UK")
    );
    assert_eq!(google_facts.rating.as_deref(), Some("4.5"));
    assert_eq!(google_facts.rating_count, Some(312));
    assert!(
        google_facts.maps_url.is_some(),
        "the link every view carries"
    );
    assert!(e.candidates.is_empty());
    assert_eq!(
        e.allowance.used, 1,
        "the choice's details were part of the same enrichment"
    );
    assert!(
        matches!(
            manager.err(choose("ChIJstandinHarbourWhitby")).await,
            AppError::Refused(_)
        ),
        "a business not waiting for a choice"
    );

    // The user's own fields stay as typed until they copy one over.
    let mine =
        |b: &app::work::businesses::Business| (b.address.clone(), b.phone.clone(), b.version);
    let before = manager
        .ok(GetBusiness {
            slug: A_SLUG.into(),
            business_id: id.clone(),
        })
        .await;
    assert_eq!(mine(&before), (String::new(), String::new(), 1));
    manager
        .ok(CopyFromGoogle {
            slug: A_SLUG.into(),
            form: CopyFromGoogleForm {
                business_id: id.clone(),
                field: "phone".into(),
            },
        })
        .await;
    let after = manager
        .ok(GetBusiness {
            slug: A_SLUG.into(),
            business_id: id.clone(),
        })
        .await;
    assert_eq!(
        mine(&after),
        (String::new(), "01947 600123".into(), 2),
        "only the phone"
    );
    assert!(matches!(
        manager
            .err(CopyFromGoogle {
                slug: A_SLUG.into(),
                form: CopyFromGoogleForm { business_id: id.clone(), field: "notes".into() },
            })
            .await,
        AppError::Invalid { field, .. } if field == "field"
    ));

    // A new address: what Google said of the old one goes, and the business is looked up again.
    manager
        .ok(UpdateBusiness {
            slug: A_SLUG.into(),
            business_id: id.clone(),
            version: 2,
            form: BusinessForm {
                phone: "01947 600123".into(),
                ..business_form("Harbour Café", "competitor", "Sandside, Scarborough")
            },
        })
        .await;
    let e = settles(&mut manager, &id, EnrichmentState::Matched).await;
    assert_eq!(
        e.google.and_then(|g| g.address).as_deref(),
        Some("3 Sandside, Scarborough YO11 1PE, UK")
    );
    assert_eq!(e.allowance.used, 2);
    let searches = google
        .requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.0 == "POST /v1/places:searchText")
        .count();
    assert_eq!(
        searches, 2,
        "one search per lookup, none for the choice or the copy"
    );
}

#[tokio::test]
async fn enrich_all_runs_within_the_allowance_shows_its_progress_and_a_shortfall_starts_nothing() {
    let (app, _google) = app_with_google().await;
    let admin = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&admin).await;
    leave_enrichments(&admin, f.a, 6).await;
    let mut manager = sign_in(&app, email_of("a-manager")).await;
    // Three more, imported: the import's own run looks them up (3 of the 6).
    let report = manager
        .ok(ImportBusinesses {
            slug: A_SLUG.into(),
            form: ImportForm {
                csv: "name,relationship,address,phone,website,notes,tags\n\
                      Minster Bakery,supplier,York,,,,\n\
                      Harbour Café,competitor,,,,,\n\
                      Nowhere Tearoom,customer,Atlantis,,,,\n"
                    .into(),
                commit: true,
            },
        })
        .await;
    assert_eq!(report.imported, 3);
    assert!(report
        .note
        .as_deref()
        .unwrap_or_default()
        .contains("Looking up the 3 businesses"));
    let progress = || RegisterEnrichment {
        slug: A_SLUG.into(),
        form: RunQuery::default(),
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    let run = loop {
        let r = manager.ok(progress()).await;
        let run = r.run.expect("the import's run");
        assert_eq!(run.total, 3);
        if run.finished() {
            break run;
        }
        assert!(Instant::now() < deadline, "{run:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (run.matched, run.needs_choice, run.not_found, run.delayed),
        (1, 1, 1, 0),
        "{}",
        run.summary()
    );

    // "Enrich all": the fixture's business and the one not found (2 of the 3 left).
    let run = manager
        .ok(EnrichRegister {
            slug: A_SLUG.into(),
        })
        .await;
    assert_eq!((run.total, run.waiting), (2, 2));
    let deadline = Instant::now() + Duration::from_secs(15);
    while !manager.ok(progress()).await.run.expect("a run").finished() {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let r = manager.ok(progress()).await;
    assert_eq!(r.allowance.left(), Some(1));

    // Two more need two; one is left: nothing starts, and the message says why.
    for name in ["Copper Kettle", "Dales Dairy"] {
        let mut conn = PgPool::connect(&app.db.app_url)
            .await
            .unwrap()
            .acquire()
            .await
            .unwrap();
        let mut tx = tenant_tx(&mut conn, f.a).await;
        sqlx::query("insert into businesses (org_id, name, relationship, address) values ($1, $2, 'supplier', '')")
            .bind(f.a)
            .bind(name)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let refused = manager
        .err(EnrichRegister {
            slug: A_SLUG.into(),
        })
        .await;
    assert_eq!(
        refused,
        AppError::OverAllowance(
            "This needs 4 enrichments, and this month's allowance has 1 left. It renews on the 1st of next month."
                .into()
        ),
        "the two new ones, and the two not found tried again"
    );
    let queued: i64 = sqlx::query_scalar(
        "select count(*) from businesses where org_id = $1 and enrichment = 'queued'",
    )
    .bind(f.a)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(queued, 0, "nothing half started");
    assert_eq!(
        manager.ok(progress()).await.allowance.left(),
        Some(1),
        "nothing taken"
    );
    // The other organisation's register was never touched.
    let b_states: Vec<Option<String>> =
        sqlx::query_scalar("select enrichment from businesses where org_id = $1")
            .bind(f.b)
            .fetch_all(&admin)
            .await
            .unwrap();
    assert_eq!(b_states, vec![None]);
}

#[tokio::test]
async fn without_a_key_enrichment_says_it_is_not_configured_and_queues_nothing() {
    let app = TestApp::spawn().await;
    let admin = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&admin).await;
    let mut manager = sign_in(&app, email_of("a-manager")).await;
    let id = manager
        .ok(CreateBusiness {
            slug: A_SLUG.into(),
            form: business_form("Minster Bakery", "supplier", "York"),
        })
        .await;
    let e = enrichment_of(&mut manager, &id).await;
    assert!(!e.configured);
    assert_eq!(e.state, None);
    assert_eq!(
        manager
            .err(EnrichRegister {
                slug: A_SLUG.into()
            })
            .await,
        AppError::Refused(NOT_CONFIGURED.into())
    );
    assert_eq!(
        manager
            .err(app::work::enrichment::LookUpBusiness {
                slug: A_SLUG.into(),
                form: BusinessRef {
                    business_id: id.clone()
                },
            })
            .await,
        AppError::Refused(NOT_CONFIGURED.into())
    );
    let jobs: i64 = sqlx::query_scalar(
        "select count(*) from jobs where org_id = $1 and kind = 'business.enrich'",
    )
    .bind(f.a)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(jobs, 0);
}

#[tokio::test]
async fn google_content_is_refreshed_before_30_days_and_dropped_after_when_it_cannot_be() {
    let (app, google) = app_with_google().await;
    let admin = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&admin).await;
    // A's content is 29 days and some hours old; B's is 31 days old and B has no allowance left.
    for (org, business, age) in [
        (f.a, f.business_a, "29 days 12 hours"),
        (f.b, f.business_b, "31 days"),
    ] {
        sqlx::query(
            "update businesses set enrichment = 'matched', place_id = 'ChIJstandinMinsterBakery',
                    formatted_address = 'Old address', rating = 3.1, rating_count = 9,
                    maps_url = 'https://maps.google.com/?cid=1', enriched_at = now() - $3::interval
             where org_id = $1 and business_id = $2",
        )
        .bind(org)
        .bind(business)
        .bind(age)
        .execute(&admin)
        .await
        .unwrap();
    }
    leave_enrichments(&admin, f.b, 0).await;
    // The daily job, as its schedule queues it.
    sqlx::query("select app_enqueue_job('enrichment.refresh', null, 'null', null, 3, null)")
        .execute(&admin)
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    type Row = (Option<String>, Option<String>, Option<String>, Option<f64>);
    let row = |business: Uuid| {
        let admin = admin.clone();
        async move {
            sqlx::query_as::<_, Row>(
                "select enrichment, place_id, formatted_address, rating::float8 from businesses where business_id = $1",
            )
            .bind(business)
            .fetch_one(&admin)
            .await
            .unwrap()
        }
    };
    loop {
        let (a, b) = (row(f.business_a).await, row(f.business_b).await);
        let b_job_done: bool = sqlx::query_scalar(
            "select count(*) = 0 from jobs where org_id = $1 and kind = 'business.enrich' and state <> 'done'",
        )
        .bind(f.b)
        .fetch_one(&admin)
        .await
        .unwrap();
        if a.2.as_deref() == Some("22 Low Petergate, York YO1 7HZ, UK")
            && b.0.as_deref() == Some("expired")
            && b_job_done
        {
            assert_eq!(a.3, Some(4.7), "A's content refreshed from Google");
            assert_eq!(
                b,
                (
                    Some("expired".into()),
                    Some("ChIJstandinMinsterBakery".into()),
                    None,
                    None
                ),
                "B's content dropped, its place ID kept"
            );
            break;
        }
        if Instant::now() > deadline {
            let jobs: Vec<(String, String, Option<String>)> =
                sqlx::query_as("select kind, state, last_error from jobs order by job_id")
                    .fetch_all(&admin)
                    .await
                    .unwrap();
            panic!("A {a:?}, B {b:?}, jobs {jobs:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let asked: Vec<String> = google
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.0.clone())
        .collect();
    assert_eq!(
        asked,
        ["GET /v1/places/ChIJstandinMinsterBakery"],
        "details for A's known place only; nothing for B without allowance"
    );
    let a_used: i32 = sqlx::query_scalar(
        "select used from usage_meters
         where org_id = $1 and month = date_trunc('month', now() at time zone 'UTC')::date",
    )
    .bind(f.a)
    .fetch_one(&admin)
    .await
    .unwrap();
    assert_eq!(a_used, 1, "the refresh counted");
}
