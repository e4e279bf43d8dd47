//! The organization's connected cloud accounts as the whole portal sees them, whatever their
//! provider: summaries, Edit (rename) and Delete. Linking and checking live in `integrations`.
#[cfg(feature = "ssr")]
pub mod checks;
pub mod dialogs;
#[cfg(feature = "ssr")]
pub mod store;
pub mod workspace;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::domain::{AccountStatus, Provider};
use crate::error::AppError;

/// How many accounts a list shows at once.
pub const PAGE_SIZE: i64 = 50;

/// One connected account, as lists and the dropdown show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: i64,
    pub provider: Provider,
    /// The provider's kind of account ("management", "linked"), empty where it has one kind.
    pub kind: String,
    pub name: String,
    pub external_account_id: String,
    pub status: AccountStatus,
    pub status_message: String,
    /// "2026-11-22 05:40 UTC", or None if never checked.
    pub last_checked: Option<String>,
    /// For accounts that sign in with a certificate: when it expires, and whether that is
    /// within 30 days.
    pub certificate_expires: Option<String>,
    pub certificate_expiring: bool,
}

impl AccountSummary {
    /// Never deleted from the portal: the guide sends these through a support request.
    pub fn deleted_through_support(&self) -> bool {
        self.provider.deleted_through_support(&self.kind)
    }

    /// "AWS (Management)", or just the provider where it has one kind of account.
    pub fn provider_and_kind(&self) -> String {
        self.provider.label_with_kind(&self.kind)
    }
}

/// One account with what its management pages need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDetails {
    pub summary: AccountSummary,
    pub role_arn: String,
    /// How many accounts are verified through this one (a management account's linked accounts).
    pub dependent_accounts: i64,
}

#[server(endpoint = "account_details")]
pub async fn load_account_details(account_id: i64) -> Result<AccountDetails, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let org = user.organization_id;
    let summary = find(&state.pool, org, account_id).await?;
    let role_arn = store::access(&state.pool, org, account_id).await?.role_arn;
    let dependent_accounts = match summary.provider.dependents(&summary.kind) {
        Some((provider, kind)) => store::count_of_kind(&state.pool, org, provider, kind).await?,
        None => 0,
    };
    Ok(AccountDetails { summary, role_arn, dependent_accounts })
}

/// Edit → new name → Proceed.
#[server(endpoint = "rename_account")]
pub async fn rename_account(account_id: i64, name: String, return_to: Option<String>) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let name = crate::domain::AccountName::parse(&name)?;
    let account = find(&state.pool, user.organization_id, account_id).await?;
    ensure_name_free(&state.pool, user.organization_id, account.provider, &name, Some(account_id)).await?;
    let detail = format!(
        "{} account ({}) renamed from \"{}\" to \"{name}\"",
        account.provider.label(),
        account.external_account_id,
        account.name
    );
    let mut tx = crate::server::begin_write(&state.pool).await?;
    store::rename(&mut *tx, user.organization_id, &account, &name).await?;
    crate::audit::write(&mut *tx, &user.actor().await, "rename_account", &detail).await?;
    tx.commit().await?;
    let back = crate::server::forms::back_to(return_to.as_deref(), &account.provider.card().href(), "renamed");
    leptos_axum::redirect(&back, false);
    Ok(())
}

/// Delete → type the account name → Delete Account. Not for accounts deleted through support.
#[server(endpoint = "delete_account")]
pub async fn delete_account(account_id: i64, confirm_name: String, return_to: Option<String>) -> Result<(), AppError> {
    use crate::auth::session::{internal, CURRENT_ACCOUNT};
    let (state, session, user) = crate::auth::session::require_user().await?;
    let account = find(&state.pool, user.organization_id, account_id).await?;
    if account.deleted_through_support() {
        let kind = account.provider.kind_label(&account.kind).unwrap_or_default();
        return Err(AppError::Refused(format!(
            "{} {kind} accounts cannot be deleted from the portal. Submit a support request instead.",
            account.provider.label()
        )));
    }
    if confirm_name.trim() != account.name {
        return Err(AppError::invalid("confirm_name", "Type the account name exactly as shown to confirm."));
    }
    let detail =
        format!("{} account \"{}\" ({}) deleted", account.provider.label(), account.name, account.external_account_id);
    let mut tx = crate::server::begin_write(&state.pool).await?;
    store::delete(&mut *tx, user.organization_id, account_id).await?;
    crate::audit::write(&mut *tx, &user.actor().await, "delete_account", &detail).await?;
    tx.commit().await?;
    if session.get::<i64>(CURRENT_ACCOUNT).await.map_err(internal)? == Some(account_id) {
        session.remove::<i64>(CURRENT_ACCOUNT).await.map_err(internal)?;
    }
    let back = crate::server::forms::back_to(return_to.as_deref(), &account.provider.card().href(), "deleted");
    leptos_axum::redirect(&back, false);
    Ok(())
}

/// One of the organization's accounts, or 404 (also for other organizations' ids).
#[cfg(feature = "ssr")]
pub async fn find(pool: &crate::server::Pool, organization_id: i64, account_id: i64) -> Result<AccountSummary, AppError> {
    store::summaries(pool, organization_id, store::Select::One(account_id))
        .await?
        .into_iter()
        .next()
        .map(|(account, _)| account)
        .ok_or_else(|| AppError::NotFound("That account does not exist in your organization.".into()))
}

/// Names are unique per organization and provider; `except` is the account being renamed.
#[cfg(feature = "ssr")]
pub async fn ensure_name_free(
    pool: &crate::server::Pool,
    organization_id: i64,
    provider: Provider,
    name: &crate::domain::AccountName,
    except: Option<i64>,
) -> Result<(), AppError> {
    if store::name_taken(pool, organization_id, provider, name, except).await? {
        return Err(AppError::conflict("name", format!("Another {} account is already named \"{name}\".", provider.label())));
    }
    Ok(())
}
