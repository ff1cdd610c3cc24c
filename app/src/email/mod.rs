//! Email the app sends: queued in the outbox inside the transaction that calls for it, and
//! delivered by the server's outbox worker.

pub mod outbox;
pub mod template;

pub use outbox::{as_deliverer, enqueue_email, Email, EmailKind};
pub use template::{action_email, escape_html};
