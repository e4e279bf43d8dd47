//! Sign-in throttling: after 5 failures for one email, or from one client address, within
//! 15 minutes, further attempts are refused without checking the password.
use sqlx::SqlitePool;

use crate::error::AppError;
use crate::server::now;

pub const MAX_FAILURES: i64 = 5;
pub const WINDOW_SECS: i64 = 15 * 60;

/// Seconds until the next attempt is allowed, or None if one is allowed now.
pub async fn retry_after(pool: &SqlitePool, email: &str, addr: &str) -> Result<Option<i64>, AppError> {
    let now = now();
    // The MAX_FAILURES-th most recent failure in the window: once it leaves the window, fewer
    // than MAX_FAILURES remain and attempts are allowed again.
    let oldest_counted = |column: &'static str, value: String| {
        let sql = format!(
            "SELECT attempted_at FROM failed_sign_ins WHERE {column} = ? AND attempted_at > ? \
             ORDER BY attempted_at DESC LIMIT 1 OFFSET {}",
            MAX_FAILURES - 1
        );
        async move { sqlx::query_scalar::<_, i64>(&sql).bind(value).bind(now - WINDOW_SECS).fetch_optional(pool).await }
    };
    let by_email = oldest_counted("email", email.to_string()).await?;
    let by_addr = oldest_counted("client_addr", addr.to_string()).await?;
    Ok(wait_seconds(by_email.max(by_addr), now))
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

pub async fn record_failure(pool: &SqlitePool, email: &str, addr: &str) -> Result<(), AppError> {
    let now = now();
    sqlx::query("DELETE FROM failed_sign_ins WHERE attempted_at <= ?").bind(now - WINDOW_SECS).execute(pool).await?;
    sqlx::query("INSERT INTO failed_sign_ins (email, client_addr, attempted_at) VALUES (?, ?, ?)")
        .bind(email)
        .bind(addr)
        .bind(now)
        .execute(pool)
        .await?;
    Ok(())
}

/// A successful sign-in forgives that email's failures (not the address's: a guesser who
/// knows one password must not reset the count for the others).
pub async fn clear(pool: &SqlitePool, email: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM failed_sign_ins WHERE email = ?").bind(email).execute(pool).await?;
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
