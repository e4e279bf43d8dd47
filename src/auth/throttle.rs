//! Sign-in throttling: after 5 failures for one email, or from one client address (an IPv6
//! client by its /64), within 15 minutes, further attempts are refused without checking the
//! password. Sign-ups are limited per client address (`XOPS_SIGN_UPS_PER_HOUR`).
use sqlx::AnyConnection;
use crate::server::Pool;

use super::store::{self, FailuresOf};
use crate::error::AppError;
use crate::server::{begin_write, now};

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_SECS: i64 = 15 * 60;

/// Seconds until the next attempt is allowed, or None if one is allowed now.
async fn retry_after(conn: &mut AnyConnection, email: &str, addr: &str, now: i64) -> Result<Option<i64>, AppError> {
    // The MAX_FAILURES-th most recent failure in the window: once it leaves the window, fewer
    // than MAX_FAILURES remain and attempts are allowed again.
    let mut oldest_counted = None;
    for (of, value) in [(FailuresOf::Email, email), (FailuresOf::ClientAddr, addr)] {
        let counted = store::nth_failure(&mut *conn, of, value, now - WINDOW_SECS, MAX_FAILURES - 1).await?;
        oldest_counted = oldest_counted.max(counted);
    }
    Ok(wait_seconds(oldest_counted, now))
}

/// The rule itself: locked until the counted failure is WINDOW_SECS old.
pub fn wait_seconds(oldest_counted_failure: Option<i64>, now: i64) -> Option<i64> {
    oldest_counted_failure.map(|t| t + WINDOW_SECS - now).filter(|wait| *wait > 0)
}

pub fn message(wait_seconds: i64) -> String {
    let minutes = ((wait_seconds + 59) / 60).max(1);
    let unit = if minutes == 1 { "minute" } else { "minutes" };
    format!("Too many sign-in attempts. Try again in {minutes} {unit}.")
}

/// An attempt that may check a password: it is counted as a failure until `release`d or
/// forgiven by `clear`.
pub struct Reservation(i64);

/// Counts and records an attempt in one write transaction, before any password is checked:
/// concurrent guesses are serialised by the database's write lock, so no more than
/// MAX_FAILURES of them ever reach the hash (a check then a later record let 100 through).
pub async fn reserve(pool: &Pool, email: &str, addr: &str) -> Result<Reservation, AppError> {
    let addr = &crate::net::throttle_key(addr);
    let now = now();
    let mut tx = begin_write(pool).await?;
    if let Some(wait) = retry_after(&mut tx, email, addr, now).await? {
        return Err(AppError::TooManyAttempts(message(wait)));
    }
    let id = store::insert_failure(&mut tx, email, addr, now, now - WINDOW_SECS).await?;
    tx.commit().await?;
    Ok(Reservation(id))
}

/// Gives back an attempt that checked nothing (the portal was too busy to hash).
pub async fn release(pool: &Pool, reservation: Reservation) -> Result<(), AppError> {
    store::delete_failure(pool, reservation.0).await
}

/// A successful sign-in forgives that email's failures, its own reservation with them (not the
/// address's other failures: a guesser who knows one password must not reset the count for
/// the others).
pub async fn clear(pool: &Pool, email: &str) -> Result<(), AppError> {
    store::delete_failures_of(pool, email).await
}

/// What is counted per client address per hour: each costs the portal work, a mail or a
/// stored session.
#[derive(Debug, Clone, Copy)]
pub enum Hourly {
    SignUps,
    PasswordResets,
    /// Sign-ins with a passkey alone: each keeps a challenge in a new session.
    PasskeySignIns,
}

impl Hourly {
    /// The table that counts them.
    fn table(self) -> &'static str {
        match self {
            Hourly::SignUps => "sign_ups",
            Hourly::PasswordResets => "password_reset_requests",
            Hourly::PasskeySignIns => "passkey_sign_in_requests",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Hourly::SignUps => "sign-ups",
            Hourly::PasswordResets => "password reset requests",
            Hourly::PasskeySignIns => "passkey sign-ins",
        }
    }
}

/// Counts one `what` from `addr`, or refuses it when `per_hour` were counted in the last hour.
pub async fn reserve_hourly(pool: &Pool, addr: &str, per_hour: i64, what: Hourly) -> Result<(), AppError> {
    let addr = &crate::net::throttle_key(addr);
    let now = now();
    let mut tx = begin_write(pool).await?;
    let oldest_counted = store::nth_counted(&mut tx, what.table(), addr, per_hour - 1, now - 3600).await?;
    if let Some(wait) = oldest_counted.map(|t| t + 3600 - now).filter(|w| *w > 0) {
        let minutes = ((wait + 59) / 60).max(1);
        return Err(AppError::TooManyAttempts(format!(
            "Too many {} from your network. Try again in {minutes} minute{}.",
            what.noun(),
            if minutes == 1 { "" } else { "s" }
        )));
    }
    store::insert_counted(&mut tx, what.table(), addr, now).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_until_the_counted_failure_leaves_the_window() {
        assert_eq!(wait_seconds(None, 1_000), None);
        assert_eq!(wait_seconds(Some(1_000), 1_000), Some(WINDOW_SECS));
        assert_eq!(wait_seconds(Some(1_000), 1_000 + WINDOW_SECS - 1), Some(1));
        assert_eq!(wait_seconds(Some(1_000), 1_000 + WINDOW_SECS), None);
    }

    #[test]
    fn the_message_rounds_up_to_whole_minutes() {
        assert_eq!(message(900), "Too many sign-in attempts. Try again in 15 minutes.");
        assert_eq!(message(61), "Too many sign-in attempts. Try again in 2 minutes.");
        assert_eq!(message(1), "Too many sign-in attempts. Try again in 1 minute.");
    }
}
