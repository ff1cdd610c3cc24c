//! An Inbound Parse request read into one [`Inbound`] email, whichever mode SendGrid posted it
//! in: parsed fields (text and HTML in the charsets `charsets` names, the headers as a block,
//! attachments as file fields described by `attachment-info`) or the raw MIME message in
//! `email`. MIME is parsed by mail-parser: every charset encoding_rs knows, quoted-printable and
//! base64, multipart/alternative and nested parts.

use std::collections::HashMap;

use bytes::Bytes;
use mail_parser::{Address, HeaderValue, Message, MessageParser, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

/// What is kept of an email, with every field's size already within its limit.
#[derive(Debug, Default)]
pub struct Inbound {
    /// Where it was delivered: the envelope's recipients (`RCPT TO`), else the To and Cc headers.
    pub recipients: Vec<String>,
    pub from_address: String,
    pub from_name: String,
    pub to: Vec<String>,
    pub subject: String,
    /// Without angle brackets; one made from the content when the message has none, so that a
    /// repeated delivery is still recognised.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<Attachment>,
    pub spf: String,
    pub dkim: String,
    pub spam_score: Option<f32>,
    /// What was cut to fit the limits, for the log.
    pub cut: Vec<&'static str>,
}

#[derive(Debug)]
pub struct Attachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Bytes,
}

/// Limits on what one message keeps: above them, text is cut (and logged), never refused.
pub const MAX_TEXT_BYTES: usize = 512 * 1024;
pub const MAX_HTML_BYTES: usize = 1024 * 1024;
pub const MAX_ATTACHMENTS: usize = 20;
const MAX_SUBJECT_CHARS: usize = 500;
const MAX_NAME_CHARS: usize = 200;
const MAX_ADDRESS_CHARS: usize = 320;
const MAX_REFERENCES: usize = 50;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("the request is not multipart/form-data")]
    NotMultipart,
    #[error("the form could not be read: {0}")]
    Form(String),
    #[error("the request has neither an `email` field nor parsed message fields")]
    NoMessage,
    #[error("the message has no sender address")]
    NoSender,
}

struct Field {
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Bytes,
}

async fn read_form(content_type: &str, body: Bytes) -> Result<Vec<(String, Field)>, ParseError> {
    let boundary = multer::parse_boundary(content_type).map_err(|_| ParseError::NotMultipart)?;
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    let mut fields = Vec::new();
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| ParseError::Form(e.to_string()))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(|m| m.essence_str().to_string());
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ParseError::Form(e.to_string()))?;
        fields.push((
            name,
            Field {
                file_name,
                content_type,
                bytes,
            },
        ));
    }
    Ok(fields)
}

/// Reads a webhook request's body, in either mode.
pub async fn parse(content_type: &str, body: Bytes) -> Result<Inbound, ParseError> {
    let fields = read_form(content_type, body).await?;
    let get = |name: &str| fields.iter().find(|(n, _)| n == name).map(|(_, f)| f);
    let utf8 = |name: &str| get(name).map(|f| String::from_utf8_lossy(&f.bytes).into_owned());
    let charsets: HashMap<String, String> = utf8("charsets")
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or_default();
    let decoded = |name: &str| {
        get(name).map(|f| {
            let label = charsets.get(name).map_or("UTF-8", String::as_str);
            decode(&f.bytes, label)
        })
    };

    let mut inbound = if let Some(email) = get("email") {
        from_mime(&email.bytes)?
    } else if let Some(headers) = get("headers") {
        from_fields(&headers.bytes, decoded("text"), decoded("html"), |name| {
            get(name)
        })?
    } else {
        return Err(ParseError::NoMessage);
    };

    // The envelope says where the message was delivered: a forwarded message's To header
    // names the shop's own mailbox, not ours.
    #[derive(serde::Deserialize)]
    struct Envelope {
        #[serde(default)]
        to: Vec<String>,
    }
    let envelope: Option<Envelope> = utf8("envelope").and_then(|e| serde_json::from_str(&e).ok());
    inbound.recipients = match envelope {
        Some(e) if !e.to.is_empty() => e.to.into_iter().map(|a| a.to_lowercase()).collect(),
        _ => inbound.to.clone(),
    };
    inbound.spf = utf8("SPF").map(|s| cut_chars(&s, 50)).unwrap_or_default();
    inbound.dkim = utf8("dkim").map(|s| cut_chars(&s, 500)).unwrap_or_default();
    inbound.spam_score = utf8("spam_score").and_then(|s| s.trim().parse().ok());
    if inbound.from_address.is_empty() {
        return Err(ParseError::NoSender);
    }
    if inbound.message_id.is_empty() {
        inbound.message_id = made_up_id(&inbound);
    }
    Ok(inbound)
}

/// The parsed mode: the header block for the addresses and threading headers, text and HTML
/// as SendGrid decoded them, attachments from their file fields.
fn from_fields<'f>(
    header_block: &[u8],
    text: Option<String>,
    html: Option<String>,
    get: impl Fn(&str) -> Option<&'f Field>,
) -> Result<Inbound, ParseError> {
    let mut block = header_block.to_vec();
    block.extend(b"\r\n");
    let headers = MessageParser::default()
        .parse_headers(&block)
        .ok_or(ParseError::NoMessage)?;
    let mut inbound = from_headers(&headers);
    let count: usize = get("attachments")
        .and_then(|f| std::str::from_utf8(&f.bytes).ok()?.trim().parse().ok())
        .unwrap_or(0);
    for i in 1..=count.min(MAX_ATTACHMENTS) {
        if let Some(f) = get(&format!("attachment{i}")) {
            inbound.attachments.push(Attachment {
                name: f
                    .file_name
                    .clone()
                    .unwrap_or_else(|| format!("attachment{i}")),
                content_type: f
                    .content_type
                    .clone()
                    .unwrap_or_else(|| "application/octet-stream".into()),
                bytes: f.bytes.clone(),
            });
        }
    }
    if count > MAX_ATTACHMENTS {
        inbound.cut.push("attachments beyond 20");
    }
    inbound.set_bodies(text.unwrap_or_default(), html);
    Ok(inbound)
}

/// The raw mode: the whole MIME message.
fn from_mime(raw: &[u8]) -> Result<Inbound, ParseError> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(ParseError::NoMessage)?;
    let mut inbound = from_headers(&message);
    // Text is preferred; mail-parser makes text from HTML when there is only HTML. HTML is kept
    // only when the message has a real HTML part, not one made from its text.
    let text = message
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    let html = message
        .html_bodies()
        .find(|p| matches!(p.body, PartType::Html(_)))
        .and_then(|p| match &p.body {
            PartType::Html(h) => Some(h.to_string()),
            _ => None,
        });
    for part in message.attachments() {
        if inbound.attachments.len() == MAX_ATTACHMENTS {
            inbound.cut.push("attachments beyond 20");
            break;
        }
        let bytes = if part.is_message() {
            // A forwarded email travels whole, as its own file.
            let (start, end) = (
                part.raw_body_offset() as usize,
                part.raw_end_offset() as usize,
            );
            raw.get(start..end).unwrap_or_default().to_vec()
        } else {
            part.contents().to_vec()
        };
        let content_type = part.content_type().map_or_else(
            || "application/octet-stream".to_string(),
            |c| match c.subtype() {
                Some(sub) => format!("{}/{}", c.ctype(), sub),
                None => c.ctype().to_string(),
            },
        );
        let name = part
            .attachment_name()
            .map(str::to_string)
            .unwrap_or_else(|| {
                if part.is_message() {
                    "forwarded.eml".into()
                } else {
                    format!("attachment{}", inbound.attachments.len() + 1)
                }
            });
        inbound.attachments.push(Attachment {
            name,
            content_type: content_type.to_ascii_lowercase(),
            bytes: Bytes::from(bytes),
        });
    }
    inbound.set_bodies(text, html);
    Ok(inbound)
}

fn from_headers(m: &Message<'_>) -> Inbound {
    let from = m.from().and_then(Address::first);
    let mut to: Vec<String> = Vec::new();
    for list in [m.to(), m.cc()].into_iter().flatten() {
        to.extend(
            list.iter()
                .filter_map(|a| a.address())
                .map(|a| cut_chars(&a.to_lowercase(), MAX_ADDRESS_CHARS)),
        );
    }
    Inbound {
        from_address: from
            .as_ref()
            .and_then(|a| a.address())
            .map(|a| cut_chars(&a.trim().to_lowercase(), MAX_ADDRESS_CHARS))
            .unwrap_or_default(),
        from_name: from
            .as_ref()
            .and_then(|a| a.name())
            .map(|n| cut_chars(n.trim(), MAX_NAME_CHARS))
            .unwrap_or_default(),
        to,
        subject: m
            .subject()
            .map(|s| cut_chars(s.trim(), MAX_SUBJECT_CHARS))
            .unwrap_or_default(),
        message_id: m.message_id().map(clean_id).unwrap_or_default(),
        in_reply_to: ids(m.in_reply_to()).into_iter().next(),
        references: ids(m.references())
            .into_iter()
            .rev()
            .take(MAX_REFERENCES)
            .rev()
            .collect(),
        ..Default::default()
    }
}

impl Inbound {
    fn set_bodies(&mut self, text: String, html: Option<String>) {
        if text.len() > MAX_TEXT_BYTES {
            self.cut.push("text beyond 512 KiB");
        }
        self.text = cut_bytes(text, MAX_TEXT_BYTES);
        self.html = html.map(|h| {
            if h.len() > MAX_HTML_BYTES {
                self.cut.push("HTML beyond 1 MiB");
            }
            cut_bytes(h, MAX_HTML_BYTES)
        });
    }
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![clean_id(t)],
        HeaderValue::TextList(list) => list.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|id| !id.is_empty())
    .collect()
}

fn clean_id(id: &str) -> String {
    cut_chars(id.trim().trim_start_matches('<').trim_end_matches('>'), 900)
}

/// An id for a message that came without one: the same content, the same id.
fn made_up_id(m: &Inbound) -> String {
    let mut hash = Sha256::new();
    for part in [&m.from_address, &m.subject, &m.text] {
        hash.update(part.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}@no-message-id.invalid")
}

/// Text in the named charset (an unknown label is read as UTF-8, bad bytes replaced).
pub fn decode(bytes: &[u8], label: &str) -> String {
    let encoding =
        encoding_rs::Encoding::for_label(label.trim().as_bytes()).unwrap_or(encoding_rs::UTF_8);
    encoding.decode(bytes).0.into_owned()
}

fn cut_chars(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

fn cut_bytes(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s.replace('\0', "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standins::sendgrid::inbound::{Attached, Mail};

    fn mail() -> Mail {
        let mut m = Mail::new(
            "jo@customer.example",
            "acme-1a2b3c4d@in.example",
            "Crème brûlée was cold",
            "Bonjour, la crème brûlée était froide. Déçue — Jo\nSecond line.",
        );
        m.from_name = "Jo Été".into();
        m.html = Some("<p>La crème <b>brûlée</b></p>".into());
        m.attachments = vec![Attached {
            name: "reçu.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: b"%PDF-1.4 fake".to_vec(),
        }];
        m.in_reply_to = Some("parent@ops.example".into());
        m.references = vec!["root@ops.example".into(), "parent@ops.example".into()];
        m
    }

    async fn both_modes(m: &Mail) -> [Inbound; 2] {
        let mut out = Vec::new();
        for p in [m.parsed_payload(), m.raw_payload()] {
            out.push(parse(&p.content_type, Bytes::from(p.body)).await.unwrap());
        }
        out.try_into().unwrap()
    }

    #[tokio::test]
    async fn both_modes_read_the_same_email_in_any_charset() {
        for charset in ["UTF-8", "ISO-8859-1", "windows-1252"] {
            let mut m = mail();
            m.charset = charset.into();
            for got in both_modes(&m).await {
                assert_eq!(got.from_address, "jo@customer.example", "{charset}");
                assert_eq!(got.from_name, "Jo Été");
                assert_eq!(got.subject, "Crème brûlée was cold");
                assert!(
                    got.text.contains("était froide. Déçue — Jo")
                        || charset != "windows-1252" && got.text.contains("était froide. Déçue"),
                    "{charset}: {}",
                    got.text
                );
                assert!(
                    got.html.as_deref().unwrap().contains("crème <b>brûlée</b>"),
                    "{charset}"
                );
                assert_eq!(got.recipients, ["acme-1a2b3c4d@in.example"]);
                assert_eq!(got.in_reply_to.as_deref(), Some("parent@ops.example"));
                assert_eq!(got.references, ["root@ops.example", "parent@ops.example"]);
                assert_eq!(got.attachments.len(), 1);
                assert_eq!(got.attachments[0].name, "reçu.pdf");
                assert_eq!(got.attachments[0].content_type, "application/pdf");
                assert_eq!(&got.attachments[0].bytes[..], b"%PDF-1.4 fake");
                assert_eq!(got.spf, "pass");
                assert!(got.message_id.ends_with("@mail.customer.example"));
            }
        }
    }

    #[tokio::test]
    async fn japanese_in_shift_jis_and_a_long_quoted_printable_line_survive() {
        let mut m = Mail::new(
            "k@example.jp",
            "a-12345678@in.example",
            "予約",
            &"ご予約ありがとうございます。".repeat(20),
        );
        m.charset = "Shift_JIS".into();
        for got in both_modes(&m).await {
            let (got_text, want) = (
                got.text.trim_end(),
                "ご予約ありがとうございます。".repeat(20),
            );
            assert_eq!(
                got_text.len(),
                want.len(),
                "{:?}",
                got_text.chars().rev().take(5).collect::<String>()
            );
            assert_eq!(got_text, want);
            assert_eq!(got.subject, "予約");
            assert!(got.html.is_none(), "no HTML part, none made up");
        }
    }

    #[tokio::test]
    async fn a_request_that_is_not_an_email_is_an_error_not_a_crash() {
        assert_eq!(
            parse("text/plain", Bytes::from_static(b"hi"))
                .await
                .unwrap_err(),
            ParseError::NotMultipart
        );
        let empty = "--b\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\nx@y\r\n--b--\r\n";
        assert_eq!(
            parse("multipart/form-data; boundary=b", Bytes::from(empty))
                .await
                .unwrap_err(),
            ParseError::NoMessage
        );
        let cut_short = "--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nFrom: a@b";
        assert!(
            parse("multipart/form-data; boundary=b", Bytes::from(cut_short))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn text_over_the_limit_is_cut_and_said() {
        let m = Mail::new(
            "a@b.example",
            "x-12345678@in.example",
            "Long",
            &"é".repeat(MAX_TEXT_BYTES),
        );
        for got in both_modes(&m).await {
            assert!(got.text.len() <= MAX_TEXT_BYTES);
            assert_eq!(got.cut, ["text beyond 512 KiB"]);
        }
    }
}
