//! The browser side of CSRF protection: every server function call carries the session's token
//! in the `x-csrf-token` header, so no call can forget it. A page rendered without one (the
//! public pages are the same for everyone) asks the server for the session's token first.

use std::{cell::RefCell, future::Future};

use futures::{Sink, Stream};
use leptos::server_fn::{
    client::{browser::BrowserClient, Client},
    error::FromServerFnError,
    request::{browser::BrowserRequest, ClientReq},
    response::{browser::BrowserResponse, ClientRes},
    Bytes,
};

thread_local! {
    static TOKEN: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Called when the page starts, with the token the server rendered into it.
pub fn remember_token(token: &str) {
    TOKEN.with(|t| *t.borrow_mut() = token.to_string());
}

/// The token the browser holds now: newer than the page's own after a sign-in on this page.
/// Browser only: on the server one thread renders many requests' pages.
#[cfg(target_arch = "wasm32")]
pub fn current_token() -> String {
    TOKEN.with(|t| t.borrow().clone())
}

/// Gives the forms already on the page the replaced token, so their hidden field agrees with
/// the header (a hidden input's value is its `value` attribute).
fn update_form_fields(token: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(document) = web_sys::window().and_then(|w| w.document()) {
        let inputs = document.get_elements_by_tag_name("input");
        for i in 0..inputs.length() {
            if let Some(input) = inputs.item(i) {
                if input.get_attribute("name").as_deref() == Some(crate::auth::CSRF_FIELD) {
                    let _ = input.set_attribute("value", token);
                }
            }
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = token;
}

/// Asks the server for the session's token (starting a session if there is none). Without it
/// the call that follows is refused with a message to reload, which is what the user then sees.
async fn fetch_token<E, IS, OS>()
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    let Ok(request) = <BrowserRequest as ClientReq<E>>::try_new_get(
        crate::auth::CSRF_TOKEN_PATH,
        "text/plain",
        "text/plain",
        "",
    ) else {
        return;
    };
    let Ok(response) = <BrowserClient as Client<E, IS, OS>>::send(request).await else {
        return;
    };
    if <BrowserResponse as ClientRes<E>>::status(&response) == 200 {
        if let Ok(token) = <BrowserResponse as ClientRes<E>>::try_into_string(response).await {
            remember_token(token.trim());
            update_form_fields(token.trim());
        }
    }
}

/// Who is signed in, as the server answers at [`crate::auth::WHO_PATH`]: their name, or `None`
/// when nobody is (or the answer could not be had). A plain `GET` with no token, so asking
/// starts no session.
pub async fn signed_in_name() -> Option<String> {
    #[cfg(target_arch = "wasm32")]
    {
        use crate::error::AppError as E;
        let request = <BrowserRequest as ClientReq<E>>::try_new_get(
            crate::auth::WHO_PATH,
            "text/plain",
            "text/plain",
            "",
        )
        .ok()?;
        let response = <BrowserClient as Client<E, E, E>>::send(request)
            .await
            .ok()?;
        if <BrowserResponse as ClientRes<E>>::status(&response) != 200 {
            return None;
        }
        let name = <BrowserResponse as ClientRes<E>>::try_into_string(response)
            .await
            .ok()?;
        Some(name)
    }
    #[cfg(not(target_arch = "wasm32"))]
    None
}

/// The browser's fetch client, plus the CSRF header.
pub struct CsrfClient;

impl<E, IS, OS> Client<E, IS, OS> for CsrfClient
where
    E: FromServerFnError,
    IS: FromServerFnError,
    OS: FromServerFnError,
{
    type Request = BrowserRequest;
    type Response = BrowserResponse;

    async fn send(req: Self::Request) -> Result<Self::Response, E> {
        if TOKEN.with(|t| t.borrow().is_empty()) {
            fetch_token::<E, IS, OS>().await;
        }
        let token = TOKEN.with(|t| t.borrow().clone());
        if !token.is_empty() {
            req.headers().set("x-csrf-token", &token);
        }
        let response = <BrowserClient as Client<E, IS, OS>>::send(req).await?;
        // A sign-in replaces the session's token; its answer carries the new one.
        if let Some(token) = response.generate_headers().get("x-csrf-token") {
            if let Ok(token) = token.to_str() {
                remember_token(token);
                update_form_fields(token);
            }
        }
        Ok(response)
    }

    #[allow(clippy::type_complexity)]
    fn open_websocket(
        path: &str,
    ) -> impl Future<
        Output = Result<
            (
                impl Stream<Item = Result<Bytes, Bytes>> + Send + 'static,
                impl Sink<Bytes> + Send + 'static,
            ),
            E,
        >,
    > + Send {
        <BrowserClient as Client<E, IS, OS>>::open_websocket(path)
    }

    fn spawn(future: impl Future<Output = ()> + Send + 'static) {
        <BrowserClient as Client<E, IS, OS>>::spawn(future)
    }
}
