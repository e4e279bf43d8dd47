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
    azure_account(&state, user.organization_id, account_id).await?;
    let groups = super::groups::stored(&state.pool, account_id).await?;
    Ok(groups.into_iter().map(|(id, name, selected)| GroupRow { id, name, selected }).collect())
}

#[server(endpoint = "azure_subscriptions")]
pub async fn azure_subscriptions(account_id: i64) -> Result<Vec<SubscriptionRow>, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    azure_account(&state, user.organization_id, account_id).await?;
    let rows: Vec<(String, String, String, i64, Option<String>)> = sqlx::query_as(
        "SELECT s.subscription_id, s.display_name, s.state, s.selected, g.display_name FROM azure_subscriptions s \
         LEFT JOIN azure_management_groups g ON g.account_id = s.account_id AND g.group_id = s.via_group \
         WHERE s.account_id = $1 ORDER BY s.display_name, s.subscription_id",
    )
    .bind(account_id)
    .fetch_all(&state.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, state, selected, via_group)| SubscriptionRow { id, name, state, selected: selected != 0, via_group })
        .collect())
}

/// Update: connects the checked subscriptions and disconnects the others, and selects the
/// checked management groups (all under them connected, now and later), in one transaction.
#[server(endpoint = "update_azure_subscriptions")]
pub async fn update_azure_subscriptions(account_id: i64, selected: Option<Vec<String>>, groups: Option<Vec<String>>) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let account = azure_account(&state, user.organization_id, account_id).await?;
    let wanted: std::collections::HashSet<String> =
        selected.unwrap_or_default().into_iter().map(|s| s.trim().to_lowercase()).collect();
    let wanted_groups: std::collections::HashSet<String> = groups.unwrap_or_default().into_iter().collect();
    let groups_before: std::collections::HashSet<String> =
        super::groups::stored(&state.pool, account_id).await?.into_iter().filter(|(.., s)| *s).map(|(id, ..)| id).collect();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    super::groups::select(&mut tx, account_id, &wanted_groups).await?;
    // `selected` is 0 or 1 on both engines. Those a group connected follow their group.
    let current: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT subscription_id, state, selected FROM azure_subscriptions WHERE account_id = $1 AND via_group = ''",
    )
    .bind(account_id)
    .fetch_all(&mut *tx)
    .await?;
    if wanted.iter().any(|w| !current.iter().any(|(id, ..)| id == w)) {
        return Err(AppError::invalid("selected", "A checked subscription is not in this tenant's list: Refresh the list."));
    }
    let (mut connected, mut disconnected) = (0usize, 0usize);
    for (id, sub_state, was) in &current {
        let was = &(*was != 0);
        let now_selected = wanted.contains(id);
        if now_selected && !was && sub_state != "Enabled" {
            return Err(AppError::invalid(
                "selected",
                format!("Subscription {id} is {sub_state}: only Enabled subscriptions can be connected."),
            ));
        }
        if now_selected != *was {
            sqlx::query("UPDATE azure_subscriptions SET selected = $1 WHERE account_id = $2 AND subscription_id = $3")
                .bind(i64::from(now_selected))
                .bind(account_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
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
    crate::audit::write(&mut *tx, &user.actor().await, "update_subscriptions", &detail).await?;
    tx.commit().await?;
    if wanted_groups != groups_before {
        // What is under the groups now is Azure's to say: read it at once (as a check does),
        // and count what the groups connected and disconnected with the rest.
        let before = selected_ids(&state.pool, account_id).await?;
        let access = crate::accounts::store::access(&state.pool, user.organization_id, account_id).await?;
        let app = super::link::SavedApp { account_id, app_id: &access.app_id, tenant_id: &account.external_account_id };
        super::link::reverify(&state, user.organization_id, crate::domain::MsService::Azure, &app).await?;
        let after = selected_ids(&state.pool, account_id).await?;
        connected += after.difference(&before).count();
        disconnected += before.difference(&after).count();
    }
    leptos_axum::redirect(&format!("/accounts/{account_id}/subscriptions?notice=subscriptions-updated&connected={connected}&disconnected={disconnected}"), false);
    Ok(())
}

/// Refresh: reads the tenant's subscriptions from Azure again (choices of those still there stay).
#[server(endpoint = "refresh_azure_subscriptions")]
pub async fn refresh_azure_subscriptions(account_id: i64) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let account = azure_account(&state, user.organization_id, account_id).await?;
    let _slot = state.cloud_checks.start(user.organization_id)?;
    let access = crate::accounts::store::access(&state.pool, user.organization_id, account_id).await?;
    let app = super::link::SavedApp { account_id, app_id: &access.app_id, tenant_id: &account.external_account_id };
    let (_, subscriptions) =
        super::link::reverify(&state, user.organization_id, crate::domain::MsService::Azure, &app).await?;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let dropped = store_subscriptions(&mut tx, account_id, &subscriptions).await?;
    let mut detail = format!("Azure \"{}\": {} subscription(s) read from Azure", account.name, subscriptions.len());
    if !dropped.is_empty() {
        detail.push_str(&format!("; no longer connected (gone or not Enabled): {}", dropped.join(", ")));
    }
    crate::audit::write(&mut *tx, &user.actor().await, "refresh_subscriptions", &detail).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/accounts/{account_id}/subscriptions?notice=subscriptions-refreshed"), false);
    Ok(())
}

#[cfg(feature = "ssr")]
async fn selected_ids(pool: &crate::server::Pool, account_id: i64) -> Result<std::collections::HashSet<String>, AppError> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT subscription_id FROM azure_subscriptions WHERE account_id = $1 AND selected = 1")
        .bind(account_id)
        .fetch_all(pool)
        .await?;
    Ok(ids.into_iter().collect())
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

/// Replaces the stored list with `subscriptions`, keeping the choice of those still listed and
/// Enabled; returns the ids of the selected ones that were dropped.
#[cfg(feature = "ssr")]
pub async fn store_subscriptions(
    tx: &mut sqlx::Transaction<'_, crate::server::Db>,
    account_id: i64,
    subscriptions: &[super::identity::Subscription],
) -> Result<Vec<String>, AppError> {
    let kept: std::collections::HashMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "SELECT subscription_id, via_group FROM azure_subscriptions WHERE account_id = $1 AND selected = 1",
    )
    .bind(account_id)
    .fetch_all(&mut **tx)
    .await?
    .into_iter()
    .collect();
    sqlx::query("DELETE FROM azure_subscriptions WHERE account_id = $1").bind(account_id).execute(&mut **tx).await?;
    for s in subscriptions {
        let id = s.id.trim().to_lowercase();
        let keep = kept.get(&id).filter(|_| s.state == "Enabled");
        sqlx::query("INSERT INTO azure_subscriptions (account_id, subscription_id, display_name, state, selected, via_group) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
            .bind(account_id)
            .bind(&id)
            .bind(&s.name)
            .bind(&s.state)
            .bind(i64::from(keep.is_some()))
            .bind(keep.cloned().unwrap_or_default())
            .execute(&mut **tx)
            .await?;
    }
    let still: Vec<String> =
        sqlx::query_scalar("SELECT subscription_id FROM azure_subscriptions WHERE account_id = $1 AND selected = 1")
            .bind(account_id)
            .fetch_all(&mut **tx)
            .await?;
    Ok(kept.into_keys().filter(|id| !still.contains(id)).collect())
}


/// A re-check's Azure result with what changed since the list was stored: a selected
/// subscription the app no longer sees is a warning; ones it sees that are not stored are
/// reported as new and left unselected (never connected without the user).
#[cfg(feature = "ssr")]
pub async fn with_changes(
    pool: &crate::server::Pool,
    account_id: i64,
    mut verified: crate::domain::Verified,
    visible: &[super::identity::Subscription],
) -> Result<crate::domain::Verified, AppError> {
    let stored: Vec<(String, String, i64)> =
        sqlx::query_as("SELECT subscription_id, display_name, selected FROM azure_subscriptions WHERE account_id = $1 ORDER BY display_name")
            .bind(account_id)
            .fetch_all(pool)
            .await?;
    let visible_ids: Vec<String> = visible.iter().map(|s| s.id.trim().to_lowercase()).collect();
    let gone: Vec<String> = stored
        .iter()
        .filter(|(id, _, selected)| *selected == 1 && !visible_ids.contains(id))
        .map(|(id, name, _)| format!("{name} ({id})"))
        .collect();
    let new: Vec<&str> = visible
        .iter()
        .zip(&visible_ids)
        .filter(|(_, id)| !stored.iter().any(|(stored_id, _, _)| stored_id == *id))
        .map(|(s, _)| s.name.as_str())
        .collect();
    if !gone.is_empty() {
        verified.status = crate::domain::AccountStatus::Warning;
        verified.message = format!(
            "{} no longer visible to the app: {}. Give the app the Reader role on {} again (the subscription's Access \
             control (IAM)), or clear {} under Edit, then Re-test.",
            if gone.len() == 1 { "A selected subscription is" } else { "Selected subscriptions are" },
            gone.join(", "),
            if gone.len() == 1 { "it" } else { "them" },
            if gone.len() == 1 { "it" } else { "them" },
        );
    }
    if !new.is_empty() {
        verified.message.push_str(&format!(
            " {} new subscription{} visible (not selected): {}. Select {} under Edit.",
            new.len(),
            if new.len() == 1 { " is" } else { "s are" },
            new.join(", "),
            if new.len() == 1 { "it" } else { "them" },
        ));
    }
    Ok(verified)
}
