use leptos::prelude::*;
use leptos_router::components::A;

/// The frame of every public page: a skip link, the header with navigation, the main landmark
/// and the footer.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
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
                        <li><A href="/sign-in">"Sign in"</A></li>
                        <li><A href="/account">"Account"</A></li>
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
