//! The account pages: sign-up, sign-in, email verification, password reset and the account
//! page, one file each. Their forms post to [`crate::auth::functions`], each as one
//! `form[…]` struct where a function takes more than one field.

mod account;
mod check_email;
mod confirm_email_change;
mod dev_mailbox;
mod forgot_password;
mod reset_password;
mod sign_in;
mod sign_in_code;
mod sign_up;
mod two_factor;
mod unsubscribe;
mod verify_email;

pub use account::AccountPage;
pub use check_email::CheckEmailPage;
pub use confirm_email_change::ConfirmEmailChangePage;
pub use dev_mailbox::DevMailboxPage;
pub use forgot_password::ForgotPasswordPage;
pub use reset_password::ResetPasswordPage;
pub use sign_in::SignInPage;
pub use sign_in_code::SignInCodePage;
pub use sign_up::SignUpPage;
pub use two_factor::TwoFactorPage;
pub use unsubscribe::UnsubscribePage;
pub use verify_email::VerifyEmailPage;
