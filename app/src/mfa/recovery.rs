//! `リカバリーコード`: the code step with a recovery code, for when the
//! phone is not at hand. Reached from the code page.

use super::UseRecoveryCode;
use crate::auth::AppHeader;
use crate::components::{clear_when, FieldError, FormError};
use crate::domain::NextPath;
use crate::error::{AppError, Field};
use crate::routes::code_page_url;
use crate::text;
use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn RecoveryPage() -> impl IntoView {
    let recover = ServerAction::<UseRecoveryCode>::new();
    let query = use_query_map();
    let next = move || NextPath::parse(&query.read().get("next").unwrap_or_default());
    let server_error = Signal::derive(move || recover.value().get().and_then(Result::err));
    let must_restart = move || {
        matches!(
            server_error.get(),
            Some(AppError::SignInAgain | AppError::Locked | AppError::Disabled | AppError::Stopped)
        )
    };
    let input = NodeRef::<html::Input>::new();
    clear_when(move || matches!(recover.value().get(), Some(Err(_))), input);
    view! {
        <AppHeader />
        <main class="page narrow">
            <h1>{text::RECOVERY_TITLE}</h1>
            <ActionForm action=recover>
                <input type="hidden" name="next" value=move || next().as_str().to_owned() />
                <FormError server=server_error />
                <p hidden=move || !must_restart()>
                    <a href=crate::routes::LOGIN>{text::SIGN_IN_AGAIN_LINK}</a>
                </p>
                <label for="code">{text::RECOVERY_FIELD}</label>
                <p class="hint">{text::RECOVERY_FIELD_HINT}</p>
                <input id="code" name="code" type="text" autocomplete="off" autocapitalize="none"
                    spellcheck="false" aria-describedby="code-error" node_ref=input />
                <FieldError id="code-error" field=Field::Code server=server_error />
                <button type="submit" class="primary" disabled=move || recover.pending().get()>
                    {text::RECOVERY_BUTTON}
                </button>
            </ActionForm>
            <p><a href=move || code_page_url(&next())>{text::RECOVERY_BACK}</a></p>
        </main>
    }
}
