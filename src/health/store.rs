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
    // One round trip: the statuses, then the expiring certificates under the name 'expiring'.
    let counts: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, COUNT(*) FROM cloud_accounts WHERE organization_id = $1 GROUP BY status UNION ALL \
         SELECT 'expiring', COUNT(DISTINCT account_id) FROM certificates \
         WHERE organization_id = $1 AND account_id IS NOT NULL AND not_after < $2",
    )
    .bind(organization_id)
    .bind(expiring_before)
    .fetch_all(pool)
    .await?;
    let of = |status: &str| counts.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
    let expiring = of("expiring");
    Ok((of("connected"), of("warning"), of("failed"), expiring))
}

/// A timeline's account: id, name, provider, kind and its newest checks (`recent_checks`).
pub type TimelineRow = (i64, String, String, String, String);

/// The organization's first `limit` accounts in list order (provider, then name; the order of
/// its listing index), and any of `also` (those needing attention), with their newest checks.
pub async fn timelines(pool: &Pool, organization_id: i64, also: &[i64], limit: i64) -> Result<Vec<TimelineRow>, AppError> {
    // Whole numbers of ours, so written into the statement rather than bound one by one.
    let also = also.iter().map(i64::to_string).chain(std::iter::once("0".into())).collect::<Vec<_>>().join(", ");
    Ok(sqlx::query_as(&format!(
        "SELECT id, name, provider, kind, recent_checks FROM cloud_accounts WHERE organization_id = $1 AND id IN ({also}) \
         UNION SELECT * FROM (SELECT id, name, provider, kind, recent_checks FROM cloud_accounts \
         WHERE organization_id = $1 ORDER BY provider, name LIMIT $2) AS first"
    ))
    .bind(organization_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
