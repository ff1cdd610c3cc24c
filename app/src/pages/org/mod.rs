//! Organisation pages: the list and creation form, an invitation link, and under `/o/{slug}/`
//! the shell with the switcher, members and invitations, settings and the audit log, one file
//! each. What each page offers comes from the same roles matrix the server enforces.

mod ai;
mod audit;
mod bell;
mod billing;
mod export;
mod invitations;
mod invite;
mod members;
mod organisations;
mod search_box;
mod settings;
mod shell;

pub use ai::AiRecordPage;
pub use audit::AuditLogPage;
pub use billing::BillingPage;
pub use invite::InvitePage;
pub use members::MembersPage;
pub use organisations::OrganisationsPage;
pub use settings::SettingsPage;
pub use shell::{OrgHome, OrgShell};

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::{
    components::problem::set_status,
    org::OrgContext,
    roles::{Permission, Role},
};

/// The organisation's slug as the address has it, which may be an old one.
fn slug_param() -> String {
    use_params_map().read().get("slug").unwrap_or_default()
}

/// The organisation the shell resolved, for the pages inside it.
fn org() -> OrgContext {
    expect_context::<OrgContext>()
}

/// The roles `role` may give someone, most powerful first.
fn grantable_roles(role: Role) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| role.can_grant(*r))
        .collect()
}

/// A choice of role, named as the forms that change roles post it.
#[component]
fn RoleSelect(
    id: String,
    /// The form field's name.
    name: &'static str,
    roles: Vec<Role>,
    selected: Option<Role>,
) -> impl IntoView {
    view! {
        <select id=id name=name>
            {roles.into_iter().map(|r| view! {
                <option value=r.as_str() selected=Some(r) == selected>{r.label()}</option>
            }).collect_view()}
        </select>
    }
}

/// A page of the organisation that the viewer's role does not allow, with status 403.
#[component]
fn NotAllowed(title: &'static str, role: Role, permission: Permission) -> impl IntoView {
    set_status(http::StatusCode::FORBIDDEN);
    view! {
        <h1>{title}</h1>
        <p role="alert">{format!("Your role ({}) does not allow you to {}.", role.label(), permission.describe())}</p>
    }
}
