//! Domain types that parse rather than validate: once you hold one, it is valid. The same code
//! runs in the browser (instant feedback) and on the server (enforcement).

pub mod email;
pub mod name;
pub mod password;
pub mod slug;

pub use email::EmailAddress;
pub use name::{OrgName, PersonName};
pub use password::NewPassword;
pub use slug::Slug;
