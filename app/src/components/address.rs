//! The page address: reading its query values and writing new ones.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The current address's query value for `key`, or empty.
pub fn query(key: &str) -> String {
    use_query_map().read().get(key).unwrap_or_default()
}

/// The current address's values for `keys`, in that order, leaving out empty ones.
pub fn current_pairs(keys: &[&str]) -> Vec<(String, String)> {
    let map = use_query_map().get_untracked();
    keys.iter()
        .filter_map(|k| {
            map.get(k)
                .filter(|v| !v.is_empty())
                .map(|v| (k.to_string(), v))
        })
        .collect()
}

/// `?k=v&…` (`?` alone when none is left) from the pairs whose value is not empty, every value percent-encoded.
pub fn query_string<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let joined = pairs
        .iter()
        .filter(|(_, v)| !v.as_ref().is_empty())
        .map(|(k, v)| format!("{}={}", k.as_ref(), percent_encode(v.as_ref())))
        .collect::<Vec<_>>()
        .join("&");
    format!("?{joined}")
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for data URLs and queries.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The current address's `filters` with `after` set: the next page of the same list.
pub fn next_page(filters: &[&str], after: &str) -> String {
    let mut pairs = current_pairs(filters);
    pairs.push(("after".into(), after.to_string()));
    query_string(&pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_leave_out_empty_values_and_encode_the_rest() {
        assert_eq!(query_string(&[("q", "a&b c"), ("tag", "")]), "?q=a%26b%20c");
        assert_eq!(query_string::<&str, &str>(&[]), "?");
        assert_eq!(percent_encode("é/~"), "%C3%A9%2F~");
    }
}
