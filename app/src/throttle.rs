//! Throttling: failures (or uses, for rate limits) counted per scope and key, with a lockout
//! that grows exponentially past a free allowance. Kept in the database, so every server
//! process sees the same counts.

use sqlx::PgPool;
use time::Duration;

use crate::error::AppError;

/// How many failures a scope forgives before it locks, and for how long at most.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    pub scope: &'static str,
    pub free_failures: i32,
    pub max_lock: Duration,
}

pub const SIGN_IN_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
    scope: "sign_in_account",
    free_failures: 5,
    max_lock: Duration::minutes(15),
};
pub const SIGN_IN_IP: ThrottlePolicy = ThrottlePolicy {
    scope: "sign_in_ip",
    free_failures: 20,
    max_lock: Duration::minutes(15),
};
/// The second step of a sign-in, per account: a six-digit code must not be guessable by
/// trying, so it locks as soon as the password step would. The address is throttled by
/// [`SIGN_IN_IP`], which both steps share.
pub const TWO_FACTOR_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
    scope: "two_factor_account",
    free_failures: 5,
    max_lock: Duration::minutes(15),
};
/// Confirming it's you before a dangerous action, per account: a signed-in session must not
/// become a way to guess the password or a code.
pub const CONFIRM_IDENTITY_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
    scope: "confirm_identity_account",
    free_failures: 5,
    max_lock: Duration::minutes(15),
};
pub const SIGN_UP_IP: ThrottlePolicy = ThrottlePolicy {
    scope: "sign_up_ip",
    free_failures: 10,
    max_lock: Duration::hours(1),
};
pub const RESET_IP: ThrottlePolicy = ThrottlePolicy {
    scope: "reset_ip",
    free_failures: 10,
    max_lock: Duration::hours(1),
};
pub const RESET_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
    scope: "reset_account",
    free_failures: 3,
    max_lock: Duration::hours(1),
};
/// Invitation emails an organisation may send in an hour, so nobody turns it into a spam relay.
pub const INVITATIONS: ThrottlePolicy = ThrottlePolicy {
    scope: "org_invitations",
    free_failures: 50,
    max_lock: Duration::hours(1),
};
pub const RESEND: ThrottlePolicy = ThrottlePolicy {
    scope: "resend_verification",
    free_failures: 3,
    max_lock: Duration::hours(1),
};

fn wait_message(seconds: i64) -> String {
    match seconds {
        s if s <= 60 => format!("{} seconds", s.max(1)),
        s => format!("{} minutes", (s + 59) / 60),
    }
}

/// Refuses while `key` is locked out in this scope.
pub async fn check_throttle(
    pool: &PgPool,
    policy: ThrottlePolicy,
    key: &str,
) -> Result<(), AppError> {
    let locked: Option<i64> = sqlx::query_scalar!(
        r#"select extract(epoch from locked_until - now())::bigint as "remaining!"
           from auth_throttle where scope = $1 and key = $2 and locked_until > now()"#,
        policy.scope,
        key
    )
    .fetch_optional(pool)
    .await?;
    match locked {
        Some(remaining) => Err(AppError::Throttled(wait_message(remaining))),
        None => Ok(()),
    }
}

/// Counts one failure (or one use, for rate limits). Past the free allowance the key locks for
/// an exponentially growing time, capped; counts start afresh after an hour without failures.
pub async fn record_failure(
    pool: &PgPool,
    policy: ThrottlePolicy,
    key: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into auth_throttle as t (scope, key, failures) values ($1, $2, 1)
         on conflict (scope, key) do update set
             failures = case when t.last_failure_at < now() - interval '1 hour' then 1 else t.failures + 1 end,
             last_failure_at = now()",
        policy.scope,
        key
    )
    .execute(pool)
    .await?;
    sqlx::query!(
        "update auth_throttle set locked_until = now() + least(
             make_interval(secs => 30 * power(2, least(failures - $3 - 1, 20))),
             make_interval(secs => $4))
         where scope = $1 and key = $2 and failures > $3",
        policy.scope,
        key,
        policy.free_failures,
        policy.max_lock.whole_seconds() as f64
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets the failures of `key` in this scope, after a success.
pub async fn clear_throttle(
    pool: &PgPool,
    policy: ThrottlePolicy,
    key: &str,
) -> Result<(), AppError> {
    sqlx::query!(
        "delete from auth_throttle where scope = $1 and key = $2",
        policy.scope,
        key
    )
    .execute(pool)
    .await?;
    Ok(())
}
