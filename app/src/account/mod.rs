//! `パスワード変更`: a signed-in user changes their own password, with the
//! current password (and the current code when MFA is on). Reached from
//! the MFA settings page.

use crate::auth::{AppHeader, BackToApp};
use crate::components::{CodeField, FormError, LoadError, PasswordField};
use crate::error::{AppError, Field};
use crate::routes::MFA_SETTINGS;
use crate::text;
use crate::types::PasswordFormKind;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// What the password form asks for: the current password, and the code
/// when MFA is on; only the new one after a temporary password.
#[server(prefix = "/api", endpoint = "account/password-form")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "password_form", skip_all))]
pub async fn password_form() -> Result<PasswordFormKind, AppError> {
    use crate::server::request::{Call, Duty, Need};
    use crate::server::services::settings;
    let Call { state, session, .. } = Call::new(Need::FullOrDoing(Duty::ChangePassword))?;
    settings::password_form(&state, &session).await
}

/// `変更する` on the password page.
#[server(prefix = "/api", endpoint = "account/password")]
#[cfg_attr(
    feature = "ssr",
    tracing::instrument(name = "change_password", skip_all)
)]
pub async fn change_password(
    #[server(default)] current_password: String,
    #[server(default)] current_code: String,
    #[server(default)] new_password: String,
    #[server(default)] new_password_again: String,
) -> Result<(), AppError> {
    use crate::error::Problem;
    use crate::routes::PASSWORD_CHANGED;
    use crate::server::request::{Call, Duty, Need};
    use crate::server::services::settings::{self, PasswordChange, PasswordForm};
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::FullOrDoing(Duty::ChangePassword))?;
    let form = PasswordForm {
        current_password: &current_password,
        current_code: &current_code,
        new_password: &new_password,
        new_password_again: &new_password_again,
    };
    match settings::change_password(&state, &session, form, &client).await? {
        PasswordChange::Changed => {
            leptos_axum::redirect(PASSWORD_CHANGED);
            Ok(())
        }
        PasswordChange::WrongPassword => Err(AppError::validation(
            Field::Password,
            Problem::WrongPassword,
        )),
        PasswordChange::WrongCode => Err(AppError::InvalidCode),
        PasswordChange::Blocked(block) => Err(block.into()),
    }
}

#[component]
pub fn PasswordPage() -> impl IntoView {
    let kind = OnceResource::new(password_form());
    let query = use_query_map();
    let changed = move || query.read().get("done").as_deref() == Some("changed");
    view! {
        <AppHeader />
        <main class="page narrow">
            <h1>{text::PASSWORD_CHANGE_TITLE}</h1>
            {move || changed().then(|| view! {
                <p class="form-ok" role="status">{text::PASSWORD_CHANGED}</p>
                <BackToApp />
            })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match kind.await {
                        Ok(kind) => view! { <ChangeForm kind /> }.into_any(),
                        Err(err) => view! { <LoadError err /> }.into_any(),
                    }
                })}
            </Suspense>
            <p><a href=MFA_SETTINGS>{text::MFA_TITLE}</a></p>
        </main>
    }
}

#[component]
fn ChangeForm(kind: PasswordFormKind) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let server_error = Signal::derive(move || change.value().get().and_then(Result::err));
    view! {
        {kind.temporary.then(|| view! {
            <p class="notice-box" role="status">{text::TEMP_PASSWORD_CHANGE_INTRO}</p>
        })}
        <ActionForm action=change>
            <FormError server=server_error />
            {(!kind.temporary).then(|| view! {
                <PasswordField
                    id="current_password"
                    label=text::PASSWORD_CURRENT
                    server=server_error
                />
            })}
            {kind.needs_code.then(|| view! {
                <CodeField
                    name="current_code"
                    label=text::MFA_CURRENT_CODE
                    hint=text::PASSWORD_CODE_HINT
                    server=server_error
                />
            })}
            <PasswordField
                id="new_password"
                label=text::PASSWORD_NEW
                field=Field::NewPassword
                autocomplete="new-password"
                hint=text::PASSWORD_NEW_HINT
                server=server_error
            />
            <PasswordField
                id="new_password_again"
                label=text::PASSWORD_NEW_AGAIN
                field=Field::NewPasswordAgain
                autocomplete="new-password"
                server=server_error
            />
            <button type="submit" class="primary" disabled=move || change.pending().get()>
                {text::PASSWORD_CHANGE_BUTTON}
            </button>
        </ActionForm>
    }
}
