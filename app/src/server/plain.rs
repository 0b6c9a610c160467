//! Answers that never reach Leptos: a whole page with one message (the
//! guard's refusals, a plain route's error), and the one place where an
//! [`AppError`] becomes a status and its headers on such an answer. A
//! server function's error gets the same status and headers through
//! `AppError::ser` (see `error.rs`); both read `AppError::status` and
//! `AppError::retry_after`.

use crate::error::AppError;
use crate::text;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

/// A whole page with one message, for answers that never reach Leptos.
pub fn message_page(status: StatusCode, title: &str, message: &str) -> Response {
    let header = format!("<span class=\"bar-brand\">{}</span>", text::BRAND);
    let back = format!("<a href=\"/\">{}</a>", text::BACK_TO_TOP);
    message_layout(status, title, text::BRAND, &header, message, &back)
}

/// The frame of [`message_page`] and [`refusal_page`]: `brand` in the
/// title, `header` inside the bar, the message, and `back` below it.
fn message_layout(
    status: StatusCode,
    title: &str,
    brand: &str,
    header: &str,
    message: &str,
    back: &str,
) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} | {brand}</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><header class=\"bar\">{header}</header>\
         <main class=\"page narrow\"><h1>{title}</h1><p role=\"alert\">{message}</p>\
         <p>{back}</p></main></body></html>",
        css = super::assets::Assets::current().css,
    );
    (status, Html(html)).into_response()
}

/// Text made safe inside HTML, attribute values included.
fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The one page a signed-in user gets for a staff page that is not theirs
/// (403): the signed-in bar, as every signed-in page has it (the brand
/// back to the menu, `ログアウト` as a form that works without
/// JavaScript), `message`, and the way back to the menu. Drawn by the
/// guard, so nothing of the staff page is drawn before it.
pub fn refusal_page(message: &str) -> Response {
    let menu = crate::domain::NextPath::DEFAULT;
    let header = format!(
        "<a class=\"bar-brand\" href=\"{menu}\">{brand}</a>\
         <form method=\"post\" action=\"/api/logout\">\
         <button type=\"submit\" class=\"bar-button\">{logout}</button></form>",
        brand = text::BRAND_MENU,
        logout = text::LOGOUT,
    );
    let back = format!("<a href=\"{menu}\">{}</a>", text::BACK_TO_MENU);
    message_layout(
        StatusCode::FORBIDDEN,
        text::ERR_FORBIDDEN,
        text::BRAND_MENU,
        &header,
        &escape(message),
        &back,
    )
}

/// A whole page that asks before it acts: `message`, and one button that
/// POSTs `hidden` to `action` (this origin's own path).
pub fn confirm_page(
    title: &str,
    message: &str,
    action: &str,
    hidden: &[(&str, &str)],
    button: &str,
) -> Response {
    let fields: String = hidden
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(k),
                escape(v)
            )
        })
        .collect();
    let html = format!(
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} | {brand}</title><link rel=\"stylesheet\" href=\"{css}\"></head>\
         <body><header class=\"bar\"><span class=\"bar-brand\">{brand}</span></header>\
         <main class=\"page narrow\"><h1>{title}</h1><p>{message}</p>\
         <form method=\"post\" action=\"{action}\">{fields}\
         <button type=\"submit\" class=\"primary\">{button}</button></form>\
         <p><a href=\"/\">{back}</a></p></main></body></html>",
        brand = text::BRAND,
        back = text::BACK_TO_TOP,
        css = super::assets::Assets::current().css,
        action = escape(action),
    );
    (StatusCode::OK, Html(html)).into_response()
}

/// The "try again later" page, with a 503.
pub fn unavailable() -> Response {
    let err = AppError::Unavailable;
    with_retry_after(
        message_page(
            StatusCode::SERVICE_UNAVAILABLE,
            text::ERR_UNAVAILABLE_TITLE,
            text::ERR_UNAVAILABLE,
        ),
        &err,
    )
}

/// `err` as a whole page, with its status (and `Retry-After`, if any).
pub fn error_page(title: &str, err: &AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    with_retry_after(message_page(status, title, err.message()), err)
}

fn with_retry_after(mut res: Response, err: &AppError) -> Response {
    if let Some(secs) = err.retry_after() {
        res.headers_mut().insert(header::RETRY_AFTER, secs.into());
    }
    res
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_leaves_no_way_out_of_an_attribute() {
        assert_eq!(
            super::escape(r#""><script>alert('x')</script>&"#),
            "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
    }
}
