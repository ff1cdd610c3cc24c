//! What a member writes in the inbox, checked once.

use super::text::field_text;

field_text!(
    /// An answer to a customer, or an internal note on a thread.
    MessageBody { what: "The message", max: 20_000, lines: Many, required: "Write the message first." }
);
