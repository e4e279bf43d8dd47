//! Delivers webhook notifications from the outbox (email ones go through the mail outbox):
//! signed, to the address checked against the SSRF rules at that moment, retried with the
//! mail's backoff (30 s doubling to an hour) for a day, each leased to one replica at a time.
//!
//! One organization's slow receivers must not delay another's alerts: deliveries run
//! concurrently (at most `PER_ORGANIZATION` of one organization and `IN_FLIGHT` in all per
//! replica), rounds overlap so a new message never waits for a slow one, every organization's
//! first attempts go before anyone's retries, a receiver that timed out once gets a shorter
//! timeout, and one that times out `PAUSE_AFTER` times in a row is paused for an hour and its
//! organization told.
use std::time::Duration;

use super::store::{Attempt, DueWebhook};
use crate::error::AppError;
use crate::server::AppState;

/// Tries per notification before it is given up (30 s, 1, 2, 4, 8, 16, 32 min, then hourly: ~a day).
const MAX_ATTEMPTS: i64 = 30;
/// How long one replica may hold a notification it is delivering.
const LEASE_SECS: i64 = 60;
/// Deliveries in flight at once, per replica and per organization (`AppState::deliveries`).
pub const IN_FLIGHT: usize = 32;
pub const PER_ORGANIZATION: usize = 4;
/// Timeouts in a row before a target is paused, and for how long.
const PAUSE_AFTER: i64 = 3;
const PAUSE_SECS: i64 = 3600;
/// At most this many webhooks per organization.
pub const MAX_WEBHOOKS: i64 = 10;

/// Delivers the webhook notifications due at `now`, concurrently within the bounds; returns
/// how many were answered with 2xx once all of this round's are done.
pub async fn deliver_due(state: &AppState, now: i64) -> Result<usize, AppError> {
    let in_flight = &state.deliveries;
    // Rounds overlap: none holds slots it does not use, each takes one per delivery it starts.
    let free = in_flight.free();
    if free == 0 {
        return Ok(0);
    }
    let limit = i64::try_from(free).unwrap_or(1);
    let due = super::store::take_due_webhooks(&state.pool, now, LEASE_SECS, limit, PER_ORGANIZATION, &in_flight.busy()).await?;
    let mut round = tokio::task::JoinSet::new();
    for webhook in due {
        let slot = in_flight.slot();
        if slot.is_none() || !in_flight.try_start(webhook.organization_id) {
            // Its organization (or the replica) reached its bound since the query: the next round takes it.
            super::store::release(&state.pool, webhook.id).await?;
            continue;
        }
        let state = state.clone();
        round.spawn(async move {
            let outcome = deliver_and_record(&state, &webhook, now).await;
            state.deliveries.finish(webhook.organization_id);
            drop(slot);
            outcome
        });
    }
    let mut sent = 0;
    for outcome in round.join_all().await {
        sent += usize::from(outcome?);
    }
    Ok(sent)
}

async fn deliver_and_record(state: &AppState, webhook: &DueWebhook, now: i64) -> Result<bool, AppError> {
    let outcome = match deliver_one(state, webhook).await {
        Ok(()) => Attempt::Sent,
        Err((error, timed_out)) => {
            let attempts = webhook.attempts + 1;
            let next = (attempts < MAX_ATTEMPTS).then(|| now + crate::mail::outbox::backoff(attempts));
            tracing::warn!(notification = webhook.id, attempts, error = %error, "a webhook was not delivered");
            Attempt::Failed { error, timed_out, next }
        }
    };
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let until = now + PAUSE_SECS;
    let paused = super::store::record_attempt(&mut tx, webhook, now, &outcome, PAUSE_AFTER, until).await?;
    if paused {
        let address = super::store::target_address(&mut tx, webhook.target_id).await?.unwrap_or_default();
        let why = format!("it did not answer in time {PAUSE_AFTER} times in a row");
        let actor = crate::audit::Actor::system(webhook.organization_id, "Xops notifications");
        let detail = format!("{address} until {}: {why}", crate::server::format_time(until));
        crate::audit::write_at(&mut *tx, &actor, "webhook_paused", None, &detail, now).await?;
        super::events::webhook_paused(&mut tx, &state.sealer, webhook.organization_id, webhook.target_id, &address, &why, until, now)
            .await?;
    }
    tx.commit().await?;
    if paused {
        state.mail_wake.notify_one();
        state.notify_wake.notify_one();
    }
    Ok(matches!(outcome, Attempt::Sent))
}

/// One delivery: Ok for a 2xx answer, else why not and whether it was a timeout.
async fn deliver_one(state: &AppState, webhook: &DueWebhook) -> Result<(), (String, bool)> {
    let failed = |error: String| (error, false);
    let mut conn = state.pool.acquire().await.map_err(|e| failed(e.to_string()))?;
    let (address, sealed, timeouts) = super::store::webhook_secret(&mut conn, webhook.organization_id, webhook.target_id)
        .await
        .map_err(|e| failed(e.to_string()))?
        .ok_or_else(|| failed("the webhook was removed".into()))?;
    drop(conn);
    let secret = state
        .sealer
        .open(&sealed, &super::store::secret_context(webhook.organization_id, &address))
        .map_err(|_| failed("the webhook's secret does not open with the master key".to_string()))?;
    let policy = state.config.webhooks;
    let url = super::webhook::parse_url(&address, policy).map_err(|e| failed(e.to_string()))?;
    let addr = super::webhook::allowed_address(&url, policy).await.map_err(failed)?;
    let signature = super::webhook::signature(&secret, webhook.body.as_bytes());
    let event = webhook.event_key.split(':').next().unwrap_or("event");
    // A receiver that already let one message time out gets a shorter wait.
    let timeout = if timeouts > 0 { policy.timeout / 3 } else { policy.timeout };
    match super::webhook::post(&url, addr, &webhook.body, &signature, event, timeout).await {
        Ok(200..=299) => Ok(()),
        Ok(status) => Err(failed(format!("the receiver answered {status}"))),
        Err(super::webhook::PostError::TimedOut) => Err((format!("no answer within {:.1} s", timeout.as_secs_f32()), true)),
        Err(super::webhook::PostError::Failed(error)) => Err(failed(error)),
    }
}

/// Runs for the life of the process: starts a round whenever woken (after a commit that wrote
/// notifications) and every few seconds (retries, and what other replicas wrote). Rounds
/// are not awaited here: a round held by a slow receiver never holds the next.
pub async fn deliver_forever(state: AppState) {
    loop {
        let round = state.clone();
        tokio::spawn(async move {
            if let Err(err) = deliver_due(&round, crate::server::now()).await {
                tracing::warn!(error = %err, "the notifications outbox could not be read");
            }
        });
        tokio::select! {
            _ = state.notify_wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}
