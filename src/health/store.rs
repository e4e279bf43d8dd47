//! The SQL of the scheduled checks and of Home's health dashboard, scoped to one organization
//! wherever a user reads it.
use crate::error::AppError;
use crate::server::Pool;

/// Takes up to `limit` accounts whose check is due at `now` and moves their next check one
/// `lease` on, in one write transaction: two replicas (or two rounds) never take the same
/// account. The check itself then sets the spread time of the one after (`retest::check`); if
/// this process dies first, the account is checked again after the lease.
pub async fn take_due(pool: &Pool, now: i64, lease: i64, limit: i64) -> Result<Vec<(i64, i64)>, AppError> {
    let update = "UPDATE cloud_accounts SET next_check_at = $1 WHERE id IN \
                  (SELECT id FROM cloud_accounts WHERE next_check_at <= $2 ORDER BY next_check_at LIMIT $3) \
                  RETURNING organization_id, id";
    Ok(crate::server::jobs::lease(pool, update, now, lease, limit).await?)
}

/// How many of the organization's accounts are connected, warning and failed, and how many
/// have a certificate expiring before `expiring_before`.
pub async fn counts(pool: &Pool, organization_id: i64, expiring_before: i64) -> Result<(i64, i64, i64, i64), AppError> {
    let per_status: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM cloud_accounts WHERE organization_id = $1 GROUP BY status")
            .bind(organization_id)
            .fetch_all(pool)
            .await?;
    let of = |status: &str| per_status.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
    let expiring: i64 = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT account_id) FROM certificates WHERE organization_id = $1 AND account_id IS NOT NULL AND not_after < $2",
    )
    .bind(organization_id)
    .bind(expiring_before)
    .fetch_one(pool)
    .await?;
    Ok((of("connected"), of("warning"), of("failed"), expiring))
}

/// The newest checks of each of `account_ids` (of this organization), as `recent_checks` holds
/// them: one row per account, read by primary key.
pub async fn recent_checks(pool: &Pool, organization_id: i64, account_ids: &[i64]) -> Result<Vec<(i64, String)>, AppError> {
    if account_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Whole numbers of ours, so written into the statement rather than bound one by one.
    let ids = account_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
    Ok(sqlx::query_as(&format!(
        "SELECT id, recent_checks FROM cloud_accounts WHERE organization_id = $1 AND id IN ({ids})"
    ))
    .bind(organization_id)
    .fetch_all(pool)
    .await?)
}
