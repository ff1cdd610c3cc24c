//! The businesses register: the organisation's own sites and the outside businesses it deals
//! with. Search is PostgreSQL full-text over name, address and notes; lists page by keyset.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{issues::IssueSummary, Relationship};
use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::{
        enrichment,
        fields::{choice, optional_choice, parse_id, stale_or_missing, InField, Versioned},
        issues::{self, IssueFilter},
    },
    crate::access::{self, Member},
    crate::audit::AuditAction,
    crate::domain::{Address, BusinessName, Notes, Phone, Tags, Website},
    crate::limits::{self, Counted},
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
    pub issues: Vec<IssueSummary>,
}

/// A business's fields as its form sends them (nested, as `form[name]` and so on): text as
/// typed, checked on the server by turning it into a [`BusinessInput`].
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BusinessForm {
    pub name: String,
    /// A [`Relationship`]'s stored name.
    pub relationship: String,
    pub address: String,
    pub phone: String,
    pub website: String,
    pub notes: String,
    /// Comma-separated.
    pub tags: String,
}

/// A business's fields checked and tidied once: a value of this type is valid.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, PartialEq)]
pub struct BusinessInput {
    name: BusinessName,
    relationship: Relationship,
    address: Address,
    phone: Phone,
    website: Website,
    notes: Notes,
    tags: Tags,
}

#[cfg(feature = "ssr")]
impl TryFrom<BusinessForm> for BusinessInput {
    type Error = AppError;

    /// The fields are checked in a fixed order and the first problem is the one reported, the
    /// same from the form as from a CSV row.
    fn try_from(form: BusinessForm) -> Result<Self, AppError> {
        let name = BusinessName::parse(&form.name).in_field("name")?;
        let relationship = choice(
            &form.relationship,
            Relationship::parse,
            "relationship",
            "Choose a relationship.",
        )?;
        let phone = Phone::parse(&form.phone).in_field("phone")?;
        let website = Website::parse(&form.website).in_field("website")?;
        let tags = Tags::parse(&form.tags).in_field("tags")?;
        let address = Address::parse(&form.address).in_field("address")?;
        let notes = Notes::parse(&form.notes).in_field("notes")?;
        Ok(Self {
            name,
            relationship,
            address,
            phone,
            website,
            notes,
            tags,
        })
    }
}

/// What the businesses list is narrowed to, as its page asks for it (nested, as `form[q]` and so
/// on). Empty fields mean "any".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BusinessQuery {
    /// Words to look for in the name, address and notes.
    pub q: String,
    /// A [`Relationship`]'s stored name.
    pub relationship: String,
    pub tag: String,
    /// Archived businesses instead of current ones.
    #[serde(default)]
    pub archived: bool,
    /// The previous page's `next`; empty for the first page.
    #[serde(default)]
    pub after: String,
}

/// A [`BusinessQuery`] checked: what the list's query binds.
#[cfg(feature = "ssr")]
struct BusinessFilter {
    search: Option<String>,
    relationship: Option<Relationship>,
    tag: Option<String>,
    archived: bool,
    /// The last row's sort key: its lower-cased name and id.
    after: Option<(String, Uuid)>,
}

#[cfg(feature = "ssr")]
impl TryFrom<BusinessQuery> for BusinessFilter {
    type Error = AppError;

    fn try_from(query: BusinessQuery) -> Result<Self, AppError> {
        let relationship = optional_choice(
            &query.relationship,
            Relationship::parse,
            "relationship",
            "Unknown relationship.",
        )?;
        let tag = Some(query.tag.trim().to_lowercase()).filter(|t| !t.is_empty());
        let after = match query.after.rsplit_once('\u{1f}') {
            Some((name, id)) => Some((name.to_string(), parse_id(id)?)),
            None => None,
        };
        Ok(Self {
            search: prefix_query(&query.q),
            relationship,
            tag,
            archived: query.archived,
            after,
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
pub async fn list_businesses(slug: String, form: BusinessQuery) -> Result<BusinessPage, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let filter = BusinessFilter::try_from(form)?;
    let (after_name, after_id) = filter.after.unzip();
    let rows = sqlx::query!(
        r#"select b.business_id, b.name, b.relationship, b.address, b.tags, b.archived_at is not null as "archived!",
                  (select count(*) from issues i where i.org_id = b.org_id and i.business_id = b.business_id
                     and issue_is_open(i.status) and i.archived_at is null) as "open_issues!"
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
        filter.search,
        filter.relationship.map(Relationship::as_str),
        filter.tag,
        filter.archived,
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
                  archived_at is not null as "archived!", version
           from businesses where org_id = $1 and business_id = $2"#,
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let issues = issues::page(&mut m, &IssueFilter::of_business(id))
        .await?
        .items;
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
        issues,
    })
}

#[cfg(feature = "ssr")]
pub(crate) async fn insert_business(m: &mut Member, b: &BusinessInput) -> Result<Uuid, AppError> {
    Ok(sqlx::query_scalar!(
        "insert into businesses (org_id, name, relationship, address, phone, website, notes, tags)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning business_id",
        m.org_id,
        b.name.as_str(),
        b.relationship.as_str(),
        b.address.as_str(),
        b.phone.as_str(),
        b.website.as_str(),
        b.notes.as_str(),
        b.tags.as_slice()
    )
    .fetch_one(&mut *m.tx)
    .await?)
}

#[server(endpoint = "work/create_business", client = CsrfClient)]
pub async fn create_business(slug: String, form: BusinessForm) -> Result<String, AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let input = BusinessInput::try_from(form)?;
    limits::admit(&mut m, Counted::Businesses, 1).await?;
    let id = insert_business(&mut m, &input).await?;
    enrichment::on_change(&mut m, id).await?;
    m.audit(
        AuditAction::BusinessCreated,
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
pub async fn update_business(
    slug: String,
    business_id: String,
    version: i32,
    form: BusinessForm,
) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Edit).await?;
    let id = parse_id(&business_id)?;
    let input = BusinessInput::try_from(form)?;
    let saved = sqlx::query_scalar!(
        r#"update businesses b set name = $4, relationship = $5, address = $6, phone = $7, website = $8,
                notes = $9, tags = $10, version = b.version + 1
           from businesses before
           where b.org_id = $1 and b.business_id = $2 and b.version = $3
             and before.org_id = b.org_id and before.business_id = b.business_id
           returning before.address <> b.address as "address_changed!""#,
        m.org_id,
        id,
        version,
        input.name.as_str(),
        input.relationship.as_str(),
        input.address.as_str(),
        input.phone.as_str(),
        input.website.as_str(),
        input.notes.as_str(),
        input.tags.as_slice()
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    match saved {
        None => return Err(stale_or_missing(&mut m, Versioned::Business, id).await),
        Some(true) => enrichment::on_address_change(&mut m, id).await?,
        Some(false) => {}
    }
    m.audit(
        AuditAction::BusinessUpdated,
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
    if !archived {
        // Restored, it counts again.
        limits::admit(&mut m, Counted::Businesses, 0).await?;
    }
    let (action, verb) = if archived {
        (AuditAction::BusinessArchived, "Archived")
    } else {
        (AuditAction::BusinessRestored, "Restored")
    };
    m.audit(action, Some(&name), &format!("{verb} the business {name}"))
        .await?;
    m.commit().await
}

/// Deletes an archived business for good; its issues stay, no longer linked to it. A business
/// in use is archived first.
#[server(endpoint = "work/delete_business", client = CsrfClient)]
pub async fn delete_business(slug: String, business_id: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Purge).await?;
    let id = parse_id(&business_id)?;
    let deleted = sqlx::query_scalar!(
        "delete from businesses where org_id = $1 and business_id = $2 and archived_at is not null
         returning name",
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?;
    let Some(name) = deleted else {
        let in_use = sqlx::query_scalar!(
            "select name from businesses where org_id = $1 and business_id = $2",
            m.org_id,
            id
        )
        .fetch_optional(&mut *m.tx)
        .await?;
        return Err(match in_use {
            Some(name) => AppError::Refused(format!(
                "{name} is in use: archive it before deleting it for good."
            )),
            None => AppError::NotFound,
        });
    };
    m.audit(
        AuditAction::BusinessDeleted,
        Some(&name),
        &format!("Deleted the business {name} for good"),
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

    #[cfg(feature = "ssr")]
    fn form() -> BusinessForm {
        BusinessForm {
            name: " Bean There ".into(),
            relationship: "supplier".into(),
            address: "1 Quay St\nLeeds".into(),
            phone: "+44 113 496 0000".into(),
            website: "beanthere.co.uk".into(),
            notes: String::new(),
            tags: "Coffee, coffee , Beans".into(),
        }
    }

    #[cfg(feature = "ssr")]
    fn refused_field(form: BusinessForm) -> String {
        match BusinessInput::try_from(form) {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_business_form_becomes_a_tidy_input() {
        let b = BusinessInput::try_from(form()).unwrap();
        assert_eq!(b.name.as_str(), "Bean There");
        assert_eq!(b.relationship, Relationship::Supplier);
        assert_eq!(b.website.as_str(), "https://beanthere.co.uk");
        assert_eq!(b.tags.as_slice(), ["coffee", "beans"]);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_refused_business_form_names_the_field_at_fault() {
        let cases = [
            (
                BusinessForm {
                    name: "".into(),
                    ..form()
                },
                "name",
            ),
            (
                BusinessForm {
                    relationship: "friend".into(),
                    ..form()
                },
                "relationship",
            ),
            (
                BusinessForm {
                    phone: "call me".into(),
                    ..form()
                },
                "phone",
            ),
            (
                BusinessForm {
                    website: "javascript:alert(1)".into(),
                    ..form()
                },
                "website",
            ),
            (
                BusinessForm {
                    tags: "x".repeat(41),
                    ..form()
                },
                "tags",
            ),
            (
                BusinessForm {
                    address: "x".repeat(501),
                    ..form()
                },
                "address",
            ),
            (
                BusinessForm {
                    notes: "\u{0}".into(),
                    ..form()
                },
                "notes",
            ),
        ];
        for (form, field) in cases {
            assert_eq!(refused_field(form), field);
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_first_field_at_fault_is_the_one_reported() {
        let form = BusinessForm {
            name: String::new(),
            relationship: "friend".into(),
            ..form()
        };
        assert_eq!(refused_field(form), "name");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn a_business_list_filter_refuses_an_unknown_relationship_and_a_bad_cursor() {
        let query = |relationship: &str, after: &str| BusinessQuery {
            relationship: relationship.into(),
            after: after.into(),
            ..BusinessQuery::default()
        };
        assert!(matches!(
            BusinessFilter::try_from(query("friend", "")),
            Err(AppError::Invalid { field, .. }) if field == "relationship"
        ));
        assert_eq!(
            BusinessFilter::try_from(query("", "bean\u{1f}not-an-id")).err(),
            Some(AppError::NotFound)
        );
        let f = BusinessFilter::try_from(query("own_site", "")).unwrap();
        assert_eq!(f.relationship, Some(Relationship::OwnSite));
        assert!(f.after.is_none() && f.search.is_none());
    }

    #[test]
    fn search_words_become_a_safe_prefix_query() {
        assert_eq!(prefix_query("Bean  quay"), Some("bean:* & quay:*".into()));
        assert_eq!(prefix_query("it's & | ! ("), Some("it:* & s:*".into()));
        assert_eq!(prefix_query(" !! "), None);
    }
}
