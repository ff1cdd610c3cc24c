//! The organisation's search box: the businesses, issues and conversations whose words start
//! with those typed, a few of each, for the header to offer as links.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {super::businesses::prefix_query, crate::access, crate::roles::Permission};

choice!(
    /// What a search result is.
    HitKind {
        Issue => ("issue", "Issue"),
        Business => ("business", "Business"),
        Thread => ("thread", "Conversation"),
    }
);

/// One result: what it is, what it is called, and where it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub kind: HitKind,
    pub label: String,
    pub link: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SearchForm {
    pub q: String,
}

/// How many of each kind the box offers.
pub const PER_KIND: i64 = 5;

/// Issues (newest first), businesses (by name) and conversations (latest first) in use whose
/// words start with the words typed; none for nothing typed.
#[server(endpoint = "work/search", client = CsrfClient)]
pub async fn search_organisation(slug: String, form: SearchForm) -> Result<Vec<Hit>, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let Some(q) = prefix_query(&form.q) else {
        return Ok(Vec::new());
    };
    let org = m.org_id;
    let issues = sqlx::query!(
        r#"select number, title from issues
           where org_id = $1 and archived_at is null and issue_id in (
               select issue_id from issues where org_id = $1 and search @@ to_tsquery('simple', $2)
               union
               select issue_id from issue_comments where org_id = $1 and search @@ to_tsquery('simple', $2))
           order by number desc limit $3"#,
        org,
        q,
        PER_KIND
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let businesses = sqlx::query!(
        "select business_id, name from businesses
         where org_id = $1 and archived_at is null and search @@ to_tsquery('simple', $2)
         order by lower(name), business_id limit $3",
        org,
        q,
        PER_KIND
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let threads = sqlx::query!(
        "select thread_id, subject from inbox_threads
         where org_id = $1 and search @@ to_tsquery('simple', $2)
         order by last_message_at desc, thread_id limit $3",
        org,
        q,
        PER_KIND
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let slug = &m.slug;
    Ok(issues
        .into_iter()
        .map(|i| Hit {
            kind: HitKind::Issue,
            label: format!("#{} {}", i.number, i.title),
            link: format!("/o/{slug}/issues/{}", i.number),
        })
        .chain(businesses.into_iter().map(|b| Hit {
            kind: HitKind::Business,
            label: b.name,
            link: format!("/o/{slug}/businesses/{}", b.business_id),
        }))
        .chain(threads.into_iter().map(|t| Hit {
            kind: HitKind::Thread,
            label: if t.subject.is_empty() {
                "(no subject)".into()
            } else {
                t.subject
            },
            link: format!("/o/{slug}/inbox/{}", t.thread_id),
        }))
        .collect())
}
