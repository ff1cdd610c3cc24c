use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;

use crate::components::problem::set_status;

/// Shown for any address that is not a page, with HTTP status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    set_status(http::StatusCode::NOT_FOUND);
    view! {
        <Title text="Page not found · Ops Intel"/>
        <Meta name="robots" content="noindex"/>
        <section class="container narrow">
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
            <p><A href="/">"Go to the home page"</A></p>
        </section>
    }
}
