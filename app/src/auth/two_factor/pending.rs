//! A sign-in waiting for its second step. The password was right, but the session is not signed
//! in: it only remembers, for a few minutes, whose sign-in it is and where to go afterwards.

use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

use super::totp::now_unix;
use crate::error::AppError;

const PENDING: &str = "pending_second_factor";
/// How long the second step may take.
pub const LIFETIME_SECONDS: u64 = 5 * 60;

/// Whose sign-in waits, until when, and where it continues.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub user_id: Uuid,
    pub until: u64,
    pub next: Option<String>,
}

/// Remembers a sign-in whose password was right.
pub async fn begin(session: &Session, user_id: Uuid, next: Option<&str>) -> Result<(), AppError> {
    let pending = PendingSignIn {
        user_id,
        until: now_unix() + LIFETIME_SECONDS,
        next: next.map(str::to_string),
    };
    session.insert(PENDING, pending).await?;
    Ok(())
}

/// The sign-in waiting in this session, unless there is none or it has expired.
pub async fn current(session: &Session) -> Result<Option<PendingSignIn>, AppError> {
    let Some(pending) = session.get::<PendingSignIn>(PENDING).await? else {
        return Ok(None);
    };
    if pending.until <= now_unix() {
        session.remove::<PendingSignIn>(PENDING).await?;
        return Ok(None);
    }
    Ok(Some(pending))
}

/// Forgets the waiting sign-in, once it is complete.
pub async fn clear(session: &Session) -> Result<(), AppError> {
    session.remove::<PendingSignIn>(PENDING).await?;
    Ok(())
}
