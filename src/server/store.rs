//! The SQL of the kernel's own tables: the periodic jobs' claims and the master key's check row.
use super::Pool;
use crate::crypto::Sealed;

/// Moves `job`'s next run from a due time (at most `now`) to `next`: true for exactly one
/// caller per period (the row is made on first use).
pub async fn claim_job(pool: &Pool, job: &str, now: i64, next: i64) -> Result<bool, sqlx::Error> {
    sqlx::query("INSERT INTO jobs (name, next_run_at, runs) VALUES ($1, 0, 0) ON CONFLICT (name) DO NOTHING")
        .bind(job)
        .execute(pool)
        .await?;
    let claimed = sqlx::query("UPDATE jobs SET next_run_at = $1, runs = runs + 1 WHERE name = $2 AND next_run_at <= $3")
        .bind(next)
        .bind(job)
        .bind(now)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(claimed == 1)
}

/// The known plaintext sealed under the master key, if the row exists.
pub async fn master_key_check(pool: &Pool) -> Result<Option<Sealed>, sqlx::Error> {
    let row: Option<(String, Vec<u8>, Vec<u8>)> =
        sqlx::query_as("SELECT key_id, sealed, nonce FROM master_key_check WHERE id = 1").fetch_optional(pool).await?;
    Ok(row.map(|(key_id, ciphertext, nonce)| Sealed { ciphertext, nonce, key_id }))
}

/// A master key id other than `key_id` that sealed any value the database holds.
pub async fn other_sealing_key(pool: &Pool, key_id: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT key_id FROM certificates WHERE key_id != $1 \
         UNION SELECT secret_key_id FROM notification_targets WHERE secret_key_id IS NOT NULL AND secret_key_id != $1 \
         UNION SELECT key_id FROM outbox_mail WHERE body_sealed IS NOT NULL AND key_id != $1 LIMIT 1",
    )
    .bind(key_id)
    .fetch_optional(pool)
    .await
}

/// Saves the check row (unless another replica saved one first).
pub async fn insert_master_key_check(pool: &Pool, sealed: &Sealed, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO master_key_check (id, key_id, sealed, nonce, created_at) VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&sealed.key_id)
    .bind(&sealed.ciphertext)
    .bind(&sealed.nonce)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ())
}
