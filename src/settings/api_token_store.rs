//! The SQL of API tokens: each stored as the SHA-256 of its secret, with a visible prefix, its
//! scope, expiry and allowed networks, who made it and when and from where it was last used.
use sqlx::AnyConnection;

use crate::error::AppError;
use crate::server::Pool;

/// A token as the list shows it: (id, name, prefix, scope, allowed networks, created by,
/// created at, expires at, last used at, last used from).
pub type Listed = (i64, String, String, String, String, String, i64, Option<i64>, Option<i64>, Option<String>);

/// The organization's tokens that are not revoked, newest first.
pub async fn tokens(pool: &Pool, organization_id: i64) -> Result<Vec<Listed>, AppError> {
    Ok(sqlx::query_as(
        "SELECT t.id, t.name, t.prefix, t.scope, t.allowed_networks, COALESCE(u.email, 'a former member'), t.created_at, \
         t.expires_at, t.last_used_at, t.last_used_from FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by \
         WHERE t.organization_id = $1 AND t.revoked_at IS NULL ORDER BY t.created_at DESC, t.id DESC",
    )
    .bind(organization_id)
    .fetch_all(pool)
    .await?)
}

/// What a new token is.
pub struct NewToken<'a> {
    pub organization_id: i64,
    pub created_by: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub hash: &'a [u8],
    pub scope: &'a str,
    pub allowed_networks: &'a str,
    pub expires_at: Option<i64>,
    pub now: i64,
}

/// Saves a token (its hash; the secret itself is kept sealed only until shown once); returns its id.
pub async fn insert(conn: &mut AnyConnection, token: &NewToken<'_>, shown: &crate::crypto::Sealed) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (organization_id, created_by, name, prefix, token_hash, scope, allowed_networks, created_at, \
         expires_at, secret_sealed, secret_nonce, secret_key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
    )
    .bind(token.organization_id)
    .bind(token.created_by)
    .bind(token.name)
    .bind(token.prefix)
    .bind(token.hash)
    .bind(token.scope)
    .bind(token.allowed_networks)
    .bind(token.now)
    .bind(token.expires_at)
    .bind(&shown.ciphertext)
    .bind(&shown.nonce)
    .bind(&shown.key_id)
    .fetch_one(conn)
    .await?)
}

/// The new token `id`'s secret, sealed, if it was made after `since` and not shown yet (it is
/// erased now either way); None if the organization has no such token.
pub async fn take_secret(
    conn: &mut AnyConnection,
    organization_id: i64,
    id: i64,
    since: i64,
) -> Result<Option<Option<crate::crypto::Sealed>>, AppError> {
    let row: Option<(Option<Vec<u8>>, Option<Vec<u8>>, Option<String>, i64)> = sqlx::query_as(
        "SELECT secret_sealed, secret_nonce, secret_key_id, created_at FROM api_tokens WHERE id = $1 AND organization_id = $2",
    )
    .bind(id)
    .bind(organization_id)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query("UPDATE api_tokens SET secret_sealed = NULL, secret_nonce = NULL, secret_key_id = NULL WHERE id = $1 AND organization_id = $2")
        .bind(id)
        .bind(organization_id)
        .execute(conn)
        .await?;
    Ok(row.map(|(ciphertext, nonce, key_id, created_at)| match (ciphertext, nonce, key_id) {
        (Some(ciphertext), Some(nonce), Some(key_id)) if created_at >= since => Some(crate::crypto::Sealed { ciphertext, nonce, key_id }),
        _ => None,
    }))
}

/// Revokes the organization's token `id`; its name, or None if there is no such live token.
pub async fn revoke(conn: &mut AnyConnection, organization_id: i64, id: i64, now: i64) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "UPDATE api_tokens SET revoked_at = $1, secret_sealed = NULL, secret_nonce = NULL, secret_key_id = NULL \
         WHERE id = $2 AND organization_id = $3 AND revoked_at IS NULL RETURNING name",
    )
    .bind(now)
    .bind(id)
    .bind(organization_id)
    .fetch_optional(conn)
    .await?)
}

/// How many live tokens the organization has.
pub async fn live_count(conn: &mut AnyConnection, organization_id: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE organization_id = $1 AND revoked_at IS NULL")
        .bind(organization_id)
        .fetch_one(conn)
        .await?)
}

/// A token presented to the API, found by its hash with what it may do: its creator's current
/// role in its organization (None once they are no longer a member), and the organization.
pub struct Presented {
    pub id: i64,
    pub name: String,
    pub organization_id: i64,
    pub organization_name: String,
    pub scope: String,
    pub allowed_networks: String,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub creator_role: Option<String>,
    pub last_used_at: Option<i64>,
}

pub async fn presented(pool: &Pool, hash: &[u8]) -> Result<Option<Presented>, AppError> {
    type Row = (i64, String, i64, String, String, String, Option<i64>, Option<i64>, Option<String>, Option<i64>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT t.id, t.name, t.organization_id, o.name, t.scope, t.allowed_networks, t.expires_at, t.revoked_at, m.role, t.last_used_at \
         FROM api_tokens t JOIN organizations o ON o.id = t.organization_id \
         LEFT JOIN memberships m ON m.organization_id = t.organization_id AND m.user_id = t.created_by \
         WHERE t.token_hash = $1",
    )
    .bind(hash)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(id, name, organization_id, organization_name, scope, allowed_networks, expires_at, revoked_at, creator_role, last_used_at)| Presented {
            id,
            name,
            organization_id,
            organization_name,
            scope,
            allowed_networks,
            expires_at,
            revoked_at,
            creator_role,
            last_used_at,
        },
    ))
}

/// Notes a token's use: when and from where.
pub async fn used(pool: &Pool, id: i64, now: i64, from: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1, last_used_from = $2 WHERE id = $3")
        .bind(now)
        .bind(from)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
