//! The server functions of organization onboarding. Each one signs the caller in and finds
//! the management account in the caller's organization (404 for anyone else's) before it
//! reads anything else.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::tree::{AccountRow, Totals, UnitRow};
use crate::error::AppError;

/// The tree page: the organization as last read, the unit being looked at and its accounts
/// (a page of them), and the newest run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrganizationView {
    pub management_id: i64,
    pub management_name: String,
    pub management_account: String,
    pub aws_organization_id: String,
    pub read_at: Option<String>,
    pub read_error: String,
    pub auto_link: bool,
    pub units: Vec<UnitRow>,
    pub unit: Option<UnitRow>,
    pub accounts: Vec<AccountRow>,
    pub page: usize,
    pub unit_accounts: usize,
    pub totals: Totals,
    pub run: Option<RunView>,
    pub external_id: String,
    pub member_role: String,
}

/// A "Link accounts" run as its progress shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub running: bool,
    pub started_at: String,
    pub started_by: String,
    pub total: i64,
    pub done: i64,
    pub linked: i64,
    pub warning: i64,
    pub failed: i64,
    /// Account id, name, cause and fix (the first 200 of each).
    pub failures: Vec<(String, String, String)>,
    pub warnings: Vec<(String, String, String)>,
}

#[cfg(feature = "ssr")]
async fn management(account_id: i64) -> Result<(crate::server::AppState, crate::auth::session::SessionUser, crate::accounts::AccountSummary), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let account = management_of(&state, user.organization_id, account_id).await?;
    Ok((state, user, account))
}

/// Organization `org`'s AWS management account `account_id` (404 for any other account).
#[cfg(feature = "ssr")]
pub async fn management_of(state: &crate::server::AppState, org: i64, account_id: i64) -> Result<crate::accounts::AccountSummary, AppError> {
    use crate::domain::AwsKind;
    let account = crate::accounts::find(&state.pool, org, account_id).await?;
    match account.kind.aws() {
        Some(AwsKind::Management) => Ok(account),
        Some(AwsKind::Linked | AwsKind::Eks) | None => {
            Err(AppError::NotFound("That is not an AWS management account: only a management account has an organization.".into()))
        }
    }
}

#[cfg(feature = "ssr")]
pub async fn run_view(pool: &crate::server::Pool, management_account_id: i64) -> Result<Option<RunView>, AppError> {
    let Some(run) = super::run_store::latest_run(pool, management_account_id).await? else { return Ok(None) };
    Ok(Some(RunView {
        running: run.finished_at.is_none(),
        started_at: crate::server::format_time(run.started_at),
        started_by: run.started_by,
        total: run.pending + run.linked + run.warning + run.failed,
        done: run.linked + run.warning + run.failed,
        linked: run.linked,
        warning: run.warning,
        failed: run.failed,
        failures: super::run_store::items(pool, run.id, "failed", 200).await?,
        warnings: super::run_store::items(pool, run.id, "warning", 200).await?,
    }))
}

#[server(endpoint = "aws_organization")]
pub async fn aws_organization(account_id: i64, unit: Option<String>, page: Option<usize>) -> Result<OrganizationView, AppError> {
    let (state, user, management) = management(account_id).await?;
    view(&state, user.organization_id, &management, unit, page).await
}

/// The organization as last read, one unit's accounts (a page of them), and the newest run.
#[cfg(feature = "ssr")]
pub async fn view(
    state: &crate::server::AppState,
    org: i64,
    management: &crate::accounts::AccountSummary,
    unit: Option<String>,
    page: Option<usize>,
) -> Result<OrganizationView, AppError> {
    use super::tree::ACCOUNTS_PER_PAGE;
    // The run first: one shown finished has committed every account it linked, so the tree
    // read next shows them (read after the tree, a run finishing in between showed as done
    // over a tree without its accounts, and nothing would ask again).
    let run = run_view(&state.pool, management.id).await?;
    let (tree, row) = super::sync::tree(state, org, management).await?;
    let unit = unit.and_then(|id| tree.units.iter().find(|u| u.id == id).cloned()).or_else(|| tree.units.first().cloned());
    let unit_id = unit.as_ref().map(|u| u.id.clone()).unwrap_or_default();
    let unit_accounts = tree.direct_accounts(&unit_id);
    let pages = unit_accounts.div_ceil(ACCOUNTS_PER_PAGE).max(1);
    let page = page.unwrap_or(1).clamp(1, pages);
    let window = (ACCOUNTS_PER_PAGE as i64, ((page - 1) * ACCOUNTS_PER_PAGE) as i64);
    let stored = match unit_id.as_str() {
        "" => Vec::new(),
        id => super::store::accounts(&state.pool, org, management.id, &management.external_account_id, id, window).await?,
    };
    let accounts: Vec<AccountRow> = stored.iter().map(|a| tree.account(a)).collect();
    Ok(OrganizationView {
        management_id: management.id,
        management_name: management.name.clone(),
        management_account: management.external_account_id.clone(),
        aws_organization_id: row.as_ref().map(|r| r.aws_organization_id.clone()).unwrap_or_default(),
        read_at: row.as_ref().and_then(|r| r.read_at).map(crate::server::format_time),
        read_error: row.as_ref().map(|r| r.read_error.clone()).unwrap_or_default(),
        auto_link: row.as_ref().is_some_and(|r| r.auto_link != 0),
        totals: tree.totals.clone(),
        unit_accounts,
        units: tree.units,
        unit,
        accounts,
        page,
        run,
        external_id: crate::integrations::aws::link::external_id(&state.pool, org).await?,
        member_role: crate::domain::AwsKind::Linked.role_name().into(),
    })
}

/// The newest run's progress (the page asks every second while a run goes).
#[server(endpoint = "aws_organization_progress")]
pub async fn organization_progress(account_id: i64) -> Result<Option<RunView>, AppError> {
    let (state, _, management) = management(account_id).await?;
    run_view(&state.pool, management.id).await
}

/// The page's address after an action: the unit the user was looking at, and a notice.
#[cfg(feature = "ssr")]
fn back(account_id: i64, unit: Option<&str>, notice: &str) -> String {
    let unit = unit
        .filter(|u| u.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(|u| format!("&unit={u}"))
        .unwrap_or_default();
    format!("/accounts/{account_id}/organization?notice={notice}{unit}")
}

/// Read the organization (again) from AWS now.
#[server(endpoint = "read_aws_organization")]
pub async fn read_aws_organization(account_id: i64) -> Result<(), AppError> {
    let (state, user, management) = management(account_id).await?;
    super::sync::read_now(&state, user.organization_id, &management, &user.actor().await).await?;
    leptos_axum::redirect(&back(account_id, None, "organization-read"), false);
    Ok(())
}

/// Link accounts: every account a run may link (`scope` "all"), those new since the first
/// read ("new"), or the checked ones ("selected").
#[server(endpoint = "link_organization_accounts")]
pub async fn link_organization_accounts(
    account_id: i64,
    scope: String,
    selected: Option<Vec<String>>,
    unit: Option<String>,
) -> Result<(), AppError> {
    let (state, user, management) = management(account_id).await?;
    start_run(&state, user.organization_id, &user.actor().await, &management, &scope, selected.unwrap_or_default()).await?;
    leptos_axum::redirect(&back(account_id, unit.as_deref(), "organization-linking"), false);
    Ok(())
}

/// Starts a Link accounts run (the page and the API) of `scope`: "all", "new" or "selected".
#[cfg(feature = "ssr")]
pub async fn start_run(
    state: &crate::server::AppState,
    org: i64,
    actor: &crate::audit::Actor,
    management: &crate::accounts::AccountSummary,
    scope: &str,
    selected: Vec<String>,
) -> Result<i64, AppError> {
    let (tree, _) = super::sync::tree(state, org, management).await?;
    let mut items = super::sync::eligible(state, org, management, &tree, scope == "new").await?;
    match scope {
        "all" | "new" => {}
        "selected" => {
            let wanted: std::collections::HashSet<String> = selected.into_iter().collect();
            // What was sent is not echoed: a message is the portal's words, never the sender's.
            if wanted.iter().any(|id| !items.iter().any(|(i, _)| i == id)) {
                return Err(AppError::invalid(
                    "selected",
                    "A checked account cannot be linked: it is linked already, excluded, not ACTIVE or no longer in the \
                     organization. Reload the page and check the accounts again.",
                ));
            }
            items.retain(|(id, _)| wanted.contains(id));
        }
        _ => return Err(AppError::BadRequest("Choose all accounts, the new ones or a selection.".into())),
    }
    if items.is_empty() {
        let why = if scope == "selected" { "Check the accounts to link first." } else { "Every account is linked, excluded or not ACTIVE." };
        return Err(AppError::invalid("selected", format!("There is no account to link. {why}")));
    }
    super::runs::start(state, management, org, items, actor, crate::server::now()).await
}

/// Retry failed: a run of the newest run's failed accounts that can still be linked.
#[server(endpoint = "retry_failed_links")]
pub async fn retry_failed_links(account_id: i64, unit: Option<String>) -> Result<(), AppError> {
    let (state, user, management) = management(account_id).await?;
    let Some(last) = super::run_store::latest_run(&state.pool, management.id).await? else {
        return Err(AppError::invalid("selected", "No run has failed accounts to retry."));
    };
    let failed = super::run_store::items(&state.pool, last.id, "failed", i64::MAX).await?;
    let (tree, _) = super::sync::tree(&state, user.organization_id, &management).await?;
    let eligible = super::sync::eligible(&state, user.organization_id, &management, &tree, false).await?;
    let items: Vec<(String, String)> =
        eligible.into_iter().filter(|(id, _)| failed.iter().any(|(f, _, _)| f == id)).collect();
    if items.is_empty() {
        return Err(AppError::invalid("selected", "No failed account is left to retry: each is linked, excluded or gone."));
    }
    super::runs::start(&state, &management, user.organization_id, items, &user.actor().await, crate::server::now()).await?;
    leptos_axum::redirect(&back(account_id, unit.as_deref(), "organization-linking"), false);
    Ok(())
}

/// Excludes a unit or an account (with what is under it), includes it again, or lets it
/// follow its parent (`exclusion`: "excluded", "included" or "").
#[server(endpoint = "set_organization_exclusion")]
pub async fn set_organization_exclusion(account_id: i64, node_id: String, exclusion: String, unit: Option<String>) -> Result<(), AppError> {
    let (state, user, management) = management(account_id).await?;
    let choice = super::tree::Exclusion::parse(&exclusion)
        .ok_or_else(|| AppError::BadRequest("Choose excluded, included or as its parent.".into()))?;
    set_exclusion(&state, &user.actor().await, &management, &node_id, choice).await?;
    leptos_axum::redirect(&back(account_id, unit.as_deref(), "exclusion-saved"), false);
    Ok(())
}

/// Excludes, includes or lets follow its parent a unit or account `node_id` (the page and the API).
#[cfg(feature = "ssr")]
pub async fn set_exclusion(
    state: &crate::server::AppState,
    actor: &crate::audit::Actor,
    management: &crate::accounts::AccountSummary,
    node_id: &str,
    choice: super::tree::Exclusion,
) -> Result<(), AppError> {
    let mut tx = crate::server::begin_write(&state.pool).await?;
    if !super::store::set_exclusion(&mut tx, management.id, node_id, choice).await? {
        return Err(AppError::NotFound("There is no such unit or account in this organization: read it again.".into()));
    }
    let what = match choice {
        super::tree::Exclusion::Excluded => "excluded",
        super::tree::Exclusion::Included => "included again",
        super::tree::Exclusion::Follows => "set to follow its parent",
    };
    let detail = format!("AWS Organization of \"{}\": {node_id} {what}", management.name);
    crate::audit::write_about(&mut *tx, actor, "organization_exclusion", crate::audit::About { id: management.id, name: &management.name }, &detail).await?;
    tx.commit().await?;
    Ok(())
}

/// "Link new accounts automatically" at each sync, on or off.
#[server(endpoint = "set_organization_auto_link")]
pub async fn set_organization_auto_link(account_id: i64, auto_link: Option<String>) -> Result<(), AppError> {
    let (state, user, management) = management(account_id).await?;
    let on = auto_link.is_some_and(|v| v == "on" || v == "true");
    let mut tx = crate::server::begin_write_in(&state.pool, user.organization_id).await?;
    if super::store::org_row(&state.pool, management.id).await?.is_none() {
        return Err(AppError::invalid("auto_link", "Read the organization first."));
    }
    super::store::set_auto_link(&mut tx, management.id, on).await?;
    let detail = format!("AWS Organization of \"{}\": link new accounts automatically {}", management.name, if on { "on" } else { "off" });
    crate::audit::write_about(&mut *tx, &user.actor().await, "organization_auto_link", crate::audit::About { id: management.id, name: &management.name }, &detail).await?;
    tx.commit().await?;
    leptos_axum::redirect(&back(account_id, None, "auto-link-saved"), false);
    Ok(())
}
