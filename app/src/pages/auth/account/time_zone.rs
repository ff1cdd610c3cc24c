//! The person's time zone, in which they are shown every time.

use leptos::prelude::*;

use crate::{
    auth::time_zone::{my_time_zone, SetTimeZone},
    components::{
        forms::{action_error, CsrfField, FormError, Submit},
        time_zone::{browser_time_zone, zones_resource, TimeZoneSelect},
    },
};

#[component]
pub fn TimeZoneSettings() -> impl IntoView {
    let set = ServerAction::<SetTimeZone>::new();
    let error = action_error(set);
    let current = Resource::new(move || set.version().get(), |_| my_time_zone());
    let zones = zones_resource();
    let browser = RwSignal::new(String::new());
    Effect::new(move |_| browser.set(browser_time_zone()));
    let saved = move || matches!(set.value().get(), Some(Ok(())));
    view! {
        <h2 id="time-zone">"Time zone"</h2>
        <p>"Every time is shown to you in this zone."</p>
        <Transition fallback=|| view! { <p aria-busy="true">"Loading…"</p> }>
            {move || Suspend::new(async move {
                current.await.ok().map(|zone| {
                    let differs = {
                        let zone = zone.clone();
                        move || {
                            let b = browser.get();
                            (!b.is_empty() && b != zone).then(|| view! {
                                <p class="muted" data-testid="browser-zone">{format!("This browser is set to {b}.")}</p>
                            })
                        }
                    };
                    view! {
                        <ActionForm action=set attr:class="inline">
                            <CsrfField/>
                            <label for="time-zone-select">"Your time zone"</label>
                            <TimeZoneSelect zones id="time-zone-select" name="form[time_zone]" selected=zone/>
                            <Submit pending=set.pending() label="Save"/>
                        </ActionForm>
                        {differs}
                    }
                })
            })}
        </Transition>
        <Show when=saved>
            <p role="status">"Time zone saved."</p>
        </Show>
        <FormError error fields=&[]/>
    }
}
