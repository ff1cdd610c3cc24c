//! A person's copy of their own data (UK GDPR articles 15 and 20): a ZIP of JSON files with a
//! README that says what each holds. It is read in one transaction acting for the person, so
//! row-level security shows it nothing of anyone else's; each organisation's rows are read only
//! while the transaction is entered into that organisation, one the person belongs to.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{auth::client::CsrfClient, error::AppError};

/// The archive, ready for the browser to save.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonalExport {
    pub file_name: String,
    pub base64: String,
}

/// The files of the archive and what each holds, as its README says.
pub const FILES: [(&str, &str); 7] = [
    ("account.json", "Your account: name, email address, when it was created and confirmed, and whether two-factor sign-in is on. Your password is stored only as a hash, and is not included."),
    ("sessions.json", "Where you are signed in: when each sign-in started and was last used, its IP address and browser."),
    ("memberships.json", "The organisations you belong to, your role in each and when you joined."),
    ("comments.json", "The comments you wrote on issues, in the organisations you belong to now."),
    ("messages.json", "The replies and internal notes you wrote in inbox conversations, in the organisations you belong to now."),
    ("notifications.json", "Where each kind of notification reaches you, and the notifications you were sent in the organisations you belong to now."),
    ("audit.json", "The security events of your account (sign-ins, changes to your password, email address and two-factor sign-in) and what you did in each organisation you belong to, as their audit logs record it."),
];

#[cfg(feature = "ssr")]
fn when(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(feature = "ssr")]
fn readme(name: &str, at: time::OffsetDateTime) -> String {
    let mut text = format!(
        "Your data at Ops Intel\n======================\n\nThe data Ops Intel holds about {name}, as it stood at {}.\nEach file is JSON (UTF-8); times are UTC in RFC 3339 form.\n\n",
        when(at)
    );
    for (file, what) in FILES {
        text.push_str(&format!("{file}\n    {what}\n\n"));
    }
    text.push_str(
        "Not included: what your organisations hold that you did not write (their businesses, \
         issues and customers' messages belong to the organisation; an Owner can export it), and \
         email we sent you, whose text we do not keep once delivered.\n",
    );
    text
}

/// Writes `files` into a ZIP archive.
#[cfg(feature = "ssr")]
fn zip(files: &[(&str, Vec<u8>)]) -> Result<Vec<u8>, AppError> {
    use std::io::Write as _;
    let fail = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "writing a personal data archive");
        AppError::Internal
    };
    let mut archive = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, bytes) in files {
        archive.start_file(*name, options).map_err(|e| fail(&e))?;
        archive.write_all(bytes).map_err(|e| fail(&e))?;
    }
    Ok(archive.finish().map_err(|e| fail(&e))?.into_inner())
}

/// The signed-in person's data, as a ZIP archive. Recorded in their account log.
#[server(endpoint = "account/export", client = CsrfClient)]
pub async fn export_my_data() -> Result<PersonalExport, AppError> {
    use base64::Engine as _;
    use serde_json::{json, Value};

    use crate::{
        access,
        audit::{record_account_event, AuditAction},
        request::request_meta,
        tenancy::set_tenant,
    };

    let me = access::signed_in().await?;
    let mut tx = me.begin().await?;
    let user = me.user_id;
    let now = time::OffsetDateTime::now_utc();

    let a = sqlx::query!(
        r#"select name, email::text as "email!", created_at, email_verified_at, time_zone, weekly_digest,
                  exists (select 1 from user_two_factor t where t.user_id = u.user_id and t.enabled_at is not null) as "two_factor!"
           from users u where user_id = $1"#,
        user
    )
    .fetch_one(&mut *tx)
    .await?;
    let account = json!({
        "name": a.name,
        "email": a.email,
        "created_at": when(a.created_at),
        "email_confirmed_at": a.email_verified_at.map(when),
        "two_factor_sign_in": a.two_factor,
        "time_zone": a.time_zone,
        "weekly_digest": a.weekly_digest,
    });
    let sessions: Vec<Value> = sqlx::query!(
        "select user_session_id, created_at, last_seen_at, host(ip) as ip, user_agent
         from user_sessions where user_id = $1 order by last_seen_at desc",
        user
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|s| {
        json!({
            "started_at": when(s.created_at),
            "last_used_at": when(s.last_seen_at),
            "ip_address": s.ip,
            "browser": s.user_agent,
            "this_sign_in": s.user_session_id == me.user_session_id,
        })
    })
    .collect();
    let account_events: Vec<Value> = sqlx::query!(
        r#"select occurred_at as "occurred_at!", action as "action!", ip as "ip?", user_agent
           from app_my_account_events()"#
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|e| json!({ "at": when(e.occurred_at), "action": e.action, "ip_address": e.ip, "browser": e.user_agent }))
    .collect();

    let organisations = sqlx::query!(
        r#"select org_id as "org_id!", slug as "slug!", name as "name!", role as "role!"
           from app_user_organisations($1)"#,
        user
    )
    .fetch_all(&mut *tx)
    .await?;
    let (mut memberships, mut comments, mut messages, mut org_events, mut notifications) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for o in organisations {
        set_tenant(&mut tx, o.org_id).await?;
        let joined = sqlx::query_scalar!(
            "select created_at from memberships where org_id = $1 and user_id = $2",
            o.org_id,
            user
        )
        .fetch_optional(&mut *tx)
        .await?;
        memberships.push(json!({
            "organisation": o.name,
            "address": o.slug,
            "role": o.role,
            "joined_at": joined.map(when),
        }));
        for c in sqlx::query!(
            "select i.number, i.title, c.body, c.created_at
             from issue_comments c join issues i on i.org_id = c.org_id and i.issue_id = c.issue_id
             where c.org_id = $1 and c.author_id = $2 order by c.created_at",
            o.org_id,
            user
        )
        .fetch_all(&mut *tx)
        .await?
        {
            comments.push(json!({
                "organisation": o.name,
                "issue": format!("#{} {}", c.number, c.title),
                "comment": c.body,
                "at": when(c.created_at),
            }));
        }
        for m in sqlx::query!(
            "select t.subject, m.direction, m.text_body, m.created_at
             from inbox_messages m join inbox_threads t on t.org_id = m.org_id and t.thread_id = m.thread_id
             where m.org_id = $1 and m.author_id = $2 order by m.created_at",
            o.org_id,
            user
        )
        .fetch_all(&mut *tx)
        .await?
        {
            messages.push(json!({
                "organisation": o.name,
                "conversation": m.subject,
                "kind": if m.direction == "note" { "internal note" } else { "reply" },
                "text": m.text_body,
                "at": when(m.created_at),
            }));
        }
        for n in sqlx::query!(
            "select kind, title, link, created_at, read_at from notifications
             where org_id = $1 and user_id = $2 order by notification_id",
            o.org_id,
            user
        )
        .fetch_all(&mut *tx)
        .await?
        {
            notifications.push(json!({
                "organisation": o.name,
                "kind": n.kind,
                "what_happened": n.title,
                "link": n.link,
                "at": when(n.created_at),
                "read_at": n.read_at.map(when),
            }));
        }
        for e in sqlx::query!(
            "select occurred_at, action, target, summary, host(ip) as ip
             from org_audit_events where org_id = $1 and actor_user_id = $2 order by event_id",
            o.org_id,
            user
        )
        .fetch_all(&mut *tx)
        .await?
        {
            org_events.push(json!({
                "organisation": o.name,
                "at": when(e.occurred_at),
                "action": e.action,
                "target": e.target,
                "what_happened": e.summary,
                "ip_address": e.ip,
            }));
        }
    }

    let choices: Vec<Value> = sqlx::query!(
        "select kind, channel from notification_preferences where user_id = $1 order by kind",
        user
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|c| json!({ "kind": c.kind, "reaches_you": c.channel }))
    .collect();
    let notifications = json!({ "choices": choices, "notifications": notifications });

    record_account_event(
        &mut *tx,
        Some(user),
        AuditAction::AccountExported,
        &request_meta(),
        json!({}),
    )
    .await?;
    tx.commit().await?;

    let pretty = |v: &Value| serde_json::to_vec_pretty(v).unwrap_or_default();
    let audit = json!({ "account": account_events, "organisations": org_events });
    let archive = zip(&[
        ("README.txt", readme(&a.name, now).into_bytes()),
        ("account.json", pretty(&account)),
        ("sessions.json", pretty(&Value::Array(sessions))),
        ("memberships.json", pretty(&Value::Array(memberships))),
        ("comments.json", pretty(&Value::Array(comments))),
        ("messages.json", pretty(&Value::Array(messages))),
        ("notifications.json", pretty(&notifications)),
        ("audit.json", pretty(&audit)),
    ])?;
    Ok(PersonalExport {
        file_name: format!("ops-intel-my-data-{}.zip", now.date()),
        base64: base64::engine::general_purpose::STANDARD.encode(archive),
    })
}

#[cfg(test)]
#[cfg(feature = "ssr")]
mod tests {
    use super::*;

    #[test]
    fn the_readme_describes_every_file_of_the_archive() {
        let text = readme("Ada", time::macros::datetime!(2026-12-01 10:00 UTC));
        assert!(text.contains("about Ada, as it stood at 2026-12-01T10:00:00Z"));
        for (file, what) in FILES {
            assert!(text.contains(&format!("{file}\n    {what}")), "{file}");
        }
        let archive = zip(&[
            ("README.txt", text.into_bytes()),
            ("a.json", b"{}".to_vec()),
        ])
        .unwrap();
        let mut read = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
        assert_eq!(
            read.file_names().collect::<std::collections::BTreeSet<_>>(),
            ["README.txt", "a.json"].into()
        );
        assert_eq!(read.by_name("a.json").unwrap().size(), 2);
    }
}
