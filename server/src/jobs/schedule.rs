//! Recurring jobs: a job queued at fixed times (every `every`, counted from `anchor`), once per
//! time however many workers there are.

use std::time::Duration;

use app::jobs::{enqueue, Job, Queue};
use sqlx::PgPool;
use time::OffsetDateTime;

type Enqueue = for<'c> fn(
    &'c mut sqlx::PgConnection,
    OffsetDateTime,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Option<i64>, sqlx::Error>> + Send + 'c>,
>;

pub struct Schedule {
    pub name: &'static str,
    anchor: OffsetDateTime,
    every: Duration,
    enqueue: Enqueue,
    /// No run can fall due before this (the next time after this worker's last look), so the
    /// worker's once-a-second look costs no query until then.
    not_before: std::sync::Mutex<Option<OffsetDateTime>>,
}

impl Schedule {
    /// Queues `J::default()` at `anchor` and every `every` after it. A run missed while no worker
    /// was up is queued once when one is, not once per missed time.
    pub fn new<J: Job + Default + Send + Sync + 'static>(
        name: &'static str,
        anchor: OffsetDateTime,
        every: Duration,
    ) -> Self {
        Self {
            name,
            anchor,
            every,
            not_before: std::sync::Mutex::new(None),
            enqueue: |conn, at| {
                Box::pin(async move {
                    let key = format!("{}@{}", J::KIND, at.unix_timestamp());
                    enqueue(conn, &J::default(), Queue::default().dedupe(key)).await
                })
            },
        }
    }

    /// The first time on the schedule strictly after `now`.
    pub fn next_after(&self, now: OffsetDateTime) -> OffsetDateTime {
        if now < self.anchor {
            return self.anchor;
        }
        let every = self.every.as_secs().max(1) as i64;
        let passed = (now - self.anchor).whole_seconds() / every + 1;
        self.anchor + time::Duration::seconds(passed * every)
    }

    /// Queues this schedule's run if it is due (and no other worker did); whether it did.
    pub async fn queue_if_due(&self, pool: &PgPool) -> Result<bool, sqlx::Error> {
        let now = OffsetDateTime::now_utc();
        if self
            .not_before
            .lock()
            .expect("not poisoned")
            .is_some_and(|t| now < t)
        {
            return Ok(false);
        }
        let next = self.next_after(now);
        let first = next - time::Duration::seconds(self.every.as_secs() as i64);
        let mut tx = pool.begin().await?;
        let due = sqlx::query_scalar!(
            r#"select app_take_scheduled_run($1, $2, $3) as "due!""#,
            self.name,
            first.max(self.anchor),
            next
        )
        .fetch_one(&mut *tx)
        .await?;
        if due {
            (self.enqueue)(&mut tx, first).await?;
        }
        tx.commit().await?;
        *self.not_before.lock().expect("not poisoned") = Some(next);
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[derive(serde::Serialize, serde::Deserialize, Default)]
    struct Weekly;
    impl Job for Weekly {
        const KIND: &'static str = "test.weekly";
    }

    #[test]
    fn the_next_time_is_the_first_on_the_schedule_after_now() {
        let monday = datetime!(2026-11-30 07:00 UTC);
        let s = Schedule::new::<Weekly>("weekly", monday, Duration::from_secs(7 * 86_400));
        assert_eq!(s.next_after(datetime!(2026-11-01 00:00 UTC)), monday);
        assert_eq!(s.next_after(monday), datetime!(2026-12-07 07:00 UTC));
        assert_eq!(
            s.next_after(datetime!(2026-12-09 12:00 UTC)),
            datetime!(2026-12-14 07:00 UTC)
        );
    }
}
