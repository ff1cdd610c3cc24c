//! The key that protects two-factor secrets at rest, from `OPS_TOTP_KEY`.
//!
//! Two keys are derived from it, one per use: one encrypts TOTP secrets (XChaCha20-Poly1305,
//! the user id as associated data, so a secret copied onto another account does not decrypt),
//! the other hashes recovery codes (HMAC-SHA256). A fast keyed hash is enough for recovery
//! codes, unlike passwords: each code is about 50 random bits, so there is no dictionary to try,
//! and without the key (which is never in the database) a stolen hash cannot even be tested.
//! Online guessing is throttled like sign-in.

use std::fmt;

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    Key, XChaCha20Poly1305, XNonce,
};
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;
use uuid::Uuid;

/// The keys derived from `OPS_TOTP_KEY`. Never printed.
#[derive(Clone)]
pub struct TwoFactorKey {
    encryption: [u8; 32],
    recovery: [u8; 32],
    /// Signs links that act without a sign-in, each for one purpose (unsubscribing).
    links: [u8; 32],
}

impl fmt::Debug for TwoFactorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TwoFactorKey([redacted])")
    }
}

/// A nonce and the encrypted secret, as stored.
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

fn derive(master: &[u8], purpose: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(master).expect("HMAC takes any key length");
    mac.update(purpose);
    mac.finalize().into_bytes().into()
}

impl TwoFactorKey {
    /// From 32 bytes in standard base64, as `OPS_TOTP_KEY` holds them.
    pub fn from_base64(value: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(value.trim())
            .map_err(|_| "expected 32 bytes in base64 (openssl rand -base64 32)".to_string())?;
        let master: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "expected exactly 32 bytes in base64 (openssl rand -base64 32)")?;
        Ok(Self::from_master(&master))
    }

    /// A random key for this process only: development without `OPS_TOTP_KEY`. Secrets set up
    /// under it stop working when the server restarts.
    pub fn generate() -> Self {
        let mut master = [0u8; 32];
        rand::rng().fill_bytes(&mut master);
        Self::from_master(&master)
    }

    fn from_master(master: &[u8; 32]) -> Self {
        Self {
            encryption: derive(master, b"ops-intel two-factor secret encryption"),
            recovery: derive(master, b"ops-intel recovery code hashing"),
            links: derive(master, b"ops-intel signed links"),
        }
    }

    /// Encrypts a user's TOTP secret under a fresh random nonce (XChaCha20's 192-bit nonces
    /// are safe to choose at random).
    pub fn seal(&self, user_id: Uuid, secret: &[u8]) -> Sealed {
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(&self.encryption));
        let ciphertext = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: user_id.as_bytes(),
                },
            )
            .expect("encrypting into memory cannot fail");
        Sealed {
            nonce: nonce.to_vec(),
            ciphertext,
        }
    }

    /// The secret, if it was sealed with this key for this user; `None` for anything else.
    pub fn open(&self, user_id: Uuid, nonce: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        if nonce.len() != 24 {
            return None;
        }
        XChaCha20Poly1305::new(Key::from_slice(&self.encryption))
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: user_id.as_bytes(),
                },
            )
            .ok()
    }

    /// The signature of a link that acts without a sign-in: over `message`, which names the
    /// link's one purpose and whom it is for. URL-safe base64.
    pub fn sign_link(&self, message: &str) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.links).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `signature` is this key's for `message` (compared in constant time).
    pub fn verify_link(&self, message: &str, signature: &str) -> bool {
        let Ok(given) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature) else {
            return false;
        };
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.links).expect("HMAC takes any key length");
        mac.update(message.as_bytes());
        mac.verify_slice(&given).is_ok()
    }

    /// What is stored in place of a recovery code (already normalised).
    pub fn recovery_hash(&self, user_id: Uuid, code: &str) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.recovery)
            .expect("HMAC takes any key length");
        mac.update(user_id.as_bytes());
        mac.update(code.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_opens_only_with_its_key_and_for_its_user() {
        let key = TwoFactorKey::generate();
        let (ada, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let sealed = key.seal(ada, b"twenty bytes secret!");
        assert_ne!(sealed.ciphertext, b"twenty bytes secret!");
        assert_eq!(
            key.open(ada, &sealed.nonce, &sealed.ciphertext).as_deref(),
            Some(&b"twenty bytes secret!"[..])
        );
        assert_eq!(key.open(bob, &sealed.nonce, &sealed.ciphertext), None);
        assert_eq!(
            TwoFactorKey::generate().open(ada, &sealed.nonce, &sealed.ciphertext),
            None
        );
    }

    #[test]
    fn the_key_is_32_bytes_of_base64_and_never_printed() {
        let value = STANDARD.encode([7u8; 32]);
        let key = TwoFactorKey::from_base64(&value).unwrap();
        assert_eq!(format!("{key:?}"), "TwoFactorKey([redacted])");
        assert!(TwoFactorKey::from_base64(&STANDARD.encode([7u8; 16])).is_err());
        assert!(TwoFactorKey::from_base64("not base64!").is_err());
        // The same key value gives the same hashes, so codes survive a restart.
        let again = TwoFactorKey::from_base64(&value).unwrap();
        let user = Uuid::new_v4();
        assert_eq!(
            key.recovery_hash(user, "abcde-fghjk"),
            again.recovery_hash(user, "abcde-fghjk")
        );
    }

    #[test]
    fn a_signed_link_verifies_only_for_its_own_message_and_key() {
        let key = TwoFactorKey::generate();
        let signature = key.sign_link("unsubscribe:alice");
        assert!(key.verify_link("unsubscribe:alice", &signature));
        assert!(!key.verify_link("unsubscribe:bob", &signature));
        assert!(!key.verify_link("export:alice", &signature));
        assert!(!TwoFactorKey::generate().verify_link("unsubscribe:alice", &signature));
        assert!(!key.verify_link("unsubscribe:alice", "not base64!"));
        assert!(!key.verify_link("unsubscribe:alice", ""));
    }
}
