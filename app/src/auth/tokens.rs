//! Secrets sent by email: single-use account tokens (verification, password reset, email change)
//! and the random values and hashes that invitations and anti-forgery tokens use too. Only a
//! token's hash is ever stored, so a copy of the database cannot be used to take over accounts.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use sqlx::{Postgres, Transaction};
use time::Duration;
use uuid::Uuid;

use crate::error::AppError;

/// What an account token is for; a token works only for its own purpose.
#[derive(Clone, Copy, Debug)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
}

impl TokenPurpose {
    /// The stored name, which the database's rows keep.
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
            TokenPurpose::ChangeEmail => "change_email",
        }
    }

    fn lifetime(self) -> Duration {
        match self {
            TokenPurpose::VerifyEmail => Duration::hours(24),
            TokenPurpose::ResetPassword => Duration::hours(1),
            TokenPurpose::ChangeEmail => Duration::hours(24),
        }
    }
}

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored in place of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Issues a token, retiring any earlier unused one for the same purpose. Only its hash is stored.
pub async fn issue_token(
    tx: &mut Transaction<'_, Postgres>,
    user_id: Uuid,
    purpose: TokenPurpose,
) -> Result<String, AppError> {
    issue_token_for(tx, user_id, purpose, None).await
}

/// As [`issue_token`], carrying the new address of an email change.
pub async fn issue_token_for(
    tx: &mut Transaction<'_, Postgres>,
    user_id: Uuid,
    purpose: TokenPurpose,
    new_email: Option<&str>,
) -> Result<String, AppError> {
    let token = random_token();
    sqlx::query!(
        "update email_tokens set used_at = now() where user_id = $1 and purpose = $2 and used_at is null",
        user_id,
        purpose.as_str()
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "insert into email_tokens (token_hash, user_id, purpose, expires_at, new_email)
         values ($1, $2, $3, now() + $4::interval, $5::text::citext)",
        token_hash(&token),
        user_id,
        purpose.as_str(),
        format!("{} seconds", purpose.lifetime().whole_seconds()) as _,
        new_email
    )
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// Retires every unused token of a user, whatever it is for. Every change of credentials
/// (password reset or change, email change, two-factor change) calls this inside its own
/// transaction, so a link asked for before the change (by someone who knew the old password)
/// cannot be used after it. Returns how many were retired.
pub async fn retire_unused<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    user_id: Uuid,
) -> Result<u64, AppError> {
    Ok(sqlx::query!(
        "update email_tokens set used_at = now() where user_id = $1 and used_at is null",
        user_id
    )
    .execute(executor)
    .await?
    .rows_affected())
}

/// Uses an email-change token once: the user and the address to switch to. The rest of the
/// transaction acts for that user.
pub async fn redeem_email_change(
    tx: &mut Transaction<'_, Postgres>,
    token: &str,
) -> Result<(Uuid, String), AppError> {
    let (user_id, new_email) = redeem(tx, token, TokenPurpose::ChangeEmail).await?;
    let new_email = new_email.ok_or_else(|| {
        tracing::error!("an email-change token without its address");
        AppError::Internal
    })?;
    Ok((user_id, new_email))
}

/// Uses a token once: the user it was for, or `BadToken` if unknown, used or expired. The rest of
/// the transaction acts for that user.
pub async fn redeem_token(
    tx: &mut Transaction<'_, Postgres>,
    token: &str,
    purpose: TokenPurpose,
) -> Result<Uuid, AppError> {
    Ok(redeem(tx, token, purpose).await?.0)
}

async fn redeem(
    tx: &mut Transaction<'_, Postgres>,
    token: &str,
    purpose: TokenPurpose,
) -> Result<(Uuid, Option<String>), AppError> {
    let row = sqlx::query!(
        r#"select user_id as "user_id!", new_email from app_redeem_token($1, $2)"#,
        token_hash(token),
        purpose.as_str()
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::BadToken)?;
    Ok((row.user_id, row.new_email))
}
