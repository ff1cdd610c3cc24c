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
        let (status, body) = call_any(&mut probe, path, &fields).await;
        assert!(!probe.last_undeclared, "{path} does not declare its access");
        let declared = probe.last_access.clone().expect("x-access header");
        if declared == "staff" {
            // The operator side, to anyone not staff: as if it were not there.
            assert_eq!(
                status,
                StatusCode::NOT_FOUND,
                "{path} for a non-staff user: {body}"
            );
            for role in Role::ALL {
                let b = browsers.get_mut(&role).unwrap();
                let (status, _) = call_any(b, path, &f.fields(A_SLUG, f.a)).await;
                assert_eq!(status, StatusCode::NOT_FOUND, "{path} as {role:?}");
            }
            continue;
        }
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
            // The job queue also holds work of no organisation (email delivery, clearing away
            // finished jobs); its tenant policy shows an organisation its own jobs only.
            if (table.as_str(), column) == ("jobs", "not_null") {
                continue;
            }
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
async fn an_organisations_data_version_moves_once_per_writing_transaction_and_only_its_own() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let f = Fixture::create(&db).await;
    let mut conn = PgConnection::connect(&app.db.app_url).await.unwrap();
    let version = |org: Uuid| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("select version from org_data_versions where org_id = $1")
                .bind(org)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    let (a, b) = (version(f.a).await, version(f.b).await);

    // Three writes in one transaction, as the application role: one move.
    let mut tx = tenant_tx(&mut conn, f.a).await;
    for title in ["One", "Two"] {
        sqlx::query(
            "insert into issues (org_id, number, title, kind, priority, status)
             values ($1, (select coalesce(max(number), 0) + 1 from issues), $2, 'task', 'normal', 'open')",
        )
        .bind(f.a)
        .bind(title)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    sqlx::query("update businesses set name = name || '.' where org_id = $1")
        .bind(f.a)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(version(f.a).await, a + 1);
    assert_eq!(version(f.b).await, b, "B's data did not move");

    // A member's new name, and a membership's end, change what lists show: both move it.
    let viewer = f.users["a-viewer"];
    sqlx::query("update users set name = name || ' Jr' where user_id = $1")
        .bind(viewer)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(version(f.a).await, a + 2);
    sqlx::query("delete from memberships where org_id = $1 and user_id = $2")
        .bind(f.a)
        .bind(viewer)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(version(f.a).await, a + 3);
    assert_eq!(version(f.b).await, b, "B's data did not move");

    // A rolled-back write leaves no trace, and another tenant's counter is out of reach.
    let mut tx = tenant_tx(&mut conn, f.a).await;
    sqlx::query("delete from issues where org_id = $1")
        .bind(f.a)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(version(f.a).await, a + 3);
    for org in [f.a, f.b] {
        let mut tx = tenant_tx(&mut conn, f.a).await;
        let moved = sqlx::query("update org_data_versions set version = 0 where org_id = $1")
            .bind(org)
            .execute(&mut *tx)
            .await;
        tx.rollback().await.unwrap();
        assert!(
            moved.is_err(),
            "the application cannot move a counter itself"
        );
    }
}

fn config_for(database_url: &str, migration_url: Option<&str>) -> server::config::Config {
    let mut vars = vec![("DATABASE_URL", database_url), ("OPS_BIND", "127.0.0.1:0")];
    vars.extend(migration_url.map(|url| ("OPS_MIGRATION_DATABASE_URL", url)));
    let vars: std::collections::HashMap<&str, &str> = vars.into_iter().collect();
    server::config::Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap()
}

/// The same database as `url`, connected to as `user`.
fn as_user(url: &str, user: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_username(user).unwrap();
    url.set_password(None).unwrap();
    url.to_string()
}

#[tokio::test]
async fn the_server_refuses_to_run_as_a_role_that_could_get_around_isolation() {
    let db = TestDb::create().await;
    // Applies the migrations, so the roles below have something to own.
    let migrated =
        server::startup::Application::build(config_for(&db.app_url, Some(&db.owner_url))).await;
    assert!(migrated.is_ok(), "the application's own role is accepted");
    drop(migrated);

    // Roles are shared by the whole server, so each test makes its own and drops it.
    let admin = PgPool::connect(&db.url).await.unwrap();
    let suffix = format!("{:x}", crate::support::rand_u64());
    let member_of_owner = format!("ops_t_member_{suffix}");
    let function_owner = format!("ops_t_fnowner_{suffix}");
    let role_creator = format!("ops_t_creator_{suffix}");
    for statement in [
        format!("create role {member_of_owner} login in role ops_owner"),
        format!("create role {function_owner} login in role ops_app"),
        format!("alter function app_user_organisations(uuid) owner to {function_owner}"),
        format!("create role {role_creator} login createrole in role ops_app"),
    ] {
        sqlx::query(&statement).execute(&admin).await.unwrap();
    }

    let unsafe_roles = [
        (db.url.clone(), "a superuser"),
        (db.owner_url.clone(), "the owner"),
        (as_user(&db.url, &member_of_owner), "a member of the owner"),
        (as_user(&db.url, &function_owner), "the owner of a function"),
        (
            as_user(&db.url, &role_creator),
            "a role that can create roles",
        ),
    ];
    for (url, who) in &unsafe_roles {
        // Refused with or without a migration connection: the check no longer waits for one.
        for migration_url in [Some(db.owner_url.as_str()), None] {
            let refused = server::startup::Application::build(config_for(url, migration_url)).await;
            assert!(
                matches!(refused, Err(server::startup::StartupError::UnsafeRole(_))),
                "a connection as {who} is refused (migration URL: {})",
                migration_url.is_some()
            );
        }
        // A pool opened while the database was away checks each connection as it opens.
        let pool = server::db::pool(&config_for(url, None).database).unwrap();
        let used = sqlx::query("select 1").execute(&pool).await;
        assert!(used.is_err(), "no query runs on a connection as {who}");
    }
    let pool = server::db::pool(&config_for(&db.app_url, None).database).unwrap();
    sqlx::query("select 1").execute(&pool).await.unwrap();
    pool.close().await;

    for statement in [
        "alter function app_user_organisations(uuid) owner to ops_owner".to_string(),
        format!("drop role {member_of_owner}"),
        format!("drop role {function_owner}"),
        format!("drop role {role_creator}"),
    ] {
        sqlx::query(&statement).execute(&admin).await.unwrap();
    }
}

#[tokio::test]
async fn functions_that_run_with_the_owners_rights_search_pg_temp_last() {
    let app = TestApp::spawn().await;
    let db = PgPool::connect(&app.db.url).await.unwrap();
    let definers: Vec<(String, Option<Vec<String>>)> = sqlx::query_as(
        "select p.oid::regprocedure::text, p.proconfig from pg_proc p
         join pg_namespace n on n.oid = p.pronamespace
         where p.prosecdef and n.nspname = 'public'",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(
        !definers.is_empty(),
        "the narrow cross-tenant functions exist"
    );
    for (function, config) in definers {
        let search_path = config
            .unwrap_or_default()
            .into_iter()
            .find_map(|c| c.strip_prefix("search_path=").map(str::to_string));
        assert_eq!(
            search_path.as_deref(),
            Some("pg_catalog, public, pg_temp"),
            "{function}"
        );
    }
}
