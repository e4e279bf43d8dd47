//! Reading the organization: first when the user asks (Read the organization), then again
//! every `XOPS_ORG_SYNC_MINUTES` with the scheduled checks. A read stores what changed (new
//! accounts, accounts that moved, left or were suspended: marked, never deleted) and, when the
//! organization chose it, links the new accounts at once.
use super::store::{self, Changes};
use super::tree::{AccountRow, Tree};
use crate::accounts::AccountSummary;
use crate::error::AppError;
use crate::server::AppState;

/// Organizations read at once by user requests on this replica (each read is a few hundred
/// calls to AWS for a large organization); more are told to try again (503).
static READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Organizations synced per look (the rest are due at the next look, a minute on).
const SYNCS_PER_LOOK: i64 = 20;

/// The organization's units as last read, with their counts and what is linked here.
pub async fn tree(state: &AppState, organization_id: i64, management: &AccountSummary) -> Result<(Tree, Option<store::OrgRow>), AppError> {
    let row = store::org_row(&state.pool, management.id).await?;
    let first_read_at = row.as_ref().and_then(|r| r.first_read_at).unwrap_or(i64::MAX);
    let units = store::units(&state.pool, management.id).await?;
    let counts =
        store::account_counts(&state.pool, organization_id, management.id, &management.external_account_id, first_read_at).await?;
    Ok((Tree::build(&units, &counts, first_read_at), row))
}

/// Reads the organization now, for a user who asked (bounded by `READS`).
pub async fn read_now(state: &AppState, organization_id: i64, management: &AccountSummary, actor: &crate::audit::Actor) -> Result<Changes, AppError> {
    let _slot = READS.try_acquire().map_err(|_| AppError::Busy)?;
    read_and_store(state, organization_id, management, actor, crate::server::now()).await
}

/// Reads the organization with the management role and stores it; a failure is kept on the
/// organization (the page shows it beside the tree as last read) and returned.
pub async fn read_and_store(
    state: &AppState,
    organization_id: i64,
    management: &AccountSummary,
    actor: &crate::audit::Actor,
    now: i64,
) -> Result<Changes, AppError> {
    let access = crate::accounts::store::access(&state.pool, organization_id, management.id).await?;
    let role = crate::domain::RoleArn::parse(&access.aws_role_arn)?;
    let external_id = crate::integrations::aws::link::external_id(&state.pool, organization_id).await?;
    let read = state.aws.read_organization(&role, &external_id).await;
    let next = crate::server::jobs::spread(&format!("org:{}", management.id), now, state.config.health.org_sync_interval);
    let mut tx = crate::server::begin_write(&state.pool).await?;
    store::ensure_org(&mut tx, organization_id, management.id, next).await?;
    store::set_next_sync(&mut tx, management.id, next).await?;
    let read = match read {
        Ok(read) => read,
        Err(err) => {
            store::record_read_error(&mut tx, management.id, &err.to_string()).await?;
            tx.commit().await?;
            return Err(err);
        }
    };
    tracing::info!(management_account_id = management.id, requests = read.requests, nodes = read.nodes.len(), "organization read");
    let changes = store::apply_read(&mut tx, management.id, &read, now).await?;
    if changes != Changes::default() {
        let detail = format!(
            "AWS Organization {} of \"{}\" read: {} new, {} moved, {} changed state, {} gone",
            read.organization_id,
            management.name,
            changes.added.len(),
            changes.moved.len(),
            changes.state_changed.len(),
            changes.gone.len()
        );
        let about = crate::audit::About { id: management.id, name: &management.name };
        crate::audit::write_at(&mut *tx, actor, "organization_read", Some(about), &detail, now).await?;
    }
    tx.commit().await?;
    Ok(changes)
}

/// The accounts of the tree a run would link: all eligible ones, or only those new since the
/// first read.
pub async fn eligible(
    state: &AppState,
    organization_id: i64,
    management: &AccountSummary,
    tree: &Tree,
    only_new: bool,
) -> Result<Vec<(String, String)>, AppError> {
    let all = store::accounts(&state.pool, organization_id, management.id, &management.external_account_id, "", (i64::MAX, 0)).await?;
    let pick = |a: &AccountRow| a.eligible() && (!only_new || a.new);
    Ok(all.iter().map(|a| tree.account(a)).filter(pick).map(|a| (a.id, a.name)).collect())
}

/// Syncs every organization due at `now`; returns how many were read.
pub async fn sync_due(state: &AppState, now: i64) -> Result<usize, AppError> {
    let lease = i64::try_from(state.config.health.org_sync_interval.as_secs()).unwrap_or(i64::MAX / 4);
    let due = store::take_due_syncs(&state.pool, now, lease, SYNCS_PER_LOOK).await?;
    let mut read = 0;
    for (organization_id, management_account_id) in due {
        let management = match crate::accounts::find(&state.pool, organization_id, management_account_id).await {
            Ok(management) => management,
            Err(AppError::NotFound(_)) => continue,
            Err(err) => return Err(err),
        };
        let actor = crate::audit::Actor::system(organization_id, "Xops organization sync");
        match read_and_store(state, organization_id, &management, &actor, now).await {
            Ok(_) => {
                read += 1;
                link_new_accounts(state, organization_id, &management, &actor, now).await?;
            }
            Err(err) => tracing::warn!(management_account_id, error = %err, "an AWS Organization could not be read"),
        }
    }
    Ok(read)
}

/// When the organization chose "link new accounts automatically": a run for the new ones.
async fn link_new_accounts(
    state: &AppState,
    organization_id: i64,
    management: &AccountSummary,
    actor: &crate::audit::Actor,
    now: i64,
) -> Result<(), AppError> {
    let (tree, row) = tree(state, organization_id, management).await?;
    if row.is_none_or(|r| r.auto_link == 0) {
        return Ok(());
    }
    let new = eligible(state, organization_id, management, &tree, true).await?;
    if new.is_empty() || super::run_store::running_run(&state.pool, management.id).await?.is_some() {
        return Ok(()); // a run going now: the next sync links what is still new
    }
    super::runs::start(state, management, organization_id, new, actor, now).await.map(|_| ())
}
