//! Widgets shared by several pages. They import no feature module.

use crate::error::{AppError, Field};
use crate::text;
use leptos::html;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The bar on public pages: the brand only.
#[component]
pub fn PublicHeader() -> impl IntoView {
    view! {
        <header class="bar">
            <a class="bar-brand" href="/">{text::BRAND}</a>
        </header>
    }
}

/// A message under one field: the browser's own check first, then the
/// server's answer.
#[component]
pub fn FieldError(
    #[prop(into)] id: String,
    field: Field,
    #[prop(optional, into)] local: MaybeProp<&'static str>,
    #[prop(into)] server: Signal<Option<AppError>>,
) -> impl IntoView {
    let message = move || {
        local
            .get()
            .or_else(|| server.get().and_then(|e| e.for_field(field)))
    };
    view! {
        <p class="field-error" id=id role="alert" aria-live="polite">
            {message}
        </p>
    }
}

/// A field for a six-digit one-time code, with its label and message: a
/// numeric keyboard on phones, and the code the phone offers to fill in.
/// Emptied whenever the form is refused: a code is a secret, and a stale
/// one is no use.
/// `name` is also the element id, unless `id` is given (a page with several
/// such fields).
#[component]
pub fn CodeField(
    name: &'static str,
    #[prop(optional, into)] id: Option<String>,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] local: MaybeProp<&'static str>,
    #[prop(into)] server: Signal<Option<AppError>>,
    #[prop(optional)] node_ref: Option<NodeRef<html::Input>>,
) -> impl IntoView {
    let id = id.unwrap_or_else(|| name.to_owned());
    let error_id = format!("{id}-error");
    let node_ref = node_ref.unwrap_or_default();
    clear_when(move || server.with(Option::is_some), node_ref);
    view! {
        <label for=id.clone()>{label}</label>
        {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
        <input
            id=id
            name=name
            type="text"
            inputmode="numeric"
            autocomplete="one-time-code"
            aria-describedby=error_id.clone()
            node_ref=node_ref
        />
        <FieldError id=error_id field=Field::Code local server />
    }
}

/// A password field with its label, an optional hint and its message:
/// the one way every form asks for a password. `id` is also the field's
/// name. Emptied whenever the form is refused, like [`CodeField`].
#[component]
pub fn PasswordField(
    id: &'static str,
    #[prop(default = text::PASSWORD)] label: &'static str,
    /// The field its server-side messages belong to.
    #[prop(default = Field::Password)]
    field: Field,
    /// `new-password` for a password being chosen.
    #[prop(default = "current-password")]
    autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional, into)] local: MaybeProp<&'static str>,
    #[prop(into)] server: Signal<Option<AppError>>,
    #[prop(optional)] node_ref: Option<NodeRef<html::Input>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let node_ref = node_ref.unwrap_or_default();
    clear_when(move || server.with(Option::is_some), node_ref);
    view! {
        <label for=id>{label}</label>
        {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
        <input
            id=id
            name=id
            type="password"
            autocomplete=autocomplete
            aria-describedby=error_id.clone()
            node_ref=node_ref
        />
        <FieldError id=error_id field local server />
    }
}

/// Empties a field whenever `failed` turns true: a rejected password or
/// code is never left standing in the form.
pub fn clear_when(failed: impl Fn() -> bool + 'static, input: NodeRef<html::Input>) {
    Effect::new(move |_| {
        if failed() {
            if let Some(el) = input.get_untracked() {
                el.set_value("");
            }
        }
    });
}

/// A server function's error for the form or page as a whole (field
/// errors show under their fields instead). The one place a form's error
/// is rendered: its words always come from `text`, through `AppError`.
///
/// A session that ended while the form was being filled in is explained:
/// what was typed is still there (secrets aside, see [`CodeField`]), and a
/// link opens the sign-in in another tab, so that the form can be sent
/// again from here afterwards.
#[component]
pub fn FormError(#[prop(into)] server: Signal<Option<AppError>>) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    move || {
        let err = server.get()?;
        let message = err.for_form()?;
        let expired = (err == AppError::NotSignedIn).then(|| {
            let here = format!("{}{}", location.pathname.get(), location.search.get());
            view! {
                <p>{text::EXPIRED_INPUT_KEPT}</p>
                <p>
                    <a href=crate::routes::login_url(&here) target="_blank" rel="noopener">
                        {text::EXPIRED_SIGN_IN_LINK}
                    </a>
                </p>
            }
        });
        Some(view! {
            <div class="form-error" role="alert">
                <p>{message}</p>
                {expired}
            </div>
        })
    }
}

/// Counts an action's successful runs. A page's data reloads on this, not
/// on every run: a refused form (a wrong code, a session that expired)
/// then stays as it was, with what was typed and its message, instead of
/// being drawn again empty or replaced by the load's error.
pub fn successes<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: ServerFn + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    Memo::new(move |before: Option<&usize>| {
        let before = before.copied().unwrap_or(0);
        let succeeded = action.value().with(|v| matches!(v, Some(Ok(_))));
        before + usize::from(succeeded)
    })
}

/// A page of several forms (one per item, and one for a new item) that
/// share one action: the last run's error ([`FormErrors::all`]), and, for
/// each form, that error only if that form sent it ([`FormErrors::of`]),
/// so that a refused code shows under the code field of the form that
/// sent it.
pub struct FormErrors<K: Send + Sync + 'static> {
    pub all: Signal<Option<AppError>>,
    /// The form the last run came from (`None`: the new item's, also when
    /// unknown, after a form sent without JavaScript).
    sent_from: RwSignal<Option<K>>,
}

impl<K: Send + Sync + 'static> Clone for FormErrors<K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K: Send + Sync + 'static> Copy for FormErrors<K> {}

impl<K: Clone + PartialEq + Send + Sync + 'static> FormErrors<K> {
    /// `form_of` names the form a run of `action` came from.
    pub fn new<S>(
        action: ServerAction<S>,
        form_of: impl Fn(&S) -> Option<K> + Send + Sync + 'static,
    ) -> Self
    where
        S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
        S::Output: Clone + Send + Sync + 'static,
    {
        let all = Signal::derive(move || action.value().get().and_then(Result::err));
        let sent_from = RwSignal::new(None::<K>);
        Effect::new(move |_| {
            if let Some(sent) = action.input().get() {
                sent_from.set(form_of(&sent));
            }
        });
        Self { all, sent_from }
    }

    /// The error of the form `form` (`None`: the new item's).
    pub fn of(self, form: Option<K>) -> Signal<Option<AppError>> {
        Signal::derive(move || self.all.get().filter(|_| self.sent_from.get() == form))
    }
}

/// A table that may be wider than a phone: it scrolls inside its own box,
/// which the keyboard can reach, so that the page itself never scrolls
/// sideways (WCAG 1.4.10).
#[component]
pub fn ScrollTable(label: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="table-scroll" role="region" aria-label=label tabindex="0">
            {children()}
        </div>
    }
}

/// A page whose data did not load: the error, in `FormError`'s words, and
/// on the server the page's HTTP status from the error (a 503 while the
/// database is away), so that monitors and load balancers see it too.
/// A server function called over HTTP gets its status as its error is
/// encoded (`AppError::ser`); this is for calls made while rendering.
///
/// A session that must do something first (a new password, MFA setup for
/// staff) is sent to that page: on the server by a redirect, in the
/// browser (a page reached by the client-side router) by navigating.
#[component]
pub fn LoadError(err: AppError) -> impl IntoView {
    let duty_page = crate::routes::duty_page(&err);
    #[cfg(feature = "ssr")]
    {
        err.set_status(crate::error::Answer::Page);
        if let Some(page) = duty_page {
            leptos_axum::redirect(page);
        }
    }
    #[cfg(not(feature = "ssr"))]
    if let Some(page) = duty_page {
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |_| navigate(page, Default::default()));
    }
    view! { <p class="form-error" role="alert">{err.message()}</p> }
}

/// The answer for any path the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <PublicHeader />
        <main class="page narrow">
            <h1>{text::NOT_FOUND_TITLE}</h1>
            <p>{text::NOT_FOUND}</p>
            <p><a href="/">{text::BACK_TO_TOP}</a></p>
        </main>
    }
}
