//! Signed-in sessions: starting one, checking one still stands, ending them. The browser's
//! session (tower-sessions) holds only ids; each sign-in is also a `user_sessions` row, so the
//! user can see where they are signed in and end any of it.

use sqlx::PgExecutor;
use tower_sessions::Session;
use uuid::Uuid;

use super::services::AuthServices;
use crate::{
    error::AppError,
    request::{request_meta, RequestMeta},
    tenancy::user_tx,
};

const USER_ID: &str = "user_id";
const USER_SESSION_ID: &str = "user_session_id";
/// Where the session keeps its anti-forgery token; the server's CSRF layer checks it and hands
/// a changed one back to the browser.
pub const CSRF_TOKEN_KEY: &str = "csrf_token";

/// The browser's session for the current request.
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        AppError::Internal
    })
}

/// Starts a signed-in session under a new id, so an id planted before sign-in is worthless, and
/// records the sign-in so the user can see and end it.
pub async fn start_session(
    session: &Session,
    svc: &AuthServices,
    user_id: Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let user_session_id = Uuid::new_v4();
    let mut tx = user_tx(&svc.pool, user_id).await?;
    sqlx::query!(
        "insert into user_sessions (user_session_id, user_id, ip, user_agent) values ($1, $2, $3::text::inet, $4)",
        user_session_id,
        user_id,
        meta.ip.map(|ip| ip.to_string()),
        meta.user_agent
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    session.cycle_id().await?;
    // Anonymous sessions (which only hold a CSRF token) are short-lived; a sign-in gets the
    // configured idle timeout.
    session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(svc.session_idle)));
    session.insert(USER_ID, user_id).await?;
    session.insert(USER_SESSION_ID, user_session_id).await?;
    session.insert(SEEN_AT, now()).await?;
    // A token that was in pages before sign-in (or was planted there) is worth nothing after it.
    session
        .insert(CSRF_TOKEN_KEY, super::tokens::random_token())
        .await?;
    Ok(())
}

/// The signed-in user and their sign-in, if any. A sign-in that was ended elsewhere, or is past
/// its absolute lifetime, ends here.
pub async fn signed_in(
    session: &Session,
    svc: &AuthServices,
) -> Result<Option<(Uuid, Uuid)>, AppError> {
    let Some((user_id, user_session_id)) = claimed(session).await? else {
        return Ok(None);
    };
    let meta = request_meta();
    // Every signed-in request checks the sign-in still stands; "last seen" is written at most
    // once a minute, so reading pages does not turn into a write per request.
    let alive = sqlx::query_scalar!(
        "select app_session_alive($1, $2, $3, $4)",
        user_session_id,
        user_id,
        svc.session_absolute.whole_seconds() as f64,
        meta.ip.map(|ip| ip.to_string())
    )
    .fetch_one(&svc.pool)
    .await?;
    let Some(touched) = alive else {
        // Ended elsewhere or too old: its row is gone, and so is the browser's session.
        session.flush().await?;
        return Ok(None);
    };
    if touched {
        // Activity starts the idle clock again: the session is saved with a new idle deadline
        // (and its cookie sent again), as often as "last seen" is written, and notes when.
        session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(svc.session_idle)));
        session.insert(SEEN_AT, now()).await?;
    }
    Ok(Some((user_id, user_session_id)))
}

/// The browser's session notes when the sign-in's activity was last recorded (Unix seconds).
const SEEN_AT: &str = "seen_at";

/// How long after recording a sign-in's activity a request may check the sign-in without
/// recording it again: the minute "last seen" is written at most once in (app_session_alive).
const QUIET_SECS: i64 = 60;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The user and the sign-in the browser's session names, when the session shows the sign-in's
/// activity was recorded within the minute: such a request need only check that the sign-in
/// still stands, which it can do inside another statement (see [`crate::access`]); any other
/// goes through [`signed_in`], which records the activity.
pub async fn claimed_recently(session: &Session) -> Result<Option<(Uuid, Uuid)>, AppError> {
    let recent = session
        .get::<i64>(SEEN_AT)
        .await?
        .is_some_and(|seen| (0..QUIET_SECS).contains(&(now() - seen)));
    Ok(if recent {
        claimed(session).await?
    } else {
        None
    })
}

/// The user and the sign-in the browser's session names, not yet checked against the sign-ins
/// that stand.
pub async fn claimed(session: &Session) -> Result<Option<(Uuid, Uuid)>, AppError> {
    Ok(
        match (
            session.get::<Uuid>(USER_ID).await?,
            session.get::<Uuid>(USER_SESSION_ID).await?,
        ) {
            (Some(user_id), Some(user_session_id)) => Some((user_id, user_session_id)),
            _ => None,
        },
    )
}

/// The signed-in user, if any; see [`signed_in`].
pub async fn signed_in_user(
    session: &Session,
    svc: &AuthServices,
) -> Result<Option<Uuid>, AppError> {
    Ok(signed_in(session, svc).await?.map(|(user_id, _)| user_id))
}

/// Ends every sign-in of a user except, optionally, one.
pub async fn end_sessions<'e>(
    executor: impl PgExecutor<'e>,
    user_id: Uuid,
    except: Option<Uuid>,
) -> Result<u64, AppError> {
    Ok(sqlx::query!(
        "delete from user_sessions where user_id = $1 and user_session_id is distinct from $2",
        user_id,
        except
    )
    .execute(executor)
    .await?
    .rows_affected())
}
