//! Security headers on every response, including a Content-Security-Policy whose script nonce
//! is fresh for each request and shared with the page renderer. A response served to everyone
//! alike (a public page, rendered once) names its inline scripts by hash instead.

use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore as _;

use crate::public_pages::ScriptHashes;

/// A per-request CSP nonce, placed in the request's extensions for the renderer to use.
#[derive(Clone, Debug)]
pub struct CspNonce(String);

impl CspNonce {
    /// 128 bits from a CSPRNG seeded by the operating system.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Copy, Debug)]
pub struct HeaderPolicy {
    pub hsts: bool,
}

/// Which inline scripts may run: this response's nonce, or the hashes of a shared page's own.
enum ScriptSources<'a> {
    Nonce(&'a CspNonce),
    Hashes(&'a ScriptHashes),
}

/// Scripts run only with this response's nonce or hashes (`strict-dynamic` lets the hydration
/// script load the WASM glue); WASM compiles under `wasm-unsafe-eval`; nothing else is allowed
/// by default.
fn content_security_policy(scripts: ScriptSources, remote_images: bool) -> HeaderValue {
    let sources = match scripts {
        ScriptSources::Nonce(nonce) => format!("'nonce-{}'", nonce.as_str()),
        // No inline script at all: 'none' would be ignored beside 'strict-dynamic', so name a
        // hash nothing has.
        ScriptSources::Hashes(ScriptHashes(hashes)) if hashes.is_empty() => {
            "'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='".to_string()
        }
        ScriptSources::Hashes(ScriptHashes(hashes)) => hashes.join(" "),
    };
    // A conversation whose reader asked to see its remote images may load them over https.
    let images = if remote_images {
        "'self' data: https:"
    } else {
        "'self' data:"
    };
    HeaderValue::from_str(&format!(
        "default-src 'self'; script-src {sources} 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src {images}; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ))
    .expect("nonces and hashes are base64")
}

/// A conversation of the inbox loaded with its remote images asked for (`?images=shown`, a
/// whole page load): `/o/{slug}/inbox/{thread}`.
fn shows_remote_images(uri: &axum::http::Uri) -> bool {
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    matches!(segments.as_slice(), ["o", _, "inbox", thread] if !thread.is_empty())
        && uri
            .query()
            .is_some_and(|q| q.split('&').any(|pair| pair == "images=shown"))
}

static PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");
static COOP: HeaderName = HeaderName::from_static("cross-origin-opener-policy");

pub async fn security_headers(
    State(policy): State<HeaderPolicy>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = CspNonce::generate();
    request.extensions_mut().insert(nonce.clone());
    let remote_images = shows_remote_images(request.uri());
    let mut response = next.run(request).await;
    let csp = match response.extensions().get::<ScriptHashes>() {
        Some(hashes) => content_security_policy(ScriptSources::Hashes(hashes), false),
        None => content_security_policy(ScriptSources::Nonce(&nonce), remote_images),
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        PERMISSIONS_POLICY.clone(),
        HeaderValue::from_static(
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        ),
    );
    h.insert(COOP.clone(), HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if policy.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_conversation_whose_reader_asked_loads_remote_images() {
        let shows = |uri: &str| shows_remote_images(&uri.parse().unwrap());
        assert!(shows("/o/acme/inbox/6c1b?images=shown"));
        assert!(!shows("/o/acme/inbox/6c1b"));
        assert!(!shows("/o/acme/inbox?images=shown"));
        assert!(!shows("/o/acme/issues/1?images=shown"));
        assert!(!shows("/o/acme/inbox/6c1b?images=shownx"));
        let csp = content_security_policy(ScriptSources::Nonce(&CspNonce::generate()), true);
        assert!(csp
            .to_str()
            .unwrap()
            .contains("img-src 'self' data: https:;"));
    }

    #[test]
    fn nonces_are_long_random_and_header_safe() {
        let a = CspNonce::generate();
        let b = CspNonce::generate();
        assert_ne!(a.as_str(), b.as_str());
        assert_eq!(a.as_str().len(), 22);
        let csp = content_security_policy(ScriptSources::Nonce(&a), false);
        let csp = csp.to_str().unwrap();
        assert!(csp.contains(&format!("'nonce-{}'", a.as_str())));
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn a_shared_page_names_its_scripts_by_hash() {
        let hashes = ScriptHashes(vec!["'sha256-abc='".into(), "'sha256-def='".into()]);
        let csp = content_security_policy(ScriptSources::Hashes(&hashes), false);
        let csp = csp.to_str().unwrap();
        assert!(csp.contains("script-src 'sha256-abc=' 'sha256-def=' 'strict-dynamic'"));
        assert!(!csp.contains("nonce") && !csp.contains("unsafe-inline"));
        let none = ScriptHashes::default();
        let csp = content_security_policy(ScriptSources::Hashes(&none), false);
        assert!(csp.to_str().unwrap().contains("script-src 'sha256-"));
    }
}
