//! Who is asking: the network address and browser of the request being served, for the audit
//! logs and for throttling. Read from the request's parts, which the server provides as context.

use std::net::IpAddr;

use http::request::Parts;
use leptos::prelude::use_context;

/// At most this many characters of a User-Agent are kept: the header is whatever the client sent.
const USER_AGENT_CHARS: usize = 300;

/// The client's address, as the server resolved it for this request and put in its extensions:
/// the TCP peer, or behind a trusted proxy the client the proxy names. Never read the peer
/// directly: behind a proxy it is the proxy, shared by every client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Who is asking, for the audit log and throttling.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl RequestMeta {
    /// From a request's parts, outside a server function as well as inside one.
    pub fn from_parts(parts: &Parts) -> Self {
        Self::from_request(&parts.extensions, &parts.headers)
    }

    /// From a request's extensions (where the server puts the client's address) and headers.
    pub fn from_request(extensions: &http::Extensions, headers: &http::HeaderMap) -> Self {
        RequestMeta {
            ip: extensions.get::<ClientAddr>().map(|c| c.0),
            user_agent: headers
                .get(http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(USER_AGENT_CHARS).collect()),
        }
    }

    /// The key that throttles by address; requests without a known address share one.
    pub fn ip_key(&self) -> String {
        self.ip
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into())
    }
}

/// The current request's metadata; empty outside a request.
pub fn request_meta() -> RequestMeta {
    use_context::<Parts>()
        .map(|parts| RequestMeta::from_parts(&parts))
        .unwrap_or_default()
}
