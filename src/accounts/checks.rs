//! The SQL of an account's checks: its status after each, and its history (the newest 50).
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
    let before: Option<String> =
        sqlx::query_scalar("SELECT status FROM cloud_accounts WHERE id = $1 AND organization_id = $2")
            .bind(account_id)
            .bind(organization_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(before) = before else { return Ok(None) };
    sqlx::query(
        "UPDATE cloud_accounts SET status = $1, status_message = $2, last_checked_at = $3, updated_at = $4, \
         next_check_at = $5 WHERE id = $6 AND organization_id = $7",
    )
    .bind(verified.status.as_str())
    .bind(&verified.message)
    .bind(check.at)
    .bind(check.at)
    .bind(check.next_check_at)
    .bind(account_id)
    .bind(organization_id)
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
