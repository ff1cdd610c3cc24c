//! Accounts imported from a Django export sign in with their existing passwords.

use crate::support::{browser::Browser, TestApp};
use app::auth::{forms::SignInForm, functions::SignIn, UserSummary};
use server::import::import_django_users;

#[derive(serde::Deserialize)]
struct Fixture {
    password: String,
    encoded: String,
}

#[tokio::test]
async fn imported_users_sign_in_with_their_django_passwords_and_bad_rows_are_reported() {
    let app = TestApp::spawn().await;
    // As `server import-django-users` runs: as the application role, under row-level security.
    let pool = sqlx::PgPool::connect(&app.db.app_url).await.unwrap();
    let fixtures: Vec<Fixture> =
        serde_json::from_str(include_str!("fixtures/django_hashes.json")).unwrap();
    let f = &fixtures[1];
    let csv = format!(
        "email,password,first_name,last_name,date_joined,is_active\n\
         grace@example.com,{},Grace,Hopper,2021-03-01 10:00:00+00,t\n\
         not-an-email,{},Bad,Row,2021-03-01 10:00:00+00,t\n\
         alan@example.com,bcrypt_sha256$$2b$12$abc,Alan,Turing,2021-03-01 10:00:00+00,t\n\
         GRACE@example.com,{},Grace,Again,2021-03-01 10:00:00+00,t\n\
         old@example.com,{},Old,User,2019-01-01 10:00:00+00,f\n\
         nopass@example.com,!unusable,,,2022-01-01 10:00:00+00,true\n",
        f.encoded, f.encoded, f.encoded, f.encoded
    );
    let report = import_django_users(&pool, csv.as_bytes()).await.unwrap();
    assert_eq!(report.imported, 2);
    let lines: Vec<u64> = report.skipped.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [3, 4, 5, 6], "{:?}", report.skipped);
    assert!(report.skipped[0].1.starts_with("email:"));
    assert!(report.skipped[1].1.contains("only pbkdf2_sha256"));

    let mut b = Browser::new(&app);
    b.open("/sign-in").await;
    b.ok(SignIn {
        form: SignInForm {
            email: "grace@example.com".into(),
            password: f.password.clone(),
            next: None,
        },
    })
    .await;
    assert_eq!(
        b.current_user().await,
        Some(UserSummary {
            name: "Grace Hopper".into(),
            email: "grace@example.com".into(),
            verified: true,
        })
    );

    // Running it again imports nothing twice.
    let again = import_django_users(&pool, csv.as_bytes()).await.unwrap();
    assert_eq!(again.imported, 0);
}

#[tokio::test]
async fn a_file_without_the_django_columns_imports_nothing() {
    let app = TestApp::spawn().await;
    let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
    let err = import_django_users(&pool, "email,pass\na@b.co,x\n".as_bytes())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("header must have the columns"));
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn rows_with_an_absurd_iteration_count_or_a_disguised_name_are_refused() {
    let app = TestApp::spawn().await;
    let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
    let fixtures: Vec<Fixture> =
        serde_json::from_str(include_str!("fixtures/django_hashes.json")).unwrap();
    let good = &fixtures[1].encoded;
    // A hash that would hold a hashing thread for minutes at every sign-in attempt.
    let absurd = "pbkdf2_sha256$2000000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=";
    let csv = format!(
        "email,password,first_name,last_name,date_joined,is_active\n\
         slow@example.com,{absurd},Slow,Hash,2021-03-01 10:00:00+00,t\n\
         trick@example.com,{good},Support \u{202E}kseD,Team,2021-03-01 10:00:00+00,t\n\
         fine@example.com,{good},Fine,User,2021-03-01 10:00:00+00,t\n"
    );
    let report = import_django_users(&pool, csv.as_bytes()).await.unwrap();
    assert_eq!(report.imported, 1, "{:?}", report.skipped);
    let lines: Vec<u64> = report.skipped.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [2, 3], "{:?}", report.skipped);
    assert!(
        report.skipped[0].1.contains("iterations"),
        "{:?}",
        report.skipped
    );
    assert!(
        report.skipped[1].1.starts_with("name:"),
        "{:?}",
        report.skipped
    );
}
