//! The second factors' tables: a user's authenticator (its sealed secret and the last time step
//! it accepted), their recovery codes (hashes), a new set of codes sealed for showing once, and
//! an organization's requirement.
use sqlx::AnyConnection;

use crate::crypto::Sealed;
use crate::error::AppError;
use crate::server::Pool;

/// A user's authenticator: its sealed secret, and when it was confirmed (None while enrolling).
pub struct Authenticator {
    pub secret: Sealed,
    pub confirmed_at: Option<i64>,
}

pub async fn authenticator(conn: &mut AnyConnection, user_id: i64) -> Result<Option<Authenticator>, AppError> {
    let row: Option<(Vec<u8>, Vec<u8>, String, Option<i64>)> = sqlx::query_as(
        "SELECT secret_sealed, secret_nonce, secret_key_id, confirmed_at FROM authenticators WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(ciphertext, nonce, key_id, confirmed_at)| Authenticator {
        secret: Sealed { ciphertext, nonce, key_id },
        confirmed_at,
    }))
}

/// Starts enrolling (or starts again): a new secret, not yet confirmed. A confirmed
/// authenticator is left alone (the caller refuses first).
pub async fn put_unconfirmed(conn: &mut AnyConnection, user_id: i64, secret: &Sealed, now: i64) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO authenticators (user_id, secret_sealed, secret_nonce, secret_key_id, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, secret_nonce = excluded.secret_nonce, \
         secret_key_id = excluded.secret_key_id, created_at = excluded.created_at WHERE authenticators.confirmed_at IS NULL",
    )
    .bind(user_id)
    .bind(&secret.ciphertext)
    .bind(&secret.nonce)
    .bind(&secret.key_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Confirms the authenticator being enrolled with the code of `step`; false if there was none
/// to confirm.
pub async fn confirm(conn: &mut AnyConnection, user_id: i64, step: i64, now: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE authenticators SET confirmed_at = $1, last_step = $2 WHERE user_id = $3 AND confirmed_at IS NULL",
    )
    .bind(now)
    .bind(step)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Accepts the code of `step` once: false if that step (or a later one) was already accepted.
pub async fn spend_step(conn: &mut AnyConnection, user_id: i64, step: i64) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE authenticators SET last_step = $1 WHERE user_id = $2 AND confirmed_at IS NOT NULL AND last_step < $1",
    )
    .bind(step)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes the user's authenticator; false if they had none.
pub async fn delete_authenticator(conn: &mut AnyConnection, user_id: i64) -> Result<bool, AppError> {
    let done = sqlx::query("DELETE FROM authenticators WHERE user_id = $1 AND confirmed_at IS NOT NULL")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes the user's recovery codes (with their last second factor).
pub async fn delete_recovery_codes(conn: &mut AnyConnection, user_id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM recovery_codes_shown WHERE user_id = $1").bind(user_id).execute(conn).await?;
    Ok(())
}

/// Whether the user has a second factor: a confirmed authenticator or a passkey.
pub async fn has_second_factor(conn: &mut AnyConnection, user_id: i64) -> Result<bool, AppError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM authenticators WHERE user_id = $1 AND confirmed_at IS NOT NULL) \
         + (SELECT COUNT(*) FROM passkeys WHERE user_id = $1)",
    )
    .bind(user_id)
    .fetch_one(conn)
    .await?;
    Ok(count > 0)
}

/// A stored passkey: its row, its name, the library's record of it (public key, counter,
/// backup flags) as JSON, and when it was added and last used.
pub struct PasskeyRow {
    pub id: i64,
    pub name: String,
    pub passkey: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub async fn passkeys_of(pool: &Pool, user_id: i64) -> Result<Vec<PasskeyRow>, AppError> {
    let rows: Vec<(i64, String, String, i64, Option<i64>)> = sqlx::query_as(
        "SELECT id, name, passkey, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at, id",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, passkey, created_at, last_used_at)| PasskeyRow { id, name, passkey, created_at, last_used_at })
        .collect())
}

/// Saves a new passkey; false if that credential is saved already.
pub async fn insert_passkey(
    conn: &mut AnyConnection,
    user_id: i64,
    name: &str,
    credential_id: &[u8],
    passkey: &str,
    now: i64,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "INSERT INTO passkeys (user_id, name, credential_id, passkey, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (credential_id) DO NOTHING",
    )
    .bind(user_id)
    .bind(name)
    .bind(credential_id)
    .bind(passkey)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the user's passkey `id`; its name, or None if the user has no such passkey.
pub async fn delete_passkey(conn: &mut AnyConnection, user_id: i64, id: i64) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar("DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name")
        .bind(id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?)
}

/// Notes a passkey's use, with its updated record.
pub async fn passkey_used(conn: &mut AnyConnection, id: i64, passkey: &str, now: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE passkeys SET passkey = $1, last_used_at = $2 WHERE id = $3")
        .bind(passkey)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The user's passkey handle (the random id their passkeys carry for them), set to `new` if
/// they had none.
pub async fn passkey_user_handle(pool: &Pool, user_id: i64, new: &str) -> Result<String, AppError> {
    Ok(sqlx::query_scalar("UPDATE users SET passkey_handle = COALESCE(passkey_handle, $1) WHERE id = $2 RETURNING passkey_handle")
        .bind(new)
        .bind(user_id)
        .fetch_one(pool)
        .await?)
}

pub async fn user_of_passkey_handle(pool: &Pool, handle: &str) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar("SELECT id FROM users WHERE passkey_handle = $1").bind(handle).fetch_optional(pool).await?)
}

/// Replaces the user's recovery codes by `hashes`, and keeps the new set sealed for showing once.
pub async fn replace_recovery_codes(
    conn: &mut AnyConnection,
    user_id: i64,
    hashes: &[Vec<u8>],
    shown: &Sealed,
    now: i64,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (code_hash, user_id) VALUES ($1, $2)")
            .bind(hash)
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(
        "INSERT INTO recovery_codes_shown (user_id, codes_sealed, codes_nonce, codes_key_id, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id) DO UPDATE SET codes_sealed = excluded.codes_sealed, codes_nonce = excluded.codes_nonce, \
         codes_key_id = excluded.codes_key_id, created_at = excluded.created_at",
    )
    .bind(user_id)
    .bind(&shown.ciphertext)
    .bind(&shown.nonce)
    .bind(&shown.key_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Spends the recovery code whose hash is `hash`; the codes left after it, or None if it is not
/// an unused code of this user.
pub async fn spend_recovery_code(conn: &mut AnyConnection, user_id: i64, hash: &[u8], now: i64) -> Result<Option<i64>, AppError> {
    let done = sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE code_hash = $2 AND user_id = $3 AND used_at IS NULL")
        .bind(now)
        .bind(hash)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    Ok(Some(recovery_codes_left(conn, user_id).await?))
}

pub async fn recovery_codes_left(conn: &mut AnyConnection, user_id: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(conn)
        .await?)
}

/// The new set of recovery codes, sealed, if it was made after `since`; it is gone after this.
pub async fn take_shown_codes(conn: &mut AnyConnection, user_id: i64, since: i64) -> Result<Option<Sealed>, AppError> {
    let row: Option<(Vec<u8>, Vec<u8>, String, i64)> = sqlx::query_as(
        "DELETE FROM recovery_codes_shown WHERE user_id = $1 RETURNING codes_sealed, codes_nonce, codes_key_id, created_at",
    )
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.filter(|row| row.3 >= since).map(|(ciphertext, nonce, key_id, _)| Sealed { ciphertext, nonce, key_id }))
}

/// What the Security page shows, in one statement.
pub struct Overview {
    /// When the authenticator was confirmed, if it was.
    pub confirmed_at: Option<i64>,
    /// When an authenticator being added (not confirmed yet) was started.
    pub enrolling_since: Option<i64>,
    pub recovery_codes_left: i64,
    pub passkeys: i64,
}

pub async fn overview(pool: &Pool, user_id: i64) -> Result<Overview, AppError> {
    let (confirmed_at, started_at, recovery_codes_left, passkeys): (Option<i64>, Option<i64>, i64, i64) = sqlx::query_as(
        "SELECT (SELECT confirmed_at FROM authenticators WHERE user_id = $1), (SELECT created_at FROM authenticators WHERE user_id = $1), \
         (SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL), (SELECT COUNT(*) FROM passkeys WHERE user_id = $1)",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await?;
    let enrolling_since = started_at.filter(|_| confirmed_at.is_none());
    Ok(Overview { confirmed_at, enrolling_since, recovery_codes_left, passkeys })
}

/// Requires (or stops requiring) a second factor of every member of the organization.
pub async fn set_required(conn: &mut AnyConnection, organization_id: i64, required: bool) -> Result<(), AppError> {
    sqlx::query("UPDATE organizations SET require_second_factor = $1 WHERE id = $2")
        .bind(i64::from(required))
        .bind(organization_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Moves the user's session epoch on, which ends every session of theirs; returns the new epoch.
pub async fn end_sessions(conn: &mut AnyConnection, user_id: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("UPDATE users SET session_epoch = session_epoch + 1 WHERE id = $1 RETURNING session_epoch")
        .bind(user_id)
        .fetch_one(conn)
        .await?)
}
