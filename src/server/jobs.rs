//! Periodic work that runs once per period across every replica on the database: each job has
//! a row, and a replica claims a period by moving the row's `next_run_at` on in one UPDATE that
//! only one replica can win. No timer in every process doing the work in each; and a replica
//! that dies leaves the next period to whichever replica claims it.
use std::future::Future;
use std::time::Duration;

use super::Pool;

/// Claims the period starting at `now` for `job`: true for exactly one caller per period.
pub async fn claim(pool: &Pool, job: &str, period: Duration, now: i64) -> Result<bool, sqlx::Error> {
    let period = i64::try_from(period.as_secs()).unwrap_or(i64::MAX / 2);
    super::store::claim_job(pool, job, now, now + period).await
}

/// Runs `update`, an `UPDATE ... RETURNING` whose `$1` is the lease's end, `$2` now and `$3` the
/// most rows to take, in one write transaction: the rows it returns are the caller's alone until
/// the lease ends (another replica's same call waits for the write lock, then finds them taken).
pub async fn lease<T>(pool: &Pool, update: &str, now: i64, lease: i64, limit: i64) -> Result<Vec<T>, sqlx::Error>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let mut tx = super::begin_write(pool).await?;
    let taken = sqlx::query_as(update).bind(now + lease).bind(now).bind(limit).fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(taken)
}

/// When something last done at `at` is next due every `period`: between 80% and 100% of a period
/// later, at a point fixed by `key`, so that a thousand accounts linked in one hour spread over
/// a fifth of the period instead of falling due in the same minute.
pub fn spread(key: &str, at: i64, period: Duration) -> i64 {
    use sha2::Digest;
    let period = i64::try_from(period.as_secs()).unwrap_or(i64::MAX / 4).max(1);
    let digest = sha2::Sha256::digest(key.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    let fifth = (period / 5).max(1);
    let early = i64::try_from(u64::from_le_bytes(bytes) % fifth.unsigned_abs()).unwrap_or(0);
    at + period - early
}

/// Runs `work` once per `period` across all replicas, for as long as the process lives. Each
/// replica looks every tenth of a period, so a period is run soon after it is due even when
/// the replica that ran the last one is gone.
pub async fn every<F, Fut>(pool: Pool, job: &'static str, period: Duration, work: F)
where
    F: Fn(i64) -> Fut,
    Fut: Future<Output = Result<(), sqlx::Error>>,
{
    let mut look = tokio::time::interval((period / 10).max(Duration::from_secs(1)));
    loop {
        look.tick().await;
        let now = super::now();
        match claim(&pool, job, period, now).await {
            Ok(true) => {
                if let Err(err) = work(now).await {
                    tracing::warn!(job, error = %err, "periodic job failed; the next period tries again");
                }
            }
            Ok(false) => {}
            Err(err) => tracing::warn!(job, error = %err, "could not claim a periodic job"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_stays_within_the_last_fifth_of_a_period_and_spreads() {
        let period = Duration::from_secs(6 * 3600);
        let times: Vec<i64> = (0..1000).map(|i| spread(&format!("account {i}"), 1_000_000, period)).collect();
        assert!(times.iter().all(|t| (1_000_000 + 17_280..=1_000_000 + 21_600).contains(t)));
        // The same key always gets the same place; a thousand keys land in many different minutes.
        assert_eq!(spread("account 7", 1_000_000, period), times[7]);
        let minutes: std::collections::HashSet<i64> = times.iter().map(|t| t / 60).collect();
        assert!(minutes.len() > 60, "only {} distinct minutes", minutes.len());
        assert_eq!(spread("x", 10, Duration::from_secs(0)), 11);
    }
}
