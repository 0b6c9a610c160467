//! `ヘルプデスク`: the staff console. Search for an account, check the
//! caller against what the account page shows, and act for them with a
//! reason. Staff only: the guard answers 403 to anyone else, and every
//! server function here checks the role again.

mod account;
mod admin;
mod audit;
mod clients;
mod notices;

pub use account::AccountPage;
pub use admin::PolicyPage;
pub use audit::AuditTrailPage;
pub use clients::ClientsPage;
pub use notices::NoticesPage;

use crate::auth::AppHeader;
use crate::components::{LoadError, ScrollTable};
use crate::error::AppError;
use crate::routes::{console_account_url, console_search_url, CONSOLE};
use crate::text;
use crate::types::{AccountHit, AccountState, AccountView, AuditLine, SearchResults, StaffAction};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Accounts whose login ID or name starts with `q`, page `page`.
#[server(prefix = "/api", endpoint = "console/search")]
#[cfg_attr(
    feature = "ssr",
    tracing::instrument(name = "console_search", skip_all)
)]
pub async fn search_accounts(
    #[server(default)] q: String,
    #[server(default = "crate::console::first_page")] page: u32,
) -> Result<SearchResults, AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::console;
    let Call { state, session, .. } = Call::new(Need::Staff)?;
    console::search(&state, &session, &q, page).await
}

/// One account's page.
#[server(prefix = "/api", endpoint = "console/account")]
#[cfg_attr(
    feature = "ssr",
    tracing::instrument(name = "console_account", skip_all)
)]
pub async fn load_account(login_id: String) -> Result<AccountView, AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::console;
    let Call { state, session, .. } = Call::new(Need::Staff)?;
    console::account(&state, &session, &login_id).await
}

/// A list's first page, when a request names none.
pub fn first_page() -> u32 {
    1
}

/// One action on an account, with a reason, and the staff member's own
/// code when the last one is older than 10 minutes.
#[server(prefix = "/api", endpoint = "console/act")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "console_act", skip_all))]
pub async fn act(
    login_id: String,
    action: String,
    #[server(default)] reason: String,
    #[server(default)] code: String,
    #[server(default)] confirm: Option<String>,
) -> Result<StaffAction, AppError> {
    use crate::domain::Reason;
    use crate::server::request::{Call, Need};
    use crate::server::services::console::{self, Acted, Action};
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::Staff)?;
    let form = Action {
        login_id: &login_id,
        action: StaffAction::parse(&action).ok_or(AppError::BadRequest)?,
        reason: Reason::parse(&reason)?,
        code: &code,
        confirmed: confirm.as_deref() == Some("yes"),
    };
    match console::act(&state, &session, form, &client).await? {
        Acted::Done(action) => Ok(action),
        Acted::NotOnThisAccount => Err(AppError::NotOnThisAccount),
        Acted::Changed => Err(AppError::Changed),
    }
}

/// An account's state in words.
pub fn state_label(state: &AccountState) -> String {
    match state {
        AccountState::Active => text::STATE_ACTIVE.to_owned(),
        AccountState::Locked(until) => format!("{} {until}", text::STATE_LOCKED_UNTIL),
        AccountState::Disabled(since) => format!("{}（{since}〜）", text::STATE_DISABLED),
    }
}

/// `/helpdesk`: the search form and one page of results.
#[component]
pub fn ConsolePage() -> impl IntoView {
    let query = use_query_map();
    let term = move || query.read().get("q").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
    };
    let results = Resource::new(
        move || (term(), page()),
        |(q, page)| search_accounts(q, page),
    );
    let role = OnceResource::new(crate::auth::my_role());
    let admin_links = move || {
        Suspend::new(async move {
            let admin = role
                .await
                .is_ok_and(|me| me.role == crate::domain::Role::Admin);
            admin.then(|| {
                view! {
                    <nav aria-label=text::ADMIN_LINKS class="admin-links">
                        <a href=crate::routes::ADMIN_AUDIT>{text::AUDIT_TITLE}</a>
                        " "
                        <a href=crate::routes::ADMIN_POLICY>{text::POLICY_TITLE}</a>
                        " "
                        <a href=crate::routes::ADMIN_NOTICES>{text::NOTICES_ADMIN_TITLE}</a>
                        " "
                        <a href=crate::routes::ADMIN_CLIENTS>{text::CLIENTS_TITLE}</a>
                    </nav>
                    <admin::NewAccountForm />
                }
            })
        })
    };
    view! {
        <AppHeader />
        <main class="page">
            <h1>{text::CONSOLE_TITLE}</h1>
            <Suspense fallback=|| ()>{admin_links}</Suspense>
            <form method="get" action=CONSOLE class="search">
                <label for="q">{text::CONSOLE_SEARCH}</label>
                <input id="q" name="q" type="search" autocomplete="off" value=term />
                <button type="submit" class="primary">{text::CONSOLE_SEARCH_BUTTON}</button>
            </form>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(results) => view! { <Results results term=term() /> }.into_any(),
                        Err(err) => view! { <LoadError err /> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn Results(results: SearchResults, term: String) -> impl IntoView {
    if term.trim().is_empty() {
        return ().into_any();
    }
    if results.hits.is_empty() {
        return view! { <p role="status">{text::CONSOLE_NO_RESULTS}</p> }.into_any();
    }
    let rows = results.hits.into_iter().map(|hit: AccountHit| {
        let href = console_account_url(&hit.login_id);
        view! {
            <tr>
                <td><a href=href>{hit.login_id}</a></td>
                <td>{hit.name}</td>
                <td>{hit.role.label()}</td>
                <td>{state_label(&hit.state)}</td>
            </tr>
        }
    });
    view! {
        <ScrollTable label=text::SEARCH_RESULTS>
            <table class="list">
                <thead>
                    <tr>
                        <th scope="col">{text::COL_LOGIN_ID}</th>
                        <th scope="col">{text::COL_NAME}</th>
                        <th scope="col">{text::COL_ROLE}</th>
                        <th scope="col">{text::COL_STATE}</th>
                    </tr>
                </thead>
                <tbody>{rows.collect_view()}</tbody>
            </table>
        </ScrollTable>
        <Pager page=results.page more=results.more link=move |page| console_search_url(&term, page) />
    }
    .into_any()
}

/// `前へ` and `次へ` for a list shown page by page; `link` makes the URL of
/// a page (from 1).
#[component]
fn Pager(page: u32, more: bool, link: impl Fn(u32) -> String) -> impl IntoView {
    let prev = (page > 1).then(|| link(page - 1));
    let next = more.then(|| link(page + 1));
    view! {
        <nav class="pager" aria-label=text::PAGER_LABEL>
            {prev.map(|href| view! { <a href=href rel="prev">{text::CONSOLE_PREV}</a> })}
            {next.map(|href| view! { <a href=href rel="next">{text::CONSOLE_NEXT}</a> })}
        </nav>
    }
}

/// Audit records as staff read them: on an account's page (its own
/// records), and in the admins' audit trail with the account's columns.
#[component]
fn AuditTable(lines: Vec<AuditLine>, with_account: bool) -> impl IntoView {
    let rows = lines
        .into_iter()
        .map(|l| {
            let account = with_account.then(|| view! { <td>{l.account}</td><td>{l.name}</td> });
            view! {
                <tr>
                    <td>{l.at}</td>
                    {account}
                    <td>{l.event} {(!l.detail.is_empty()).then(|| format!("（{}）", l.detail))}</td>
                    <td>{l.actor}</td>
                    <td>{l.reason}</td>
                    <td>{l.address}</td>
                </tr>
            }
        })
        .collect_view();
    let account_heads = with_account.then(|| {
        view! {
            <th scope="col">{text::AUDIT_ACCOUNT}</th>
            <th scope="col">{text::COL_NAME}</th>
        }
    });
    view! {
        <ScrollTable label=text::AUDIT_RECORDS>
            <table class="list events">
                <thead>
                    <tr>
                        <th scope="col">{text::COL_AT}</th>
                        {account_heads}
                        <th scope="col">{text::COL_EVENT}</th>
                        <th scope="col">{text::COL_ACTOR}</th>
                        <th scope="col">{text::COL_REASON}</th>
                        <th scope="col">{text::COL_ADDRESS}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </ScrollTable>
    }
}
