//! Security headers on every response, including a Content-Security-Policy whose script nonce
//! is fresh for each request and shared with the page renderer.

use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use rand::RngCore as _;

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

/// Scripts run only with this response's nonce (`strict-dynamic` lets the hydration script load
/// the WASM glue); WASM compiles under `wasm-unsafe-eval`; nothing else is allowed by default.
fn content_security_policy(nonce: &CspNonce) -> HeaderValue {
    let n = nonce.as_str();
    HeaderValue::from_str(&format!(
        "default-src 'self'; script-src 'nonce-{n}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ))
    .expect("nonce is URL-safe base64")
}

static PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");
static COOP: HeaderName = HeaderName::from_static("cross-origin-opener-policy");

pub async fn security_headers(
    State(policy): State<HeaderPolicy>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = CspNonce::generate();
    let csp = content_security_policy(&nonce);
    request.extensions_mut().insert(nonce);
    let mut response = next.run(request).await;
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
    fn nonces_are_long_random_and_header_safe() {
        let a = CspNonce::generate();
        let b = CspNonce::generate();
        assert_ne!(a.as_str(), b.as_str());
        assert_eq!(a.as_str().len(), 22);
        let csp = content_security_policy(&a);
        let csp = csp.to_str().unwrap();
        assert!(csp.contains(&format!("'nonce-{}'", a.as_str())));
        assert!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
