//! The issuer's keys in the database: public halves in the clear, private keys sealed under the
//! master key and bound to their `kid`.
use crate::crypto::Sealed;
use crate::server::Pool;

use super::keys::IssuerKey;

type Row = (String, String, String, i64, i64);

/// Every key the database holds (a handful: the signing key, the next, the one replaced).
pub async fn keys<'c, E>(executor: E) -> Result<Vec<IssuerKey>, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = crate::server::Db>,
{
    let rows: Vec<Row> = sqlx::query_as("SELECT kid, n, e, published_at, signs_from FROM issuer_keys ORDER BY signs_from")
        .fetch_all(executor)
        .await?;
    Ok(rows.into_iter().map(|(kid, n, e, published_at, signs_from)| IssuerKey { kid, n, e, published_at, signs_from }).collect())
}

/// The sealed private key of `kid`, if it is still held.
pub async fn sealed_key(pool: &Pool, kid: &str) -> Result<Option<Sealed>, sqlx::Error> {
    let row: Option<(Vec<u8>, Vec<u8>, String)> =
        sqlx::query_as("SELECT sealed_key, key_nonce, key_id FROM issuer_keys WHERE kid = $1").bind(kid).fetch_optional(pool).await?;
    Ok(row.map(|(ciphertext, nonce, key_id)| Sealed { ciphertext, nonce, key_id }))
}

pub async fn insert(conn: &mut sqlx::AnyConnection, key: &IssuerKey, sealed: &Sealed) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO issuer_keys (kid, n, e, published_at, signs_from, sealed_key, key_nonce, key_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&key.kid)
    .bind(&key.n)
    .bind(&key.e)
    .bind(key.published_at)
    .bind(key.signs_from)
    .bind(&sealed.ciphertext)
    .bind(&sealed.nonce)
    .bind(&sealed.key_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes key `kid`, its sealed private half with it.
pub async fn delete(conn: &mut sqlx::AnyConnection, kid: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM issuer_keys WHERE kid = $1").bind(kid).execute(conn).await?;
    Ok(())
}
