//! Admins' forms: a new account (with a temporary password), a role
//! change, and the dealers' MFA policy (`/admin/policy`).

use crate::auth::AppHeader;
use crate::components::{successes, CodeField, FieldError, FormError, LoadError};
use crate::domain::Role;
use crate::error::{AppError, Field};
use crate::routes::CONSOLE;
use crate::text;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// `作成する（仮パスワードを発行）`: then the new account's page, where its
/// temporary password is shown once.
#[server(prefix = "/api", endpoint = "admin/create-account")]
#[cfg_attr(
    feature = "ssr",
    tracing::instrument(name = "admin_create_account", skip_all)
)]
pub async fn create_account(
    login_id: String,
    name: String,
    role: String,
    reason: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::admin::{self, NewAccount};
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::Admin)?;
    let form = NewAccount {
        login_id: &login_id,
        name: &name,
        role: &role,
        reason: reason.as_deref().unwrap_or_default(),
        code: code.as_deref().unwrap_or_default(),
    };
    let created = admin::create_account(&state, &session, form, &client).await?;
    leptos_axum::redirect(&crate::routes::console_account_url(&created));
    Ok(())
}

/// `種別を変更する` on an account's page.
#[server(prefix = "/api", endpoint = "admin/set-role")]
#[cfg_attr(
    feature = "ssr",
    tracing::instrument(name = "admin_set_role", skip_all)
)]
pub async fn set_role(
    login_id: String,
    role: String,
    reason: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::admin;
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::Admin)?;
    let (reason, code) = (reason.unwrap_or_default(), code.unwrap_or_default());
    admin::set_role(&state, &session, &login_id, &role, &reason, &code, &client).await
}

/// The dealers' MFA policy date (`YYYY-MM-DD`), if set.
#[server(prefix = "/api", endpoint = "admin/policy")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "admin_policy", skip_all))]
pub async fn load_policy() -> Result<Option<String>, AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::admin;
    let Call { state, .. } = Call::new(Need::Admin)?;
    admin::dealer_policy(&state).await
}

/// `設定する` (with a date) or `必須化を取りやめる` (without).
#[server(prefix = "/api", endpoint = "admin/set-policy")]
#[cfg_attr(
    feature = "ssr",
    tracing::instrument(name = "admin_set_policy", skip_all)
)]
pub async fn set_policy(
    required_from: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::admin;
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::Admin)?;
    let (date, code) = (required_from.unwrap_or_default(), code.unwrap_or_default());
    admin::set_dealer_policy(&state, &session, &date, &code, &client).await
}

fn role_options(selected: Role) -> impl IntoView {
    Role::ALL
        .into_iter()
        .map(|role| view! { <option value=role.as_str() selected=role == selected>{role.label()}</option> })
        .collect_view()
}

/// The reason field of the admin forms.
#[component]
fn ReasonField(#[prop(into)] server: Signal<Option<AppError>>, id: &'static str) -> impl IntoView {
    let reason_id = format!("{id}-reason");
    let error_id = format!("{id}-reason-error");
    view! {
        <label for=reason_id.clone()>{text::ACTION_REASON}</label>
        <input id=reason_id name="reason" type="text" autocomplete="off" aria-describedby=error_id.clone() />
        <FieldError id=error_id field=Field::Reason server />
    }
}

/// On the console's search page, for admins.
#[component]
pub fn NewAccountForm() -> impl IntoView {
    let create = ServerAction::<CreateAccount>::new();
    let server = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <section aria-labelledby="new-account">
            <h2 id="new-account">{text::NEW_ACCOUNT_TITLE}</h2>
            <ActionForm action=create>
                <FormError server />
                <label for="new-login-id">{text::COL_LOGIN_ID}</label>
                <input id="new-login-id" name="login_id" type="text" autocomplete="off"
                    autocapitalize="none" aria-describedby="new-login-id-error" />
                <FieldError id="new-login-id-error" field=Field::LoginId server />
                <label for="new-name">{text::NEW_ACCOUNT_NAME}</label>
                <input id="new-name" name="name" type="text" autocomplete="off" aria-describedby="new-name-error" />
                <FieldError id="new-name-error" field=Field::Name server />
                <label for="new-role">{text::NEW_ACCOUNT_ROLE}</label>
                <select id="new-role" name="role">{role_options(Role::Dealer)}</select>
                <ReasonField server id="new" />
                <CodeField name="code" label=text::ACTION_CODE hint=text::ACTION_CODE_HINT server />
                <button type="submit" class="primary" disabled=move || create.pending().get()>
                    {text::NEW_ACCOUNT_BUTTON}
                </button>
            </ActionForm>
        </section>
    }
}

/// On an account's page, for admins.
#[component]
pub fn RoleForm(
    login_id: String,
    current: Role,
    code_fresh: bool,
    action: ServerAction<SetRole>,
) -> impl IntoView {
    let server = Signal::derive(move || action.value().get().and_then(Result::err));
    let ask_code = move || !code_fresh || matches!(server.get(), Some(AppError::StepUpRequired));
    view! {
        <section aria-labelledby="role-change">
            <h2 id="role-change">{text::ROLE_CHANGE_TITLE}</h2>
            <ActionForm action>
                <input type="hidden" name="login_id" value=login_id />
                <FormError server />
                <label for="set-role">{text::NEW_ACCOUNT_ROLE}</label>
                <select id="set-role" name="role" aria-describedby="set-role-error">{role_options(current)}</select>
                <FieldError id="set-role-error" field=Field::Role server />
                <ReasonField server id="role" />
                {move || ask_code().then(|| view! {
                    <CodeField name="code" label=text::ACTION_CODE hint=text::ACTION_CODE_HINT server />
                })}
                <button type="submit" class="action" disabled=move || action.pending().get()>{text::ROLE_CHANGE_BUTTON}</button>
            </ActionForm>
        </section>
    }
}

/// `/admin/policy`: the dealers' MFA policy.
#[component]
pub fn PolicyPage() -> impl IntoView {
    let set = ServerAction::<SetPolicy>::new();
    let changed = successes(set);
    let policy = Resource::new(move || changed.get(), |_| load_policy());
    let server = Signal::derive(move || set.value().get().and_then(Result::err));
    let done = move || matches!(set.value().get(), Some(Ok(())));
    view! {
        <AppHeader />
        <main class="page narrow">
            <h1>{text::POLICY_TITLE}</h1>
            <p>{text::POLICY_INTRO}</p>
            {move || done().then(|| view! { <p class="form-ok" role="status">{text::POLICY_DONE}</p> })}
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match policy.await {
                        Ok(date) => view! {
                            <p>{text::POLICY_CURRENT} "："
                                {date.clone().unwrap_or_else(|| text::POLICY_NONE.to_owned())}</p>
                            <ActionForm action=set>
                                <FormError server />
                                <label for="required_from">{text::POLICY_DATE}</label>
                                <input id="required_from" name="required_from" type="date"
                                    value=date.unwrap_or_default() aria-describedby="date-error" />
                                <FieldError id="date-error" field=Field::Date server />
                                <p class="hint">{text::POLICY_LIFT}</p>
                                <CodeField name="code" label=text::ACTION_CODE hint=text::ACTION_CODE_HINT server />
                                <button type="submit" class="primary">{text::POLICY_SET}</button>
                            </ActionForm>
                        }.into_any(),
                        Err(err) => view! { <LoadError err /> }.into_any(),
                    }
                })}
            </Suspense>
            <p><a href=CONSOLE>{text::CONSOLE_BACK}</a></p>
        </main>
    }
}
