//! Where an inbound email goes: to the organisation whose current address it was sent to,
//! into the thread it answers (by `In-Reply-To`/`References`, then by the reply token in the
//! address, never by subject), once however often SendGrid delivers it, with its attachments
//! while the organisation's storage allowance has room.

use app::work::inbox::address::Recipient;
use sqlx::PgPool;
use uuid::Uuid;

use super::parse::Inbound;

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Stored {
        org: Uuid,
        thread: Uuid,
        new_thread: bool,
    },
    /// The same Message-ID was received for this organisation before.
    Duplicate { org: Uuid },
    /// No current address of ours among the recipients.
    UnknownAddress,
}

/// Where mail is received, and what is done with it.
pub struct Receiving<'a> {
    /// Our receiving domain.
    pub domain: &'a str,
    /// The bytes of attachments an organisation may keep.
    pub allowance: i64,
    /// Whether the AI service is configured: a new thread of an organisation with AI on is
    /// then triaged, by a job queued with it.
    pub ai: bool,
}

/// Stores `inbound` for the organisation it was sent to.
pub async fn store(
    pool: &PgPool,
    receiving: &Receiving<'_>,
    inbound: &Inbound,
) -> Result<Outcome, sqlx::Error> {
    let Receiving {
        domain, allowance, ..
    } = *receiving;
    let mut tx = pool.begin().await?;
    let mut found = None;
    for recipient in inbound
        .recipients
        .iter()
        .filter_map(|r| Recipient::parse(r, domain))
    {
        let org = sqlx::query_scalar!(
            r#"select app_inbound_organisation($1) as "org""#,
            recipient.local_part
        )
        .fetch_one(&mut *tx)
        .await?;
        if let Some(org) = org {
            found = Some((org, recipient));
            break;
        }
    }
    let Some((org, recipient)) = found else {
        return Ok(Outcome::UnknownAddress);
    };
    app::tenancy::set_tenant(&mut tx, org).await?;

    let seen = sqlx::query_scalar!(
        "select 1 from inbox_messages where org_id = $1 and rfc_message_id = $2",
        org,
        inbound.message_id
    )
    .fetch_optional(&mut *tx)
    .await?;
    if seen.is_some() {
        return Ok(Outcome::Duplicate { org });
    }

    // The thread it answers: a message it names, then the token of our reply address.
    let mut parents: Vec<String> = inbound.references.clone();
    parents.extend(inbound.in_reply_to.clone());
    let mut thread = sqlx::query_scalar!(
        "select thread_id from inbox_messages where org_id = $1 and rfc_message_id = any($2)
         order by created_at desc limit 1",
        org,
        &parents
    )
    .fetch_optional(&mut *tx)
    .await?;
    if thread.is_none() {
        if let Some(token) = &recipient.thread_token {
            thread = sqlx::query_scalar!(
                "select thread_id from inbox_threads where org_id = $1 and reply_token = $2",
                org,
                token
            )
            .fetch_optional(&mut *tx)
            .await?;
        }
    }
    let new_thread = thread.is_none();
    let thread = match thread {
        Some(thread) => {
            // The customer spoke: the thread is open and waits for an answer again.
            sqlx::query!(
                "update inbox_threads set status = 'open', awaiting_reply = true, last_message_at = now()
                 where org_id = $1 and thread_id = $2",
                org,
                thread
            )
            .execute(&mut *tx)
            .await?;
            thread
        }
        None => {
            let business = matching_business(&mut tx, org, &inbound.from_address).await?;
            let subject = if inbound.subject.is_empty() {
                "(no subject)"
            } else {
                inbound.subject.as_str()
            };
            let thread = sqlx::query_scalar!(
                "insert into inbox_threads (org_id, subject, customer_address, customer_name, business_id)
                 values ($1, $2, $3, $4, $5) returning thread_id",
                org,
                subject,
                inbound.from_address,
                inbound.from_name,
                business
            )
            .fetch_one(&mut *tx)
            .await?;
            app::work::ai::suggest::queue_triage(&mut tx, org, thread, None, receiving.ai).await?;
            thread
        }
    };

    // Attachments while the allowance has room, the organisation's others counted under a
    // lock so two deliveries at once cannot both take the last of it. Mail without attachments
    // (most of it) takes no lock, so an organisation's mail is stored many messages at once.
    let mut kept = Vec::new();
    if !inbound.attachments.is_empty() {
        sqlx::query!(
            "select pg_advisory_xact_lock(hashtextextended('inbox-attachments:' || $1::text, 0))",
            org.to_string()
        )
        .fetch_one(&mut *tx)
        .await?;
        let mut used = sqlx::query_scalar!(
            r#"select coalesce(sum(size_bytes), 0)::bigint as "used!" from inbox_attachments where org_id = $1"#,
            org
        )
        .fetch_one(&mut *tx)
        .await?;
        for a in &inbound.attachments {
            let size = a.bytes.len() as i64;
            if used + size <= allowance {
                used += size;
                kept.push(a);
            }
        }
    }
    let dropped = (inbound.attachments.len() - kept.len()) as i32;
    if dropped > 0 {
        tracing::warn!(%org, dropped, "attachments not kept: the organisation's attachment storage allowance is full");
    }

    let message = sqlx::query_scalar!(
        "insert into inbox_messages (org_id, thread_id, direction, rfc_message_id, in_reply_to, refs,
                                     from_address, from_name, to_addresses, subject, text_body, html_body,
                                     spf, dkim, spam_score, attachments_dropped)
         values ($1, $2, 'in', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         on conflict (org_id, rfc_message_id) do nothing
         returning message_id",
        org,
        thread,
        inbound.message_id,
        inbound.in_reply_to,
        &inbound.references,
        inbound.from_address,
        inbound.from_name,
        &inbound.to,
        inbound.subject,
        inbound.text,
        inbound.html,
        inbound.spf,
        inbound.dkim,
        inbound.spam_score,
        dropped
    )
    .fetch_optional(&mut *tx)
    .await?;
    // The same message arriving twice at once: the other delivery stored it.
    let Some(message) = message else {
        return Ok(Outcome::Duplicate { org });
    };
    for (position, a) in kept.iter().enumerate() {
        sqlx::query!(
            "insert into inbox_attachments (org_id, message_id, position, file_name, content_type, size_bytes, content)
             values ($1, $2, $3, $4, $5, $6, $7)",
            org,
            message,
            position as i32,
            safe_file_name(&a.name),
            safe_content_type(&a.content_type),
            a.bytes.len() as i32,
            &a.bytes[..]
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(Outcome::Stored {
        org,
        thread,
        new_thread,
    })
}

/// A business whose website's domain is the sender's (or that an earlier thread with the same
/// customer was linked to); only when exactly one matches.
async fn matching_business(
    tx: &mut sqlx::PgConnection,
    org: Uuid,
    sender: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let earlier = sqlx::query_scalar!(
        "select business_id from inbox_threads
         where org_id = $1 and customer_address = $2 and business_id is not null
         order by created_at desc limit 1",
        org,
        sender
    )
    .fetch_optional(&mut *tx)
    .await?
    .flatten();
    if earlier.is_some() {
        return Ok(earlier);
    }
    let Some(domain) = sender.rsplit_once('@').map(|(_, d)| d.to_lowercase()) else {
        return Ok(None);
    };
    let found = sqlx::query_scalar!(
        r#"select business_id as "business_id!" from businesses
         where org_id = $1 and archived_at is null
           and $2 in (website_domain(website), website_domain(coalesce(maps_website, '')))
         limit 2"#,
        org,
        domain
    )
    .fetch_all(&mut *tx)
    .await?;
    Ok(match found.as_slice() {
        [one] => Some(*one),
        _ => None,
    })
}

fn safe_file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"'))
        .take(255)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "attachment".into()
    } else {
        cleaned
    }
}

fn safe_content_type(ct: &str) -> String {
    let ct = ct.trim().to_ascii_lowercase();
    let valid = ct.len() <= 255
        && ct.split_once('/').is_some_and(|(a, b)| {
            !a.is_empty()
                && !b.is_empty()
                && ct
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/.+-_".contains(c))
        });
    if valid {
        ct
    } else {
        "application/octet-stream".into()
    }
}
