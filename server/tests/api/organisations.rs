//! The membership rules beyond the matrix's rows: exactly one Owner, nobody granting above their
//! own role, invitations that are single-use, expire and need the invited address, and deletion.

use crate::support::{
    orgs::{call, create_user, email_of, sign_in, tenant_tx, Fixture, A_SLUG, PASSWORD},
    TestApp,
};
use reqwest::StatusCode;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

async fn role_of(db: &PgPool, org: Uuid, user: Uuid) -> Option<String> {
    sqlx::query_scalar("select role from memberships where org_id = $1 and user_id = $2")
        .bind(org)
        .bind(user)
        .fetch_optional(db)
        .await
        .unwrap()
}

fn with(fields: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    fields.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

fn ok(status: StatusCode) -> bool {
    status.is_success() || status.is_redirection()
}

#[tokio::test]
async fn nobody_grants_above_their_role_and_there_is_always_exactly_one_owner() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let target = f.users["a-target"].to_string();
    let admin_id = f.users["a-admin"].to_string();
    let owner_id = f.users["a-owner"].to_string();
    let mut admin = sign_in(&app, email_of("a-admin")).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;

    // An Admin manages Managers and Viewers, but not Admins, and cannot make one.
    let (status, body) = call(
        &mut admin,
        "org/change_role",
        &with(&[
            ("slug", A_SLUG),
            ("form[user_id]", &target),
            ("form[role]", "admin"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body.contains("grant, revoke or remove the Admin role"),
        "{body}"
    );
    let (status, _) = call(
        &mut admin,
        "org/change_role",
        &with(&[
            ("slug", A_SLUG),
            ("form[user_id]", &target),
            ("form[role]", "manager"),
        ]),
    )
    .await;
    assert!(ok(status));
    assert_eq!(
        role_of(&db, f.a, f.users["a-target"]).await.as_deref(),
        Some("manager")
    );
    let (status, _) = call(
        &mut owner,
        "org/change_role",
        &with(&[
            ("slug", A_SLUG),
            ("form[user_id]", &target),
            ("form[role]", "admin"),
        ]),
    )
    .await;
    assert!(ok(status), "the Owner grants Admin");
    for endpoint in ["org/change_role", "org/remove_member"] {
        // Each function reads its own fields: a change of role takes a form, a removal does not.
        let (status, body) = call(
            &mut admin,
            endpoint,
            &with(&[
                ("slug", A_SLUG),
                ("user_id", &target),
                ("form[user_id]", &target),
                ("form[role]", "viewer"),
            ]),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "{endpoint} on an Admin: {body}"
        );
    }
    let (status, body) = call(
        &mut admin,
        "org/invite",
        &with(&[
            ("slug", A_SLUG),
            ("form[email]", "new@example.com"),
            ("form[role]", "admin"),
        ]),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an Admin cannot invite an Admin: {body}"
    );

    // Ownership only moves by transfer; the Owner neither leaves nor is changed or removed.
    let (status, body) = call(
        &mut owner,
        "org/change_role",
        &with(&[
            ("slug", A_SLUG),
            ("form[user_id]", &target),
            ("form[role]", "owner"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = call(
        &mut admin,
        "org/change_role",
        &with(&[
            ("slug", A_SLUG),
            ("form[user_id]", &owner_id),
            ("form[role]", "viewer"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, body) = call(
        &mut owner,
        "org/change_role",
        &with(&[
            ("slug", A_SLUG),
            ("form[user_id]", &owner_id),
            ("form[role]", "admin"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "not on oneself: {body}");
    let (status, body) = call(&mut owner, "org/leave", &with(&[("slug", A_SLUG)])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body.contains("Transfer ownership"), "{body}");

    let (status, _) = call(
        &mut owner,
        "org/transfer",
        &with(&[("slug", A_SLUG), ("user_id", &admin_id)]),
    )
    .await;
    assert!(ok(status));
    assert_eq!(
        role_of(&db, f.a, f.users["a-admin"]).await.as_deref(),
        Some("owner")
    );
    assert_eq!(
        role_of(&db, f.a, f.users["a-owner"]).await.as_deref(),
        Some("admin")
    );
    let owners: i64 =
        sqlx::query_scalar("select count(*) from memberships where org_id = $1 and role = 'owner'")
            .bind(f.a)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(owners, 1);
    // The former Owner, now an Admin, can leave.
    let (status, _) = call(&mut owner, "org/leave", &with(&[("slug", A_SLUG)])).await;
    assert!(ok(status));
    assert_eq!(role_of(&db, f.a, f.users["a-owner"]).await, None);

    // The database holds the line even against the application's own SQL.
    let mut conn = PgConnection::connect(&app.db.app_url).await.unwrap();
    let mut tx = tenant_tx(&mut conn, f.a).await;
    sqlx::query("update memberships set role = 'admin' where org_id = $1 and role = 'owner'")
        .bind(f.a)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert!(
        tx.commit().await.is_err(),
        "an organisation without an Owner cannot commit"
    );
    let mut tx = tenant_tx(&mut conn, f.a).await;
    let second =
        sqlx::query("update memberships set role = 'owner' where org_id = $1 and user_id = $2")
            .bind(f.a)
            .bind(f.users["a-manager"])
            .execute(&mut *tx)
            .await;
    assert!(second.is_err(), "a second Owner is refused");
}

async fn invitation_token(db: &PgPool, email: &str) -> String {
    let body: String = sqlx::query_scalar(
        "select text_body from email_outbox where lower(to_address) = lower($1) order by email_id desc limit 1",
    )
    .bind(email)
    .fetch_one(db)
    .await
    .unwrap();
    let start = body.find("/invite/").expect("an invitation link") + "/invite/".len();
    body[start..].split_whitespace().next().unwrap().to_string()
}

#[tokio::test]
async fn invitations_are_single_use_expire_and_need_the_invited_address() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let invite = |email: &str| {
        with(&[
            ("slug", A_SLUG),
            ("form[email]", email),
            ("form[role]", "manager"),
        ])
    };

    let (status, body) = call(&mut owner, "org/invite", &invite("Newbie@Example.com")).await;
    assert!(ok(status), "{body}");
    let (status, body) = call(&mut owner, "org/invite", &invite("newbie@example.com")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "one pending invitation per address: {body}"
    );
    let (status, body) = call(&mut owner, "org/invite", &invite(email_of("a-viewer"))).await;
    assert!(
        body.contains("already a member") && status == StatusCode::BAD_REQUEST,
        "{body}"
    );
    let first = invitation_token(&db, "newbie@example.com").await;
    let stored: i64 = sqlx::query_scalar("select count(*) from invitations where convert_to($1, 'UTF8') = token_hash or position(convert_to($1, 'UTF8') in token_hash) > 0")
        .bind(&first)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored, 0, "only a hash of the token is kept");

    // Resending makes a new link; the old one stops working.
    let id: Uuid = sqlx::query_scalar(
        "select invitation_id from invitations where email = 'newbie@example.com'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let (status, _) = call(
        &mut owner,
        "org/resend_invitation",
        &with(&[("slug", A_SLUG), ("invitation_id", &id.to_string())]),
    )
    .await;
    assert!(ok(status));
    let token = invitation_token(&db, "newbie@example.com").await;
    assert_ne!(token, first);
    let (status, _) = call(&mut owner, "org/invitation", &with(&[("token", &first)])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the old link is dead");
    let (status, body) = call(&mut owner, "org/invitation", &with(&[("token", &token)])).await;
    assert!(
        ok(status) && body.contains("Alpha Cafés") && body.contains("Manager"),
        "{body}"
    );

    // Someone signed in with another address cannot use it.
    let mut other = sign_in(&app, email_of("b-member")).await;
    let (status, body) = call(&mut other, "org/accept", &with(&[("token", &token)])).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("This invitation is for Newbie@Example.com"),
        "{body}"
    );

    // The invited address, not yet confirmed: accepting joins and confirms it, once.
    let newbie = create_user(&db, "newbie@example.com", false).await;
    let mut b = sign_in(&app, "newbie@example.com").await;
    let (status, body) = call(&mut b, "org/accept", &with(&[("token", &token)])).await;
    assert!(ok(status), "{body}");
    assert_eq!(role_of(&db, f.a, newbie).await.as_deref(), Some("manager"));
    let verified: bool =
        sqlx::query_scalar("select email_verified_at is not null from users where user_id = $1")
            .bind(newbie)
            .fetch_one(&db)
            .await
            .unwrap();
    assert!(verified);
    let (status, _) = call(&mut b, "org/accept", &with(&[("token", &token)])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "single use");

    // Revoked and expired invitations are dead links.
    call(&mut owner, "org/invite", &invite("revoked@example.com")).await;
    let revoked = invitation_token(&db, "revoked@example.com").await;
    let id: Uuid = sqlx::query_scalar(
        "select invitation_id from invitations where email = 'revoked@example.com'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let (status, _) = call(
        &mut owner,
        "org/revoke_invitation",
        &with(&[("slug", A_SLUG), ("invitation_id", &id.to_string())]),
    )
    .await;
    assert!(ok(status));
    call(&mut owner, "org/invite", &invite("late@example.com")).await;
    let late = invitation_token(&db, "late@example.com").await;
    sqlx::query("update invitations set expires_at = now() - interval '1 second' where email = 'late@example.com'")
        .execute(&db)
        .await
        .unwrap();
    for dead in [revoked, late] {
        let (status, _) = call(&mut owner, "org/invitation", &with(&[("token", &dead)])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
    let expires_in_days: f64 = sqlx::query_scalar(
        "select (extract(epoch from expires_at - sent_at) / 86400)::float8 from invitations where email = 'newbie@example.com'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!((expires_in_days - 7.0).abs() < 0.01, "{expires_in_days}");
}

/// Rows of organisation `org` in every tenant table.
async fn rows_of(db: &PgPool, org: Uuid) -> i64 {
    let tables: Vec<String> = sqlx::query_scalar(
        "select table_name::text from information_schema.columns
         where table_schema = 'public' and column_name = 'org_id'",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let mut total = 0;
    for table in tables {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table} where org_id = $1"))
            .bind(org)
            .fetch_one(db)
            .await
            .unwrap();
        total += n;
    }
    total
}

#[tokio::test]
async fn deleting_an_organisation_removes_its_data_and_the_account_log_keeps_a_record() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let before = rows_of(&db, f.a).await;
    let (status, body) = call(
        &mut owner,
        "org/delete",
        &with(&[("slug", A_SLUG), ("confirm", "alpha")]),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        rows_of(&db, f.a).await,
        before,
        "a wrong confirmation changes nothing"
    );
    let (status, _) = call(
        &mut owner,
        "org/delete",
        &with(&[("slug", A_SLUG), ("confirm", A_SLUG)]),
    )
    .await;
    assert!(ok(status));
    assert_eq!(rows_of(&db, f.a).await, 0);
    assert!(rows_of(&db, f.b).await > 0, "B is untouched");
    let recorded: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'organisation.deleted' and details->>'slug' = $1",
    )
    .bind(A_SLUG)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(recorded, 1);
}

#[tokio::test]
async fn an_owner_must_hand_over_before_deleting_their_account() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let (status, body) = call(
        &mut owner,
        "auth/delete_account",
        &with(&[("password", PASSWORD)]),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.contains("Transfer ownership or delete the organisation first"),
        "{body}"
    );
    assert!(role_of(&db, f.a, f.users["a-owner"]).await.is_some());

    // A member's account goes, and the organisation's log says so.
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    let (status, _) = call(
        &mut viewer,
        "auth/delete_account",
        &with(&[("password", PASSWORD)]),
    )
    .await;
    assert!(ok(status));
    let left: i64 = sqlx::query_scalar(
        "select count(*) from org_audit_events where org_id = $1 and action = 'member.left' and actor_email = $2",
    )
    .bind(f.a)
    .bind(email_of("a-viewer"))
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        left, 1,
        "the entry keeps the actor's address after the account is gone"
    );

    // An Owner alone in their organisation takes it with them.
    sqlx::query("delete from memberships where org_id = $1 and role <> 'owner'")
        .bind(f.b)
        .execute(&db)
        .await
        .unwrap();
    let mut b_owner = sign_in(&app, email_of("b-owner")).await;
    let (status, body) = call(
        &mut b_owner,
        "auth/delete_account",
        &with(&[("password", PASSWORD)]),
    )
    .await;
    assert!(ok(status), "{body}");
    assert_eq!(rows_of(&db, f.b).await, 0);
}
