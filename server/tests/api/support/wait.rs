//! Waiting for what background work does, and searching the whole database for a value.

use std::time::{Duration, Instant};

use sqlx::PgPool;

/// Waits until `done` says so, for up to 30 seconds.
pub async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Queues a job of `kind` with `payload` as its schedule or a request would (an organisation's
/// in a transaction working for it), and waits until every job of that kind is done.
pub async fn run_job(db: &PgPool, kind: &str, org: Option<uuid::Uuid>, payload: serde_json::Value) {
    let mut tx = db.begin().await.unwrap();
    if let Some(org) = org {
        sqlx::query("select set_config('app.org_id', $1, true)")
            .bind(org.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    sqlx::query("select app_enqueue_job($1, $2, $3, null, 10, null)")
        .bind(kind)
        .bind(org)
        .bind(payload)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    wait_for(kind, async || {
        sqlx::query_scalar::<_, bool>(
            "select coalesce(bool_and(state = 'done'), false) from jobs where kind = $1",
        )
        .bind(kind)
        .fetch_one(db)
        .await
        .unwrap()
    })
    .await;
}

/// Every column of every table of ours (sessions included) whose text, JSON, array or bytes
/// hold `needle`, as `schema.table.column`, sorted.
pub async fn columns_holding(db: &PgPool, needle: &str) -> Vec<String> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "select table_schema || '.' || table_name, column_name from information_schema.columns
         where table_schema in ('public', 'tower_sessions')
           and data_type in ('text', 'jsonb', 'json', 'character varying', 'ARRAY', 'bytea', 'USER-DEFINED')",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let mut holding = Vec::new();
    for (table, column) in columns {
        let found: bool = sqlx::query_scalar(&format!(
            "select exists (select 1 from {table} where \"{column}\"::text like '%' || $1 || '%')"
        ))
        .bind(needle)
        .fetch_one(db)
        .await
        .unwrap_or(false);
        if found {
            holding.push(format!("{table}.{column}"));
        }
    }
    holding.sort();
    holding
}
