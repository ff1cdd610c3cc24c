//! The server side of accounts: services the server functions use, sessions, single-use email
//! tokens, the outbox, throttling and the audit log.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use http::request::Parts;
use leptos::prelude::*;
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use sqlx::{PgPool, Postgres, Transaction};
use time::Duration;
use tower_sessions::Session;
use uuid::Uuid;

use super::password::Hasher;
use crate::error::AppError;

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
}

pub fn services() -> Result<AuthServices, AppError> {
    use_context::<AuthServices>().ok_or_else(|| {
        tracing::error!("AuthServices missing from context");
        AppError::Internal
    })
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        AppError::Internal
    })
}

/// Who is asking, for the audit log and throttling.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    pub fn ip_key(&self) -> String {
        self.ip
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into())
    }
}

pub fn request_meta() -> RequestMeta {
    let Some(parts) = use_context::<Parts>() else {
        return RequestMeta::default();
    };
    RequestMeta {
        ip: parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip()),
        user_agent: parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(300).collect()),
    }
}

// --- sessions -------------------------------------------------------------------------------

const USER_ID: &str = "user_id";
const USER_SESSION_ID: &str = "user_session_id";

/// Starts a signed-in session under a new id, so an id planted before sign-in is worthless, and
/// records the sign-in so the user can see and end it.
pub async fn start_session(
    session: &Session,
    svc: &AuthServices,
    user_id: Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let pool = &svc.pool;
    let user_session_id = Uuid::new_v4();
    sqlx::query!(
        "insert into user_sessions (user_session_id, user_id, ip, user_agent) values ($1, $2, $3::text::inet, $4)",
        user_session_id,
        user_id,
        meta.ip.map(|ip| ip.to_string()),
        meta.user_agent
    )
    .execute(pool)
    .await?;
    session.cycle_id().await?;
    // Anonymous sessions (which only hold a CSRF token) are short-lived; a sign-in gets the
    // configured idle timeout.
    session.set_expiry(Some(tower_sessions::Expiry::OnInactivity(svc.session_idle)));
    session.insert(USER_ID, user_id).await?;
    session.insert(USER_SESSION_ID, user_session_id).await?;
    Ok(())
}

/// The signed-in user and their sign-in, if any. A sign-in that was ended elsewhere, or is past
/// its absolute lifetime, ends here.
pub async fn signed_in(
    session: &Session,
    svc: &AuthServices,
) -> Result<Option<(Uuid, Uuid)>, AppError> {
    let (Some(user_id), Some(user_session_id)) = (
        session.get::<Uuid>(USER_ID).await?,
        session.get::<Uuid>(USER_SESSION_ID).await?,
    ) else {
        return Ok(None);
    };
    let meta = request_meta();
    let alive = sqlx::query_scalar!(
        // Every signed-in request checks the sign-in still stands; "last seen" is written at most
        // once a minute, so reading pages does not turn into a write per request.
        r#"with alive as (
               select user_session_id from user_sessions
               where user_session_id = $1 and user_id = $2 and created_at > now() - make_interval(secs => $3)
           ), touched as (
               update user_sessions set last_seen_at = now(), ip = coalesce($4::text::inet, ip)
               where user_session_id in (select user_session_id from alive)
                 and last_seen_at < now() - interval '1 minute'
           )
           select user_session_id as "user_session_id!" from alive"#,
        user_session_id,
        user_id,
        svc.session_absolute.whole_seconds() as f64,
        meta.ip.map(|ip| ip.to_string())
    )
    .fetch_optional(&svc.pool)
    .await?;
    if alive.is_none() {
        sqlx::query!(
            "delete from user_sessions where user_session_id = $1",
            user_session_id
        )
        .execute(&svc.pool)
        .await?;
        session.flush().await?;
        return Ok(None);
    }
    Ok(Some((user_id, user_session_id)))
}

pub async fn signed_in_user(
    session: &Session,
    svc: &AuthServices,
) -> Result<Option<Uuid>, AppError> {
    Ok(signed_in(session, svc).await?.map(|(user_id, _)| user_id))
}

/// Ends every sign-in of a user except, optionally, one.
pub async fn end_sessions<'e>(
    executor: impl sqlx::PgExecutor<'e>,
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

// --- single-use tokens ----------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
}

impl TokenPurpose {
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

/// Uses an email-change token once: the user and the address to switch to.
pub async fn redeem_email_change(
    tx: &mut Transaction<'_, Postgres>,
    token: &str,
) -> Result<(Uuid, String), AppError> {
    let row = sqlx::query!(
        r#"update email_tokens set used_at = now()
           where token_hash = $1 and purpose = 'change_email' and used_at is null and expires_at > now()
           returning user_id, new_email::text as "new_email!""#,
        token_hash(token)
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::BadToken)?;
    Ok((row.user_id, row.new_email))
}

/// Uses a token once: the user it was for, or `BadToken` if unknown, used or expired.
pub async fn redeem_token(
    tx: &mut Transaction<'_, Postgres>,
    token: &str,
    purpose: TokenPurpose,
) -> Result<Uuid, AppError> {
    sqlx::query_scalar!(
        "update email_tokens set used_at = now()
         where token_hash = $1 and purpose = $2 and used_at is null and expires_at > now()
         returning user_id",
        token_hash(token),
        purpose.as_str()
    )
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::BadToken)
}

// --- email ----------------------------------------------------------------------------------

pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Queues an email in the caller's transaction: it is sent if and only if the change commits.
pub async fn enqueue_email(
    tx: &mut Transaction<'_, Postgres>,
    email: Email,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into email_outbox (to_address, subject, text_body, html_body) values ($1, $2, $3, $4)",
        email.to,
        email.subject,
        email.text,
        email.html
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An email with one call to action, in plain text and HTML.
pub fn action_email(
    to: &str,
    subject: &str,
    greeting_name: &str,
    lines: &[&str],
    link_text: &str,
    link: &str,
) -> Email {
    let text = format!(
        "Hello {greeting_name},\n\n{}\n\n{link_text}: {link}\n\n— Ops Intel\n",
        lines.join("\n\n")
    );
    let paragraphs: String = lines
        .iter()
        .map(|l| format!("<p>{}</p>", escape_html(l)))
        .collect();
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Hello {},</p>{paragraphs}\
         <p><a href=\"{}\">{}</a></p><p>— Ops Intel</p></body></html>",
        escape_html(greeting_name),
        escape_html(link),
        escape_html(link_text)
    );
    Email {
        to: to.to_string(),
        subject: subject.to_string(),
        text,
        html,
    }
}

// --- throttling -----------------------------------------------------------------------------

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

// --- audit ----------------------------------------------------------------------------------

/// Records a security event. Details never hold passwords or tokens.
pub async fn audit<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    actor: Option<Uuid>,
    action: &str,
    meta: &RequestMeta,
    details: serde_json::Value,
) -> Result<(), AppError> {
    sqlx::query!(
        "insert into audit_events (actor_user_id, action, ip, user_agent, details)
         values ($1, $2, $3::text::inet, $4, $5)",
        actor,
        action,
        meta.ip.map(|ip| ip.to_string()),
        meta.user_agent,
        details
    )
    .execute(executor)
    .await?;
    Ok(())
}

/// "Firefox on Windows" from a User-Agent string: enough to recognise a device, no more.
pub fn describe_device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return "Unknown device".into();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("Windows", "Windows"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_string(),
        (None, Some(o)) => o.to_string(),
        (None, None) => "Unknown device".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_described_briefly() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        assert_eq!(describe_device(Some(chrome)), "Chrome on Linux");
        assert_eq!(describe_device(Some("curl/8.0")), "Unknown device");
        assert_eq!(describe_device(None), "Unknown device");
    }

    #[test]
    fn html_is_escaped_in_emails() {
        assert_eq!(
            escape_html(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }
}
