//! The one-time code at sign-in (manual: ログイン 3 and 4).

use super::VerifyCode;
use crate::auth::AppHeader;
use crate::components::{CodeField, FormError};
use crate::domain::{NextPath, OtpCode};
use crate::error::{AppError, Field};
use crate::routes::recovery_page_url;
use crate::text;
use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn CodePage() -> impl IntoView {
    let verify = ServerAction::<VerifyCode>::new();
    let query = use_query_map();
    let next = move || {
        NextPath::parse(&query.read().get("next").unwrap_or_default())
            .as_str()
            .to_owned()
    };
    let server_error = Signal::derive(move || verify.value().get().and_then(Result::err));
    let must_restart = move || {
        matches!(
            server_error.get(),
            Some(AppError::SignInAgain | AppError::Locked | AppError::Disabled | AppError::Stopped)
        )
    };

    // Same parser as the server: a code that is not six digits is
    // answered at once.
    let code_input = NodeRef::<html::Input>::new();
    let code_error = RwSignal::new(None::<&'static str>);
    let check_before_submit = move |ev: leptos::ev::MouseEvent| {
        if let Some(input) = code_input.get() {
            code_error.set(
                OtpCode::parse(&input.value())
                    .err()
                    .and_then(|e| e.for_field(Field::Code)),
            );
            if code_error.get_untracked().is_some() {
                ev.prevent_default();
            }
        }
    };

    view! {
        <AppHeader />
        <main class="page narrow">
            <h1>{text::CODE_HEADING}</h1>
            <p>{text::CODE_TEXT}</p>
            <p class="hint">{text::CODE_STEPS}</p>
            <ActionForm action=verify>
                <input type="hidden" name="next" value=next />
                <FormError server=server_error />
                <p hidden=move || !must_restart()>
                    <a href=crate::routes::LOGIN>{text::SIGN_IN_AGAIN_LINK}</a>
                </p>
                <CodeField name="code" label=text::CODE_FIELD local=code_error server=server_error node_ref=code_input />
                <label class="check">
                    <input type="checkbox" name="remember" value="yes" />
                    {text::REMEMBER_DEVICE}
                </label>
                <button type="submit" class="primary next" on:click=check_before_submit disabled=move || verify.pending().get()>
                    {text::NEXT_BUTTON}
                </button>
            </ActionForm>
            <p><a href=move || recovery_page_url(&NextPath::parse(&next()))>{text::RECOVERY_LINK}</a></p>
            <p class="hint">{text::LOST_PHONE}</p>
        </main>
    }
}
