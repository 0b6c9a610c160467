//! The portal (top page): both sign-in entries, the links, and notices.

use crate::components::{LoadError, PublicHeader};
use crate::error::AppError;
use crate::text;
use crate::types::Notice;
use leptos::prelude::*;

/// The newest notices, newest first.
#[server(prefix = "/api", endpoint = "notices")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "notices", skip_all))]
pub async fn list_notices() -> Result<Vec<Notice>, AppError> {
    use crate::server::{request, services::notices};
    notices::latest(&request::state()?).await
}

/// Where `検索ログイン` goes without an application bound to it: the
/// sign-in, then the portal's (not built) vehicle search.
const SEARCH_ENTRY: &str = "/login?next=/search";

/// Where `検索ログイン` goes: the vehicle search application bound to it
/// (`autobank client add --tile search`), which signs the dealer in
/// through the portal, or else [`SEARCH_ENTRY`].
#[server(prefix = "/api", endpoint = "search_entry")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "search_entry", skip_all))]
pub async fn search_entry() -> Result<String, AppError> {
    use crate::server::{request, services::notices};
    let state = request::state()?;
    Ok(notices::search_start(&state)
        .await?
        .unwrap_or_else(|| SEARCH_ENTRY.to_owned()))
}

#[component]
fn NoticeList(notices: Vec<Notice>) -> impl IntoView {
    if notices.is_empty() {
        return view! { <p>{text::NO_NOTICES}</p> }.into_any();
    }
    let items = notices
        .into_iter()
        .map(|n| {
            view! {
                <li class="notice">
                    <p class="notice-head">
                        {n.is_new.then(|| view! { <span class="new">{text::NEW_MARK}</span> " " })}
                        <span class="notice-date">"【" {n.date} "】"</span>
                        " "
                        <span class="notice-title">{n.title}</span>
                    </p>
                    {(!n.body.is_empty()).then(|| view! { <p class="notice-body">{n.body}</p> })}
                </li>
            }
        })
        .collect_view();
    view! { <ul class="notices">{items}</ul> }.into_any()
}

#[component]
pub fn PortalPage() -> impl IntoView {
    // Read once: nothing on the page asks for them again, so no reactive
    // source to track (see docs/BENCHMARKS.md, section F).
    let notices = OnceResource::new(list_notices());
    let search = OnceResource::new(search_entry());
    let search_href = move || {
        Suspend::new(async move {
            let href = search.await.unwrap_or_else(|_| SEARCH_ENTRY.to_owned());
            view! { <a class="entry" href=href>{text::SEARCH_LOGIN}</a> }
        })
    };
    view! {
        <PublicHeader />
        <main class="portal">
            <section class="hero">
                <h1 class="brand">{text::BRAND}</h1>
                <p class="tagline">{text::TAGLINE}</p>
                <nav class="entries">
                    <Suspense fallback=|| view! { <a class="entry" href=SEARCH_ENTRY>{text::SEARCH_LOGIN}</a> }>
                        {search_href}
                    </Suspense>
                    <a class="entry primary" href="/login?next=/menu">{text::BUSINESS_LOGIN}</a>
                </nav>
                <ul class="links">
                    <li><a href="/login?next=/mfa">{text::MFA_SETUP_LINK}</a></li>
                    <li><a href="/forgot">{text::FORGOT_PASSWORD_LINK}</a></li>
                </ul>
            </section>
            <section class="information" aria-labelledby="information">
                <h2 id="information">{text::INFORMATION}</h2>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match notices.await {
                            Ok(list) => view! { <NoticeList notices=list /> }.into_any(),
                            Err(err) => view! { <LoadError err /> }.into_any(),
                        }
                    })}
                </Suspense>
            </section>
        </main>
    }
}
