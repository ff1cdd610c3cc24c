//! Commitments 6 and 7: tenant isolation in the database itself, and the roles matrix on every
//! server function, walked from the registry so new functions are covered without new tests.

use std::collections::BTreeMap;

use crate::support::{
    browser::Browser,
    orgs::{
        email_of, probe_browser, role_user, sign_in, tenant_tx, Fixture, A_SLUG, B_SLUG, PASSWORD,
    },
    TestApp, TestDb,
};
use app::{
    error::AppError,
    org::functions::{ListMembers, RemoveMember},
    roles::{Permission, Role},
};
use reqwest::StatusCode;
use sqlx::{Connection, PgConnection, PgPool, Row};
use uuid::Uuid;

fn leaks_b(body: &str, f: &Fixture) -> bool {
    let body = body.to_lowercase();
    body.contains("bravo")
        || body.contains(&f.b.to_string())
        || body.contains(&f.users["b-member"].to_string())
        || body.contains(&f.invitation_b.to_string())
}

/// The walk sends every field both by its own name and nested as `form[name]`, the way a
/// function that takes one form struct receives it; each function reads what it declares.
async fn call_any(
    b: &mut Browser<'_>,
    path: &str,
    fields: &[(&'static str, String)],
) -> (StatusCode, String) {
    let nested: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (format!("form[{k}]"), v.clone()))
        .collect();
    let all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(nested.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .collect();
    b.call(path.trim_start_matches("/api/"), &all).await
}

#[tokio::test]
async fn every_server_function_allows_exactly_what_the_roles_matrix_says_and_never_crosses_tenants()
{
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut browsers = BTreeMap::new();
    for role in Role::ALL {
        browsers.insert(role, sign_in(&app, email_of(role_user(role))).await);
    }

    let mut member_functions = 0;
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        // What does the function declare? Ask as a user of no organisation, signed in afresh
        // each time: account functions may sign out or even delete the one who asks.
        let mut probe = probe_browser(&app, &db).await;
        let mut fields = f.fields(A_SLUG, f.a);
        fields.extend([
            ("id", "others".to_string()),
            ("new_email", "probe-new@example.com".into()),
            ("current_password", PASSWORD.into()),
            ("new_password", "another tangerine lighthouse".into()),
        ]);
        call_any(&mut probe, path, &fields).await;
        assert!(!probe.last_undeclared, "{path} does not declare its access");
        let declared = probe.last_access.clone().expect("x-access header");
        let Some(permission) = declared.strip_prefix("member:") else {
            assert!(
                declared == "public" || declared == "signed_in",
                "{path} declared {declared}"
            );
            continue;
        };
        member_functions += 1;
        let permission = Permission::parse(permission).expect("a permission of the matrix");

        // Every role of A, on A's objects: allowed exactly as the matrix says.
        for role in Role::ALL.into_iter().rev() {
            f.reset(&db).await;
            let b = browsers.get_mut(&role).unwrap();
            let (status, body) = call_any(b, path, &f.fields(A_SLUG, f.a)).await;
            if role.allows(permission) {
                assert!(
                    !matches!(
                        status,
                        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED
                    ) && !status.is_server_error(),
                    "{path} as {role:?} must be allowed: {status} {body}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{path} as {role:?} must be refused: {body}"
                );
                assert!(body.contains("does not allow"), "a clear message: {body}");
            }
        }

        // A's Owner on B: by B's slug, and by B's object ids under A's slug.
        f.reset(&db).await;
        let before = f.snapshot_b(&db).await;
        let owner = browsers.get_mut(&Role::Owner).unwrap();
        let (status, body) = call_any(owner, path, &f.fields(B_SLUG, f.b)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path} on B's slug: {body}");
        assert!(!leaks_b(&body, &f), "{path} leaked B: {body}");
        let mut cross = f.fields(A_SLUG, f.b);
        // Renaming A to B's slug is refused as taken, not by leaking anything.
        cross.retain(|(k, _)| *k != "new_slug");
        cross.push(("new_slug", "alpha-cafes".into()));
        let (status, body) = call_any(owner, path, &cross).await;
        assert!(
            // Not found; or a rule or a field of A's own refused it; or it worked on A alone.
            matches!(
                status,
                StatusCode::NOT_FOUND | StatusCode::CONFLICT | StatusCode::BAD_REQUEST
            ) || status.is_success()
                || status.is_redirection(),
            "{path} with B's ids: {status} {body}"
        );
        assert!(!leaks_b(&body, &f), "{path} leaked B: {body}");
        assert_eq!(f.snapshot_b(&db).await, before, "{path} changed B");
    }
    assert!(
        member_functions >= 14,
        "the organisation functions are in the registry ({member_functions})"
    );
}

#[tokio::test]
async fn refusals_are_audited_and_other_tenants_objects_are_not_found() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let remove = |slug: &str, user: &str| RemoveMember {
        slug: slug.into(),
        user_id: f.users[user].to_string(),
    };
    let mut viewer = sign_in(&app, email_of("a-viewer")).await;
    assert_eq!(
        viewer.err(remove(A_SLUG, "a-target")).await,
        AppError::Forbidden(
            "Your role (Viewer) does not allow you to invite members or change their roles.".into()
        )
    );
    let denied: i64 = sqlx::query_scalar(
        "select count(*) from org_audit_events where org_id = $1 and action = 'access.denied' and actor_user_id = $2",
    )
    .bind(f.a)
    .bind(f.users["a-viewer"])
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(denied, 1);

    let mut owner = sign_in(&app, email_of("a-owner")).await;
    let b_members = ListMembers {
        slug: B_SLUG.into(),
    };
    assert_eq!(owner.err(b_members).await, AppError::NotFound);
    assert_eq!(
        owner.err(remove(A_SLUG, "b-member")).await,
        AppError::NotFound
    );
    let not_found: i64 = sqlx::query_scalar(
        "select (select count(*) from audit_events where action = 'access.not_found' and actor_user_id = $1)
              + (select count(*) from org_audit_events where org_id = $2 and action = 'access.not_found')",
    )
    .bind(f.users["a-owner"])
    .bind(f.a)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(not_found, 2, "both probes are on record");
    let b_log: i64 = sqlx::query_scalar("select count(*) from org_audit_events where org_id = $1")
        .bind(f.b)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(b_log, 1, "nothing about A's probing lands in B's log");
}

/// The tables that belong to an organisation: every table with an `org_id` column.
async fn tenant_tables(db: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "select c.table_name::text from information_schema.columns c
         join information_schema.tables t using (table_schema, table_name)
         where c.table_schema = 'public' and c.column_name = 'org_id' and t.table_type = 'BASE TABLE'
         order by 1",
    )
    .fetch_all(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn every_tenant_table_is_keyed_by_org_id_and_forces_row_level_security() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let tables = tenant_tables(&db).await;
    assert!(tables.len() >= 5, "{tables:?}");
    for table in tables {
        let row = sqlx::query(
            "select c.relrowsecurity, c.relforcerowsecurity,
                    exists (select 1 from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
                            where i.indrelid = c.oid and a.attname = 'org_id') as led,
                    (select attnotnull from pg_attribute where attrelid = c.oid and attname = 'org_id') as not_null,
                    exists (select 1 from pg_policies p where p.tablename = c.relname and p.policyname = 'tenant') as policy
             from pg_class c where c.relname = $1 and c.relnamespace = 'public'::regnamespace",
        )
        .bind(&table)
        .fetch_one(&db)
        .await
        .unwrap();
        for column in [
            "relrowsecurity",
            "relforcerowsecurity",
            "led",
            "not_null",
            "policy",
        ] {
            assert!(row.get::<bool, _>(column), "{table}: {column}");
        }
    }
}

#[tokio::test]
async fn the_application_role_sees_only_the_current_tenant_and_cannot_switch_isolation_off() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut conn = PgConnection::connect(&app.db.app_url).await.unwrap();
    let role: (String, bool, bool) =
        sqlx::query_as("select current_user::text, rolsuper, rolbypassrls from pg_roles where rolname = current_user")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(role, ("ops_app".into(), false, false));

    for table in tenant_tables(&db).await {
        let everything = format!("select org_id from {table}");
        // No tenant set: nothing at all.
        let rows: Vec<Uuid> = sqlx::query_scalar(&everything)
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert!(rows.is_empty(), "{table} without a tenant: {rows:?}");
        // A tenant set: that tenant's rows only, though the query forgets to filter.
        for org in [f.a, f.b] {
            let mut tx = tenant_tx(&mut conn, org).await;
            let rows: Vec<Uuid> = sqlx::query_scalar(&everything)
                .fetch_all(&mut *tx)
                .await
                .unwrap();
            tx.rollback().await.unwrap();
            assert!(!rows.is_empty(), "{table} has rows for each tenant");
            assert!(
                rows.iter().all(|r| *r == org),
                "{table} leaked another tenant"
            );
        }
        // The setting is transaction-local: gone after the transaction.
        let rows: Vec<Uuid> = sqlx::query_scalar(&everything)
            .fetch_all(&mut conn)
            .await
            .unwrap();
        assert!(rows.is_empty(), "{table} after the transaction");

        // Writing into another tenant is refused too.
        let mut tx = tenant_tx(&mut conn, f.a).await;
        let moved = sqlx::query(&format!(
            "update {table} set org_id = org_id where org_id = $1"
        ))
        .bind(f.b)
        .execute(&mut *tx)
        .await
        .map(|r| r.rows_affected())
        .unwrap_or(0);
        tx.rollback().await.unwrap();
        assert_eq!(moved, 0, "{table}: B's rows cannot be touched from A");

        for attempt in [
            format!("alter table {table} disable row level security"),
            format!("alter table {table} no force row level security"),
            format!("drop policy tenant on {table}"),
            format!("create policy open on {table} using (true)"),
            format!("alter policy tenant on {table} using (true)"),
        ] {
            let refused = sqlx::query(&attempt).execute(&mut conn).await;
            assert!(refused.is_err(), "the application role may not: {attempt}");
        }
    }
    for attempt in [
        "set role ops_owner",
        "set session authorization ops_owner",
        "alter role ops_app bypassrls",
        "update org_audit_events set summary = 'rewritten'",
        "delete from org_audit_events",
        "update audit_events set action = 'rewritten'",
        "delete from audit_events",
        "truncate org_audit_events",
    ] {
        let refused = sqlx::query(attempt).execute(&mut conn).await;
        assert!(refused.is_err(), "the application role may not: {attempt}");
    }
}

#[tokio::test]
async fn the_server_refuses_to_run_as_a_role_that_could_bypass_isolation() {
    let db = TestDb::create().await;
    for (url, who) in [(&db.url, "a superuser"), (&db.owner_url, "the owner")] {
        let vars: std::collections::HashMap<&str, &str> = [
            ("DATABASE_URL", url.as_str()),
            ("OPS_MIGRATION_DATABASE_URL", db.owner_url.as_str()),
            ("OPS_BIND", "127.0.0.1:0"),
        ]
        .into_iter()
        .collect();
        let config =
            server::config::Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
        let refused = server::startup::Application::build(config).await;
        assert!(
            matches!(refused, Err(server::startup::StartupError::UnsafeRole(_))),
            "a connection as {who} is refused"
        );
    }
}
