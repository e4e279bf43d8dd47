//! The SQL of the API: Idempotency-Key (one row per token and key, claimed before the request
//! runs and given its answer after) and the per-token request counts of the rate limit.
use crate::error::AppError;
use crate::server::Pool;

/// What a key already holds: the hash of its request, and its answer once it has one.
pub struct Held {
    pub request_hash: Vec<u8>,
    pub answer: Option<(i64, String, String)>,
}

/// Claims `key` for this request; None if it was free (the caller runs the request), else what
/// it holds. Keys older than a day are forgotten first. The claim is one atomic INSERT … ON
/// CONFLICT DO NOTHING, and the transaction writes before it reads: it needs no write lock of
/// `begin_write`'s, which on PostgreSQL would queue every API change behind every other write.
pub async fn claim(pool: &Pool, token_hash: &[u8], key: &str, request_hash: &[u8], now: i64) -> Result<Option<Held>, AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM api_idempotency WHERE created_at < $1").bind(now - 86_400).execute(&mut *tx).await?;
    let claimed = sqlx::query(
        "INSERT INTO api_idempotency (token_hash, key, request_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash, key) DO NOTHING",
    )
    .bind(token_hash)
    .bind(key)
    .bind(request_hash)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let held = if claimed.rows_affected() == 1 {
        None
    } else {
        let (request_hash, status, content_type, body): (Vec<u8>, Option<i64>, Option<String>, Option<String>) = sqlx::query_as(
            "SELECT request_hash, status, content_type, body FROM api_idempotency WHERE token_hash = $1 AND key = $2",
        )
        .bind(token_hash)
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        let answer = status.map(|status| (status, content_type.unwrap_or_default(), body.unwrap_or_default()));
        Some(Held { request_hash, answer })
    };
    tx.commit().await?;
    Ok(held)
}

/// Keeps the answer the claimed request got.
pub async fn answer(pool: &Pool, token_hash: &[u8], key: &str, status: i64, content_type: &str, body: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE api_idempotency SET status = $1, content_type = $2, body = $3 WHERE token_hash = $4 AND key = $5")
        .bind(status)
        .bind(content_type)
        .bind(body)
        .bind(token_hash)
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

/// Frees a claimed key whose request failed on our side, so that a retry runs it again.
pub async fn release(pool: &Pool, token_hash: &[u8], key: &str) -> Result<(), AppError> {
    sqlx::query("DELETE FROM api_idempotency WHERE token_hash = $1 AND key = $2").bind(token_hash).bind(key).execute(pool).await?;
    Ok(())
}

/// Counts a request of token `token_hash` (the SHA-256 of its secret) in the minute starting at
/// `window_start`; returns how many it has made in it, or None for a token that does not
/// exist (not counted: an unknown token is refused anyway, and a flood of made-up ones must
/// not write a row each). The first request of a minute forgets the minutes before the last.
/// One atomic upsert, not `begin_write`: every API request counts, and on PostgreSQL that lock
/// would make each of them wait for every other write of every organization.
pub async fn count_request(pool: &Pool, token_hash: &[u8], window_start: i64) -> Result<Option<i64>, AppError> {
    let requests: Option<i64> = sqlx::query_scalar(
        "INSERT INTO api_rate (token_hash, window_start, requests) \
         SELECT $1, $2, 1 WHERE EXISTS (SELECT 1 FROM api_tokens WHERE token_hash = $1) \
         ON CONFLICT (token_hash, window_start) DO UPDATE SET requests = api_rate.requests + 1 RETURNING requests",
    )
    .bind(token_hash)
    .bind(window_start)
    .fetch_optional(pool)
    .await?;
    if requests == Some(1) {
        sqlx::query("DELETE FROM api_rate WHERE window_start < $1").bind(window_start - 60).execute(pool).await?;
    }
    Ok(requests)
}
