//! Time-based one-time passwords (RFC 6238) as authenticator apps make them: HMAC-SHA1, six
//! digits, a new code every 30 seconds. A code is accepted one step either side of now, so a
//! phone's clock a little off still works, and refused further out.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use qrcode::{render::svg, EcLevel, QrCode};
use rand::RngCore as _;
use totp_rs::{Algorithm, TOTP};

/// Seconds per code.
pub const STEP_SECONDS: u64 = 30;
/// Steps either side of now whose codes are accepted.
pub const WINDOW: u64 = 1;
/// The name apps show beside the account.
const ISSUER: &str = "Ops Intel";

/// 160 random bits, the size RFC 4226 recommends for HMAC-SHA1.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rng().fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8]) -> Option<TOTP> {
    // Skew 0: the window is applied here, step by step, so the matching step is known.
    TOTP::new(Algorithm::SHA1, 6, 0, STEP_SECONDS, secret.to_vec()).ok()
}

/// The secret as apps take it typed: base32 without padding.
pub fn secret_base32(secret: &[u8]) -> String {
    totp(secret)
        .map(|t| t.get_secret_base32())
        .unwrap_or_default()
}

/// The time step a Unix time falls in.
pub fn step_at(unix_seconds: u64) -> u64 {
    unix_seconds / STEP_SECONDS
}

/// The code for the step `unix_seconds` falls in.
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    totp(secret)
        .map(|t| t.generate(unix_seconds))
        .unwrap_or_default()
}

/// The step whose code `code` is, within [`WINDOW`] steps of `now`, or `None`. Each comparison
/// is in constant time.
pub fn matching_step(secret: &[u8], code: &str, now_unix: u64) -> Option<u64> {
    let totp = totp(secret)?;
    let now = step_at(now_unix);
    (now.saturating_sub(WINDOW)..=now + WINDOW)
        .rev()
        .find(|step| totp.check(code, step * STEP_SECONDS))
}

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `otpauth://` address an app scans: issuer, account and secret.
pub fn otpauth_uri(account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        issuer = encode(ISSUER),
        account = encode(account),
        secret = secret_base32(secret),
    )
}

/// The address as a QR code: an SVG image in a `data:` URL, drawn here, so the secret never
/// leaves the server for an outside service.
pub fn qr_code_data_url(uri: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(uri.as_bytes(), EcLevel::M).ok()?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        STANDARD.encode(svg)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's test secret for SHA-1.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_rfc_6238s_test_vectors() {
        // Appendix B, truncated to six digits.
        for (time, code) in [
            (59, "287082"),
            (1111111109, "081804"),
            (1234567890, "005924"),
            (2000000000, "279037"),
        ] {
            assert_eq!(code_at(RFC_SECRET, time), code, "at {time}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_refused_two_steps_away() {
        let secret = new_secret();
        let now = 1_800_000_015;
        let step = step_at(now);
        let code = |offset: i64| code_at(&secret, ((step as i64 + offset) as u64) * STEP_SECONDS);
        assert_eq!(matching_step(&secret, &code(0), now), Some(step));
        assert_eq!(matching_step(&secret, &code(-1), now), Some(step - 1));
        assert_eq!(matching_step(&secret, &code(1), now), Some(step + 1));
        for far in [-2, 2, -3, 3] {
            let code = code(far);
            // A far code could equal a near one by chance (one in a million); skip that case.
            if (-1..=1)
                .all(|near| code_at(&secret, ((step as i64 + near) as u64) * STEP_SECONDS) != code)
            {
                assert_eq!(matching_step(&secret, &code, now), None, "{far} steps away");
            }
        }
        assert_eq!(matching_step(&secret, "", now), None);
        assert_eq!(matching_step(&secret, "12345", now), None);
    }

    #[test]
    fn the_set_up_address_names_the_issuer_and_account_and_draws_as_svg() {
        let uri = otpauth_uri("ada+ops@example.com", RFC_SECRET);
        assert_eq!(
            uri,
            "otpauth://totp/Ops%20Intel:ada%2Bops%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Ops%20Intel&algorithm=SHA1&digits=6&period=30"
        );
        let url = qr_code_data_url(&uri).unwrap();
        let svg = STANDARD
            .decode(url.strip_prefix("data:image/svg+xml;base64,").unwrap())
            .unwrap();
        assert!(String::from_utf8(svg).unwrap().contains("<svg"));
    }
}
