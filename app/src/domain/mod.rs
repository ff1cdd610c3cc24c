//! Domain types that parse rather than validate: once you hold one, it is valid. The same code
//! runs in the browser (instant feedback) and on the server (enforcement).

pub mod business;
pub mod date;
pub mod email;
pub mod issue;
pub mod message;
pub mod name;
pub mod password;
pub mod slug;
pub mod text;
pub mod time_zone;

pub use business::{Address, BusinessName, Notes, Phone, Tags, Website};
pub use date::parse_date;
pub use email::EmailAddress;
pub use issue::{CommentBody, IssueDescription, IssueNumbers, IssueTitle};
pub use message::MessageBody;
pub use name::{OrgName, PersonName};
pub use password::NewPassword;
pub use slug::Slug;
pub use time_zone::Moment;
#[cfg(feature = "ssr")]
pub use time_zone::Zone;
