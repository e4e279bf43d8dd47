//! The SQL of notification targets and the notifications outbox, scoped to one organization
//! wherever a user reads or changes it.
use sqlx::AnyConnection;

use crate::error::{AppError, OnUniqueViolation};
use crate::server::Pool;

/// A target as the settings page lists it (never its secret): id, kind, address, created at,
/// paused until (0: not paused).
pub type TargetRow = (i64, String, String, i64, i64);

pub async fn targets(pool: &Pool, organization_id: i64) -> Result<Vec<TargetRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, kind, address, created_at, paused_until FROM notification_targets WHERE organization_id = $1 ORDER BY kind, address",
    )
    .bind(organization_id)
    .fetch_all(pool)
    .await?)
}

/// Saves a target (a webhook with its sealed secret); a second of the same address is refused.
pub async fn add_target(
    conn: &mut AnyConnection,
    organization_id: i64,
    kind: &str,
    address: &str,
    secret: Option<&crate::crypto::Sealed>,
    now: i64,
) -> Result<i64, AppError> {
    sqlx::query_scalar(
        "INSERT INTO notification_targets (organization_id, kind, address, secret_sealed, secret_nonce, secret_key_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(organization_id)
    .bind(kind)
    .bind(address)
    .bind(secret.map(|s| s.ciphertext.clone()))
    .bind(secret.map(|s| s.nonce.clone()))
    .bind(secret.map(|s| s.key_id.clone()))
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .on_unique_violation(|| AppError::conflict(if kind == "email" { "email" } else { "url" }, "That is already on the list."))
}

/// Removes a target (and what is still waiting to go to it); returns its kind and address.
pub async fn remove_target(conn: &mut AnyConnection, organization_id: i64, id: i64) -> Result<(String, String), AppError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "DELETE FROM notification_targets WHERE id = $1 AND organization_id = $2 RETURNING kind, address",
    )
    .bind(id)
    .bind(organization_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.ok_or_else(|| AppError::NotFound("That notification target does not exist.".into()))
}

/// What showing a new webhook's secret finds: shown once, within ten minutes of its creation.
pub enum SecretOnce {
    NoSuchWebhook,
    /// Shown already, or too late.
    Spent,
    /// The address (what the seal is bound to) and the sealed secret, now marked shown.
    Show(String, crate::crypto::Sealed),
}

/// A webhook's sealed secret, for signing, with how many deliveries to it in a row got no
/// answer in time.
pub async fn webhook_secret(
    conn: &mut AnyConnection,
    organization_id: i64,
    id: i64,
) -> Result<Option<(String, crate::crypto::Sealed, i64)>, AppError> {
    Ok(webhook_row(conn, organization_id, id).await?.map(|(address, sealed, _, _, timeouts)| (address, sealed, timeouts)))
}

/// A webhook's secret to show once (`SecretOnce`), marked shown in the caller's transaction.
pub async fn secret_once(conn: &mut AnyConnection, organization_id: i64, id: i64, now: i64) -> Result<SecretOnce, AppError> {
    let Some((address, sealed, shown, created_at, _)) = webhook_row(conn, organization_id, id).await? else {
        return Ok(SecretOnce::NoSuchWebhook);
    };
    if shown != 0 || now - created_at > 600 {
        return Ok(SecretOnce::Spent);
    }
    sqlx::query("UPDATE notification_targets SET secret_shown = 1 WHERE id = $1").bind(id).execute(&mut *conn).await?;
    Ok(SecretOnce::Show(address, sealed))
}

/// (address, sealed secret, shown, created at, timeouts in a row) of the organization's webhook `id`.
async fn webhook_row(
    conn: &mut AnyConnection,
    organization_id: i64,
    id: i64,
) -> Result<Option<(String, crate::crypto::Sealed, i64, i64, i64)>, AppError> {
    let row: Option<(String, Vec<u8>, Vec<u8>, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT address, secret_sealed, secret_nonce, secret_key_id, secret_shown, created_at, consecutive_timeouts FROM notification_targets \
         WHERE id = $1 AND organization_id = $2 AND kind = 'webhook'",
    )
    .bind(id)
    .bind(organization_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(address, ciphertext, nonce, key_id, shown, created_at, timeouts)| {
        (address, crate::crypto::Sealed { ciphertext, nonce, key_id }, shown, created_at, timeouts)
    }))
}

/// What the sealed secret of a webhook is bound to.
pub fn secret_context(organization_id: i64, address: &str) -> Vec<u8> {
    format!("xops webhook secret; organization {organization_id}; url {address}").into_bytes()
}

/// Writes one notification per target of the organization (but `skip_target`) for `event_key`,
/// unless that event was already notified to that target; returns the (notification id, kind,
/// address) written.
pub async fn write_for_each_target(
    conn: &mut AnyConnection,
    organization_id: i64,
    skip_target: Option<i64>,
    event_key: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<Vec<(i64, String, String)>, AppError> {
    let targets: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, kind, address FROM notification_targets WHERE organization_id = $1 AND id != $2 ORDER BY id")
            .bind(organization_id)
            .bind(skip_target.unwrap_or(0))
            .fetch_all(&mut *conn)
            .await?;
    let mut written = Vec::new();
    for (target_id, kind, address) in targets {
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO notifications (organization_id, target_id, event_key, subject, body, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (target_id, event_key) DO NOTHING RETURNING id",
        )
        .bind(organization_id)
        .bind(target_id)
        .bind(event_key)
        .bind(subject)
        .bind(body)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(id) = id {
            written.push((id, kind, address));
        }
    }
    Ok(written)
}

/// An email notification is delivered by the mail outbox: it points at its mail.
pub async fn set_mail(conn: &mut AnyConnection, id: i64, mail_id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE notifications SET mail_id = $1, next_attempt_at = $2 WHERE id = $3")
        .bind(mail_id)
        .bind(i64::MAX)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A webhook notification due for delivery, leased to this replica.
pub struct DueWebhook {
    pub id: i64,
    pub organization_id: i64,
    pub target_id: i64,
    pub body: String,
    pub attempts: i64,
    pub event_key: String,
}

/// Takes up to `limit` webhook notifications due at `now`, leasing each for `lease` seconds,
/// fairly across organizations: every organization's first attempts before anyone's retries,
/// at most `per_organization` of one organization, none of the organizations in `busy` (their
/// deliveries in flight are at the bound) and none to a paused target.
pub async fn take_due_webhooks(
    pool: &Pool,
    now: i64,
    lease: i64,
    limit: i64,
    per_organization: usize,
    busy: &[i64],
) -> Result<Vec<DueWebhook>, AppError> {
    // Numbers only, formatted in: the list's length varies.
    let not_busy = if busy.is_empty() {
        String::new()
    } else {
        format!(" AND n.organization_id NOT IN ({})", busy.iter().map(i64::to_string).collect::<Vec<_>>().join(","))
    };
    let update = format!(
        "UPDATE notifications SET lease_until = $1 WHERE id IN (SELECT id FROM (SELECT n.id, n.attempts, n.next_attempt_at, \
         ROW_NUMBER() OVER (PARTITION BY n.organization_id ORDER BY n.attempts, n.next_attempt_at, n.id) AS place \
         FROM notifications n JOIN notification_targets t ON t.id = n.target_id WHERE t.kind = 'webhook' \
         AND t.paused_until <= $2 AND n.sent_at IS NULL AND n.gave_up_at IS NULL AND n.next_attempt_at <= $2 \
         AND n.lease_until <= $2{not_busy}) ranked WHERE place <= {per_organization} \
         ORDER BY CASE WHEN attempts = 0 THEN 0 ELSE 1 END, place, next_attempt_at, id LIMIT $3) \
         RETURNING id, organization_id, target_id, body, attempts, event_key"
    );
    let rows: Vec<(i64, i64, i64, String, i64, String)> = crate::server::jobs::lease(pool, &update, now, lease, limit).await?;
    Ok(rows
        .into_iter()
        .map(|(id, organization_id, target_id, body, attempts, event_key)| DueWebhook {
            id,
            organization_id,
            target_id,
            body,
            attempts,
            event_key,
        })
        .collect())
}

/// Gives back a leased notification untried (its organization reached its bound meanwhile).
pub async fn release(pool: &Pool, id: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE notifications SET lease_until = 0 WHERE id = $1").bind(id).execute(pool).await?;
    Ok(())
}

/// How one delivery ended.
pub enum Attempt {
    Sent,
    /// Not delivered: the error, whether it was a timeout, and the next try (None: given up).
    Failed { error: String, timed_out: bool, next: Option<i64> },
}

/// Records a delivery's outcome, and its target's run of timeouts: a success ends the run, a
/// timeout lengthens it, and a target whose run reaches `pause_after` is paused until
/// `pause_until` (returned as true once, when it is paused; the caller tells the organization
/// in the same transaction).
pub async fn record_attempt(
    conn: &mut AnyConnection,
    webhook: &DueWebhook,
    now: i64,
    outcome: &Attempt,
    pause_after: i64,
    pause_until: i64,
) -> Result<bool, AppError> {
    let id = webhook.id;
    let query = match outcome {
        Attempt::Sent => sqlx::query("UPDATE notifications SET sent_at = $1, attempts = attempts + 1, last_error = '', lease_until = 0 WHERE id = $2")
            .bind(now)
            .bind(id),
        Attempt::Failed { error, next: Some(next), .. } => sqlx::query(
            "UPDATE notifications SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2, lease_until = 0 WHERE id = $3",
        )
        .bind(error.clone())
        .bind(*next)
        .bind(id),
        Attempt::Failed { error, next: None, .. } => sqlx::query(
            "UPDATE notifications SET attempts = attempts + 1, last_error = $1, gave_up_at = $2, lease_until = 0 WHERE id = $3",
        )
        .bind(error.clone())
        .bind(now)
        .bind(id),
    };
    query.execute(&mut *conn).await?;
    match outcome {
        Attempt::Failed { timed_out: true, .. } => {
            let timeouts: Option<i64> = sqlx::query_scalar(
                "UPDATE notification_targets SET consecutive_timeouts = consecutive_timeouts + 1 WHERE id = $1 RETURNING consecutive_timeouts",
            )
            .bind(webhook.target_id)
            .fetch_optional(&mut *conn)
            .await?;
            if timeouts.is_some_and(|t| t >= pause_after) {
                let paused = sqlx::query(
                    "UPDATE notification_targets SET paused_until = $1, consecutive_timeouts = 0 WHERE id = $2 AND paused_until <= $3",
                )
                .bind(pause_until)
                .bind(webhook.target_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                return Ok(paused.rows_affected() == 1);
            }
        }
        _ => {
            sqlx::query("UPDATE notification_targets SET consecutive_timeouts = 0 WHERE id = $1 AND consecutive_timeouts != 0")
                .bind(webhook.target_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(false)
}

/// A webhook target's address, for what the organization is told when it is paused.
pub async fn target_address(conn: &mut AnyConnection, target_id: i64) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT address FROM notification_targets WHERE id = $1").bind(target_id).fetch_optional(&mut *conn).await?)
}

/// How many webhooks an organization has.
pub async fn webhook_count(conn: &mut AnyConnection, organization_id: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM notification_targets WHERE organization_id = $1 AND kind = 'webhook'")
        .bind(organization_id)
        .fetch_one(&mut *conn)
        .await?)
}

/// One delivery as the settings page lists it: (id, kind, address, subject, created at,
/// attempts, sent at, gave up at, last error); email ones take their state from their mail.
pub type DeliveryRow = (i64, String, String, String, i64, i64, Option<i64>, Option<i64>, String);

pub async fn recent_deliveries(pool: &Pool, organization_id: i64, limit: i64) -> Result<Vec<DeliveryRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT n.id, t.kind, t.address, n.subject, n.created_at, COALESCE(m.attempts, n.attempts), \
         COALESCE(m.sent_at, n.sent_at), n.gave_up_at, COALESCE(m.last_error, n.last_error) \
         FROM notifications n JOIN notification_targets t ON t.id = n.target_id \
         LEFT JOIN outbox_mail m ON m.id = n.mail_id \
         WHERE n.organization_id = $1 ORDER BY n.id DESC LIMIT $2",
    )
    .bind(organization_id)
    .bind(limit)
    .fetch_all(pool)
    .await?)
}

/// (certificate, organization, account, not after, days of the last reminder) of each
/// connected certificate that expires by `by`.
pub async fn certificates_expiring(pool: &Pool, by: i64) -> Result<Vec<(i64, i64, i64, i64, Option<i64>)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT c.id, c.organization_id, c.account_id, c.not_after, c.reminded_days FROM certificates c \
         WHERE c.account_id IS NOT NULL AND c.not_after <= $1 ORDER BY c.id",
    )
    .bind(by)
    .fetch_all(pool)
    .await?)
}

/// Remembers that certificate `id` was reminded of at `days` left.
pub async fn set_reminded(conn: &mut AnyConnection, id: i64, days: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE certificates SET reminded_days = $1 WHERE id = $2").bind(days).bind(id).execute(conn).await?;
    Ok(())
}
