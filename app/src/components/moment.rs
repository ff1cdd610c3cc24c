//! A time as people read it: "3 hours ago", with the exact time in their zone on hover (and for
//! screen readers, which read the title when asked). Both are made on the server; see
//! [`crate::domain::time_zone`].

use leptos::prelude::*;

use crate::domain::Moment;

#[component]
pub fn When(at: Moment) -> impl IntoView {
    view! { <time datetime=at.utc title=at.exact>{at.ago}</time> }
}
