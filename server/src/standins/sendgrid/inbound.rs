//! SendGrid's side of Inbound Parse: it receives a customer's email and posts it to the
//! webhook as `multipart/form-data`, either parsed into fields (`from`, `to`, `subject`,
//! `text`, `html`, `headers`, `envelope`, `charsets`, `attachments`, `attachment-info`,
//! `attachmentN`, `SPF`, `dkim`, `spam_score`, …) or, with "post the raw, full MIME message",
//! as the whole message in `email`; signed as the security policy signs (see
//! `server::inbound::signature`). The tests build their payloads here, and the stand-in's
//! `POST /standin/inbound` delivers one to the configured webhook for the browser tests and for
//! development.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use p256::ecdsa::{signature::DigestSigner, DerSignature, Signature, SigningKey};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The seed of the development and browser-test signing key: not a secret.
pub const DEVELOPMENT_SEED: &[u8] = b"standin-development-inbound-parse";

/// The security policy's private half, as SendGrid holds it.
#[derive(Clone)]
pub struct Signer(SigningKey);

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(P-256)")
    }
}

impl Signer {
    /// A key made from `seed`: the same seed, the same key.
    pub fn from_seed(seed: &[u8]) -> Self {
        let mut counter = 0u8;
        loop {
            let scalar = Sha256::new()
                .chain_update(seed)
                .chain_update([counter])
                .finalize();
            if let Ok(key) = SigningKey::from_slice(&scalar) {
                return Self(key);
            }
            counter += 1;
        }
    }

    /// The public key as SendGrid shows it: base64 of its DER SubjectPublicKeyInfo.
    pub fn public_key_base64(&self) -> String {
        // SubjectPublicKeyInfo: id-ecPublicKey on prime256v1, then the uncompressed point.
        const PREFIX: [u8; 26] = [
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        let point = self.0.verifying_key().to_encoded_point(false);
        let mut der = PREFIX.to_vec();
        der.extend_from_slice(point.as_bytes());
        STANDARD.encode(der)
    }

    /// The signature headers for a body sent at `at` (Unix seconds).
    pub fn headers(&self, at: i64, body: &[u8]) -> Vec<(&'static str, String)> {
        let timestamp = at.to_string();
        let digest = Sha256::new()
            .chain_update(timestamp.as_bytes())
            .chain_update(body);
        let signature: Signature = self.0.sign_digest(digest);
        let der: DerSignature = signature.to_der();
        vec![
            (
                "x-twilio-email-event-webhook-signature",
                STANDARD.encode(der.as_bytes()),
            ),
            ("x-twilio-email-event-webhook-timestamp", timestamp),
        ]
    }
}

/// A file sent with a message.
#[derive(Clone, Debug, Deserialize)]
pub struct Attached {
    pub name: String,
    pub content_type: String,
    #[serde(with = "base64_bytes")]
    pub bytes: Vec<u8>,
}

mod base64_bytes {
    use super::*;
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

/// An email as a customer's mail program sends it.
#[derive(Clone, Debug, Deserialize)]
pub struct Mail {
    pub from: String,
    #[serde(default)]
    pub from_name: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(default)]
    pub html: Option<String>,
    /// Without angle brackets; made up when empty.
    #[serde(default)]
    pub message_id: String,
    #[serde(default)]
    pub in_reply_to: Option<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// The charset the text and HTML parts are sent in (any label encoding_rs can encode to).
    #[serde(default = "utf8")]
    pub charset: String,
    #[serde(default)]
    pub attachments: Vec<Attached>,
}

fn utf8() -> String {
    "UTF-8".into()
}

impl Mail {
    pub fn new(from: &str, to: &str, subject: &str, text: &str) -> Self {
        Self {
            from: from.into(),
            from_name: String::new(),
            to: to.into(),
            subject: subject.into(),
            text: text.into(),
            html: None,
            message_id: String::new(),
            in_reply_to: None,
            references: Vec::new(),
            charset: utf8(),
            attachments: Vec::new(),
        }
    }

    fn message_id(&self) -> String {
        if self.message_id.is_empty() {
            let hash = Sha256::digest(format!("{}{}{}", self.from, self.subject, self.text));
            format!("{}@mail.customer.example", hex(&hash[..12]))
        } else {
            self.message_id.clone()
        }
    }

    fn encoded(&self, text: &str) -> Vec<u8> {
        let encoding =
            encoding_rs::Encoding::for_label(self.charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
        encoding.encode(text).0.into_owned()
    }

    fn sender_header(&self) -> String {
        if self.from_name.is_empty() {
            self.from.clone()
        } else {
            format!("{} <{}>", encoded_word(&self.from_name), self.from)
        }
    }

    /// The header block as the customer's mail program wrote it.
    pub fn header_block(&self) -> String {
        let mut h = format!(
            "From: {}\r\nTo: {}\r\nSubject: {}\r\nMessage-ID: <{}>\r\nDate: Mon, 30 Nov 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n",
            self.sender_header(),
            self.to,
            encoded_word(&self.subject),
            self.message_id()
        );
        if let Some(parent) = &self.in_reply_to {
            h.push_str(&format!("In-Reply-To: <{parent}>\r\n"));
        }
        if !self.references.is_empty() {
            let refs: Vec<_> = self.references.iter().map(|r| format!("<{r}>")).collect();
            h.push_str(&format!("References: {}\r\n", refs.join(" ")));
        }
        h
    }

    /// The whole message in MIME: text (quoted-printable) and HTML (base64) as
    /// multipart/alternative, inside multipart/mixed with the attachments (base64).
    pub fn to_mime(&self) -> Vec<u8> {
        let mut out = self.header_block().into_bytes();
        let text_part = |out: &mut Vec<u8>| {
            out.extend(format!(
                "Content-Type: text/plain; charset=\"{}\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
                self.charset
            ).as_bytes());
            out.extend(quoted_printable(&self.encoded(&self.text)));
            out.extend(b"\r\n");
        };
        let body = |out: &mut Vec<u8>| match &self.html {
            None => text_part(out),
            Some(html) => {
                out.extend(
                    b"Content-Type: multipart/alternative; boundary=\"alt-b\"\r\n\r\n--alt-b\r\n",
                );
                text_part(out);
                out.extend(format!(
                    "--alt-b\r\nContent-Type: text/html; charset=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                    self.charset
                ).as_bytes());
                out.extend(wrapped_base64(&self.encoded(html)));
                out.extend(b"--alt-b--\r\n");
            }
        };
        if self.attachments.is_empty() {
            body(&mut out);
            return out;
        }
        out.extend(b"Content-Type: multipart/mixed; boundary=\"mixed-b\"\r\n\r\nThis is a multi-part message in MIME format.\r\n--mixed-b\r\n");
        body(&mut out);
        for a in &self.attachments {
            out.extend(format!(
                "--mixed-b\r\nContent-Type: {}; name=\"{}\"\r\nContent-Disposition: attachment; filename=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                a.content_type, a.name, a.name
            ).as_bytes());
            out.extend(wrapped_base64(&a.bytes));
        }
        out.extend(b"--mixed-b--\r\n");
        out
    }

    fn common_fields(&self) -> Vec<Field> {
        vec![
            Field::text("to", &self.to),
            Field::text("from", &self.sender_header()),
            Field::text("subject", &self.subject),
            Field::text("sender_ip", "192.0.2.25"),
            Field::text("SPF", "pass"),
            Field::text("dkim", "{@customer.example : pass}"),
            Field::text("spam_score", "0.1"),
            Field::text(
                "envelope",
                &json!({ "to": [self.to], "from": self.from }).to_string(),
            ),
        ]
    }

    /// The default mode: the message parsed into fields, text and HTML in their own charset
    /// (named in `charsets`), each attachment a file field.
    pub fn parsed_payload(&self) -> Payload {
        let mut fields = self.common_fields();
        fields.push(Field::text("headers", &self.header_block()));
        fields.push(Field::bytes("text", self.encoded(&self.text)));
        let mut charsets =
            json!({ "to": "UTF-8", "from": "UTF-8", "subject": "UTF-8", "text": self.charset });
        if let Some(html) = &self.html {
            fields.push(Field::bytes("html", self.encoded(html)));
            charsets["html"] = json!(self.charset);
        }
        fields.push(Field::text("charsets", &charsets.to_string()));
        fields.push(Field::text(
            "attachments",
            &self.attachments.len().to_string(),
        ));
        if !self.attachments.is_empty() {
            let info: serde_json::Map<_, _> = self
                .attachments
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    (
                        format!("attachment{}", i + 1),
                        json!({ "filename": a.name, "name": a.name, "type": a.content_type }),
                    )
                })
                .collect();
            fields.push(Field::text(
                "attachment-info",
                &serde_json::Value::Object(info).to_string(),
            ));
            for (i, a) in self.attachments.iter().enumerate() {
                fields.push(Field {
                    name: format!("attachment{}", i + 1),
                    file: Some((a.name.clone(), a.content_type.clone())),
                    bytes: a.bytes.clone(),
                });
            }
        }
        Payload::from_fields(fields)
    }

    /// "Post the raw, full MIME message": the message whole in `email`.
    pub fn raw_payload(&self) -> Payload {
        let mut fields = self.common_fields();
        fields.push(Field::text(
            "charsets",
            &json!({ "to": "UTF-8", "from": "UTF-8", "subject": "UTF-8" }).to_string(),
        ));
        fields.push(Field::bytes("email", self.to_mime()));
        Payload::from_fields(fields)
    }
}

struct Field {
    name: String,
    file: Option<(String, String)>,
    bytes: Vec<u8>,
}

impl Field {
    fn text(name: &str, value: &str) -> Self {
        Self::bytes(name, value.as_bytes().to_vec())
    }
    fn bytes(name: &str, bytes: Vec<u8>) -> Self {
        Self {
            name: name.into(),
            file: None,
            bytes,
        }
    }
}

/// A request body as SendGrid posts it.
#[derive(Clone, Debug)]
pub struct Payload {
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Payload {
    fn from_fields(fields: Vec<Field>) -> Self {
        let boundary = "xYzZY";
        let mut body = Vec::new();
        for f in fields {
            body.extend(format!("--{boundary}\r\n").as_bytes());
            match &f.file {
                Some((file, content_type)) => body.extend(
                    format!(
                        "Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                        f.name, file, content_type
                    )
                    .as_bytes(),
                ),
                None => body.extend(
                    format!("Content-Disposition: form-data; name=\"{}\"\r\n\r\n", f.name).as_bytes(),
                ),
            }
            body.extend(&f.bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        Self {
            content_type: format!("multipart/form-data; boundary={boundary}"),
            body,
        }
    }

    /// Posts it to `url` signed by `signer` (or unsigned), as SendGrid would; the status.
    pub async fn post(
        &self,
        http: &reqwest::Client,
        url: &str,
        signer: Option<&Signer>,
    ) -> Result<u16, reqwest::Error> {
        let headers = match signer {
            Some(signer) => {
                signer.headers(time::OffsetDateTime::now_utc().unix_timestamp(), &self.body)
            }
            None => Vec::new(),
        };
        self.post_with(http, url, &headers).await
    }

    /// Posts it to `url` with signature headers made beforehand (see [`Signer::headers`]).
    pub async fn post_with(
        &self,
        http: &reqwest::Client,
        url: &str,
        signature: &[(&'static str, String)],
    ) -> Result<u16, reqwest::Error> {
        let mut request = http
            .post(url)
            .header("content-type", &self.content_type)
            .header("user-agent", "Sendlib/1.0 sendgrid.net");
        for (name, value) in signature {
            request = request.header(*name, value);
        }
        Ok(request
            .body(self.body.clone())
            .send()
            .await?
            .status()
            .as_u16())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An RFC 2047 encoded word when the text is not plain ASCII.
fn encoded_word(text: &str) -> String {
    if text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        text.to_string()
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(text))
    }
}

fn wrapped_base64(bytes: &[u8]) -> Vec<u8> {
    let text = STANDARD.encode(bytes);
    let mut out = Vec::with_capacity(text.len() + text.len() / 38);
    for line in text.as_bytes().chunks(76) {
        out.extend(line);
        out.extend(b"\r\n");
    }
    out
}

/// Quoted-printable (RFC 2045): lines kept, long ones soft-broken, bytes outside printable
/// ASCII (and `=`) escaped.
fn quoted_printable(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    let mut line = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\r' && bytes.get(i + 1) == Some(&b'\n') || b == b'\n' {
            out.extend(b"\r\n");
            line = 0;
            i += if b == b'\r' { 2 } else { 1 };
            continue;
        }
        let piece = if (33..=126).contains(&b) && b != b'=' || b == b' ' {
            vec![b]
        } else {
            format!("={b:02X}").into_bytes()
        };
        if line + piece.len() > 75 {
            out.extend(b"=\r\n");
            line = 0;
        }
        line += piece.len();
        out.extend(piece);
        i += 1;
    }
    out
}
