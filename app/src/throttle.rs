//! Throttling: attempts (failures, or uses for rate limits) counted per scope and key, with a
//! lockout that grows exponentially once the allowance is spent. Kept in the database, so every
//! server process sees the same counts.
//!
//! An attempt is counted and checked in one statement, before the work it guards: parallel
//! requests cannot all pass a check that only a later write would have failed.

use sqlx::PgPool;
use time::Duration;

use crate::error::AppError;

/// How many attempts a scope allows before it locks, for how long, and what the refusal says.
#[derive(Clone, Copy, Debug)]
pub struct ThrottlePolicy {
    pub scope: &'static str,
    /// Attempts allowed before the key locks; the one that reaches it starts the first lock.
    pub free_failures: i32,
    /// The first lock; each attempt after it locks for twice as long as the one before.
    pub first_lock: Duration,
    pub max_lock: Duration,
    /// Counting starts afresh after this long without an attempt.
    pub window: Duration,
    /// The first sentence of the refusal; the wait follows it.
    pub refusal: &'static str,
}

const TOO_MANY: &str = "Too many attempts.";

/// Guesses at one account from one address: the lock a guesser earns, which the account's
/// owner, signing in from elsewhere, never sees.
pub const SIGN_IN_ACCOUNT_IP: ThrottlePolicy = ThrottlePolicy {
    scope: "sign_in_account_ip",
    free_failures: 5,
    first_lock: Duration::seconds(30),
    max_lock: Duration::minutes(15),
    window: Duration::hours(1),
    refusal: TOO_MANY,
};
/// Guesses at one account from anywhere: a much larger allowance, so only a guesser spread over
/// many addresses reaches it, and then the account slows down rather than closes.
pub const SIGN_IN_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
    scope: "sign_in_account",
    free_failures: 50,
    first_lock: Duration::seconds(30),
    max_lock: Duration::minutes(15),
    window: Duration::hours(1),
    refusal: TOO_MANY,
};
pub const SIGN_IN_IP: ThrottlePolicy = ThrottlePolicy {
    scope: "sign_in_ip",
    free_failures: 20,
    first_lock: Duration::seconds(30),
    max_lock: Duration::minutes(15),
    window: Duration::hours(1),
    refusal: TOO_MANY,
};
/// Password checks of a signed-in user (changing the password, re-authenticating): a stolen
/// session must not become a way to guess the password.
pub const PASSWORD_CHECK_USER: ThrottlePolicy = ThrottlePolicy {
    scope: "password_check_user",
    free_failures: 5,
    first_lock: Duration::seconds(30),
    max_lock: Duration::minutes(15),
    window: Duration::hours(1),
    refusal: TOO_MANY,
};
/// The second step of a sign-in, per account: a six-digit code must not be guessable by
/// trying, so it locks as soon as the password step would. The address is throttled by
/// [`SIGN_IN_IP`], which both steps share.
pub const TWO_FACTOR_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
    scope: "two_factor_account",
    free_failures: 5,
    first_lock: Duration::seconds(30),
    max_lock: Duration::minutes(15),
    window: Duration::hours(1),
    refusal: TOO_MANY,
};
/// Confirming it's you before a dangerous action, per account: a signed-in session must not
/// become a way to guess the password or a code.
pub const CONFIRM_IDENTITY_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
    scope: "confirm_identity_account",
    free_failures: 5,
    first_lock: Duration::seconds(30),
    max_lock: Duration::minutes(15),
    window: Duration::hours(1),
    refusal: TOO_MANY,
};
pub const SIGN_UP_IP: ThrottlePolicy = ThrottlePolicy {
    scope: "sign_up_ip",
    free_failures: 10,
    first_lock: Duration::seconds(30),
    max_lock: Duration::hours(1),
    window: Duration::hours(1),
    refusal: TOO_MANY,
};
pub const RESET_IP: ThrottlePolicy = ThrottlePolicy {
    scope: "reset_ip",
    free_failures: 10,
    first_lock: Duration::seconds(30),
    max_lock: Duration::hours(1),
    window: Duration::hours(1),
    refusal: TOO_MANY,
};
pub const RESET_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
    scope: "reset_account",
    free_failures: 3,
    first_lock: Duration::seconds(30),
    max_lock: Duration::hours(1),
    window: Duration::hours(1),
    refusal: TOO_MANY,
};
/// Invitation emails an organisation may send in a day, so nobody turns it into a spam relay.
pub const INVITATIONS: ThrottlePolicy = ThrottlePolicy {
    scope: "org_invitations",
    free_failures: 100,
    first_lock: Duration::days(1),
    max_lock: Duration::days(1),
    window: Duration::days(1),
    refusal: "This organisation has sent as many invitations as it may in a day.",
};
/// Invitation emails one user may send in a day, across every organisation they can invite to:
/// an invitation carries a name the inviter chose to any address.
pub const INVITATIONS_USER: ThrottlePolicy = ThrottlePolicy {
    scope: "user_invitations",
    free_failures: 50,
    first_lock: Duration::days(1),
    max_lock: Duration::days(1),
    window: Duration::days(1),
    refusal: "You have sent as many invitations as you may in a day.",
};
/// Organisations one user may create in a day.
pub const ORGANISATIONS_USER: ThrottlePolicy = ThrottlePolicy {
    scope: "user_organisations",
    free_failures: 5,
    first_lock: Duration::days(1),
    max_lock: Duration::days(1),
    window: Duration::days(1),
    refusal: "You have created as many organisations as you may in a day.",
};
pub const RESEND: ThrottlePolicy = ThrottlePolicy {
    scope: "resend_verification",
    free_failures: 3,
    first_lock: Duration::seconds(30),
    max_lock: Duration::hours(1),
    window: Duration::hours(1),
    refusal: TOO_MANY,
};

fn wait_message(seconds: i64) -> String {
    match seconds {
        s if s <= 60 => format!("{} seconds", s.max(1)),
        s if s <= 2 * 3600 => format!("{} minutes", (s + 59) / 60),
        s => format!("{} hours", (s + 3599) / 3600),
    }
}

/// Counts one attempt of `key` and refuses it while the key is locked; a refused attempt is not
/// counted. The attempt that spends the allowance is allowed and locks the key for the next
/// one; after each lock one more attempt is allowed, locking for twice as long, up to the cap.
pub async fn attempt(pool: &PgPool, policy: ThrottlePolicy, key: &str) -> Result<(), AppError> {
    // One statement: the row is locked while it is read and written, so parallel attempts are
    // each counted and each see the ones before. `do update ... where` leaves a locked key's row
    // alone and returns nothing.
    let counted = sqlx::query_scalar!(
        r#"insert into auth_throttle as t (scope, key, failures, last_failure_at, locked_until)
           values ($1, $2, 1, now(), case when $3 <= 1
               then now() + least(make_interval(secs => $4), make_interval(secs => $5)) end)
           on conflict (scope, key) do update set
               failures = case when t.last_failure_at < now() - make_interval(secs => $6)
                               then 1 else t.failures + 1 end,
               last_failure_at = now(),
               locked_until = case
                   when (case when t.last_failure_at < now() - make_interval(secs => $6)
                              then 1 else t.failures + 1 end) >= $3
                   then now() + least(
                       make_interval(secs => $4 * power(2, least(
                           (case when t.last_failure_at < now() - make_interval(secs => $6)
                                 then 1 else t.failures + 1 end) - $3, 20))),
                       make_interval(secs => $5))
               end
           where t.locked_until is null or t.locked_until <= now()
           returning failures"#,
        policy.scope,
        key,
        policy.free_failures,
        policy.first_lock.whole_seconds() as f64,
        policy.max_lock.whole_seconds() as f64,
        policy.window.whole_seconds() as f64,
    )
    .fetch_optional(pool)
    .await?;
    if counted.is_some() {
        return Ok(());
    }
    let remaining: Option<i64> = sqlx::query_scalar!(
        r#"select extract(epoch from locked_until - now())::bigint as "remaining!"
           from auth_throttle where scope = $1 and key = $2 and locked_until > now()"#,
        policy.scope,
        key
    )
    .fetch_optional(pool)
    .await?;
    Err(AppError::Throttled(format!(
        "{} Please wait {} and try again.",
        policy.refusal,
        wait_message(remaining.unwrap_or(1))
    )))
}

/// Takes back one attempt of `key` that turned out well (a correct password), so successes
/// never count towards a lock; a lock that attempt set is lifted with it.
pub async fn forgive(pool: &PgPool, policy: ThrottlePolicy, key: &str) -> Result<(), AppError> {
    sqlx::query!(
        "update auth_throttle set
             failures = greatest(failures - 1, 0),
             locked_until = case when failures - 1 >= $3 then locked_until end
         where scope = $1 and key = $2",
        policy.scope,
        key,
        policy.free_failures
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Forgets the attempts of `key` in this scope, after a success.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_told_in_the_largest_sensible_unit() {
        assert_eq!(wait_message(45), "45 seconds");
        assert_eq!(wait_message(61), "2 minutes");
        assert_eq!(wait_message(86_400), "24 hours");
    }
}
