//! One account in the console: the caller check, its state, its recent
//! events, and the actions, each with a reason.

use super::admin::{RoleForm, SetRole};
use super::{state_label, Act, AuditTable};
use crate::auth::AppHeader;
use crate::components::{successes, CodeField, FieldError, FormError, LoadError};
use crate::error::{AppError, Field};
use crate::routes::CONSOLE;
use crate::text;
use crate::types::{AccountView, NoActions, StaffAction, TempPassword};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// `/helpdesk/users/:login_id`.
#[component]
pub fn AccountPage() -> impl IntoView {
    let params = use_params_map();
    let act = ServerAction::<Act>::new();
    let set_role = ServerAction::<SetRole>::new();
    let login_id = move || params.read().get("login_id").unwrap_or_default();
    // Loaded again after each action that went through (a temporary
    // password is taken by that one load: it is shown once).
    let (acted, role_set) = (successes(act), successes(set_role));
    let view = Resource::new(
        move || (login_id(), acted.get(), role_set.get()),
        |(login_id, _, _)| super::load_account(login_id),
    );
    view! {
        <AppHeader />
        <main class="page">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match view.await {
                        Ok(account) => view! { <Account account act set_role /> }.into_any(),
                        Err(err) => view! { <LoadError err /> }.into_any(),
                    }
                })}
            </Suspense>
            <p><a href=CONSOLE>{text::CONSOLE_BACK}</a></p>
        </main>
    }
}

#[component]
fn Account(
    account: AccountView,
    act: ServerAction<Act>,
    set_role: ServerAction<SetRole>,
) -> impl IntoView {
    let last_sign_in = account
        .last_sign_in
        .clone()
        .map_or(text::ACCOUNT_NEVER.to_owned(), |(at, address)| {
            format!("{at}（{address}）")
        });
    let last_date = account
        .last_sign_in
        .as_ref()
        .map_or(text::ACCOUNT_NEVER.to_owned(), |(at, _)| {
            at.split(' ').next().unwrap_or_default().to_owned()
        });
    let mfa = account
        .mfa_since
        .clone()
        .map_or(text::ACCOUNT_MFA_OFF.to_owned(), |since| {
            format!("{} {since}{}", text::MFA_STATE_ON, text::MFA_SINCE)
        });
    let temp = account.temp_password.clone().map(|t| match t {
        TempPassword::ValidUntil(until) => format!("{} {until}", text::ACCOUNT_TEMP_VALID_UNTIL),
        TempPassword::Used => text::ACCOUNT_TEMP_USED.to_owned(),
        TempPassword::Expired => text::ACCOUNT_TEMP_EXPIRED.to_owned(),
    });
    view! {
        <h1>{account.name.clone()} " (" {account.login_id.clone()} ")"</h1>
        {account.revealed.clone().map(|secret| view! {
            <div class="form-ok" role="status">
                <p>{text::TEMP_PASSWORD_SHOWN_ONCE}</p>
                <p><code class="secret-key" aria-label=text::ACCOUNT_TEMP_PASSWORD>{secret.0}</code></p>
            </div>
        })}
        <section class="caller-check" aria-labelledby="caller-check">
            <h2 id="caller-check">{text::CALLER_CHECK_TITLE}</h2>
            <p>{text::CALLER_CHECK_INTRO}</p>
            <dl>
                <dt>{text::CALLER_CHECK_NAME}</dt>
                <dd>{account.name.clone()}</dd>
                <dt>{text::CALLER_CHECK_LOGIN_ID}</dt>
                <dd>{account.login_id.clone()}</dd>
                <dt>{text::CALLER_CHECK_LAST_SIGN_IN}</dt>
                <dd>{last_date}</dd>
            </dl>
        </section>
        <dl class="account-facts">
            <dt>{text::COL_ROLE}</dt>
            <dd>{account.role.label()}</dd>
            <dt>{text::COL_STATE}</dt>
            <dd>{state_label(&account.state)}</dd>
            <dt>{text::ACCOUNT_MFA}</dt>
            <dd>{mfa}</dd>
            <dt>{text::ACCOUNT_DEVICES}</dt>
            <dd>{account.devices} {text::COUNT_SUFFIX}</dd>
            <dt>{text::ACCOUNT_BROWSERS}</dt>
            <dd>{account.browsers} {text::COUNT_SUFFIX}</dd>
            <dt>{text::ACCOUNT_LAST_SIGN_IN}</dt>
            <dd>{last_sign_in}</dd>
            {temp.map(|temp| view! {
                <dt>{text::ACCOUNT_TEMP_PASSWORD}</dt>
                <dd>{temp}</dd>
            })}
        </dl>
        <Actions account=account.clone() act />
        {account.can_set_role.then(|| view! {
            <RoleForm login_id=account.login_id.clone() current=account.role
                code_fresh=account.code_fresh action=set_role />
        })}
        <h2>{text::ACCOUNT_EVENTS}</h2>
        <AuditTable lines=account.events with_account=false />
    }
}

/// The reason, the staff member's code when it is due, and one button per
/// action: the button pressed is the action sent.
#[component]
fn Actions(account: AccountView, act: ServerAction<Act>) -> impl IntoView {
    if let Some(why) = account.no_actions {
        let message = match why {
            NoActions::OwnAccount => text::ACTIONS_NOT_ALLOWED_SELF,
        };
        return view! {
            <h2>{text::ACTIONS_TITLE}</h2>
            <p class="notice-box" role="status">{message}</p>
        }
        .into_any();
    }
    let server_error = Signal::derive(move || act.value().get().and_then(Result::err));
    let done = move || matches!(act.value().get(), Some(Ok(_)));
    // The code is asked when the last one is old, or when the server says
    // it has grown old since the page was loaded.
    let code_fresh = account.code_fresh;
    let ask_code =
        move || !code_fresh || matches!(server_error.get(), Some(AppError::StepUpRequired));
    let button = move |action: StaffAction, class: &'static str| {
        view! {
            <button type="submit" name="action" value=action.as_str() class=class
                disabled=move || act.pending().get()>
                {action.label()}
            </button>
        }
    };
    let (stopping, others): (Vec<StaffAction>, Vec<StaffAction>) = account
        .actions
        .iter()
        .partition(|action| action.needs_confirmation());
    let others = others
        .into_iter()
        .map(|action| button(action, "action"))
        .collect_view();
    let stopping = (!stopping.is_empty()).then(|| {
        let buttons = stopping
            .into_iter()
            .map(|action| button(action, "action danger"))
            .collect_view();
        view! {
            <fieldset class="danger-zone">
                <legend>{text::ACTIONS_STOPPING_TITLE}</legend>
                <label class="check">
                    <input name="confirm" type="checkbox" value="yes"
                        aria-describedby="confirm-error" />
                    {text::ACTIONS_STOPPING_CONFIRM}
                </label>
                <FieldError id="confirm-error" field=Field::Confirm server=server_error />
                <div class="actions">{buttons}</div>
            </fieldset>
        }
    });
    // After an action, the reason is emptied: the next action is another
    // ticket's, and must not be recorded with this one's number. (The form
    // is kept across the page's reload, so its input keeps what was typed.)
    let reason = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if matches!(act.value().get(), Some(Ok(_))) {
            if let Some(input) = reason.get_untracked() {
                input.set_value("");
            }
        }
    });
    view! {
        <h2>{text::ACTIONS_TITLE}</h2>
        {account.recovery_on_server.then(|| view! {
            <p class="notice-box">{text::ACTIONS_STAFF_RECOVERY_ON_SERVER}</p>
        })}
        {move || done().then(|| view! { <p class="form-ok" role="status">{text::ACTION_DONE}</p> })}
        <ActionForm action=act attr:class="staff-actions">
            <input type="hidden" name="login_id" value=account.login_id.clone() />
            <FormError server=server_error />
            <label for="reason">{text::ACTION_REASON}</label>
            <input id="reason" name="reason" type="text" autocomplete="off" node_ref=reason
                aria-describedby="reason-error" />
            <FieldError id="reason-error" field=Field::Reason server=server_error />
            {move || ask_code().then(|| view! {
                <CodeField name="code" label=text::ACTION_CODE hint=text::ACTION_CODE_HINT
                    server=server_error />
            })}
            <div class="actions">{others}</div>
            {stopping}
        </ActionForm>
    }
    .into_any()
}
