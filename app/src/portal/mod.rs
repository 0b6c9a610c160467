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
    let notices = Resource::new(|| (), |_| list_notices());
    view! {
        <PublicHeader />
        <main class="portal">
            <section class="hero">
                <h1 class="brand">{text::BRAND}</h1>
                <p class="tagline">{text::TAGLINE}</p>
                <nav class="entries">
                    <a class="entry" href="/login?next=/search">{text::SEARCH_LOGIN}</a>
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
