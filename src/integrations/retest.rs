//! Re-test and the scheduled checks: verify a saved account with its provider again, exactly as
//! linking did; its status, message, last checked time and history follow. The one place that
//! sends a saved account to its provider's verification.
use leptos::prelude::*;

use crate::error::AppError;

#[server(endpoint = "retest_account")]
pub async fn retest_account(account_id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let account = retest(&state, user.organization_id, &user.actor().await, account_id).await?;
    leptos_axum::redirect(&format!("{}?notice=retested", account.provider.card().href()), false);
    Ok(())
}

/// Re-test (the page's button and the API's POST): checks one of the organization's accounts
/// now, within the organization's bound on cloud calls; returns it as it was before.
#[cfg(feature = "ssr")]
pub async fn retest(
    state: &crate::server::AppState,
    organization_id: i64,
    actor: &crate::audit::Actor,
    account_id: i64,
) -> Result<crate::accounts::AccountSummary, AppError> {
    let account = crate::accounts::find(&state.pool, organization_id, account_id).await?;
    let _slot = state.cloud_checks.start(organization_id)?;
    check(state, organization_id, &account, crate::domain::CheckReason::Retest, actor, crate::server::now()).await?;
    Ok(account)
}

/// How long one whole check of an account may take (each call to a cloud has its own, shorter
/// timeout; an account whose check needs several is bounded here as a whole).
#[cfg(feature = "ssr")]
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Verifies a saved account again (Re-test, or the scheduler at `now`) and records the result:
/// the account's status, a history row, and, when the status changed, an audit row, all in one
/// transaction. A failed check is a result to record, not an error: the account stays, marked
/// failed with the cause and fix. Returns the status before and after.
#[cfg(feature = "ssr")]
pub async fn check(
    state: &crate::server::AppState,
    organization_id: i64,
    account: &crate::accounts::AccountSummary,
    reason: crate::domain::CheckReason,
    actor: &crate::audit::Actor,
    now: i64,
) -> Result<(crate::domain::AccountStatus, crate::domain::AccountStatus), AppError> {
    use crate::domain::{AccountStatus, Verified};
    let started = std::time::Instant::now();
    let (verified, findings) = match tokio::time::timeout(CHECK_TIMEOUT, reverify(state, organization_id, account)).await {
        Ok(Ok(found)) => found,
        Ok(Err(err)) if err.is_check_result() => (Verified { status: AccountStatus::Failed, message: err.to_string() }, None),
        Ok(Err(err)) => return Err(err),
        Err(_) => (Verified {
            status: AccountStatus::Failed,
            message: format!(
                "The check did not finish within {} s: the provider did not answer in time. Xops tries again at the next check; \
                 Re-test to try now.",
                CHECK_TIMEOUT.as_secs()
            ),
        }, None),
    };
    let interval = state.config.health.interval;
    let record = crate::accounts::check_store::CheckRecord::new(reason, now, started, account.provider, &account.external_account_id, interval);
    let mut tx = crate::server::begin_write_in(&state.pool, organization_id).await?;
    let Some(before) = crate::accounts::check_store::record_check(&mut tx, organization_id, account.id, &verified, &record).await?
    else {
        // Deleted while it was being checked: nothing to record.
        return Ok((verified.status, verified.status));
    };
    if let Some(findings) = &findings {
        findings.apply(&mut tx).await?;
    }
    if before != verified.status || reason == crate::domain::CheckReason::Retest {
        let detail = format!(
            "{} account \"{}\" ({}) {}: {} → {}",
            account.provider.label(),
            account.name,
            account.external_account_id,
            reason.label().to_lowercase(),
            before.as_str(),
            verified.status.as_str()
        );
        let action = if reason == crate::domain::CheckReason::Retest { "retest_account" } else { "status_changed" };
        crate::audit::write_at(&mut *tx, actor, action, Some(crate::audit::About { id: account.id, name: &account.name }), &detail, now).await?;
    }
    // Told once per change, not per check, in the change's own transaction.
    let notified = if before != verified.status {
        crate::notify::events::status_changed(&mut tx, &state.sealer, organization_id, account, before, verified.status, &verified.message, now)
            .await?
    } else {
        0
    };
    tx.commit().await?;
    if notified > 0 {
        state.mail_wake.notify_one();
        state.notify_wake.notify_one();
    }
    Ok((before, verified.status))
}

/// Runs a saved account's verification again: one exhaustive `match`, so a new provider
/// cannot be forgotten here. Returns what it showed, and an Azure account's findings to store
/// with the check.
#[cfg(feature = "ssr")]
pub async fn reverify(
    state: &crate::server::AppState,
    organization_id: i64,
    account: &crate::accounts::AccountSummary,
) -> Result<(crate::domain::Verified, Option<super::microsoft::groups::Findings>), AppError> {
    use super::{aws, microsoft};
    use crate::domain::AccountKind;
    let access = crate::accounts::store::access(&state.pool, organization_id, account.id).await?;
    let aws = |kind| async move { aws::link::reverify(state, organization_id, kind, &access.aws_role_arn).await.map(|v| (v, None)) };
    let microsoft = |service| {
        let app = microsoft::link::SavedApp {
            account_id: account.id,
            app_id: &access.microsoft_app_id,
            tenant_id: &account.external_account_id,
        };
        async move {
            let recheck = microsoft::link::reverify(state, organization_id, service, &app).await?;
            Ok((recheck.verified, recheck.findings))
        }
    };
    match account.kind {
        AccountKind::Aws(kind) => aws(kind).await,
        AccountKind::Microsoft(service) => microsoft(service).await,
    }
}
