//! Recovery codes: ten single-use codes that stand in for the authenticator app, made when
//! two-factor is turned on (or made anew), shown once, and stored only as keyed hashes (see
//! [`super::key`] for why a fast hash is enough).

use rand::Rng as _;
use sqlx::{PgExecutor, Postgres, Transaction};
use uuid::Uuid;

use super::key::TwoFactorKey;
use crate::error::AppError;

/// How many codes a user has after each set-up.
pub const COUNT: usize = 10;
/// Letters and digits that cannot be mistaken for one another (no 0/o, 1/l/i).
const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Symbols per code: 10 of 31, about 50 bits.
const LENGTH: usize = 10;

/// Ten new codes, `xxxxx-xxxxx`.
pub fn generate() -> Vec<String> {
    let mut rng = rand::rng();
    (0..COUNT)
        .map(|_| {
            let symbols: String = (0..LENGTH)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &symbols[..5], &symbols[5..])
        })
        .collect()
}

/// A code as typed (any case, with or without its dash or spaces) in its one written form, or
/// `None` if it cannot be a recovery code.
pub fn normalize(input: &str) -> Option<String> {
    let symbols: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (symbols.len() == LENGTH && symbols.bytes().all(|b| ALPHABET.contains(&b)))
        .then(|| format!("{}-{}", &symbols[..5], &symbols[5..]))
}

/// Replaces every code of the user with ten new ones, and returns them to show once.
pub async fn replace(
    tx: &mut Transaction<'_, Postgres>,
    key: &TwoFactorKey,
    user_id: Uuid,
) -> Result<Vec<String>, AppError> {
    sqlx::query!(
        "delete from two_factor_recovery_codes where user_id = $1",
        user_id
    )
    .execute(&mut **tx)
    .await?;
    let codes = generate();
    let hashes: Vec<Vec<u8>> = codes
        .iter()
        .map(|c| key.recovery_hash(user_id, c))
        .collect();
    sqlx::query!(
        "insert into two_factor_recovery_codes (user_id, code_hash) select $1, unnest($2::bytea[])",
        user_id,
        &hashes
    )
    .execute(&mut **tx)
    .await?;
    Ok(codes)
}

/// Uses a code once: how many are left afterwards, or `None` if it is not an unused code of
/// this user. Concurrent uses of one code cannot both succeed: the update takes the row.
pub async fn redeem(
    tx: &mut Transaction<'_, Postgres>,
    key: &TwoFactorKey,
    user_id: Uuid,
    code: &str,
) -> Result<Option<i64>, AppError> {
    let used = sqlx::query!(
        "update two_factor_recovery_codes set used_at = now()
         where user_id = $1 and code_hash = $2 and used_at is null",
        user_id,
        key.recovery_hash(user_id, code)
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if used == 0 {
        return Ok(None);
    }
    Ok(Some(remaining(&mut **tx, user_id).await?))
}

/// Unused codes of the user.
pub async fn remaining<'e>(executor: impl PgExecutor<'e>, user_id: Uuid) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar!(
        r#"select count(*) as "n!" from two_factor_recovery_codes where user_id = $1 and used_at is null"#,
        user_id
    )
    .fetch_one(executor)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_each_read_back_however_typed() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        assert_eq!(
            codes.iter().collect::<std::collections::HashSet<_>>().len(),
            COUNT
        );
        for code in &codes {
            assert_eq!(code.len(), 11);
            assert_eq!(normalize(code).as_ref(), Some(code));
            let typed = format!(" {} ", code.replace('-', " ").to_uppercase());
            assert_eq!(normalize(&typed).as_ref(), Some(code));
        }
        assert_eq!(normalize("123456"), None);
        assert_eq!(normalize("abcde-fghj0"), None, "0 is not in the alphabet");
    }
}
