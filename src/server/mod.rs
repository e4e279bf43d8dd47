//! The kernel every feature builds on: the app state, the clock, the database, form helpers
//! and the security middleware. The app itself is assembled in `startup`.
pub mod blocking;
mod db;
pub mod forms;
pub mod jobs;
pub mod limits;
pub mod listen;
pub mod master_key;
pub(crate) mod security;
mod store;

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::*;

use crate::config::Config;
use crate::error::AppError;

pub use db::{begin_write, begin_write_in, connect, is_postgres, Db, Pool};
pub use forms::keep_typed;
pub use security::page_csp;

/// What every request handler and server function can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub config: Arc<Config>,
    pub aws: Arc<crate::integrations::aws::sts::Aws>,
    pub microsoft: Arc<crate::integrations::microsoft::identity::Microsoft>,
    pub sealer: Arc<crate::crypto::Sealer>,
    pub mailer: Arc<crate::mail::transport::Mailer>,
    /// Wakes the outbox after a commit that wrote mail, so it goes out at once.
    pub mail_wake: Arc<tokio::sync::Notify>,
    /// Wakes the webhook deliveries after a commit that wrote notifications.
    pub notify_wake: Arc<tokio::sync::Notify>,
    /// This replica's webhook deliveries in flight (bounded per organization and in all).
    pub deliveries: Arc<limits::InFlight>,
    /// Re-tests and Refreshes each organization has running (bounded per organization).
    pub cloud_checks: Arc<limits::CloudChecks>,
    pub leptos_options: LeptosOptions,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The app state inside a server function.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// Request bodies above this are refused with 413 before they are read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Seconds since the epoch: the one clock the database uses.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Unix seconds as "2026-11-22 05:40 UTC".
pub fn format_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC")).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(super::format_time(1_795_325_400), "2026-11-22 05:30 UTC");
    }
}
