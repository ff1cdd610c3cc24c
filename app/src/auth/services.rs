//! What account, organisation and workspace actions need from the running server. The server
//! provides one to every request, sealed so that only the access declaration
//! ([`crate::access`]) can open it.

use sqlx::PgPool;
use time::Duration;

use super::{password::Hasher, two_factor::key::TwoFactorKey};
use crate::{plans::BillingTerms, work::figures::KeptFigures};

/// Everything account actions need from the running server, provided as context.
#[derive(Clone)]
pub struct AuthServices {
    pub pool: PgPool,
    pub hasher: Hasher,
    /// The canonical origin, for links in emails.
    pub public_url: String,
    /// Development only: emails are shown at /dev/mailbox instead of being sent.
    pub dev_mailbox: bool,
    /// How long a sign-in lasts at most, however active the session.
    pub session_absolute: Duration,
    /// How long a signed-in session lasts without activity.
    pub session_idle: Duration,
    /// Encrypts two-factor secrets and hashes recovery codes (`OPS_TOTP_KEY`).
    pub two_factor_key: TwoFactorKey,
    /// What is computed from an organisation's data, kept while that data stands still.
    pub kept: KeptFigures,
    /// How plans are bought and kept (Stripe's configuration, the default plan, the grace
    /// period after a failed payment).
    pub billing: BillingTerms,
    /// Whether businesses are enriched from Google Maps (`OPS_GOOGLE_MAPS_API_KEY` is set).
    pub enrichment: bool,
    /// Whether the AI service is configured (`ANTHROPIC_API_KEY` is set).
    pub ai: bool,
    /// The domain the inbox receives mail on (`OPS_INBOUND_DOMAIN`).
    pub inbound_domain: String,
    /// Notifications made within this many seconds share one email
    /// (`OPS_NOTIFICATION_EMAIL_SECS`, three minutes by default).
    pub notification_email_secs: i64,
}
