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

/// The one layout: a greeting by name, the paragraphs, an optional link to act on (text and
/// address), the sign-off; in plain text and HTML, every value escaped in the HTML part.
fn letter(
    kind: EmailKind,
    to: &str,
    subject: &str,
    greeting_name: &str,
    paragraphs: &[&str],
    link: Option<(&str, &str)>,
) -> Email {
    let mut text = format!("Hello {greeting_name},\n\n{}", paragraphs.join("\n\n"));
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>Hello {},</p>",
        escape_html(greeting_name)
    );
    for p in paragraphs {
        html.push_str(&format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")));
    }
    if let Some((link_text, link)) = link {
        text.push_str(&format!("\n\n{link_text}: {link}"));
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape_html(link),
            escape_html(link_text)
        ));
    }
    text.push_str("\n\n— Ops Intel\n");
    html.push_str("<p>— Ops Intel</p></body></html>");
    Email {
        kind,
        to: to.to_string(),
        subject: subject.to_string(),
        text,
        html,
        org: None,
        forget_recipient: false,
    }
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
    letter(
        kind,
        to,
        subject,
        greeting_name,
        lines,
        Some((link_text, link)),
    )
}

/// A notice to the people a breach affects: the same words to each, addressed by name (the
/// database puts each person's name where `{{name}}` is, escaped in the HTML part). Paragraphs
/// are separated by blank lines.
pub fn notice_email(subject: &str, body: &str) -> Email {
    let body = body.replace("\r\n", "\n");
    let paragraphs: Vec<&str> = body
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    letter(
        EmailKind::BreachNotice,
        "",
        subject,
        "{{name}}",
        &paragraphs,
        None,
    )
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
