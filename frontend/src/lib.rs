//! The browser half: hydrates the server-rendered page.

/// Hydrates the page. Pages split off into their own part of the WASM
/// (`app::lazy_pages`) are fetched before they hydrate, so hydration is
/// asynchronous; `data-hydrated` marks its end.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body.clone(), app::App)
            .await
            .forget();
        // A marker for tests and support staff: the page is interactive now.
        let _ = body.set_attribute("data-hydrated", "");
    });
}
