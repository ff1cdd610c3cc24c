//! Commitment 3: hashes Django made verify here, and hashes made here verify in Django.

use std::process::Command;

use app::auth::password::{DjangoHash, Hasher, Verified, DEFAULT_ITERATIONS};
use secrecy::SecretString;

#[derive(serde::Deserialize)]
struct Fixture {
    password: String,
    encoded: String,
}

fn fixtures() -> Vec<Fixture> {
    serde_json::from_str(include_str!("fixtures/django_hashes.json")).unwrap()
}

#[tokio::test]
async fn hashes_made_by_django_verify_and_ask_for_a_rehash_unless_current() {
    let hasher = Hasher::new(DEFAULT_ITERATIONS, 2);
    let fixtures = fixtures();
    assert!(fixtures.len() >= 8);
    for f in fixtures {
        let parsed: DjangoHash = f.encoded.parse().unwrap();
        let current =
            parsed.iterations() == DEFAULT_ITERATIONS && !f.encoded.contains("$Ab3dEf6hIj9k$");
        let verdict = hasher
            .verify(&SecretString::from(f.password.clone()), Some(&f.encoded))
            .await;
        assert_eq!(
            verdict,
            Ok(Verified::Yes {
                needs_rehash: !current
            }),
            "{}",
            f.encoded
        );
        let wrong = format!("{}x", f.password);
        assert_eq!(
            hasher
                .verify(&SecretString::from(wrong), Some(&f.encoded))
                .await,
            Ok(Verified::No)
        );
    }
}

#[test]
fn hashes_made_here_verify_in_django() {
    let python = std::env::var("OPS_DJANGO_PYTHON").unwrap_or_else(|_| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.tools/django/bin/python").into()
    });
    let cases: Vec<(String, String)> = [
        "lètmein",
        "a pass phrase with spaces ",
        "日本語のパスワード",
    ]
    .into_iter()
    .map(|pw| (pw.to_string(), DjangoHash::new(pw, 600_000).to_string()))
    .collect();
    let script = r#"
import json, sys
from django.conf import settings
settings.configure(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"])
from django.contrib.auth.hashers import check_password
cases = json.load(sys.stdin)
print(json.dumps([[check_password(pw, enc), check_password(pw + "x", enc)] for pw, enc in cases]))
"#;
    let mut child = Command::new(&python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("Django's Python at {python} (scripts/test.sh installs it): {e}")
        });
    serde_json::to_writer(child.stdin.take().unwrap(), &cases).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Vec<(bool, bool)> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(verdicts, vec![(true, false); 3]);
}
