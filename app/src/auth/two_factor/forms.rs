//! The two-factor forms as their server functions receive them (`form[code]`), and on the
//! server the checked second factor each becomes. Codes are secrets while they are valid, so a
//! form prints them redacted.

use std::fmt;

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use {super::store::SecondFactor, crate::error::AppError};

/// A code from the authenticator app, or a recovery code.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct CodeForm {
    pub code: String,
}

impl fmt::Debug for CodeForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeForm")
            .field("code", &"[redacted]")
            .finish()
    }
}

/// A second factor shaped like one; whether it is right is for the function to check.
#[cfg(feature = "ssr")]
pub struct CodeInput {
    factor: SecondFactor,
}

#[cfg(feature = "ssr")]
impl CodeInput {
    pub fn factor(&self) -> &SecondFactor {
        &self.factor
    }

    /// The code from the app, when the step takes no recovery code (confirming set-up).
    pub fn app_code(&self) -> Result<&str, AppError> {
        match &self.factor {
            SecondFactor::Totp(code) => Ok(code),
            SecondFactor::Recovery(_) => Err(AppError::invalid(
                "code",
                "Enter the 6-digit code your authenticator app shows.",
            )),
        }
    }
}

#[cfg(feature = "ssr")]
impl TryFrom<CodeForm> for CodeInput {
    type Error = AppError;

    fn try_from(form: CodeForm) -> Result<Self, AppError> {
        let factor = SecondFactor::parse(&form.code).ok_or_else(|| {
            AppError::invalid(
                "code",
                "Enter the 6-digit code from your authenticator app, or one of your recovery codes.",
            )
        })?;
        Ok(Self { factor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_never_printed() {
        let printed = format!(
            "{:?}",
            CodeForm {
                code: "493817".into()
            }
        );
        assert!(!printed.contains("493817"), "{printed}");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn set_up_takes_only_a_code_from_the_app() {
        let input = |code: &str| CodeInput::try_from(CodeForm { code: code.into() });
        assert_eq!(input("123 456").unwrap().app_code().unwrap(), "123456");
        assert!(input("abcde-fghjk").unwrap().app_code().is_err());
        assert!(matches!(input("12"), Err(AppError::Invalid { field, .. }) if field == "code"));
    }
}
