//! `操作・ログインの記録`: the audit trail for admins, filtered by account,
//! event and dates, a page at a time, and as CSV for Excel.

use super::{AuditTable, Pager};
use crate::auth::AppHeader;
use crate::components::{FieldError, LoadError};
use crate::error::{AppError, Field};
use crate::routes::{ADMIN_AUDIT, ADMIN_AUDIT_CSV, CONSOLE};
use crate::text;
use crate::types::AuditPage;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// One page of the records the filter selects.
#[server(prefix = "/api", endpoint = "admin/audit")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "admin_audit", skip_all))]
pub async fn load_audit(
    #[server(default)] login_id: String,
    #[server(default)] event: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default = "crate::console::first_page")] page: u32,
) -> Result<AuditPage, AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::trail::{self, Query};
    let Call { state, .. } = Call::new(Need::Admin)?;
    let query = Query {
        login_id: &login_id,
        event: &event,
        from: &from,
        to: &to,
    };
    trail::page(&state, &query, page).await
}

/// The filter's query string (without the page), as the form sends it.
fn filter_query(fields: &[(&str, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::domain::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[component]
pub fn AuditTrailPage() -> impl IntoView {
    let query = use_query_map();
    let field = move |name: &str| query.read().get(name).unwrap_or_default();
    let fields = move || {
        ["login_id", "event", "from", "to"]
            .map(|k| (k, field(k)))
            .to_vec()
    };
    let page = move || field("page").parse::<u32>().unwrap_or(1);
    let records = Resource::new(
        move || (fields(), page()),
        |(fields, page)| {
            let get = |k: &str| {
                fields
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            load_audit(get("login_id"), get("event"), get("from"), get("to"), page)
        },
    );
    let events = text::EVENT_LABELS
        .iter()
        .map(|(name, label)| {
            view! { <option value=*name selected=move || field("event") == *name>{*label}</option> }
        })
        .collect_view();
    let csv = move || format!("{ADMIN_AUDIT_CSV}?{}", filter_query(&fields()));
    view! {
        <AppHeader />
        <main class="page">
            <h1>{text::AUDIT_TITLE}</h1>
            <form method="get" action=ADMIN_AUDIT class="search">
                <p>
                    <label for="login_id">{text::AUDIT_ACCOUNT}</label>
                    <input id="login_id" name="login_id" type="text" value=move || field("login_id") />
                </p>
                <p>
                    <label for="event">{text::AUDIT_EVENT}</label>
                    <select id="event" name="event">
                        <option value="">{text::AUDIT_ANY_EVENT}</option>
                        {events}
                    </select>
                </p>
                <p>
                    <label for="from">{text::AUDIT_FROM}</label>
                    <input id="from" name="from" type="date" value=move || field("from")
                        aria-describedby="date-error" />
                </p>
                <p>
                    <label for="to">{text::AUDIT_TO}</label>
                    <input id="to" name="to" type="date" value=move || field("to")
                        aria-describedby="date-error" />
                </p>
                <button type="submit" class="primary">{text::AUDIT_FILTER}</button>
            </form>
            <p><a href=csv download="">{text::AUDIT_CSV}</a></p>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match records.await {
                        Ok(records) => view! { <Records records base=filter_query(&fields()) /> }.into_any(),
                        Err(err @ AppError::Validation { .. }) => {
                            let server = Signal::derive(move || Some(err.clone()));
                            view! { <FieldError id="date-error" field=Field::Date server /> }.into_any()
                        }
                        Err(err) => view! { <LoadError err /> }.into_any(),
                    }
                })}
            </Suspense>
            <p><a href=CONSOLE>{text::CONSOLE_BACK}</a></p>
        </main>
    }
}

#[component]
fn Records(records: AuditPage, base: String) -> impl IntoView {
    if records.lines.is_empty() {
        return view! { <p role="status">{text::AUDIT_NONE}</p> }.into_any();
    }
    let link = move |page: u32| format!("{ADMIN_AUDIT}?{base}&page={page}");
    view! {
        <AuditTable lines=records.lines with_account=true />
        <Pager page=records.page more=records.more link />
    }
    .into_any()
}
