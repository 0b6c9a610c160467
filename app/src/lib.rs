//! The autoBank portal: pages, server functions and shared types.
//!
//! Everything here builds twice: with `ssr` for the server and with
//! `hydrate` for the browser. Server-only code lives in [`server`].
#![recursion_limit = "256"]

pub mod account;
pub mod auth;
pub mod components;
pub mod console;
pub mod domain;
pub mod error;
mod lazy_pages;
pub mod menu;
pub mod mfa;
pub mod portal;
pub mod routes;
pub mod text;
pub mod types;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(all(test, feature = "ssr"))]
mod parser_properties;

use leptos::prelude::*;
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};

/// The HTML document around the app, rendered on the server. The
/// stylesheet is linked here, by the name the build gave it (see
/// [`server::assets`]), so the browser may cache it for good.
#[cfg(feature = "ssr")]
pub fn shell() -> impl IntoView {
    // Not Leptos's own: it reads the hash file on every render.
    use server::assets::HydrationScripts;
    let stylesheet = server::assets::Assets::current().css.as_str();
    view! {
        <!DOCTYPE html>
        <html lang="ja">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                // One title for every page: no leptos_meta in the bundle.
                <title>{text::BRAND}</title>
                {auto_reload()}
                <link rel="stylesheet" id="leptos" href=stylesheet />
                <HydrationScripts />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// `cargo leptos watch`'s reload script, only under it (`LEPTOS_WATCH`):
/// looked up once, so that a page takes no copy of the options.
#[cfg(feature = "ssr")]
fn auto_reload() -> Option<impl IntoView> {
    static WATCHING: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if !*WATCHING.get_or_init(|| std::env::var_os("LEPTOS_WATCH").is_some()) {
        return None;
    }
    let state = use_context::<server::AppState>()?;
    Some(view! { <AutoReload options=state.leptos_options.clone() /> })
}

#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Routes fallback=components::NotFound>
                <Route path=path!("/") view=portal::PortalPage ssr=SsrMode::Async />
                <Route path=path!("/login") view=auth::LoginPage />
                <Route path=path!("/forgot") view=auth::ForgotPasswordPage />
                <Route path=path!("/menu") view={Lazy::<lazy_pages::Menu>::new()} ssr=SsrMode::Async />
                <Route path=path!("/menu/:feature") view=menu::NotBuiltPage />
                <Route path=path!("/search") view=menu::SearchPage />
                <Route path=path!("/login/code") view=mfa::CodePage />
                <Route path=path!("/login/recovery") view={Lazy::<lazy_pages::Recovery>::new()} />
                <Route path=path!("/mfa") view={Lazy::<lazy_pages::MfaSettings>::new()} ssr=SsrMode::Async />
                <Route path=path!("/mfa/setup") view={Lazy::<lazy_pages::MfaSetup>::new()} ssr=SsrMode::Async />
                <Route path=path!("/password") view={Lazy::<lazy_pages::Password>::new()} ssr=SsrMode::Async />
                <Route path=path!("/helpdesk") view={Lazy::<lazy_pages::Console>::new()} ssr=SsrMode::Async />
                <Route path=path!("/helpdesk/users/:login_id") view={Lazy::<lazy_pages::Account>::new()} ssr=SsrMode::Async />
                <Route path=path!("/admin/audit") view={Lazy::<lazy_pages::AuditTrail>::new()} ssr=SsrMode::Async />
                <Route path=path!("/admin/policy") view={Lazy::<lazy_pages::Policy>::new()} ssr=SsrMode::Async />
                <Route path=path!("/admin/notices") view={Lazy::<lazy_pages::Notices>::new()} ssr=SsrMode::Async />
                <Route path=path!("/admin/clients") view={Lazy::<lazy_pages::Clients>::new()} ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
