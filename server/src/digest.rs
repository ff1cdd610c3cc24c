//! The weekly digest's jobs ([`app::work::digest`]): every hour, [`Weekly`] queues a
//! [`SendDigest`] for each opted-in person and organisation whose Monday morning has come where
//! the person is and whose digest for that week has not gone; each one gathers the week's
//! figures, asks the AI for a summary where the organisation has AI on (on the record, counted
//! against its allowance; should the AI fail or the allowance be used up, the digest goes
//! without), and queues the email, once per person, organisation and week.

use std::{sync::Arc, time::Duration};

use app::{
    domain::Zone,
    email::enqueue_email,
    jobs::{enqueue, Job, Queue},
    tenancy::{act_for, set_tenant},
    work::{
        ai::{settings::switch, suggest::unavailable, Purpose},
        digest::{compose, gather, Links},
    },
};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::{
    ai::{
        call::{self, Asked, Call, GiveUp},
        client::Anthropic,
        prompt,
    },
    jobs::{JobContext, JobError, Kind},
};

/// The hour (in the person's zone) from which Monday's digest goes.
const SEND_HOUR: u8 = 8;

/// The hourly look for digests due: as of now, or (for an operator re-running a missed hour)
/// as of the Unix time given.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Weekly {
    #[serde(default)]
    pub as_of: Option<i64>,
}

impl Job for Weekly {
    const KIND: &'static str = "digest.weekly";
    const MAX_ATTEMPTS: i32 = 3;
}

/// One person's digest of one organisation (the job's), for the week starting `week` (a
/// Monday, in their zone).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct SendDigest {
    pub user_id: Uuid,
    #[serde(with = "iso_date")]
    pub week: Date,
}

time::serde::format_description!(iso_date, Date, "[year]-[month]-[day]");

impl Job for SendDigest {
    const KIND: &'static str = "digest.send";
    const MAX_ATTEMPTS: i32 = 8;
}

/// The Monday of the week `now` falls in, where `zone` is, once its morning has come.
pub fn due_week(zone: &Zone, now: OffsetDateTime) -> Option<Date> {
    let (hour, weekday) = zone.hour_and_weekday(now);
    (weekday == 1 && hour >= SEND_HOUR).then(|| zone.date_at(now))
}

pub fn weekly_kind() -> Kind {
    Kind::new(
        1,
        Duration::from_secs(120),
        |job: Weekly, context: JobContext| async move {
            let pool = context.pool();
            let now = job
                .as_of
                .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
                .unwrap_or_else(OffsetDateTime::now_utc);
            let subscribers = sqlx::query!(
                r#"select user_id as "user_id!", org_id as "org_id!", time_zone as "time_zone!", last_week
                   from app_digest_subscribers()"#
            )
            .fetch_all(pool)
            .await?;
            let mut queued = 0;
            for s in subscribers {
                let Some(week) = due_week(&Zone::from_stored(&s.time_zone), now) else {
                    continue;
                };
                if s.last_week.is_some_and(|last| last >= week) {
                    continue;
                }
                let mut tx = pool.begin().await?;
                set_tenant(&mut tx, s.org_id).await?;
                let job = SendDigest {
                    user_id: s.user_id,
                    week,
                };
                let key = format!("{}:{}:{week}", s.org_id, s.user_id);
                if enqueue(&mut tx, &job, Queue::for_org(s.org_id).dedupe(key))
                    .await?
                    .is_some()
                {
                    queued += 1;
                }
                tx.commit().await?;
            }
            tracing::info!(queued, "weekly digests queued");
            context.finish(pool.begin().await?).await
        },
    )
}

pub fn send_kind(public_url: String, ai: Option<Anthropic>) -> Kind {
    let (public_url, ai): (Arc<str>, _) = (public_url.into(), ai.map(Arc::new));
    Kind::new(
        2,
        Duration::from_secs(60),
        move |job: SendDigest, context: JobContext| {
            let (public_url, ai) = (public_url.clone(), ai.clone());
            async move { send(job, &context, &public_url, ai.as_deref()).await }
        },
    )
}

/// Never shown: a digest whose summary could not be written goes without one.
const GIVE_UP: GiveUp = GiveUp {
    refused: "The AI service refused the summary.",
    unavailable: "The AI service was unavailable.",
    unusable: "The AI's summary was unusable.",
};

async fn send(
    job: SendDigest,
    context: &JobContext,
    public_url: &str,
    ai: Option<&Anthropic>,
) -> Result<(), JobError> {
    let org = context.org()?;
    let mut tx = context.begin().await?;
    act_for(&mut tx, job.user_id).await?;
    // Still a member who wants it, and not sent already (a retry after the email was queued).
    let person = sqlx::query!(
        r#"select u.name, u.email::text as "email!", u.time_zone, o.name as org_name,
                  o.slug::text as "slug!", o.time_zone as org_time_zone
           from users u join memberships m on m.user_id = u.user_id
           join organisations o on o.org_id = m.org_id
           where u.user_id = $1 and m.org_id = $2 and u.weekly_digest
             and not exists (select 1 from digest_sends d
                             where d.org_id = $2 and d.user_id = $1 and d.week = $3)"#,
        job.user_id,
        org,
        job.week
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(person) = person else {
        return context.finish(tx).await;
    };
    let now = OffsetDateTime::now_utc();
    let today = Zone::from_stored(&person.org_time_zone).today();
    let zone = Zone::from_stored(&person.time_zone);
    let mut digest = gather(&mut tx, org, &person.org_name, &zone, today, now)
        .await
        .map_err(|e| JobError::retry(format!("gathering the digest: {e:?}")))?;
    let s = switch(&mut tx, org).await?;
    tx.commit().await?;

    // The summary, where the organisation has AI on and its allowance has some left.
    let mut tx = match ai.filter(|_| unavailable(true, &s).is_none()) {
        None => context.begin().await?,
        Some(ai) => {
            let model = ai.config().triage_model.clone();
            let body = prompt::digest_body(&model, &digest);
            let call = || Call {
                purpose: Purpose::Digest,
                thread: None,
                by: None,
                model: &model,
                tool: prompt::DIGEST_TOOL,
                body: body.clone(),
            };
            match call::ask(ai, context, s.limit, call, prompt::digest_summary, &GIVE_UP).await? {
                Asked::Answer(tx, summary) => {
                    digest.summary = Some(summary);
                    tx
                }
                Asked::GaveUp(tx, _) => tx,
                Asked::OverAllowance => context.begin().await?,
            }
        }
    };
    act_for(&mut tx, job.user_id).await?;
    let email = compose(
        &person.email,
        &person.name,
        &digest,
        &Links::new(public_url, &person.slug),
    )
    .map_err(|e| JobError::fatal(format!("composing the digest: {e:?}")))?;
    enqueue_email(&mut tx, email)
        .await
        .map_err(|e| JobError::retry(format!("queuing the digest: {e:?}")))?;
    sqlx::query!(
        "insert into digest_sends (org_id, user_id, week) values ($1, $2, $3)",
        org,
        job.user_id,
        job.week
    )
    .execute(&mut *tx)
    .await?;
    tracing::info!(%org, summary = digest.summary.is_some(), "weekly digest queued");
    context.finish(tx).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn the_digest_is_due_from_monday_morning_where_the_person_is() {
        let paris = Zone::parse("Europe/Paris").unwrap();
        let auckland = Zone::parse("Pacific/Auckland").unwrap();
        // Monday 30 November 2026, 07:30 UTC: 08:30 in Paris; already 20:30 in Auckland.
        let monday = datetime!(2026-11-30 07:30 UTC);
        assert_eq!(due_week(&paris, monday).unwrap().to_string(), "2026-11-30");
        assert_eq!(
            due_week(&auckland, monday).unwrap().to_string(),
            "2026-11-30"
        );
        // 06:30 UTC is 07:30 in Paris: not yet.
        assert_eq!(due_week(&paris, datetime!(2026-11-30 06:30 UTC)), None);
        // Sunday 29 November 20:00 UTC is Monday 09:00 in Auckland.
        assert_eq!(
            due_week(&auckland, datetime!(2026-11-29 20:00 UTC))
                .unwrap()
                .to_string(),
            "2026-11-30"
        );
        assert_eq!(due_week(&paris, datetime!(2026-12-01 09:00 UTC)), None);
    }
}
