//! Recording to the audit trail: who did what, from where. Never a secret.

use super::Client;
use crate::error::AppError;
use crate::server::db::audit::{self, Actor, Entry, Event};
use crate::server::session::Session;
use crate::server::AppState;

/// An account acting for itself from a client: the subject of most events.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub user_id: i64,
    pub login_id: &'a str,
    pub client: &'a Client,
}

impl<'a> Who<'a> {
    /// The holder of `session`, acting from `client`.
    pub fn of(session: &'a Session, client: &'a Client) -> Self {
        Self {
            user_id: session.user_id,
            login_id: &session.login_id,
            client,
        }
    }
}

impl Who<'_> {
    pub fn entry(&self, event: Event) -> Entry {
        Entry::new(self.actor(), event)
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user_id),
            login_id: Some(self.login_id.to_owned()),
            actor: "user".to_owned(),
            address: self.client.address.clone(),
        }
    }
}

/// Records `event`, which changed nothing else, for the account in `who`.
/// A change is recorded by the repository function that makes it, in its
/// transaction, from `who.entry(..)`.
pub async fn record(state: &AppState, who: Who<'_>, event: Event) -> Result<(), AppError> {
    let entry = Entry::new(who.actor(), event);
    Ok(audit::record(&state.db, &entry, state.clock.now()).await?)
}

/// Records `event` for no known account (a sign-in with an unknown ID).
/// What was typed as the ID is not recorded: people type their password
/// into that field often enough.
pub async fn record_anonymous(
    state: &AppState,
    client: &Client,
    event: Event,
) -> Result<(), AppError> {
    let actor = Actor {
        actor: "user".to_owned(),
        address: client.address.clone(),
        ..Actor::default()
    };
    let entry = Entry::new(actor, event);
    Ok(audit::record(&state.db, &entry, state.clock.now()).await?)
}
