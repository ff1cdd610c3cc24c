//! A text box that completes `@` mentions of the organisation's members: typing `@` and the
//! start of a name lists the members it could be (arrows to move, Enter or Tab to choose,
//! Escape to close), and choosing one writes their whole name, which is what the server
//! recognises as a mention ([`crate::work::notifications::mentions`]).

use leptos::{html::Textarea, prelude::*};

use super::choices::ChoicesResource;

/// The most members listed at once.
const LISTED: usize = 6;

/// The `@` mention being typed just before `caret` (a byte index): where its `@` is and what
/// follows it. None unless the `@` starts a word and what follows is on the same line, short.
pub fn mention_at(text: &str, caret: usize) -> Option<(usize, &str)> {
    let before = text.get(..caret)?;
    let at = before.rfind('@')?;
    let typed = &before[at + 1..];
    let starts_word = before[..at]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace);
    (starts_word && typed.chars().count() <= 30 && !typed.contains(['\n', '@']))
        .then_some((at, typed))
}

/// The members whose name, or a word of it, starts with `typed` (any case), best first.
pub fn matching<'a>(names: &'a [String], typed: &str) -> Vec<&'a str> {
    let typed = typed.to_lowercase();
    let typed = typed.trim_start();
    let mut found: Vec<(bool, &str)> = names
        .iter()
        .filter_map(|name| {
            let lower = name.to_lowercase();
            let whole = lower.starts_with(typed);
            (whole || lower.split_whitespace().any(|w| w.starts_with(typed)))
                .then_some((!whole, name.as_str()))
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, n)| n).take(LISTED).collect()
}

/// `text` with the mention typed from `at` to `caret` replaced by `@name `, and the caret
/// after it (byte indices).
pub fn complete(text: &str, at: usize, caret: usize, name: &str) -> (String, usize) {
    let inserted = format!("@{name} ");
    let rest = text[caret..].strip_prefix(' ').unwrap_or(&text[caret..]);
    (
        format!("{}{inserted}{rest}", &text[..at]),
        at + inserted.len(),
    )
}

/// A browser's caret is counted in UTF-16 units; these convert it to and from byte indices.
fn byte_index(text: &str, utf16: u32) -> usize {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        if units >= utf16 as usize {
            return i;
        }
        units += c.len_utf16();
    }
    text.len()
}

fn utf16_index(text: &str, byte: usize) -> u32 {
    text[..byte.min(text.len())].encode_utf16().count() as u32
}

/// A `<textarea>` named `name` with mention completion over the members in `choices`. Its text
/// is cleared whenever `cleared` changes (after the comment was sent).
#[component]
pub fn MentionBox(
    choices: ChoicesResource,
    #[prop(into)] id: String,
    name: &'static str,
    #[prop(into)] cleared: Signal<usize>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    // Where the mention being typed starts, and what has been typed of it.
    let typing = RwSignal::new(None::<(usize, usize)>);
    let active = RwSignal::new(0usize);
    let closed = RwSignal::new(false);
    let area = NodeRef::<Textarea>::new();
    Effect::new(move |seen: Option<usize>| {
        let now = cleared.get();
        if seen.is_some_and(|s| s != now) {
            text.set(String::new());
            typing.set(None);
        }
        now
    });
    let names = move || {
        choices
            .get()
            .and_then(Result::ok)
            .map(|c| c.members.into_iter().map(|m| m.name).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let options = Memo::new(move |_| {
        let Some((at, caret)) = typing.get() else {
            return Vec::new();
        };
        if closed.get() {
            return Vec::new();
        }
        let all = names();
        text.with(|t| {
            let typed = t.get(at + 1..caret).unwrap_or_default();
            matching(&all, typed)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
    });
    let look = move || {
        let Some(el) = area.get() else { return };
        let value = el.value();
        let caret = el
            .selection_start()
            .ok()
            .flatten()
            .map_or(value.len(), |c| byte_index(&value, c));
        typing.set(mention_at(&value, caret).map(|(at, _)| (at, caret)));
        text.set(value);
        active.set(0);
    };
    let choose = move |name: String| {
        let (Some((at, caret)), Some(el)) = (typing.get_untracked(), area.get()) else {
            return;
        };
        let (value, after) = text.with_untracked(|t| complete(t, at, caret, &name));
        el.set_value(&value);
        let caret = utf16_index(&value, after);
        let _ = el.set_selection_range(caret, caret);
        let _ = el.focus();
        text.set(value);
        typing.set(None);
    };
    let list_id = format!("{id}-mentions");
    let option_id = move |i: usize| format!("{}-{i}", list_id.clone());
    let option_id_for_aria = option_id.clone();
    let open = move || !options.with(Vec::is_empty);
    let keys = move |ev: leptos::ev::KeyboardEvent| {
        if !open() {
            return;
        }
        let count = options.with(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" => active.update(|a| *a = (*a + 1) % count),
            "ArrowUp" => active.update(|a| *a = (*a + count - 1) % count),
            "Enter" | "Tab" => {
                if let Some(name) = options.with(|o| o.get(active.get_untracked()).cloned()) {
                    choose(name);
                }
            }
            "Escape" => closed.set(true),
            _ => return,
        }
        ev.prevent_default();
    };
    let list_id = format!("{id}-mentions");
    view! {
        <div class="mention-box">
            <textarea id=id name=name rows="3" required node_ref=area
                aria-autocomplete="list" aria-controls=list_id.clone()
                aria-activedescendant=move || open().then(|| option_id_for_aria(active.get()))
                prop:value=move || text.get()
                on:input=move |_| { closed.set(false); look(); }
                on:click=move |_| look()
                on:keydown=keys
                on:blur=move |_| typing.set(None)></textarea>
            <ul id=list_id role="listbox" class="mention-options" aria-label="Members to mention"
                hidden=move || !open()>
                {move || options.get().into_iter().enumerate().map(|(i, name)| {
                    let picked = name.clone();
                    view! {
                        <li id=option_id(i) role="option"
                            aria-selected=move || if active.get() == i { "true" } else { "false" }
                            on:mousedown=move |ev| { ev.prevent_default(); choose(picked.clone()); }>
                            {name}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mention_is_an_at_sign_starting_a_word_before_the_caret() {
        let t = "Thanks @ro";
        assert_eq!(mention_at(t, t.len()), Some((7, "ro")));
        assert_eq!(mention_at("@", 1), Some((0, "")));
        assert_eq!(mention_at("mail me@example", 15), None);
        assert_eq!(mention_at("@robin\nnext", 11), None);
        assert_eq!(mention_at("@Robin Ex", 9), Some((0, "Robin Ex")));
        assert_eq!(mention_at("no mention", 10), None);
        assert_eq!(mention_at("@ro", 99), None);
    }

    #[test]
    fn members_match_by_their_name_or_a_word_of_it() {
        let names: Vec<String> = ["Robin Example", "Sam Roberts", "Alex Smith"]
            .map(String::from)
            .into();
        assert_eq!(matching(&names, "ro"), vec!["Robin Example", "Sam Roberts"]);
        assert_eq!(matching(&names, "SM"), vec!["Alex Smith"]);
        assert_eq!(
            matching(&names, ""),
            vec!["Alex Smith", "Robin Example", "Sam Roberts"]
        );
        assert!(matching(&names, "zz").is_empty());
    }

    #[test]
    fn choosing_writes_the_whole_name_and_moves_the_caret_after_it() {
        let t = "Hi @ro can you";
        let (text, caret) = complete(t, 3, 6, "Robin Example");
        assert_eq!(text, "Hi @Robin Example can you");
        assert_eq!(&text[..caret], "Hi @Robin Example ");
        let (text, caret) = complete("@", 0, 1, "Sam");
        assert_eq!((text.as_str(), caret), ("@Sam ", 5));
    }

    #[test]
    fn carets_count_utf16_units() {
        let t = "Café 😀 @ro";
        let caret = utf16_index(t, t.len());
        assert_eq!(byte_index(t, caret), t.len());
        assert_eq!(byte_index(t, 5), "Café ".len());
    }
}
