//! The public pages (`app::PUBLIC_PATHS`) are the same for every visitor: no account, no form,
//! no token in them. Each is rendered once per process, the first time it is asked for, as an
//! anonymous visitor would see it, compressed once with brotli and gzip, and from then on served
//! from memory without touching the session store or the database.
//!
//! A page served to many people cannot carry a per-response CSP nonce, so its inline scripts
//! are allowed by their SHA-256 hashes instead ([`ScriptHashes`], which the security headers
//! layer turns into the policy). Only scripts that are in the page when it is rendered match;
//! nothing a visitor sends is in it.

use std::{collections::HashMap, io::Write as _, sync::Arc};

use axum::{
    body::{to_bytes, Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::{engine::general_purpose::STANDARD, Engine as _};
use sha2::{Digest as _, Sha256};
use tokio::sync::OnceCell;

use crate::headers::CspNonce;

/// The most a public page may weigh before it is served uncached (it is a fraction of this).
const MAX_PAGE_BYTES: usize = 2 * 1024 * 1024;

/// The inline scripts of a response, by their CSP source expressions (`'sha256-…'`).
#[derive(Clone, Debug, Default)]
pub struct ScriptHashes(pub Vec<String>);

/// One rendered public page in each encoding it is sent in.
#[derive(Debug)]
struct RenderedPage {
    content_type: HeaderValue,
    identity: Bytes,
    brotli: Bytes,
    gzip: Bytes,
    scripts: ScriptHashes,
}

/// The rendered pages, each filled on its first request.
#[derive(Clone)]
pub struct PublicPages(Arc<HashMap<&'static str, OnceCell<Arc<RenderedPage>>>>);

impl Default for PublicPages {
    fn default() -> Self {
        Self(Arc::new(
            app::PUBLIC_PATHS
                .iter()
                .map(|path| (*path, OnceCell::new()))
                .collect(),
        ))
    }
}

/// Is `path` one of the pages that carry nothing of their visitor?
pub fn is_public_page(path: &str) -> bool {
    app::PUBLIC_PATHS.contains(&path)
}

pub async fn serve(State(pages): State<PublicPages>, request: Request, next: Next) -> Response {
    let cell = match pages.0.get(request.uri().path()) {
        Some(cell) if request.method() == Method::GET && request.uri().query().is_none() => cell,
        _ => return next.run(request).await,
    };
    let encoding = Encoding::chosen(request.headers());
    if let Some(page) = cell.get() {
        return page.response(encoding);
    }
    let response = next.run(as_anonymous_visitor(request)).await;
    match RenderedPage::from_response(response).await {
        Ok(page) => {
            let page = cell.get_or_init(|| async { Arc::new(page) }).await;
            page.response(encoding)
        }
        Err(response) => response,
    }
}

/// The request as the renderer should see it: nobody's cookie, no nonce (the page will be
/// served to everyone), and no compression (done here, once).
fn as_anonymous_visitor(mut request: Request) -> Request {
    let headers = request.headers_mut();
    headers.remove(header::COOKIE);
    headers.remove(header::ACCEPT_ENCODING);
    request.extensions_mut().remove::<CspNonce>();
    request
}

impl RenderedPage {
    /// The page, if the response is one that may be served to everyone; otherwise the response
    /// itself, to be sent as it is.
    async fn from_response(response: Response) -> Result<Self, Response> {
        let cacheable = response.status() == StatusCode::OK
            && !response.headers().contains_key(header::SET_COOKIE)
            && !response.headers().contains_key(header::CONTENT_ENCODING);
        if !cacheable {
            return Err(response);
        }
        let (parts, body) = response.into_parts();
        let identity = match to_bytes(body, MAX_PAGE_BYTES).await {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::error!(%error, "a public page could not be read for serving");
                return Err(StatusCode::INTERNAL_SERVER_ERROR.into_response());
            }
        };
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("text/html; charset=utf-8"));
        // The renderer gives every page a nonce of its own making; a page for everyone has none.
        let html = without_nonces(&String::from_utf8_lossy(&identity));
        let mut hashes: Vec<String> = Vec::new();
        for hash in inline_scripts(&html).map(script_hash) {
            if !hashes.contains(&hash) {
                hashes.push(hash);
            }
        }
        let identity = Bytes::from(html);
        Ok(Self {
            content_type,
            brotli: brotli(&identity),
            gzip: gzip(&identity),
            identity,
            scripts: ScriptHashes(hashes),
        })
    }

    fn response(&self, encoding: Encoding) -> Response {
        let body = match encoding {
            Encoding::Brotli => self.brotli.clone(),
            Encoding::Gzip => self.gzip.clone(),
            Encoding::Identity => self.identity.clone(),
        };
        let mut response = Response::new(Body::from(body));
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if let Some(name) = encoding.name() {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(name));
        }
        response.extensions_mut().insert(self.scripts.clone());
        response
    }
}

/// The page without its elements' `nonce` attributes.
fn without_nonces(html: &str) -> String {
    const ATTRIBUTE: &str = " nonce=\"";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find(ATTRIBUTE) {
        out.push_str(&rest[..start]);
        let value = &rest[start + ATTRIBUTE.len()..];
        match value.find('"') {
            Some(end) => rest = &value[end + 1..],
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The contents of the page's inline `<script>` elements (those without `src`), exactly as sent.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    let mut rest = html;
    std::iter::from_fn(move || loop {
        let start = rest.find("<script")?;
        let tag_end = start + rest[start..].find('>')?;
        let open_tag = &rest[start..tag_end];
        let content_start = tag_end + 1;
        let content_end = content_start + rest[content_start..].find("</script>")?;
        let content = &rest[content_start..content_end];
        rest = &rest[content_end + "</script>".len()..];
        if !open_tag.contains(" src=") {
            return Some(content);
        }
    })
}

fn script_hash(script: &str) -> String {
    format!("'sha256-{}'", STANDARD.encode(Sha256::digest(script)))
}

fn brotli(bytes: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(bytes.len() / 4);
    {
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer.write_all(bytes).expect("writing to memory");
    }
    out.into()
}

fn gzip(bytes: &[u8]) -> Bytes {
    let mut writer = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 3),
        flate2::Compression::best(),
    );
    writer.write_all(bytes).expect("writing to memory");
    writer.finish().expect("writing to memory").into()
}

/// The encoding a page is sent in: the best the client accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// From `Accept-Encoding`; a coding with `q=0` is refused, and `*` accepts any.
    fn chosen(headers: &HeaderMap) -> Self {
        let accepted = |coding: &str| {
            headers
                .get_all(header::ACCEPT_ENCODING)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .filter_map(|item| {
                    let mut parts = item.split(';');
                    let name = parts.next()?.trim();
                    let refused = parts.any(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .and_then(|q| q.trim().parse::<f32>().ok())
                            .is_some_and(|q| q <= 0.0)
                    });
                    Some((name, refused))
                })
                .find(|(name, _)| name.eq_ignore_ascii_case(coding) || *name == "*")
                .is_some_and(|(_, refused)| !refused)
        };
        if accepted("br") {
            Self::Brotli
        } else if accepted("gzip") {
            Self::Gzip
        } else {
            Self::Identity
        }
    }

    fn name(self) -> Option<&'static str> {
        match self {
            Self::Brotli => Some("br"),
            Self::Gzip => Some("gzip"),
            Self::Identity => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn the_best_accepted_encoding_is_chosen() {
        assert_eq!(
            Encoding::chosen(&accept("gzip, deflate, br, zstd")),
            Encoding::Brotli
        );
        assert_eq!(Encoding::chosen(&accept("gzip")), Encoding::Gzip);
        assert_eq!(Encoding::chosen(&accept("br;q=0, gzip")), Encoding::Gzip);
        assert_eq!(Encoding::chosen(&accept("br;q=0.5")), Encoding::Brotli);
        assert_eq!(Encoding::chosen(&accept("*")), Encoding::Brotli);
        assert_eq!(
            Encoding::chosen(&accept("identity, deflate")),
            Encoding::Identity
        );
        assert_eq!(Encoding::chosen(&HeaderMap::new()), Encoding::Identity);
    }

    #[test]
    fn only_inline_scripts_are_hashed_exactly_as_sent() {
        let html = r#"<head><script src="/pkg/a.js"></script><script type="module">import('/pkg/a.js')</script></head><body><script>window.x = "<b>";</script></body>"#;
        let scripts: Vec<&str> = inline_scripts(html).collect();
        assert_eq!(scripts, ["import('/pkg/a.js')", r#"window.x = "<b>";"#]);
        // The hash CSP compares: base64 of SHA-256 over the script's UTF-8 text.
        assert_eq!(
            script_hash("alert('Hello, world.');"),
            "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
        );
    }

    #[test]
    fn nonces_are_taken_out_and_nothing_else() {
        assert_eq!(
            without_nonces(
                r#"<script nonce="a-b_C1">x</script><p>nonce="kept"</p><link nonce="z">"#
            ),
            r#"<script>x</script><p>nonce="kept"</p><link>"#
        );
        assert_eq!(without_nonces("plain"), "plain");
    }

    #[test]
    fn compressed_copies_decode_to_the_page() {
        let page = "<!DOCTYPE html><p>Operations, in one place.</p>".repeat(50);
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &brotli(page.as_bytes())[..], &mut decoded).unwrap();
        assert_eq!(decoded, page.as_bytes());
        let mut decoded = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&gzip(page.as_bytes())[..]),
            &mut decoded,
        )
        .unwrap();
        assert_eq!(decoded, page);
    }
}
