//! The SQL of an account's checks (its status after each, and its history: the newest 50), and
//! the record of one check they are written from.
use crate::domain::{AccountStatus, Verified};
use crate::error::AppError;

/// One verification of an account, as its history keeps it.
pub struct CheckRecord {
    pub at: i64,
    pub reason: crate::domain::CheckReason,
    pub duration_ms: i64,
    /// When the scheduler is to check the account again.
    pub next_check_at: i64,
}

impl CheckRecord {
    /// A check at `at` that began at `started`, of the account its provider knows as
    /// `external_account_id`; the next is one `interval` on, spread by the account
    /// (`jobs::spread`), so that accounts checked together are not all due together again.
    pub fn new(
        reason: crate::domain::CheckReason,
        at: i64,
        started: std::time::Instant,
        provider: crate::domain::Provider,
        external_account_id: &str,
        interval: std::time::Duration,
    ) -> Self {
        let key = format!("{}:{external_account_id}", provider.as_str());
        CheckRecord {
            at,
            reason,
            duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
            next_check_at: crate::server::jobs::spread(&key, at, interval),
        }
    }
}

/// Checks repeated in `cloud_accounts.recent_checks` (Home's timelines).
pub const RECENT_KEPT: usize = 12;

/// `recent` (as `recent_checks` holds it) with `check` added and the oldest dropped past
/// `RECENT_KEPT`.
pub fn with_recent(recent: &str, verified: &Verified, check: &CheckRecord) -> String {
    let entry = format!("{},{},{},{}", check.at, check.reason.as_str(), verified.status.as_str(), check.duration_ms);
    let mut entries: Vec<&str> = recent.split(';').filter(|e| !e.is_empty()).collect();
    entries.push(&entry);
    let skip = entries.len().saturating_sub(RECENT_KEPT);
    entries[skip..].join(";")
}

/// One entry of `recent_checks`: (at, reason, status, duration ms); None if unreadable.
pub fn parse_recent(recent: &str) -> Vec<(i64, crate::domain::CheckReason, AccountStatus, i64)> {
    recent
        .split(';')
        .filter_map(|entry| {
            let mut parts = entry.split(',');
            let at = parts.next()?.parse().ok()?;
            let reason = crate::domain::CheckReason::parse(parts.next()?);
            let status = AccountStatus::parse(parts.next()?);
            let duration_ms = parts.next()?.parse().ok()?;
            Some((at, reason, status, duration_ms))
        })
        .collect()
}

/// Checks kept per account; older ones are dropped as new ones come.
const CHECKS_KEPT: i64 = 50;

/// Records a check of a saved account: its status and message, and a history row. Returns the
/// status it had before (None if the account is not in this organization).
pub async fn record_check(
    conn: &mut sqlx::AnyConnection,
    organization_id: i64,
    account_id: i64,
    verified: &Verified,
    check: &CheckRecord,
) -> Result<Option<AccountStatus>, AppError> {
    let before: Option<(String, String)> =
        sqlx::query_as("SELECT status, recent_checks FROM cloud_accounts WHERE id = $1 AND organization_id = $2")
            .bind(account_id)
            .bind(organization_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((before, recent)) = before else { return Ok(None) };
    sqlx::query(
        "UPDATE cloud_accounts SET status = $1, status_message = $2, last_checked_at = $3, updated_at = $4, \
         next_check_at = $5, recent_checks = $8 WHERE id = $6 AND organization_id = $7",
    )
    .bind(verified.status.as_str())
    .bind(&verified.message)
    .bind(check.at)
    .bind(check.at)
    .bind(check.next_check_at)
    .bind(account_id)
    .bind(organization_id)
    .bind(with_recent(&recent, verified, check))
    .execute(&mut *conn)
    .await?;
    append_check(conn, account_id, verified, check).await?;
    Ok(Some(AccountStatus::parse(&before)))
}

pub(super) async fn append_check(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    verified: &Verified,
    check: &CheckRecord,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO account_checks (account_id, checked_at, reason, status, message, duration_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account_id)
    .bind(check.at)
    .bind(check.reason.as_str())
    .bind(verified.status.as_str())
    .bind(&verified.message)
    .bind(check.duration_ms)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM account_checks WHERE account_id = $1 AND id <= \
         (SELECT id FROM account_checks WHERE account_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
    )
    .bind(account_id)
    .bind(CHECKS_KEPT)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CheckReason;

    #[test]
    fn recent_checks_keep_the_newest_twelve_oldest_first() {
        let mut recent = String::new();
        for at in 1..=15 {
            let status = if at % 2 == 0 { AccountStatus::Warning } else { AccountStatus::Connected };
            let verified = Verified { status, message: String::new() };
            let check = CheckRecord { at, reason: CheckReason::Scheduled, duration_ms: at * 10, next_check_at: 0 };
            recent = with_recent(&recent, &verified, &check);
        }
        let parsed = parse_recent(&recent);
        assert_eq!(parsed.len(), RECENT_KEPT);
        assert_eq!(parsed[0], (4, CheckReason::Scheduled, AccountStatus::Warning, 40));
        assert_eq!(parsed[11], (15, CheckReason::Scheduled, AccountStatus::Connected, 150));
    }
}

/// One of the organization's accounts' checks, newest first, before check `before` (for paging;
/// 0: from the newest): (id, checked at, reason, status, message, duration in ms).
pub async fn history(
    pool: &crate::server::Pool,
    organization_id: i64,
    account_id: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<(i64, i64, String, String, String, i64)>, crate::error::AppError> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.checked_at, c.reason, c.status, c.message, c.duration_ms FROM account_checks c \
         JOIN cloud_accounts a ON a.id = c.account_id WHERE a.organization_id = $1 AND c.account_id = $2 \
         AND ($3 = 0 OR c.id < $3) ORDER BY c.id DESC LIMIT $4",
    )
    .bind(organization_id)
    .bind(account_id)
    .bind(before)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
