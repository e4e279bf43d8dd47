//! What a notification says, for each event: the same words by mail and by webhook (whose JSON
//! carries them in `text`, as Slack's incoming webhooks read it).
use serde_json::json;
use sqlx::AnyConnection;

use crate::accounts::AccountSummary;
use crate::domain::AccountStatus;
use crate::error::AppError;

/// Days before a certificate's expiry at which the organization is told, once each.
pub const CERTIFICATE_THRESHOLDS: [i64; 4] = [30, 14, 7, 1];

/// "AWS account \"Payer\" (123456789012)": the account as every message names it.
fn described(account: &AccountSummary) -> String {
    format!("{} account \"{}\" ({})", account.provider.label(), account.name, account.external_account_id)
}

/// The account as every webhook body carries it.
fn account_json(account: &AccountSummary) -> serde_json::Value {
    json!({ "id": account.id, "name": account.name, "provider": account.provider.as_str(), "external_id": account.external_account_id })
}

/// An account's status changed (in `conn`'s transaction, with the check that changed it).
#[allow(clippy::too_many_arguments)]
pub async fn status_changed(
    conn: &mut AnyConnection,
    sealer: &crate::crypto::Sealer,
    organization_id: i64,
    account: &AccountSummary,
    before: AccountStatus,
    after: AccountStatus,
    message: &str,
    now: i64,
) -> Result<usize, AppError> {
    let what = described(account);
    let subject = format!("Xops: {what} is now {}", after.label());
    let text = format!("{subject} (was {}). {message}", before.label());
    let body = json!({
        "text": text,
        "event": "account.status_changed",
        "account": account_json(account),
        "status": after.as_str(),
        "previous_status": before.as_str(),
        "message": message,
        "at": crate::server::format_time(now),
    });
    let event_key = format!("status:{}:{now}:{}", account.id, after.as_str());
    write(conn, sealer, organization_id, None, &event_key, &subject, &text, &body, now).await
}

/// A certificate came within `days` days of expiry (or expired: `days` 0 or less).
pub async fn certificate_expiring(
    conn: &mut AnyConnection,
    sealer: &crate::crypto::Sealer,
    organization_id: i64,
    account: &AccountSummary,
    certificate_id: i64,
    threshold: i64,
    expires: i64,
    now: i64,
) -> Result<usize, AppError> {
    let what = described(account);
    let days = (expires - now).div_euclid(86_400);
    let when = if expires <= now { "has expired".to_string() } else { format!("expires in {days} day(s), on {}", crate::server::format_time(expires)) };
    let subject = format!("Xops: certificate of \"{}\" {when}", account.name);
    let text = format!(
        "The certificate of {what} {when}. Open the account in Xops and click Renew certificate: upload the new \
         certificate to the same app registration, then Verify and switch. The current one keeps working until then."
    );
    let body = json!({
        "text": text,
        "event": "certificate.expiring",
        "account": account_json(account),
        "certificate_id": certificate_id,
        "days_left": days,
        "expires": crate::server::format_time(expires),
        "renew_url_path": format!("/accounts/{}/certificate", account.id),
    });
    let event_key = format!("certificate:{certificate_id}:{threshold}");
    write(conn, sealer, organization_id, None, &event_key, &subject, &text, &body, now).await
}

/// A webhook stopped answering and is paused: every other target of the organization is told.
#[allow(clippy::too_many_arguments)]
pub async fn webhook_paused(
    conn: &mut AnyConnection,
    sealer: &crate::crypto::Sealer,
    organization_id: i64,
    target_id: i64,
    address: &str,
    why: &str,
    until: i64,
    now: i64,
) -> Result<usize, AppError> {
    let until = crate::server::format_time(until);
    let subject = "Xops: a webhook is paused".to_string();
    let text = format!(
        "Xops paused the webhook {address} until {until}: {why}. Messages to it wait meanwhile and are tried again then. \
         Check that the receiver answers within a few seconds (Settings → Notifications)."
    );
    let body = json!({ "text": text, "event": "webhook.paused", "webhook": address, "paused_until": until });
    let event_key = format!("webhook_paused:{target_id}:{now}");
    write(conn, sealer, organization_id, Some(target_id), &event_key, &subject, &text, &body, now).await
}

#[allow(clippy::too_many_arguments)]
async fn write(
    conn: &mut AnyConnection,
    sealer: &crate::crypto::Sealer,
    organization_id: i64,
    skip_target: Option<i64>,
    event_key: &str,
    subject: &str,
    text: &str,
    body: &serde_json::Value,
    now: i64,
) -> Result<usize, AppError> {
    let written = super::store::write_for_each_target(conn, organization_id, skip_target, event_key, subject, &body.to_string(), now).await?;
    for (id, kind, address) in &written {
        if kind == "email" {
            let letter = crate::mail::transport::Letter {
                to: address.clone(),
                reply_to: None,
                subject: subject.to_string(),
                body: format!("{text}\n\n-- \nXops 360 · You get this because your organization listed this address under Settings → Notifications.\n"),
            };
            let mail_id = crate::mail::outbox::enqueue(conn, sealer, crate::mail::outbox::NOTIFICATION, &letter, now).await?;
            super::store::set_mail(conn, *id, mail_id).await?;
        }
    }
    Ok(written.len())
}

/// The certificate thresholds crossed at `now`: for each connected certificate within 30 days
/// of expiry, the smallest threshold it has reached, once each (`reminded_days`).
pub async fn certificate_reminders(state: &crate::server::AppState, now: i64) -> Result<usize, AppError> {
    let soonest = CERTIFICATE_THRESHOLDS.iter().max().copied().unwrap_or(30);
    let due = super::store::certificates_expiring(&state.pool, now + soonest * 86_400).await?;
    let mut sent = 0;
    for (certificate_id, organization_id, account_id, not_after, reminded) in due {
        let days_left = (not_after - now).div_euclid(86_400);
        let Some(threshold) = CERTIFICATE_THRESHOLDS.iter().copied().filter(|t| days_left < *t).min() else { continue };
        if reminded.is_some_and(|days| days <= threshold) {
            continue;
        }
        let account = match crate::accounts::find(&state.pool, organization_id, account_id).await {
            Ok(account) => account,
            Err(AppError::NotFound(_)) => continue,
            Err(err) => return Err(err),
        };
        let mut tx = crate::server::begin_write(&state.pool).await?;
        sent += certificate_expiring(&mut tx, &state.sealer, organization_id, &account, certificate_id, threshold, not_after, now).await?;
        super::store::set_reminded(&mut tx, certificate_id, threshold).await?;
        tx.commit().await?;
    }
    if sent > 0 {
        state.mail_wake.notify_one();
    }
    Ok(sent)
}
