//! The rules for a new password, after NIST SP 800-63B: length counts, composition rules do
//! not. At least 10 characters and at most 1,024, any Unicode, never trimmed; not one of the
//! 10,000 most common passwords; not containing the email address's local part.

use super::EmailAddress;

pub const MIN_CHARS: usize = 10;
pub const MAX_CHARS: usize = 1024;

/// The 10,000 most common passwords (lower case, sorted), from Django's list. The server's only:
/// at 90 KB it would be a third of the browser build's first load.
#[cfg(feature = "ssr")]
const COMMON: &str = include_str!("common-passwords.txt");

/// A password that satisfies the rules. Deliberately not `Debug`, `Clone` or `Serialize`: it
/// goes straight to the hasher.
pub struct NewPassword(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("Use at least 10 characters.")]
    TooShort,
    #[error("Use at most 1,024 characters.")]
    TooLong,
    #[error("This password is one of the most commonly used. Choose something less guessable.")]
    Common,
    #[error("Your password must not contain your email address.")]
    ContainsEmail,
}

impl NewPassword {
    #[cfg(feature = "ssr")]
    pub fn parse(password: &str, email: &EmailAddress) -> Result<Self, PasswordError> {
        check(password, email, is_common)?;
        Ok(Self(password.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// The first rule a password breaks, as the browser tells while it is typed: every rule but the
/// list of common passwords, which only the server holds (its answer names that rule).
pub fn browser_hint(password: &str, email: &EmailAddress) -> Option<PasswordError> {
    check(password, email, |_| false).err()
}

fn check(
    password: &str,
    email: &EmailAddress,
    is_common: impl Fn(&str) -> bool,
) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    if is_common(&lower) {
        return Err(PasswordError::Common);
    }
    let local = email.local_part().to_lowercase();
    if local.chars().count() >= 3 && lower.contains(&local) {
        return Err(PasswordError::ContainsEmail);
    }
    Ok(())
}

#[cfg(feature = "ssr")]
fn is_common(lower: &str) -> bool {
    // The list is short enough to search directly, and sorted so the search stops early.
    COMMON
        .lines()
        .take_while(|l| *l <= lower)
        .any(|l| l == lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> EmailAddress {
        EmailAddress::parse("robin.banks@example.com").unwrap()
    }

    #[test]
    fn the_browser_tells_every_rule_but_the_common_list_which_the_server_keeps() {
        assert_eq!(
            browser_hint("short", &email()),
            Some(PasswordError::TooShort)
        );
        assert_eq!(
            browser_hint("robin.banks rules ok", &email()),
            Some(PasswordError::ContainsEmail)
        );
        assert_eq!(browser_hint("password123", &email()), None);
        assert_eq!(
            NewPassword::parse("password123", &email()).err(),
            Some(PasswordError::Common)
        );
        assert_eq!(browser_hint("tawny owl at dusk", &email()), None);
        assert!(NewPassword::parse("tawny owl at dusk", &email()).is_ok());
    }

    #[test]
    fn length_is_counted_in_characters_and_never_trimmed() {
        assert_eq!(
            NewPassword::parse("short pw!", &email()).err(),
            Some(PasswordError::TooShort)
        );
        assert!(
            NewPassword::parse("ünïcødé✓✓✓", &email()).is_ok(),
            "ten characters, more bytes"
        );
        let padded = NewPassword::parse("  spaced  ", &email()).unwrap();
        assert_eq!(padded.expose(), "  spaced  ");
        assert!(NewPassword::parse(&"x".repeat(1024), &email()).is_ok());
        assert_eq!(
            NewPassword::parse(&"x".repeat(1025), &email()).err(),
            Some(PasswordError::TooLong)
        );
    }

    #[test]
    fn common_passwords_are_refused_in_any_case() {
        for common in ["1234567890", "qwertyuiop", "PassWord123"] {
            assert_eq!(
                NewPassword::parse(common, &email()).err(),
                Some(PasswordError::Common),
                "{common}"
            );
        }
        assert!(NewPassword::parse("tangerine lighthouse", &email()).is_ok());
    }

    #[test]
    fn the_list_has_ten_thousand_sorted_entries() {
        let lines: Vec<_> = COMMON.lines().collect();
        assert!(
            lines.len() > 9_900 && lines.len() <= 10_000,
            "{}",
            lines.len()
        );
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
    }

    #[test]
    fn passwords_containing_the_email_local_part_are_refused() {
        assert_eq!(
            NewPassword::parse("my Robin.Banks secret", &email()).err(),
            Some(PasswordError::ContainsEmail)
        );
    }
}
