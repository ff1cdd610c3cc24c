//! The batched notification email: everything waiting for one person, from every organisation
//! they are in, in one email, with a link that stops these emails without signing in.

use std::{fmt::Write as _, sync::Arc, time::Duration};

use app::{
    auth::two_factor::key::TwoFactorKey,
    domain::Zone,
    email::{enqueue_email, escape_html, Email, EmailKind},
    jobs::Job,
    tenancy::{act_for, set_tenant},
    work::notifications::{
        notify_overdue, sentence, unsubscribe_message, EmailNotifications, Notifier,
    },
};
use serde::{Deserialize, Serialize};

use crate::jobs::{JobContext, JobError, Kind};

/// The look, every quarter of an hour, for assigned issues that have become overdue where
/// their organisation is: each assignee is told once per due date.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct Overdue;

impl Job for Overdue {
    const KIND: &'static str = "notifications.overdue";
    const MAX_ATTEMPTS: i32 = 3;
}

pub fn overdue_kind(email_secs: i64) -> Kind {
    Kind::new(
        1,
        Duration::from_secs(120),
        move |_: Overdue, context: JobContext| async move {
            let pool = context.pool();
            let orgs = sqlx::query!(
                r#"select org_id as "org_id!", slug as "slug!", time_zone as "time_zone!"
                   from app_orgs_with_due_work()"#
            )
            .fetch_all(pool)
            .await?;
            let mut told = 0;
            // Each organisation in its own transaction, as that tenant, on its own date.
            for org in orgs {
                let mut tx = pool.begin().await?;
                set_tenant(&mut tx, org.org_id).await?;
                let mut n = Notifier {
                    conn: &mut tx,
                    org: org.org_id,
                    actor: None,
                    email_secs,
                };
                let today = Zone::from_stored(&org.time_zone).today();
                told += notify_overdue(&mut n, &org.slug, today)
                    .await
                    .map_err(|e| JobError::retry(format!("{e:?}")))?;
                tx.commit().await?;
            }
            tracing::info!(issues = told, "overdue issues notified");
            context.finish(pool.begin().await?).await
        },
    )
}

pub fn email_kind(public_url: String, key: TwoFactorKey) -> Kind {
    let public_url: Arc<str> = public_url.into();
    let key = Arc::new(key);
    Kind::new(
        2,
        Duration::from_secs(30),
        move |job: EmailNotifications, context| {
            let (public_url, key) = (public_url.clone(), key.clone());
            async move { send(job, &context, &public_url, &key).await }
        },
    )
}

/// One organisation's waiting notifications, as the email lists them.
struct Section {
    org_name: String,
    lines: Vec<(String, String)>,
}

async fn send(
    job: EmailNotifications,
    context: &JobContext,
    public_url: &str,
    key: &TwoFactorKey,
) -> Result<(), JobError> {
    let user = job.user_id;
    let mut tx = context.begin().await?;
    act_for(&mut tx, user).await?;
    let Some(person) = sqlx::query!(
        r#"select email::text as "email!", name from users where user_id = $1"#,
        user
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        // The account is gone, and its notifications with it.
        return context.finish(tx).await;
    };
    let orgs = sqlx::query!(
        r#"select o.org_id as "org_id!", o.name as "name!" from app_user_organisations($1) o
           where exists (select 1 from notifications n
                         where n.user_id = $1 and n.org_id = o.org_id and n.email_due)"#,
        user
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut sections = Vec::new();
    let mut sent = Vec::new();
    for org in orgs {
        // Inside the organisation, the people who acted are fellow members whose names show.
        set_tenant(&mut tx, org.org_id).await?;
        let rows = sqlx::query!(
            r#"select n.notification_id, n.kind, coalesce(u.name, 'A former member') as "actor!", n.title, n.link
               from notifications n left join users u on u.user_id = n.actor_id
               where n.org_id = $1 and n.user_id = $2 and n.email_due
               order by n.notification_id
               for update of n"#,
            org.org_id,
            user
        )
        .fetch_all(&mut *tx)
        .await?;
        sent.extend(rows.iter().map(|r| (org.org_id, r.notification_id)));
        sections.push(Section {
            org_name: org.name,
            lines: rows
                .into_iter()
                .map(|r| {
                    (
                        sentence(&r.kind, &r.actor, &r.title),
                        format!("{public_url}{}", r.link),
                    )
                })
                .collect(),
        });
    }
    if sent.is_empty() {
        // Sent by an earlier batch, or stopped since.
        return context.finish(tx).await;
    }
    let unsubscribe = format!(
        "{public_url}/notifications/unsubscribe?user={user}&signature={}",
        key.sign_link(&unsubscribe_message(user))
    );
    let email = compose(
        &person.email,
        &person.name,
        &sections,
        &format!("{public_url}/account#notifications"),
        &unsubscribe,
    );
    enqueue_email(&mut tx, email)
        .await
        .map_err(|e| JobError::retry(format!("queuing the email: {e:?}")))?;
    let (orgs, ids): (Vec<_>, Vec<_>) = sent.into_iter().unzip();
    sqlx::query!(
        "update notifications n set email_due = false
         from unnest($1::uuid[], $2::bigint[]) as s(org_id, notification_id)
         where n.org_id = s.org_id and n.notification_id = s.notification_id",
        &orgs,
        &ids
    )
    .execute(&mut *tx)
    .await?;
    tracing::info!(notifications = ids.len(), "notification email queued");
    context.finish(tx).await
}

/// The email: a line per notification with its link, by organisation; where to choose what
/// comes by email, and the link that stops it all. Every value is escaped in the HTML part.
fn compose(
    to: &str,
    name: &str,
    sections: &[Section],
    preferences: &str,
    unsubscribe: &str,
) -> Email {
    let count: usize = sections.iter().map(|s| s.lines.len()).sum();
    let subject = match (count, sections.first().and_then(|s| s.lines.first())) {
        (1, Some((line, _))) => line.clone(),
        _ => format!("{count} new notifications on Ops Intel"),
    };
    let mut text = format!("Hello {name},\n");
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Hello {},</p>",
        escape_html(name)
    );
    for section in sections {
        let _ = write!(text, "\nIn {}:\n", section.org_name);
        let _ = write!(html, "<h2>In {}</h2><ul>", escape_html(&section.org_name));
        for (line, link) in &section.lines {
            let _ = writeln!(text, "- {line}\n  {link}");
            let _ = write!(
                html,
                "<li><a href=\"{}\">{}</a></li>",
                escape_html(link),
                escape_html(line)
            );
        }
        html.push_str("</ul>");
    }
    let _ = write!(
        text,
        "\nChoose which notifications come by email: {preferences}\n\
         Stop all notification emails: {unsubscribe}\n\n— Ops Intel\n"
    );
    let _ = write!(
        html,
        "<p><a href=\"{}\">Choose which notifications come by email</a> · \
         <a href=\"{}\">Stop all notification emails</a></p><p>— Ops Intel</p></body></html>",
        escape_html(preferences),
        escape_html(unsubscribe)
    );
    Email {
        kind: EmailKind::Notifications,
        to: to.to_string(),
        subject,
        text,
        html,
        org: None,
        forget_recipient: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_lists_each_notification_with_its_link_escaped() {
        let sections = [Section {
            org_name: "Alpha <Cafés>".into(),
            lines: vec![(
                "Sam assigned #3 Boiler & pipes to you".into(),
                "https://ops.test/o/alpha/issues/3".into(),
            )],
        }];
        let email = compose(
            "robin@example.com",
            "Robin",
            &sections,
            "https://ops.test/account#notifications",
            "https://ops.test/notifications/unsubscribe?user=u&signature=s",
        );
        assert_eq!(email.subject, "Sam assigned #3 Boiler & pipes to you");
        assert!(email.text.contains("In Alpha <Cafés>:\n- Sam assigned #3 Boiler & pipes to you\n  https://ops.test/o/alpha/issues/3"));
        assert!(email.html.contains("In Alpha &lt;Cafés&gt;"));
        assert!(email
            .html
            .contains(">Sam assigned #3 Boiler &amp; pipes to you</a>"));
        assert!(email.text.contains("Stop all notification emails: https://ops.test/notifications/unsubscribe?user=u&signature=s"));
    }
}
