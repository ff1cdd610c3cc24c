//! The outbox: each email waits in `email_outbox`, with a job ([`SendEmail`]) that delivers it.
//! Once delivered, an email's body (with its live links) is cleared; what shows that it was sent
//! stays: the recipient, subject, kind, times and the provider's message id.

use serde::{Deserialize, Serialize};
use sqlx::PgConnection;

use crate::{error::AppError, jobs::Job};

/// The job that delivers one email of the outbox. Each email added to the outbox queues its own,
/// in the same transaction (the table's trigger, `migrations/*_jobs.sql`, with this kind and
/// attempts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendEmail {
    pub email_id: i64,
}

impl Job for SendEmail {
    const KIND: &'static str = "email.send";
    /// With the back-off doubling, a day and more of an email service's outage.
    const MAX_ATTEMPTS: i32 = 12;
}

/// Which email a row of the outbox is, stored by [`EmailKind::as_str`]; a name never changes
/// once used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailKind {
    /// Confirm the address of a new account.
    Verification,
    /// Someone tried to sign up with an address that has an account.
    SignUpAttempt,
    /// A password reset link.
    PasswordReset,
    /// Confirm a new address for an account.
    EmailChange,
    /// Someone tried to move another account to an address that has one.
    EmailChangeAttempt,
    /// To the old address: the account's address was changed.
    EmailChanged,
    /// An invitation to join an organisation.
    Invitation,
    /// To the account's address: its two-factor sign-in changed, or a recovery code was used.
    TwoFactorChanged,
    /// To an organisation's Owners: a payment failed.
    PaymentFailed,
    /// To a person affected by a personal-data breach (queued by the database, see
    /// `app_send_incident_notices`).
    BreachNotice,
    /// To whoever asked for it: an organisation's export is ready to download.
    ExportReady,
    /// What an account's or an organisation's deletion removed and what it kept, and why.
    ErasureReceipt,
    /// A member's notifications of the last few minutes, together.
    Notifications,
    /// A member's weekly digest of one organisation.
    Digest,
}

impl EmailKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            EmailKind::Verification => "verification",
            EmailKind::SignUpAttempt => "sign_up_attempt",
            EmailKind::PasswordReset => "password_reset",
            EmailKind::EmailChange => "email_change",
            EmailKind::EmailChangeAttempt => "email_change_attempt",
            EmailKind::EmailChanged => "email_changed",
            EmailKind::Invitation => "invitation",
            EmailKind::TwoFactorChanged => "two_factor_changed",
            EmailKind::PaymentFailed => "payment_failed",
            EmailKind::BreachNotice => "breach_notice",
            EmailKind::ExportReady => "export_ready",
            EmailKind::ErasureReceipt => "erasure_receipt",
            EmailKind::Notifications => "notifications",
            EmailKind::Digest => "digest",
        }
    }
}

/// One email, ready to queue.
pub struct Email {
    pub kind: EmailKind,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The organisation it is sent for: the record of it goes when the organisation does.
    pub org: Option<uuid::Uuid>,
    /// Forget the recipient once it is delivered (the receipt of an erasure).
    pub forget_recipient: bool,
}

impl Email {
    pub fn for_org(mut self, org: uuid::Uuid) -> Self {
        self.org = Some(org);
        self
    }

    pub fn forgetting_recipient(mut self) -> Self {
        self.forget_recipient = true;
        self
    }
}

/// Queues an email in the caller's transaction: it is sent if and only if the change commits.
pub async fn enqueue_email(conn: &mut PgConnection, email: Email) -> Result<(), AppError> {
    sqlx::query!(
        "insert into email_outbox (kind, to_address, subject, text_body, html_body, sent_for, forget_recipient)
         values ($1, $2, $3, $4, $5, $6, $7)",
        email.kind.as_str(),
        email.to,
        email.subject,
        email.text,
        email.html,
        email.org,
        email.forget_recipient
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Makes the rest of a transaction the outbox's deliverer, the only one that may read, mark or
/// clear queued emails: the server's worker, and the development mailbox that stands in for it.
/// Everything else may only add to the outbox.
pub async fn as_deliverer(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("select set_config('app.outbox', 'deliver', true)")
        .fetch_one(conn)
        .await?;
    Ok(())
}
