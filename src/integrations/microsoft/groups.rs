//! Whole management groups on an Azure account: "every subscription under group X, including
//! future ones". Connect reads the tenant's groups; every check of the account (Refresh,
//! Re-test, the scheduled checks) reads them and what is under each selected one: a subscription that appears under a
//! selected group is connected (it remembers the group, `via_group`), one that left is
//! disconnected, and both are said in the check's message. Subscriptions checked one by one
//! are never touched by this.
use std::collections::{HashMap, HashSet};

use sqlx::AnyConnection;

use super::azure_store::{self, StoredSubscription};
use super::identity::arm::ManagementGroup;
use super::identity::Subscription;
use crate::domain::{AccountStatus, Verified};
use crate::error::AppError;

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
    fn annotate(&self, mut verified: Verified) -> Verified {
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
            if verified.status == AccountStatus::Connected {
                verified.status = AccountStatus::Warning;
            }
            verified.message.push_str(&format!(
                " Xops could not read what is under management group {}: give the app the Reader role on it, then Re-test.",
                self.unreadable.join(", ")
            ));
        }
        verified
    }
}

/// What a check of an Azure account found, read from Azure and compared with what is stored;
/// written by `apply` in the transaction that records the check.
pub struct Findings {
    account_id: i64,
    /// The tenant's groups (None if the app may not list them: the stored ones stay).
    groups: Option<Vec<ManagementGroup>>,
    /// Subscriptions that appeared under a selected group, with it, and whether one is stored.
    joins: Vec<(Subscription, String, bool)>,
    /// Ids of those connected through a group they are no longer under.
    leaves: Vec<String>,
    changes: GroupChanges,
    /// Selected subscriptions the app no longer sees, and those it sees that are not stored.
    gone: Vec<String>,
    new: Vec<String>,
}

/// Reads, with `token`, the tenant's groups and the subscriptions under the selected ones, and
/// compares them and the `visible` subscriptions with what is stored: a subscription that
/// appeared under a selected group (Enabled) is to be connected, one that left disconnected.
pub async fn read(
    state: &crate::server::AppState,
    account_id: i64,
    token: &str,
    visible: &[Subscription],
) -> Result<Findings, AppError> {
    let groups = match state.microsoft.management_groups(token).await {
        Ok(groups) => Some(groups),
        // Without Reader on any group there is nothing to choose; the page says how to fix it.
        Err(err) => {
            tracing::info!(account_id, error = %err, "management groups not readable");
            None
        }
    };
    let selected: Vec<(String, String)> =
        azure_store::groups(&state.pool, account_id).await?.into_iter().filter(|(.., s)| *s).map(|(id, name, _)| (id, name)).collect();
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
    let mut conn = state.pool.acquire().await?;
    let mut stored = azure_store::subscriptions(&mut conn, account_id).await?;
    drop(conn);
    // Connected through a group that is no longer selected, or that it is no longer under.
    let mut leaves = Vec::new();
    for row in stored.iter_mut().filter(|row| !row.via_group.is_empty()) {
        let still = under.contains_key(&row.id)
            || (selected.iter().any(|(g, _)| *g == row.via_group) && !read_groups.contains(&row.via_group));
        if !still {
            leaves.push(row.id.clone());
            changes.left.push(row.name.clone());
            row.selected = false;
        }
    }
    let mut joins = Vec::new();
    for s in visible.iter().filter(|s| s.state == "Enabled") {
        let id = s.id.trim().to_lowercase();
        let Some(group) = under.get(&id) else { continue };
        let row = stored.iter_mut().find(|row| row.id == id);
        if row.as_ref().is_some_and(|row| row.selected) {
            continue;
        }
        joins.push((s.clone(), group.clone(), row.is_some()));
        changes.joined.push(s.name.clone());
        match row {
            Some(row) => row.selected = true,
            None => stored.push(StoredSubscription {
                id,
                name: s.name.clone(),
                state: s.state.clone(),
                selected: true,
                via_group: group.clone(),
            }),
        }
    }
    stored.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let visible_ids: Vec<String> = visible.iter().map(|s| s.id.trim().to_lowercase()).collect();
    let gone = stored
        .iter()
        .filter(|row| row.selected && !visible_ids.contains(&row.id))
        .map(|row| format!("{} ({})", row.name, row.id))
        .collect();
    let new = visible
        .iter()
        .zip(&visible_ids)
        .filter(|(_, id)| !stored.iter().any(|row| row.id == **id))
        .map(|(s, _)| s.name.clone())
        .collect();
    Ok(Findings { account_id, groups, joins, leaves, changes, gone, new })
}

impl Findings {
    /// Stores what was found, on the connection of the check's transaction.
    pub async fn apply(&self, conn: &mut AnyConnection) -> Result<(), AppError> {
        if let Some(groups) = &self.groups {
            azure_store::replace_groups(conn, self.account_id, groups).await?;
        }
        for (subscription, group, stored) in &self.joins {
            if *stored {
                azure_store::set_selected(conn, self.account_id, &subscription.id.trim().to_lowercase(), true, group).await?;
            } else {
                azure_store::insert_via_group(conn, self.account_id, subscription, group).await?;
            }
        }
        for id in &self.leaves {
            azure_store::set_selected(conn, self.account_id, id, false, "").await?;
        }
        Ok(())
    }

    /// `verified` with what changed said: a selected subscription the app no longer sees is a
    /// warning; ones it sees that are not stored are reported as new and left unselected
    /// (never connected without the user); then what the groups connected and disconnected.
    pub fn annotate(&self, mut verified: Verified) -> Verified {
        let (gone, new) = (&self.gone, &self.new);
        if !gone.is_empty() {
            verified.status = AccountStatus::Warning;
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
        self.changes.annotate(verified)
    }
}
