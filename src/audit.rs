//! The audit log: who did what, when, from where. Callers pass descriptions, never secrets.
use sqlx::SqlitePool;

use crate::auth::session::SessionUser;

/// Who acted: a signed-in user, or (for a failed sign-in) just the email that was tried.
#[derive(Debug, Clone)]
pub struct Actor {
    pub organization_id: Option<i64>,
    pub user_id: Option<i64>,
    pub who: String,
    pub addr: String,
}

impl Actor {
    pub fn of(user: &SessionUser, addr: String) -> Self {
        Actor {
            organization_id: Some(user.organization_id),
            user_id: Some(user.user_id),
            who: user.email.clone(),
            addr,
        }
    }
}

/// Appends one row. A failure to audit is logged, not shown: the action itself already happened.
pub async fn record(pool: &SqlitePool, actor: &Actor, action: &str, detail: &str) {
    let result = sqlx::query(
        "INSERT INTO audit_log (organization_id, user_id, actor, action, detail, client_addr, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(actor.organization_id)
    .bind(actor.user_id)
    .bind(&actor.who)
    .bind(action)
    .bind(detail)
    .bind(&actor.addr)
    .bind(crate::server::now())
    .execute(pool)
    .await;
    if let Err(err) = result {
        tracing::error!(error = %err, action, "could not write the audit log");
    }
}
