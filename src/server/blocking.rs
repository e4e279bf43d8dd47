//! CPU-heavy work (password hashing, key generation) off the async workers and bounded: each
//! kind has a few slots, and a request that cannot get one within SLOT_WAIT is told the portal
//! is busy (503) instead of queueing threads and memory without limit.
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::AppError;

/// How long a request waits for a free slot before it is told the portal is busy.
const SLOT_WAIT: Duration = Duration::from_secs(2);

/// `per_core` slots for each core of this machine.
pub fn slots_per_core(per_core: usize) -> Arc<Semaphore> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    Arc::new(Semaphore::new(per_core * cores))
}

/// Runs `work` on the blocking pool once one of `slots` is free. The slot travels with the
/// work: a client that hangs up does not free it before the work it started is done.
pub async fn run_bounded<T: Send + 'static>(
    slots: &Arc<Semaphore>,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let slot = match tokio::time::timeout(SLOT_WAIT, slots.clone().acquire_owned()).await {
        Ok(Ok(slot)) => slot,
        Ok(Err(_)) | Err(_) => return Err(AppError::Busy),
    };
    run_holding(slot, work).await
}

/// Like `run_bounded`, for work that may use `reserved` slots too: a free slot of `shared` if
/// there is one at once, else one of `reserved` (kept for work that must get through a flood).
pub async fn run_bounded_or_reserved<T: Send + 'static>(
    shared: &Arc<Semaphore>,
    reserved: &Arc<Semaphore>,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    match shared.clone().try_acquire_owned() {
        Ok(slot) => run_holding(slot, work).await,
        Err(_) => run_bounded(reserved, work).await,
    }
}

async fn run_holding<T: Send + 'static>(
    slot: tokio::sync::OwnedSemaphorePermit,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(move || {
        let out = work();
        drop(slot);
        out
    })
    .await
    .map_err(|err| {
        tracing::error!(error = %err, "blocking task failed");
        AppError::Internal
    })
}
