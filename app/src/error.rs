use leptos::server_fn::{codec::JsonEncoding, error::FromServerFnError, error::ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a server function can tell the user. Internal failures are logged on the server and
/// reach the user only as [`AppError::Internal`]. [`AppError::status`] is the one mapping to
/// HTTP status codes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("Incorrect email address or password.")]
    BadCredentials,
    /// Refused by a throttle; the message says why and how long to wait.
    #[error("{0}")]
    Throttled(String),
    #[error("This link is invalid, already used or expired. Request a new one.")]
    BadToken,
    #[error("Please sign in first.")]
    NotSignedIn,
    #[error("Not found.")]
    NotFound,
    /// A member asked for something their role does not allow; the message says what.
    #[error("{0}")]
    Forbidden(String),
    #[error("Confirm your email address first: use the link we sent you, or request a new one from your account page.")]
    Unverified,
    /// The organisation requires two-factor sign-in, which the caller has not set up. The
    /// pages send them to set it up.
    #[error("This organisation requires two-factor sign-in. Set it up to see its pages.")]
    TwoFactorRequired,
    /// A dangerous action needs the password or a second factor given in the last few minutes.
    #[error("For your safety, confirm it's you first: enter your password or a two-factor code, then try again.")]
    RecentProofRequired,
    /// A rule of the organisation refused the change; the message says which.
    #[error("{0}")]
    Refused(String),
    /// A monthly allowance of the organisation's plan is used up; the message says what is
    /// left and when it renews. Nothing was done.
    #[error("{0}")]
    OverAllowance(String),
    /// The server is at capacity for this kind of work (password checks, database connections);
    /// nothing was done.
    #[error("We are busy right now. Please try again in a few seconds.")]
    Busy,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    #[error("The request could not be completed. Reload the page and try again.")]
    Request,
}

impl AppError {
    pub fn invalid(field: &str, error: impl std::fmt::Display) -> Self {
        Self::Invalid {
            field: field.to_string(),
            message: error.to_string(),
        }
    }

    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::Invalid { .. } | Self::BadToken | Self::Request => S::BAD_REQUEST,
            Self::BadCredentials | Self::NotSignedIn | Self::RecentProofRequired => S::UNAUTHORIZED,
            Self::Forbidden(_) | Self::Unverified | Self::TwoFactorRequired => S::FORBIDDEN,
            Self::NotFound => S::NOT_FOUND,
            Self::Refused(_) => S::CONFLICT,
            Self::Throttled(_) => S::TOO_MANY_REQUESTS,
            // What plans' limits answer with: the request was fine, the plan does not cover it.
            Self::OverAllowance(_) => S::PAYMENT_REQUIRED,
            Self::Busy => S::SERVICE_UNAVAILABLE,
            Self::Internal => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// Seconds the client should wait before trying again (`Retry-After`), when that is known.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            Self::Busy => Some(2),
            _ => None,
        }
    }

    /// The message for one form field, if this error is about it.
    pub fn for_field(&self, name: &str) -> Option<String> {
        match self {
            Self::Invalid { field, message } if field == name => Some(message.clone()),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(_: ServerFnErrorErr) -> Self {
        AppError::Request
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    /// Logs the failure with where it happened (the `?` that converted it), the constraint or
    /// SQLSTATE when the database named one, and the error's source chain; the user sees only
    /// [`AppError::Internal`], or [`AppError::Busy`] when the database could not do the work
    /// just now ([`unavailable`]). Query parameters are never part of an sqlx error's message.
    #[track_caller]
    fn from(e: sqlx::Error) -> Self {
        let at = std::panic::Location::caller();
        let db = e.as_database_error();
        if let Some(reason) = unavailable(&e) {
            // Overload or an outage, not a fault: nothing was done (the transaction is rolled
            // back), and the caller is told to try again in a moment.
            tracing::warn!(
                error = %e,
                code = db.and_then(|d| d.code()).as_deref(),
                at = %format_args!("{}:{}", at.file(), at.line()),
                "{reason}"
            );
            return AppError::Busy;
        }
        tracing::error!(
            error = %e,
            source = ?std::error::Error::source(&e).map(ToString::to_string),
            constraint = db.and_then(|d| d.constraint()),
            code = db.and_then(|d| d.code()).as_deref(),
            at = %format_args!("{}:{}", at.file(), at.line()),
            "database error"
        );
        AppError::Internal
    }
}

/// Why the database could not serve a request just now, when that is the reason: every
/// connection stayed busy for the pool's whole wait, a statement ran past the role's
/// `statement_timeout` or waited past its `lock_timeout`, or the server is unreachable,
/// restarting or out of connections. A retry a moment later may well succeed.
#[cfg(feature = "ssr")]
fn unavailable(e: &sqlx::Error) -> Option<&'static str> {
    match e {
        sqlx::Error::PoolTimedOut => Some("no database connection came free in time"),
        sqlx::Error::Io(_) | sqlx::Error::PoolClosed => Some("the database is unreachable"),
        sqlx::Error::Database(d) => match d.code().as_deref() {
            Some("57014") => Some("a statement ran past its time limit"),
            Some("55P03") => Some("a lock was not granted in time"),
            Some(code) if code.starts_with("08") || code.starts_with("57P") => {
                Some("the database is unreachable or restarting")
            }
            Some("53300") => Some("the database has no free connections"),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(feature = "ssr")]
impl From<tower_sessions::session::Error> for AppError {
    #[track_caller]
    fn from(e: tower_sessions::session::Error) -> Self {
        use tower_sessions::{session::Error, session_store::Error as StoreError};
        let at = std::panic::Location::caller();
        if matches!(e, Error::Store(StoreError::Backend(_))) {
            // The session store is the database: unreachable, restarting or out of connections.
            tracing::warn!(error = %e, at = %format_args!("{}:{}", at.file(), at.line()), "the session store is unavailable");
            return AppError::Busy;
        }
        tracing::error!(error = %e, at = %format_args!("{}:{}", at.file(), at.line()), "session error");
        AppError::Internal
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::AppError;

    #[test]
    fn no_free_database_connection_is_busy_not_broken() {
        let e = AppError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(e, AppError::Busy);
        assert_eq!(e.status(), http::StatusCode::SERVICE_UNAVAILABLE);
        assert!(e.retry_after().is_some());
        assert_eq!(AppError::from(sqlx::Error::RowNotFound), AppError::Internal);
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        assert_eq!(AppError::from(sqlx::Error::Io(reset)), AppError::Busy);
        let store = tower_sessions::session_store::Error::Backend("pool timed out".into());
        assert_eq!(
            AppError::from(tower_sessions::session::Error::Store(store)),
            AppError::Busy
        );
    }
}
