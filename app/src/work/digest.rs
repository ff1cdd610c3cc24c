//! The weekly digest: for each person who opts in, on Monday morning where they are, one email
//! per organisation with the week's figures (issues opened, resolved and overdue, messages
//! waiting, ratings that changed) and, where the organisation has AI on, a few sentences that
//! sum it up (counted against its allowance). Rendered from templates (`app/templates/`), with a
//! plain-text part. The preview page shows the next one as it stands now.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    crate::access,
    crate::domain::{date::long_date, Zone},
    crate::email::{Email, EmailKind},
    crate::roles::Permission,
    askama::Template,
    sqlx::PgConnection,
    time::OffsetDateTime,
    uuid::Uuid,
};

/// How many overdue issues, and changed ratings, a digest names (the figures count them all).
pub const NAMED: i64 = 5;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Digest {
    pub org_name: String,
    /// The week it covers: "23 Nov 2026 to 30 Nov 2026".
    pub period: String,
    pub opened: i64,
    pub resolved: i64,
    /// Open now.
    pub open: i64,
    /// Overdue now, where the organisation is.
    pub overdue: i64,
    /// The longest overdue, at most [`NAMED`].
    pub overdue_issues: Vec<DigestIssue>,
    /// Customer conversations waiting for a reply.
    pub waiting: i64,
    /// Businesses whose Google rating changed during the week, at most [`NAMED`].
    pub ratings: Vec<RatingChange>,
    /// A few sentences from the AI summing the week up; none without AI.
    pub summary: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DigestIssue {
    pub number: i32,
    pub title: String,
    /// "1 Dec 2026".
    pub due_on: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatingChange {
    pub business: String,
    pub from: String,
    pub to: String,
}

impl Digest {
    /// Whether anything happened or waits: an empty week says so rather than listing zeros.
    pub fn is_quiet(&self) -> bool {
        self.opened == 0
            && self.resolved == 0
            && self.overdue == 0
            && self.waiting == 0
            && self.ratings.is_empty()
    }
}

/// The next digest as it stands now, as the preview page shows it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DigestPreview {
    pub digest: Digest,
    pub subject: String,
    /// The email's plain-text part.
    pub text: String,
    /// Whether the caller gets it.
    pub subscribed: bool,
    /// Whether the organisation has AI on (the summary is written when the digest is sent).
    pub ai: bool,
}

/// The digest the caller would get for this organisation if it were sent now.
#[server(endpoint = "work/digest_preview", client = CsrfClient)]
pub async fn preview_digest(slug: String) -> Result<DigestPreview, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let now = OffsetDateTime::now_utc();
    let (org, org_name, today) = (m.org_id, m.org_name.clone(), m.today());
    let digest = gather(&mut m.tx, org, &org_name, &m.zone, today, now).await?;
    let person = sqlx::query!(
        r#"select name, email::text as "email!", weekly_digest from users where user_id = $1"#,
        m.user_id
    )
    .fetch_one(&mut *m.tx)
    .await?;
    // The job's own rule: AI configured, on, and the plan allows requests.
    let switch = crate::work::ai::settings::switch(&mut m.tx, org).await?;
    let ai = crate::work::ai::suggest::unavailable(m.svc.ai, &switch).is_none();
    let email = compose(
        &person.email,
        &person.name,
        &digest,
        &Links::new(&m.svc.public_url, &m.slug),
    )?;
    Ok(DigestPreview {
        digest,
        subject: email.subject,
        text: email.text,
        subscribed: person.weekly_digest,
        ai,
    })
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DigestForm {
    pub on: bool,
}

/// Starts or stops the caller's weekly digests (of every organisation they are in).
#[server(endpoint = "account/weekly_digest", client = CsrfClient)]
pub async fn set_weekly_digest(form: DigestForm) -> Result<(), AppError> {
    let me = access::signed_in().await?;
    let mut tx = me.begin().await?;
    sqlx::query!(
        "update users set weekly_digest = $2 where user_id = $1",
        me.user_id,
        form.on
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the caller gets weekly digests.
#[server(endpoint = "account/weekly_digest_on", client = CsrfClient)]
pub async fn weekly_digest_on() -> Result<bool, AppError> {
    let me = access::signed_in().await?;
    let mut tx = me.begin().await?;
    Ok(sqlx::query_scalar!(
        "select weekly_digest from users where user_id = $1",
        me.user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .unwrap_or(false))
}

/// The organisation's figures for the seven days to `now`, read in `conn` (working for the
/// organisation); `today` is its date, for what is overdue; the period is written in `zone`.
#[cfg(feature = "ssr")]
pub async fn gather(
    conn: &mut PgConnection,
    org: Uuid,
    org_name: &str,
    zone: &Zone,
    today: time::Date,
    now: OffsetDateTime,
) -> Result<Digest, AppError> {
    let from = now - time::Duration::days(7);
    let counts = sqlx::query!(
        r#"select count(*) filter (where created_at >= $2 and created_at < $3) as "opened!",
                  count(*) filter (where resolved_at >= $2 and resolved_at < $3) as "resolved!",
                  count(*) filter (where issue_is_open(status)) as "open!",
                  count(*) filter (where issue_is_open(status) and due_on < $4) as "overdue!"
           from issues where org_id = $1 and archived_at is null"#,
        org,
        from,
        now,
        today
    )
    .fetch_one(&mut *conn)
    .await?;
    let overdue_issues = sqlx::query!(
        r#"select number, title, due_on as "due_on!" from issues
           where org_id = $1 and issue_is_open(status) and archived_at is null and due_on < $2
           order by due_on, number limit $3"#,
        org,
        today,
        NAMED
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|i| DigestIssue {
        number: i.number,
        title: i.title,
        due_on: long_date(i.due_on),
    })
    .collect();
    let waiting = sqlx::query_scalar!(
        r#"select count(*) as "n!" from inbox_threads
           where org_id = $1 and awaiting_reply and status <> 'closed'"#,
        org
    )
    .fetch_one(&mut *conn)
    .await?;
    let ratings = sqlx::query!(
        r#"select name, previous_rating::text as "from!", rating::text as "to!" from businesses
           where org_id = $1 and rating_changed_at >= $2 and rating_changed_at < $3
             and archived_at is null and previous_rating is not null and rating is not null
           order by lower(name), business_id limit $4"#,
        org,
        from,
        now,
        NAMED
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| RatingChange {
        business: r.name,
        from: r.from,
        to: r.to,
    })
    .collect();
    Ok(Digest {
        org_name: org_name.to_string(),
        period: format!(
            "{} to {}",
            long_date(zone.date_at(from)),
            long_date(zone.date_at(now))
        ),
        opened: counts.opened,
        resolved: counts.resolved,
        open: counts.open,
        overdue: counts.overdue,
        overdue_issues,
        waiting,
        ratings,
        summary: None,
    })
}

/// Where a digest's links go.
#[cfg(feature = "ssr")]
pub struct Links {
    pub issues: String,
    pub overdue: String,
    pub inbox: String,
    pub preview: String,
    pub preferences: String,
}

#[cfg(feature = "ssr")]
impl Links {
    pub fn new(public_url: &str, slug: &str) -> Self {
        let base = public_url.trim_end_matches('/');
        Self {
            issues: format!("{base}/o/{slug}/issues"),
            overdue: format!("{base}/o/{slug}/issues?overdue=true"),
            inbox: format!("{base}/o/{slug}/inbox"),
            preview: format!("{base}/o/{slug}/digest"),
            preferences: format!("{base}/account#notifications"),
        }
    }
}

#[cfg(feature = "ssr")]
#[derive(Template)]
#[template(path = "digest.txt")]
struct DigestText<'a> {
    name: &'a str,
    d: &'a Digest,
    links: &'a Links,
}

#[cfg(feature = "ssr")]
#[derive(Template)]
#[template(path = "digest.html")]
struct DigestHtml<'a> {
    name: &'a str,
    d: &'a Digest,
    links: &'a Links,
}

/// The digest email to `to`, greeting `name`: both parts from the templates (every value
/// escaped in the HTML part by the template engine).
#[cfg(feature = "ssr")]
pub fn compose(to: &str, name: &str, d: &Digest, links: &Links) -> Result<Email, AppError> {
    let rendered = |r: Result<String, askama::Error>| {
        r.map_err(|e| {
            tracing::error!(error = %e, "the digest template did not render");
            AppError::Internal
        })
    };
    Ok(Email {
        kind: EmailKind::Digest,
        to: to.to_string(),
        subject: format!("{}: your week in Ops Intel", d.org_name),
        text: rendered(DigestText { name, d, links }.render())?,
        html: rendered(DigestHtml { name, d, links }.render())?,
        org: None,
        forget_recipient: false,
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn week() -> Digest {
        Digest {
            org_name: "Alpha <Cafés>".into(),
            period: "23 Nov 2026 to 30 Nov 2026".into(),
            opened: 4,
            resolved: 3,
            open: 9,
            overdue: 2,
            overdue_issues: vec![DigestIssue {
                number: 7,
                title: "Boiler & pipes".into(),
                due_on: "1 Nov 2026".into(),
            }],
            waiting: 1,
            ratings: vec![RatingChange {
                business: "Corner <Shop>".into(),
                from: "4.5".into(),
                to: "4.1".into(),
            }],
            summary: Some("A busy week: the boiler is still waiting.".into()),
        }
    }

    #[test]
    fn the_digest_has_both_parts_with_every_figure_and_link() {
        let links = Links::new("https://ops.test/", "alpha");
        let email = compose("robin@example.com", "Robin", &week(), &links).unwrap();
        assert_eq!(email.subject, "Alpha <Cafés>: your week in Ops Intel");
        let t = &email.text;
        for expected in [
            "Hello Robin,",
            "Alpha <Cafés>, 23 Nov 2026 to 30 Nov 2026",
            "A busy week: the boiler is still waiting.",
            "Issues opened: 4",
            "Issues resolved: 3",
            "Overdue now: 2 of 9 open",
            "#7 Boiler & pipes (due 1 Nov 2026)",
            "Messages waiting for a reply: 1",
            "Corner <Shop>: 4.5 to 4.1",
            "https://ops.test/o/alpha/issues?overdue=true",
            "https://ops.test/account#notifications",
        ] {
            assert!(t.contains(expected), "{expected:?} not in:\n{t}");
        }
        let h = &email.html;
        assert!(
            h.contains("Alpha &#60;Cafés&#62;") || h.contains("Alpha &lt;Cafés&gt;"),
            "{h}"
        );
        assert!(
            !h.contains("<Shop>") && !h.contains("Boiler & pipes"),
            "{h}"
        );
        assert!(h.contains("href=\"https://ops.test/o/alpha/inbox\""), "{h}");
    }

    #[test]
    fn a_quiet_week_says_so() {
        let quiet = Digest {
            org_name: "Alpha".into(),
            period: "23 Nov 2026 to 30 Nov 2026".into(),
            ..Digest::default()
        };
        assert!(quiet.is_quiet());
        assert!(!week().is_quiet());
        let links = Links::new("https://ops.test", "alpha");
        let email = compose("robin@example.com", "Robin", &quiet, &links).unwrap();
        assert!(email.text.contains("A quiet week"), "{}", email.text);
        assert!(!email.text.contains("Issues opened"), "{}", email.text);
    }
}
