//! Server-side sessions in PostgreSQL, with the cookie attributes set explicitly: the library's
//! defaults (name `id`, SameSite=Strict) are not ours.

use sqlx::PgPool;
use tower_sessions::{cookie::SameSite, Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use crate::config::Config;

/// The store's table is created by our migrations, since the application's role creates nothing.
pub fn store(pool: &PgPool) -> PostgresStore {
    PostgresStore::new(pool.clone())
}

/// `Secure` always, except for plain-HTTP development on this machine; the `__Host-` prefix
/// whenever Secure, so the browser also insists on path `/`, no Domain, and HTTPS.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-ops_session"
    } else {
        "ops_session"
    }
}

pub fn layer(store: PostgresStore, config: &Config) -> SessionManagerLayer<PostgresStore> {
    let secure = config.secure_cookies();
    SessionManagerLayer::new(store)
        .with_name(cookie_name(secure))
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(config.session_idle))
}

/// Removes expired sessions every hour.
pub fn spawn_cleanup(store: PostgresStore) {
    use tower_sessions::ExpiredDeletion as _;
    tokio::spawn(async move {
        if let Err(e) = store
            .continuously_delete_expired(std::time::Duration::from_secs(3600))
            .await
        {
            tracing::error!(error = %e, "session cleanup stopped");
        }
    });
}

/// `GET` [`app::auth::WHO_PATH`]: the signed-in user's name, for the header of every page (the
/// public pages are the same for everyone, so their header asks once it is in the browser); no
/// content when nobody is signed in. Never stored by a cache.
pub async fn who(
    auth: app::auth::services::AuthServices,
    session: tower_sessions::Session,
) -> axum::response::Response {
    use axum::{
        http::{header, StatusCode},
        response::IntoResponse,
    };
    let private = [(header::CACHE_CONTROL, "no-store")];
    match app::auth::functions::signed_in_summary(&session, &auth).await {
        Ok(Some(user)) => (
            private,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            user.name,
        )
            .into_response(),
        Ok(None) => (StatusCode::NO_CONTENT, private).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "reading who is signed in");
            (e.status(), private).into_response()
        }
    }
}
