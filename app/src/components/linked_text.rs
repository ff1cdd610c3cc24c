//! Text that people wrote (comments, emails), shown as text with its web links clickable.

use leptos::prelude::*;
use linkify::{LinkFinder, LinkKind};

/// `text` with its line breaks kept and each web address in it a link; everything is rendered
/// as text, never as HTML, so nothing in it can run or restyle the page.
#[component]
pub fn LinkedText(text: String, class: &'static str) -> impl IntoView {
    let lines = text
        .lines()
        .map(|line| {
            let pieces = pieces(line)
                .into_iter()
                .map(|(link, s)| {
                    if link {
                        view! { <a href=s.to_string() rel="noopener noreferrer nofollow">{s.to_string()}</a> }.into_any()
                    } else {
                        s.to_string().into_any()
                    }
                })
                .collect_view();
            view! { {pieces}<br/> }
        })
        .collect_view();
    view! { <p class=class>{lines}</p> }
}

/// A line cut into text and web addresses (`true`), in order. Where an address ends is the
/// link finder's call: a full stop or closing bracket after it is the sentence's, not the
/// address's. Only `http` and `https` addresses become links.
fn pieces(line: &str) -> Vec<(bool, &str)> {
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url]);
    finder
        .spans(line)
        .map(|span| {
            let s = span.as_str();
            let web = span.kind() == Some(&LinkKind::Url)
                && ["https://", "http://"]
                    .iter()
                    .any(|scheme| s.len() > scheme.len() && s.starts_with(scheme));
            (web, s)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::pieces;

    fn links(line: &str) -> Vec<&str> {
        pieces(line)
            .into_iter()
            .filter_map(|(link, s)| link.then_some(s))
            .collect()
    }

    #[test]
    fn web_addresses_become_links_without_the_sentence_around_them() {
        assert_eq!(
            links("See https://example.com/a?b=c."),
            ["https://example.com/a?b=c"]
        );
        assert_eq!(
            links("(booked: http://x.example/job/42)"),
            ["http://x.example/job/42"]
        );
        assert_eq!(
            links("https://a.example, then https://b.example/path!"),
            ["https://a.example", "https://b.example/path"]
        );
        assert!(links("javascript:alert(1) ftp://example.com https:// mailto:a@b.co").is_empty());
    }

    #[test]
    fn the_pieces_are_the_whole_line() {
        let line = "Call (0113) then see https://example.com/x). Done";
        let joined: String = pieces(line).into_iter().map(|(_, s)| s).collect();
        assert_eq!(joined, line);
    }
}
