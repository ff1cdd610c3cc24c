//! The stored TOTP secret of each user, and the checks of a second factor against it.

use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

use super::{key::TwoFactorKey, recovery, totp};
use crate::error::AppError;

/// A second factor as typed: a code from the app, or a recovery code (normalised).
#[derive(Clone, PartialEq, Eq)]
pub enum SecondFactor {
    Totp(String),
    Recovery(String),
}

impl std::fmt::Debug for SecondFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SecondFactor::Totp(_) => "Totp([redacted])",
            SecondFactor::Recovery(_) => "Recovery([redacted])",
        })
    }
}

impl SecondFactor {
    /// Six digits are a code from the app; anything shaped like a recovery code is one.
    pub fn parse(input: &str) -> Option<Self> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            return Some(SecondFactor::Totp(digits));
        }
        recovery::normalize(input).map(SecondFactor::Recovery)
    }
}

/// What a second factor was accepted as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accepted {
    Totp,
    /// A recovery code, with how many remain unused.
    Recovery {
        remaining: i64,
    },
}

/// Whether the user has two-factor sign-in on.
pub async fn is_enabled<'e>(
    executor: impl PgExecutor<'e>,
    user_id: Uuid,
) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select exists (select 1 from user_two_factor where user_id = $1 and enabled_at is not null) as "on!""#,
        user_id
    )
    .fetch_one(executor)
    .await?)
}

/// Starts (or restarts) set-up with a new secret, which counts for nothing until a code from
/// it is confirmed. Refused while two-factor is on: turning it off comes first.
pub async fn begin_setup<'e>(
    executor: impl PgExecutor<'e>,
    key: &TwoFactorKey,
    user_id: Uuid,
) -> Result<Vec<u8>, AppError> {
    let secret = totp::new_secret();
    let sealed = key.seal(user_id, &secret);
    let stored = sqlx::query!(
        "insert into user_two_factor (user_id, secret_nonce, secret_ciphertext) values ($1, $2, $3)
         on conflict (user_id) do update set secret_nonce = $2, secret_ciphertext = $3, last_step = null
         where user_two_factor.enabled_at is null",
        user_id,
        sealed.nonce,
        sealed.ciphertext
    )
    .execute(executor)
    .await?
    .rows_affected();
    if stored == 0 {
        return Err(AppError::Refused(
            "Two-factor sign-in is already on.".into(),
        ));
    }
    Ok(secret)
}

/// Accepts a code from the app once: the secret must be on (or, for `setting_up`, waiting to
/// be confirmed), the code must be within the window, and its step later than the last step
/// accepted, so no code works twice. The row is locked until the transaction ends, so two
/// requests with one code cannot both pass.
pub async fn accept_totp(
    tx: &mut Transaction<'_, Postgres>,
    key: &TwoFactorKey,
    user_id: Uuid,
    code: &str,
    setting_up: bool,
) -> Result<bool, AppError> {
    let Some(row) = sqlx::query!(
        "select secret_nonce, secret_ciphertext, last_step from user_two_factor
         where user_id = $1 and (enabled_at is null) = $2 for update",
        user_id,
        setting_up
    )
    .fetch_optional(&mut **tx)
    .await?
    else {
        return Ok(false);
    };
    let Some(secret) = key.open(user_id, &row.secret_nonce, &row.secret_ciphertext) else {
        // Sealed under another key: OPS_TOTP_KEY changed, or (in development) was generated
        // by an earlier run. The user cannot be let in; an operator must know.
        tracing::error!("a two-factor secret does not decrypt with the configured key");
        return Ok(false);
    };
    let Some(step) = totp::matching_step(&secret, code, totp::now_unix()) else {
        return Ok(false);
    };
    let step = step as i64;
    if row.last_step.is_some_and(|last| step <= last) {
        return Ok(false);
    }
    sqlx::query!(
        "update user_two_factor set last_step = $2 where user_id = $1",
        user_id,
        step
    )
    .execute(&mut **tx)
    .await?;
    Ok(true)
}

/// Checks a second factor of a user who has two-factor on; a recovery code is used up.
pub async fn accept(
    tx: &mut Transaction<'_, Postgres>,
    key: &TwoFactorKey,
    user_id: Uuid,
    factor: &SecondFactor,
) -> Result<Option<Accepted>, AppError> {
    match factor {
        SecondFactor::Totp(code) => Ok(accept_totp(tx, key, user_id, code, false)
            .await?
            .then_some(Accepted::Totp)),
        SecondFactor::Recovery(code) => {
            if !is_enabled(&mut **tx, user_id).await? {
                return Ok(None);
            }
            Ok(recovery::redeem(tx, key, user_id, code)
                .await?
                .map(|remaining| Accepted::Recovery { remaining }))
        }
    }
}

/// Turns two-factor on, after its first code was accepted.
pub async fn enable(tx: &mut Transaction<'_, Postgres>, user_id: Uuid) -> Result<(), AppError> {
    sqlx::query!(
        "update user_two_factor set enabled_at = now() where user_id = $1 and enabled_at is null",
        user_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Turns two-factor off: the secret and every recovery code go.
pub async fn disable(tx: &mut Transaction<'_, Postgres>, user_id: Uuid) -> Result<bool, AppError> {
    sqlx::query!(
        "delete from two_factor_recovery_codes where user_id = $1",
        user_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(sqlx::query!(
        "delete from user_two_factor where user_id = $1 and enabled_at is not null",
        user_id
    )
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_are_an_app_code_and_the_rest_may_be_a_recovery_code() {
        assert_eq!(
            SecondFactor::parse(" 123 456 "),
            Some(SecondFactor::Totp("123456".into()))
        );
        assert_eq!(
            SecondFactor::parse("ABCDE FGHJK"),
            Some(SecondFactor::Recovery("abcde-fghjk".into()))
        );
        assert_eq!(SecondFactor::parse("12345"), None);
        assert_eq!(SecondFactor::parse(""), None);
        assert!(!format!("{:?}", SecondFactor::parse("123456")).contains("123456"));
    }
}
