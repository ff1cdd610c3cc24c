//! Organisation server functions. Each declares, in its first line, the permission it needs;
//! [`access::member`] resolves the membership, checks the roles matrix and scopes the transaction.

use leptos::prelude::*;

use super::{
    forms::{
        AuditFilterForm, ChangeRoleForm, CreateOrganisationForm, InviteMemberForm, SettingsForm,
        TwoFactorRuleForm,
    },
    AuditPage, InvitationDetails, InvitationInfo, MemberInfo, OrgContext, OrgSummary,
};
use crate::{auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    super::{
        forms::{
            parse_member_id, parse_role, AuditFilter, ChangeRoleInput, CreateOrganisationInput,
            InviteMemberInput, SettingsInput,
        },
        AuditEntry, INVITATION_DAYS,
    },
    crate::access::{self, Member},
    crate::audit::{record_account_event, record_org_event, AuditAction},
    crate::auth::{
        recent_proof::require_recent_proof_of,
        services::AuthServices,
        tokens::{random_token, token_hash},
        two_factor,
    },
    crate::csv::to_csv,
    crate::domain::Slug,
    crate::email::{action_email, enqueue_email, EmailKind},
    crate::limits::{self, Counted},
    crate::request::request_meta,
    crate::roles::{Permission, Role},
    crate::tenancy::set_tenant,
    crate::throttle::{attempt, INVITATIONS, INVITATIONS_USER, ORGANISATIONS_USER},
    crate::work::notifications::{notify, Kind, Notice, Notifier},
    serde_json::json,
    uuid::Uuid,
};

/// The organisations the signed-in user belongs to.
#[server(endpoint = "org/list", client = CsrfClient)]
pub async fn list_organisations() -> Result<Vec<OrgSummary>, AppError> {
    let me = access::signed_in().await?;
    let rows = sqlx::query!(
        r#"select slug as "slug!", name as "name!", role as "role!" from app_user_organisations($1)"#,
        me.user_id
    )
    .fetch_all(&mut *me.shared().await?)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(OrgSummary {
                role: Role::parse(&r.role)?,
                slug: r.slug,
                name: r.name,
            })
        })
        .collect())
}

/// Creates an organisation with the caller as its Owner. Without a slug, one is made from the name.
#[server(endpoint = "org/create", client = CsrfClient)]
pub async fn create_organisation(form: CreateOrganisationForm) -> Result<(), AppError> {
    let me = access::signed_in().await?;
    let mut tx = me.begin().await?;
    let creator = sqlx::query!(
        r#"select email_verified_at is not null as "verified!", time_zone from users where user_id = $1"#,
        me.user_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if !creator.verified {
        return Err(AppError::Unverified);
    }
    // Checked after verification, so an unverified user hears first what they must do.
    let input = CreateOrganisationInput::try_from(form)?;
    // Each organisation can send invitations of its own: their number is bounded too.
    attempt(&me.svc.pool, ORGANISATIONS_USER, &me.user_id.to_string()).await?;
    let (name, chosen) = (input.name(), input.slug().cloned());
    let org_id = Uuid::new_v4();
    set_tenant(&mut tx, org_id).await?;
    let base = chosen
        .clone()
        .unwrap_or_else(|| Slug::derive(name.as_str()));
    // Its days are its first Owner's until its settings say otherwise.
    sqlx::query!(
        "insert into organisations (org_id, name, slug, plan, time_zone)
         values ($1, $2, $3::text::citext, $4, $5)",
        org_id,
        name.as_str(),
        base.as_str(),
        me.svc.billing.new_organisations.as_str(),
        creator.time_zone
    )
    .execute(&mut *tx)
    .await?;
    let candidates: Vec<Slug> = match chosen {
        Some(s) => vec![s],
        None => std::iter::once(base.clone())
            .chain((2..10).map(|n| base.with_suffix(n)))
            .chain(std::iter::once(
                base.with_suffix(rand::random_range(1000..10000)),
            ))
            .collect(),
    };
    let mut claimed = None;
    for candidate in candidates {
        if claim_slug(&mut tx, org_id, &candidate).await? {
            claimed = Some(candidate);
            break;
        }
    }
    let slug = claimed
        .ok_or_else(|| AppError::invalid("slug", "That address is taken. Choose another."))?;
    sqlx::query!(
        "update organisations set slug = $2::text::citext where org_id = $1",
        org_id,
        slug.as_str()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into memberships (org_id, user_id, role) values ($1, $2, 'owner')",
        org_id,
        me.user_id
    )
    .execute(&mut *tx)
    .await?;
    let meta = request_meta();
    let summary = format!("Created the organisation {}", name.as_str());
    record_org_event(
        &mut tx,
        org_id,
        Some(me.user_id),
        AuditAction::OrganisationCreated,
        Some(slug.as_str()),
        &summary,
        &meta,
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/o/{}/members", slug.as_str()));
    Ok(())
}

/// Takes a slug for an organisation, unless another organisation has (or once had) it.
#[cfg(feature = "ssr")]
async fn claim_slug(
    tx: &mut sqlx::PgConnection,
    org_id: Uuid,
    slug: &Slug,
) -> Result<bool, AppError> {
    let inserted = sqlx::query!(
        "insert into organisation_slugs (org_id, slug) values ($1, $2::text::citext)
         on conflict (slug) do nothing",
        org_id,
        slug.as_str()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(true);
    }
    // Taking back one of its own earlier slugs is fine; row-level security shows only ours.
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from organisation_slugs where org_id = $1 and slug = $2::text::citext) as "ours!""#,
        org_id,
        slug.as_str()
    )
    .fetch_one(tx)
    .await?)
}

/// The organisation a page shows and the viewer's role in it.
#[server(endpoint = "org/context", client = CsrfClient)]
pub async fn current_org(slug: String) -> Result<OrgContext, AppError> {
    let m = access::member(&slug, Permission::View).await?;
    let payment = crate::billing::payment_notice(&m);
    Ok(OrgContext {
        slug: m.slug,
        name: m.org_name,
        role: m.role,
        user_id: m.user_id.to_string(),
        require_two_factor: m.require_two_factor,
        time_zone: m.org_zone.name().to_string(),
        payment,
    })
}

#[server(endpoint = "org/members", client = CsrfClient)]
pub async fn list_members(slug: String) -> Result<Vec<MemberInfo>, AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    let rows = sqlx::query!(
        r#"select m.user_id, u.name, u.email::text as "email!", m.role,
                  m.created_at as joined,
                  m.user_id in (select app_members_with_two_factor()) as "two_factor!"
           from memberships m join users u on u.user_id = m.user_id
           where m.org_id = $1
           order by array_position(array['owner', 'admin', 'manager', 'viewer'], m.role), lower(u.name)"#,
        m.org_id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(MemberInfo {
                role: Role::parse(&r.role)?,
                user_id: r.user_id.to_string(),
                name: r.name,
                email: r.email,
                joined: m.moment(r.joined),
                two_factor: r.two_factor,
            })
        })
        .collect())
}

#[server(endpoint = "org/invitations", client = CsrfClient)]
pub async fn list_invitations(slug: String) -> Result<Vec<InvitationInfo>, AppError> {
    let mut m = access::member(&slug, Permission::InviteMembers).await?;
    let rows = sqlx::query!(
        r#"select i.invitation_id, i.email::text as "email!", i.role, coalesce(u.name, 'a former member') as "invited_by!",
                  i.sent_at, i.expires_at,
                  i.expires_at <= now() as "expired!"
           from invitations i left join users u on u.user_id = i.invited_by
           where i.org_id = $1 and i.accepted_at is null and i.revoked_at is null
           order by i.sent_at desc"#,
        m.org_id
    )
    .fetch_all(&mut *m.tx)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(InvitationInfo {
                role: Role::parse(&r.role)?,
                id: r.invitation_id.to_string(),
                email: r.email,
                invited_by: r.invited_by,
                sent: m.moment(r.sent_at),
                expires: m.moment(r.expires_at),
                expired: r.expired,
            })
        })
        .collect())
}

/// Checks the giver may grant a role to someone.
#[cfg(feature = "ssr")]
fn grantable(m: &Member, role: Role) -> Result<Role, AppError> {
    if role == Role::Owner {
        return Err(AppError::invalid(
            "role",
            "Ownership is transferred from the settings page, not granted.",
        ));
    }
    if role == Role::Admin {
        m.require(Permission::ManageAdmins)?;
    }
    if !m.role.can_grant(role) {
        return Err(AppError::Forbidden(format!(
            "Your role ({}) cannot grant the {} role.",
            m.role.label(),
            role.label()
        )));
    }
    Ok(role)
}

/// Queues the invitation email with a fresh link.
#[cfg(feature = "ssr")]
async fn send_invitation(
    m: &mut Member,
    email: &str,
    role: Role,
    token: &str,
) -> Result<(), AppError> {
    // Counted for the inviter across every organisation, and for this organisation across its
    // members: an invitation carries a name they chose to any address.
    attempt(&m.svc.pool, INVITATIONS_USER, &m.user_id.to_string()).await?;
    attempt(&m.svc.pool, INVITATIONS, &m.org_id.to_string()).await?;
    let AuthServices { public_url, .. } = &m.svc;
    let inviter = sqlx::query_scalar!("select name from users where user_id = $1", m.user_id)
        .fetch_one(&mut *m.tx)
        .await?;
    let line = format!(
        "{inviter} invited you to join {} on Ops Intel as {} {}.",
        m.org_name,
        if role == Role::Admin { "an" } else { "a" },
        role.label()
    );
    let expiry = format!(
        "The link works for {INVITATION_DAYS} days. Sign in, or create an account, with this email address to accept."
    );
    enqueue_email(
        &mut m.tx,
        action_email(
            EmailKind::Invitation,
            email,
            &format!("Join {} on Ops Intel", m.org_name),
            "there",
            &[&line, &expiry],
            "Accept the invitation",
            &format!("{public_url}/invite/{token}"),
        )
        .for_org(m.org_id),
    )
    .await
}

#[server(endpoint = "org/invite", client = CsrfClient)]
pub async fn invite_member(slug: String, form: InviteMemberForm) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::InviteMembers).await?;
    let input = InviteMemberInput::try_from(form)?;
    let email = input.email();
    let role = grantable(&m, input.role())?;
    let already = sqlx::query_scalar!(
        r#"select exists (select 1 from memberships m join users u on u.user_id = m.user_id
                          where m.org_id = $1 and u.email = $2::text::citext) as "member!""#,
        m.org_id,
        email.as_str()
    )
    .fetch_one(&mut *m.tx)
    .await?;
    if already {
        return Err(AppError::invalid(
            "email",
            format!("{} is already a member.", email.as_str()),
        ));
    }
    let token = random_token();
    let inserted = sqlx::query!(
        "insert into invitations (org_id, email, role, token_hash, invited_by, expires_at)
         values ($1, $2::text::citext, $3, $4, $5, now() + make_interval(days => $6))
         on conflict (org_id, email) where accepted_at is null and revoked_at is null do nothing",
        m.org_id,
        email.as_str(),
        role.as_str(),
        token_hash(&token),
        m.user_id,
        INVITATION_DAYS as i32
    )
    .execute(&mut *m.tx)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Err(AppError::invalid(
            "email",
            format!(
                "{} already has an invitation waiting. Resend it from the list below.",
                email.as_str()
            ),
        ));
    }
    // The new invitation counted: beyond the plan's members, the transaction writes nothing.
    limits::admit(&mut m, Counted::Members, 0).await?;
    send_invitation(&mut m, email.as_str(), role, &token).await?;
    let summary = format!("Invited {} as {}", email.as_str(), role.label());
    m.audit(
        AuditAction::InvitationCreated,
        Some(email.as_str()),
        &summary,
    )
    .await?;
    m.commit().await
}

/// A pending invitation of this organisation that the caller may manage.
#[cfg(feature = "ssr")]
async fn pending_invitation(m: &mut Member, id: &str) -> Result<(Uuid, String, Role), AppError> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NotFound)?;
    let row = sqlx::query!(
        r#"select email::text as "email!", role from invitations
           where org_id = $1 and invitation_id = $2 and accepted_at is null and revoked_at is null"#,
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    let role = grantable(m, parse_role(&row.role)?)?;
    Ok((id, row.email, role))
}

/// Sends a pending invitation again with a new link; the old link stops working.
#[server(endpoint = "org/resend_invitation", client = CsrfClient)]
pub async fn resend_invitation(slug: String, invitation_id: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::InviteMembers).await?;
    let (id, email, role) = pending_invitation(&mut m, &invitation_id).await?;
    let token = random_token();
    sqlx::query!(
        "update invitations set token_hash = $3, sent_at = now(), expires_at = now() + make_interval(days => $4)
         where org_id = $1 and invitation_id = $2",
        m.org_id,
        id,
        token_hash(&token),
        INVITATION_DAYS as i32
    )
    .execute(&mut *m.tx)
    .await?;
    send_invitation(&mut m, &email, role, &token).await?;
    m.audit(
        AuditAction::InvitationResent,
        Some(&email),
        &format!("Resent the invitation to {email}"),
    )
    .await?;
    m.commit().await
}

#[server(endpoint = "org/revoke_invitation", client = CsrfClient)]
pub async fn revoke_invitation(slug: String, invitation_id: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::InviteMembers).await?;
    let (id, email, _) = pending_invitation(&mut m, &invitation_id).await?;
    sqlx::query!(
        "update invitations set revoked_at = now() where org_id = $1 and invitation_id = $2",
        m.org_id,
        id
    )
    .execute(&mut *m.tx)
    .await?;
    m.audit(
        AuditAction::InvitationRevoked,
        Some(&email),
        &format!("Revoked the invitation to {email}"),
    )
    .await?;
    m.commit().await
}

/// Another member of this organisation: their id, email and role.
#[cfg(feature = "ssr")]
async fn other_member(m: &mut Member, id: Uuid) -> Result<(Uuid, String, Role), AppError> {
    let row = sqlx::query!(
        r#"select u.email::text as "email!", m.role from memberships m join users u on u.user_id = m.user_id
           where m.org_id = $1 and m.user_id = $2"#,
        m.org_id,
        id
    )
    .fetch_optional(&mut *m.tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if id == m.user_id {
        return Err(AppError::Refused(
            "You cannot do that to yourself. To leave, use Leave organisation.".into(),
        ));
    }
    let role = Role::parse(&row.role).ok_or(AppError::Internal)?;
    if role == Role::Owner {
        return Err(AppError::Refused(
            "The Owner keeps their role until they transfer ownership.".into(),
        ));
    }
    if role == Role::Admin {
        m.require(Permission::ManageAdmins)?;
    }
    Ok((id, row.email, role))
}

#[server(endpoint = "org/change_role", client = CsrfClient)]
pub async fn change_role(slug: String, form: ChangeRoleForm) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::InviteMembers).await?;
    let input = ChangeRoleInput::try_from(form)?;
    let (id, email, old) = other_member(&mut m, input.user_id()).await?;
    let new = grantable(&m, input.role())?;
    if new == old {
        return Ok(());
    }
    sqlx::query!(
        "update memberships set role = $3 where org_id = $1 and user_id = $2",
        m.org_id,
        id,
        new.as_str()
    )
    .execute(&mut *m.tx)
    .await?;
    let summary = format!("Changed {email} from {} to {}", old.label(), new.label());
    m.audit(AuditAction::MemberRoleChanged, Some(&email), &summary)
        .await?;
    m.commit().await
}

#[server(endpoint = "org/remove_member", client = CsrfClient)]
pub async fn remove_member(slug: String, user_id: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::InviteMembers).await?;
    let (id, email, role) = other_member(&mut m, parse_member_id(&user_id)?).await?;
    sqlx::query!(
        "delete from memberships where org_id = $1 and user_id = $2",
        m.org_id,
        id
    )
    .execute(&mut *m.tx)
    .await?;
    let summary = format!("Removed {email} ({})", role.label());
    m.audit(AuditAction::MemberRemoved, Some(&email), &summary)
        .await?;
    m.commit().await
}

/// Leaves the organisation. The Owner must transfer ownership first.
#[server(endpoint = "org/leave", client = CsrfClient)]
pub async fn leave_organisation(slug: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::View).await?;
    if m.role == Role::Owner {
        return Err(AppError::Refused(
            "Transfer ownership to another member before you leave.".into(),
        ));
    }
    sqlx::query!(
        "delete from memberships where org_id = $1 and user_id = $2",
        m.org_id,
        m.user_id
    )
    .execute(&mut *m.tx)
    .await?;
    let summary = format!("Left the organisation ({})", m.role.label());
    m.audit(AuditAction::MemberLeft, None, &summary).await?;
    m.commit().await?;
    leptos_axum::redirect("/o");
    Ok(())
}

/// Makes another member the Owner; the current Owner becomes an Admin.
#[server(endpoint = "org/transfer", client = CsrfClient)]
pub async fn transfer_ownership(slug: String, user_id: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::OwnOrganisation).await?;
    require_recent_proof_of(&mut *m.tx, m.user_session_id).await?;
    let (id, email, old) = other_member(&mut m, parse_member_id(&user_id)?).await?;
    // Demote first: the database allows one Owner at a time.
    sqlx::query!(
        "update memberships set role = 'admin' where org_id = $1 and user_id = $2",
        m.org_id,
        m.user_id
    )
    .execute(&mut *m.tx)
    .await?;
    sqlx::query!(
        "update memberships set role = 'owner' where org_id = $1 and user_id = $2",
        m.org_id,
        id
    )
    .execute(&mut *m.tx)
    .await?;
    let summary = format!(
        "Transferred ownership to {email} (was {}); the previous Owner is now an Admin",
        old.label()
    );
    m.audit(AuditAction::OwnershipTransferred, Some(&email), &summary)
        .await?;
    let slug = m.slug.clone();
    m.commit().await?;
    leptos_axum::redirect(&format!("/o/{slug}/members"));
    Ok(())
}

/// Renames the organisation and changes its slug; old links keep redirecting.
#[server(endpoint = "org/settings", client = CsrfClient)]
pub async fn update_settings(slug: String, form: SettingsForm) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Settings).await?;
    let input = SettingsInput::try_from(form)?;
    let (name, new_slug) = (input.name(), input.new_slug());
    if name.as_str() != m.org_name {
        sqlx::query!(
            "update organisations set name = $2 where org_id = $1",
            m.org_id,
            name.as_str()
        )
        .execute(&mut *m.tx)
        .await?;
        let summary = format!("Renamed from {} to {}", m.org_name, name.as_str());
        m.audit(AuditAction::OrganisationRenamed, None, &summary)
            .await?;
    }
    if new_slug.as_str() != m.slug {
        if !claim_slug(&mut m.tx, m.org_id, new_slug).await? {
            return Err(AppError::invalid(
                "new_slug",
                "That address is taken. Choose another.",
            ));
        }
        sqlx::query!(
            "update organisations set slug = $2::text::citext where org_id = $1",
            m.org_id,
            new_slug.as_str()
        )
        .execute(&mut *m.tx)
        .await?;
        let summary = format!(
            "Changed the address from /o/{} to /o/{}",
            m.slug,
            new_slug.as_str()
        );
        m.audit(
            AuditAction::OrganisationSlugChanged,
            Some(new_slug.as_str()),
            &summary,
        )
        .await?;
    }
    if let Some(zone) = input.zone().filter(|z| **z != m.org_zone) {
        sqlx::query!(
            "update organisations set time_zone = $2 where org_id = $1",
            m.org_id,
            zone.name()
        )
        .execute(&mut *m.tx)
        .await?;
        let summary = format!(
            "Changed the time zone from {} to {}",
            m.org_zone.name(),
            zone.name()
        );
        m.audit(AuditAction::OrganisationTimeZoneChanged, None, &summary)
            .await?;
    }
    m.commit().await?;
    leptos_axum::redirect(&format!("/o/{}/settings?saved", new_slug.as_str()));
    Ok(())
}

/// Requires (or stops requiring) two-factor sign-in of every member. Whoever turns it on must
/// have it already, so the rule never shuts out the person setting it.
#[server(endpoint = "org/two_factor_rule", client = CsrfClient)]
pub async fn set_two_factor_rule(slug: String, form: TwoFactorRuleForm) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::Settings).await?;
    let required = form.required;
    if required == m.require_two_factor {
        return Ok(());
    }
    if required && !two_factor::store::is_enabled(&mut *m.tx, m.user_id).await? {
        return Err(AppError::Refused(
            "Turn on two-factor sign-in for your own account first.".into(),
        ));
    }
    sqlx::query!(
        "update organisations set require_two_factor = $2 where org_id = $1",
        m.org_id,
        required
    )
    .execute(&mut *m.tx)
    .await?;
    let summary = if required {
        "Required two-factor sign-in of every member"
    } else {
        "Stopped requiring two-factor sign-in"
    };
    m.audit(AuditAction::TwoFactorRuleChanged, None, summary)
        .await?;
    m.commit().await
}

/// Deletes the organisation and everything in it, after the Owner types its slug.
#[server(endpoint = "org/delete", client = CsrfClient)]
pub async fn delete_organisation(slug: String, confirm: String) -> Result<(), AppError> {
    let mut m = access::member(&slug, Permission::OwnOrganisation).await?;
    require_recent_proof_of(&mut *m.tx, m.user_session_id).await?;
    if confirm.trim() != m.slug {
        return Err(AppError::invalid(
            "confirm",
            format!("Type {} exactly to confirm.", m.slug),
        ));
    }
    let members = sqlx::query_scalar!(
        r#"select count(*) as "n!" from memberships where org_id = $1"#,
        m.org_id
    )
    .fetch_one(&mut *m.tx)
    .await?;
    // The organisation's own log goes with it, so the deletion is recorded in the account log.
    record_account_event(
        &mut *m.tx,
        Some(m.user_id),
        AuditAction::OrganisationDeleted,
        &m.meta,
        json!({ "org_id": m.org_id, "name": m.org_name, "slug": m.slug, "members": members }),
    )
    .await?;
    let had_subscription = crate::erasure::erase_organisation(&mut m.tx, m.org_id).await?;
    sqlx::query!("delete from organisations where org_id = $1", m.org_id)
        .execute(&mut *m.tx)
        .await?;
    let owner = sqlx::query!(
        r#"select email::text as "email!", name from users where user_id = $1"#,
        m.user_id
    )
    .fetch_one(&mut *m.tx)
    .await?;
    enqueue_email(
        &mut m.tx,
        crate::erasure::organisation_receipt(
            &owner.email,
            &owner.name,
            &m.org_name,
            had_subscription,
            &m.svc.public_url,
        ),
    )
    .await?;
    m.commit().await?;
    leptos_axum::redirect("/o?deleted");
    Ok(())
}

#[cfg(feature = "ssr")]
async fn audit_entries(
    m: &mut Member,
    f: &AuditFilter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEntry>, AppError> {
    let rows = sqlx::query!(
        r#"select event_id, occurred_at,
                  coalesce(actor_email, '') as "actor!", action, coalesce(target, '') as "target!", summary,
                  coalesce(host(ip), '') as "ip!", coalesce(user_agent, '') as "user_agent!"
           from org_audit_events
           where org_id = $1
             and ($2::text is null or action = $2 or action like $2 || '.%')
             and ($3::text is null or actor_email ilike '%' || $3 || '%')
             and ($4::timestamptz is null or occurred_at >= $4)
             and ($5::timestamptz is null or occurred_at < $5)
             and ($6::bigint is null or event_id < $6)
           order by event_id desc
           limit $7"#,
        m.org_id,
        f.action(),
        f.actor(),
        // The days are the viewer's, from midnight to midnight where they are.
        f.from().map(|d| m.zone.start_of(d)),
        f.to().and_then(|d| d.next_day()).map(|d| m.zone.start_of(d)),
        before,
        limit
    )
    .fetch_all(&mut *m.tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.event_id,
            at: m.moment(r.occurred_at),
            actor: r.actor,
            action: r.action,
            target: r.target,
            summary: r.summary,
            ip: r.ip,
            user_agent: r.user_agent,
        })
        .collect())
}

#[cfg(feature = "ssr")]
const AUDIT_PAGE: usize = 50;

#[server(endpoint = "org/audit", client = CsrfClient)]
pub async fn audit_log(
    slug: String,
    form: AuditFilterForm,
    before: Option<i64>,
) -> Result<AuditPage, AppError> {
    let mut m = access::member(&slug, Permission::AuditExport).await?;
    let filter = AuditFilter::try_from(form)?;
    let mut entries = audit_entries(&mut m, &filter, before, AUDIT_PAGE as i64 + 1).await?;
    let next = (entries.len() > AUDIT_PAGE).then(|| {
        entries.truncate(AUDIT_PAGE);
        entries.last().map(|e| e.id)
    });
    Ok(AuditPage {
        entries,
        next: next.flatten(),
    })
}

/// The audit log as CSV, with the same filters. The export itself is recorded.
#[server(endpoint = "org/audit_csv", client = CsrfClient)]
pub async fn export_audit_csv(slug: String, form: AuditFilterForm) -> Result<String, AppError> {
    let mut m = access::member(&slug, Permission::AuditExport).await?;
    let filter = AuditFilter::try_from(form)?;
    let entries = audit_entries(&mut m, &filter, None, 100_000).await?;
    let csv = to_csv(
        &[
            "time",
            "actor",
            "action",
            "target",
            "summary",
            "ip",
            "user_agent",
        ],
        entries.iter().map(|e| {
            vec![
                e.at.utc.clone(),
                e.actor.clone(),
                e.action.clone(),
                e.target.clone(),
                e.summary.clone(),
                e.ip.clone(),
                e.user_agent.clone(),
            ]
        }),
    )?;
    m.audit(
        AuditAction::AuditExported,
        None,
        &format!("Exported {} audit log entries as CSV", entries.len()),
    )
    .await?;
    m.commit().await?;
    Ok(csv)
}

/// What an invitation link is for; anyone holding the link may see it.
#[server(endpoint = "org/invitation", client = CsrfClient)]
pub async fn show_invitation(token: String) -> Result<InvitationDetails, AppError> {
    let svc = access::public()?;
    let row = sqlx::query!(
        r#"select org_name as "org_name!", email as "email!", role as "role!", inviter_name
           from app_invitation_by_token($1)"#,
        token_hash(&token)
    )
    .fetch_optional(&svc.pool)
    .await?
    .ok_or(AppError::BadToken)?;
    Ok(InvitationDetails {
        org_name: row.org_name,
        email: row.email,
        role: Role::parse(&row.role).ok_or(AppError::Internal)?,
        invited_by: row.inviter_name.unwrap_or_else(|| "A former member".into()),
    })
}

/// Joins the organisation with the invited role, if signed in with the invited address. The
/// link came to that mailbox, so accepting also confirms the address.
#[server(endpoint = "org/accept", client = CsrfClient)]
pub async fn accept_invitation(token: String) -> Result<(), AppError> {
    let me = access::signed_in().await?;
    let mut tx = me.begin().await?;
    let invitation = sqlx::query!(
        r#"select org_id as "org_id!", invitation_id as "invitation_id!", org_slug as "org_slug!",
                  email as "email!", role as "role!", (select email::text from users where user_id = $2) as "user_email!"
           from app_invitation_by_token($1)"#,
        token_hash(&token),
        me.user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::BadToken)?;
    if !invitation
        .email
        .eq_ignore_ascii_case(&invitation.user_email)
    {
        return Err(AppError::Refused(format!(
            "This invitation is for {}. Sign in with that address to accept it.",
            invitation.email
        )));
    }
    set_tenant(&mut tx, invitation.org_id).await?;
    let used = sqlx::query!(
        "update invitations set accepted_at = now(), accepted_by = $3
         where org_id = $1 and invitation_id = $2 and accepted_at is null and revoked_at is null",
        invitation.org_id,
        invitation.invitation_id,
        me.user_id
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if used == 0 {
        return Err(AppError::BadToken);
    }
    let joined = sqlx::query!(
        "insert into memberships (org_id, user_id, role) values ($1, $2, $3) on conflict do nothing",
        invitation.org_id,
        me.user_id,
        invitation.role
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "update users set email_verified_at = coalesce(email_verified_at, now()) where user_id = $1",
        me.user_id
    )
    .execute(&mut *tx)
    .await?;
    if joined == 1 {
        let role = Role::parse(&invitation.role).ok_or(AppError::Internal)?;
        let summary = format!(
            "{} accepted the invitation and joined as {}",
            invitation.email,
            role.label()
        );
        let inviter = sqlx::query_scalar!(
            "select invited_by from invitations where org_id = $1 and invitation_id = $2",
            invitation.org_id,
            invitation.invitation_id
        )
        .fetch_one(&mut *tx)
        .await?;
        if let Some(to) = inviter {
            let notice = Notice {
                to,
                kind: Kind::InvitationAccepted,
                title: format!("accepted your invitation and joined as {}", role.label()),
                link: format!("/o/{}/members", invitation.org_slug),
            };
            let mut n = Notifier {
                conn: &mut tx,
                org: invitation.org_id,
                actor: Some(me.user_id),
                email_secs: me.svc.notification_email_secs,
            };
            notify(&mut n, notice).await?;
        }
        record_org_event(
            &mut tx,
            invitation.org_id,
            Some(me.user_id),
            AuditAction::InvitationAccepted,
            Some(&invitation.email),
            &summary,
            &request_meta(),
        )
        .await?;
    }
    tx.commit().await?;
    leptos_axum::redirect(&format!("/o/{}/members", invitation.org_slug));
    Ok(())
}
