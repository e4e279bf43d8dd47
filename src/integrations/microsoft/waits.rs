//! Federated sign-ins waiting for Entra to match a credential added a moment ago, per replica,
//! so that the form sending them can show how the wait goes.
use std::time::{Duration, Instant};

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
    pub fn start(subject_id: i64, organization_id: i64, started: Instant, patience: Duration) -> Waiting {
        waits().insert(subject_id, Wait { organization_id, started, patience, attempts: 0, code: 0 });
        Waiting(subject_id)
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
