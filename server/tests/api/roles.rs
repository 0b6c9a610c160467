//! Who reaches what: every page route (from the app's route table) and
//! every server function (from the registry), walked by a dealer, the
//! helpdesk and an admin, each fully signed in. A route or function that
//! is not in the tables below fails the test: a new one must say who may
//! reach it.

use crate::helpers::*;
use app::error::AppError;
use reqwest::StatusCode;

/// Who may reach a page or a server function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Anyone, signed in or not.
    Anyone,
    /// A half sign-in only (the code page); a full one is sent on.
    HalfSignIn,
    /// Every fully signed-in account.
    SignedIn,
    /// Helpdesk and admin.
    Staff,
    /// Admins only.
    Admin,
}

/// Every page, with path parameters written as `x`.
const PAGES: &[(&str, Reach)] = &[
    ("/", Reach::Anyone),
    ("/login", Reach::Anyone),
    ("/forgot", Reach::Anyone),
    ("/login/code", Reach::HalfSignIn),
    ("/login/recovery", Reach::HalfSignIn),
    ("/menu", Reach::SignedIn),
    ("/menu/x", Reach::SignedIn),
    ("/search", Reach::SignedIn),
    ("/mfa", Reach::SignedIn),
    ("/mfa/setup", Reach::SignedIn),
    ("/password", Reach::SignedIn),
    ("/helpdesk", Reach::Staff),
    ("/helpdesk/users/x", Reach::Staff),
    ("/admin/audit", Reach::Admin),
    ("/admin/policy", Reach::Admin),
    ("/admin/notices", Reach::Admin),
    ("/admin/clients", Reach::Admin),
    // Plain routes (`app::server::export::PLAIN_ROUTES`).
    ("/admin/audit.csv", Reach::Admin),
    ("/healthz", Reach::Anyone),
    ("/readyz", Reach::Anyone),
    // The OpenID Connect provider's (`app::server::provider::ROUTES`):
    // applications reach them; the authorization endpoint asks for a
    // session itself, and the token and userinfo endpoints for a client's
    // or a token's credentials (tests/api/oidc.rs).
    ("/.well-known/openid-configuration", Reach::Anyone),
    ("/oidc/authorize", Reach::Anyone),
    ("/oidc/token", Reach::Anyone),
    ("/oidc/userinfo", Reach::Anyone),
    ("/oidc/jwks", Reach::Anyone),
    ("/oidc/revoke", Reach::Anyone),
    ("/oidc/introspect", Reach::Anyone),
    ("/oidc/logout", Reach::Anyone),
    ("/oidc/continue", Reach::Anyone),
];

/// Every server function.
const FUNCTIONS: &[(&str, Reach)] = &[
    ("/api/login", Reach::Anyone),
    ("/api/logout", Reach::Anyone),
    ("/api/notices", Reach::Anyone),
    ("/api/search_entry", Reach::Anyone),
    ("/api/waiting-app", Reach::Anyone),
    ("/api/mfa/code", Reach::HalfSignIn),
    ("/api/mfa/recovery", Reach::HalfSignIn),
    ("/api/mfa/recovery-codes", Reach::SignedIn),
    ("/api/me/role", Reach::SignedIn),
    ("/api/mfa/status", Reach::SignedIn),
    ("/api/mfa/apply", Reach::SignedIn),
    ("/api/mfa/setup", Reach::SignedIn),
    ("/api/mfa/confirm", Reach::SignedIn),
    ("/api/mfa/forget", Reach::SignedIn),
    ("/api/sessions/end", Reach::SignedIn),
    ("/api/account/password-form", Reach::SignedIn),
    ("/api/account/password", Reach::SignedIn),
    ("/api/console/search", Reach::Staff),
    ("/api/console/account", Reach::Staff),
    ("/api/console/act", Reach::Staff),
    ("/api/admin/audit", Reach::Admin),
    ("/api/admin/create-account", Reach::Admin),
    ("/api/admin/set-role", Reach::Admin),
    ("/api/admin/policy", Reach::Admin),
    ("/api/admin/set-policy", Reach::Admin),
    ("/api/admin/notices", Reach::Admin),
    ("/api/admin/notice", Reach::Admin),
    ("/api/admin/clients", Reach::Admin),
    ("/api/admin/client", Reach::Admin),
];

fn reaches(reach: Reach, role: Role) -> bool {
    match reach {
        Reach::Anyone | Reach::SignedIn => true,
        Reach::Staff => role.is_staff(),
        Reach::Admin => role == Role::Admin,
        Reach::HalfSignIn => false,
    }
}

#[test]
fn every_page_and_server_function_says_who_reaches_it() {
    let mut pages = page_paths();
    pages.extend(app::server::export::PLAIN_ROUTES.map(str::to_owned));
    pages.extend(app::server::provider::ROUTES.map(str::to_owned));
    pages.sort();
    pages.dedup();
    let mut listed: Vec<_> = PAGES.iter().map(|(p, _)| p.to_string()).collect();
    listed.sort();
    assert_eq!(pages, listed, "PAGES must list every route, and only those");

    let mut functions: Vec<_> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    functions.sort();
    let mut listed: Vec<_> = FUNCTIONS.iter().map(|(p, _)| p.to_string()).collect();
    listed.sort();
    assert_eq!(
        functions, listed,
        "FUNCTIONS must list every server function, and only those"
    );
}

#[tokio::test]
async fn each_role_reaches_exactly_what_the_tables_say() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let dealer = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let helpdesk = app.staff("hd01", Role::Helpdesk).await.cookie;
    let admin = app.staff("admin01", Role::Admin).await.cookie;

    for (role, cookie) in [
        (Role::Dealer, &dealer),
        (Role::Helpdesk, &helpdesk),
        (Role::Admin, &admin),
    ] {
        for (path, reach) in PAGES {
            let res = app.get(path, Some(cookie)).await;
            let status = res.status();
            match reach {
                Reach::HalfSignIn => {
                    assert_eq!(status, StatusCode::SEE_OTHER, "{role:?} {path}");
                    assert_eq!(location(&res).as_deref(), Some("/menu"));
                }
                reach if reaches(*reach, role) => {
                    assert!(
                        status != StatusCode::FORBIDDEN && !status.is_redirection(),
                        "{role:?} reaches {path}: {status}"
                    );
                }
                _ => assert_eq!(status, StatusCode::FORBIDDEN, "{role:?} kept from {path}"),
            }
        }
        for (path, reach) in FUNCTIONS {
            if *path == "/api/logout" {
                continue; // it would end the walk; `sign_in.rs` tests it
            }
            let endpoint = path.trim_start_matches("/api/");
            // Arguments for every function, none of which changes anything
            // (no reason, no confirmation, no code).
            let form = [
                ("login_id", "dealer01"),
                ("action", "disable"),
                ("reason", ""),
                ("code", ""),
                ("q", "dealer"),
                ("next", "/menu"),
                ("password", ""),
                ("name", ""),
                ("role", "dealer"),
                ("op", "save"),
                ("required_from", "not-a-date"),
            ];
            let res = app.call(endpoint, &form, Some(cookie)).await;
            let status = res.status();
            let body = res.text().await.unwrap();
            let error: Option<AppError> = serde_json::from_str(&body).ok();
            match reach {
                Reach::HalfSignIn => {
                    assert_eq!(error, Some(AppError::NotSignedIn), "{role:?} {path}");
                }
                reach if reaches(*reach, role) => assert!(
                    status != StatusCode::FORBIDDEN && error != Some(AppError::NotSignedIn),
                    "{role:?} reaches {path}: {status} {body}"
                ),
                _ => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{role:?} kept from {path}");
                    assert_eq!(error, Some(AppError::Forbidden), "{role:?} {path}");
                }
            }
        }
    }
    let dealer_state: (Option<i64>,) =
        sqlx::query_as("SELECT disabled_at FROM users WHERE login_id = 'dealer01'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(dealer_state.0, None, "the walk changed nothing");
}
