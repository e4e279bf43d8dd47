//! Delivers webhook notifications from the outbox (email ones go through the mail outbox):
//! signed, to the address checked against the SSRF rules at that moment, retried with the
//! mail's backoff (30 s doubling to an hour) for a day, each leased to one replica at a time.
use std::time::Duration;

use crate::error::AppError;
use crate::server::AppState;

/// Tries per notification before it is given up (30 s, 1, 2, 4, 8, 16, 32 min, then hourly: ~a day).
const MAX_ATTEMPTS: i64 = 30;
/// How long one replica may hold a notification it is delivering.
const LEASE_SECS: i64 = 60;
const BATCH: i64 = 20;

/// Delivers the webhook notifications due at `now`; returns how many were answered with 2xx.
pub async fn deliver_due(state: &AppState, now: i64) -> Result<usize, AppError> {
    let due = super::store::take_due_webhooks(&state.pool, now, LEASE_SECS, BATCH).await?;
    let mut sent = 0;
    for webhook in due {
        let outcome = match deliver_one(state, &webhook).await {
            Ok(()) => {
                sent += 1;
                Ok(())
            }
            Err(error) => {
                let attempts = webhook.attempts + 1;
                let next = (attempts < MAX_ATTEMPTS).then(|| now + crate::mail::outbox::backoff(attempts));
                tracing::warn!(notification = webhook.id, attempts, error = %error, "a webhook was not delivered");
                Err((error, next))
            }
        };
        super::store::record_attempt(&state.pool, webhook.id, now, outcome).await?;
    }
    Ok(sent)
}

async fn deliver_one(state: &AppState, webhook: &super::store::DueWebhook) -> Result<(), String> {
    let mut conn = state.pool.acquire().await.map_err(|e| e.to_string())?;
    let (address, sealed) = super::store::webhook_secret(&mut conn, webhook.organization_id, webhook.target_id, None)
        .await
        .map_err(|e| e.to_string())?
        .ok_or("the webhook was removed")?;
    drop(conn);
    let secret = state
        .sealer
        .open(&sealed, &super::store::secret_context(webhook.organization_id, &address))
        .map_err(|_| "the webhook's secret does not open with the master key".to_string())?;
    let policy = state.config.webhooks;
    let url = super::webhook::parse_url(&address, policy).map_err(|e| e.to_string())?;
    let addr = super::webhook::allowed_address(&url, policy).await?;
    let signature = super::webhook::signature(&secret, webhook.body.as_bytes());
    let event = webhook.event_key.split(':').next().unwrap_or("event");
    match super::webhook::post(&url, addr, &webhook.body, &signature, event).await? {
        200..=299 => Ok(()),
        status => Err(format!("the receiver answered {status}")),
    }
}

/// Runs for the life of the process: delivers whenever woken (after a commit that wrote
/// notifications) and every few seconds (retries, and what other replicas wrote).
pub async fn deliver_forever(state: AppState) {
    loop {
        if let Err(err) = deliver_due(&state, crate::server::now()).await {
            tracing::warn!(error = %err, "the notifications outbox could not be read");
        }
        tokio::select! {
            _ = state.notify_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}
