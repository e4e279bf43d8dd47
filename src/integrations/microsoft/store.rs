//! The SQL of the certificates Microsoft apps sign in with. Every query that a user's request
//! reaches is scoped to one organization; the sweep and the start-up key check are the
//! portal's own work over every organization.
use crate::crypto::Sealed;
use crate::error::{AppError, OnUniqueViolation};
use crate::server::{Db, Pool};

/// A certificate as made, before it is saved.
pub struct NewCertificate<'a> {
    pub service: &'a str,
    pub cert_pem: &'a str,
    pub thumbprint: &'a str,
    pub x5t_s256: &'a str,
    pub not_after: i64,
    pub sealed: &'a Sealed,
    /// The account it is to renew (None: it waits, unconnected, for Connect).
    pub renewal_of: Option<i64>,
    pub created_at: i64,
}

/// Deletes the unconnected certificates made before `pending_before`, and renewals' made
/// before `renewal_before`.
pub async fn delete_unconnected(pool: &Pool, pending_before: i64, renewal_before: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM certificates WHERE account_id IS NULL AND \
         ((renewal_of IS NULL AND created_at < $1) OR created_at < $2)",
    )
    .bind(pending_before)
    .bind(renewal_before)
    .execute(pool)
    .await
    .map(|_| ())
}

/// The organization's certificates made since `since` and connected to no account.
pub async fn count_unconnected(pool: &Pool, org: i64, since: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM certificates WHERE organization_id = $1 AND account_id IS NULL AND renewal_of IS NULL AND created_at > $2",
    )
    .bind(org)
    .bind(since)
    .fetch_one(pool)
    .await?)
}

/// Saves `cert` (its key sealed, bound to its organization and thumbprint); a second renewal
/// of the same account at once is a conflict.
pub async fn insert(tx: &mut sqlx::Transaction<'_, Db>, org: i64, cert: &NewCertificate<'_>) -> Result<i64, AppError> {
    sqlx::query_scalar(
        "INSERT INTO certificates (organization_id, service, cert_pem, thumbprint, x5t_s256, not_after, sealed_key, key_nonce, \
         key_id, created_at, sealed_bound, renewal_of) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11) RETURNING id",
    )
    .bind(org)
    .bind(cert.service)
    .bind(cert.cert_pem)
    .bind(cert.thumbprint)
    .bind(cert.x5t_s256)
    .bind(cert.not_after)
    .bind(&cert.sealed.ciphertext)
    .bind(&cert.sealed.nonce)
    .bind(&cert.sealed.key_id)
    .bind(cert.created_at)
    .bind(cert.renewal_of)
    .fetch_one(&mut **tx)
    .await
    .on_unique_violation(|| AppError::conflict("certificate", "A new certificate for this account was made a moment ago."))
}

/// (thumbprint, not after) of the organization's certificate `id`.
pub async fn thumbprint(pool: &Pool, org: i64, id: i64) -> Result<Option<(String, i64)>, AppError> {
    Ok(sqlx::query_as("SELECT thumbprint, not_after FROM certificates WHERE id = $1 AND organization_id = $2")
        .bind(id)
        .bind(org)
        .fetch_optional(pool)
        .await?)
}

/// (id, thumbprint, not after) of the account's certificate, or of its pending renewal.
pub async fn of_account(pool: &Pool, org: i64, account_id: i64, renewal: bool) -> Result<Option<(i64, String, i64)>, AppError> {
    let column = if renewal { "renewal_of" } else { "account_id" };
    Ok(sqlx::query_as(&format!(
        "SELECT id, thumbprint, not_after FROM certificates WHERE organization_id = $1 AND {column} = $2 ORDER BY id DESC LIMIT 1"
    ))
    .bind(org)
    .bind(account_id)
    .fetch_optional(pool)
    .await?)
}

/// A certificate's sealed key with what signing in needs.
pub struct SealedKey {
    pub id: i64,
    pub service: String,
    pub thumbprint: String,
    pub x5t_s256: String,
    pub sealed: Sealed,
}

/// The organization's certificate `certificate_id`, or else the newest of account `account_id`.
pub async fn sealed_key(pool: &Pool, org: i64, certificate_id: i64, account_id: Option<i64>) -> Result<Option<SealedKey>, AppError> {
    let row: Option<(i64, String, String, String, Vec<u8>, Vec<u8>, String)> = sqlx::query_as(
        "SELECT id, service, thumbprint, x5t_s256, sealed_key, key_nonce, key_id FROM certificates \
         WHERE organization_id = $1 AND (id = $2 OR account_id = $3) ORDER BY id DESC LIMIT 1",
    )
    .bind(org)
    .bind(certificate_id)
    .bind(account_id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|(id, service, thumbprint, x5t_s256, ciphertext, nonce, key_id)| SealedKey {
        id,
        service,
        thumbprint,
        x5t_s256,
        sealed: Sealed { ciphertext, nonce, key_id },
    }))
}

/// A master key id other than `key_id` that sealed a key the database holds, if any.
pub async fn other_master_key(pool: &Pool, key_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT key_id FROM certificates WHERE key_id != $1 LIMIT 1").bind(key_id).fetch_optional(pool).await
}

/// (id, organization, thumbprint, sealed key) of the keys sealed before binding existed.
pub async fn unbound_keys(pool: &Pool) -> Result<Vec<(i64, i64, String, Sealed)>, sqlx::Error> {
    let rows: Vec<(i64, i64, String, Vec<u8>, Vec<u8>, String)> = sqlx::query_as(
        "SELECT id, organization_id, thumbprint, sealed_key, key_nonce, key_id FROM certificates WHERE sealed_bound = 0",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, org, thumbprint, ciphertext, nonce, key_id)| (id, org, thumbprint, Sealed { ciphertext, nonce, key_id }))
        .collect())
}

/// Stores certificate `id`'s key sealed again, now bound.
pub async fn rebind_key(pool: &Pool, id: i64, sealed: &Sealed) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE certificates SET sealed_key = $1, key_nonce = $2, key_id = $3, sealed_bound = 1 WHERE id = $4")
        .bind(&sealed.ciphertext)
        .bind(&sealed.nonce)
        .bind(&sealed.key_id)
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Gives account `account_id` the organization's unconnected certificate; false if there is
/// no such certificate (another's, used, or a renewal).
pub async fn attach(tx: &mut sqlx::Transaction<'_, Db>, org: i64, certificate_id: i64, account_id: i64) -> Result<bool, AppError> {
    let attached = sqlx::query(
        "UPDATE certificates SET account_id = $1 WHERE id = $2 AND organization_id = $3 AND account_id IS NULL AND renewal_of IS NULL",
    )
    .bind(account_id)
    .bind(certificate_id)
    .bind(org)
    .execute(&mut **tx)
    .await?;
    Ok(attached.rows_affected() == 1)
}

/// Makes the pending renewal `new_id` the account's certificate, deleting the old one (and its
/// sealed key); false if someone switched it first.
pub async fn switch(tx: &mut sqlx::Transaction<'_, Db>, org: i64, account_id: i64, new_id: i64) -> Result<bool, AppError> {
    sqlx::query("DELETE FROM certificates WHERE organization_id = $1 AND account_id = $2")
        .bind(org)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    let switched = sqlx::query(
        "UPDATE certificates SET account_id = $1, renewal_of = NULL WHERE id = $2 AND organization_id = $3 AND renewal_of = $1",
    )
    .bind(account_id)
    .bind(new_id)
    .bind(org)
    .execute(&mut **tx)
    .await?;
    Ok(switched.rows_affected() == 1)
}

/// Deletes the account's certificate and any renewal of it, sealed keys and all (when it
/// switches to a federated credential).
pub async fn forget(tx: &mut sqlx::Transaction<'_, Db>, org: i64, account_id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM certificates WHERE organization_id = $1 AND (account_id = $2 OR renewal_of = $2)")
        .bind(org)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// (public certificate PEM, service) of the organization's certificate `id`.
pub async fn public_pem(pool: &Pool, org: i64, id: i64) -> Result<Option<(String, String)>, AppError> {
    Ok(sqlx::query_as("SELECT cert_pem, service FROM certificates WHERE id = $1 AND organization_id = $2")
        .bind(id)
        .bind(org)
        .fetch_optional(pool)
        .await?)
}
