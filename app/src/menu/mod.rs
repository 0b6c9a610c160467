//! The business menu and the pages behind it that are not built yet.

use crate::auth::AppHeader;
use crate::components::NotFound;
use crate::text;
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_params_map};

/// `業務メニュー`: the eight tiles of the manual.
#[component]
pub fn MenuPage() -> impl IntoView {
    let tiles = text::TILES
        .iter()
        .enumerate()
        .map(|(i, (href, title, description))| {
            let desc_id = format!("tile-desc-{i}");
            let described_by = desc_id.clone();
            view! {
                <li>
                    <a class="tile" href=*href aria-label=*title aria-describedby=described_by>
                        <span class="tile-title">{*title}</span>
                        <span class="tile-desc" id=desc_id>{*description}</span>
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <AppHeader />
        <main class="page">
            <h1>{text::MENU_TITLE}</h1>
            <ul class="tiles">{tiles}</ul>
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
