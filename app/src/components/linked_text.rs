//! Text that people wrote (comments, emails), shown as text with its web links clickable.

use leptos::prelude::*;

/// `text` with its line breaks kept and each `http(s)://` word a link; everything is rendered as
/// text, never as HTML, so nothing in it can run or restyle the page.
#[component]
pub fn LinkedText(text: String, class: &'static str) -> impl IntoView {
    let lines = text
        .lines()
        .map(|line| {
            let words = line
                .split(' ')
                .map(|w| {
                    if is_link(w) {
                        view! { <a href=w.to_string() rel="noopener noreferrer nofollow">{w.to_string()}</a>" " }.into_any()
                    } else {
                        view! { {format!("{w} ")} }.into_any()
                    }
                })
                .collect_view();
            view! { {words}<br/> }
        })
        .collect_view();
    view! { <p class=class>{lines}</p> }
}

/// A word that is a whole web address, not just its scheme.
fn is_link(word: &str) -> bool {
    ["https://", "http://"]
        .iter()
        .any(|scheme| word.len() > scheme.len() && word.starts_with(scheme))
}

#[cfg(test)]
mod tests {
    use super::is_link;

    #[test]
    fn only_whole_web_addresses_become_links() {
        assert!(is_link("https://example.com/a?b=c"));
        assert!(is_link("http://x"));
        assert!(!is_link("https://"));
        assert!(!is_link("javascript:alert(1)"));
        assert!(!is_link("ftp://example.com"));
    }
}
