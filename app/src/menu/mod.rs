//! The business menu and the pages behind it that are not built yet.

use crate::auth::{my_role, AppHeader};
use crate::components::{LoadError, NotFound};
use crate::routes::CONSOLE;
use crate::text;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};

#[component]
fn Tile(
    #[prop(into)] href: String,
    title: &'static str,
    description: &'static str,
    id: String,
) -> impl IntoView {
    let described_by = id.clone();
    // The link's name is its visible title alone, so that a dealer using
    // voice control can say it; the description is read after it. The
    // whole tile is still one click target (CSS stretches the link).
    view! {
        <li class="tile">
            <a class="tile-title" href=href aria-describedby=described_by>{title}</a>
            <span class="tile-desc" id=id>{description}</span>
        </li>
    }
}

/// `業務メニュー`: the eight tiles of the manual, and for staff the
/// console's.
#[component]
pub fn MenuPage() -> impl IntoView {
    let role = OnceResource::new(my_role());
    // A tile bound to a business application opens it (its own origin:
    // the router leaves the link to the browser); the others keep their
    // honest "not built" page.
    let tiles = move || {
        Suspend::new(async move {
            let apps = role.await.map(|me| me.apps).unwrap_or_default();
            text::TILES
                .iter()
                .enumerate()
                .map(|(i, (path, title, description))| {
                    let href = apps
                        .iter()
                        .find(|(tile, _)| tile == path)
                        .map_or_else(|| (*path).to_owned(), |(_, start)| start.clone());
                    view! { <Tile href title=*title description=*description id=format!("tile-desc-{i}") /> }
                })
                .collect_view()
        })
    };
    let mfa_notice = move || {
        Suspend::new(async move {
            role.await
                .ok()
                .and_then(|me| me.mfa_required_from)
                .map(|from| {
                    view! {
                        <p class="notice-box" role="status">{format!("{from}{}", text::MFA_REQUIRED_FROM)}</p>
                    }
                })
        })
    };
    let staff_tile = move || {
        Suspend::new(async move {
            match role.await {
                Ok(me) => me.role.is_staff().then(|| view! {
                    <Tile href=CONSOLE title=text::CONSOLE_TILE_TITLE
                        description=text::CONSOLE_TILE_DESC id="tile-desc-console".to_owned() />
                }).into_any(),
                Err(err) => view! { <li><LoadError err /></li> }.into_any(),
            }
        })
    };
    view! {
        <AppHeader />
        <main class="page">
            <h1>{text::MENU_TITLE}</h1>
            <Suspense fallback=|| ()>{mfa_notice}</Suspense>
            <ul class="tiles">
                <Suspense fallback=|| ()>{tiles}</Suspense>
                <Suspense fallback=|| ()>{staff_tile}</Suspense>
            </ul>
        </main>
    }
}

/// A page that is not built yet says so and leads back to the menu.
#[component]
fn NotBuilt(title: &'static str) -> impl IntoView {
    view! {
        <AppHeader />
        <main class="page narrow">
            <h1>{title}</h1>
            <p class="notice-box" role="status">{text::NOT_BUILT}</p>
            <p><a href="/menu">{text::BACK_TO_MENU}</a></p>
        </main>
    }
}

/// The tiles other than MFA, by their path.
#[component]
pub fn NotBuiltPage() -> impl IntoView {
    let params = use_params_map();
    let location = use_location();
    move || {
        let _ = params.read();
        let path = location.pathname.get();
        match text::TILES.iter().find(|(href, _, _)| *href == path) {
            Some((_, title, _)) => NotBuilt(NotBuiltProps { title }).into_any(),
            None => NotFound().into_any(),
        }
    }
}

/// `検索ログイン` lands here: vehicle search is not built yet.
#[component]
pub fn SearchPage() -> impl IntoView {
    view! { <NotBuilt title=text::VEHICLE_SEARCH /> }
}
