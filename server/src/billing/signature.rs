//! Stripe's webhook signatures, checked as Stripe specifies: the `Stripe-Signature` header is
//! `t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=…]`, and each `v1` is HMAC-SHA256 under the
//! endpoint's signing secret of `<t>.<exact body>`. The timestamp must be within
//! [`TOLERANCE_SECS`] of our clock, and any one `v1` may match: while a secret is rolled Stripe
//! signs with both, and a check of only the first or the last would refuse real events. Each is
//! compared in constant time. Other schemes (`v0`, a test mode's) are ignored.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use crate::csrf::VerifySignature;

pub const HEADER: &str = "stripe-signature";
/// Stripe's libraries' default tolerance.
pub const TOLERANCE_SECS: i64 = 300;

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Malformed,
    Stale,
    Mismatch,
}

/// The `v1` signature of `body` sent at `timestamp`, as Stripe computes it.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().into()
}

/// The header Stripe would send for `body` at `timestamp`, signed with each secret.
pub fn header(secrets: &[&str], timestamp: i64, body: &[u8]) -> String {
    let mut h = format!("t={timestamp}");
    for s in secrets {
        h.push_str(",v1=");
        h.push_str(&hex::encode(sign(s, timestamp, body)));
    }
    h
}

/// Checks `header` over `body` at `now` (Unix seconds).
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), Refusal> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(Refusal::Malformed)?;
        match key {
            "t" => timestamp = Some(value.parse::<i64>().map_err(|_| Refusal::Malformed)?),
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(Refusal::Malformed)?;
    if signatures.is_empty() {
        return Err(Refusal::Missing);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(Refusal::Stale);
    }
    let expected = sign(secret, timestamp, body);
    // Every signature is compared, whichever matches.
    let matched = signatures.iter().fold(false, |matched, s| {
        let ok = hex::decode(s).is_ok_and(|given| bool::from(given.as_slice().ct_eq(&expected)));
        matched | ok
    });
    if matched {
        Ok(())
    } else {
        Err(Refusal::Mismatch)
    }
}

/// The webhook route's check (see `csrf::SignedRoute`).
pub struct SignedByStripe(pub SecretString);

impl VerifySignature for SignedByStripe {
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> bool {
        let Some(header) = headers.get(HEADER).and_then(|v| v.to_str().ok()) else {
            tracing::warn!("a Stripe webhook without its signature was refused");
            return false;
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        match verify(self.0.expose_secret(), header, body, now) {
            Ok(()) => true,
            Err(refusal) => {
                tracing::warn!(
                    ?refusal,
                    "a Stripe webhook whose signature did not verify was refused"
                );
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","object":"event"}"#;

    #[test]
    fn a_signature_made_as_stripe_makes_it_verifies_within_the_tolerance() {
        let h = header(&[SECRET], 1_700_000_000, BODY);
        assert_eq!(verify(SECRET, &h, BODY, 1_700_000_000), Ok(()));
        assert_eq!(verify(SECRET, &h, BODY, 1_700_000_300), Ok(()));
        assert_eq!(verify(SECRET, &h, BODY, 1_700_000_301), Err(Refusal::Stale));
        assert_eq!(verify(SECRET, &h, BODY, 1_699_999_699), Err(Refusal::Stale));
    }

    #[test]
    fn any_one_of_several_v1_signatures_may_match() {
        // Rolling the secret: Stripe signs with the old and the new, in either order.
        for secrets in [["whsec_old", SECRET], [SECRET, "whsec_old"]] {
            let h = header(&secrets, 1_700_000_000, BODY);
            assert_eq!(verify(SECRET, &h, BODY, 1_700_000_000), Ok(()), "{h}");
        }
        // A middle one, among a v0 and garbage.
        let good = hex::encode(sign(SECRET, 5, BODY));
        let h = format!("t=5,v1=00ff,v0=abc,v1={good},v1=not-hex");
        assert_eq!(verify(SECRET, &h, BODY, 5), Ok(()));
    }

    #[test]
    fn a_wrong_secret_a_tampered_body_or_a_malformed_header_is_refused() {
        let h = header(&["whsec_other"], 10, BODY);
        assert_eq!(verify(SECRET, &h, BODY, 10), Err(Refusal::Mismatch));
        let h = header(&[SECRET], 10, BODY);
        assert_eq!(
            verify(SECRET, &h, br#"{"id":"evt_2","object":"event"}"#, 10),
            Err(Refusal::Mismatch)
        );
        // The timestamp is signed too: moving it breaks the signature.
        let moved = h.replace("t=10", "t=11");
        assert_eq!(verify(SECRET, &moved, BODY, 11), Err(Refusal::Mismatch));
        assert_eq!(verify(SECRET, "t=10", BODY, 10), Err(Refusal::Missing));
        assert_eq!(verify(SECRET, "v1=00", BODY, 10), Err(Refusal::Malformed));
        assert_eq!(
            verify(SECRET, "t=ten,v1=00", BODY, 10),
            Err(Refusal::Malformed)
        );
        assert_eq!(verify(SECRET, "", BODY, 10), Err(Refusal::Malformed));
    }
}
