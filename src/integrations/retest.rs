//! Re-test: verify a saved account with its provider again, exactly as linking did; its status,
//! message and last checked time follow. The one place that sends a saved account to its
//! provider's verification.
use leptos::prelude::*;

use crate::error::AppError;

#[server(endpoint = "retest_account")]
pub async fn retest_account(account_id: i64) -> Result<(), AppError> {
    use crate::domain::{AccountStatus, Verified};
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let account = crate::accounts::find(&state.pool, org, account_id).await?;
    // A failed check is a result to record, not an error: the account stays, marked failed.
    let verified = match reverify(&state, org, &account).await {
        Ok(verified) => verified,
        Err(err @ (AppError::Invalid { .. } | AppError::Upstream(_) | AppError::Verification(_))) => {
            Verified { status: AccountStatus::Failed, message: err.to_string() }
        }
        Err(err) => return Err(err),
    };
    let detail = format!(
        "{} account \"{}\" ({}) re-tested: {}",
        account.provider.label(),
        account.name,
        account.external_account_id,
        verified.status.as_str()
    );
    let mut tx = crate::server::begin_write(&state.pool).await?;
    crate::accounts::store::record_check(&mut *tx, org, account_id, &verified).await?;
    crate::audit::write(&mut *tx, &user.actor().await, "retest_account", &detail).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("{}?notice=retested", account.provider.card().href()), false);
    Ok(())
}

/// Runs a saved account's verification again: one exhaustive `match`, so a new provider
/// cannot be forgotten here.
#[cfg(feature = "ssr")]
pub async fn reverify(
    state: &crate::server::AppState,
    organization_id: i64,
    account: &crate::accounts::AccountSummary,
) -> Result<crate::domain::Verified, AppError> {
    use super::{aws, microsoft};
    use crate::domain::{AwsKind, MsService, Provider};
    let access = crate::accounts::store::access(&state.pool, organization_id, account.id).await?;
    let aws = |kind| aws::link::reverify(state, organization_id, kind, &access.role_arn);
    let microsoft = |service| {
        let app = microsoft::link::SavedApp {
            account_id: account.id,
            app_id: &access.app_id,
            tenant_id: &account.external_account_id,
        };
        async move { microsoft::link::reverify(state, organization_id, service, &app).await.map(|(v, _)| v) }
    };
    match account.provider {
        Provider::Aws if account.kind == AwsKind::Management.kind_column() => aws(AwsKind::Management).await,
        Provider::Aws => aws(AwsKind::Linked).await,
        Provider::Eks => aws(AwsKind::Eks).await,
        Provider::Azure => microsoft(MsService::Azure).await,
        Provider::M365 => microsoft(MsService::M365).await,
        Provider::Entra => microsoft(MsService::Entra).await,
    }
}
