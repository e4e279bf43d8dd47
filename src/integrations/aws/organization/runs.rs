//! "Link accounts": a stored run that verifies each chosen member of the organization exactly
//! as a single link does (AssumeRole of the member role with the External ID, the
//! GetCallerIdentity match, the confused-deputy probe) and saves those that pass as linked
//! accounts. The run and each account's outcome are rows, so progress survives a reload, one
//! run goes at a time per organization, and a run whose replica died is taken up by another.
//! A replica verifies `XOPS_CHECK_CONCURRENCY` members at once, whatever the number of runs.
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{run_store, store};
use crate::accounts::AccountSummary;
use crate::domain::{AccountKind, AccountName, AwsKind, Check, Provider, RoleArn};
use crate::error::AppError;
use crate::server::AppState;

/// How long a replica holds a run without renewing it (it renews after every chunk).
const LEASE: i64 = 300;
/// Accounts taken from the run at a time.
const CHUNK: i64 = 50;
/// One member's verification as a whole (each call to AWS has its own, shorter timeout).
const MEMBER_TIMEOUT: Duration = Duration::from_secs(60);

/// What a run needs to know about the organization it links into.
struct Target {
    organization_id: i64,
    management: AccountSummary,
    external_id: String,
    partition: String,
    actor: crate::audit::Actor,
}

/// Starts a run linking `items` (account id, name) and works on it in the background; 409 if
/// one is going. Returns the run's id.
pub async fn start(
    state: &AppState,
    management: &AccountSummary,
    organization_id: i64,
    items: Vec<(String, String)>,
    actor: &crate::audit::Actor,
    now: i64,
) -> Result<i64, AppError> {
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let run_id = run_store::start_run(&mut tx, management.id, &actor.who, now, now + LEASE, &items).await?;
    let detail = format!(
        "AWS Organization of \"{}\" ({}): linking {} member account(s)",
        management.name,
        management.external_account_id,
        items.len()
    );
    let about = crate::audit::About { id: management.id, name: &management.name };
    crate::audit::write_at(&mut *tx, actor, "link_accounts_started", Some(about), &detail, now).await?;
    tx.commit().await?;
    tokio::spawn(continue_run(state.clone(), organization_id, management.id, run_id));
    Ok(run_id)
}

/// Works on a run until no account is pending, then finishes it. A failure leaves it to the
/// next replica that finds its lease passed (`resume_abandoned`).
pub async fn continue_run(state: AppState, organization_id: i64, management_account_id: i64, run_id: i64) {
    if let Err(err) = drive(&state, organization_id, management_account_id, run_id).await {
        tracing::warn!(run_id, error = %err, "a Link accounts run stopped; it is taken up again when its lease passes");
    }
}

async fn drive(state: &AppState, organization_id: i64, management_account_id: i64, run_id: i64) -> Result<(), AppError> {
    let management = crate::accounts::find(&state.pool, organization_id, management_account_id).await?;
    let access = crate::accounts::store::access(&state.pool, organization_id, management_account_id).await?;
    let partition = RoleArn::parse(&access.aws_role_arn)?.partition().to_string();
    let external_id = crate::integrations::aws::link::external_id(&state.pool, organization_id).await?;
    let actor = crate::audit::Actor::system(organization_id, "Xops Link accounts");
    let target = Arc::new(Target { organization_id, management, external_id, partition, actor });
    let slots = slots(state);
    loop {
        let pending = run_store::pending_items(&state.pool, run_id, CHUNK).await?;
        if pending.is_empty() {
            break;
        }
        run_store::renew_lease(&state.pool, run_id, crate::server::now() + LEASE).await?;
        let mut links = tokio::task::JoinSet::new();
        for (account_id, name) in pending {
            let (state, target, slots) = (state.clone(), target.clone(), slots.clone());
            links.spawn(async move {
                let _slot = slots.acquire_owned().await.ok()?;
                link_member(&state, &target, run_id, &account_id, &name).await.err().map(|e| (account_id, e))
            });
        }
        let mut stuck = 0;
        while let Some(done) = links.join_next().await {
            if let Ok(Some((account_id, err))) = done {
                // Not the account's fault (the database, say): record it so the run moves on.
                tracing::warn!(run_id, account_id, error = %err, "a member account could not be linked");
                let mut tx = crate::server::begin_write(&state.pool).await?;
                let message = format!("Xops could not save this account's result ({err}). Retry failed to try again.");
                run_store::set_outcome(&mut tx, run_id, &account_id, "failed", &message).await?;
                tx.commit().await?;
                stuck += 1;
            }
        }
        if stuck == CHUNK {
            return Err(AppError::Internal);
        }
    }
    let counts = run_store::latest_run(&state.pool, target.management.id).await?.filter(|r| r.id == run_id).unwrap_or_default();
    let mut tx = crate::server::begin_write(&state.pool).await?;
    run_store::finish_run(&mut tx, run_id, crate::server::now()).await?;
    let detail = format!(
        "AWS Organization of \"{}\": {} linked, {} with a warning, {} failed",
        target.management.name, counts.linked, counts.warning, counts.failed
    );
    let about = crate::audit::About { id: target.management.id, name: &target.management.name };
    crate::audit::write_about(&mut *tx, &target.actor, "link_accounts_finished", about, &detail).await?;
    tx.commit().await?;
    Ok(())
}

/// The member verifications this replica runs at once, across every organization's runs.
fn slots(state: &AppState) -> Arc<tokio::sync::Semaphore> {
    static SLOTS: std::sync::OnceLock<Arc<tokio::sync::Semaphore>> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| Arc::new(tokio::sync::Semaphore::new(state.config.health.concurrency))).clone()
}

/// Verifies one member and records its outcome: linked (in the same transaction as the new
/// account and its audit row), or failed with the cause and fix.
async fn link_member(state: &AppState, target: &Target, run_id: i64, account_id: &str, name: &str) -> Result<(), AppError> {
    use crate::accounts::store::{linked_as, Credentials, NewAccount};
    let role = AwsKind::Linked.role_name();
    let arn = RoleArn::parse(&format!("arn:{}:iam::{account_id}:role/{role}", target.partition))?;
    let started = Instant::now();
    let verified = match tokio::time::timeout(MEMBER_TIMEOUT, state.aws.verify(&arn, &target.external_id, None, Check::Member)).await {
        Ok(Ok(verified)) => verified,
        Ok(Err(err)) if err.is_check_result() => {
            return record(state, run_id, account_id, "failed", &err.to_string()).await;
        }
        Ok(Err(err)) => return Err(err),
        Err(_) => {
            let message = format!("AWS did not answer within {} s. Retry failed to try again.", MEMBER_TIMEOUT.as_secs());
            return record(state, run_id, account_id, "failed", &message).await;
        }
    };
    let org = target.organization_id;
    if let Some(existing) = linked_as(&state.pool, org, Provider::Aws, account_id).await? {
        return record(state, run_id, account_id, "linked", &format!("Already linked as \"{existing}\".")).await;
    }
    // The name is chosen inside the write, so two members of one run with the same
    // Organizations name cannot both take it.
    let mut tx = crate::server::begin_write(&state.pool).await?;
    let name = free_name(&mut tx, org, name, account_id).await?;
    let arn_text = arn.to_string();
    let account = NewAccount {
        kind: AccountKind::Aws(AwsKind::Linked),
        name: name.as_str(),
        external_account_id: account_id,
        credentials: Credentials::AwsRole { role_arn: &arn_text },
        verified: &verified,
    };
    let detail = format!(
        "Linked Account \"{name}\" ({account_id}) linked from the AWS Organization of \"{}\", status {}",
        target.management.name,
        verified.status.as_str()
    );
    crate::integrations::linking::save(&mut tx, state, org, &account, started, &target.actor, &detail).await?;
    let outcome = match verified.status {
        crate::domain::AccountStatus::Connected => "linked",
        crate::domain::AccountStatus::Warning | crate::domain::AccountStatus::Failed => "warning",
    };
    run_store::set_outcome(&mut tx, run_id, account_id, outcome, &verified.message).await?;
    tx.commit().await?;
    Ok(())
}

async fn record(state: &AppState, run_id: i64, account_id: &str, outcome: &str, message: &str) -> Result<(), AppError> {
    let mut tx = crate::server::begin_write(&state.pool).await?;
    run_store::set_outcome(&mut tx, run_id, account_id, outcome, message).await?;
    tx.commit().await?;
    Ok(())
}

/// The account's Organizations name if it is free here, else the name with its id (renameable).
async fn free_name(
    tx: &mut sqlx::Transaction<'static, crate::server::Db>,
    org: i64,
    name: &str,
    account_id: &str,
) -> Result<AccountName, AppError> {
    use crate::accounts::store::name_taken;
    let fallback = || AccountName::parse(&format!("AWS {account_id}"));
    let preferred = AccountName::parse(name).or_else(|_| fallback())?;
    if !name_taken(&mut **tx, org, Provider::Aws, &preferred, None).await? {
        return Ok(preferred);
    }
    let short: String = preferred.as_str().chars().take(48).collect();
    match AccountName::parse(&format!("{short} ({account_id})")) {
        Ok(name) => Ok(name),
        Err(_) => fallback(),
    }
}

/// Takes up runs whose replica stopped working on them (called with the scheduled checks).
pub async fn resume_abandoned(state: &AppState, now: i64) -> Result<usize, AppError> {
    let runs = run_store::take_abandoned_runs(&state.pool, now, LEASE, 10).await?;
    let taken = runs.len();
    for (run_id, management_account_id) in runs {
        let organization_id = store::organization_of(&state.pool, management_account_id).await?;
        tokio::spawn(continue_run(state.clone(), organization_id, management_account_id, run_id));
    }
    Ok(taken)
}
