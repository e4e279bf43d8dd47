//! The SQL of the outbox: mail waiting to go out (its body sealed), who claimed it, and how
//! its delivery went.
use sqlx::AnyConnection;

use crate::crypto::Sealed;
use crate::error::AppError;
use crate::server::Pool;

/// Writes a mail (its body sealed) due at once; returns its id.
pub async fn insert(
    conn: &mut AnyConnection,
    purpose: &str,
    to: &str,
    reply_to: Option<&str>,
    subject: &str,
    body: &Sealed,
    now: i64,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO outbox_mail (purpose, to_address, reply_to, subject, body_sealed, body_nonce, key_id, \
         created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(purpose)
    .bind(to)
    .bind(reply_to)
    .bind(subject)
    .bind(&body.ciphertext)
    .bind(&body.nonce)
    .bind(&body.key_id)
    .bind(now)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

/// Mails of either purpose written to `address` since `since`.
pub async fn count_to(conn: &mut AnyConnection, address: &str, purposes: [&str; 2], since: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox_mail WHERE to_address = $1 AND created_at > $2 AND purpose IN ($3, $4)")
        .bind(address)
        .bind(since)
        .bind(purposes[0])
        .bind(purposes[1])
        .fetch_one(conn)
        .await?)
}

/// (sent at, attempts, next attempt at) of mail `id`.
pub async fn delivery(pool: &Pool, id: i64) -> Result<Option<(Option<i64>, i64, i64)>, AppError> {
    Ok(sqlx::query_as("SELECT sent_at, attempts, next_attempt_at FROM outbox_mail WHERE id = $1").bind(id).fetch_optional(pool).await?)
}

/// (id, due at) of up to `limit` unsent mails due at `now`, the longest waiting first.
pub async fn due(pool: &Pool, now: i64, limit: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, next_attempt_at FROM outbox_mail WHERE sent_at IS NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// Claims mail `id` by moving its time from `due_at` to `until`: false if another process
/// moved it first.
pub async fn claim(pool: &Pool, id: i64, due_at: i64, until: i64) -> Result<bool, AppError> {
    let claimed = sqlx::query("UPDATE outbox_mail SET next_attempt_at = $1 WHERE id = $2 AND next_attempt_at = $3 AND sent_at IS NULL")
        .bind(until)
        .bind(id)
        .bind(due_at)
        .execute(pool)
        .await?;
    Ok(claimed.rows_affected() == 1)
}

/// (to, reply to, subject, sealed body) of mail `id`; the body is None once sent.
pub async fn letter(pool: &Pool, id: i64) -> Result<Option<(String, Option<String>, String, Option<Sealed>)>, AppError> {
    type Row = (String, Option<String>, String, Option<Vec<u8>>, Option<Vec<u8>>, Option<String>);
    let row: Option<Row> =
        sqlx::query_as("SELECT to_address, reply_to, subject, body_sealed, body_nonce, key_id FROM outbox_mail WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(to, reply_to, subject, ciphertext, nonce, key_id)| {
        let body = match (ciphertext, nonce, key_id) {
            (Some(ciphertext), Some(nonce), Some(key_id)) => Some(Sealed { ciphertext, nonce, key_id }),
            _ => None,
        };
        (to, reply_to, subject, body)
    }))
}

/// Marks mail `id` sent at `now` and erases its body.
pub async fn mark_sent(pool: &Pool, id: i64, now: i64) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE outbox_mail SET sent_at = $1, attempts = attempts + 1, last_error = NULL, body_sealed = NULL, body_nonce = NULL WHERE id = $2",
    )
    .bind(now)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

/// Counts a failed attempt with its error and sets the next from the attempts so far
/// (`backoff`), in one transaction: nobody sees the attempt counted with the lease still as its
/// next time. Returns the attempts.
pub async fn record_failure(pool: &Pool, id: i64, error: &str, next_after: impl Fn(i64) -> i64) -> Result<i64, AppError> {
    let mut tx = crate::server::begin_write(pool).await?;
    let attempts: i64 =
        sqlx::query_scalar("UPDATE outbox_mail SET attempts = attempts + 1, last_error = $1 WHERE id = $2 RETURNING attempts")
            .bind(error)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    sqlx::query("UPDATE outbox_mail SET next_attempt_at = $1 WHERE id = $2").bind(next_after(attempts)).bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(attempts)
}
