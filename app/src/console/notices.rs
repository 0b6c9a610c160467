//! `お知らせの管理` (`/admin/notices`): admins post, edit and delete the
//! portal's notices (date, title, body). `NEW` is computed from the date.

use crate::auth::AppHeader;
use crate::components::{successes, CodeField, FieldError, FormError, FormErrors, LoadError};
use crate::error::{AppError, Field};
use crate::routes::CONSOLE;
use crate::text;
use crate::types::Notice;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Every notice, newest first.
#[server(prefix = "/api", endpoint = "admin/notices")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "admin_notices", skip_all))]
pub async fn load_notices() -> Result<Vec<Notice>, AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::admin;
    let Call { state, .. } = Call::new(Need::Admin)?;
    admin::notices(&state).await
}

/// `掲載する` / `保存する` (`op=save`, with `id` to edit) or `削除する`
/// (`op=delete`).
#[server(prefix = "/api", endpoint = "admin/notice")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "admin_notice", skip_all))]
pub async fn change_notice(
    op: String,
    id: Option<i64>,
    #[server(default)] date: String,
    #[server(default)] title: String,
    #[server(default)] body: String,
    #[server(default)] code: String,
) -> Result<(), AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::admin::{self, NoticeForm};
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::Admin)?;
    let form = NoticeForm {
        id,
        op: &op,
        date: &date,
        title: &title,
        body: &body,
        code: &code,
    };
    admin::change_notice(&state, &session, form, &client).await
}

#[component]
pub fn NoticesPage() -> impl IntoView {
    let change = ServerAction::<ChangeNotice>::new();
    let changed = successes(change);
    let notices = Resource::new(move || changed.get(), |_| load_notices());
    let done = move || matches!(change.value().get(), Some(Ok(())));
    // A notice's own form, or the new notice's.
    let errors = FormErrors::new(change, |sent: &ChangeNotice| sent.id);
    let server = errors.all;
    view! {
        <AppHeader />
        <main class="page">
            <h1>{text::NOTICES_ADMIN_TITLE}</h1>
            {move || done().then(|| view! { <p class="form-ok" role="status">{text::NOTICE_DONE}</p> })}
            // The last submission's problem, whichever form it came from.
            <FormError server />
            <FieldError id="notice-date-error" field=Field::Date server />
            <FieldError id="notice-title-error" field=Field::Title server />
            <FieldError id="notice-body-error" field=Field::Body server />
            <h2>{text::NOTICE_NEW}</h2>
            <NoticeForm notice=None change server=errors.of(None) />
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match notices.await {
                        Ok(list) => list
                            .into_iter()
                            .map(|n| view! {
                                <h2>{n.date.clone()} " " {n.title.clone()}</h2>
                                <NoticeForm notice=Some(n.clone()) change server=errors.of(Some(n.id)) />
                            })
                            .collect_view()
                            .into_any(),
                        Err(err) => view! { <LoadError err /> }.into_any(),
                    }
                })}
            </Suspense>
            <p><a href=CONSOLE>{text::CONSOLE_BACK}</a></p>
        </main>
    }
}

/// One notice's form (or the new notice's, with `None`).
#[component]
fn NoticeForm(
    notice: Option<Notice>,
    change: ServerAction<ChangeNotice>,
    server: Signal<Option<AppError>>,
) -> impl IntoView {
    let key = notice
        .as_ref()
        .map_or("new".to_owned(), |n| n.id.to_string());
    let id = move |field: &str| format!("notice-{key}-{field}");
    let (date, title, body) = notice.as_ref().map_or_else(Default::default, |n| {
        (n.date.replace('/', "-"), n.title.clone(), n.body.clone())
    });
    let existing = notice.as_ref().map(|n| n.id);
    view! {
        <ActionForm action=change attr:class="notice-form">
            {existing.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <label for=id("date")>{text::NOTICE_DATE}</label>
            // The messages are at the top of the page (one action serves
            // every form), and each field points to its own.
            <input id=id("date") name="date" type="date" value=date aria-describedby="notice-date-error" />
            <label for=id("title")>{text::NOTICE_TITLE}</label>
            <input id=id("title") name="title" type="text" value=title aria-describedby="notice-title-error" />
            <label for=id("body")>{text::NOTICE_BODY}</label>
            <textarea id=id("body") name="body" rows="3" aria-describedby="notice-body-error">{body}</textarea>
            <CodeField name="code" id=id("code") label=text::ACTION_CODE hint=text::ACTION_CODE_HINT server />
            <div class="actions">
                <button type="submit" name="op" value="save" class="action">
                    {if existing.is_some() { text::NOTICE_SAVE } else { text::NOTICE_POST }}
                </button>
                {existing.is_some().then(|| view! {
                    <button type="submit" name="op" value="delete" class="action danger">{text::NOTICE_DELETE}</button>
                })}
            </div>
        </ActionForm>
    }
}
