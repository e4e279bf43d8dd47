//! The outbox: mail is written here in the transaction that causes it (so a request is never
//! lost when the mail server is down) and delivered by `deliver_forever`, retried with backoff.
//! Bodies are sealed under the master key while they wait (a sign-up link is a credential)
//! and erased once sent.
use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyConnection;
use crate::server::Pool;
use tokio::sync::Notify;

use crate::crypto::Sealer;
use crate::error::AppError;
use crate::mail::transport::{Letter, Mailer};

/// What a mail is for: sign-up links, the notice to an existing account, support requests.
pub const SIGN_UP_LINK: &str = "sign_up_link";
pub const ALREADY_REGISTERED: &str = "already_registered";
pub const SUPPORT_REQUEST: &str = "support_request";
pub const NOTIFICATION: &str = "notification";
pub const INVITATION: &str = "invitation";
pub const PASSWORD_RESET: &str = "password_reset";
/// A change to the sign-in of an account (a factor removed, a new browser).
pub const SECURITY_NOTICE: &str = "security_notice";

/// How long one process may hold a mail it is sending before another may try it.
const LEASE_SECS: i64 = 120;
/// Mail looked at per round.
const BATCH: i64 = 20;

/// Writes `letter` to the outbox inside the caller's transaction; returns its id. Call
/// `AppState::mail_wake` after the commit so that it goes out at once.
pub async fn enqueue(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    purpose: &str,
    letter: &Letter,
    now: i64,
) -> Result<i64, AppError> {
    let sealed = sealer.seal(letter.body.as_bytes(), &context(&letter.to))?;
    super::store::insert(conn, purpose, &letter.to, letter.reply_to.as_deref(), &letter.subject, &sealed, now).await
}

/// How many mails of this purpose went (or wait to go) to `address` since `since`: one address
/// is not mailed without bound by strangers.
pub async fn recently_sent(conn: &mut AnyConnection, address: &str, purposes: [&str; 2], since: i64) -> Result<i64, AppError> {
    super::store::count_to(conn, address, purposes, since).await
}

/// Seconds before the next try after `attempts` failed ones: 30 s, doubling, at most an hour.
pub fn backoff(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    (30_i64 << doublings).min(3600)
}

/// Delivery as the person who caused the mail sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Sent { at: i64 },
    Waiting { attempts: i64, next_attempt_at: i64 },
}

pub async fn delivery(pool: &Pool, mail_id: i64) -> Result<Option<Delivery>, AppError> {
    Ok(super::store::delivery(pool, mail_id).await?.map(|(sent_at, attempts, next_attempt_at)| match sent_at {
        Some(at) => Delivery::Sent { at },
        None => Delivery::Waiting { attempts, next_attempt_at },
    }))
}

/// Delivers the mail due at `now` (the clock is passed in, so tests can move it); returns how
/// many were sent.
pub async fn deliver_due(pool: &Pool, mailer: &Mailer, sealer: &Sealer, now: i64) -> Result<usize, AppError> {
    let due = super::store::due(pool, now, BATCH).await?;
    let mut sent = 0;
    for (id, due_at) in due {
        // Claimed by moving its time: another process finds it changed and leaves it alone.
        if !super::store::claim(pool, id, due_at, now + LEASE_SECS).await? {
            continue;
        }
        let outcome = match open(pool, sealer, id).await? {
            Some(letter) => mailer.send(&letter).await,
            None => Err("the mail was sealed under another master key".to_string()),
        };
        match outcome {
            Ok(()) => {
                super::store::mark_sent(pool, id, now).await?;
                sent += 1;
            }
            Err(error) => {
                let attempts = super::store::record_failure(pool, id, &error, |attempts| now + backoff(attempts)).await?;
                tracing::warn!(mail = id, attempts, %error, "mail not delivered; it will be tried again");
            }
        }
    }
    Ok(sent)
}

/// Runs for the life of the process: delivers what is due whenever woken, and every few
/// seconds (mail left by a failed try, or written by another process).
pub async fn deliver_forever(pool: Pool, mailer: Arc<Mailer>, sealer: Arc<Sealer>, wake: Arc<Notify>) {
    loop {
        if let Err(err) = deliver_due(&pool, &mailer, &sealer, crate::server::now()).await {
            tracing::warn!(error = %err, "the outbox could not be read");
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}

async fn open(pool: &Pool, sealer: &Sealer, id: i64) -> Result<Option<Letter>, AppError> {
    let Some((to, reply_to, subject, Some(sealed))) = super::store::letter(pool, id).await? else {
        return Ok(None);
    };
    let Ok(body) = sealer.open(&sealed, &context(&to)) else {
        return Ok(None);
    };
    Ok(Some(Letter { to, reply_to, subject, body: String::from_utf8_lossy(&body).into_owned() }))
}

/// A sealed body opens only for the address it was written to.
fn context(to: &str) -> Vec<u8> {
    format!("outbox_mail\0{to}").into_bytes()
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_back_off_to_an_hour() {
        let waits: Vec<i64> = (1..=9).map(super::backoff).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
