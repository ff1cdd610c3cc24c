//! Time zone fields: the browser's own zone (sent with sign-up, offered on the account page) and
//! a picker over the time zone database's zones.

use leptos::prelude::*;

use crate::{auth::time_zone::time_zones, error::AppError};

/// The zones to choose from, loaded once per page. Made where the page's other resources are
/// (never inside a `Suspend`, whose resources would hydrate out of order).
pub type ZonesResource = Resource<Result<Vec<String>, AppError>>;

pub fn zones_resource() -> ZonesResource {
    Resource::new(|| (), |_| time_zones())
}

/// The zone the browser is set to ("Europe/Paris"); empty on the server, and where the
/// browser does not say.
pub fn browser_time_zone() -> String {
    #[cfg(feature = "hydrate")]
    {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                .resolved_options();
        js_sys::Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|zone| zone.as_string())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// A hidden field that carries the browser's zone, filled in once the page runs.
#[component]
pub fn BrowserTimeZone(name: &'static str) -> impl IntoView {
    let zone = RwSignal::new(String::new());
    Effect::new(move |_| zone.set(browser_time_zone()));
    view! { <input type="hidden" name=name prop:value=zone/> }
}

/// A `<select>` over every zone, with `selected` chosen (listed first should the list not
/// have it).
#[component]
pub fn TimeZoneSelect(
    zones: ZonesResource,
    #[prop(into)] id: String,
    name: &'static str,
    #[prop(into)] selected: String,
) -> impl IntoView {
    let fallback = {
        let (id, selected) = (id.clone(), selected.clone());
        move || {
            view! {
                <select id=id.clone() name=name><option selected>{selected.clone()}</option></select>
            }
        }
    };
    view! {
        <Suspense fallback>
            {move || {
                let (id, selected) = (id.clone(), selected.clone());
                Suspend::new(async move {
                    let mut zones = zones.await.unwrap_or_default();
                    // A zone kept under an older or rarer name stays as it is until changed.
                    if !zones.contains(&selected) {
                        zones.insert(0, selected.clone());
                    }
                    view! {
                        <select id=id name=name>
                            {zones.into_iter().map(|z| {
                                let is = z == selected;
                                view! { <option selected=is>{z}</option> }
                            }).collect_view()}
                        </select>
                    }
                })
            }}
        </Suspense>
    }
}
