//! Panels whose data moves on the server (a lookup on Google Maps, an email being sent) ask
//! again every second while it does, so the page changes without a reload.

use std::time::Duration;

use leptos::prelude::*;

/// How often a panel asks again while its data is moving.
pub const POLL: Duration = Duration::from_secs(1);

/// Moves `tick` on after [`POLL`] whenever `waiting` says the panel's data is still moving.
pub fn poll_while(tick: RwSignal<u32>, waiting: impl Fn() -> bool + 'static) {
    Effect::new(move |_| {
        if waiting() {
            // The panel may be gone by then (the person moved on): then nothing happens.
            set_timeout(
                move || {
                    let _ = tick.try_update(|t| *t = t.wrapping_add(1));
                },
                POLL,
            );
        }
    });
}
