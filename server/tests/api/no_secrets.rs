//! Commitment 8: no tracked file, and no change in the history, holds anything shaped like a real
//! secret.

use std::{path::PathBuf, process::Command};

use regex::Regex;

/// The formats of the keys our outside services issue, and private keys in PEM.
fn secret_patterns() -> Vec<(&'static str, Regex)> {
    [
        ("Stripe live secret key", r"\b[sr]k_live_[0-9A-Za-z]{10,}"),
        ("Stripe webhook secret", r"\bwhsec_[0-9A-Za-z]{20,}"),
        (
            "SendGrid API key",
            r"\bSG\.[0-9A-Za-z_-]{16,}\.[0-9A-Za-z_-]{16,}",
        ),
        ("Anthropic API key", r"\bsk-ant-[0-9A-Za-z_-]{20,}"),
        ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}"),
        ("PEM private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    ]
    .into_iter()
    .map(|(name, re)| (name, Regex::new(re).unwrap()))
    .collect()
}

fn findings(text: &str) -> Vec<&'static str> {
    secret_patterns()
        .into_iter()
        .filter(|(_, re)| re.is_match(text))
        .map(|(n, _)| n)
        .collect()
}

#[test]
fn the_scanner_recognises_each_key_format() {
    // Assembled at run time so this file itself never holds a secret-shaped string.
    let fake = |prefix: &str, body: &str| format!("{prefix}{body}");
    let samples = [
        fake("sk_live_", &"a1B2".repeat(6)),
        fake("whsec_", &"Zx9".repeat(10)),
        fake(
            "SG.",
            &format!("{}.{}", "Ab_-".repeat(6), "cD3e".repeat(11)),
        ),
        fake("sk-ant-", &format!("api03-{}", "Qw3_".repeat(20))),
        fake("AIza", &"S".repeat(35)),
        fake("-----BEGIN ", "EC PRIVATE KEY-----"),
    ];
    for sample in &samples {
        assert_eq!(findings(sample).len(), 1, "missed {sample}");
    }
    assert!(findings("STRIPE_SECRET_KEY=\nsk_test_placeholder").is_empty());
}

#[test]
fn no_tracked_file_holds_a_secret() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["ls-files", "-z"])
        .output()
        .expect("git runs");
    assert!(out.status.success());
    let files: Vec<_> = out
        .stdout
        .split(|b| *b == 0)
        .filter(|f| !f.is_empty())
        .collect();
    assert!(
        files.len() > 20,
        "the scan sees the repository ({} files)",
        files.len()
    );
    let mut hits = Vec::new();
    for file in files {
        let path = root.join(String::from_utf8_lossy(file).as_ref());
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        for name in findings(&text) {
            hits.push(format!("{}: {name}", path.display()));
        }
    }
    assert!(
        hits.is_empty(),
        "secret-shaped strings in tracked files:\n{}",
        hits.join("\n")
    );
}

#[test]
fn no_change_in_the_history_added_a_secret() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args([
            "log",
            "--all",
            "-p",
            "--no-color",
            "--no-ext-diff",
            "--format=commit %H",
        ])
        .output()
        .expect("git runs");
    assert!(out.status.success());
    let history = String::from_utf8_lossy(&out.stdout);
    let patterns = secret_patterns();
    let mut commit = "";
    let mut hits = Vec::new();
    let mut added = 0;
    for line in history.lines() {
        if let Some(id) = line.strip_prefix("commit ") {
            commit = id;
        } else if line.starts_with('+') && !line.starts_with("+++") {
            added += 1;
            for (name, re) in &patterns {
                if re.is_match(line) {
                    hits.push(format!("{commit}: {name}"));
                }
            }
        }
    }
    assert!(
        added > 1000,
        "the scan sees the history ({added} lines added)"
    );
    assert!(
        hits.is_empty(),
        "secret-shaped strings added by commits:\n{}",
        hits.join("\n")
    );
}
