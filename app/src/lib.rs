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
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="ja">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/autobank.css" />
        <Title text=text::BRAND />
        <Router>
            <Routes fallback=components::NotFound>
                <Route path=path!("/") view=portal::PortalPage ssr=SsrMode::Async />
                <Route path=path!("/login") view=auth::LoginPage />
                <Route path=path!("/forgot") view=auth::ForgotPasswordPage />
                <Route path=path!("/menu") view=menu::MenuPage ssr=SsrMode::Async />
                <Route path=path!("/menu/:feature") view=menu::NotBuiltPage />
                <Route path=path!("/search") view=menu::SearchPage />
                <Route path=path!("/login/code") view=mfa::CodePage />
                <Route path=path!("/login/recovery") view=mfa::RecoveryPage />
                <Route path=path!("/mfa") view=mfa::MfaSettingsPage ssr=SsrMode::Async />
                <Route path=path!("/mfa/setup") view=mfa::MfaSetupPage ssr=SsrMode::Async />
                <Route path=path!("/password") view=account::PasswordPage ssr=SsrMode::Async />
                <Route path=path!("/helpdesk") view=console::ConsolePage ssr=SsrMode::Async />
                <Route path=path!("/helpdesk/users/:login_id") view=console::AccountPage ssr=SsrMode::Async />
                <Route path=path!("/admin/audit") view=console::AuditTrailPage ssr=SsrMode::Async />
                <Route path=path!("/admin/policy") view=console::PolicyPage ssr=SsrMode::Async />
                <Route path=path!("/admin/notices") view=console::NoticesPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
