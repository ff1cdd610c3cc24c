//! `/dev/mailbox`: in development, the emails the app would have sent.

use leptos::prelude::*;

use crate::{auth::functions::dev_mailbox, components::private_meta::PrivateMeta};

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
                                        <EmailBody text=m.text_body/>
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

/// Plain text with its http(s) links made clickable; everything is rendered as text, never HTML.
#[component]
fn EmailBody(text: String) -> impl IntoView {
    let lines = text
        .lines()
        .map(|line| {
            let words = line
                .split(' ')
                .map(|w| {
                    if w.starts_with("http://") || w.starts_with("https://") {
                        view! { <a href=w.to_string()>{w.to_string()}</a>" " }.into_any()
                    } else {
                        view! { {format!("{w} ")} }.into_any()
                    }
                })
                .collect_view();
            view! { <span class="line">{words}</span><br/> }
        })
        .collect_view();
    view! { <p class="email-body">{lines}</p> }
}
