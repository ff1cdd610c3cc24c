//! Password hashes in Django's exact encoding, `pbkdf2_sha256$<iterations>$<salt>$<base64>`, so
//! accounts moved from a Django deployment keep their passwords.

use std::{fmt, str::FromStr, sync::Arc};

use base64::{engine::general_purpose::STANDARD, Engine as _};
use password_hash::Output;
use rand::{distr::Alphanumeric, Rng as _};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use tokio::sync::Semaphore;

use crate::error::AppError;

const ALGORITHM: &str = "pbkdf2_sha256";
/// Django 5.2's default.
pub const DEFAULT_ITERATIONS: u32 = 1_000_000;
/// The most iterations a stored hash may ask for. Ten times today's default leaves room for
/// years of increases; a hash asking for more (an import gone wrong, or planted) would make
/// every sign-in attempt at that account cost seconds of a hashing thread.
pub const MAX_ITERATIONS: u32 = 10_000_000;
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
    #[error("more than {MAX_ITERATIONS} iterations")]
    TooManyIterations,
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
        if iterations > MAX_ITERATIONS {
            return Err(HashFormatError::TooManyIterations);
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

    /// [`DjangoHash::matches`], costing at least `current` iterations however few this hash
    /// has (Django's `harden_runtime`): an account imported with an older, cheaper hash answers
    /// as slowly as any other, so timing does not tell which accounts were imported. Returns the
    /// answer and the iterations spent.
    fn matches_hardened(&self, password: &str, current: u32) -> (bool, u32) {
        let ok = self.matches(password);
        let padding = current.saturating_sub(self.iterations);
        if padding > 0 {
            std::hint::black_box(derive(password, &self.salt, padding));
        }
        (ok, self.iterations + padding)
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
/// queues here instead of stalling the async workers that serve everything else. The queue is
/// bounded: past it, callers are told to come back ([`AppError::Busy`]) rather than pile up.
#[derive(Clone)]
pub struct Hasher {
    iterations: u32,
    /// One per hash running.
    permits: Arc<Semaphore>,
    /// One per hash running or waiting to run.
    admitted: Arc<Semaphore>,
    /// Verified against when an account does not exist, so that case costs a full hash too.
    decoy: Arc<DjangoHash>,
}

/// Hashes that may wait for a free thread, per thread: at a few hundred milliseconds a hash,
/// the last in the queue still answers within a few seconds.
const QUEUED_PER_THREAD: usize = 8;

impl Hasher {
    pub fn new(iterations: u32, concurrency: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self::with_queue(iterations, concurrency, concurrency * QUEUED_PER_THREAD)
    }

    /// At most `concurrency` hashes at once and `queue` more waiting.
    pub fn with_queue(iterations: u32, concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            iterations,
            permits: Arc::new(Semaphore::new(concurrency)),
            admitted: Arc::new(Semaphore::new(concurrency + queue)),
            decoy: Arc::new(DjangoHash::new("decoy password, never matched", iterations)),
        }
    }

    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| AppError::Busy)?;
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closes");
        let span = tracing::Span::current();
        // The permits go with the work: if the request is dropped meanwhile, the thread still
        // hashes to the end, and its slot stays taken until then.
        tokio::task::spawn_blocking(move || {
            let _held = (admitted, permit);
            span.in_scope(work)
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::Internal
        })
    }

    pub async fn hash(&self, password: &SecretString) -> Result<DjangoHash, AppError> {
        let password = password.clone();
        let iterations = self.iterations;
        self.blocking(move || DjangoHash::new(password.expose_secret(), iterations))
            .await
    }

    /// Checks `password` against `stored`; with no stored hash (unknown account, unusable or
    /// unreadable hash) it still spends one full hash and answers no. A stored hash with fewer
    /// iterations than the current count costs the current count all the same.
    pub async fn verify(
        &self,
        password: &SecretString,
        stored: Option<&str>,
    ) -> Result<Verified, AppError> {
        let parsed = stored.and_then(|s| s.parse::<DjangoHash>().ok());
        let real = parsed.is_some();
        let target = parsed.unwrap_or_else(|| (*self.decoy).clone());
        let password = password.clone();
        let current = self.iterations;
        self.blocking(move || {
            let (matched, _) = target.matches_hardened(password.expose_secret(), current);
            if matched && real {
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
        assert_eq!(hasher.verify(&pw, None).await, Ok(Verified::No));
        assert_eq!(
            hasher.verify(&pw, Some("!unusable")).await,
            Ok(Verified::No)
        );
        let stored = hasher.hash(&pw).await.unwrap().to_string();
        assert_eq!(
            hasher.verify(&pw, Some(&stored)).await,
            Ok(Verified::Yes {
                needs_rehash: false
            })
        );
        assert_eq!(
            Hasher::new(2000, 1).verify(&pw, Some(&stored)).await,
            Ok(Verified::Yes { needs_rehash: true })
        );
    }

    #[test]
    fn a_hash_with_an_absurd_iteration_count_is_refused() {
        let at = |n: u32| {
            format!("pbkdf2_sha256${n}$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=")
        };
        assert!(at(MAX_ITERATIONS).parse::<DjangoHash>().is_ok());
        assert_eq!(
            at(MAX_ITERATIONS + 1).parse::<DjangoHash>(),
            Err(HashFormatError::TooManyIterations)
        );
        assert_eq!(
            at(u32::MAX).parse::<DjangoHash>(),
            Err(HashFormatError::TooManyIterations)
        );
    }

    #[test]
    fn an_older_cheaper_hash_costs_as_much_to_check_as_a_current_one() {
        let old = DjangoHash::with_salt("lètmein", "seasalt", 1000);
        assert_eq!(old.matches_hardened("lètmein", 5000), (true, 5000));
        assert_eq!(old.matches_hardened("wrong", 5000), (false, 5000));
        let current = DjangoHash::with_salt("lètmein", "seasalt", 5000);
        assert_eq!(current.matches_hardened("lètmein", 5000), (true, 5000));
    }

    /// Hashes slow enough to still be running while the test looks at the permits.
    const SLOW: u32 = 2_000_000;

    #[tokio::test]
    async fn a_dropped_request_keeps_its_hashing_slot_until_the_hash_ends() {
        let hasher = Hasher::with_queue(SLOW, 1, 4);
        let pw = SecretString::from("anything at all");
        let running = tokio::spawn({
            let hasher = hasher.clone();
            let pw = pw.clone();
            async move { hasher.hash(&pw).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(hasher.permits.available_permits(), 0, "the hash is running");
        running.abort();
        let _ = running.await;
        assert_eq!(
            hasher.permits.available_permits(),
            0,
            "the thread is still hashing, so its slot is still taken"
        );
    }

    #[tokio::test]
    async fn past_the_queue_callers_are_told_to_come_back() {
        let hasher = Hasher::with_queue(SLOW, 1, 1);
        let pw = SecretString::from("anything at all");
        let first = tokio::spawn({
            let (hasher, pw) = (hasher.clone(), pw.clone());
            async move { hasher.verify(&pw, None).await }
        });
        let second = tokio::spawn({
            let (hasher, pw) = (hasher.clone(), pw.clone());
            async move { hasher.verify(&pw, None).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(hasher.verify(&pw, None).await, Err(AppError::Busy));
        assert_eq!(first.await.unwrap(), Ok(Verified::No));
        assert_eq!(second.await.unwrap(), Ok(Verified::No));
        assert_eq!(
            hasher.verify(&pw, None).await,
            Ok(Verified::No),
            "room again"
        );
    }
}
