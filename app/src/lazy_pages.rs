//! The pages a dealer's first visit does not need, each in a part of the
//! WASM of its own (`cargo leptos build --split`), fetched the first time
//! the page is shown. The portal, the sign-in, the code page and the
//! small pages stay in the main module: they are what a dealer opens
//! first, on whatever connection the yard has. Built without `--split`,
//! these are ordinary routes.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// `Route => page component`: a route type whose view is split off.
macro_rules! lazy_pages {
    ($($(#[$doc:meta])* $route:ident => $page:path;)*) => {$(
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(this: Self) -> AnyView {
                let _ = this;
                $page().into_any()
            }
        }
    )*};
}

lazy_pages! {
    /// `/menu`, the business menu after sign-in.
    Menu => crate::menu::MenuPage;
    /// `/login/recovery`, a recovery code in place of the phone.
    Recovery => crate::mfa::RecoveryPage;
    /// `/mfa`, the MFA settings.
    MfaSettings => crate::mfa::MfaSettingsPage;
    /// `/mfa/setup`, the QR code and the first code.
    MfaSetup => crate::mfa::MfaSetupPage;
    /// `/password`, a new password.
    Password => crate::account::PasswordPage;
    /// `/helpdesk`, the staff console's search.
    Console => crate::console::ConsolePage;
    /// `/helpdesk/users/:login_id`, one account.
    Account => crate::console::AccountPage;
    /// `/admin/audit`, the audit trail.
    AuditTrail => crate::console::AuditTrailPage;
    /// `/admin/policy`, the dealers' MFA date.
    Policy => crate::console::PolicyPage;
    /// `/admin/notices`, the portal's notices.
    Notices => crate::console::NoticesPage;
    /// `/admin/clients`, the business applications (OIDC clients).
    Clients => crate::console::ClientsPage;
}
