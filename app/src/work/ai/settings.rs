//! The organisation's AI switch, tone and signature (Owners and Admins), with what switching
//! it on sends, and where this month's allowance stands.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::Tone;
use crate::{allowance::Standing, auth::client::CsrfClient, error::AppError};

#[cfg(feature = "ssr")]
use {
    crate::{
        access::{self, Member},
        allowance::{self, Meter},
        audit::AuditAction,
        plans::{plan, Billing, Limit, PlanId},
        roles::Permission,
        work::fields::choice,
    },
    uuid::Uuid,
};

/// The longest signature.
pub const SIGNATURE_CHARS: usize = 300;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AiSettings {
    /// Whether the server has an AI service at all.
    pub configured: bool,
    pub enabled: bool,
    pub tone: Tone,
    pub signature: String,
    pub plan: String,
    /// This month's AI requests against the plan's allowance.
    pub allowance: Standing,
}

/// The settings form: AI on or off, the tone and signature of drafts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AiSettingsForm {
    /// A checkbox: absent when unticked.
    #[serde(default)]
    pub enabled: bool,
    /// A [`Tone`]'s stored name.
    pub tone: String,
    #[serde(default)]
    pub signature: String,
}

/// What the organisation allows AI to do, as a job or a function reads it.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct AiSwitch {
    pub enabled: bool,
    pub tone: Tone,
    pub signature: String,
    pub limit: Limit,
    pub plan: PlanId,
}

/// The organisation's AI settings, in its tenant transaction.
#[cfg(feature = "ssr")]
pub async fn switch(conn: &mut sqlx::PgConnection, org: Uuid) -> Result<AiSwitch, sqlx::Error> {
    let r = sqlx::query!(
        "select plan, billing_status, grace_ends_at, ai_enabled, ai_tone, ai_signature
         from organisations where org_id = $1",
        org
    )
    .fetch_one(conn)
    .await?;
    // The plan in force, as every limit reads it (crate::limits).
    let plan_id = Billing::from_stored(
        &r.plan,
        &r.billing_status,
        r.grace_ends_at.map(time::OffsetDateTime::unix_timestamp),
    )
    .in_force(time::OffsetDateTime::now_utc().unix_timestamp());
    Ok(AiSwitch {
        enabled: r.ai_enabled,
        tone: Tone::parse(&r.ai_tone).unwrap_or(Tone::Friendly),
        signature: r.ai_signature,
        limit: plan(plan_id).ai_requests_per_month,
        plan: plan_id,
    })
}

#[cfg(feature = "ssr")]
async fn settings_of(m: &mut Member) -> Result<AiSettings, AppError> {
    let s = switch(&mut m.tx, m.org_id).await?;
    let allowance = allowance::standing(&mut m.tx, m.org_id, Meter::Ai, s.limit).await?;
    Ok(AiSettings {
        configured: m.svc.ai,
        enabled: s.enabled,
        tone: s.tone,
        signature: s.signature,
        plan: plan(s.plan).name.to_string(),
        allowance,
    })
}

#[server(endpoint = "ai/settings", client = CsrfClient)]
pub async fn get_ai_settings(slug: String) -> Result<AiSettings, AppError> {
    let mut m = access::member(&slug, Permission::Settings).await?;
    settings_of(&mut m).await
}

/// Switches AI on or off and sets how drafts are written. Audited with what changed.
#[server(endpoint = "ai/update_settings", client = CsrfClient)]
pub async fn update_ai_settings(
    slug: String,
    form: AiSettingsForm,
) -> Result<AiSettings, AppError> {
    let mut m = access::member(&slug, Permission::Settings).await?;
    let tone = choice(&form.tone, Tone::parse, "tone", "Choose a tone.")?;
    let signature = form.signature.trim();
    if signature.chars().count() > SIGNATURE_CHARS
        || signature.chars().any(|c| c.is_control() && c != '\n')
    {
        return Err(AppError::invalid(
            "signature",
            format!("Keep the signature to {SIGNATURE_CHARS} characters of plain text."),
        ));
    }
    let before = switch(&mut m.tx, m.org_id).await?;
    sqlx::query!(
        "update organisations set ai_enabled = $2, ai_tone = $3, ai_signature = $4 where org_id = $1",
        m.org_id,
        form.enabled,
        tone.as_str(),
        signature
    )
    .execute(&mut *m.tx)
    .await?;
    let mut changes = Vec::new();
    if before.enabled != form.enabled {
        changes.push(if form.enabled {
            "Switched AI on"
        } else {
            "Switched AI off"
        });
    }
    if before.tone != tone {
        changes.push("changed the drafts' tone");
    }
    if before.signature != signature {
        changes.push("changed the drafts' signature");
    }
    if !changes.is_empty() {
        let mut summary = changes.join(", ");
        summary[..1].make_ascii_uppercase();
        m.audit(AuditAction::AiSettingsChanged, None, &summary)
            .await?;
    }
    let now = settings_of(&mut m).await?;
    m.commit().await?;
    Ok(now)
}
