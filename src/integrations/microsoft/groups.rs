//! Whole management groups on an Azure account: "every subscription under group X, including
//! future ones". Connect reads the tenant's groups; every check of the account (Refresh,
//! Re-test, the scheduled checks) reads them and what is under each selected one: a subscription that appears under a
//! selected group is connected (it remembers the group, `via_group`), one that left is
//! disconnected, and both are said in the check's message. Subscriptions checked one by one
//! are never touched by this.
use std::collections::{HashMap, HashSet};

use super::identity::Subscription;
use crate::error::AppError;

/// (group id, display name, selected) of the groups Azure last showed.
pub async fn stored(pool: &crate::server::Pool, account_id: i64) -> Result<Vec<(String, String, bool)>, AppError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT group_id, display_name, selected FROM azure_management_groups WHERE account_id = $1 ORDER BY display_name, group_id",
    )
    .bind(account_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, name, selected)| (id, name, selected != 0)).collect())
}

/// Selects exactly the groups in `wanted` (400 at `groups` for one Azure has not shown).
pub async fn select(tx: &mut sqlx::Transaction<'_, crate::server::Db>, account_id: i64, wanted: &HashSet<String>) -> Result<(), AppError> {
    let known: Vec<String> = sqlx::query_scalar("SELECT group_id FROM azure_management_groups WHERE account_id = $1")
        .bind(account_id)
        .fetch_all(&mut **tx)
        .await?;
    if wanted.iter().any(|w| !known.contains(w)) {
        return Err(AppError::invalid("groups", "A checked management group is not in this tenant's list: Refresh the list."));
    }
    for id in known {
        sqlx::query("UPDATE azure_management_groups SET selected = $1 WHERE account_id = $2 AND group_id = $3")
            .bind(i64::from(wanted.contains(&id)))
            .bind(account_id)
            .bind(&id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// What a check changed through the selected groups, for its message.
#[derive(Debug, Default)]
pub struct GroupChanges {
    pub joined: Vec<String>,
    pub left: Vec<String>,
    /// Selected groups Azure would not show the inside of (their subscriptions are kept as they were).
    pub unreadable: Vec<String>,
}

impl GroupChanges {
    /// `verified` with these changes said (an unreadable selected group is a warning).
    pub fn annotate(self, mut verified: crate::domain::Verified) -> crate::domain::Verified {
        if !self.joined.is_empty() {
            verified.message.push_str(&format!(" Connected through a selected management group: {}.", self.joined.join(", ")));
        }
        if !self.left.is_empty() {
            verified.message.push_str(&format!(
                " No longer under a selected management group, so disconnected: {}.",
                self.left.join(", ")
            ));
        }
        if !self.unreadable.is_empty() {
            if verified.status == crate::domain::AccountStatus::Connected {
                verified.status = crate::domain::AccountStatus::Warning;
            }
            verified.message.push_str(&format!(
                " Xops could not read what is under management group {}: give the app the Reader role on it, then Re-test.",
                self.unreadable.join(", ")
            ));
        }
        verified
    }
}

/// Reads the tenant's groups and the subscriptions under the selected ones with `token`, and
/// stores the result: connects those that appeared (if Azure shows them `visible` and
/// Enabled), disconnects those that left.
pub async fn sync(
    state: &crate::server::AppState,
    account_id: i64,
    token: &str,
    visible: &[Subscription],
) -> Result<GroupChanges, AppError> {
    let groups = match state.microsoft.management_groups(token).await {
        Ok(groups) => Some(groups),
        // Without Reader on any group there is nothing to choose; the page says how to fix it.
        Err(err) => {
            tracing::info!(account_id, error = %err, "management groups not readable");
            None
        }
    };
    let selected: Vec<(String, String)> =
        stored(&state.pool, account_id).await?.into_iter().filter(|(.., s)| *s).map(|(id, name, _)| (id, name)).collect();
    let mut changes = GroupChanges::default();
    let mut under: HashMap<String, String> = HashMap::new();
    let mut read_groups = HashSet::new();
    for (group, name) in &selected {
        match state.microsoft.group_subscriptions(token, group).await {
            Ok(ids) => {
                read_groups.insert(group.clone());
                for id in ids {
                    under.entry(id).or_insert_with(|| group.clone());
                }
            }
            Err(_) => changes.unreadable.push(format!("{name} ({group})")),
        }
    }
    let mut tx = crate::server::begin_write(&state.pool).await?;
    if let Some(groups) = groups {
        store_groups(&mut tx, account_id, &groups).await?;
    }
    let stored_subs: Vec<(String, String, i64, String)> = sqlx::query_as(
        "SELECT subscription_id, display_name, selected, via_group FROM azure_subscriptions WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_all(&mut *tx)
    .await?;
    for s in visible.iter().filter(|s| s.state == "Enabled") {
        let id = s.id.trim().to_lowercase();
        let Some(group) = under.get(&id) else { continue };
        match stored_subs.iter().find(|(stored_id, ..)| *stored_id == id) {
            Some((_, _, 1, _)) => {}
            Some(_) => {
                sqlx::query("UPDATE azure_subscriptions SET selected = 1, via_group = $1 WHERE account_id = $2 AND subscription_id = $3")
                    .bind(group)
                    .bind(account_id)
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?;
                changes.joined.push(s.name.clone());
            }
            None => {
                sqlx::query(
                    "INSERT INTO azure_subscriptions (account_id, subscription_id, display_name, state, selected, via_group) \
                     VALUES ($1, $2, $3, $4, 1, $5)",
                )
                .bind(account_id)
                .bind(&id)
                .bind(&s.name)
                .bind(&s.state)
                .bind(group)
                .execute(&mut *tx)
                .await?;
                changes.joined.push(s.name.clone());
            }
        }
    }
    // Connected through a group that is no longer selected, or that it is no longer under.
    for (id, name, _, via) in stored_subs.iter().filter(|(.., via)| !via.is_empty()) {
        let still = under.contains_key(id) || (selected.iter().any(|(g, _)| g == via) && !read_groups.contains(via));
        if !still {
            sqlx::query("UPDATE azure_subscriptions SET selected = 0, via_group = '' WHERE account_id = $1 AND subscription_id = $2")
                .bind(account_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            changes.left.push(name.clone());
        }
    }
    tx.commit().await?;
    Ok(changes)
}

/// Replaces the stored groups with `groups`, keeping the choice of those still there.
pub async fn store_groups(
    tx: &mut sqlx::Transaction<'_, crate::server::Db>,
    account_id: i64,
    groups: &[super::identity::arm::ManagementGroup],
) -> Result<(), AppError> {
    let kept: Vec<String> =
        sqlx::query_scalar("SELECT group_id FROM azure_management_groups WHERE account_id = $1 AND selected = 1")
            .bind(account_id)
            .fetch_all(&mut **tx)
            .await?;
    sqlx::query("DELETE FROM azure_management_groups WHERE account_id = $1").bind(account_id).execute(&mut **tx).await?;
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
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
