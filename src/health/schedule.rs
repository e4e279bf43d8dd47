//! The scheduled checks: every account is verified again about once per interval
//! (`XOPS_CHECK_INTERVAL_MINUTES`, spread by `jobs::spread`), at most `XOPS_CHECK_CONCURRENCY`
//! at a time, each exactly as Re-test does it (`retest::check`). Time is passed in, so tests
//! run a round at any `now` without waiting.
use std::sync::Arc;
use std::time::Duration;

use crate::domain::{AccountStatus, CheckReason};
use crate::error::AppError;
use crate::server::AppState;

/// How often a replica looks for due accounts (once per look across all replicas).
const LOOK_EVERY: Duration = Duration::from_secs(60);
/// Accounts taken at a time; a round takes batches until none is due.
const BATCH: i64 = 100;

/// What a round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    pub checked: usize,
    /// Accounts whose status changed.
    pub changed: usize,
}

/// Checks every account due at `now`, `concurrency` at a time.
pub async fn run_due(state: &AppState, now: i64) -> Result<Round, AppError> {
    let lease = i64::try_from(state.config.health.interval.as_secs()).unwrap_or(i64::MAX / 4);
    let slots = Arc::new(tokio::sync::Semaphore::new(state.config.health.concurrency));
    let mut round = Round::default();
    loop {
        let due = super::store::take_due(&state.pool, now, lease, BATCH).await?;
        if due.is_empty() {
            return Ok(round);
        }
        let mut checks = tokio::task::JoinSet::new();
        for (organization_id, account_id) in due {
            let (state, slots) = (state.clone(), slots.clone());
            checks.spawn(async move {
                let _slot = slots.acquire_owned().await.ok()?;
                match check_one(&state, organization_id, account_id, now).await {
                    Ok(changed) => Some(changed),
                    Err(err) => {
                        tracing::warn!(account_id, error = %err, "a scheduled check could not be recorded");
                        None
                    }
                }
            });
        }
        while let Some(done) = checks.join_next().await {
            if let Ok(Some(changed)) = done {
                round.checked += 1;
                round.changed += usize::from(changed);
            }
        }
    }
}

/// Checks one account; true if its status changed.
async fn check_one(state: &AppState, organization_id: i64, account_id: i64, now: i64) -> Result<bool, AppError> {
    let account = match crate::accounts::find(&state.pool, organization_id, account_id).await {
        Ok(account) => account,
        // Deleted since it was taken.
        Err(AppError::NotFound(_)) => return Ok(false),
        Err(err) => return Err(err),
    };
    let actor = crate::audit::Actor::system(organization_id, "Xops scheduled check");
    let (before, after): (AccountStatus, AccountStatus) =
        crate::integrations::retest::check(state, organization_id, &account, CheckReason::Scheduled, &actor, now).await?;
    Ok(before != after)
}

/// Runs rounds for as long as the process lives: each minute one replica takes what is due.
pub async fn run_forever(state: AppState) {
    let pool = state.pool.clone();
    crate::server::jobs::every(pool, "health_checks", LOOK_EVERY, move |now| {
        let state = state.clone();
        async move {
            if let Err(err) = crate::notify::events::certificate_reminders(&state, now).await {
                tracing::warn!(error = %err, "certificate reminders could not be written; the next look tries again");
            }
            // Organizations are read again and Link accounts runs a replica left are taken up.
            use crate::integrations::aws::organization::{runs, sync};
            if let Err(err) = sync::sync_due(&state, now).await {
                tracing::warn!(error = %err, "AWS Organizations could not be synced; the next look tries again");
            }
            if let Err(err) = runs::resume_abandoned(&state, now).await {
                tracing::warn!(error = %err, "abandoned Link accounts runs could not be taken up");
            }
            match run_due(&state, now).await {
                Ok(round) if round.checked > 0 => {
                    tracing::info!(checked = round.checked, changed = round.changed, "scheduled checks ran");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(error = %err, "scheduled checks could not run; the next look tries again"),
            }
            Ok(())
        }
    })
    .await
}
