//! Hostile email HTML made safe to show: ammonia keeps only harmless markup (no scripts, event
//! attributes, styles, forms, frames or `<meta>`), only http, https and mailto links (opening
//! with `rel="noopener noreferrer"`), and remote images only when the reader asks for them, so a
//! tracking pixel learns nothing by default. The page's CSP (no `unsafe-inline`) stands behind it.

use std::{
    borrow::Cow,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use ammonia::Builder;

/// Sanitised HTML, and how many remote images were held back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sanitised {
    pub html: String,
    pub blocked_images: usize,
}

pub fn sanitise(html: &str, show_images: bool) -> Sanitised {
    let blocked = Arc::new(AtomicUsize::new(0));
    let counter = blocked.clone();
    let mut builder = Builder::default();
    builder
        .link_rel(Some("noopener noreferrer"))
        .set_tag_attribute_value("a", "target", "_blank")
        .url_schemes(["http", "https", "mailto"].into())
        .url_relative(ammonia::UrlRelative::Deny)
        .attribute_filter(move |element, attribute, value| {
            if element == "img" && attribute == "src" {
                let remote = value.starts_with("http://") || value.starts_with("https://");
                if !remote {
                    // cid: and data: parts are not served: nothing to show.
                    return None;
                }
                if !show_images {
                    counter.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
                if value.starts_with("http://") {
                    // Shown only over https: the page is never mixed content.
                    counter.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
            }
            Some(Cow::Borrowed(value))
        });
    if !show_images {
        // What is left of a held-back image shows nothing: to a screen reader it is decorative.
        builder.set_tag_attribute_value("img", "alt", "");
    }
    let html = builder.clean(html).to_string();
    Sanitised {
        html,
        blocked_images: blocked.load(Ordering::Relaxed),
    }
}

/// The words of an HTML-only message as plain text: every tag gone, line breaks kept where
/// paragraphs and breaks were, entities read.
pub fn text_of(html: &str) -> String {
    let mut marked = String::with_capacity(html.len());
    let lower = html.to_ascii_lowercase();
    let mut last = 0;
    for (at, _) in lower.match_indices('<') {
        let rest = &lower[at..];
        if ["<br", "</p", "</div", "</li", "</tr", "</h"]
            .iter()
            .any(|t| rest.starts_with(t))
        {
            marked.push_str(&html[last..at]);
            marked.push('\n');
            last = at;
        }
    }
    marked.push_str(&html[last..]);
    let bare = Builder::empty()
        .clean_content_tags(["script", "style", "title", "head"].into())
        .clean(&marked)
        .to_string();
    let text = bare
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    text.lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_html_message_reads_as_text() {
        assert_eq!(
            text_of("<p>Hello&nbsp;there,</p><p>The <b>soup</b> &amp; bread<br>were cold.<script>alert(1)</script></p>"),
            "Hello there,\nThe soup & bread\nwere cold."
        );
    }

    const HOSTILE: &str = r#"<html><head><meta http-equiv="refresh" content="0;url=https://evil.example/">
        <style>body { background: url(javascript:alert(1)) }</style>
        <script>alert('script tag')</script></head>
        <body onload="alert('body')">
        <p style="width: expression(alert('css'))" onclick="alert('click')">Hello <b>there</b></p>
        <a href="javascript:alert('link')">click me</a>
        <a href="JaVaScRiPt:alert('case')">case</a>
        <a href="https://shop.example/order">your order</a>
        <img src="https://tracker.example/pixel.gif" onerror="alert('img')" alt="pixel">
        <img src="http://plain.example/logo.png">
        <iframe src="https://evil.example/"></iframe>
        <form action="https://evil.example/"><input name="password"></form>
        <svg><script>alert('svg')</script></svg>
        <object data="x.swf"></object><embed src="x.swf">
        <base href="https://evil.example/">
        </body></html>"#;

    #[test]
    fn nothing_that_runs_or_redirects_survives() {
        for show in [false, true] {
            let out = sanitise(HOSTILE, show).html.to_lowercase();
            for banned in [
                "<script",
                "alert(",
                "onload",
                "onclick",
                "onerror",
                "javascript:",
                "expression(",
                "style=",
                "<style",
                "<meta",
                "refresh",
                "<iframe",
                "<form",
                "<input",
                "<svg",
                "<object",
                "<embed",
                "<base",
            ] {
                assert!(
                    !out.contains(banned),
                    "{banned} survived (images shown: {show}): {out}"
                );
            }
            assert!(out.contains("hello <b>there</b>"), "{out}");
            assert!(
                out.contains(r#"<a href="https://shop.example/order" target="_blank" rel="noopener noreferrer">"#),
                "{out}"
            );
            // A link that was a script is kept as text, with nowhere to go.
            assert!(
                out.contains(r#"<a target="_blank" rel="noopener noreferrer">click me</a>"#),
                "{out}"
            );
        }
    }

    #[test]
    fn remote_images_are_held_back_until_asked_for_and_never_over_http() {
        let hidden = sanitise(HOSTILE, false);
        assert!(!hidden.html.contains("tracker.example"));
        assert_eq!(
            hidden.html.matches("<img alt=\"\">").count(),
            2,
            "{}",
            hidden.html
        );
        assert_eq!(hidden.blocked_images, 2);
        let shown = sanitise(HOSTILE, true);
        assert!(
            shown
                .html
                .contains(r#"src="https://tracker.example/pixel.gif""#),
            "{}",
            shown.html
        );
        assert!(!shown.html.contains("plain.example"));
        assert_eq!(shown.blocked_images, 1);
    }
}
