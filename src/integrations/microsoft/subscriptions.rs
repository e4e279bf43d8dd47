//! Managing Azure Subscriptions: the tenant's list as Azure last showed it, which of them are
//! connected (Update), and reading the list again (Refresh).
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionRow {
    pub id: String,
    pub name: String,
    pub state: String,
    pub selected: bool,
    /// The selected management group that connected it (its name), if one did.
    pub via_group: Option<String>,
}

/// A management group of the tenant, and whether all under it is connected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[server(endpoint = "azure_management_groups")]
pub async fn azure_management_groups(account_id: i64) -> Result<Vec<GroupRow>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    management_groups(&state, user.organization_id, account_id).await
}

/// The Azure account's management groups (404 for any other account of any organization).
#[cfg(feature = "ssr")]
pub async fn management_groups(state: &crate::server::AppState, org: i64, account_id: i64) -> Result<Vec<GroupRow>, AppError> {
    azure_account(state, org, account_id).await?;
    let groups = super::azure_store::groups(&state.pool, account_id).await?;
    Ok(groups.into_iter().map(|(id, name, selected)| GroupRow { id, name, selected }).collect())
}

#[server(endpoint = "azure_subscriptions")]
pub async fn azure_subscriptions(account_id: i64) -> Result<Vec<SubscriptionRow>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    subscriptions(&state, user.organization_id, account_id).await
}

/// The Azure account's subscriptions as Azure last showed them, and which are connected.
#[cfg(feature = "ssr")]
pub async fn subscriptions(state: &crate::server::AppState, org: i64, account_id: i64) -> Result<Vec<SubscriptionRow>, AppError> {
    azure_account(state, org, account_id).await?;
    let rows = super::azure_store::listed(&state.pool, account_id).await?;
    Ok(rows
        .into_iter()
        .map(|(s, via_group)| SubscriptionRow { id: s.id, name: s.name, state: s.state, selected: s.selected, via_group })
        .collect())
}

/// Update: connects the checked subscriptions and disconnects the others, and selects the
/// checked management groups (all under them connected, now and later), in one transaction.
#[server(endpoint = "update_azure_subscriptions")]
pub async fn update_azure_subscriptions(account_id: i64, selected: Option<Vec<String>>, groups: Option<Vec<String>>) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let (connected, disconnected) =
        update(&state, user.organization_id, &user.actor().await, account_id, selected.unwrap_or_default(), groups.unwrap_or_default()).await?;
    leptos_axum::redirect(&format!("/accounts/{account_id}/subscriptions?notice=subscriptions-updated&connected={connected}&disconnected={disconnected}"), false);
    Ok(())
}

/// Connects the `selected` subscriptions and the `groups` (the page's Update and the API), by
/// `actor`; returns how many subscriptions were connected and disconnected.
#[cfg(feature = "ssr")]
pub async fn update(
    state: &crate::server::AppState,
    org: i64,
    actor: &crate::audit::Actor,
    account_id: i64,
    selected: Vec<String>,
    groups: Vec<String>,
) -> Result<(usize, usize), AppError> {
    let account = azure_account(state, org, account_id).await?;
    let wanted: std::collections::HashSet<String> = selected.into_iter().map(|s| s.trim().to_lowercase()).collect();
    let wanted_groups: std::collections::HashSet<String> = groups.into_iter().collect();
    let groups_before: std::collections::HashSet<String> =
        super::azure_store::groups(&state.pool, account_id).await?.into_iter().filter(|(.., s)| *s).map(|(id, ..)| id).collect();
    let mut tx = crate::server::begin_write_in(&state.pool, org).await?;
    super::azure_store::select_groups(&mut tx, account_id, &wanted_groups).await?;
    // Those a group connected follow their group.
    let mut current = super::azure_store::subscriptions(&mut tx, account_id).await?;
    current.retain(|s| s.via_group.is_empty());
    if wanted.iter().any(|w| !current.iter().any(|s| s.id == *w)) {
        return Err(AppError::invalid("selected", "A checked subscription is not in this tenant's list: Refresh the list."));
    }
    let (mut connected, mut disconnected) = (0usize, 0usize);
    for super::azure_store::StoredSubscription { id, state: sub_state, selected: was, .. } in &current {
        let now_selected = wanted.contains(id);
        if now_selected && !was && sub_state != "Enabled" {
            return Err(AppError::invalid(
                "selected",
                format!("Subscription {id} is {sub_state}: only Enabled subscriptions can be connected."),
            ));
        }
        if now_selected != *was {
            super::azure_store::set_selected(&mut tx, account_id, id, now_selected, "").await?;
            if now_selected {
                connected += 1
            } else {
                disconnected += 1
            }
        }
    }
    let detail =
        format!("Azure \"{}\": {connected} subscription(s) connected, {disconnected} disconnected", account.name);
    let detail = if wanted_groups == groups_before {
        detail
    } else {
        let mut names: Vec<&str> = wanted_groups.iter().map(String::as_str).collect();
        names.sort_unstable();
        format!("{detail}; management groups selected: {}", if names.is_empty() { "none".into() } else { names.join(", ") })
    };
    crate::audit::write_about(&mut *tx, actor, "update_subscriptions", crate::audit::About { id: account.id, name: &account.name }, &detail).await?;
    tx.commit().await?;
    if wanted_groups != groups_before {
        // What is under the groups now is Azure's to say: read it at once (as a check does),
        // and count what the groups connected and disconnected with the rest.
        let before = super::azure_store::selected_ids(&state.pool, account_id).await?;
        let access = crate::accounts::store::access(&state.pool, org, account_id).await?;
        let app = super::link::SavedApp { account_id, app_id: &access.microsoft_app_id, tenant_id: &account.external_account_id };
        let recheck = super::link::reverify(state, org, crate::domain::MsService::Azure, &app).await?;
        if let Some(findings) = recheck.findings {
            let mut tx = crate::server::begin_write_in(&state.pool, org).await?;
            findings.apply(&mut tx).await?;
            tx.commit().await?;
        }
        let after = super::azure_store::selected_ids(&state.pool, account_id).await?;
        connected += after.difference(&before).count();
        disconnected += before.difference(&after).count();
    }
    Ok((connected, disconnected))
}

/// Refresh: reads the tenant's subscriptions from Azure again (choices of those still there stay).
#[server(endpoint = "refresh_azure_subscriptions")]
pub async fn refresh_azure_subscriptions(account_id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    refresh(&state, user.organization_id, &user.actor().await, account_id).await?;
    leptos_axum::redirect(&format!("/accounts/{account_id}/subscriptions?notice=subscriptions-refreshed"), false);
    Ok(())
}

/// Reads the tenant's subscriptions from Azure again (the page's Refresh and the API), by `actor`.
#[cfg(feature = "ssr")]
pub async fn refresh(state: &crate::server::AppState, org: i64, actor: &crate::audit::Actor, account_id: i64) -> Result<(), AppError> {
    let account = azure_account(state, org, account_id).await?;
    let _slot = state.cloud_checks.start(org)?;
    let access = crate::accounts::store::access(&state.pool, org, account_id).await?;
    let app = super::link::SavedApp { account_id, app_id: &access.microsoft_app_id, tenant_id: &account.external_account_id };
    let recheck = super::link::reverify(state, org, crate::domain::MsService::Azure, &app).await?;
    let subscriptions = recheck.subscriptions;
    let mut tx = crate::server::begin_write_in(&state.pool, org).await?;
    if let Some(findings) = recheck.findings {
        findings.apply(&mut tx).await?;
    }
    let dropped = super::azure_store::replace_subscriptions(&mut tx, account_id, &subscriptions).await?;
    let mut detail = format!("Azure \"{}\": {} subscription(s) read from Azure", account.name, subscriptions.len());
    if !dropped.is_empty() {
        detail.push_str(&format!("; no longer connected (gone or not Enabled): {}", dropped.join(", ")));
    }
    crate::audit::write_about(&mut *tx, actor, "refresh_subscriptions", crate::audit::About { id: account.id, name: &account.name }, &detail).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(feature = "ssr")]
async fn azure_account(
    state: &crate::server::AppState,
    org: i64,
    account_id: i64,
) -> Result<crate::accounts::AccountSummary, AppError> {
    let account = crate::accounts::find(&state.pool, org, account_id).await?;
    if account.provider != crate::domain::Provider::Azure {
        return Err(AppError::NotFound("That is not an Azure account.".into()));
    }
    Ok(account)
}
