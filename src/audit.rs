//! The audit log: who did what, when, from where. Callers pass descriptions, never secrets.
use crate::server::Pool;

use crate::error::AppError;

/// Who acted: a signed-in user, or (for a failed sign-in) just the email that was tried.
#[derive(Debug, Clone)]
pub struct Actor {
    pub organization_id: Option<i64>,
    pub user_id: Option<i64>,
    pub who: String,
    pub addr: String,
}

impl Actor {
    /// The portal itself acting for an organization ("Xops scheduled check").
    pub fn system(organization_id: i64, who: &str) -> Actor {
        Actor { organization_id: Some(organization_id), user_id: None, who: who.into(), addr: String::new() }
    }
}

/// The account a row is about: its id (kept once the account is deleted, for the audit page's
/// filter) and its name at the time.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    pub id: i64,
    pub name: &'a str,
}

/// Appends one row inside the caller's transaction, so that the change and its audit row
/// commit together (or neither does).
pub async fn write<'c, E>(executor: E, actor: &Actor, action: &str, detail: &str) -> Result<(), AppError>
where
    E: sqlx::Executor<'c, Database = crate::server::Db>,
{
    write_at(executor, actor, action, None, detail, crate::server::now()).await
}

/// As `write`, for a change to one account.
pub async fn write_about<'c, E>(executor: E, actor: &Actor, action: &str, about: About<'_>, detail: &str) -> Result<(), AppError>
where
    E: sqlx::Executor<'c, Database = crate::server::Db>,
{
    write_at(executor, actor, action, Some(about), detail, crate::server::now()).await
}

/// As `write` (or `write_about`), at the time the work was given (scheduled work takes its time
/// as an argument, and its audit rows say that time, not the wall clock's).
pub async fn write_at<'c, E>(executor: E, actor: &Actor, action: &str, about: Option<About<'_>>, detail: &str, at: i64) -> Result<(), AppError>
where
    E: sqlx::Executor<'c, Database = crate::server::Db>,
{
    sqlx::query(
        "INSERT INTO audit_log (organization_id, user_id, actor, action, detail, client_addr, created_at, account_id, account_name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(actor.organization_id)
    .bind(actor.user_id)
    .bind(&actor.who)
    .bind(action)
    .bind(detail)
    .bind(&actor.addr)
    .bind(at)
    .bind(about.map(|a| a.id))
    .bind(about.map(|a| a.name).unwrap_or_default())
    .execute(executor)
    .await?;
    Ok(())
}

/// Appends one row on its own, for events that change nothing else (sign-in, sign-out). A
/// failure to audit is logged, not shown: the event itself already happened.
pub async fn record(pool: &Pool, actor: &Actor, action: &str, detail: &str) {
    if let Err(err) = write(pool, actor, action, detail).await {
        tracing::error!(error = %err, action, "could not write the audit log");
    }
}
