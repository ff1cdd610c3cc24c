//! Accounts: sign-up, email verification, sign-in (with two-factor) and sign-out.

#[cfg(feature = "ssr")]
pub mod accounts;
pub mod client;
#[cfg(feature = "ssr")]
pub mod device;
pub mod export;
pub mod forms;
pub mod functions;
#[cfg(feature = "ssr")]
pub mod password;
pub mod recent_proof;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod session;
pub mod time_zone;
#[cfg(feature = "ssr")]
pub mod tokens;
pub mod two_factor;

use serde::{Deserialize, Serialize};

/// The per-session anti-forgery token every state-changing request must carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsrfToken(pub String);

/// Name of the form field (and, as `x-csrf-token`, the header) that carries the token.
pub const CSRF_FIELD: &str = "csrf_token";

/// Where a page served without a token (a public page, the same for everyone) gets the
/// session's, before its first state-changing call.
pub const CSRF_TOKEN_PATH: &str = "/session/csrf-token";

/// Where the header asks who is signed in (their name as text, or no content): a plain `GET`,
/// so a visitor of a public page who is not signed in starts no session by asking.
pub const WHO_PATH: &str = "/session/who";

/// What the browser may know about the signed-in user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub name: String,
    pub email: String,
    pub verified: bool,
}

/// An email as the development mailbox shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxEmail {
    pub to: String,
    pub subject: String,
    pub text_body: String,
    pub created_at: String,
}

/// One place the user is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub id: String,
    pub device: String,
    pub ip: String,
    pub last_seen: crate::domain::Moment,
    pub current: bool,
}
