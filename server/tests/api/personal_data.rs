//! Personal data under row-level security: accounts, sign-ins, email links and two-factor rows
//! show the application role only the user a transaction acts for (and, for accounts, the
//! members of its current organisation); the account log is append-only and unreadable to it;
//! the email outbox is readable only by its deliverer. Every check runs as the application role,
//! with queries that "forget" their filter.

use std::collections::BTreeSet;

use crate::support::{
    orgs::{email_of, sign_in, Fixture},
    TestApp,
};
use sqlx::{Connection, PgConnection, PgPool, Row};
use uuid::Uuid;

/// Tables holding one user's rows, each with a `user_id` column.
const PER_USER: [&str; 5] = [
    "users",
    "user_sessions",
    "email_tokens",
    "user_two_factor",
    "two_factor_recovery_codes",
];

/// A transaction on `conn` acting for `user`, optionally in organisation `org`.
async fn acting_for(
    conn: &mut PgConnection,
    user: Uuid,
    org: Option<Uuid>,
) -> sqlx::Transaction<'_, sqlx::Postgres> {
    let mut tx = conn.begin().await.unwrap();
    sqlx::query("select set_config('app.user_id', $1, true), set_config('app.org_id', $2, true)")
        .bind(user.to_string())
        .bind(org.map(|o| o.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

async fn user_ids<'c>(conn: impl sqlx::PgExecutor<'c>, table: &str) -> BTreeSet<Uuid> {
    sqlx::query_scalar(&format!("select user_id from {table}"))
        .fetch_all(conn)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// Gives `user` rows in every per-user table: a sign-in, an email link, two-factor and a
/// recovery code (written as the database's administrator).
async fn give_rows(app: &TestApp, db: &PgPool, email: &str, user: Uuid) {
    sign_in(app, email).await;
    sqlx::query(
        "insert into email_tokens (token_hash, user_id, purpose, expires_at)
         values (sha256(gen_random_uuid()::text::bytea), $1, 'reset_password', now() + interval '1 hour')",
    )
    .bind(user)
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "insert into user_two_factor (user_id, secret_nonce, secret_ciphertext, enabled_at)
         values ($1, substring(sha256('n'::bytea) from 1 for 24), 'sealed'::bytea, now())",
    )
    .bind(user)
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "insert into two_factor_recovery_codes (user_id, code_hash) values ($1, sha256($1::text::bytea))",
    )
    .bind(user)
    .execute(db)
    .await
    .unwrap();
}

async fn queued_emails(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar("select count(*) from email_outbox")
        .fetch_one(conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_application_role_sees_only_the_user_it_acts_for() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let (manager, outsider) = (f.users["a-manager"], f.users["b-member"]);
    for (key, user) in [("a-manager", manager), ("b-member", outsider)] {
        give_rows(&app, &db, email_of(key), user).await;
    }
    let mut conn = PgConnection::connect(&app.db.app_url).await.unwrap();

    for table in PER_USER {
        let (rls, forced): (bool, bool) = sqlx::query_as(
            "select relrowsecurity, relforcerowsecurity from pg_class
             where relname = $1 and relnamespace = 'public'::regnamespace",
        )
        .bind(table)
        .fetch_one(&db)
        .await
        .unwrap();
        assert!(rls && forced, "{table} forces row-level security");
        let everyone = user_ids(&db, table).await;
        assert!(
            everyone.contains(&manager) && everyone.contains(&outsider),
            "{table} has rows of both users"
        );

        // Acting for nobody: nothing at all.
        assert!(user_ids(&mut conn, table).await.is_empty(), "{table}");

        // Acting for the manager: the manager's rows only, in or out of an organisation.
        for org in [None, Some(f.a)] {
            let mut tx = acting_for(&mut conn, manager, org).await;
            let seen = user_ids(&mut *tx, table).await;
            tx.rollback().await.unwrap();
            if table == "users" && org.is_some() {
                continue; // Fellow members, checked below.
            }
            assert_eq!(seen, BTreeSet::from([manager]), "{table} in {org:?}");
        }

        // Another user's rows cannot be changed, removed or written, though no filter says so.
        let mut tx = acting_for(&mut conn, manager, Some(f.a)).await;
        let touched = sqlx::query(&format!(
            "update {table} set user_id = user_id where user_id = $1"
        ))
        .bind(outsider)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
        let removed = sqlx::query(&format!("delete from {table} where user_id = $1"))
            .bind(outsider)
            .execute(&mut *tx)
            .await
            .unwrap()
            .rows_affected();
        tx.rollback().await.unwrap();
        assert_eq!((touched, removed), (0, 0), "{table}: the outsider's rows");
        let mut tx = acting_for(&mut conn, manager, None).await;
        let moved = sqlx::query(&format!(
            "update {table} set user_id = $1 where user_id = $2"
        ))
        .bind(outsider)
        .bind(manager)
        .execute(&mut *tx)
        .await;
        tx.rollback().await.unwrap();
        assert!(
            moved.is_err(),
            "{table}: a row cannot be handed to another user"
        );

        for attempt in [
            format!("alter table {table} disable row level security"),
            format!("alter table {table} no force row level security"),
            format!("drop policy own on {table}"),
            format!("create policy open on {table} using (true)"),
        ] {
            let refused = sqlx::query(&attempt).execute(&mut conn).await;
            assert!(refused.is_err(), "the application role may not: {attempt}");
        }
    }

    // An account is visible to the members of the current organisation, and to no one else.
    let members_of_a: BTreeSet<Uuid> =
        sqlx::query_scalar("select user_id from memberships where org_id = $1")
            .bind(f.a)
            .fetch_all(&db)
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert!(members_of_a.len() >= 5 && !members_of_a.contains(&outsider));
    let mut tx = acting_for(&mut conn, manager, Some(f.a)).await;
    let seen = user_ids(&mut *tx, "users").await;
    let renamed = sqlx::query("update users set name = 'renamed' where user_id <> $1")
        .bind(manager)
        .execute(&mut *tx)
        .await
        .unwrap()
        .rows_affected();
    tx.rollback().await.unwrap();
    assert_eq!(seen, members_of_a, "fellow members of A, not B's");
    assert_eq!(renamed, 0, "fellow members' accounts are read-only");

    // No account can be created for someone else.
    let mut tx = acting_for(&mut conn, manager, None).await;
    let forged = sqlx::query(
        "insert into users (user_id, email, name, password_hash) values ($1, 'forged@example.com', 'F', '!')",
    )
    .bind(Uuid::new_v4())
    .execute(&mut *tx)
    .await;
    tx.rollback().await.unwrap();
    assert!(
        forged.is_err(),
        "an account is written only by the transaction acting for it"
    );
}

#[tokio::test]
async fn the_account_log_and_the_outbox_are_write_only_to_the_application() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let manager = f.users["a-manager"];
    // A sign-in writes the account log; an invitation queues an email.
    sign_in(&app, email_of("a-manager")).await;
    sqlx::query("insert into email_outbox (to_address, subject, text_body, html_body) values ('x@example.com', 's', 't', 'h')")
        .execute(&db)
        .await
        .unwrap();
    let (log_rows, queued): (i64, i64) = sqlx::query_as(
        "select (select count(*) from audit_events), (select count(*) from email_outbox)",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(log_rows > 0 && queued > 0);

    let mut conn = PgConnection::connect(&app.db.app_url).await.unwrap();
    let mut tx = acting_for(&mut conn, manager, Some(f.a)).await;
    // The account log: added to, never read, even acting for the user the rows are about.
    sqlx::query("insert into audit_events (actor_user_id, action) values ($1, 'auth.sign_in')")
        .bind(manager)
        .execute(&mut *tx)
        .await
        .unwrap();
    let read = sqlx::query("select count(*) from audit_events")
        .fetch_one(&mut *tx)
        .await;
    assert!(
        read.is_err(),
        "the application may not read the account log"
    );
    tx.rollback().await.unwrap();

    // The outbox: queued by anyone, unseen and untouchable but by the deliverer.
    let mut tx = acting_for(&mut conn, manager, Some(f.a)).await;
    sqlx::query("insert into email_outbox (to_address, subject, text_body, html_body) values ('y@example.com', 's', 't', 'h')")
        .execute(&mut *tx)
        .await
        .unwrap();
    let seen = queued_emails(&mut tx).await;
    let cleared =
        sqlx::query("update email_outbox set text_body = null, html_body = null, sent_at = now()")
            .execute(&mut *tx)
            .await
            .unwrap()
            .rows_affected();
    assert_eq!(
        (seen, cleared),
        (0, 0),
        "only the deliverer reads the outbox"
    );
    sqlx::query("select set_config('app.outbox', 'deliver', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let seen = queued_emails(&mut tx).await;
    tx.rollback().await.unwrap();
    assert_eq!(seen, queued + 1, "the deliverer sees every queued email");
}

#[tokio::test]
async fn the_questions_asked_before_sign_in_answer_only_what_they_are_asked() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let manager = f.users["a-manager"];
    let mut conn = PgConnection::connect(&app.db.app_url).await.unwrap();

    // Which account has an address, whatever its capitals: that one, and only that one.
    let found: Vec<Uuid> = sqlx::query_scalar("select user_id from app_account_by_email($1)")
        .bind(email_of("a-manager").to_uppercase())
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(found, vec![manager]);
    let none: Vec<Uuid> = sqlx::query_scalar("select user_id from app_account_by_email($1)")
        .bind("nobody@example.com")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert!(none.is_empty());

    // A link's token acts for its user once; an unknown or used one acts for nobody.
    sqlx::query(
        "insert into email_tokens (token_hash, user_id, purpose, expires_at)
         values (sha256('the-token'::bytea), $1, 'verify_email', now() + interval '1 hour')",
    )
    .bind(manager)
    .execute(&db)
    .await
    .unwrap();
    for (token, purpose, expect) in [
        ("the-token", "reset_password", None),
        ("not-the-token", "verify_email", None),
        ("the-token", "verify_email", Some(manager)),
        ("the-token", "verify_email", None),
    ] {
        let mut tx = conn.begin().await.unwrap();
        let redeemed: Option<Uuid> =
            sqlx::query_scalar("select user_id from app_redeem_token(sha256($1::bytea), $2)")
                .bind(token.as_bytes())
                .bind(purpose)
                .fetch_optional(&mut *tx)
                .await
                .unwrap();
        let acting: Option<String> =
            sqlx::query_scalar("select nullif(current_setting('app.user_id', true), '')")
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(redeemed, expect, "{token} for {purpose}");
        assert_eq!(acting, expect.map(|u| u.to_string()), "{token} acts for");
    }

    // A sign-in check for one user touches no one else's sign-in.
    let b = sign_in(&app, email_of("b-member")).await;
    drop(b);
    let outsider_session: Uuid =
        sqlx::query_scalar("select user_session_id from user_sessions where user_id = $1")
            .bind(f.users["b-member"])
            .fetch_one(&db)
            .await
            .unwrap();
    let alive: Option<bool> = sqlx::query_scalar("select app_session_alive($1, $2, 3600, null)")
        .bind(outsider_session)
        .bind(manager)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(alive, None, "not the manager's sign-in");
    let still_there: i64 =
        sqlx::query_scalar("select count(*) from user_sessions where user_session_id = $1")
            .bind(outsider_session)
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(still_there, 1, "another user's sign-in is left alone");
    let row = sqlx::query("select app_session_alive($1, $2, 3600, null) as alive")
        .bind(outsider_session)
        .bind(f.users["b-member"])
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        row.get::<Option<bool>, _>("alive"),
        Some(false),
        "its own user's"
    );
}
