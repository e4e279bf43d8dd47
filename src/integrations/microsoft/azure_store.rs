//! The SQL of an Azure account's subscriptions and management groups, as Azure last showed
//! them and as the user chose. Callers have checked that the account is their organization's
//! (`subscriptions::azure_account`, or a check of an account they loaded). `selected` is 0 or 1
//! on both engines; `via_group` is the selected management group that connected a
//! subscription ('' for one checked by hand).
use std::collections::{HashMap, HashSet};

use sqlx::AnyConnection;

use super::identity::arm::ManagementGroup;
use super::identity::Subscription;
use crate::error::AppError;
use crate::server::Pool;

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSubscription {
    pub id: String,
    pub name: String,
    pub state: String,
    pub selected: bool,
    pub via_group: String,
}

type SubscriptionRow = (String, String, String, i64, String);

fn stored((id, name, state, selected, via_group): SubscriptionRow) -> StoredSubscription {
    StoredSubscription { id, name, state, selected: selected != 0, via_group }
}

/// The account's subscriptions by name, each with the display name of the group that
/// connected it, if one did.
pub async fn listed(pool: &Pool, account_id: i64) -> Result<Vec<(StoredSubscription, Option<String>)>, AppError> {
    let rows: Vec<(String, String, String, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT s.subscription_id, s.display_name, s.state, s.selected, s.via_group, g.display_name FROM azure_subscriptions s \
         LEFT JOIN azure_management_groups g ON g.account_id = s.account_id AND g.group_id = s.via_group \
         WHERE s.account_id = $1 ORDER BY s.display_name, s.subscription_id",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, state, selected, via, group)| (stored((id, name, state, selected, via)), group)).collect())
}

/// The account's subscriptions by name (on `conn`, to read them inside a transaction).
pub async fn subscriptions(conn: &mut AnyConnection, account_id: i64) -> Result<Vec<StoredSubscription>, AppError> {
    let rows: Vec<SubscriptionRow> = sqlx::query_as(
        "SELECT subscription_id, display_name, state, selected, via_group FROM azure_subscriptions \
         WHERE account_id = $1 ORDER BY display_name, subscription_id",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(stored).collect())
}

/// The ids of the connected subscriptions.
pub async fn selected_ids(pool: &Pool, account_id: i64) -> Result<HashSet<String>, AppError> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT subscription_id FROM azure_subscriptions WHERE account_id = $1 AND selected = 1")
        .bind(account_id)
        .fetch_all(pool)
        .await?;
    Ok(ids.into_iter().collect())
}

/// Connects (`via_group` '' by hand, else through that group) or disconnects a stored subscription.
pub async fn set_selected(conn: &mut AnyConnection, account_id: i64, id: &str, selected: bool, via_group: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE azure_subscriptions SET selected = $1, via_group = $2 WHERE account_id = $3 AND subscription_id = $4")
        .bind(i64::from(selected))
        .bind(via_group)
        .bind(account_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Stores a subscription Azure showed under the selected group `via_group`, connected.
pub async fn insert_via_group(conn: &mut AnyConnection, account_id: i64, s: &Subscription, via_group: &str) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO azure_subscriptions (account_id, subscription_id, display_name, state, selected, via_group) \
         VALUES ($1, $2, $3, $4, 1, $5)",
    )
    .bind(account_id)
    .bind(s.id.trim().to_lowercase())
    .bind(&s.name)
    .bind(&s.state)
    .bind(via_group)
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the stored list with `subscriptions`, keeping the choice of those still listed and
/// Enabled; returns the ids of the selected ones that were dropped.
pub async fn replace_subscriptions(conn: &mut AnyConnection, account_id: i64, subscriptions: &[Subscription]) -> Result<Vec<String>, AppError> {
    let kept: HashMap<String, String> = sqlx::query_as::<_, (String, String)>(
        "SELECT subscription_id, via_group FROM azure_subscriptions WHERE account_id = $1 AND selected = 1",
    )
    .bind(account_id)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    sqlx::query("DELETE FROM azure_subscriptions WHERE account_id = $1").bind(account_id).execute(&mut *conn).await?;
    for s in subscriptions {
        let id = s.id.trim().to_lowercase();
        let keep = kept.get(&id).filter(|_| s.state == "Enabled");
        sqlx::query(
            "INSERT INTO azure_subscriptions (account_id, subscription_id, display_name, state, selected, via_group) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(account_id)
        .bind(&id)
        .bind(&s.name)
        .bind(&s.state)
        .bind(i64::from(keep.is_some()))
        .bind(keep.cloned().unwrap_or_default())
        .execute(&mut *conn)
        .await?;
    }
    let still: Vec<String> =
        sqlx::query_scalar("SELECT subscription_id FROM azure_subscriptions WHERE account_id = $1 AND selected = 1")
            .bind(account_id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(kept.into_keys().filter(|id| !still.contains(id)).collect())
}

/// (group id, display name, selected) of the groups Azure last showed.
pub async fn groups(pool: &Pool, account_id: i64) -> Result<Vec<(String, String, bool)>, AppError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT group_id, display_name, selected FROM azure_management_groups WHERE account_id = $1 ORDER BY display_name, group_id",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, selected)| (id, name, selected != 0)).collect())
}

/// Selects exactly the groups in `wanted` (400 at `groups` for one Azure has not shown).
pub async fn select_groups(conn: &mut AnyConnection, account_id: i64, wanted: &HashSet<String>) -> Result<(), AppError> {
    let known: Vec<String> = sqlx::query_scalar("SELECT group_id FROM azure_management_groups WHERE account_id = $1")
        .bind(account_id)
        .fetch_all(&mut *conn)
        .await?;
    if wanted.iter().any(|w| !known.contains(w)) {
        return Err(AppError::invalid("groups", "A checked management group is not in this tenant's list: Refresh the list."));
    }
    for id in known {
        sqlx::query("UPDATE azure_management_groups SET selected = $1 WHERE account_id = $2 AND group_id = $3")
            .bind(i64::from(wanted.contains(&id)))
            .bind(account_id)
            .bind(&id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Replaces the stored groups with `groups`, keeping the choice of those still there.
pub async fn replace_groups(conn: &mut AnyConnection, account_id: i64, groups: &[ManagementGroup]) -> Result<(), AppError> {
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT group_id FROM azure_management_groups WHERE account_id = $1 AND selected = 1")
            .bind(account_id)
            .fetch_all(&mut *conn)
            .await?;
    sqlx::query("DELETE FROM azure_management_groups WHERE account_id = $1").bind(account_id).execute(&mut *conn).await?;
    for g in groups {
        let name = if g.properties.display_name.is_empty() { &g.name } else { &g.properties.display_name };
        sqlx::query(
            "INSERT INTO azure_management_groups (account_id, group_id, display_name, selected) VALUES ($1, $2, $3, $4) \
             ON CONFLICT DO NOTHING",
        )
        .bind(account_id)
        .bind(&g.name)
        .bind(name)
        .bind(i64::from(kept.contains(&g.name)))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
