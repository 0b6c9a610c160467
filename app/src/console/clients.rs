//! `連携アプリの管理` (`/admin/clients`): admins register the business
//! applications that sign in through the portal (OpenID Connect clients),
//! bind them to a menu tile or `検索ログイン`, make a new secret, or remove
//! one. Every change needs the admin's step-up code and is recorded; a
//! secret is shown once, on this page, to the admin who made it.

// The registration form's fields are the server function's arguments (as
// every form's are), and `#[server]` copies them to functions of its own,
// where an `allow` on the function does not reach.
#![allow(clippy::too_many_arguments)]

use crate::auth::AppHeader;
use crate::components::{successes, CodeField, FieldError, FormError, FormErrors, LoadError};
use crate::error::{AppError, Field};
use crate::routes::CONSOLE;
use crate::text;
use crate::types::{ClientSecret, ClientView, ClientsPage};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Every registered client, and the ID and secret this session just made
/// (shown once).
#[server(prefix = "/api", endpoint = "admin/clients")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "admin_clients", skip_all))]
pub async fn load_clients() -> Result<ClientsPage, AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::admin;
    let Call { state, session, .. } = Call::new(Need::Admin)?;
    admin::clients_page(&state, &session).await
}

/// `登録する` (`op=add`), `シークレットを再発行する` (`op=new-secret`) or
/// `削除する` (`op=remove`, with the confirming box).
#[server(prefix = "/api", endpoint = "admin/client")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "admin_client", skip_all))]
pub async fn change_client(
    op: String,
    #[server(default)] client_id: String,
    #[server(default)] name: String,
    #[server(default)] redirect_uris: String,
    #[server(default)] post_logout_uris: String,
    #[server(default)] backchannel_uri: String,
    #[server(default)] public: Option<String>,
    #[server(default)] mfa_required: Option<String>,
    #[server(default)] tile: String,
    #[server(default)] start_url: String,
    #[server(default)] confirm: Option<String>,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::admin::{self, ClientForm};
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::Admin)?;
    let form = ClientForm {
        op: &op,
        client_id: &client_id,
        name: &name,
        redirect_uris: &redirect_uris,
        post_logout_uris: &post_logout_uris,
        backchannel_uri: &backchannel_uri,
        public: public.is_some(),
        mfa_required: mfa_required.is_some(),
        tile: &tile,
        start_url: &start_url,
        confirm: confirm.is_some(),
        code: &code,
    };
    admin::change_client(&state, &session, form, &client).await
}

#[component]
pub fn ClientsPage() -> impl IntoView {
    let change = ServerAction::<ChangeClient>::new();
    let changed = successes(change);
    let page = Resource::new(move || changed.get(), |_| load_clients());
    let done = move || matches!(change.value().get(), Some(Ok(())));
    // A client's own form, or the new client's.
    let errors = FormErrors::new(change, |sent: &ChangeClient| {
        (!sent.client_id.is_empty()).then(|| sent.client_id.clone())
    });
    let server = errors.all;
    view! {
        <AppHeader />
        <main class="page">
            <h1>{text::CLIENTS_TITLE}</h1>
            <p>{text::CLIENTS_INTRO}</p>
            {move || done().then(|| view! { <p class="form-ok" role="status">{text::CLIENT_DONE}</p> })}
            <FormError server />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! {
                            {page.revealed.map(|made| view! { <Revealed made /> })}
                            <ClientList clients=page.clients change errors />
                        }
                        .into_any(),
                        Err(err) => view! { <LoadError err /> }.into_any(),
                    }
                })}
            </Suspense>
            <h2>{text::CLIENT_NEW}</h2>
            <NewClientForm change server=errors.of(None) />
            <p><a href=CONSOLE>{text::CONSOLE_BACK}</a></p>
        </main>
    }
}

/// The client ID and secret just made, once.
#[component]
fn Revealed(made: ClientSecret) -> impl IntoView {
    view! {
        <div class="form-ok" role="status">
            <p>{text::CLIENT_SECRET_SHOWN}</p>
            <dl>
                <dt>{text::CLIENT_ID}</dt>
                <dd><code class="secret-key" aria-label=text::CLIENT_ID>{made.client_id}</code></dd>
                {made.secret.map(|secret| view! {
                    <dt>{text::CLIENT_SECRET}</dt>
                    <dd><code class="secret-key" aria-label=text::CLIENT_SECRET>{secret}</code></dd>
                })}
            </dl>
        </div>
    }
}

fn tile_label(tile: &str) -> &str {
    text::client_tiles()
        .find(|(name, _)| *name == tile)
        .map_or(tile, |(_, label)| label)
}

/// Every client: what it is, where it may send browsers, and its actions.
#[component]
fn ClientList(
    clients: Vec<ClientView>,
    change: ServerAction<ChangeClient>,
    errors: FormErrors<String>,
) -> impl IntoView {
    if clients.is_empty() {
        return view! { <p>{text::CLIENTS_NONE}</p> }.into_any();
    }
    clients
        .into_iter()
        .map(|c| {
            let id = c.client_id.clone();
            let uris = |list: Vec<String>| {
                list.into_iter()
                    .map(|u| view! { <li><code>{u}</code></li> })
                    .collect_view()
            };
            view! {
                <section class="client" aria-label=c.name.clone()>
                    <h2>{c.name.clone()}</h2>
                    <dl class="account-facts client-facts">
                            <dt>{text::CLIENT_ID}</dt>
                            <dd><code>{c.client_id.clone()}</code></dd>
                            <dt>{text::CLIENT_KIND}</dt>
                            <dd>
                                {if c.public { text::CLIENT_PUBLIC } else { text::CLIENT_CONFIDENTIAL }}
                                {c.mfa_required.then(|| view! { "、" {text::CLIENT_MFA_REQUIRED_SHORT} })}
                            </dd>
                            <dt>{text::CLIENT_TILE}</dt>
                            <dd>{c.tile.as_deref().map_or(text::CLIENT_TILE_NONE.to_owned(), |t| tile_label(t).to_owned())}</dd>
                            {c.start_url.clone().map(|u| view! {
                                <dt>{text::CLIENT_START_URL}</dt>
                                <dd><code>{u}</code></dd>
                            })}
                            <dt>{text::CLIENT_REDIRECT_URIS}</dt>
                            <dd><ul>{uris(c.redirect_uris.clone())}</ul></dd>
                            {(!c.post_logout_uris.is_empty()).then(|| view! {
                                <dt>{text::CLIENT_POST_LOGOUT_URIS}</dt>
                                <dd><ul>{uris(c.post_logout_uris.clone())}</ul></dd>
                            })}
                            {c.backchannel_logout_uri.clone().map(|u| view! {
                                <dt>{text::CLIENT_BACKCHANNEL_URI}</dt>
                                <dd><code>{u}</code></dd>
                            })}
                    </dl>
                    <ClientActions client_id=id.clone() public=c.public change server=errors.of(Some(id)) />
                </section>
            }
        })
        .collect_view()
        .into_any()
}

/// One client's actions: a new secret (confidential clients) and removal,
/// each with the admin's code.
#[component]
fn ClientActions(
    client_id: String,
    public: bool,
    change: ServerAction<ChangeClient>,
    server: Signal<Option<AppError>>,
) -> impl IntoView {
    let [code_id, confirm_error] =
        ["code", "confirm-error"].map(|field| format!("client-{client_id}-{field}"));
    view! {
        <ActionForm action=change attr:class="client-actions">
            <input type="hidden" name="client_id" value=client_id.clone() />
            <CodeField name="code" id=code_id label=text::ACTION_CODE hint=text::ACTION_CODE_HINT server />
            <label class="check">
                <input name="confirm" type="checkbox" value="yes" aria-describedby=confirm_error.clone() />
                {text::CLIENT_REMOVE_CONFIRM}
            </label>
            <FieldError id=confirm_error field=Field::Confirm server />
            <div class="actions">
                {(!public).then(|| view! {
                    <button type="submit" name="op" value="new-secret" class="action">{text::CLIENT_NEW_SECRET}</button>
                })}
                <button type="submit" name="op" value="remove" class="action danger">{text::CLIENT_REMOVE}</button>
            </div>
        </ActionForm>
    }
}

/// `連携アプリを登録する`.
#[component]
fn NewClientForm(
    change: ServerAction<ChangeClient>,
    server: Signal<Option<AppError>>,
) -> impl IntoView {
    let tiles = text::client_tiles()
        .map(|(name, label)| view! { <option value=name>{label}</option> })
        .collect_view();
    view! {
        <ActionForm action=change attr:class="client-form">
            <input type="hidden" name="op" value="add" />
            <label for="client-name">{text::CLIENT_NAME}</label>
            <input id="client-name" name="name" type="text" autocomplete="off" aria-describedby="client-name-error" />
            <FieldError id="client-name-error" field=Field::Name server />
            <label for="client-redirect-uris">{text::CLIENT_REDIRECT_URIS}</label>
            <p class="hint" id="client-uri-hint">{text::CLIENT_URI_HINT}</p>
            <textarea id="client-redirect-uris" name="redirect_uris" rows="2" aria-describedby="client-uri-hint client-redirect-uris-error"></textarea>
            <FieldError id="client-redirect-uris-error" field=Field::RedirectUris server />
            <label for="client-post-logout-uris">{text::CLIENT_POST_LOGOUT_URIS}</label>
            <textarea id="client-post-logout-uris" name="post_logout_uris" rows="2" aria-describedby="client-post-logout-uris-error"></textarea>
            <FieldError id="client-post-logout-uris-error" field=Field::PostLogoutUris server />
            <label for="client-backchannel-uri">{text::CLIENT_BACKCHANNEL_URI}</label>
            <input id="client-backchannel-uri" name="backchannel_uri" type="text" inputmode="url" autocomplete="off" aria-describedby="client-backchannel-uri-error" />
            <FieldError id="client-backchannel-uri-error" field=Field::BackchannelUri server />
            <label for="client-tile">{text::CLIENT_TILE}</label>
            <select id="client-tile" name="tile" aria-describedby="client-tile-error">
                <option value="">{text::CLIENT_TILE_NONE}</option>
                {tiles}
            </select>
            <FieldError id="client-tile-error" field=Field::Tile server />
            <label for="client-start-url">{text::CLIENT_START_URL}</label>
            <input id="client-start-url" name="start_url" type="text" inputmode="url" autocomplete="off" aria-describedby="client-start-url-error" />
            <FieldError id="client-start-url-error" field=Field::StartUrl server />
            <label class="check">
                <input name="public" type="checkbox" value="yes" />
                {text::CLIENT_PUBLIC_LABEL}
            </label>
            <label class="check">
                <input name="mfa_required" type="checkbox" value="yes" />
                {text::CLIENT_MFA_REQUIRED}
            </label>
            <CodeField name="code" id="client-new-code" label=text::ACTION_CODE hint=text::ACTION_CODE_HINT server />
            <div class="actions">
                <button type="submit" class="primary">{text::CLIENT_REGISTER}</button>
            </div>
        </ActionForm>
    }
}
