//! The one layout every email uses: a greeting, a few paragraphs and one link to act on.

use super::outbox::{Email, EmailKind};

/// Text made safe to put inside HTML, in element content or a quoted attribute.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An email with one call to action, in plain text and HTML. Every value is escaped in the
/// HTML part, since names and addresses come from users.
pub fn action_email(
    kind: EmailKind,
    to: &str,
    subject: &str,
    greeting_name: &str,
    lines: &[&str],
    link_text: &str,
    link: &str,
) -> Email {
    let text = format!(
        "Hello {greeting_name},\n\n{}\n\n{link_text}: {link}\n\n— Ops Intel\n",
        lines.join("\n\n")
    );
    let paragraphs: String = lines
        .iter()
        .map(|l| format!("<p>{}</p>", escape_html(l)))
        .collect();
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Hello {},</p>{paragraphs}\
         <p><a href=\"{}\">{}</a></p><p>— Ops Intel</p></body></html>",
        escape_html(greeting_name),
        escape_html(link),
        escape_html(link_text)
    );
    Email {
        kind,
        to: to.to_string(),
        subject: subject.to_string(),
        text,
        html,
    }
}

/// A notice to the people a breach affects: the same words to each, addressed by name (the
/// database puts each person's name where `{{name}}` is, escaped in the HTML part).
pub fn notice_email(subject: &str, body: &str) -> Email {
    let body = body.replace("\r\n", "\n");
    let paragraphs: Vec<&str> = body
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let text = format!(
        "Hello {{{{name}}}},\n\n{}\n\n— Ops Intel\n",
        paragraphs.join("\n\n")
    );
    let html_paragraphs: String = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
        .collect();
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Hello {{{{name}}}},</p>{html_paragraphs}\
         <p>— Ops Intel</p></body></html>"
    );
    Email {
        kind: EmailKind::BreachNotice,
        to: String::new(),
        subject: subject.to_string(),
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_in_emails() {
        assert_eq!(
            escape_html(r#"<b>"Tom" & 'Jerry'</b>"#),
            "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
    }
}
