//! Finding an account by its email address, the one question about accounts asked before row-level
//! security knows whom a transaction acts for (see [`crate::tenancy`]).

use uuid::Uuid;

use crate::error::AppError;

/// An account as a sign-in, a reset link or an address change needs it.
pub struct Account {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
}

/// The account, if any, with this address (however it is capitalised). Asked before anyone is
/// signed in, or about an address that is not the caller's, so it goes through the one narrow
/// database function that may look across accounts; every other read sees only the caller's own.
pub async fn account_by_email<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    email: &str,
) -> Result<Option<Account>, AppError> {
    Ok(sqlx::query_as!(
        Account,
        r#"select user_id as "user_id!", email as "email!", name as "name!", password_hash as "password_hash!"
           from app_account_by_email($1)"#,
        email
    )
    .fetch_optional(executor)
    .await?)
}
