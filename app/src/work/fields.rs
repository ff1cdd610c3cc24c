//! What the businesses and issues functions share: checking text fields, reading record ids, and
//! saying why an update by version touched nothing.

#[cfg(feature = "ssr")]
use {crate::access::Member, uuid::Uuid};

use crate::error::AppError;

/// A text field: trimmed, at most `max` characters, without control characters other than
/// line breaks where `multiline`.
pub(crate) fn text(
    field: &str,
    label: &str,
    value: &str,
    max: usize,
    multiline: bool,
) -> Result<String, AppError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("{label} is at most {max} characters."),
        ));
    }
    if v.chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r' || c == '\t')))
    {
        return Err(AppError::invalid(
            field,
            format!("{label} cannot contain control characters."),
        ));
    }
    Ok(v.to_string())
}

/// A record's id as sent back by a page. Anything that is not an id is "not found", like an id
/// of another organisation's record, so a guess learns nothing.
#[cfg(feature = "ssr")]
pub(crate) fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)
}

/// The records saved by version: an edit made from an older copy than the stored one is refused.
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Versioned {
    Business,
    Issue,
}

/// Why an update by version touched nothing: the record is gone (or was never this
/// organisation's), or someone saved a newer version first.
#[cfg(feature = "ssr")]
pub(crate) async fn stale_or_missing(m: &mut Member, record: Versioned, id: Uuid) -> AppError {
    let exists = match record {
        Versioned::Business => sqlx::query_scalar!(
            r#"select exists (select 1 from businesses where org_id = $1 and business_id = $2) as "e!""#,
            m.org_id,
            id
        )
        .fetch_one(&mut *m.tx)
        .await,
        Versioned::Issue => sqlx::query_scalar!(
            r#"select exists (select 1 from issues where org_id = $1 and issue_id = $2) as "e!""#,
            m.org_id,
            id
        )
        .fetch_one(&mut *m.tx)
        .await,
    };
    match exists {
        Ok(true) => AppError::Refused(
            "Someone else saved a change while you were editing. Reload to see it, then make your change again."
                .into(),
        ),
        Ok(false) => AppError::NotFound,
        Err(e) => e.into(),
    }
}
