//! Password hashes in Django's exact encoding, `pbkdf2_sha256$<iterations>$<salt>$<base64>`, so
//! accounts moved from a Django deployment keep their passwords.

use std::{fmt, str::FromStr, sync::Arc};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use password_hash::Output;
use rand::{distr::Alphanumeric, Rng as _};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use tokio::sync::Semaphore;

const ALGORITHM: &str = "pbkdf2_sha256";
/// Django 5.2's default.
pub const DEFAULT_ITERATIONS: u32 = 1_000_000;
/// Django's `get_random_string(22)`: 22 characters of [A-Za-z0-9] is just over 128 bits.
const SALT_LEN: usize = 22;
const HASH_LEN: usize = 32;

/// A parsed Django PBKDF2-SHA256 hash. Never printed or serialised whole.
#[derive(Clone, PartialEq, Eq)]
pub struct DjangoHash {
    iterations: u32,
    salt: String,
    hash: [u8; HASH_LEN],
}

impl fmt::Debug for DjangoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DjangoHash({ALGORITHM}, {} iterations, [REDACTED])",
            self.iterations
        )
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HashFormatError {
    #[error("not a pbkdf2_sha256 hash")]
    Algorithm,
    #[error("malformed hash")]
    Malformed,
}

impl FromStr for DjangoHash {
    type Err = HashFormatError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split('$');
        if parts.next() != Some(ALGORITHM) {
            return Err(HashFormatError::Algorithm);
        }
        let (Some(iterations), Some(salt), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HashFormatError::Malformed);
        };
        let iterations: u32 = iterations.parse().map_err(|_| HashFormatError::Malformed)?;
        // Django never writes '$' in a salt; an empty salt or zero iterations is not a real hash.
        if iterations == 0 || salt.is_empty() {
            return Err(HashFormatError::Malformed);
        }
        let hash: [u8; HASH_LEN] = STANDARD
            .decode(hash)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(HashFormatError::Malformed)?;
        Ok(Self {
            iterations,
            salt: salt.to_string(),
            hash,
        })
    }
}

impl fmt::Display for DjangoHash {
    /// The stored form. Only for writing to the database.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{ALGORITHM}${}${}${}",
            self.iterations,
            self.salt,
            STANDARD.encode(self.hash)
        )
    }
}

fn derive(password: &str, salt: &str, iterations: u32) -> [u8; HASH_LEN] {
    let mut out = [0u8; HASH_LEN];
    pbkdf2::pbkdf2_hmac::<Sha256>(password.as_bytes(), salt.as_bytes(), iterations, &mut out);
    out
}

impl DjangoHash {
    pub fn new(password: &str, iterations: u32) -> Self {
        let salt: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(SALT_LEN)
            .map(char::from)
            .collect();
        Self::with_salt(password, &salt, iterations)
    }

    pub fn with_salt(password: &str, salt: &str, iterations: u32) -> Self {
        Self {
            iterations,
            salt: salt.to_string(),
            hash: derive(password, salt, iterations),
        }
    }

    /// Compares in constant time.
    pub fn matches(&self, password: &str) -> bool {
        let candidate = derive(password, &self.salt, self.iterations);
        Output::new(&candidate).expect("32 bytes") == Output::new(&self.hash).expect("32 bytes")
    }

    /// Django's `must_update`: a different iteration count, or a salt under 128 bits.
    pub fn needs_rehash(&self, current_iterations: u32) -> bool {
        // log2(62) bits per character of [A-Za-z0-9].
        let salt_bits = self.salt.chars().count() as f64 * 62f64.log2();
        self.iterations != current_iterations || salt_bits < 128.0
    }

    pub fn iterations(&self) -> u32 {
        self.iterations
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verified {
    No,
    Yes { needs_rehash: bool },
}

/// Runs hashing on the blocking pool, at most `concurrency` at a time, so a burst of sign-ins
/// queues here instead of stalling the async workers that serve everything else.
#[derive(Clone)]
pub struct Hasher {
    iterations: u32,
    permits: Arc<Semaphore>,
    /// Verified against when an account does not exist, so that case costs a full hash too.
    decoy: Arc<DjangoHash>,
}

impl Hasher {
    pub fn new(iterations: u32, concurrency: usize) -> Self {
        Self {
            iterations,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            decoy: Arc::new(DjangoHash::new("decoy password, never matched", iterations)),
        }
    }

    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    async fn blocking<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore never closes");
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(work))
            .await
            .expect("hashing does not panic")
    }

    pub async fn hash(&self, password: &SecretString) -> DjangoHash {
        let password = password.clone();
        let iterations = self.iterations;
        self.blocking(move || DjangoHash::new(password.expose_secret(), iterations))
            .await
    }

    /// Checks `password` against `stored`; with no stored hash (unknown account, unusable or
    /// unreadable hash) it still spends one full hash and answers no.
    pub async fn verify(&self, password: &SecretString, stored: Option<&str>) -> Verified {
        let parsed = stored.and_then(|s| s.parse::<DjangoHash>().ok());
        let real = parsed.is_some();
        let target = parsed.unwrap_or_else(|| (*self.decoy).clone());
        let password = password.clone();
        let current = self.iterations;
        self.blocking(move || {
            let ok = target.matches(password.expose_secret()) && real;
            if ok {
                Verified::Yes {
                    needs_rehash: target.needs_rehash(current),
                }
            } else {
                Verified::No
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known answers for `lètmein` with salt `seasalt` (the first is in Django's own tests).
    #[test]
    fn matches_known_answers_at_every_django_default() {
        for (iterations, expected) in [
            (390_000, "8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c="),
            (600_000, "OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA="),
            (1_000_000, "r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps="),
            (1_200_000, "6sTlFi4QohxXLuZigqDIUNX8xG9NxrTmV8+flFQdBqE="),
        ] {
            let h = DjangoHash::with_salt("lètmein", "seasalt", iterations);
            assert_eq!(
                h.to_string(),
                format!("pbkdf2_sha256${iterations}$seasalt${expected}")
            );
        }
    }

    #[test]
    fn round_trips_through_the_stored_form() {
        let h = DjangoHash::new("correct horse battery staple", 1000);
        let parsed: DjangoHash = h.to_string().parse().unwrap();
        assert_eq!(parsed, h);
        assert!(parsed.matches("correct horse battery staple"));
        assert!(!parsed.matches("correct horse battery stapl"));
        assert_eq!(h.salt.len(), 22);
        assert!(h.salt.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn rejects_other_algorithms_and_malformed_strings() {
        for bad in [
            "",
            "!",
            "argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA",
            "pbkdf2_sha1$260000$salt$AAAA",
            "pbkdf2_sha256$abc$salt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=",
            "pbkdf2_sha256$0$salt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=",
            "pbkdf2_sha256$1000$$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=",
            "pbkdf2_sha256$1000$salt$not base64",
            "pbkdf2_sha256$1000$salt$AAAA",
            "pbkdf2_sha256$1000$salt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=$extra",
        ] {
            assert!(bad.parse::<DjangoHash>().is_err(), "{bad}");
        }
    }

    #[test]
    fn rehash_follows_djangos_rule() {
        let current = DjangoHash::with_salt("pw", &"a".repeat(22), 1000);
        assert!(!current.needs_rehash(1000));
        assert!(current.needs_rehash(2000), "iteration count differs");
        assert!(
            DjangoHash::with_salt("pw", &"a".repeat(21), 1000).needs_rehash(1000),
            "short salt"
        );
    }

    #[test]
    fn debug_output_hides_the_hash() {
        let h = DjangoHash::with_salt("pw", "seasalt", 1000);
        let printed = format!("{h:?}");
        assert!(!printed.contains("seasalt") && !printed.contains(&STANDARD.encode(h.hash)));
    }

    #[tokio::test]
    async fn unknown_accounts_cost_a_hash_and_never_verify() {
        let hasher = Hasher::new(1000, 2);
        let pw = SecretString::from("anything at all");
        assert_eq!(hasher.verify(&pw, None).await, Verified::No);
        assert_eq!(hasher.verify(&pw, Some("!unusable")).await, Verified::No);
        let stored = hasher.hash(&pw).await.to_string();
        assert_eq!(
            hasher.verify(&pw, Some(&stored)).await,
            Verified::Yes {
                needs_rehash: false
            }
        );
        assert_eq!(
            Hasher::new(2000, 1).verify(&pw, Some(&stored)).await,
            Verified::Yes { needs_rehash: true }
        );
    }
}
