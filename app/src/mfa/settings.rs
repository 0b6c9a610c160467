//! `多要素認証設定`: the current state, the preparation text, the ON/OFF
//! form and the remembered devices.

use super::recovery_codes::{NewCodes, RecoverySection};
use super::{ApplyMfaSetting, EndSessions, ForgetDevice, NewRecoveryCodes};
use crate::auth::{AppHeader, BackToApp};
use crate::components::{
    successes, CodeField, FieldError, FormError, LoadError, PasswordField, ScrollTable,
};
use crate::error::Field;
use crate::routes::MfaDone;
use crate::text;
use crate::types::{Device, MfaStatus, SignedInBrowser};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn MfaSettingsPage() -> impl IntoView {
    let apply = ServerAction::<ApplyMfaSetting>::new();
    let forget = ServerAction::<ForgetDevice>::new();
    let end = ServerAction::<EndSessions>::new();
    let renew = ServerAction::<NewRecoveryCodes>::new();
    let changes = [
        successes(apply),
        successes(forget),
        successes(end),
        successes(renew),
    ];
    let status = Resource::new(
        move || changes.map(|c| c.get()),
        |_| super::get_mfa_status(),
    );
    view! {
        <AppHeader />
        <main class="page narrow">
            <h1>{text::MFA_TITLE}</h1>
            <DoneMessage />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(status) => view! { <Settings status apply forget end renew /> }.into_any(),
                        Err(err) => view! { <LoadError err /> }.into_any(),
                    }
                })}
            </Suspense>
            <p class="hint">{text::LOST_PHONE_SETTINGS}</p>
        </main>
    }
}

/// What the last change did, carried in the URL so that it shows with or
/// without JavaScript.
#[component]
fn DoneMessage() -> impl IntoView {
    let query = use_query_map();
    move || {
        let done = query.read().get("done");
        match done.as_deref().and_then(MfaDone::parse) {
            Some(MfaDone::On) => Some(
                view! {
                    <div class="form-ok" role="status">
                        <p>{text::MFA_ON_DONE_TITLE}</p>
                        <p>{text::MFA_ON_DONE}</p>
                    </div>
                    <BackToApp />
                }
                .into_any(),
            ),
            Some(MfaDone::Off) => {
                Some(view! { <p class="form-ok" role="status">{text::MFA_OFF_DONE}</p> }.into_any())
            }
            Some(MfaDone::AlreadyOff) => Some(
                view! { <p class="form-ok" role="status">{text::MFA_ALREADY_OFF}</p> }.into_any(),
            ),
            Some(MfaDone::NewCodes) => Some(
                view! { <p class="form-ok" role="status">{text::RECOVERY_NEW_DONE}</p> }.into_any(),
            ),
            None => None,
        }
    }
}

#[component]
fn Settings(
    status: MfaStatus,
    apply: ServerAction<ApplyMfaSetting>,
    forget: ServerAction<ForgetDevice>,
    end: ServerAction<EndSessions>,
    renew: ServerAction<NewRecoveryCodes>,
) -> impl IntoView {
    let enabled = status.enabled_since.is_some();
    let state_line = match &status.enabled_since {
        Some(since) => format!(
            "{}：{}（{} {}）",
            text::MFA_CURRENT,
            text::MFA_STATE_ON,
            since,
            text::MFA_SINCE
        ),
        None => format!("{}：{}", text::MFA_CURRENT, text::MFA_STATE_OFF),
    };
    view! {
        {status.required.then(|| {
            let why = if status.staff { text::STAFF_MFA_REQUIRED } else { text::MFA_REQUIRED_NOW };
            view! { <p class="notice-box" role="status">{why}</p> }
        })}
        {status.new_recovery_codes.map(|codes| view! { <NewCodes codes=codes.0 /> })}
        <p class="state" class:on=enabled>{state_line}</p>
        <Preparation />
        // Staff always keep MFA: no OFF to offer.
        <SettingForm apply enabled offer_off=!status.staff />
        <aside class="caution">
            <p><strong>{text::MFA_CAUTION_TITLE}</strong></p>
            <p>{text::MFA_CAUTION}</p>
        </aside>
        {status.recovery_left.map(|left| view! { <RecoverySection left renew /> })}
        {enabled.then(|| view! { <Devices devices=status.devices forget /> })}
        <Browsers browsers=status.browsers end />
        // While MFA must be set up first, the password page would only send
        // the user back here.
        {(!status.required).then(|| view! {
            <p><a href=crate::routes::PASSWORD>{text::PASSWORD_CHANGE_LINK}</a></p>
        })}
    }
    // Erased: the page's full type is too deep for the compiler's default
    // limit in every crate that builds the router.
    .into_any()
}

#[component]
fn Preparation() -> impl IntoView {
    view! {
        <section class="prep">
            <h2>{text::MFA_PREP_HEADING}</h2>
            <p>{text::MFA_PREP_IPHONE}</p>
            <p>{text::MFA_PREP_ANDROID}</p>
            <p>{text::MFA_PREP_APPS}</p>
            <p class="either">{text::MFA_EITHER}</p>
        </section>
    }
}

#[component]
fn SettingForm(
    apply: ServerAction<ApplyMfaSetting>,
    enabled: bool,
    offer_off: bool,
) -> impl IntoView {
    let server_error = Signal::derive(move || apply.value().get().and_then(Result::err));
    view! {
        <ActionForm action=apply>
            <FormError server=server_error />
            <label class="check">
                <input type="checkbox" name="confirmed" value="yes" aria-describedby="confirmed-error" />
                {text::MFA_CONFIRM}
            </label>
            <FieldError id="confirmed-error" field=Field::Confirm server=server_error />
            <fieldset class="choice" aria-describedby="setting-error">
                <legend>{text::MFA_SETTING}</legend>
                <label class="check"><input type="radio" name="setting" value="on" />{text::MFA_ON}</label>
                {offer_off.then(|| view! {
                    <label class="check"><input type="radio" name="setting" value="off" />{text::MFA_OFF}</label>
                })}
            </fieldset>
            <FieldError id="setting-error" field=Field::Setting server=server_error />
            {if enabled {
                view! {
                    <CodeField
                        name="current_code"
                        label=text::MFA_CURRENT_CODE
                        hint=text::MFA_CURRENT_CODE_HINT
                        server=server_error
                    />
                }.into_any()
            } else {
                view! {
                    <PasswordField
                        id="password"
                        hint=text::MFA_PASSWORD_HINT
                        server=server_error
                    />
                }.into_any()
            }}
            <button type="submit" class="primary" disabled=move || apply.pending().get()>{text::MFA_APPLY}</button>
        </ActionForm>
    }
}

#[component]
fn Devices(devices: Vec<Device>, forget: ServerAction<ForgetDevice>) -> impl IntoView {
    let error = Signal::derive(move || forget.value().get().and_then(Result::err));
    let empty = devices.is_empty();
    let rows = devices
        .into_iter()
        .map(|d| {
            view! {
                <tr>
                    <td>{d.label}</td>
                    <td>{d.first_used}</td>
                    <td>{d.last_used}</td>
                    <td>
                        <ActionForm action=forget>
                            <input type="hidden" name="device_id" value=d.id />
                            <button type="submit" class="small">{text::DEVICE_FORGET}</button>
                        </ActionForm>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="devices">
            <h2>{text::DEVICES_TITLE}</h2>
            <FormError server=error />
            {if empty {
                view! { <p>{text::DEVICES_NONE}</p> }.into_any()
            } else {
                view! {
                    <ScrollTable label=text::DEVICES_TITLE>
                        <table>
                            <thead>
                                <tr>
                                    <th>{text::DEVICE_BROWSER}</th>
                                    <th>{text::DEVICE_FIRST_USED}</th>
                                    <th>{text::DEVICE_LAST_USED}</th>
                                    <th><span class="visually-hidden">{text::TABLE_ACTIONS}</span></th>
                                </tr>
                            </thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </ScrollTable>
                    <ActionForm action=forget>
                        <button type="submit" class="small">{text::DEVICE_FORGET_ALL}</button>
                    </ActionForm>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Browsers(browsers: Vec<SignedInBrowser>, end: ServerAction<EndSessions>) -> impl IntoView {
    let error = Signal::derive(move || end.value().get().and_then(Result::err));
    let others = browsers.iter().any(|b| !b.current);
    let rows = browsers
        .into_iter()
        .map(|b| {
            let action = if b.current {
                view! { <strong>{text::BROWSER_THIS_ONE}</strong> }.into_any()
            } else {
                view! {
                    <ActionForm action=end>
                        <input type="hidden" name="handle" value=b.handle />
                        <button type="submit" class="small">{text::BROWSER_END}</button>
                    </ActionForm>
                }
                .into_any()
            };
            view! {
                <tr>
                    <td>{b.browser}</td>
                    <td>{b.address}</td>
                    <td>{b.since}</td>
                    <td>{b.last_seen}</td>
                    <td>{action}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="browsers">
            <h2>{text::BROWSERS_TITLE}</h2>
            <p class="hint">{text::BROWSERS_HINT}</p>
            <FormError server=error />
            <ScrollTable label=text::BROWSERS_TITLE>
                <table>
                    <thead>
                        <tr>
                            <th>{text::DEVICE_BROWSER}</th>
                            <th>{text::BROWSER_ADDRESS}</th>
                            <th>{text::BROWSER_SINCE}</th>
                            <th>{text::BROWSER_LAST_SEEN}</th>
                            <th><span class="visually-hidden">{text::TABLE_ACTIONS}</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </ScrollTable>
            {if others {
                view! {
                    <ActionForm action=end>
                        <button type="submit" class="small">{text::BROWSER_END_OTHERS}</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! { <p>{text::BROWSERS_ONLY_THIS}</p> }.into_any()
            }}
        </section>
    }
}
