//! The operator side's server functions. Each declares `access::staff` first: staff named from
//! the command line, signed in with two-factor. The register's rows are append-only in the
//! database itself (the application may add and read them, never change or delete one).

use leptos::prelude::*;

use super::{
    forms::{IncidentForm, NoticeForm, StaffSearchForm, StepForm, SupportForm},
    register::Incident,
    DeadJob, IncidentSummary, StaffOrganisation, StaffUser, SupportView,
};
use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::{
        forms::{Affected, NewIncident, NewStep},
        register::{clock, clock_at, Delivery, Progress, Step},
    },
    crate::access::{self, Staff},
    time::OffsetDateTime,
    uuid::Uuid,
};

#[server(endpoint = "staff/organisations", client = CsrfClient)]
pub async fn staff_organisations(
    form: StaffSearchForm,
) -> Result<Vec<StaffOrganisation>, AppError> {
    let mut s = access::staff().await?;
    let q = form.terms()?;
    let rows = sqlx::query!(
        r#"select org_id as "org_id!", name as "name!", slug as "slug!", plan as "plan!",
                  billing_status as "billing_status!", members as "members!",
                  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as "created!"
           from app_staff_organisations($1)"#,
        q
    )
    .fetch_all(&mut *s.tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| StaffOrganisation {
            org_id: r.org_id.to_string(),
            name: r.name,
            slug: r.slug,
            plan: r.plan,
            billing_status: r.billing_status,
            members: r.members,
            created: r.created,
        })
        .collect())
}

#[server(endpoint = "staff/users", client = CsrfClient)]
pub async fn staff_users(form: StaffSearchForm) -> Result<Vec<StaffUser>, AppError> {
    let mut s = access::staff().await?;
    let q = form.terms()?;
    let rows = sqlx::query!(
        r#"select name as "name!", email as "email!", verified as "verified!", two_factor as "two_factor!",
                  staff as "staff!", organisations as "organisations!",
                  to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as "created!"
           from app_staff_users($1)"#,
        q
    )
    .fetch_all(&mut *s.tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| StaffUser {
            name: r.name,
            email: r.email,
            verified: r.verified,
            two_factor: r.two_factor,
            staff: r.staff,
            organisations: r.organisations,
            created: r.created,
        })
        .collect())
}

/// The job queue's dead letters, newest first (`server jobs retry` queues them again).
#[server(endpoint = "staff/dead_jobs", client = CsrfClient)]
pub async fn dead_jobs() -> Result<Vec<DeadJob>, AppError> {
    let mut s = access::staff().await?;
    sqlx::query!("select set_config('app.jobs', 'work', true)")
        .fetch_one(&mut *s.tx)
        .await?;
    let rows = sqlx::query!(
        r#"select job_id, kind, attempts,
                  to_char(coalesce(finished_at, created_at) at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') as "failed!",
                  coalesce(last_error, '') as "error!"
           from jobs where state = 'dead' order by job_id desc limit 100"#
    )
    .fetch_all(&mut *s.tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DeadJob {
            id: r.job_id,
            kind: r.kind,
            attempts: r.attempts,
            failed: r.failed,
            error: r.error,
        })
        .collect())
}

/// Opens one organisation's content for the reason given: recorded in its audit log, which its
/// Owners and Admins read, in the same transaction as what is shown.
#[server(endpoint = "staff/support_access", client = CsrfClient)]
pub async fn support_access(form: SupportForm) -> Result<SupportView, AppError> {
    let mut s = access::staff().await?;
    let reason = form.reason()?;
    let org_id = Uuid::parse_str(form.org_id.trim()).map_err(|_| AppError::NotFound)?;
    let name = sqlx::query_scalar!("select app_staff_organisation_name($1)", org_id)
        .fetch_one(&mut *s.tx)
        .await?
        .ok_or(AppError::NotFound)?;
    s.support_access(org_id, reason.as_str()).await?;
    let businesses = sqlx::query_scalar!(
        "select name from businesses where org_id = $1 and archived_at is null order by name limit 200",
        org_id
    )
    .fetch_all(&mut *s.tx)
    .await?;
    let open_issues = sqlx::query!(
        "select number, title, status from issues
         where org_id = $1 and issue_is_open(status) and archived_at is null
         order by number desc limit 200",
        org_id
    )
    .fetch_all(&mut *s.tx)
    .await?
    .into_iter()
    .map(|r| (r.number, r.title, r.status))
    .collect();
    let threads_waiting = sqlx::query_scalar!(
        r#"select count(*) as "n!" from inbox_threads where org_id = $1 and awaiting_reply and status <> 'closed'"#,
        org_id
    )
    .fetch_one(&mut *s.tx)
    .await?;
    s.commit().await?;
    Ok(SupportView {
        name,
        businesses,
        open_issues,
        threads_waiting,
    })
}

#[server(endpoint = "staff/incidents", client = CsrfClient)]
pub async fn incidents() -> Result<Vec<IncidentSummary>, AppError> {
    let mut s = access::staff().await?;
    // The list reads each incident's progress in the same statement, not its whole record.
    let rows = sqlx::query!(
        r#"select i.number, i.title,
                  to_char(i.discovered_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') as "discovered!",
                  to_char((i.discovered_at + interval '72 hours') at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') as "due!",
                  (extract(epoch from now() - i.discovered_at) / 60)::bigint as "minutes!",
                  (select count(*) from app_incident_people(i.incident_id)) as "people!",
                  (select count(*) from incident_notices n where n.incident_id = i.incident_id) as "notified!",
                  (select s.must_report from incident_steps s where s.incident_id = i.incident_id
                     and s.kind = 'decision' order by s.step_id desc limit 1) as decision,
                  exists (select 1 from incident_steps s where s.incident_id = i.incident_id and s.kind = 'ico_report') as "reported!",
                  exists (select 1 from incident_steps s where s.incident_id = i.incident_id and s.kind = 'notice') as "noticed!",
                  exists (select 1 from incident_steps s where s.incident_id = i.incident_id and s.kind = 'closed') as "closed!"
           from incidents i order by i.number desc limit 200"#
    )
    .fetch_all(&mut *s.tx)
    .await?;
    let list = rows
        .into_iter()
        .map(|r| {
            let progress = Progress {
                decision: r.decision,
                reported: r.reported,
                noticed: r.noticed,
                closed: r.closed,
            };
            IncidentSummary {
                number: r.number,
                title: r.title,
                discovered: r.discovered,
                state: clock_at(r.due, r.minutes, progress, r.people, r.notified).summary(),
            }
        })
        .collect();
    Ok(list)
}

#[server(endpoint = "staff/open_incident", client = CsrfClient)]
pub async fn open_incident(form: IncidentForm) -> Result<i64, AppError> {
    let mut s = access::staff().await?;
    let new = NewIncident::parse(form, OffsetDateTime::now_utc())?;
    let opened = sqlx::query!(
        "insert into incidents (title, description, discovered_at, opened_by, categories, affects_all)
         values ($1, $2, $3, $4, $5, $6) returning incident_id, number",
        new.title.as_str(),
        new.description.as_str(),
        new.discovered_at,
        s.signature,
        &new.categories,
        new.affected == Affected::Everyone
    )
    .fetch_one(&mut *s.tx)
    .await?;
    let (id, number) = (opened.incident_id, opened.number);
    if let Affected::Chosen {
        organisations,
        people,
    } = &new.affected
    {
        for slug in organisations {
            let found = sqlx::query!(
                r#"select org_id as "org_id!", name as "name!" from app_staff_organisation_by_slug($1)"#,
                slug.as_str()
            )
            .fetch_optional(&mut *s.tx)
            .await?
            .ok_or_else(|| {
                AppError::invalid("organisations", format!("No organisation has the address \u{201c}{}\u{201d}.", slug.as_str()))
            })?;
            sqlx::query!(
                "insert into incident_affected (incident_id, affected_org_id, label) values ($1, $2, $3)",
                id,
                found.org_id,
                format!("{} ({})", found.name, slug.as_str())
            )
            .execute(&mut *s.tx)
            .await?;
        }
        for email in people {
            let user = sqlx::query_scalar!("select app_staff_user_by_email($1)", email.as_str())
                .fetch_one(&mut *s.tx)
                .await?
                .ok_or_else(|| {
                    AppError::invalid("people", format!("No account has the address {email}."))
                })?;
            sqlx::query!(
                "insert into incident_affected (incident_id, affected_user_id, label) values ($1, $2, $3)",
                id,
                user,
                email.as_str()
            )
            .execute(&mut *s.tx)
            .await?;
        }
    }
    s.commit().await?;
    Ok(number)
}

#[server(endpoint = "staff/incident", client = CsrfClient)]
pub async fn get_incident(number: i64) -> Result<Incident, AppError> {
    let mut s = access::staff().await?;
    read_incident(&mut s, number).await
}

#[cfg(feature = "ssr")]
async fn incident_id(s: &mut Staff, number: i64) -> Result<Uuid, AppError> {
    sqlx::query_scalar!(
        "select incident_id from incidents where number = $1",
        number
    )
    .fetch_optional(&mut *s.tx)
    .await?
    .ok_or(AppError::NotFound)
}

#[cfg(feature = "ssr")]
async fn read_incident(s: &mut Staff, number: i64) -> Result<Incident, AppError> {
    let i = sqlx::query!(
        r#"select incident_id, number, title, description, opened_by, categories, affects_all,
                  to_char(discovered_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') as "discovered!",
                  to_char(opened_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') as "opened!",
                  to_char((discovered_at + interval '72 hours') at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') as "due!",
                  (extract(epoch from now() - discovered_at) / 60)::bigint as "minutes!",
                  (select count(*) from app_incident_people(incident_id)) as "people!",
                  (select count(*) from incident_notices n where n.incident_id = i.incident_id) as "notified!"
           from incidents i where number = $1"#,
        number
    )
    .fetch_optional(&mut *s.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let affected = sqlx::query_scalar!(
        "select label from incident_affected where incident_id = $1 order by affected_org_id is null, label",
        i.incident_id
    )
    .fetch_all(&mut *s.tx)
    .await?;
    let steps: Vec<Step> = sqlx::query!(
        r#"select kind, summary, by_staff, must_report, ico_reference, subject,
                  to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') as "at!",
                  to_char(reported_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') as reported_at
           from incident_steps where incident_id = $1 order by step_id"#,
        i.incident_id
    )
    .fetch_all(&mut *s.tx)
    .await?
    .into_iter()
    .map(|r| Step {
        at: r.at,
        by: r.by_staff,
        kind: r.kind,
        summary: r.summary,
        must_report: r.must_report,
        ico_reference: r.ico_reference,
        reported_at: r.reported_at,
        subject: r.subject,
    })
    .collect();
    let deliveries = sqlx::query!(
        r#"select email as "email!", attempts as "attempts!", retrying as "retrying!",
                  to_char(queued_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') as "queued!",
                  to_char(sent_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"') as sent
           from app_incident_notice_deliveries($1)"#,
        i.incident_id
    )
    .fetch_all(&mut *s.tx)
    .await?
    .into_iter()
    .map(|r| Delivery {
        email: r.email,
        queued: r.queued,
        sent: r.sent,
        attempts: r.attempts,
        retrying: r.retrying,
    })
    .collect();
    let clock = clock(i.due, i.minutes, &steps, i.people, i.notified);
    Ok(Incident {
        number: i.number,
        title: i.title,
        description: i.description,
        discovered: i.discovered,
        opened: i.opened,
        opened_by: i.opened_by,
        categories: i.categories,
        affected,
        affects_all: i.affects_all,
        people_affected: i.people,
        steps,
        deliveries,
        clock,
    })
}

#[server(endpoint = "staff/record_step", client = CsrfClient)]
pub async fn record_step(number: i64, form: StepForm) -> Result<(), AppError> {
    let mut s = access::staff().await?;
    let step = NewStep::parse(form, OffsetDateTime::now_utc())?;
    let id = incident_id(&mut s, number).await?;
    let (summary, must_report, reference, at) = match &step {
        NewStep::Note(t) | NewStep::Assessment(t) | NewStep::Closed(t) => (t, None, None, None),
        NewStep::Decision {
            must_report,
            reason,
        } => (reason, Some(*must_report), None, None),
        NewStep::IcoReport {
            reference,
            at,
            summary,
        } => (summary, None, Some(reference.as_str()), Some(*at)),
    };
    insert_step(
        &mut s,
        id,
        step.kind(),
        summary,
        must_report,
        reference,
        at,
        None,
    )
    .await?;
    s.commit().await
}

#[cfg(feature = "ssr")]
#[allow(clippy::too_many_arguments)]
async fn insert_step(
    s: &mut Staff,
    id: Uuid,
    kind: &str,
    summary: &str,
    must_report: Option<bool>,
    ico_reference: Option<&str>,
    reported_at: Option<OffsetDateTime>,
    subject: Option<&str>,
) -> Result<(), AppError> {
    let inserted = sqlx::query!(
        "insert into incident_steps (incident_id, by_staff, kind, summary, must_report, ico_reference, reported_at, subject)
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        s.signature,
        kind,
        summary,
        must_report,
        ico_reference,
        reported_at,
        subject
    )
    .execute(&mut *s.tx)
    .await;
    match inserted {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.message().contains("the incident is closed") => Err(
            AppError::Refused("The incident is closed: nothing more can be recorded.".into()),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Writes the incident's notice (once) and queues it to every affected person not yet sent it;
/// called again, it sends the written notice to anyone affected since. How many were queued.
#[server(endpoint = "staff/send_notices", client = CsrfClient)]
pub async fn send_notices(number: i64, form: NoticeForm) -> Result<i64, AppError> {
    let mut s = access::staff().await?;
    let id = incident_id(&mut s, number).await?;
    let closed = sqlx::query_scalar!(
        r#"select exists (select 1 from incident_steps where incident_id = $1 and kind = 'closed') as "closed!""#,
        id
    )
    .fetch_one(&mut *s.tx)
    .await?;
    if closed {
        return Err(AppError::Refused(
            "The incident is closed: no more notices are sent from it.".into(),
        ));
    }
    let written = sqlx::query!(
        r#"select subject as "subject!", summary from incident_steps where incident_id = $1 and kind = 'notice'"#,
        id
    )
    .fetch_optional(&mut *s.tx)
    .await?;
    let (subject, body) = match written {
        Some(n) => {
            if !form.subject.trim().is_empty() || !form.body.trim().is_empty() {
                return Err(AppError::Refused(
                    "The notice is written once; it is sent as written to anyone affected who has not had it.".into(),
                ));
            }
            (n.subject, n.summary)
        }
        None => {
            let notice = super::forms::Notice::parse(&form)?;
            insert_step(
                &mut s,
                id,
                "notice",
                &notice.body,
                None,
                None,
                None,
                Some(&notice.subject),
            )
            .await?;
            (notice.subject, notice.body)
        }
    };
    let email = crate::email::template::notice_email(&subject, &body);
    let queued = sqlx::query_scalar!(
        r#"select app_send_incident_notices($1, $2, $3, $4) as "queued!""#,
        id,
        subject,
        email.text,
        email.html
    )
    .fetch_one(&mut *s.tx)
    .await?;
    s.commit().await?;
    Ok(queued as i64)
}

/// The register's record of one incident as CSV, for the regulator: the incident, who it
/// affects, every step in order, and every notice with its delivery.
#[server(endpoint = "staff/incident_csv", client = CsrfClient)]
pub async fn incident_csv(number: i64) -> Result<String, AppError> {
    let mut s = access::staff().await?;
    let i = read_incident(&mut s, number).await?;
    let row = |section: &str, at: &str, by: &str, what: &str, detail: String| {
        vec![section.into(), at.into(), by.into(), what.into(), detail]
    };
    let mut rows = vec![
        row(
            "incident",
            &i.opened,
            &i.opened_by,
            &format!("INC-{}", i.number),
            i.title.clone(),
        ),
        row(
            "incident",
            &i.discovered,
            "",
            "discovered",
            i.description.clone(),
        ),
        row(
            "incident",
            "",
            "",
            "categories",
            i.categories
                .iter()
                .map(|c| super::register::category_label(c))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        row(
            "incident",
            "",
            "",
            "affected",
            if i.affects_all {
                format!("everyone with an account ({} people)", i.people_affected)
            } else {
                format!("{} ({} people)", i.affected.join("; "), i.people_affected)
            },
        ),
    ];
    for st in &i.steps {
        let mut detail = st.summary.clone();
        if let Some(must) = st.must_report {
            detail = format!("must report: {}. {detail}", if must { "yes" } else { "no" });
        }
        if let (Some(r), Some(at)) = (&st.ico_reference, &st.reported_at) {
            detail = format!("ICO reference {r}, reported {at}. {detail}");
        }
        if let Some(subject) = &st.subject {
            detail = format!("subject: {subject}. {detail}");
        }
        rows.push(row(
            "step",
            &st.at,
            &st.by,
            super::register::step_label(&st.kind),
            detail,
        ));
    }
    for d in &i.deliveries {
        rows.push(row(
            "notice",
            &d.queued,
            "",
            &d.email,
            match &d.sent {
                Some(sent) => format!("delivered {sent}"),
                None => format!("not delivered yet ({} attempts)", d.attempts),
            },
        ));
    }
    crate::csv::to_csv(&["section", "time", "by", "what", "detail"], rows)
}
