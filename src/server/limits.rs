//! Per-organization bounds on work a user can start at will that calls a cloud on the
//! platform's identity every tenant shares (Re-test, Refresh): at most a few at once and a
//! few dozen a minute per organization on each replica; beyond that, 429 and a sentence.
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
}
