//! Two-factor sign-in: a time-based code from an authenticator app (TOTP, RFC 6238), or one of
//! ten single-use recovery codes, asked for after the password. Set-up shows the secret as a
//! QR code and as text, and turns two-factor on only once the app's first code is right.
//!
//! Secrets are encrypted at rest ([`key`]); a code is accepted once ([`store`]); a sign-in whose
//! password was right waits in the session for its second step ([`pending`]); every change is
//! recorded and emailed to the account's address ([`notify`]).

pub mod forms;
pub mod functions;
#[cfg(feature = "ssr")]
pub mod key;
#[cfg(feature = "ssr")]
pub mod notify;
#[cfg(feature = "ssr")]
pub mod pending;
#[cfg(feature = "ssr")]
pub mod recovery;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod totp;

use serde::{Deserialize, Serialize};

/// Whether the signed-in user has two-factor sign-in, for the account pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorInfo {
    pub enabled: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

/// What set-up shows: the secret as a QR code for the app to scan, and as text to type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    /// The `otpauth://` address as an SVG image, in a `data:` URL.
    pub qr_code: String,
    /// The secret in base32, as authenticator apps take it when typed.
    pub secret: String,
}

/// Recovery codes, shown once when made and never again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes(pub Vec<String>);

impl RecoveryCodes {
    /// The codes as the text file the page offers to download.
    pub fn as_text(&self) -> String {
        let mut text = String::from(
            "Ops Intel recovery codes\n\nEach code signs you in once in place of a code from your \
             authenticator app. Keep them somewhere safe.\n\n",
        );
        for code in &self.0 {
            text.push_str(code);
            text.push('\n');
        }
        text
    }
}
