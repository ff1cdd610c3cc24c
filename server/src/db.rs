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

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

#[derive(Debug, thiserror::Error)]
pub enum NotReady {
    #[error("database unreachable")]
    Unreachable(#[from] sqlx::Error),
    #[error("{0} migration(s) not applied")]
    PendingMigrations(usize),
}

/// Ready means: the database answers, and every migration this build knows has been applied.
pub async fn check_ready(pool: &PgPool) -> Result<(), NotReady> {
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
