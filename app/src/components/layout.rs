use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_location};

use crate::auth::{client::signed_in_name, functions::SignOut};

/// The frame of every public page: a skip link, the header with navigation, the main landmark
/// and the footer.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // Once the page is live (its code loaded and hydrated: effects run after), the document
    // says so, for whatever must not act on a page before then (the browser tests).
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "");
        }
    });
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="container header-row">
                <A href="/" attr:class="brand" attr:aria-label="Ops Intel home">
                    <span class="brand-mark" aria-hidden="true">"◆"</span>
                    <span>"Ops Intel"</span>
                </A>
                <nav aria-label="Main">
                    <ul class="nav-list">
                        <li><A href="/pricing">"Pricing"</A></li>
                        <li><A href="/security">"Security"</A></li>
                        <li><A href="/o">"Organisations"</A></li>
                        <SignedIn/>
                    </ul>
                </nav>
            </div>
        </header>
        <main id="main" tabindex="-1">{children()}</main>
        <footer class="site-footer">
            <div class="container footer-row">
                <p>"© Ops Intel. Operations, in one place."</p>
                <nav aria-label="Legal">
                    <ul class="nav-list">
                        <li><A href="/security">"Security"</A></li>
                        <li><A href="/privacy">"Privacy"</A></li>
                        <li><A href="/terms">"Terms"</A></li>
                        <li><a href="/.well-known/security.txt">"security.txt"</a></li>
                    </ul>
                </nav>
            </div>
        </footer>
    }
}

/// Who is signed in, with a way to sign out; "Sign in" for a visitor. Asked from the browser
/// (the public pages are the same for everyone), again after each move to another page, since
/// signing in or out moves to one.
#[component]
fn SignedIn() -> impl IntoView {
    let path = use_location().pathname;
    let who = LocalResource::new(move || {
        path.track();
        signed_in_name()
    });
    let sign_in = || view! { <li><A href="/sign-in">"Sign in"</A></li> };
    view! {
        <Transition fallback=sign_in>
            {move || Suspend::new(async move {
                match who.await {
                    Some(name) => view! {
                        <li><A href="/account" attr:data-testid="signed-in-as" attr:title="Your account">{name}</A></li>
                        <li><SignOutButton/></li>
                    }.into_any(),
                    None => sign_in().into_any(),
                }
            })}
        </Transition>
    }
}

/// Signs out, then loads the home page afresh: nothing of the session stays in the page. A
/// button, not a form: the call needs the session's token, which only the page's code sends.
#[component]
fn SignOutButton() -> impl IntoView {
    let action = ServerAction::<SignOut>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            let _ = window().location().set_href("/");
        }
    });
    view! {
        <button
            type="button"
            class="link-button"
            disabled=move || action.pending().get()
            on:click=move |_| {
                action.dispatch(SignOut {});
            }
        >
            "Sign out"
        </button>
    }
}
