//! The services behind the server functions: the rules of sign-in and
//! account security, written once against the repositories.

pub mod auth;
pub mod labels;
pub mod mfa;
pub mod notices;

use crate::error::AppError;
use axum::http::{header, request::Parts, StatusCode};
use leptos::prelude::*;

/// Finishes a server function: on failure, gives API callers the error's
/// status code. A plain HTML form post (no JavaScript) is left alone, as
/// it is answered by a redirect back to the form carrying the error.
pub fn finish<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result {
        let parts = use_context::<Parts>();
        let form_post = parts.as_ref().is_some_and(|p| {
            p.uri.path().starts_with("/api/")
                && p.headers
                    .get(header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("text/html"))
        });
        if !form_post {
            if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
                res.set_status(
                    StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                );
            }
        }
    }
    result
}
