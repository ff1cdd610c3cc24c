//! SendGrid's signed webhooks (the Inbound Parse security policy's signature): each request
//! carries an ECDSA P-256 signature over SHA-256 of the timestamp header followed by the exact
//! bytes of the body, in `X-Twilio-Email-Event-Webhook-Signature` (base64 of the DER signature),
//! with the timestamp in `X-Twilio-Email-Event-Webhook-Timestamp` (Unix seconds). The public key
//! is the policy's, base64 of its DER SubjectPublicKeyInfo, from configuration.

use axum::http::HeaderMap;
use base64::{engine::general_purpose::STANDARD, Engine as _};
use p256::{
    ecdsa::{signature::DigestVerifier, DerSignature, VerifyingKey},
    pkcs8::DecodePublicKey,
};
use sha2::{Digest, Sha256};

use crate::csrf::VerifySignature;

pub const SIGNATURE_HEADER: &str = "x-twilio-email-event-webhook-signature";
pub const TIMESTAMP_HEADER: &str = "x-twilio-email-event-webhook-timestamp";
/// How far a request's timestamp may be from our clock. A replay inside the window changes
/// nothing either: a message already received is not stored again.
pub const TOLERANCE_SECS: i64 = 15 * 60;

/// The security policy's public key.
#[derive(Clone)]
pub struct InboundKey(VerifyingKey);

impl std::fmt::Debug for InboundKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InboundKey(P-256)")
    }
}

impl InboundKey {
    /// From the base64 DER form SendGrid gives when the policy is made.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let der = STANDARD
            .decode(text.trim())
            .map_err(|_| "is not base64".to_string())?;
        VerifyingKey::from_public_key_der(&der)
            .map(Self)
            .map_err(|_| "is not a P-256 public key (DER SubjectPublicKeyInfo)".to_string())
    }

    pub fn from_key(key: VerifyingKey) -> Self {
        Self(key)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Malformed,
    Stale,
    Mismatch,
}

/// The digest SendGrid signs: the timestamp's text, then the body.
pub fn signed_digest(timestamp: &str, body: &[u8]) -> Sha256 {
    Sha256::new()
        .chain_update(timestamp.as_bytes())
        .chain_update(body)
}

pub fn verify(
    key: &InboundKey,
    headers: &HeaderMap,
    body: &[u8],
    now_secs: i64,
) -> Result<(), Refusal> {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let (Some(signature), Some(timestamp)) = (header(SIGNATURE_HEADER), header(TIMESTAMP_HEADER))
    else {
        return Err(Refusal::Missing);
    };
    let at: i64 = timestamp.trim().parse().map_err(|_| Refusal::Malformed)?;
    if (now_secs - at).abs() > TOLERANCE_SECS {
        return Err(Refusal::Stale);
    }
    let der = STANDARD
        .decode(signature.trim())
        .map_err(|_| Refusal::Malformed)?;
    let signature = DerSignature::try_from(der.as_slice()).map_err(|_| Refusal::Malformed)?;
    key.0
        .verify_digest(signed_digest(timestamp, body), &signature)
        .map_err(|_| Refusal::Mismatch)
}

/// The check the CSRF layer runs before a request reaches the webhook.
pub struct SignedInbound(pub InboundKey);

impl VerifySignature for SignedInbound {
    fn verify(&self, headers: &HeaderMap, body: &[u8]) -> bool {
        match verify(
            &self.0,
            headers,
            body,
            time::OffsetDateTime::now_utc().unix_timestamp(),
        ) {
            Ok(()) => true,
            Err(refusal) => {
                tracing::warn!(
                    ?refusal,
                    "inbound mail with a missing or bad signature refused; nothing stored"
                );
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standins::sendgrid::inbound::Signer;

    fn headers(signer: &Signer, at: i64, body: &[u8]) -> HeaderMap {
        signer
            .headers(at, body)
            .into_iter()
            .map(|(k, v)| (axum::http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn only_the_policy_key_over_the_exact_timestamp_and_body_verifies() {
        let signer = Signer::from_seed(b"one");
        let key = InboundKey::from_base64(&signer.public_key_base64()).unwrap();
        let now = 1_800_000_000;
        let body = b"--x\r\nContent-Disposition: form-data; name=\"to\"\r\n\r\na@b\r\n--x--\r\n";
        let good = headers(&signer, now, body);
        assert_eq!(verify(&key, &good, body, now + 60), Ok(()));
        assert_eq!(verify(&key, &good, b"changed", now), Err(Refusal::Mismatch));
        assert_eq!(
            verify(&key, &good, body, now + TOLERANCE_SECS + 1),
            Err(Refusal::Stale)
        );
        assert_eq!(
            verify(&key, &HeaderMap::new(), body, now),
            Err(Refusal::Missing)
        );
        // Another key's signature, and a timestamp changed after signing.
        let other = headers(&Signer::from_seed(b"two"), now, body);
        assert_eq!(verify(&key, &other, body, now), Err(Refusal::Mismatch));
        let mut moved = good.clone();
        moved.insert(TIMESTAMP_HEADER, (now + 1).to_string().parse().unwrap());
        assert_eq!(verify(&key, &moved, body, now), Err(Refusal::Mismatch));
        let mut garbled = good;
        garbled.insert(SIGNATURE_HEADER, "not base64!".parse().unwrap());
        assert_eq!(verify(&key, &garbled, body, now), Err(Refusal::Malformed));
    }

    #[test]
    fn a_key_that_is_not_p256_der_is_refused_at_start() {
        assert!(InboundKey::from_base64("bm90IGEga2V5").is_err());
        assert!(InboundKey::from_base64("%%%").is_err());
    }
}
