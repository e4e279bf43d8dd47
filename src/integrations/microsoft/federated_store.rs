//! The SQL of federated subjects: the `sub` the portal's issuer signs for one Microsoft link.
//! Every query a user's request reaches is scoped to one organization; the sweep is the
//! portal's own work over every organization.
use crate::error::{AppError, OnUniqueViolation};
use crate::server::{Db, Pool};

/// A subject as the page and sign-in need it.
#[derive(Debug, Clone)]
pub struct StoredSubject {
    pub id: i64,
    pub organization_id: i64,
    pub service: String,
    pub subject: String,
}

/// Saves a new subject for `service`: pending (no account), or the pending switch of account
/// `renewal_of`; a second switch of the same account at once is a conflict.
pub async fn insert(
    tx: &mut sqlx::Transaction<'_, Db>,
    org: i64,
    service: &str,
    subject: &str,
    renewal_of: Option<i64>,
    now: i64,
) -> Result<i64, AppError> {
    sqlx::query_scalar(
        "INSERT INTO federated_subjects (organization_id, service, subject, renewal_of, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(org)
    .bind(service)
    .bind(subject)
    .bind(renewal_of)
    .bind(now)
    .fetch_one(&mut **tx)
    .await
    .on_unique_violation(|| AppError::conflict("subject", "A new subject for this account was made a moment ago."))
}

/// The organization's subject `id`, whatever it is attached to.
pub async fn find(pool: &Pool, org: i64, id: i64) -> Result<Option<StoredSubject>, AppError> {
    Ok(sqlx::query_as("SELECT id, service, subject FROM federated_subjects WHERE id = $1 AND organization_id = $2")
        .bind(id)
        .bind(org)
        .fetch_optional(pool)
        .await?
        .map(|(id, service, subject)| StoredSubject { id, organization_id: org, service, subject }))
}

/// The subject account `account_id` signs in with, or its pending switch (`switch`).
pub async fn of_account(pool: &Pool, org: i64, account_id: i64, switch: bool) -> Result<Option<StoredSubject>, AppError> {
    let column = if switch { "renewal_of" } else { "account_id" };
    Ok(sqlx::query_as(&format!(
        "SELECT id, service, subject FROM federated_subjects WHERE organization_id = $1 AND {column} = $2 ORDER BY id DESC LIMIT 1"
    ))
    .bind(org)
    .bind(account_id)
    .fetch_optional(pool)
    .await?
    .map(|(id, service, subject)| StoredSubject { id, organization_id: org, service, subject }))
}

/// The organization's subjects made since `since` that wait for Connect.
pub async fn count_unconnected(pool: &Pool, org: i64, since: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM federated_subjects WHERE organization_id = $1 AND account_id IS NULL AND renewal_of IS NULL AND created_at > $2",
    )
    .bind(org)
    .bind(since)
    .fetch_one(pool)
    .await?)
}

/// Gives the new account `account_id` the organization's pending subject; false if there is no
/// such subject (another organization's, used, or a switch).
pub async fn attach(tx: &mut sqlx::Transaction<'_, Db>, org: i64, subject_id: i64, account_id: i64) -> Result<bool, AppError> {
    let attached = sqlx::query(
        "UPDATE federated_subjects SET account_id = $1 WHERE id = $2 AND organization_id = $3 AND account_id IS NULL AND renewal_of IS NULL",
    )
    .bind(account_id)
    .bind(subject_id)
    .bind(org)
    .execute(&mut **tx)
    .await?;
    Ok(attached.rows_affected() == 1)
}

/// Makes the pending switch `new_id` the account's subject, deleting the one it replaces; false
/// if someone switched first.
pub async fn switch(tx: &mut sqlx::Transaction<'_, Db>, org: i64, account_id: i64, new_id: i64) -> Result<bool, AppError> {
    forget(tx, org, account_id).await?;
    let switched = sqlx::query(
        "UPDATE federated_subjects SET account_id = $1, renewal_of = NULL WHERE id = $2 AND organization_id = $3 AND renewal_of = $1",
    )
    .bind(account_id)
    .bind(new_id)
    .bind(org)
    .execute(&mut **tx)
    .await?;
    Ok(switched.rows_affected() == 1)
}

/// Deletes the subject account `account_id` signs in with (when it switches to a certificate).
pub async fn forget(tx: &mut sqlx::Transaction<'_, Db>, org: i64, account_id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM federated_subjects WHERE organization_id = $1 AND account_id = $2")
        .bind(org)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes the subjects nobody connected made before `pending_before`, and pending switches
/// made before `switch_before`.
pub async fn delete_unconnected(pool: &Pool, pending_before: i64, switch_before: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM federated_subjects WHERE account_id IS NULL AND \
         ((renewal_of IS NULL AND created_at < $1) OR created_at < $2)",
    )
    .bind(pending_before)
    .bind(switch_before)
    .execute(pool)
    .await
    .map(|_| ())
}
