//! The SQL of organization onboarding: the organization as last read, what this Xops
//! organization makes of each account, exclusions, and the sync's schedule (the runs' SQL is
//! `run_store.rs`).
use super::tree::{AccountCount, Exclusion, StoredAccount, StoredUnit};
use crate::error::AppError;
use crate::integrations::aws::sts::organizations::OrganizationRead;
use crate::server::{Db, Pool};

type Tx<'a> = sqlx::Transaction<'a, Db>;

/// The organization's row, once it has been read (or tried).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrgRow {
    pub aws_organization_id: String,
    pub first_read_at: Option<i64>,
    pub read_at: Option<i64>,
    pub read_error: String,
    pub auto_link: i64,
}

pub async fn org_row(pool: &Pool, management_account_id: i64) -> Result<Option<OrgRow>, AppError> {
    Ok(sqlx::query_as(
        "SELECT aws_organization_id, first_read_at, read_at, read_error, auto_link FROM aws_organizations \
         WHERE management_account_id = $1",
    )
    .bind(management_account_id)
    .fetch_optional(pool)
    .await?)
}

/// Creates the organization's row if it has none (due for its sync at `next_sync_at`).
pub async fn ensure_org(tx: &mut Tx<'_>, organization_id: i64, management_account_id: i64, next_sync_at: i64) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO aws_organizations (management_account_id, organization_id, next_sync_at) VALUES ($1, $2, $3) \
         ON CONFLICT (management_account_id) DO NOTHING",
    )
    .bind(management_account_id)
    .bind(organization_id)
    .bind(next_sync_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn units(pool: &Pool, management_account_id: i64) -> Result<Vec<StoredUnit>, AppError> {
    Ok(sqlx::query_as(
        "SELECT node_id, parent_id, kind, name, exclusion FROM aws_org_nodes WHERE management_account_id = $1 AND kind <> 'account'",
    )
    .bind(management_account_id)
    .fetch_all(pool)
    .await?)
}

/// What an account is here, in SQL (`$1` the Xops organization, `$3` the management account's
/// AWS id): gone, management, linked, inactive or ready. One definition for the counts and the
/// lists (`tree::Tree::account` reads it).
const ACCOUNT_CATEGORY: &str = "CASE WHEN n.gone_at IS NOT NULL THEN 'gone' WHEN n.node_id = $3 THEN 'management' \
     WHEN c.id IS NOT NULL THEN 'linked' WHEN n.state <> 'ACTIVE' THEN 'inactive' ELSE 'ready' END";

/// The accounts of the organization of `management_account_id`, each with this Xops
/// organization's linked account of the same id, if any.
const ACCOUNTS_FROM: &str = "FROM aws_org_nodes n LEFT JOIN cloud_accounts c ON c.organization_id = $1 AND c.provider = 'aws' \
     AND c.external_account_id = n.node_id WHERE n.management_account_id = $2 AND n.kind = 'account'";

/// The accounts counted by unit, own exclusion, category and newness (seen after `first_read_at`).
pub async fn account_counts(
    pool: &Pool,
    organization_id: i64,
    management_account_id: i64,
    management_account: &str,
    first_read_at: i64,
) -> Result<Vec<AccountCount>, AppError> {
    let sql = format!(
        "SELECT n.parent_id, n.exclusion, {ACCOUNT_CATEGORY} AS category, \
         CAST(CASE WHEN n.first_seen_at > $4 THEN 1 ELSE 0 END AS BIGINT) AS new, COUNT(*) AS count \
         {ACCOUNTS_FROM} GROUP BY 1, 2, 3, 4"
    );
    Ok(sqlx::query_as(&sql)
        .bind(organization_id)
        .bind(management_account_id)
        .bind(management_account)
        .bind(first_read_at)
        .fetch_all(pool)
        .await?)
}

/// Accounts by name: those directly in `unit` (all of them for ""), `limit` from `offset`.
pub async fn accounts(
    pool: &Pool,
    organization_id: i64,
    management_account_id: i64,
    management_account: &str,
    unit: &str,
    (limit, offset): (i64, i64),
) -> Result<Vec<StoredAccount>, AppError> {
    let sql = format!(
        "SELECT n.node_id, n.parent_id, n.name, n.state, n.exclusion, n.first_seen_at, {ACCOUNT_CATEGORY} AS category, \
         c.name AS linked_name {ACCOUNTS_FROM} AND ($4 = '' OR n.parent_id = $4) ORDER BY n.name, n.node_id LIMIT $5 OFFSET $6"
    );
    Ok(sqlx::query_as(&sql)
        .bind(organization_id)
        .bind(management_account_id)
        .bind(management_account)
        .bind(unit)
        .bind(limit)
        .bind(offset)
        .fetch_all(pool)
        .await?)
}

/// What a read changed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Changes {
    pub added: Vec<String>,
    pub gone: Vec<String>,
    pub moved: Vec<String>,
    pub state_changed: Vec<String>,
}

/// Stores `read` as the organization now: new nodes added, changed ones updated (an account
/// that moved follows its unit), those no longer found marked gone, never deleted. Only what
/// changed is written.
pub async fn apply_read(tx: &mut Tx<'_>, management_account_id: i64, read: &OrganizationRead, now: i64) -> Result<Changes, AppError> {
    #[derive(sqlx::FromRow)]
    struct Known {
        node_id: String,
        parent_id: String,
        name: String,
        state: String,
        gone_at: Option<i64>,
    }
    let before: Vec<Known> = sqlx::query_as(
        "SELECT node_id, parent_id, name, state, gone_at FROM aws_org_nodes WHERE management_account_id = $1",
    )
    .bind(management_account_id)
    .fetch_all(&mut **tx)
    .await?;
    let known: std::collections::HashMap<&str, &Known> = before.iter().map(|n| (n.node_id.as_str(), n)).collect();
    let mut changes = Changes::default();
    for node in &read.nodes {
        let kind = node.kind.as_str();
        match known.get(node.id.as_str()) {
            None => {
                sqlx::query(
                    "INSERT INTO aws_org_nodes (management_account_id, node_id, parent_id, kind, name, state, first_seen_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(management_account_id)
                .bind(&node.id)
                .bind(&node.parent_id)
                .bind(kind)
                .bind(&node.name)
                .bind(&node.state)
                .bind(now)
                .execute(&mut **tx)
                .await?;
                changes.added.push(node.id.clone());
            }
            Some(old) if old.parent_id != node.parent_id || old.name != node.name || old.state != node.state || old.gone_at.is_some() => {
                sqlx::query(
                    "UPDATE aws_org_nodes SET parent_id = $1, name = $2, state = $3, kind = $4, gone_at = NULL \
                     WHERE management_account_id = $5 AND node_id = $6",
                )
                .bind(&node.parent_id)
                .bind(&node.name)
                .bind(&node.state)
                .bind(kind)
                .bind(management_account_id)
                .bind(&node.id)
                .execute(&mut **tx)
                .await?;
                if old.parent_id != node.parent_id {
                    changes.moved.push(node.id.clone());
                }
                if old.state != node.state {
                    changes.state_changed.push(node.id.clone());
                }
            }
            Some(_) => {}
        }
    }
    let found: std::collections::HashSet<&str> = read.nodes.iter().map(|n| n.id.as_str()).collect();
    for old in before.iter().filter(|n| n.gone_at.is_none() && !found.contains(n.node_id.as_str())) {
        sqlx::query("UPDATE aws_org_nodes SET gone_at = $1 WHERE management_account_id = $2 AND node_id = $3")
            .bind(now)
            .bind(management_account_id)
            .bind(&old.node_id)
            .execute(&mut **tx)
            .await?;
        changes.gone.push(old.node_id.clone());
    }
    sqlx::query(
        "UPDATE aws_organizations SET aws_organization_id = $1, read_at = $2, first_read_at = COALESCE(first_read_at, $2), \
         read_error = '' WHERE management_account_id = $3",
    )
    .bind(&read.organization_id)
    .bind(now)
    .bind(management_account_id)
    .execute(&mut **tx)
    .await?;
    Ok(changes)
}

/// Keeps why the last read failed (the tree stays as it was last read).
pub async fn record_read_error(tx: &mut Tx<'_>, management_account_id: i64, message: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE aws_organizations SET read_error = $1 WHERE management_account_id = $2")
        .bind(message)
        .bind(management_account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets a node's own choice; false if the organization has no such node.
pub async fn set_exclusion(tx: &mut Tx<'_>, management_account_id: i64, node_id: &str, exclusion: Exclusion) -> Result<bool, AppError> {
    let changed = sqlx::query("UPDATE aws_org_nodes SET exclusion = $1 WHERE management_account_id = $2 AND node_id = $3")
        .bind(exclusion.as_str())
        .bind(management_account_id)
        .bind(node_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(changed == 1)
}

pub async fn set_auto_link(tx: &mut Tx<'_>, management_account_id: i64, on: bool) -> Result<(), AppError> {
    sqlx::query("UPDATE aws_organizations SET auto_link = $1 WHERE management_account_id = $2")
        .bind(i64::from(on))
        .bind(management_account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Takes the organizations whose sync is due at `now`, each until `lease` seconds on (the
/// sync sets the next time when it is done): (organization, management account).
pub async fn take_due_syncs(pool: &Pool, now: i64, lease: i64, limit: i64) -> Result<Vec<(i64, i64)>, AppError> {
    Ok(crate::server::jobs::lease(
        pool,
        "UPDATE aws_organizations SET next_sync_at = $1 WHERE management_account_id IN \
         (SELECT management_account_id FROM aws_organizations WHERE next_sync_at <= $2 ORDER BY next_sync_at LIMIT $3) \
         RETURNING organization_id, management_account_id",
        now,
        lease,
        limit,
    )
    .await?)
}

pub async fn set_next_sync(tx: &mut Tx<'_>, management_account_id: i64, at: i64) -> Result<(), AppError> {
    sqlx::query("UPDATE aws_organizations SET next_sync_at = $1 WHERE management_account_id = $2")
        .bind(at)
        .bind(management_account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The Xops organization a management account's AWS Organization belongs to.
pub async fn organization_of(pool: &Pool, management_account_id: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT organization_id FROM aws_organizations WHERE management_account_id = $1")
        .bind(management_account_id)
        .fetch_one(pool)
        .await?)
}
