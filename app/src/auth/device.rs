//! Naming the device behind a sign-in, for the list of places a user is signed in.

/// "Firefox on Windows" from a User-Agent string: enough to recognise a device, no more.
pub fn describe_device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return "Unknown device".into();
    };
    // Order matters: Edge's string also names Chrome and Safari, and Chrome's names Safari.
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("Windows", "Windows"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} on {o}"),
        (Some(b), None) => b.to_string(),
        (None, Some(o)) => o.to_string(),
        (None, None) => "Unknown device".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_described_briefly() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36";
        assert_eq!(describe_device(Some(chrome)), "Chrome on Linux");
        assert_eq!(describe_device(Some("curl/8.0")), "Unknown device");
        assert_eq!(describe_device(None), "Unknown device");
    }
}
