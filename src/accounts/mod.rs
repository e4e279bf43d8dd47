//! The organization's connected cloud accounts as the whole portal sees them, whatever their
//! provider: summaries, Edit (rename) and Delete. Linking and checking live in `integrations`.
#[cfg(feature = "ssr")]
pub mod check_store;
pub mod dialogs;
#[cfg(feature = "ssr")]
pub mod store;
mod summary;
pub mod workspace;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub use summary::{AccountSummary, PAGE_SIZE};

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
    let role_arn = store::access(&state.pool, org, account_id).await?.aws_role_arn;
    let dependent_accounts = match summary.kind.dependents() {
        Some(kind) => store::count_of_kind(&state.pool, org, kind).await?,
        None => 0,
    };
    Ok(AccountDetails { summary, role_arn, dependent_accounts })
}

/// Edit → new name → Proceed.
#[server(endpoint = "rename_account")]
pub async fn rename_account(account_id: i64, name: String, return_to: Option<String>) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let account = rename(&state, user.organization_id, &user.actor().await, account_id, &name).await?;
    let back = crate::server::forms::back_to(return_to.as_deref(), &account.provider.card().href(), "renamed");
    leptos_axum::redirect(&back, false);
    Ok(())
}

/// Renames one of the organization's accounts (the page's Edit and the API's PATCH); returns it
/// as it was before.
#[cfg(feature = "ssr")]
pub async fn rename(
    state: &crate::server::AppState,
    organization_id: i64,
    actor: &crate::audit::Actor,
    account_id: i64,
    name: &str,
) -> Result<AccountSummary, AppError> {
    let name = crate::domain::AccountName::parse(name)?;
    let account = find(&state.pool, organization_id, account_id).await?;
    ensure_name_free(&state.pool, organization_id, account.provider, &name, Some(account_id)).await?;
    let detail = format!(
        "{} account ({}) renamed from \"{}\" to \"{name}\"",
        account.provider.label(),
        account.external_account_id,
        account.name
    );
    let mut tx = crate::server::begin_write_in(&state.pool, organization_id).await?;
    store::rename(&mut *tx, organization_id, &account, &name).await?;
    crate::audit::write_about(&mut *tx, actor, "rename_account", crate::audit::About { id: account_id, name: name.as_str() }, &detail).await?;
    tx.commit().await?;
    Ok(account)
}

/// Deletes one of the organization's accounts (the page's Delete and the API's DELETE), but not
/// those deleted through support; returns it.
#[cfg(feature = "ssr")]
pub async fn delete(
    state: &crate::server::AppState,
    organization_id: i64,
    actor: &crate::audit::Actor,
    account_id: i64,
    confirm_name: Option<&str>,
) -> Result<AccountSummary, AppError> {
    let account = find(&state.pool, organization_id, account_id).await?;
    if account.deleted_through_support() {
        let kind = account.kind.short_label().unwrap_or_default();
        return Err(AppError::Refused(format!(
            "{} {kind} accounts cannot be deleted from the portal. Submit a support request instead.",
            account.provider.label()
        )));
    }
    if confirm_name.is_some_and(|typed| typed.trim() != account.name) {
        return Err(AppError::invalid("confirm_name", "Type the account name exactly as shown to confirm."));
    }
    let detail =
        format!("{} account \"{}\" ({}) deleted", account.provider.label(), account.name, account.external_account_id);
    let mut tx = crate::server::begin_write_in(&state.pool, organization_id).await?;
    store::delete(&mut *tx, organization_id, account_id).await?;
    crate::audit::write_about(&mut *tx, actor, "delete_account", crate::audit::About { id: account_id, name: &account.name }, &detail).await?;
    tx.commit().await?;
    Ok(account)
}

/// Delete → type the account name → Delete Account. Not for accounts deleted through support.
#[server(endpoint = "delete_account")]
pub async fn delete_account(account_id: i64, confirm_name: String, return_to: Option<String>) -> Result<(), AppError> {
    use crate::auth::session::{internal, CURRENT_ACCOUNT};
    let (state, session, user) = crate::auth::session::require_user().await?;
    let account = delete(&state, user.organization_id, &user.actor().await, account_id, Some(&confirm_name)).await?;
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
    provider: crate::domain::Provider,
    name: &crate::domain::AccountName,
    except: Option<i64>,
) -> Result<(), AppError> {
    if store::name_taken(pool, organization_id, provider, name, except).await? {
        return Err(AppError::conflict("name", format!("Another {} account is already named \"{name}\".", provider.label())));
    }
    Ok(())
}
