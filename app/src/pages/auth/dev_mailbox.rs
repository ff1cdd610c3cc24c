//! `/dev/mailbox`: in development, the emails the app would have sent.

use leptos::prelude::*;

use crate::{
    auth::functions::dev_mailbox,
    components::{linked_text::LinkedText, private_meta::PrivateMeta},
};

/// Development only: the emails the app would have sent, with their links.
#[component]
pub fn DevMailboxPage() -> impl IntoView {
    let emails = Resource::new(|| (), |_| dev_mailbox());
    view! {
        <PrivateMeta title="Development mailbox"/>
        <section class="container">
            <h1>"Development mailbox"</h1>
            <p class="muted">"Emails are kept here instead of being sent, because no SendGrid key is configured."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match emails.await {
                        Ok(list) if list.is_empty() => view! { <p>"No emails yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ol class="mailbox">
                                {list.into_iter().map(|m| view! {
                                    <li class="card">
                                        <h2>{m.subject}</h2>
                                        <p class="muted">"To " {m.to} " · " {m.created_at}</p>
                                        <LinkedText class="email-body" text=m.text_body/>
                                    </li>
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                        Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
