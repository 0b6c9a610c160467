//! Sign-in, sign-out, the bar of signed-in pages and the forgotten-password
//! page.

use crate::components::{FieldError, FormError, PasswordField, PublicHeader};
use crate::domain::{LoginId, NextPath, Password};
use crate::error::{AppError, Field};
use crate::text;
use crate::types::MenuInfo;
use leptos::form::ActionForm;
use leptos::html;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Checks the login ID and password and starts a session, then sends the
/// browser on to `next` (a local path only), by way of the code page when
/// a one-time code is owed.
#[server(prefix = "/api", endpoint = "login")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "login", skip_all))]
pub async fn login(login_id: String, password: String, next: String) -> Result<(), AppError> {
    use crate::routes::code_page_url;
    use crate::server::request::{self, Open, Stage};
    use crate::server::services::sign_in::{sign_in, SignIn};
    let id = LoginId::parse(&login_id)?;
    let password = Password::parse(&password)?;
    let Open {
        state,
        session,
        client,
    } = Open::new()?;
    match sign_in(&state, &id, password, session.as_ref(), &client).await? {
        SignIn::Started { stage, token, duty } => {
            request::set_session_cookie(&token);
            let next = NextPath::parse(&next);
            match stage {
                Stage::Full => {
                    let to = request::after_sign_in(&state, &token, duty, next.as_str(), &client)
                        .await?;
                    leptos_axum::redirect(&to);
                }
                Stage::Code => leptos_axum::redirect(&code_page_url(&next)),
            }
            Ok(())
        }
        SignIn::WrongPassword => Err(AppError::InvalidCredentials),
        SignIn::Blocked(block) => Err(block.into()),
    }
}

/// Ends the session on the server and returns to the portal.
#[server(prefix = "/api", endpoint = "logout")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "logout", skip_all))]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::request::{self, Open};
    use crate::server::services::sign_in;
    let Open {
        state,
        session,
        client,
    } = Open::new()?;
    if let Some(current) = session {
        // Cleared whatever happens next: the user asked to be out.
        request::clear_session_cookie();
        sign_in::sign_out(&state, &current, &client).await?;
    }
    leptos_axum::redirect(crate::routes::PORTAL);
    Ok(())
}

/// The signed-in account's role (staff see one more tile), and the date
/// from which MFA will be required, if it is off and an admin set one.
#[server(prefix = "/api", endpoint = "me/role")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "my_role", skip_all))]
pub async fn my_role() -> Result<MenuInfo, AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::settings;
    let Call { state, session, .. } = Call::new(Need::Full)?;
    settings::menu_info(&state, &session).await
}

/// The business application whose request waits for this browser (its
/// name), if one does: after a duty done on the way, the way back to it.
#[server(prefix = "/api", endpoint = "waiting-app")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "waiting_app", skip_all))]
pub async fn waiting_app() -> Result<Option<String>, AppError> {
    use crate::server::request;
    request::waiting_app(&request::state()?).await
}

/// After a duty done on the way to a business application (a temporary
/// password replaced, MFA set up): the way on to it, if it still waits.
#[component]
pub fn BackToApp() -> impl IntoView {
    let app = OnceResource::new(waiting_app());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                app.await.ok().flatten().map(|name| view! {
                    <div class="notice-box" role="status">
                        <p>{text::APP_WAITING}</p>
                        // A plain route, not a page: the browser follows it,
                        // not the router.
                        <p><a class="button primary" href=crate::routes::OIDC_CONTINUE rel="external">{text::back_to_app(&name)}</a></p>
                    </div>
                })
            })}
        </Suspense>
    }
}

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

/// The sign-in form: `ログインID`, `パスワード`, `ログインして下さい`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    let next = move || {
        NextPath::parse(&query.read().get("next").unwrap_or_default())
            .as_str()
            .to_owned()
    };
    let server_error = Signal::derive(move || login.value().get().and_then(Result::err));

    // The browser checks with the same parsers the server uses, so an empty
    // field is answered at once, without a round trip.
    let id_input = NodeRef::<html::Input>::new();
    let password_input = NodeRef::<html::Input>::new();
    let id_error = RwSignal::new(None::<&'static str>);
    let password_error = RwSignal::new(None::<&'static str>);
    let check_before_submit = move |ev: leptos::ev::MouseEvent| {
        let (Some(id), Some(pw)) = (id_input.get(), password_input.get()) else {
            return;
        };
        id_error.set(
            LoginId::parse(&id.value())
                .err()
                .and_then(|e| e.for_field(Field::LoginId)),
        );
        password_error.set(
            Password::parse(&pw.value())
                .err()
                .and_then(|e| e.for_field(Field::Password)),
        );
        if id_error.get_untracked().is_some() || password_error.get_untracked().is_some() {
            ev.prevent_default();
        }
    };

    view! {
        <PublicHeader />
        <main class="page narrow">
            <h1 class="login-heading">
                <span class="maker">{text::LOGIN_HEADING_MAKER}</span>
                " "
                <span>{text::LOGIN_HEADING_PRODUCT}</span>
            </h1>
            <ActionForm action=login>
                <input type="hidden" name="next" value=next />
                <FormError server=server_error />
                <label for="login_id">{text::LOGIN_ID}</label>
                <input
                    id="login_id"
                    name="login_id"
                    type="text"
                    autocomplete="username"
                    autocapitalize="none"
                    spellcheck="false"
                    aria-describedby="login_id-error"
                    node_ref=id_input
                />
                <FieldError id="login_id-error" field=Field::LoginId local=id_error server=server_error />
                <PasswordField id="password" local=password_error server=server_error node_ref=password_input />
                <button type="submit" class="primary" on:click=check_before_submit disabled=move || login.pending().get()>
                    {text::LOGIN_BUTTON}
                </button>
            </ActionForm>
        </main>
    }
}

/// `パスワードを忘れた方はこちら`: for now, who to call and what to say.
#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    view! {
        <PublicHeader />
        <main class="page narrow">
            <h1>{text::FORGOT_TITLE}</h1>
            <p>{text::FORGOT_BODY}</p>
            // Large and bold, but not a heading: a `div`, so that screen
            // readers do not take it for one (axe-core's p-as-heading).
            <div class="helpdesk">
                {text::HELPDESK} " " <a href=format!("tel:{}", text::HELPDESK_PHONE)>{text::HELPDESK_PHONE}</a>
            </div>
            <p>{text::FORGOT_TELL_US}</p>
            <p><a href="/">{text::BACK_TO_TOP}</a></p>
        </main>
    }
}
