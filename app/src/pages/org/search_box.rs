//! The search box in the organisation's header: businesses, issues and conversations as you
//! type. `/` focuses it from anywhere on the page, the arrows move through the results, Enter
//! opens one and Escape closes them.

use leptos::{ev::KeyboardEvent, prelude::*};
use leptos_router::hooks::use_navigate;

use crate::work::search::{search_organisation, Hit, SearchForm};

/// Whether a key press is typing into a field (where `/` and `?` are text, not shortcuts).
pub fn typing(ev: &KeyboardEvent) -> bool {
    use leptos::wasm_bindgen::JsCast as _;
    ev.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|e| {
            matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || e.get_attribute("contenteditable").is_some()
        })
}

#[component]
pub fn SearchBox(slug: String) -> impl IntoView {
    let q = RwSignal::new(String::new());
    let active = RwSignal::new(0usize);
    let input = NodeRef::<leptos::html::Input>::new();
    let slug = StoredValue::new(slug);
    // What the box says while it asks, and when it found nothing.
    let state = RwSignal::new("");
    let hits = LocalResource::new(move || {
        let q = q.get();
        async move {
            if q.trim().chars().count() < 2 {
                state.set("");
                return Vec::new();
            }
            state.set("Searching…");
            let found = search_organisation(slug.get_value(), SearchForm { q })
                .await
                .unwrap_or_default();
            state.set(if found.is_empty() {
                "Nothing found"
            } else {
                ""
            });
            found
        }
    });
    // The box may be gone when a late answer or key press reaches it (the person moved on):
    // then it has no results.
    let results = move || hits.try_get().flatten().unwrap_or_default();
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "/" && !typing(&ev) {
            ev.prevent_default();
            if let Some(i) = input.get() {
                let _ = i.focus();
            }
        }
    });
    on_cleanup(move || keys.remove());
    let navigate = use_navigate();
    let open = StoredValue::new(move |hit: &Hit| {
        navigate(&hit.link, Default::default());
        q.set(String::new());
    });
    let on_key = move |ev: KeyboardEvent| {
        let n = results().len();
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                active.update(|a| *a = (*a + 1) % n);
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                active.update(|a| *a = (*a + n - 1) % n);
            }
            "Enter" => {
                if let Some(hit) = results().get(active.get()) {
                    ev.prevent_default();
                    open.with_value(|open| open(hit));
                }
            }
            "Escape" => {
                q.set(String::new());
                state.set("");
            }
            _ => {}
        }
    };
    view! {
        <div class="org-search" role="search" aria-label="This organisation">
            <label for="org-search" class="visually-hidden">"Search businesses, issues and conversations"</label>
            <input id="org-search" type="search" autocomplete="off" placeholder="Search (press /)"
                role="combobox" aria-controls="org-search-results" aria-autocomplete="list"
                aria-expanded=move || (!results().is_empty()).to_string()
                aria-activedescendant=move || (!results().is_empty()).then(|| format!("hit-{}", active.get()))
                aria-busy=move || (state.get() == "Searching…").then_some("true")
                node_ref=input prop:value=q
                on:input=move |ev| { q.set(event_target_value(&ev)); active.set(0); }
                on:keydown=on_key/>
            <ul id="org-search-results" role="listbox" aria-label="Results" class="search-results"
                hidden=move || results().is_empty()>
                {move || results().into_iter().enumerate().map(|(i, hit)| {
                    let label = hit.label.clone();
                    view! {
                        // An option holds no link of its own (a listbox's options are not
                        // nested controls): a click opens it as Enter does.
                        <li id=format!("hit-{i}") role="option" aria-selected=move || (active.get() == i).to_string()
                            on:click=move |_| open.with_value(|open| open(&hit))>
                            <span class="muted">{hit.kind.label()}</span> " " {label}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="search-results search-state muted" role="status" hidden=move || state.get().is_empty()>
                {move || state.get()}
            </p>
        </div>
    }
}

/// The keyboard shortcuts, listed when `?` is pressed outside a field; Escape or the button
/// closes the list.
#[component]
pub fn Shortcuts() -> impl IntoView {
    let shown = RwSignal::new(false);
    let keys = window_event_listener(leptos::ev::keydown, move |ev| match ev.key().as_str() {
        "?" if !typing(&ev) => shown.update(|s| *s = !*s),
        "Escape" => shown.set(false),
        _ => {}
    });
    on_cleanup(move || keys.remove());
    view! {
        <Show when=move || shown.get()>
            <div class="shortcuts" role="dialog" aria-modal="false" aria-labelledby="shortcuts-title">
                <h2 id="shortcuts-title">"Keyboard shortcuts"</h2>
                <dl>
                    <dt><kbd>"/"</kbd></dt><dd>"Search businesses, issues and conversations"</dd>
                    <dt><kbd>"↑"</kbd> " " <kbd>"↓"</kbd> " " <kbd>"Enter"</kbd></dt><dd>"Choose a search result and open it"</dd>
                    <dt><kbd>"Esc"</kbd></dt><dd>"Close the results, or this list"</dd>
                    <dt><kbd>"?"</kbd></dt><dd>"Show or hide this list"</dd>
                </dl>
                <button type="button" class="button" on:click=move |_| shown.set(false)>"Close"</button>
            </div>
        </Show>
    }
}
