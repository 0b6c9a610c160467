//! Widgets shared by several pages.

use crate::auth::Logout;
use crate::error::{AppError, Field};
use crate::text;
use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;

/// The bar at the top of every signed-in page: brand and `ログアウト`.
#[component]
pub fn AppHeader() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <header class="bar">
            <a class="bar-brand" href="/menu">{text::BRAND_MENU}</a>
            <ActionForm action=logout>
                <button type="submit" class="bar-button">{text::LOGOUT}</button>
            </ActionForm>
        </header>
    }
}

/// The bar on public pages: the brand only.
#[component]
pub fn PublicHeader() -> impl IntoView {
    view! {
        <header class="bar">
            <a class="bar-brand" href="/">{text::BRAND}</a>
        </header>
    }
}

/// A message under one field: the browser's own check first, then the
/// server's answer.
#[component]
pub fn FieldError(
    #[prop(into)] id: String,
    field: Field,
    #[prop(optional, into)] local: MaybeProp<String>,
    #[prop(into)] server: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || {
        local
            .get()
            .or_else(|| server.get().and_then(|e| e.for_field(field)))
    };
    view! {
        <p class="field-error" id=id role="alert" aria-live="polite">
            {message}
        </p>
    }
}

/// A field for a six-digit one-time code, with its label and message: a
/// numeric keyboard on phones, and the code the phone offers to fill in.
/// `name` is also the element id.
#[component]
pub fn CodeField(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] local: MaybeProp<String>,
    #[prop(into)] server: Signal<Option<AppError>>,
    #[prop(optional)] node_ref: Option<NodeRef<html::Input>>,
) -> impl IntoView {
    let error_id = format!("{name}-error");
    view! {
        <label for=name>{label}</label>
        {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
        <input
            id=name
            name=name
            type="text"
            inputmode="numeric"
            autocomplete="one-time-code"
            aria-describedby=error_id.clone()
            node_ref=node_ref.unwrap_or_default()
        />
        <FieldError id=error_id field=Field::Code local server />
    }
}

/// Empties a field whenever `failed` turns true: a rejected password or
/// code is never left standing in the form.
pub fn clear_when(failed: impl Fn() -> bool + 'static, input: NodeRef<html::Input>) {
    Effect::new(move |_| {
        if failed() {
            if let Some(el) = input.get_untracked() {
                el.set_value("");
            }
        }
    });
}

/// A message for the form as a whole.
#[component]
pub fn FormError(#[prop(into)] server: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        server.get().and_then(|e| e.for_form()).map(|message| {
            view! { <p class="form-error" role="alert">{message}</p> }
        })
    }
}

/// The answer for any path the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <PublicHeader />
        <main class="page narrow">
            <h1>{text::NOT_FOUND_TITLE}</h1>
            <p>{text::NOT_FOUND}</p>
            <p><a href="/">{text::BACK_TO_TOP}</a></p>
        </main>
    }
}
