//! Keeping the issuer's keys rolled, and signing tokens with the key whose turn it is.
use std::time::Duration;

use crate::crypto::Sealer;
use crate::error::AppError;
use crate::server::Pool;

use super::keys::{self, IssuerKey};
use super::store;

/// How often a replica looks whether a key is due (the job runs once per period across them).
pub const ROLLOVER_EVERY: Duration = Duration::from_secs(3600);

/// What a sealed issuer key is bound to: its own `kid`, so a sealed key moved to another row
/// does not open.
fn seal_context(kid: &str) -> Vec<u8> {
    format!("issuer key {kid}").into_bytes()
}

/// Publishes the next key when one is due (the first one signs at once) and deletes keys
/// replaced long enough ago. The key is generated before the write lock is taken (RSA key
/// generation takes a while), and the plan is checked again under it: two replicas rolling at
/// once add one key.
pub async fn rollover(pool: &Pool, sealer: &Sealer, now: i64) -> Result<(), AppError> {
    let plan = keys::rollover(&store::keys(pool).await?, now);
    if plan.add_signing_from.is_none() && plan.delete.is_empty() {
        return Ok(());
    }
    let new_key = match plan.add_signing_from {
        Some(signs_from) => {
            let generated = tokio::task::spawn_blocking(move || keys::generate(now, signs_from))
                .await
                .map_err(|_| AppError::Internal)??;
            Some(generated)
        }
        None => None,
    };
    let mut tx = crate::server::begin_write(pool).await?;
    let plan = keys::rollover(&store::keys(&mut *tx).await?, now);
    if let (Some(signs_from), Some(mut new_key)) = (plan.add_signing_from, new_key) {
        new_key.key.signs_from = signs_from;
        let sealed = sealer.seal(&new_key.private_key_pkcs8, &seal_context(&new_key.key.kid))?;
        store::insert(&mut tx, &new_key.key, &sealed).await?;
        tracing::info!(kid = %new_key.key.kid, signs_from, "published a new issuer key");
    }
    for kid in &plan.delete {
        store::delete(&mut tx, kid).await?;
        tracing::info!(%kid, "unpublished and deleted a replaced issuer key");
    }
    tx.commit().await?;
    Ok(())
}

/// Rolls the keys once an hour across all replicas, for as long as the process lives. A portal
/// that never used its issuer has no key, and gets none here: the first is made by the first
/// token or export.
pub async fn keep_rolling(pool: Pool, sealer: std::sync::Arc<Sealer>) {
    crate::server::jobs::every(pool.clone(), "issuer_keys", ROLLOVER_EVERY, |now| {
        let (pool, sealer) = (pool.clone(), sealer.clone());
        async move {
            if store::keys(&pool).await?.is_empty() {
                return Ok(());
            }
            if let Err(err) = rollover(&pool, &sealer, now).await {
                tracing::warn!(error = %err, "could not roll the issuer's keys; the next period tries again");
            }
            Ok(())
        }
    })
    .await;
}

/// A token for `subject` from `issuer`, signed at `now` by the key whose turn it is (the first
/// key is made here if the job has not made it yet).
pub async fn token(pool: &Pool, sealer: &Sealer, issuer: &str, subject: &str, now: i64) -> Result<String, AppError> {
    let mut all = store::keys(pool).await?;
    if keys::signing(&all, now).is_none() {
        rollover(pool, sealer, now).await?;
        all = store::keys(pool).await?;
    }
    let key: &IssuerKey = keys::signing(&all, now).ok_or(AppError::Internal)?;
    let sealed = store::sealed_key(pool, &key.kid).await?.ok_or(AppError::Internal)?;
    let private_key = sealer.open(&sealed, &seal_context(&key.kid))?;
    let mut jti = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut jti);
    let jti = crate::crypto::hex(&jti);
    keys::sign(key, &private_key, &keys::claims(issuer, subject, now, &jti))
}
