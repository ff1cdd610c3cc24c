//! Organisations and invitations cannot be turned into a spam relay: each is limited per day,
//! and a name that hides or reverses text never reaches anyone's inbox.

use app::{
    error::AppError,
    org::{
        forms::{CreateOrganisationForm, InviteMemberForm},
        functions::{CreateOrganisation, InviteMember},
    },
    roles::Role,
};
use sqlx::PgPool;

use crate::support::{
    orgs::{create_user, email_of, sign_in, Fixture, A_SLUG},
    TestApp,
};

fn create(name: &str) -> CreateOrganisation {
    CreateOrganisation {
        form: CreateOrganisationForm {
            name: name.into(),
            slug: String::new(),
        },
    }
}

fn invite(email: &str) -> InviteMember {
    InviteMember {
        slug: A_SLUG.into(),
        form: InviteMemberForm {
            email: email.into(),
            role: Role::Viewer.as_str().into(),
        },
    }
}

fn throttled_saying(error: AppError, start: &str) {
    match error {
        AppError::Throttled(message) => assert!(message.starts_with(start), "{message}"),
        other => panic!("expected a limit, got {other:?}"),
    }
}

#[tokio::test]
async fn a_user_creates_at_most_five_organisations_a_day() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "maker@example.com", true).await;
    let mut b = sign_in(&app, "maker@example.com").await;
    b.open("/o").await;
    for n in 1..=5 {
        b.ok(create(&format!("Shop number {n}"))).await;
    }
    throttled_saying(
        b.err(create("Shop number 6")).await,
        "You have created as many organisations as you may in a day.",
    );
}

#[tokio::test]
async fn invitations_are_limited_per_inviter_and_per_organisation_a_day() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    owner.open(&format!("/o/{A_SLUG}/members")).await;
    for n in 1..=50 {
        owner.ok(invite(&format!("guest{n}@example.com"))).await;
    }
    throttled_saying(
        owner.err(invite("guest51@example.com")).await,
        "You have sent as many invitations as you may in a day.",
    );

    // An organisation whose members have sent 99 today may send one more, then none.
    sqlx::query(
        "update auth_throttle set failures = 99 where scope = 'org_invitations' and key = $1",
    )
    .bind(f.a.to_string())
    .execute(&db)
    .await
    .unwrap();
    let mut admin = sign_in(&app, email_of("a-admin")).await;
    admin.open(&format!("/o/{A_SLUG}/members")).await;
    admin.ok(invite("one-more@example.com")).await;
    throttled_saying(
        admin.err(invite("one-too-many@example.com")).await,
        "This organisation has sent as many invitations as it may in a day.",
    );
}

#[tokio::test]
async fn names_that_reverse_or_hide_text_are_refused() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    create_user(&db, "maker@example.com", true).await;
    let mut b = sign_in(&app, "maker@example.com").await;
    b.open("/o").await;
    // Shown as "Support Desk" in an invitation, whatever the letters really say.
    for name in [
        "Support \u{202E}kseD",
        "Pay\u{2066}Pal\u{2069}",
        "Acme\u{200F}",
    ] {
        assert_eq!(
            b.err(create(name)).await,
            AppError::invalid(
                "name",
                "Names cannot contain invisible or text-direction characters."
            ),
            "{name:?}"
        );
    }
}
