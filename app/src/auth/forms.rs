//! The account forms as their server functions receive them (`form[email]`, …), and, on the
//! server, the checked values each becomes. A form holds what the browser sent; its input holds
//! only values that passed the same rules the pages show as the user types, so a server
//! function cannot forget a check. Errors name the field they are about, as the pages expect.
//!
//! Forms that carry a password print it redacted, so a form can never put one in a log.

use std::fmt;

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {
    crate::{
        domain::{EmailAddress, NewPassword, PersonName, Zone},
        error::AppError,
    },
    secrecy::SecretString,
};

/// Stands in for a secret wherever a form is printed.
const REDACTED: &str = "[redacted]";

/// A path on this site to continue to after signing in; anything that could leave the site
/// (`//host`, `/\\host`, a scheme) is ignored.
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 500
        && !next.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(next)
}

// --- sign-up --------------------------------------------------------------------------------

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct SignUpForm {
    pub name: String,
    pub email: String,
    pub password: String,
    /// The browser's time zone, as its page found it (empty where it could not).
    #[serde(default)]
    pub time_zone: String,
}

impl fmt::Debug for SignUpForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignUpForm")
            .field("name", &self.name)
            .field("email", &self.email)
            .field("password", &REDACTED)
            .field("time_zone", &self.time_zone)
            .finish()
    }
}

/// A new account's details, each valid; the password is not yet hashed.
#[cfg(feature = "ssr")]
pub struct SignUpInput {
    name: PersonName,
    email: EmailAddress,
    password: SecretString,
    zone: Zone,
}

#[cfg(feature = "ssr")]
impl SignUpInput {
    /// Where the person is, as their browser guessed; UTC when it could not.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    pub fn name(&self) -> &PersonName {
        &self.name
    }

    pub fn email(&self) -> &EmailAddress {
        &self.email
    }

    pub fn password(&self) -> &SecretString {
        &self.password
    }
}

#[cfg(feature = "ssr")]
impl TryFrom<SignUpForm> for SignUpInput {
    type Error = AppError;

    /// Checks the fields in the order the page shows them, so the first error is the top one.
    fn try_from(form: SignUpForm) -> Result<Self, AppError> {
        let name = PersonName::parse(&form.name).map_err(|e| AppError::invalid("name", e))?;
        let email = EmailAddress::parse(&form.email).map_err(|e| AppError::invalid("email", e))?;
        let password = NewPassword::parse(&form.password, &email)
            .map_err(|e| AppError::invalid("password", e))?;
        Ok(Self {
            name,
            email,
            password: SecretString::from(password.into_inner()),
            zone: Zone::guessed(&form.time_zone),
        })
    }
}

// --- sign-in --------------------------------------------------------------------------------

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct SignInForm {
    pub email: String,
    pub password: String,
    /// Where to go afterwards; see [`local_path`].
    pub next: Option<String>,
}

impl fmt::Debug for SignInForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInForm")
            .field("email", &self.email)
            .field("password", &REDACTED)
            .field("next", &self.next)
            .finish()
    }
}

/// A sign-in attempt. The address is deliberately not refused when malformed: it must fail
/// exactly like a wrong password, so an attempt never tells which addresses have accounts.
#[cfg(feature = "ssr")]
pub struct SignInInput {
    email: String,
    account_key: String,
    is_address: bool,
    password: SecretString,
    next: Option<String>,
}

/// The account key of whatever is not an email address: such text is never stored, because
/// people type their passwords into the email field. No account has it, so nobody shares it.
#[cfg(feature = "ssr")]
pub const NOT_AN_ADDRESS: &str = "[not an email address]";

#[cfg(feature = "ssr")]
impl SignInInput {
    /// The address as typed, without surrounding spaces, to look the account up by.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// The key that throttles attempts on one account: the address in lower case, or
    /// [`NOT_AN_ADDRESS`] for anything else.
    pub fn account_key(&self) -> &str {
        &self.account_key
    }

    /// Whether what was typed is an email address, which may be recorded.
    pub fn is_address(&self) -> bool {
        self.is_address
    }

    pub fn password(&self) -> &SecretString {
        &self.password
    }

    /// Where to continue, if it is a path on this site.
    pub fn next(&self) -> Option<&str> {
        self.next.as_deref()
    }
}

#[cfg(feature = "ssr")]
impl From<SignInForm> for SignInInput {
    fn from(form: SignInForm) -> Self {
        let email = form.email.trim().to_string();
        let address = EmailAddress::parse(&email).ok();
        Self {
            account_key: address
                .as_ref()
                .map_or_else(|| NOT_AN_ADDRESS.to_string(), |a| a.as_str().to_lowercase()),
            is_address: address.is_some(),
            email,
            password: SecretString::from(form.password),
            next: form
                .next
                .as_deref()
                .and_then(local_path)
                .map(str::to_string),
        }
    }
}

// --- reset password -------------------------------------------------------------------------

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ResetPasswordForm {
    pub token: String,
    pub password: String,
}

impl fmt::Debug for ResetPasswordForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetPasswordForm")
            .field("token", &REDACTED)
            .field("password", &REDACTED)
            .finish()
    }
}

/// A password reset. The new password's rules depend on the account's address, which only the
/// token reveals, so it is checked once the token is redeemed.
#[cfg(feature = "ssr")]
pub struct ResetPasswordInput {
    token: SecretString,
    password: SecretString,
}

#[cfg(feature = "ssr")]
impl ResetPasswordInput {
    pub fn token(&self) -> &SecretString {
        &self.token
    }

    pub fn password(&self) -> &SecretString {
        &self.password
    }
}

#[cfg(feature = "ssr")]
impl From<ResetPasswordForm> for ResetPasswordInput {
    fn from(form: ResetPasswordForm) -> Self {
        Self {
            token: SecretString::from(form.token),
            password: SecretString::from(form.password),
        }
    }
}

// --- change password ------------------------------------------------------------------------

#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ChangePasswordForm {
    pub current_password: String,
    pub new_password: String,
}

impl fmt::Debug for ChangePasswordForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangePasswordForm")
            .field("current_password", &REDACTED)
            .field("new_password", &REDACTED)
            .finish()
    }
}

/// A change of password. The new one is checked against the account's address, and only after
/// the current one is verified, so a wrong current password is always the error reported.
#[cfg(feature = "ssr")]
pub struct ChangePasswordInput {
    current: SecretString,
    new: SecretString,
}

#[cfg(feature = "ssr")]
impl ChangePasswordInput {
    pub fn current(&self) -> &SecretString {
        &self.current
    }

    pub fn new_password(&self) -> &SecretString {
        &self.new
    }
}

#[cfg(feature = "ssr")]
impl From<ChangePasswordForm> for ChangePasswordInput {
    fn from(form: ChangePasswordForm) -> Self {
        Self {
            current: SecretString::from(form.current_password),
            new: SecretString::from(form.new_password),
        }
    }
}

// --- change email ---------------------------------------------------------------------------

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ChangeEmailForm {
    pub new_email: String,
}

/// A change of email address: a valid new address. Who asks must have proved it is them
/// recently (see [`crate::auth::recent_proof`]).
#[cfg(feature = "ssr")]
pub struct ChangeEmailInput {
    new_email: EmailAddress,
}

#[cfg(feature = "ssr")]
impl ChangeEmailInput {
    pub fn new_email(&self) -> &EmailAddress {
        &self.new_email
    }
}

#[cfg(feature = "ssr")]
impl TryFrom<ChangeEmailForm> for ChangeEmailInput {
    type Error = AppError;

    fn try_from(form: ChangeEmailForm) -> Result<Self, AppError> {
        Ok(Self {
            new_email: EmailAddress::parse(&form.new_email)
                .map_err(|e| AppError::invalid("new_email", e))?,
        })
    }
}

// --- confirm it's you -----------------------------------------------------------------------

/// The password, or a code from the authenticator app (or a recovery code), before a dangerous
/// action. One of the two is filled in.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ConfirmIdentityForm {
    pub password: String,
    pub code: String,
}

impl fmt::Debug for ConfirmIdentityForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfirmIdentityForm")
            .field("password", &REDACTED)
            .field("code", &REDACTED)
            .finish()
    }
}

/// What the user proved themselves with.
#[cfg(feature = "ssr")]
pub enum ConfirmIdentityInput {
    Password(SecretString),
    SecondFactor(super::two_factor::store::SecondFactor),
}

#[cfg(feature = "ssr")]
impl TryFrom<ConfirmIdentityForm> for ConfirmIdentityInput {
    type Error = AppError;

    /// A code when one was typed, else the password.
    fn try_from(form: ConfirmIdentityForm) -> Result<Self, AppError> {
        if !form.code.trim().is_empty() {
            return super::two_factor::store::SecondFactor::parse(&form.code)
                .map(Self::SecondFactor)
                .ok_or_else(|| {
                    AppError::invalid(
                        "code",
                        "Enter the 6-digit code from your authenticator app, or a recovery code.",
                    )
                });
        }
        if form.password.is_empty() {
            return Err(AppError::invalid(
                "password",
                "Enter your password, or a code from your authenticator app.",
            ));
        }
        Ok(Self::Password(SecretString::from(form.password)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_continues_only_to_paths_on_this_site() {
        assert_eq!(local_path("/invite/abc"), Some("/invite/abc"));
        for outside in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/a\nb",
        ] {
            assert_eq!(local_path(outside), None, "{outside:?}");
        }
    }

    #[test]
    fn forms_never_print_passwords() {
        let printed = format!(
            "{:?} {:?} {:?} {:?} {:?}",
            SignUpForm {
                password: "hunter2 hunter2".into(),
                ..Default::default()
            },
            SignInForm {
                password: "hunter2 hunter2".into(),
                ..Default::default()
            },
            ResetPasswordForm {
                token: "tok3n".into(),
                password: "hunter2 hunter2".into(),
            },
            ChangePasswordForm {
                current_password: "hunter2 hunter2".into(),
                new_password: "hunter2 hunter2".into(),
            },
            ConfirmIdentityForm {
                password: "hunter2 hunter2".into(),
                code: "tok3n".into(),
            },
        );
        assert!(
            !printed.contains("hunter2") && !printed.contains("tok3n"),
            "{printed}"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn sign_up_reports_the_first_wrong_field() {
        let form = |name: &str, email: &str, password: &str| SignUpForm {
            name: name.into(),
            email: email.into(),
            password: password.into(),
            time_zone: String::new(),
        };
        let field = |f: SignUpForm| match SignUpInput::try_from(f) {
            Err(AppError::Invalid { field, .. }) => field,
            Err(e) => panic!("{e:?}"),
            Ok(_) => "none".into(),
        };
        assert_eq!(field(form("", "not an address", "short")), "name");
        assert_eq!(field(form("Ada", "not an address", "short")), "email");
        assert_eq!(field(form("Ada", "ada@example.com", "short")), "password");
        assert_eq!(
            field(form("Ada", "ada@example.com", "tangerine lighthouse")),
            "none"
        );
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn sign_in_keys_the_account_by_its_trimmed_lower_case_address() {
        let input = SignInInput::from(SignInForm {
            email: "  Ada@Example.COM ".into(),
            password: String::new(),
            next: Some("//evil.example".into()),
        });
        assert_eq!(input.email(), "Ada@Example.COM");
        assert_eq!(input.account_key(), "ada@example.com");
        assert_eq!(input.next(), None);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn sign_in_never_keys_on_text_that_is_not_an_address() {
        let input = SignInInput::from(SignInForm {
            email: "my secret password".into(),
            password: String::new(),
            next: None,
        });
        assert_eq!(input.account_key(), NOT_AN_ADDRESS);
        assert!(!input.is_address());
    }
}
