//! The SQL of "Link accounts" runs: a run, its accounts and their outcomes, and its lease.
use crate::error::AppError;
use crate::server::{Db, Pool};

type Tx<'a> = sqlx::Transaction<'a, Db>;

/// Runs kept per organization (older ones are dropped when a run starts).
const RUNS_KEPT: i64 = 20;

fn run_going() -> AppError {
    AppError::Refused(
        "Accounts of this organization are being linked already. Wait for that run to finish (its progress is on \
         this page), then start another."
            .into(),
    )
}

/// Starts a run of `items` (account id, name), all pending, unless one is going for this
/// organization (409: the check and the unique index both refuse it).
pub async fn start_run(
    tx: &mut Tx<'_>,
    management_account_id: i64,
    started_by: &str,
    now: i64,
    lease_until: i64,
    items: &[(String, String)],
) -> Result<i64, AppError> {
    use crate::error::OnUniqueViolation;
    if running_run(&mut **tx, management_account_id).await?.is_some() {
        return Err(run_going());
    }
    sqlx::query(
        "DELETE FROM aws_link_runs WHERE management_account_id = $1 AND id NOT IN \
         (SELECT id FROM aws_link_runs WHERE management_account_id = $1 ORDER BY id DESC LIMIT $2)",
    )
    .bind(management_account_id)
    .bind(RUNS_KEPT - 1)
    .execute(&mut **tx)
    .await?;
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO aws_link_runs (management_account_id, started_at, started_by, lease_until) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(management_account_id)
    .bind(now)
    .bind(started_by)
    .bind(lease_until)
    .fetch_one(&mut **tx)
    .await
    .on_unique_violation(run_going)?;
    for (account_id, name) in items {
        sqlx::query("INSERT INTO aws_link_items (run_id, account_id, name) VALUES ($1, $2, $3)")
            .bind(run_id)
            .bind(account_id)
            .bind(name)
            .execute(&mut **tx)
            .await?;
    }
    Ok(run_id)
}

pub async fn running_run<'c, E>(executor: E, management_account_id: i64) -> Result<Option<i64>, AppError>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    Ok(sqlx::query_scalar("SELECT id FROM aws_link_runs WHERE management_account_id = $1 AND finished_at IS NULL")
        .bind(management_account_id)
        .fetch_optional(executor)
        .await?)
}

/// A run and how many of its accounts ended each way.
#[derive(Debug, Clone, Default)]
pub struct RunCounts {
    pub id: i64,
    pub started_at: i64,
    pub started_by: String,
    pub finished_at: Option<i64>,
    pub pending: i64,
    pub linked: i64,
    pub warning: i64,
    pub failed: i64,
}

/// The organization's newest run, with its counts.
pub async fn latest_run(pool: &Pool, management_account_id: i64) -> Result<Option<RunCounts>, AppError> {
    let run: Option<(i64, i64, String, Option<i64>)> = sqlx::query_as(
        "SELECT id, started_at, started_by, finished_at FROM aws_link_runs WHERE management_account_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(management_account_id)
    .fetch_optional(pool)
    .await?;
    let Some((id, started_at, started_by, finished_at)) = run else { return Ok(None) };
    let counts: Vec<(String, i64)> =
        sqlx::query_as("SELECT outcome, COUNT(*) FROM aws_link_items WHERE run_id = $1 GROUP BY outcome")
            .bind(id)
            .fetch_all(pool)
            .await?;
    let mut run = RunCounts { id, started_at, started_by, finished_at, ..RunCounts::default() };
    for (outcome, n) in counts {
        match outcome.as_str() {
            "linked" => run.linked = n,
            "warning" => run.warning = n,
            "failed" => run.failed = n,
            _ => run.pending = n,
        }
    }
    Ok(Some(run))
}

/// A run's items with `outcome`, by name (at most `limit`): (account id, name, message).
pub async fn items(pool: &Pool, run_id: i64, outcome: &str, limit: i64) -> Result<Vec<(String, String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT account_id, name, message FROM aws_link_items WHERE run_id = $1 AND outcome = $2 ORDER BY name, account_id LIMIT $3",
    )
    .bind(run_id)
    .bind(outcome)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

pub async fn set_outcome(tx: &mut Tx<'_>, run_id: i64, account_id: &str, outcome: &str, message: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE aws_link_items SET outcome = $1, message = $2 WHERE run_id = $3 AND account_id = $4")
        .bind(outcome)
        .bind(message)
        .bind(run_id)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Extends a run's lease while its replica works on it.
pub async fn renew_lease(pool: &Pool, run_id: i64, until: i64) -> Result<(), AppError> {
    let mut tx = crate::server::begin_write(pool).await?;
    sqlx::query("UPDATE aws_link_runs SET lease_until = $1 WHERE id = $2").bind(until).bind(run_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn finish_run(tx: &mut Tx<'_>, run_id: i64, now: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE aws_link_runs SET finished_at = $1 WHERE id = $2").bind(now).bind(run_id).execute(&mut **tx).await?;
    Ok(())
}

/// Takes runs whose replica stopped working on them (their lease passed): (run, management account).
pub async fn take_abandoned_runs(pool: &Pool, now: i64, lease: i64, limit: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(crate::server::jobs::lease(
        pool,
        "UPDATE aws_link_runs SET lease_until = $1 WHERE id IN \
         (SELECT id FROM aws_link_runs WHERE finished_at IS NULL AND lease_until <= $2 ORDER BY id LIMIT $3) \
         RETURNING id, management_account_id",
        now,
        lease,
        limit,
    )
    .await?)
}

/// A run's accounts still to link (at most `limit`): (account id, name).
pub async fn pending_items(pool: &Pool, run_id: i64, limit: i64) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT account_id, name FROM aws_link_items WHERE run_id = $1 AND outcome = 'pending' ORDER BY account_id LIMIT $2",
    )
    .bind(run_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}
