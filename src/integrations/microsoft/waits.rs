//! Federated sign-ins waiting for Entra to match a credential added a moment ago, per replica,
//! so that the form sending them can show how the wait goes, and so that an organization keeps
//! only a few of them (each asks Microsoft again for up to two minutes) going at once.
use std::time::{Duration, Instant};

use crate::error::AppError;

/// Waits one organization may have at once on a replica; more are told to try again (429).
pub const AT_ONCE_PER_ORGANIZATION: usize = 3;

/// A federated sign-in waiting for Entra to match its credential, as the link form's progress
/// shows it (per replica: a page asking another replica sees no wait and says it is signing in).
#[derive(Debug, Clone)]
pub struct Wait {
    organization_id: i64,
    pub started: Instant,
    pub patience: Duration,
    pub attempts: u32,
    /// Entra's last refusal (AADSTS code).
    pub code: i64,
}

fn waits() -> std::sync::MutexGuard<'static, std::collections::HashMap<i64, Wait>> {
    static WAITS: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<i64, Wait>>> = std::sync::OnceLock::new();
    WAITS.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The wait of the organization's subject `subject_id`, if one runs on this replica.
pub fn waiting(organization_id: i64, subject_id: i64) -> Option<Wait> {
    waits().get(&subject_id).filter(|w| w.organization_id == organization_id).cloned()
}

/// A wait registered while it lasts: dropping it (at the end of the sign-in, however it ends)
/// removes it.
pub struct Waiting(i64);

impl Waiting {
    /// Registers the wait of subject `subject_id`, unless one waits already for the same values
    /// or the organization has `AT_ONCE_PER_ORGANIZATION` waiting.
    pub fn start(subject_id: i64, organization_id: i64, started: Instant, patience: Duration) -> Result<Waiting, AppError> {
        let mut all = waits();
        if all.contains_key(&subject_id) {
            return Err(AppError::TooManyAttempts(
                "A sign-in with these values is already waiting for Microsoft to accept them: wait for its answer.".into(),
            ));
        }
        if all.values().filter(|w| w.organization_id == organization_id).count() >= AT_ONCE_PER_ORGANIZATION {
            return Err(AppError::TooManyAttempts(format!(
                "Microsoft does not match the federated credential yet, and {AT_ONCE_PER_ORGANIZATION} sign-ins of your \
                 organization are already waiting for theirs. Try again in a minute."
            )));
        }
        all.insert(subject_id, Wait { organization_id, started, patience, attempts: 0, code: 0 });
        Ok(Waiting(subject_id))
    }

    pub fn attempted(&self, code: i64) {
        if let Some(wait) = waits().get_mut(&self.0) {
            wait.attempts += 1;
            wait.code = code;
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        waits().remove(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_organization_waits_for_a_few_credentials_at_once_and_each_once() {
        let start = |subject: i64, org: i64| Waiting::start(subject, org, Instant::now(), Duration::from_secs(120));
        let held: Vec<Waiting> = (1..=3).map(|s| start(9_000 + s, 900).unwrap_or_else(|e| panic!("{e}"))).collect();
        assert!(matches!(start(9_001, 901), Err(AppError::TooManyAttempts(_))), "the same values twice");
        assert!(start(9_004, 900).is_err_and(|e| e.to_string().contains("3 sign-ins of your organization")));
        let other = start(9_005, 901);
        assert!(other.is_ok(), "another organization is not held up");
        held[0].attempted(70021);
        assert_eq!(waiting(900, 9_001).map(|w| (w.attempts, w.code)), Some((1, 70021)));
        assert!(waiting(901, 9_001).is_none(), "only the organization's own wait is shown");
        drop(held);
        assert!(waiting(900, 9_001).is_none());
        assert!(start(9_004, 900).is_ok(), "room again once the waits end");
    }
}
