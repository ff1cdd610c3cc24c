//! The browser entry point: hydrates the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy pages load their code before hydrating; `hydrate_body` cannot wait for them.
    leptos::mount::hydrate_lazy(app::App);
}
