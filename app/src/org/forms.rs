//! The organisation forms as their server functions receive them (`form[name]`, …), and, on
//! the server, the checked values each becomes. The organisation itself is never part of a
//! form: every function takes its `slug` first, to check the caller's membership before
//! anything else. Errors name the field they are about, as the pages expect.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    crate::{
        domain::{EmailAddress, OrgName, Slug, Zone},
        error::AppError,
        roles::Role,
    },
    time::Date,
    uuid::Uuid,
};

/// A role as a form names it. Whether the caller may grant it is for the function to check.
#[cfg(feature = "ssr")]
pub(crate) fn parse_role(role: &str) -> Result<Role, AppError> {
    Role::parse(role).ok_or_else(|| AppError::invalid("role", "Choose a role."))
}

/// A member's id as a form names it. An id that is not one is simply not found.
#[cfg(feature = "ssr")]
pub(crate) fn parse_member_id(user_id: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(user_id).map_err(|_| AppError::NotFound)
}

// --- a new organisation ---------------------------------------------------------------------

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CreateOrganisationForm {
    pub name: String,
    /// The address wanted; empty to make one from the name.
    pub slug: String,
}

#[cfg(feature = "ssr")]
pub struct CreateOrganisationInput {
    name: OrgName,
    slug: Option<Slug>,
}

#[cfg(feature = "ssr")]
impl CreateOrganisationInput {
    pub fn name(&self) -> &OrgName {
        &self.name
    }

    /// The address chosen, or `None` to derive one from the name.
    pub fn slug(&self) -> Option<&Slug> {
        self.slug.as_ref()
    }
}

#[cfg(feature = "ssr")]
impl TryFrom<CreateOrganisationForm> for CreateOrganisationInput {
    type Error = AppError;

    fn try_from(form: CreateOrganisationForm) -> Result<Self, AppError> {
        let name = OrgName::parse(&form.name).map_err(|e| AppError::invalid("name", e))?;
        let slug = match form.slug.trim() {
            "" => None,
            s => Some(Slug::parse(s).map_err(|e| AppError::invalid("slug", e))?),
        };
        Ok(Self { name, slug })
    }
}

// --- an invitation --------------------------------------------------------------------------

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct InviteMemberForm {
    pub email: String,
    pub role: String,
}

#[cfg(feature = "ssr")]
pub struct InviteMemberInput {
    email: EmailAddress,
    role: Role,
}

#[cfg(feature = "ssr")]
impl InviteMemberInput {
    pub fn email(&self) -> &EmailAddress {
        &self.email
    }

    pub fn role(&self) -> Role {
        self.role
    }
}

#[cfg(feature = "ssr")]
impl TryFrom<InviteMemberForm> for InviteMemberInput {
    type Error = AppError;

    fn try_from(form: InviteMemberForm) -> Result<Self, AppError> {
        Ok(Self {
            email: EmailAddress::parse(&form.email).map_err(|e| AppError::invalid("email", e))?,
            role: parse_role(&form.role)?,
        })
    }
}

// --- a change of role -----------------------------------------------------------------------

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ChangeRoleForm {
    pub user_id: String,
    pub role: String,
}

#[cfg(feature = "ssr")]
pub struct ChangeRoleInput {
    user_id: Uuid,
    role: Role,
}

#[cfg(feature = "ssr")]
impl ChangeRoleInput {
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }

    pub fn role(&self) -> Role {
        self.role
    }
}

#[cfg(feature = "ssr")]
impl TryFrom<ChangeRoleForm> for ChangeRoleInput {
    type Error = AppError;

    fn try_from(form: ChangeRoleForm) -> Result<Self, AppError> {
        Ok(Self {
            user_id: parse_member_id(&form.user_id)?,
            role: parse_role(&form.role)?,
        })
    }
}

// --- settings -------------------------------------------------------------------------------

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SettingsForm {
    pub name: String,
    pub new_slug: String,
    /// An IANA name; empty leaves the zone as it is.
    #[serde(default)]
    pub time_zone: String,
}

#[cfg(feature = "ssr")]
pub struct SettingsInput {
    name: OrgName,
    new_slug: Slug,
    zone: Option<Zone>,
}

#[cfg(feature = "ssr")]
impl SettingsInput {
    pub fn name(&self) -> &OrgName {
        &self.name
    }

    pub fn new_slug(&self) -> &Slug {
        &self.new_slug
    }

    pub fn zone(&self) -> Option<&Zone> {
        self.zone.as_ref()
    }
}

#[cfg(feature = "ssr")]
impl TryFrom<SettingsForm> for SettingsInput {
    type Error = AppError;

    fn try_from(form: SettingsForm) -> Result<Self, AppError> {
        Ok(Self {
            name: OrgName::parse(&form.name).map_err(|e| AppError::invalid("name", e))?,
            new_slug: Slug::parse(&form.new_slug).map_err(|e| AppError::invalid("new_slug", e))?,
            zone: match form.time_zone.trim() {
                "" => None,
                z => Some(Zone::parse(z).map_err(|e| AppError::invalid("time_zone", e))?),
            },
        })
    }
}

// --- the two-factor rule ------------------------------------------------------------------

/// Whether every member must sign in with two-factor.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TwoFactorRuleForm {
    pub required: bool,
}

// --- the audit log's filters ----------------------------------------------------------------

/// The audit log's filters, as the page's address and its export form carry them. Empty means
/// "any"; dates are `YYYY-MM-DD`, as a date input sends them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilterForm {
    /// An action's stored name, or the area before its dot (`member` for every `member.…`).
    pub action: String,
    /// Part of the actor's email address.
    pub actor: String,
    pub from: String,
    pub to: String,
}

/// Filters shared by the audit log page and its export, checked.
#[cfg(feature = "ssr")]
#[derive(Debug, PartialEq, Eq)]
pub struct AuditFilter {
    action: Option<String>,
    actor: Option<String>,
    from: Option<Date>,
    to: Option<Date>,
}

#[cfg(feature = "ssr")]
impl AuditFilter {
    pub fn action(&self) -> Option<&str> {
        self.action.as_deref()
    }

    pub fn actor(&self) -> Option<&str> {
        self.actor.as_deref()
    }

    /// The first day shown, if any.
    pub fn from(&self) -> Option<Date> {
        self.from
    }

    /// The last day shown (inclusive), if any.
    pub fn to(&self) -> Option<Date> {
        self.to
    }
}

#[cfg(feature = "ssr")]
impl TryFrom<AuditFilterForm> for AuditFilter {
    type Error = AppError;

    fn try_from(form: AuditFilterForm) -> Result<Self, AppError> {
        // Bounded: filters end up in a query, and the address is whatever the client sent.
        let text = |s: &str| {
            Some(s.trim().chars().take(200).collect::<String>()).filter(|s| !s.is_empty())
        };
        let date = |field: &str, s: &str| -> Result<Option<Date>, AppError> {
            match s.trim() {
                "" => Ok(None),
                s => Date::parse(
                    s,
                    &time::macros::format_description!("[year]-[month]-[day]"),
                )
                .map(Some)
                .map_err(|_| AppError::invalid(field, "Use a date such as 2026-11-29.")),
            }
        };
        Ok(Self {
            action: text(&form.action),
            actor: text(&form.actor),
            from: date("from", &form.from)?,
            to: date("to", &form.to)?,
        })
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn audit_filters_trim_and_read_dates() {
        let filter = AuditFilter::try_from(AuditFilterForm {
            action: " member ".into(),
            actor: String::new(),
            from: "2026-11-01".into(),
            to: String::new(),
        })
        .unwrap();
        assert_eq!(filter.action(), Some("member"));
        assert_eq!(filter.actor(), None);
        assert_eq!(
            filter.from(),
            Some(Date::from_calendar_date(2026, time::Month::November, 1).unwrap())
        );
        assert_eq!(filter.to(), None);
        let bad = AuditFilter::try_from(AuditFilterForm {
            to: "29/11/2026".into(),
            ..Default::default()
        });
        assert!(matches!(bad, Err(AppError::Invalid { field, .. }) if field == "to"));
    }

    #[test]
    fn an_empty_address_is_derived_later_and_a_bad_one_is_refused() {
        let input = CreateOrganisationInput::try_from(CreateOrganisationForm {
            name: "Alpha Cafés".into(),
            slug: "  ".into(),
        })
        .unwrap();
        assert!(input.slug().is_none());
        let bad = CreateOrganisationInput::try_from(CreateOrganisationForm {
            name: "Alpha Cafés".into(),
            slug: "Not A Slug!".into(),
        });
        assert!(matches!(bad, Err(AppError::Invalid { field, .. }) if field == "slug"));
    }
}
