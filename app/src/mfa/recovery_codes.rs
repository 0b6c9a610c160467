//! The settings page's recovery codes: a new set shown once, with buttons
//! to print and to download it, and how many are left with a way to make a
//! new set.

use super::NewRecoveryCodes;
use crate::components::{CodeField, FormError};
use crate::domain::percent_encode;
use crate::text;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// A set just made: the codes, `印刷する` and `ダウンロードする` (a text file
/// made in the page itself, so it works without JavaScript too).
#[component]
pub fn NewCodes(codes: Vec<String>) -> impl IntoView {
    let file = std::iter::once(text::RECOVERY_FILE_HEADING.to_owned())
        .chain(codes.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n");
    let href = format!("data:text/plain;charset=utf-8,{}", percent_encode(&file));
    let items = codes
        .into_iter()
        .map(|code| view! { <li><code>{code}</code></li> })
        .collect_view();
    view! {
        <section class="recovery-new" aria-labelledby="recovery-new">
            <h2 id="recovery-new">{text::RECOVERY_NEW_TITLE}</h2>
            <p>{text::RECOVERY_NEW_INTRO}</p>
            <ol class="recovery-codes">{items}</ol>
            <p class="actions">
                <button type="button" on:click=move |_| {
                    let _ = window().print();
                }>{text::RECOVERY_PRINT}</button>
                <a class="button" href=href download=text::RECOVERY_FILE_NAME>{text::RECOVERY_DOWNLOAD}</a>
            </p>
        </section>
    }
}

/// How many codes are left, and a new set for the current code.
#[component]
pub fn RecoverySection(left: i64, renew: ServerAction<NewRecoveryCodes>) -> impl IntoView {
    let server_error = Signal::derive(move || renew.value().get().and_then(Result::err));
    view! {
        <section class="recovery" aria-labelledby="recovery">
            <h2 id="recovery">{text::RECOVERY_TITLE}</h2>
            <p>{text::RECOVERY_LEFT} "：" {left} {text::RECOVERY_LEFT_SUFFIX}</p>
            {(left == 0).then(|| view! { <p class="notice-box" role="status">{text::RECOVERY_NONE_LEFT}</p> })}
            <ActionForm action=renew>
                <FormError server=server_error />
                <CodeField name="current_code" label=text::MFA_CURRENT_CODE
                    hint=text::RECOVERY_REGENERATE_HINT server=server_error />
                <button type="submit" class="action" disabled=move || renew.pending().get()>{text::RECOVERY_REGENERATE}</button>
            </ActionForm>
        </section>
    }
}
