//! Email the app sends: queued in the outbox inside the transaction that calls for it, and
//! delivered by a background job.

pub mod outbox;
pub mod template;

pub use outbox::{as_deliverer, enqueue_email, Email, EmailKind, SendEmail};
pub use template::{action_email, escape_html};
