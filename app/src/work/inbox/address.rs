//! The inbox's addresses. An organisation receives at `<local part>@<receiving domain>`; each
//! thread's answers go out with the reply address `<local part>+<thread token>@<domain>`, so a
//! customer's answer finds its thread even when their mail program drops the threading headers.

/// One recipient of an inbound email, when it is on our receiving domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    /// The organisation's address, lower case.
    pub local_part: String,
    /// The thread a reply address names.
    pub thread_token: Option<String>,
}

impl Recipient {
    /// `address` as one of ours on `domain`, or `None` (another domain, or no address at all).
    pub fn parse(address: &str, domain: &str) -> Option<Recipient> {
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, at) = address.rsplit_once('@')?;
        if !at.eq_ignore_ascii_case(domain) || local.is_empty() {
            return None;
        }
        let local = local.to_ascii_lowercase();
        let (base, token) = match local.split_once('+') {
            Some((base, token)) => (base, Some(token)),
            None => (local.as_str(), None),
        };
        let plain = |s: &str, extra: char| {
            !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == extra)
        };
        if !plain(base, '-') || base.len() > 41 {
            return None;
        }
        Some(Recipient {
            local_part: base.to_string(),
            thread_token: token
                .filter(|t| plain(t, '-') && t.len() <= 64)
                .map(str::to_string),
        })
    }
}

/// The organisation's receiving address.
pub fn inbound_address(local_part: &str, domain: &str) -> String {
    format!("{local_part}@{domain}")
}

/// The reply address of one thread.
pub fn reply_address(local_part: &str, thread_token: &str, domain: &str) -> String {
    format!("{local_part}+{thread_token}@{domain}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_our_domain_is_ours_and_a_plus_names_the_thread() {
        let d = "in.example";
        assert_eq!(
            Recipient::parse("Acme-1a2b3c4d@IN.example", d),
            Some(Recipient {
                local_part: "acme-1a2b3c4d".into(),
                thread_token: None
            })
        );
        assert_eq!(
            Recipient::parse("<acme-1a2b3c4d+0f0e0d0c0b0a0908@in.example>", d),
            Some(Recipient {
                local_part: "acme-1a2b3c4d".into(),
                thread_token: Some("0f0e0d0c0b0a0908".into())
            })
        );
        for other in [
            "acme@elsewhere.example",
            "no-at-sign",
            "@in.example",
            "a b@in.example",
            "x'--@in.example",
        ] {
            assert_eq!(Recipient::parse(other, d), None, "{other}");
        }
        assert_eq!(
            Recipient::parse("acme+bad token@in.example", d)
                .unwrap()
                .thread_token,
            None
        );
        let reply = reply_address("acme-1a2b3c4d", "0f0e0d0c0b0a0908", d);
        assert_eq!(
            Recipient::parse(&reply, d).unwrap().thread_token.as_deref(),
            Some("0f0e0d0c0b0a0908")
        );
    }
}
