//! What the workspace's server functions share when they read forms and save by version:
//! putting a domain error on its field, reading ids and choices, and saying why an update by
//! version touched nothing.

use std::fmt::Display;

use uuid::Uuid;

use crate::{access::Member, error::AppError};

/// Puts a domain type's error on the form field it is about, for the form to show beside it.
pub(crate) trait InField<T> {
    fn in_field(self, field: &str) -> Result<T, AppError>;
}

impl<T, E: Display> InField<T> for Result<T, E> {
    fn in_field(self, field: &str) -> Result<T, AppError> {
        self.map_err(|e| AppError::invalid(field, e))
    }
}

/// A record's id as sent back by a page. Anything that is not an id is "not found", like an id
/// of another organisation's record, so a guess learns nothing.
pub(crate) fn parse_id(id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)
}

/// An id field that may be left empty ("none", or "any" in a filter).
pub(crate) fn optional_id(id: &str) -> Result<Option<Uuid>, AppError> {
    match id.trim() {
        "" => Ok(None),
        id => parse_id(id).map(Some),
    }
}

/// A choice field: one of `parse`'s stored names, or an error on `field` saying `message`.
pub(crate) fn choice<T>(
    value: &str,
    parse: fn(&str) -> Option<T>,
    field: &str,
    message: &str,
) -> Result<T, AppError> {
    parse(value.trim()).ok_or_else(|| AppError::invalid(field, message))
}

/// A choice field that may be left empty, for "any" or "leave as is".
pub(crate) fn optional_choice<T>(
    value: &str,
    parse: fn(&str) -> Option<T>,
    field: &str,
    message: &str,
) -> Result<Option<T>, AppError> {
    match value.trim() {
        "" => Ok(None),
        v => choice(v, parse, field, message).map(Some),
    }
}

/// The records saved by version: an edit made from an older copy than the stored one is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Versioned {
    Business,
    Issue,
}

/// Why an update by version touched nothing: the record is gone (or was never this
/// organisation's), or someone saved a newer version first.
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
