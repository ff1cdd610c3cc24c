//! The database: a connection pool, the migrations, and the readiness check.

use secrecy::ExposeSecret;
use sqlx::{migrate::Migrator, postgres::PgPoolOptions, PgPool};

use crate::config::DatabaseConfig;

pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Opens the pool without connecting: the server starts even while the database is still coming
/// up, and `/readyz` says when it is usable.
pub fn pool(config: &DatabaseConfig) -> Result<PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(std::time::Duration::from_secs(5))
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
    #[error("the application's database role {0} is a superuser or can bypass row-level security")]
    Privileged(String),
    #[error("the application's database role {0} owns tables, so it could switch their row-level security off")]
    OwnsTables(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Tenant isolation rests on the application's role being unable to get around row-level
/// security, so the server refuses to run as a role that could.
pub async fn check_app_role(pool: &PgPool) -> Result<(), UnsafeRole> {
    let role = sqlx::query!(
        r#"select current_user as "name!", rolsuper as "superuser!", rolbypassrls as "bypass!",
                  exists (select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace
                          where c.relowner = r.oid and c.relkind = 'r'
                            and n.nspname not in ('pg_catalog', 'information_schema')) as "owns!"
           from pg_roles r where rolname = current_user"#
    )
    .fetch_one(pool)
    .await?;
    if role.superuser || role.bypass {
        return Err(UnsafeRole::Privileged(role.name));
    }
    if role.owns {
        return Err(UnsafeRole::OwnsTables(role.name));
    }
    Ok(())
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
