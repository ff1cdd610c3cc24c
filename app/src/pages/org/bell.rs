//! The bell in the organisation's header: the caller's notifications here, how many are unread,
//! and marking them read. Loaded in the browser (the page is the same without it), and again
//! on each move to another page of the organisation.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::{
    components::forms::{CsrfField, Submit},
    work::notifications::{list_notifications, MarkRead, ReadForm},
};

#[component]
pub fn Bell(slug: String) -> impl IntoView {
    let form_slug = StoredValue::new(slug.clone());
    let read = ServerAction::<MarkRead>::new();
    let path = use_location().pathname;
    let list = {
        let slug = slug.clone();
        LocalResource::new(move || {
            path.track();
            read.version().get();
            list_notifications(slug.clone())
        })
    };
    // The bell may be gone when a late answer reaches it (the organisation was renamed and the
    // header drawn again): then it reads as nothing, not as an error.
    let listed = move || list.try_get().flatten();
    let unread = move || listed().and_then(|l| l.ok()).map_or(0, |l| l.unread);
    let open = move |id: i64| {
        read.dispatch(MarkRead {
            slug: slug.clone(),
            form: ReadForm { id: id.to_string() },
        });
    };
    let open = StoredValue::new(open);
    view! {
        <details class="bell" data-testid="bell">
            <summary class="button">
                "Notifications"
                {move || (unread() > 0).then(|| view! {
                    " " <span class="count" data-testid="unread">{unread()}<span class="visually-hidden">" unread"</span></span>
                })}
            </summary>
            <div class="bell-panel">
                {move || match listed() {
                    None => view! { <p aria-busy="true">"Loading…"</p> }.into_any(),
                    Some(Ok(l)) if l.items.is_empty() => view! {
                        <p class="empty">"Nothing yet. You will hear here when an issue is assigned to you, someone mentions you, or there is news on an issue you follow."</p>
                    }.into_any(),
                    Some(Ok(l)) => view! {
                        <ul class="notifications">
                            {l.items.into_iter().map(|n| {
                                let id = n.id;
                                view! {
                                    <li class:unread=!n.read>
                                        <a href=n.link on:click=move |_| open.with_value(|f| f(id))>{n.text}</a>
                                        <span class="muted"><crate::components::moment::When at=n.at/></span>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                        {(l.unread > 0).then(|| view! {
                            <ActionForm action=read attr:class="inline">
                                <CsrfField/>
                                <input type="hidden" name="slug" value=form_slug.get_value()/>
                                <input type="hidden" name="form[id]" value=""/>
                                <Submit pending=read.pending() label="Mark all read"/>
                            </ActionForm>
                        })}
                    }.into_any(),
                    Some(Err(_)) => view! { <p>"Notifications could not be loaded."</p> }.into_any(),
                }}
            </div>
        </details>
    }
}
