//! The businesses register: the organisation's own sites and the outside businesses it deals
//! with. Search is PostgreSQL full-text over name, address and notes; lists page by keyset.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{fields::text, issues::IssueSummary, Relationship};
use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::fields::{parse_id, stale_or_missing, Versioned},
    crate::access::{self, Member},
    crate::roles::Permission,
    uuid::Uuid,
};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BusinessSummary {
    pub id: String,
    pub name: String,
    pub relationship: Relationship,
    pub address: String,
    pub tags: Vec<String>,
    pub archived: bool,
    pub open_issues: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BusinessPage {
    pub items: Vec<BusinessSummary>,
    /// Pass back as `after` for the next page.
    pub next: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Business {
    pub id: String,
    pub name: String,
    pub relationship: Relationship,
    pub address: String,
    pub phone: String,
    pub website: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub archived: bool,
    /// The copy's version: an edit made from an older one is refused.
    pub version: i32,
    pub rating: Option<String>,
    pub maps_url: Option<String>,
    pub enriched_at: Option<String>,
    pub issues: Vec<IssueSummary>,
}

/// A business's fields as typed, checked once: a value of this type is valid.
#[derive(Clone, Debug, PartialEq)]
pub struct BusinessInput {
    pub name: String,
    pub relationship: Relationship,
    pub address: String,
    pub phone: String,
    pub website: String,
    pub notes: String,
    pub tags: Vec<String>,
}

impl BusinessInput {
    pub fn parse(
        name: &str,
        relationship: &str,
        address: &str,
        phone: &str,
        website: &str,
        notes: &str,
        tags: &str,
    ) -> Result<Self, AppError> {
        let name = text("name", "The name", name, 200, false)?;
        if name.is_empty() {
            return Err(AppError::invalid("name", "Enter the business's name."));
        }
        let relationship = Relationship::parse(relationship.trim())
            .ok_or_else(|| AppError::invalid("relationship", "Choose a relationship."))?;
        let phone = text("phone", "The phone number", phone, 50, false)?;
        if !phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +()-.".contains(c))
        {
            return Err(AppError::invalid(
                "phone",
                "Use digits, spaces and + ( ) - only.",
            ));
        }
        let mut website = text("website", "The website", website, 500, false)?;
        if !website.is_empty() {
            if !website.contains("://") {
                website = format!("https://{website}");
            }
            let ok = (website.starts_with("https://") || website.starts_with("http://"))
                && website
                    .split("://")
                    .nth(1)
                    .and_then(|rest| rest.split('/').next())
                    .is_some_and(|host| host.contains('.') && !host.contains(char::is_whitespace));
            if !ok {
                return Err(AppError::invalid(
                    "website",
                    "Enter a web address such as https://example.co.uk.",
                ));
            }
        }
        let mut parsed_tags: Vec<String> = Vec::new();
        for tag in tags
            .split(',')
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
        {
            if tag.chars().count() > 40 || tag.chars().any(char::is_control) {
                return Err(AppError::invalid(
                    "tags",
                    "Tags are at most 40 characters each.",
                ));
            }
            if !parsed_tags.contains(&tag) {
                parsed_tags.push(tag);
            }
        }
        if parsed_tags.len() > 20 {
            return Err(AppError::invalid("tags", "Use at most 20 tags."));
        }
        Ok(Self {
            name,
            relationship,
            address: text("address", "The address", address, 500, true)?,
            phone,
            website,
            notes: text("notes", "Notes", notes, 10_000, true)?,
            tags: parsed_tags,
        })
    }
}

/// Words of a search box as a prefix query for PostgreSQL (`cafe:* & leeds:*`): only letters and
/// digits reach the query parser, so no input can make it fail.
pub fn prefix_query(q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(|w| format!("{}:*", w.to_lowercase()))
        .collect();
    (!words.is_empty()).then(|| words.join(" & "))
}

#[cfg(feature = "ssr")]
const PAGE: i64 = 25;

/// Businesses matching a search and filters, by name, a page at a time.
#[server(endpoint = "work/businesses", client = CsrfClient)]
pub async fn list_businesses(
    slug: String,
    q: String,
    relationship: String,
    tag: String,
    archived: bool,
    after: Option<String>,
) -> Result<BusinessPage, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let relationship = match relationship.trim() {
        "" => None,
        r => Some(
            Relationship::parse(r)
                .ok_or_else(|| AppError::invalid("relationship", "Unknown relationship."))?
                .as_str(),
        ),
    };
    let tag = Some(tag.trim().to_lowercase()).filter(|t| !t.is_empty());
    // The cursor is the last row's sort key: its lower-cased name and id.
    let (after_name, after_id) = match after.as_deref().and_then(|a| a.rsplit_once('\u{1f}')) {
        Some((name, id)) => (Some(name.to_string()), Some(parse_id(id)?)),
        None => (None, None),
    };
    let rows = sqlx::query!(
        r#"select b.business_id, b.name, b.relationship, b.address, b.tags, b.archived_at is not null as "archived!",
                  (select count(*) from issues i where i.org_id = b.org_id and i.business_id = b.business_id
                     and issue_is_open(i.status)) as "open_issues!"
           from businesses b
           where b.org_id = $1
             and ($2::text is null or b.search @@ to_tsquery('simple', $2))
             and ($3::text is null or b.relationship = $3)
             and ($4::text is null or b.tags @> array[$4])
             and (b.archived_at is not null) = $5
             and ($6::text is null or (lower(b.name), b.business_id) > ($6, $7::uuid))
           order by lower(b.name), b.business_id
           limit $8"#,
        m.org_id,
        prefix_query(&q),
        relationship,
        tag,
        archived,
        after_name,
        after_id,
        PAGE + 1
    )
    .fetch_all(&mut *m.tx)
    .await?;
    let mut items: Vec<BusinessSummary> = rows
        .into_iter()
        .filter_map(|r| {
            Some(BusinessSummary {
                relationship: Relationship::parse(&r.relationship)?,
                id: r.business_id.to_string(),
                name: r.name,
                address: r.address,
                tags: r.tags,
                archived: r.archived,
                open_issues: r.open_issues,
            })
        })
        .collect();
    let next = (items.len() as i64 > PAGE).then(|| {
        items.truncate(PAGE as usize);
        items
            .last()
            .map(|b| format!("{}\u{1f}{}", b.name.to_lowercase(), b.id))
    });
    Ok(BusinessPage {
        items,
        next: next.flatten(),
    })
}

#[server(endpoint = "work/business", client = CsrfClient)]
pub async fn get_business(slug: String, business_id: String) -> Result<Business, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let id = parse_id(&business_id)?;
    let r = sqlx::query!(
        r#"select business_id, name, relationship, address, phone, website, notes, tags,
                  archived_at is not null as "archived!", version, rating::text as rating, maps_url,
                  to_char(enriched_at at time zone 'UTC', 'YYYY-MM-DD') as enriched_at
           from businesses where org_id = $1 and business_id = $2"#,
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let filter = super::issues::IssueFilter {
        business: Some(id),
        ..Default::default()
    };
    let issues = super::issues::page(&mut m, &filter).await?.items;
    Ok(Business {
        relationship: Relationship::parse(&r.relationship).ok_or(AppError::Internal)?,
        id: r.business_id.to_string(),
        name: r.name,
        address: r.address,
        phone: r.phone,
        website: r.website,
        notes: r.notes,
        tags: r.tags,
        archived: r.archived,
        version: r.version,
        rating: r.rating,
        maps_url: r.maps_url,
        enriched_at: r.enriched_at,
        issues,
    })
}

#[cfg(feature = "ssr")]
pub(crate) async fn insert_business(m: &mut Member, b: &BusinessInput) -> Result<Uuid, AppError> {
    Ok(sqlx::query_scalar!(
        "insert into businesses (org_id, name, relationship, address, phone, website, notes, tags)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning business_id",
        m.org_id,
        b.name,
        b.relationship.as_str(),
        b.address,
        b.phone,
        b.website,
        b.notes,
        &b.tags
    )
    .fetch_one(&mut *m.tx)
    .await?)
}

#[server(endpoint = "work/create_business", client = CsrfClient)]
#[allow(clippy::too_many_arguments)]
pub async fn create_business(
    slug: String,
    name: String,
    relationship: String,
    address: String,
    phone: String,
    website: String,
    notes: String,
    tags: String,
) -> Result<String, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let input = BusinessInput::parse(
        &name,
        &relationship,
        &address,
        &phone,
        &website,
        &notes,
        &tags,
    )?;
    let id = insert_business(&mut m, &input).await?;
    m.audit(
        "business.created",
        Some(&input.name),
        &format!(
            "Added the business {} ({})",
            input.name,
            input.relationship.label()
        ),
    )
    .await?;
    m.commit().await?;
    Ok(id.to_string())
}

/// Saves an edit made from the copy at `version`; if someone saved since, nothing is written.
#[server(endpoint = "work/update_business", client = CsrfClient)]
#[allow(clippy::too_many_arguments)]
pub async fn update_business(
    slug: String,
    business_id: String,
    version: i32,
    name: String,
    relationship: String,
    address: String,
    phone: String,
    website: String,
    notes: String,
    tags: String,
) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&business_id)?;
    let input = BusinessInput::parse(
        &name,
        &relationship,
        &address,
        &phone,
        &website,
        &notes,
        &tags,
    )?;
    let saved = sqlx::query!(
        "update businesses set name = $4, relationship = $5, address = $6, phone = $7, website = $8,
                notes = $9, tags = $10, version = version + 1
         where org_id = $1 and business_id = $2 and version = $3",
        m.org_id,
        id,
        version,
        input.name,
        input.relationship.as_str(),
        input.address,
        input.phone,
        input.website,
        input.notes,
        &input.tags
    )
    .execute(&mut *m.tx)
    .await?
    .rows_affected();
    if saved == 0 {
        return Err(stale_or_missing(&mut m, Versioned::Business, id).await);
    }
    m.audit(
        "business.updated",
        Some(&input.name),
        &format!("Edited the business {}", input.name),
    )
    .await?;
    m.commit().await
}

#[server(endpoint = "work/archive_business", client = CsrfClient)]
pub async fn archive_business(
    slug: String,
    business_id: String,
    archived: bool,
) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::ArchiveDelete).await?;
    let id = parse_id(&business_id)?;
    let name = sqlx::query_scalar!(
        "update businesses set archived_at = case when $3 then coalesce(archived_at, now()) end, version = version + 1
         where org_id = $1 and business_id = $2 returning name",
        m.org_id,
        id,
        archived
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let (action, verb) = if archived {
        ("business.archived", "Archived")
    } else {
        ("business.restored", "Restored")
    };
    m.audit(action, Some(&name), &format!("{verb} the business {name}"))
        .await?;
    m.commit().await
}

/// Deletes a business; its issues stay, no longer linked to it.
#[server(endpoint = "work/delete_business", client = CsrfClient)]
pub async fn delete_business(slug: String, business_id: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::ArchiveDelete).await?;
    let id = parse_id(&business_id)?;
    let name = sqlx::query_scalar!(
        "delete from businesses where org_id = $1 and business_id = $2 returning name",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    m.audit(
        "business.deleted",
        Some(&name),
        &format!("Deleted the business {name}"),
    )
    .await?;
    let slug = m.slug.clone();
    m.commit().await?;
    leptos_axum::redirect(&format!("/o/{slug}/businesses"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_fields_are_checked_and_tidied() {
        let b = BusinessInput::parse(
            " Bean There ",
            "supplier",
            "1 Quay St\nLeeds",
            "+44 113 496 0000",
            "beanthere.co.uk",
            "",
            "Coffee, coffee , Beans",
        )
        .unwrap();
        assert_eq!(b.name, "Bean There");
        assert_eq!(b.website, "https://beanthere.co.uk");
        assert_eq!(b.tags, vec!["coffee", "beans"]);
        let field = |r: Result<BusinessInput, AppError>| match r {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(BusinessInput::parse("", "supplier", "", "", "", "", "")),
            "name"
        );
        assert_eq!(
            field(BusinessInput::parse("X", "friend", "", "", "", "", "")),
            "relationship"
        );
        assert_eq!(
            field(BusinessInput::parse(
                "X", "customer", "", "call me", "", "", ""
            )),
            "phone"
        );
        assert_eq!(
            field(BusinessInput::parse(
                "X",
                "customer",
                "",
                "",
                "javascript:alert(1)",
                "",
                ""
            )),
            "website"
        );
    }

    #[test]
    fn search_words_become_a_safe_prefix_query() {
        assert_eq!(prefix_query("Bean  quay"), Some("bean:* & quay:*".into()));
        assert_eq!(prefix_query("it's & | ! ("), Some("it:* & s:*".into()));
        assert_eq!(prefix_query(" !! "), None);
    }
}
