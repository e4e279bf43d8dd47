//! Per-organization bounds, so one organization cannot take what every organization shares:
//! work a user can start at will that calls a cloud on the platform's identity (Re-test,
//! Refresh: a few at once and a few dozen a minute per organization, beyond that 429 and a
//! sentence), and background work in flight (webhook deliveries: `InFlight`).
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::AppError;

/// Checks of one organization running at once, and started per minute.
const AT_ONCE: usize = 2;
const PER_MINUTE: usize = 30;

#[derive(Default)]
pub struct CloudChecks(Mutex<HashMap<i64, Usage>>);

#[derive(Default)]
struct Usage {
    running: usize,
    started: VecDeque<Instant>,
}

/// Held while one check runs; dropping it frees the organization's slot.
pub struct CheckSlot {
    checks: Arc<CloudChecks>,
    organization_id: i64,
}

impl CloudChecks {
    /// A slot for one of `organization_id`'s checks, or 429 saying why there is none.
    pub fn start(self: &Arc<Self>, organization_id: i64) -> Result<CheckSlot, AppError> {
        self.start_at(organization_id, Instant::now())
    }

    fn start_at(self: &Arc<Self>, organization_id: i64, now: Instant) -> Result<CheckSlot, AppError> {
        let mut usage = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let usage = usage.entry(organization_id).or_default();
        while usage.started.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60)) {
            usage.started.pop_front();
        }
        if usage.running >= AT_ONCE {
            return Err(AppError::TooManyAttempts(
                "Your organization's checks are already running. Wait for them to finish, then try again.".into(),
            ));
        }
        if usage.started.len() >= PER_MINUTE {
            return Err(AppError::TooManyAttempts(format!(
                "Your organization ran {PER_MINUTE} checks in the last minute. Wait a minute, then try again."
            )));
        }
        usage.running += 1;
        usage.started.push_back(now);
        Ok(CheckSlot { checks: self.clone(), organization_id })
    }
}

impl Drop for CheckSlot {
    fn drop(&mut self) {
        let mut usage = self.checks.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(org) = usage.get_mut(&self.organization_id) {
            org.running = org.running.saturating_sub(1);
            if org.running == 0 && org.started.is_empty() {
                usage.remove(&self.organization_id);
            }
        }
    }
}

/// Work in flight on this replica: at most `total` at once, at most `per_organization` of one
/// organization.
pub struct InFlight {
    slots: Arc<tokio::sync::Semaphore>,
    per_organization: usize,
    running: Mutex<HashMap<i64, usize>>,
}

impl InFlight {
    pub fn new(total: usize, per_organization: usize) -> InFlight {
        InFlight { slots: Arc::new(tokio::sync::Semaphore::new(total)), per_organization, running: Mutex::default() }
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<i64, usize>> {
        self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many slots are free now.
    pub fn free(&self) -> usize {
        self.slots.available_permits()
    }

    /// A free slot, if there is one (freed when dropped).
    pub fn slot(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Organizations at their bound.
    pub fn busy(&self) -> Vec<i64> {
        self.running().iter().filter(|(_, n)| **n >= self.per_organization).map(|(org, _)| *org).collect()
    }

    /// Counts one more of `organization_id`'s, unless it is at its bound.
    pub fn try_start(&self, organization_id: i64) -> bool {
        let mut running = self.running();
        let count = running.entry(organization_id).or_insert(0);
        if *count >= self.per_organization {
            return false;
        }
        *count += 1;
        true
    }

    pub fn finish(&self, organization_id: i64) {
        let mut running = self.running();
        if let Some(count) = running.get_mut(&organization_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                running.remove(&organization_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_at_once_and_a_few_dozen_a_minute_per_organization() {
        let checks = Arc::new(CloudChecks::default());
        let t0 = Instant::now();
        let first = checks.start_at(1, t0);
        let second = checks.start_at(1, t0);
        assert!(first.is_ok() && second.is_ok());
        assert!(matches!(checks.start_at(1, t0), Err(AppError::TooManyAttempts(_))), "a third at once");
        assert!(checks.start_at(2, t0).is_ok(), "another organization is not held up");
        drop((first, second));
        for _ in 2..PER_MINUTE {
            assert!(checks.start_at(1, t0).is_ok());
        }
        assert!(matches!(checks.start_at(1, t0), Err(AppError::TooManyAttempts(_))), "over the minute's share");
        assert!(checks.start_at(1, t0 + Duration::from_secs(61)).is_ok(), "a minute later");
    }

    #[test]
    fn work_in_flight_is_bounded_per_organization() {
        let in_flight = InFlight::new(3, 2);
        assert!(in_flight.try_start(1) && in_flight.try_start(1));
        assert!(!in_flight.try_start(1) && in_flight.busy() == vec![1]);
        assert!(in_flight.try_start(2), "another organization is not held up");
        in_flight.finish(1);
        assert!(in_flight.busy().is_empty() && in_flight.try_start(1));
        let held: Vec<_> = std::iter::from_fn(|| in_flight.slot()).collect();
        assert_eq!((held.len(), in_flight.free()), (3, 0));
    }
}
