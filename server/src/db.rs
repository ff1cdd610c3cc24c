//! The database: a connection pool, the migrations, and the readiness check.

use secrecy::ExposeSecret;
use sqlx::{migrate::Migrator, postgres::PgPoolOptions, Connection, PgConnection, PgPool};

use crate::config::DatabaseConfig;

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Opens the pool without connecting: the server starts even while the database is still coming
/// up, and `/readyz` says when it is usable. Every connection is checked as it opens, so the
/// application never runs a query as a role that could get around row-level security, whenever
/// and however that role came to be unsafe.
pub fn pool(config: &DatabaseConfig) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout)
        // No round trip to test a connection before each use: the pool already tests each one
        // as it is returned (a broken one is closed then), and a connection that broke while
        // idle fails its first statement, which is answered 503 like any outage.
        .test_before_acquire(false)
        .after_connect(|conn, _meta| {
            Box::pin(async move {
                check_role(conn).await.map_err(|e| match e {
                    UnsafeRole::Database(e) => e,
                    unsafe_role => {
                        tracing::error!(error = %unsafe_role, "refusing a database connection");
                        sqlx::Error::Configuration(Box::new(unsafe_role))
                    }
                })
            })
        })
        .connect_lazy(config.url.expose_secret())
}

/// Applies pending migrations over the owner's connection, when one is configured.
pub async fn migrate(config: &DatabaseConfig) -> Result<bool, sqlx::migrate::MigrateError> {
    let Some(url) = &config.migration_url else {
        return Ok(false);
    };
    let owner = PgPoolOptions::new()
        .max_connections(1)
        .connect(url.expose_secret())
        .await?;
    MIGRATOR.run(&owner).await?;
    owner.close().await;
    Ok(true)
}

/// What the application's database role must not be able to do.
#[derive(Debug, thiserror::Error)]
pub enum UnsafeRole {
    #[error("the application's database role {0} is a superuser, can bypass row-level security or can create roles")]
    Privileged(String),
    #[error("the application's database role {role} owns, or is a member of a role that owns, {what}, so it could change them or switch row-level security off")]
    Owns { role: String, what: &'static str },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Tenant isolation rests on the application's role being unable to get around row-level
/// security, so the server refuses to run as a role that could: a superuser, a role with
/// `BYPASSRLS`, one that can create roles (and so grant itself the owner's), or one that owns,
/// directly or through membership, any of the schema's tables, functions or schemas (an owner
/// may `ALTER TABLE … NO FORCE ROW LEVEL SECURITY` or replace a function the policies call).
pub async fn check_role(conn: &mut PgConnection) -> Result<(), UnsafeRole> {
    let role = sqlx::query!(
        r#"select current_user as "name!",
                  r.rolsuper or r.rolbypassrls or r.rolcreaterole as "privileged!",
                  exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                          where n.nspname not in ('pg_catalog', 'information_schema')
                            and n.nspname not like 'pg\_toast%'
                            and pg_has_role(current_user, c.relowner, 'MEMBER')) as "tables!",
                  exists (select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                          where n.nspname not in ('pg_catalog', 'information_schema')
                            and pg_has_role(current_user, p.proowner, 'MEMBER')) as "functions!",
                  exists (select 1 from pg_namespace n
                          where n.nspname not in ('pg_catalog', 'information_schema')
                            and n.nspname not like 'pg\_%'
                            and pg_has_role(current_user, n.nspowner, 'MEMBER')) as "schemas!"
           from pg_roles r where r.rolname = current_user"#
    )
    .fetch_one(conn)
    .await?;
    if role.privileged {
        return Err(UnsafeRole::Privileged(role.name));
    }
    let owned = [
        (role.tables, "tables"),
        (role.functions, "functions"),
        (role.schemas, "schemas"),
    ];
    match owned.into_iter().find(|(owns, _)| *owns) {
        Some((_, what)) => Err(UnsafeRole::Owns {
            role: role.name,
            what,
        }),
        None => Ok(()),
    }
}

/// [`check_role`] on a connection of the pool (which checks each new connection as it opens,
/// but a connection opened before a role was changed is checked again here).
pub async fn check_app_role(pool: &PgPool) -> Result<(), UnsafeRole> {
    let mut conn = pool.acquire().await?;
    check_role(&mut conn).await
}

/// [`check_role`] once at start-up, on a connection of its own so that an unsafe role is named
/// as such. A database that does not answer yet is only logged: the pool checks every
/// connection as it opens, so nothing is served as an unsafe role either way.
pub async fn check_role_at_startup(config: &DatabaseConfig) -> Result<(), UnsafeRole> {
    match PgConnection::connect(config.url.expose_secret()).await {
        Ok(mut conn) => {
            let checked = check_role(&mut conn).await;
            let _ = conn.close().await;
            checked
        }
        Err(e) => {
            tracing::warn!(error = %e, "the database does not answer yet; each connection will be checked as it opens");
            Ok(())
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("database unreachable")]
    Unreachable(#[from] sqlx::Error),
    #[error("{0} migration(s) not applied")]
    PendingMigrations(usize),
    #[error(transparent)]
    UnsafeRole(#[from] UnsafeRole),
}

/// Ready means: the database answers, every migration this build knows has been applied, and
/// the application's role cannot bypass tenant isolation.
pub async fn check_ready(pool: &PgPool) -> Result<(), NotReady> {
    check_app_role(pool).await?;
    let applied: Vec<i64> =
        sqlx::query_scalar!("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await?;
    let pending = MIGRATOR
        .iter()
        .filter(|m| {
            m.migration_type.is_up_migration() && applied.binary_search(&m.version).is_err()
        })
        .count();
    match pending {
        0 => Ok(()),
        n => Err(NotReady::PendingMigrations(n)),
    }
}
