//! The two audit logs and the one list of what they record.
//!
//! The account log (`audit_events`) holds security events of accounts: sign-ins, password and
//! email changes, deletions, and refusals outside any organisation. Each organisation's log
//! (`org_audit_events`) holds what its members did there, and is what its audit log page shows
//! and exports. Both store an action by the name [`AuditAction::as_str`] gives; stored rows,
//! the audit log filter and exports depend on those names, so a name never changes once used.

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::{error::AppError, request::RequestMeta};

/// Declares the actions with their stored names, once: the enum, its names and the list of all.
macro_rules! audit_actions {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)+) => {
        /// Something the audit logs record.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum AuditAction {
            $($(#[doc = $doc])* $variant,)+
        }

        impl AuditAction {
            /// Every action, in declaration order.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$variant,)+];

            /// The name stored in the logs, `area.event`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(AuditAction::$variant => $name,)+
                }
            }
        }
    };
}

audit_actions! {
    // The account log.
    /// An account was created.
    AccountSignUp => "account.sign_up",
    /// An account's email address was confirmed by its link.
    AccountEmailVerified => "account.email_verified",
    /// A new verification link was sent.
    AccountVerificationResent => "account.verification_resent",
    /// A change of email address was asked for; the new address got a link.
    AccountEmailChangeRequested => "account.email_change_requested",
    /// A change of email address was confirmed.
    AccountEmailChanged => "account.email_changed",
    /// An account was deleted by its user.
    AccountDeleted => "account.deleted",
    /// A person downloaded a copy of their own data.
    AccountExported => "account.exported",
    /// Accounts were imported from the Django site; written by the server's import.
    AccountDjangoImport => "account.django_import",
    /// A successful sign-in.
    SignIn => "auth.sign_in",
    /// A refused sign-in: wrong address or password.
    SignInFailed => "auth.sign_in_failed",
    /// A sign-out.
    SignOut => "auth.sign_out",
    /// A password reset link was sent.
    PasswordResetRequested => "auth.password_reset_requested",
    /// A password was reset by its link.
    PasswordReset => "auth.password_reset",
    /// A signed-in user changed their password.
    PasswordChanged => "auth.password_changed",
    /// A change of password was refused: the current password was wrong.
    PasswordChangeFailed => "auth.password_change_failed",
    /// A sensitive change was refused: the password was wrong.
    ReauthenticationFailed => "auth.reauthentication_failed",
    /// A sign-in's second step was refused: a wrong, reused or unknown code.
    SecondFactorFailed => "auth.second_factor_failed",
    /// A signed-in user confirmed it was them (password or code) before a dangerous action.
    IdentityConfirmed => "auth.identity_confirmed",
    /// Confirming it was them failed: a wrong password or code.
    IdentityConfirmationFailed => "auth.identity_confirmation_failed",
    /// Two-factor sign-in was turned on, with ten new recovery codes.
    TwoFactorEnabled => "two_factor.enabled",
    /// Two-factor sign-in was turned off; its secret and recovery codes were deleted.
    TwoFactorDisabled => "two_factor.disabled",
    /// New recovery codes replaced the old ones.
    RecoveryCodesRegenerated => "two_factor.recovery_codes_regenerated",
    /// A recovery code was used in place of a code from the app.
    RecoveryCodeUsed => "two_factor.recovery_code_used",
    /// A user ended some of their sessions.
    SessionsEnded => "auth.sessions_ended",
    /// An organisation was deleted; recorded in the account log because its own log goes with it.
    OrganisationDeleted => "organisation.deleted",
    /// The account was made Ops Intel staff (`server staff grant`).
    StaffGranted => "staff.granted",
    /// The account stopped being Ops Intel staff (`server staff revoke`).
    StaffRevoked => "staff.revoked",

    // Both logs: refusals, recorded by the server for any server function.
    /// A member's role did not allow what they asked for.
    AccessDenied => "access.denied",
    /// Something asked for was not found, or belongs to an organisation the caller is not in.
    AccessNotFound => "access.not_found",

    // An organisation's log: the organisation and its members.
    /// An organisation was created.
    OrganisationCreated => "organisation.created",
    /// An organisation was renamed.
    OrganisationRenamed => "organisation.renamed",
    /// An organisation's address changed.
    OrganisationSlugChanged => "organisation.slug_changed",
    /// An organisation's time zone (where its days begin and end) changed.
    OrganisationTimeZoneChanged => "organisation.time_zone_changed",
    /// Someone was invited.
    InvitationCreated => "invitation.created",
    /// An invitation was sent again with a new link.
    InvitationResent => "invitation.resent",
    /// An invitation was withdrawn.
    InvitationRevoked => "invitation.revoked",
    /// An invitation was accepted.
    InvitationAccepted => "invitation.accepted",
    /// A member's role changed.
    MemberRoleChanged => "member.role_changed",
    /// A member was removed.
    MemberRemoved => "member.removed",
    /// A member left, or deleted their account.
    MemberLeft => "member.left",
    /// The Owner handed ownership to another member.
    OwnershipTransferred => "ownership.transferred",
    /// The rule that every member must use two-factor sign-in was turned on or off.
    TwoFactorRuleChanged => "organisation.two_factor_rule_changed",
    /// The audit log was exported.
    AuditExported => "audit.exported",
    /// Ops Intel staff viewed the organisation's content, for the reason the entry gives.
    SupportAccess => "support.access",

    // An organisation's log: its work.
    /// A business was added.
    BusinessCreated => "business.created",
    /// A business was edited.
    BusinessUpdated => "business.updated",
    /// A business was archived.
    BusinessArchived => "business.archived",
    /// An archived business was restored.
    BusinessRestored => "business.restored",
    /// A business was deleted.
    BusinessDeleted => "business.deleted",
    /// Businesses were imported from CSV.
    BusinessImported => "business.imported",
    /// Someone asked for a business, or the whole register, to be looked up on Google Maps.
    BusinessesEnriched => "business.enrichment_requested",
    /// Someone chose which of Google's places a business is, or said none is.
    BusinessPlaceChosen => "business.place_chosen",
    /// An issue was opened.
    IssueCreated => "issue.created",
    /// A message thread's status, assignee or business changed.
    ThreadUpdated => "inbox.thread_updated",
    /// A member answered a customer.
    ThreadReplied => "inbox.replied",
    /// A message thread was deleted.
    ThreadDeleted => "inbox.thread_deleted",
    /// The organisation's inbound address was replaced by a new one.
    InboundAddressRegenerated => "inbox.address_regenerated",
    /// AI was switched on or off, or its tone or signature changed.
    AiSettingsChanged => "ai.settings_changed",
    /// A member accepted or changed a thread's triage.
    ThreadTriaged => "inbox.thread_triaged",
    /// An issue was changed.
    IssueUpdated => "issue.updated",
    /// An issue was commented on.
    IssueCommented => "issue.commented",
    /// An issue was archived: out of the lists, the board and the figures, restorable.
    IssueArchived => "issue.archived",
    /// An archived issue was restored.
    IssueRestored => "issue.restored",
    /// An archived issue was deleted for good.
    IssueDeleted => "issue.deleted",
    /// Issues were imported from CSV.
    IssueImported => "issue.imported",
    /// Businesses or issues were exported as CSV.
    DataExported => "data.exported",
    /// An export of all the organisation's data was asked for.
    ExportRequested => "export.requested",
    /// An export of all the organisation's data was downloaded.
    ExportDownloaded => "export.downloaded",
    /// The plan paid for changed (a subscription, an upgrade, a downgrade, a cancellation).
    PlanChanged => "billing.plan_changed",
    /// A payment failed: the plan holds through the grace period.
    PaymentFailed => "billing.payment_failed",
    /// A payment owed was made.
    PaymentRecovered => "billing.payment_recovered",
    /// An Owner went to Stripe's Checkout or customer portal.
    BillingOpened => "billing.opened",
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Records a security event in the account log. Details never hold passwords or tokens.
pub async fn record_account_event<'e>(
    executor: impl PgExecutor<'e>,
    actor: Option<Uuid>,
    action: AuditAction,
    meta: &RequestMeta,
    details: serde_json::Value,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into audit_events (actor_user_id, action, ip, user_agent, details)
         values ($1, $2, $3::text::inet, $4, $5)",
        actor,
        action.as_str(),
        meta.ip.map(|ip| ip.to_string()),
        meta.user_agent,
        details
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// Appends to an organisation's log, in a transaction scoped to that organisation. The actor's
/// email is copied, so the entry still says who after the account is gone.
pub async fn record_org_event(
    conn: &mut PgConnection,
    org_id: Uuid,
    actor: Option<Uuid>,
    action: AuditAction,
    target: Option<&str>,
    summary: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into org_audit_events (org_id, actor_user_id, actor_email, action, target, summary, ip, user_agent)
         values ($1, $2, (select email::text from users where user_id = $2), $3, $4, $5, $6::text::inet, $7)",
        org_id,
        actor,
        action.as_str(),
        target,
        summary,
        meta.ip.map(|ip| ip.to_string()),
        meta.user_agent
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::AuditAction;

    #[test]
    fn every_action_has_its_own_stored_name() {
        let names: HashSet<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }

    #[test]
    fn stored_names_are_area_dot_event() {
        for action in AuditAction::ALL {
            let name = action.as_str();
            let (area, event) = name.split_once('.').expect(name);
            for part in [area, event] {
                assert!(
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn stored_names_stay_as_they_are() {
        // Stored rows and saved audit log filters use these.
        for (action, name) in [
            (AuditAction::SignInFailed, "auth.sign_in_failed"),
            (AuditAction::MemberRoleChanged, "member.role_changed"),
            (AuditAction::IssueUpdated, "issue.updated"),
            (AuditAction::AccessDenied, "access.denied"),
            (AuditAction::OrganisationDeleted, "organisation.deleted"),
        ] {
            assert_eq!(action.as_str(), name);
            assert_eq!(action.to_string(), name);
        }
    }
}
