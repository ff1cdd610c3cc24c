//! Answers to customers: the job that delivers one (run by `server/src/replies.rs` through
//! SendGrid), and the text that goes out: the member's words, then the customer's last message
//! quoted, as mail programs do.

#[cfg(feature = "ssr")]
use serde::{Deserialize, Serialize};

/// Delivers one answer of the inbox (an `out` message).
#[cfg(feature = "ssr")]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReply {
    pub message_id: uuid::Uuid,
}

#[cfg(feature = "ssr")]
impl crate::jobs::Job for SendReply {
    const KIND: &'static str = "inbox.send_reply";
    /// With the back-off doubling, a day and more of an email service's outage.
    const MAX_ATTEMPTS: i32 = 12;
}

/// The answer as sent: `body`, then "On <when>, <who> wrote:" and the quoted message.
pub fn with_quote(body: &str, when: &str, who: &str, quoted: &str) -> String {
    let mut out = body.trim_end().to_string();
    if quoted.trim().is_empty() {
        return out;
    }
    out.push_str(&format!("\n\nOn {when}, {who} wrote:\n"));
    for line in quoted.trim_end().lines() {
        if line.is_empty() {
            out.push_str(">\n");
        } else {
            out.push_str("> ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// A reply's subject: the thread's, with one "Re: ".
pub fn reply_subject(subject: &str) -> String {
    let s = subject.trim();
    if s.len() >= 3 && s[..3].eq_ignore_ascii_case("re:") {
        s.to_string()
    } else {
        format!("Re: {s}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_customer_message_is_quoted_under_the_answer() {
        let out = with_quote(
            "Sorry about that.\n",
            "30 Nov 2026 09:00 UTC",
            "Jo <jo@c.example>",
            "It was cold.\n\nVery.",
        );
        assert_eq!(
            out,
            "Sorry about that.\n\nOn 30 Nov 2026 09:00 UTC, Jo <jo@c.example> wrote:\n> It was cold.\n>\n> Very.\n"
        );
        assert_eq!(with_quote("Hi", "x", "y", "  "), "Hi");
    }

    #[test]
    fn one_re_only() {
        assert_eq!(reply_subject("Cold food"), "Re: Cold food");
        assert_eq!(reply_subject("RE: Cold food"), "RE: Cold food");
    }
}
