//! The setup screen (manual steps 6 to 8): the QR code, the same key as
//! text, and `ワンタイムパスワードの入力` with `>`.

use super::ConfirmMfaSetup;
use crate::auth::AppHeader;
use crate::components::{CodeField, FormError, LoadError};
use crate::routes::MFA_SETTINGS;
use crate::text;
use crate::types::SetupDetails;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn MfaSetupPage() -> impl IntoView {
    let details = OnceResource::new(super::mfa_setup_details());
    view! {
        <AppHeader />
        <main class="page narrow">
            <h1>{text::SETUP_TITLE}</h1>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match details.await {
                        Ok(details) => view! { <Setup details /> }.into_any(),
                        Err(err) => view! {
                            <LoadError err />
                            <p><a href=MFA_SETTINGS>{text::MFA_TITLE}</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <p><a href=MFA_SETTINGS>{text::SETUP_CANCEL}</a></p>
        </main>
    }
}

#[component]
fn Setup(details: SetupDetails) -> impl IntoView {
    let confirm = ServerAction::<ConfirmMfaSetup>::new();
    let server_error = Signal::derive(move || confirm.value().get().and_then(Result::err));
    let key_groups = details
        .key
        .split_whitespace()
        .map(|group| view! { <span>{group.to_owned()}</span> })
        .collect_view();
    view! {
        <ol class="steps">
            <li>{text::SETUP_STEP_6}</li>
            <li>{text::SETUP_STEP_7}</li>
        </ol>
        // The picture's text alternative says what it is for and points to
        // the same key as text below.
        <div class="qr" role="img" aria-label=text::SETUP_QR_ALT inner_html=details.qr_svg></div>
        // On a phone the QR code cannot be scanned by the phone showing
        // it: the app opens with the same link instead (shown on touch
        // screens only, by CSS, so also without JavaScript).
        <p class="phone-only">
            <a class="button" href=details.otpauth_url>{text::SETUP_OPEN_APP}</a>
            <span class="hint">{text::SETUP_OPEN_APP_HINT}</span>
        </p>
        <p class="hint">{text::SETUP_KEY_HELP}</p>
        <dl class="key">
            <dt>{text::SETUP_ACCOUNT}</dt>
            <dd>{details.account}</dd>
            <dt>{text::SETUP_KEY}</dt>
            // Shown in groups of four for reading, but the groups are spaced
            // by CSS: selecting the key (one click selects it all) copies
            // one string, as the apps want it.
            <dd><code class="secret-key" id="setup-key">{key_groups}</code></dd>
        </dl>
        <ol class="steps" start="8">
            <li>{text::SETUP_STEP_8}</li>
        </ol>
        <ActionForm action=confirm>
            <FormError server=server_error />
            <CodeField name="code" label=text::SETUP_CODE_FIELD server=server_error />
            <button type="submit" class="primary next" disabled=move || confirm.pending().get()>{text::NEXT_BUTTON}</button>
        </ActionForm>
    }
}
