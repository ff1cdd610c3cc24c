//! Retention: once a day, customer conversations, audit entries and the AI record older than
//! their configured ages (`app::site::Retention`, stated on the privacy notice) are deleted, in
//! one transaction with the job's completion, by the one database function allowed to
//! (`app_expire_records`).

use std::time::Duration;

use app::{jobs::Job, site::Retention};
use serde::{Deserialize, Serialize};

use crate::jobs::{JobContext, Kind};

/// Deletes what has outlived its retention period; runs daily.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Expire;

impl Job for Expire {
    const KIND: &'static str = "retention.expire";
    const MAX_ATTEMPTS: i32 = 5;
}

pub fn expire_kind(kept: Retention) -> Kind {
    Kind::new(
        1,
        Duration::from_secs(300),
        move |_: Expire, context: JobContext| async move {
            let mut tx = context.pool().begin().await?;
            let gone = sqlx::query!(
                r#"select conversations as "conversations!", org_audit_entries as "org_audit!",
                          account_audit_entries as "account_audit!", ai_requests as "ai!"
                   from app_expire_records($1, $2, $3)"#,
                kept.inbox_days as i32,
                kept.audit_days as i32,
                kept.ai_days as i32
            )
            .fetch_one(&mut *tx)
            .await?;
            tracing::info!(
                conversations = gone.conversations,
                org_audit_entries = gone.org_audit,
                account_audit_entries = gone.account_audit,
                ai_requests = gone.ai,
                "records past their retention period deleted"
            );
            context.finish(tx).await
        },
    )
}
