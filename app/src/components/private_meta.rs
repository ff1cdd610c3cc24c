//! The head of a page that is not for search engines: accounts, organisations, invitations.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

/// The page's title, and a request that search engines leave it out.
#[component]
pub fn PrivateMeta(title: &'static str) -> impl IntoView {
    view! {
        <Title text=format!("{title} · Ops Intel")/>
        <Meta name="robots" content="noindex"/>
    }
}
