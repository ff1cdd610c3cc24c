use leptos::server_fn::{codec::JsonEncoding, error::FromServerFnError, error::ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What an account action can tell the user. Internal failures are logged on the server and
/// reach the user only as [`AuthError::Internal`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AuthError {
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("Incorrect email address or password.")]
    BadCredentials,
    #[error("Too many attempts. Please wait {0} and try again.")]
    Throttled(String),
    #[error("This link is invalid, already used or expired. Request a new one.")]
    BadToken,
    #[error("Please sign in first.")]
    NotSignedIn,
    #[error("Not found.")]
    NotFound,
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    #[error("The request could not be completed. Reload the page and try again.")]
    Request,
}

impl AuthError {
    pub fn invalid(field: &str, error: impl std::fmt::Display) -> Self {
        Self::Invalid {
            field: field.to_string(),
            message: error.to_string(),
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

impl FromServerFnError for AuthError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(_: ServerFnErrorErr) -> Self {
        AuthError::Request
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "database error");
        AuthError::Internal
    }
}

#[cfg(feature = "ssr")]
impl From<tower_sessions::session::Error> for AuthError {
    fn from(e: tower_sessions::session::Error) -> Self {
        tracing::error!(error = %e, "session error");
        AuthError::Internal
    }
}
