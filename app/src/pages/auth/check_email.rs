//! `/check-email`: where sign-up and a password reset request lead.

use leptos::prelude::*;
use leptos_router::{components::A, hooks::use_query_map};

use crate::components::private_meta::PrivateMeta;

/// Says the same whether or not the address has an account, as the server functions do.
#[component]
pub fn CheckEmailPage() -> impl IntoView {
    view! {
        <PrivateMeta title="Check your email"/>
        <section class="container narrow">
            <h1>"Check your email"</h1>
            <Show
                when=move || use_query_map().read().get("reset").is_some()
                fallback=|| view! {
                    <p>"If the address you gave can receive a new account, we have sent it a link to \
                        confirm it. The link expires in 24 hours."</p>
                }
            >
                <p>"If the address you gave has an account, we have sent it a link to choose a new \
                    password. The link expires in an hour."</p>
            </Show>
            <p><A href="/sign-in">"Sign in"</A></p>
        </section>
    }
}
