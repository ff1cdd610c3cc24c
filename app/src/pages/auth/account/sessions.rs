//! The account page's list of places the user is signed in, each of which they can end.

use leptos::prelude::*;

use crate::{
    auth::{
        functions::{list_sessions, EndSession},
        SessionInfo,
    },
    components::{
        forms::{action_error, CsrfField, FormError},
        moment::When,
    },
};

#[component]
pub(super) fn SessionsList() -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let sessions = Resource::new(move || end.version().get(), |_| list_sessions());
    let error = action_error(end);
    view! {
        <h2>"Where you are signed in"</h2>
        <FormError error fields=&[]/>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match sessions.await {
                    Ok(list) => view! {
                        <ul class="sessions">
                            {list.into_iter().map(|s| view! { <SessionItem session=s end/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <p role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        <ActionForm action=end attr:class="stack">
            <CsrfField/>
            <input type="hidden" name="id" value="others"/>
            <button type="submit" class="button">"Sign out all other sessions"</button>
        </ActionForm>
    }
}

/// One sign-in; any but this browser's own can be ended from here.
#[component]
fn SessionItem(session: SessionInfo, end: ServerAction<EndSession>) -> impl IntoView {
    let s = session;
    view! {
        <li class="card" data-current=s.current.to_string()>
            <strong>{s.device}</strong>
            {s.current.then_some(view! { " " <span class="badge">"This device"</span> })}
            <p class="muted">{s.ip} " · last seen " <When at=s.last_seen/></p>
            {(!s.current).then(|| view! {
                <ActionForm action=end>
                    <CsrfField/>
                    <input type="hidden" name="id" value=s.id.clone()/>
                    <button type="submit" class="button">"Sign out this session"</button>
                </ActionForm>
            })}
        </li>
    }
}
