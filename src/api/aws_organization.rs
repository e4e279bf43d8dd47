//! AWS Organizations over the API: a management account's organization as last read (and read
//! again), Link accounts runs started and followed, and exclusions set, over the functions of
//! the Organization page (`integrations::aws::organization::actions`).
use std::collections::HashMap;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::{caller_for, from_app_error, invalid, Caller};
use crate::error::AppError;
use crate::integrations::aws::organization::{actions, tree};
use crate::server::AppState;

type Peer = ConnectInfo<std::net::SocketAddr>;

/// The organization as the portal last read it, one unit's accounts, and the newest run.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "aws_organization_id": "o-a1b2c3d4e5", "read_at": "2026-12-07 09:00 UTC", "read_error": "", "auto_link": false,
    "totals": {"accounts": 3, "linked": 1, "eligible": 2, "inactive": 0, "excluded": 0, "gone": 0, "new": 0},
    "units": [{"id": "r-ab12", "name": "Root", "is_root": true, "depth": 0, "exclusion": "follows", "excluded": false, "accounts": 3, "linked": 1, "eligible": 2}],
    "unit": "r-ab12", "page": 1, "unit_accounts": 1,
    "accounts": [{"id": "210987654321", "name": "Payments", "state": "not_linked", "linked_as": null, "exclusion": "follows", "excluded": false, "new": false}],
    "run": null
}))]
pub struct OrganizationRead {
    pub aws_organization_id: String,
    pub read_at: Option<String>,
    /// Why the last read failed, with what to fix; empty if it worked.
    pub read_error: String,
    pub auto_link: bool,
    pub totals: tree::Totals,
    pub units: Vec<Unit>,
    /// The unit whose accounts are listed (`unit`, or the root).
    pub unit: Option<String>,
    pub page: usize,
    /// How many accounts are directly in that unit (`accounts` holds one page of them).
    pub unit_accounts: usize,
    pub accounts: Vec<Member>,
    pub run: Option<Run>,
}

/// A root or organizational unit.
#[derive(Serialize, ToSchema)]
pub struct Unit {
    pub id: String,
    pub name: String,
    pub is_root: bool,
    pub depth: usize,
    /// Its own setting: `excluded`, `included` (although its parent is excluded) or `follows`.
    #[schema(value_type = ExclusionName)]
    pub exclusion: &'static str,
    /// Excluded, by its own setting or its parent's.
    pub excluded: bool,
    pub accounts: usize,
    pub linked: usize,
    pub eligible: usize,
}

/// A member account of the organization.
#[derive(Serialize, ToSchema)]
pub struct Member {
    pub id: String,
    pub name: String,
    /// `management`, `linked`, `not_linked`, `inactive` (not ACTIVE) or `gone` (left the organization).
    pub state: &'static str,
    /// The name it is linked under, or its AWS status when inactive.
    pub linked_as: Option<String>,
    #[schema(value_type = ExclusionName)]
    pub exclusion: &'static str,
    pub excluded: bool,
    /// Found by a sync after the first read, and not linked yet.
    pub new: bool,
}

/// An exclusion setting.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // only described
pub enum ExclusionName {
    Excluded,
    Included,
    Follows,
}

/// A Link accounts run.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({
    "running": false, "started_at": "2026-12-07 09:05 UTC", "started_by": "API token \"Account Factory\"",
    "total": 2, "done": 2, "linked": 1, "warning": 0, "failed": 1,
    "failures": [{"account_id": "210987654321", "name": "Payments", "cause": "The role XopsReadOnlyAccess does not exist in account 210987654321: deploy the StackSet to it."}],
    "warnings": []
}))]
pub struct Run {
    pub running: bool,
    pub started_at: String,
    pub started_by: String,
    pub total: i64,
    pub done: i64,
    pub linked: i64,
    pub warning: i64,
    pub failed: i64,
    /// The first 200 failed accounts, each with its cause and fix.
    pub failures: Vec<RunItem>,
    pub warnings: Vec<RunItem>,
}

#[derive(Serialize, ToSchema)]
pub struct RunItem {
    pub account_id: String,
    pub name: String,
    pub cause: String,
}

/// `POST …/organization/runs`.
#[derive(ToSchema)]
#[allow(dead_code)] // only described: the handler reads it field by field
#[schema(example = json!({"scope": "selected", "selected": ["210987654321"]}))]
pub struct StartRun {
    /// `all` (every account a run may link), `new` (those found since the first read) or `selected`.
    #[schema(pattern = "^(all|new|selected)$")]
    pub scope: String,
    /// With `selected`: the AWS account ids to link.
    pub selected: Option<Vec<String>>,
}

/// `PUT …/organization/exclusions`.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"node_id": "ou-ab12-cd34ef56", "exclusion": "excluded"}))]
pub struct ExclusionSet {
    /// A unit's or an account's id, as the organization lists it.
    #[schema(min_length = 1, max_length = 100)]
    pub node_id: String,
    #[schema(value_type = ExclusionName)]
    pub exclusion: String,
}

fn exclusion(e: tree::Exclusion) -> &'static str {
    match e {
        tree::Exclusion::Follows => "follows",
        tree::Exclusion::Excluded => "excluded",
        tree::Exclusion::Included => "included",
    }
}

fn run(view: actions::RunView) -> Run {
    let items = |list: Vec<(String, String, String)>| list.into_iter().map(|(account_id, name, cause)| RunItem { account_id, name, cause }).collect();
    Run {
        running: view.running,
        started_at: view.started_at,
        started_by: view.started_by,
        total: view.total,
        done: view.done,
        linked: view.linked,
        warning: view.warning,
        failed: view.failed,
        failures: items(view.failures),
        warnings: items(view.warnings),
    }
}

fn read(view: actions::OrganizationView) -> OrganizationRead {
    OrganizationRead {
        aws_organization_id: view.aws_organization_id,
        read_at: view.read_at,
        read_error: view.read_error,
        auto_link: view.auto_link,
        totals: view.totals,
        units: view
            .units
            .into_iter()
            .map(|u| Unit { id: u.id, name: u.name, is_root: u.is_root, depth: u.depth, exclusion: exclusion(u.own), excluded: u.excluded, accounts: u.accounts, linked: u.linked, eligible: u.eligible })
            .collect(),
        unit: view.unit.map(|u| u.id),
        page: view.page,
        unit_accounts: view.unit_accounts,
        accounts: view
            .accounts
            .into_iter()
            .map(|a| {
                let (state, linked_as) = match a.mark {
                    tree::Mark::Management => ("management", None),
                    tree::Mark::Linked(name) => ("linked", Some(name)),
                    tree::Mark::NotLinked => ("not_linked", None),
                    tree::Mark::Inactive(status) => ("inactive", Some(status)),
                    tree::Mark::Gone => ("gone", None),
                };
                Member { id: a.id, name: a.name, state, linked_as, exclusion: exclusion(a.own), excluded: a.excluded, new: a.new }
            })
            .collect(),
        run: view.run.map(run),
    }
}

/// The caller allowed to do what `S` does, and the management account of the path.
async fn management<S: leptos::server_fn::ServerFn>(state: &AppState, headers: &HeaderMap, peer: std::net::IpAddr, id: &str) -> Result<(Caller, crate::accounts::AccountSummary), Response> {
    let (caller, id) = caller_for::<S>(state, headers, peer, id).await?;
    let management = actions::management_of(state, caller.organization_id, id).await.map_err(from_app_error)?;
    Ok((caller, management))
}

async fn answer_view(state: &AppState, org: i64, management: &crate::accounts::AccountSummary, unit: Option<String>, page: Option<usize>) -> Response {
    match actions::view(state, org, management, unit, page).await {
        Ok(view) => Json(read(view)).into_response(),
        Err(err) => from_app_error(err),
    }
}

/// A management account's AWS Organization as last read: its units, one unit's accounts (a page
/// of them), and the newest Link accounts run (404 for an account that is not a management account).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/organization", tag = "AWS Organizations", operation_id = "get_aws_organization",
    params(
        ("id" = i64, Path, description = "The management account's id."),
        ("unit" = Option<String>, Query, max_length = 100, description = "The unit whose accounts to list (the root if left out)."),
        ("page" = Option<i64>, Query, minimum = 1, maximum = 100000, description = "Which page of that unit's accounts (1)."),
    ),
    responses((status = 200, description = "The organization", body = OrganizationRead)))]
pub async fn organization(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, Query(query): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    let (caller, management) = match management::<actions::AwsOrganization>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let page = match query.get("page").map(|p| p.parse::<usize>().ok().filter(|p| (1..=100_000).contains(p))) {
        None => None,
        Some(Some(page)) => Some(page),
        Some(None) => return invalid("page", "page is a whole number from 1."),
    };
    let unit = query.get("unit").cloned();
    if unit.as_ref().is_some_and(|u| u.chars().count() > 100) {
        return invalid("unit", "unit is a unit's id, as units lists it.");
    }
    answer_view(&state, caller.organization_id, &management, unit, page).await
}

/// Reads the organization from AWS now (as Read organization on its page); answers it as read.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/organization/read", tag = "AWS Organizations", operation_id = "read_aws_organization",
    params(("id" = i64, Path, description = "The management account's id.")),
    responses((status = 200, description = "The organization, read now", body = OrganizationRead)))]
pub async fn read_now(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let (caller, management) = match management::<actions::ReadAwsOrganization>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    if let Err(err) = crate::integrations::aws::organization::sync::read_now(&state, caller.organization_id, &management, &caller.actor()).await {
        return from_app_error(err);
    }
    answer_view(&state, caller.organization_id, &management, None, None).await
}

/// Link accounts: starts a run over every account a run may link (`all`), those new since the
/// first read (`new`), or the `selected` ones. It runs on: follow it with `runs/latest`.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/organization/runs", tag = "AWS Organizations", operation_id = "start_link_run",
    params(("id" = i64, Path, description = "The management account's id.")),
    request_body = StartRun,
    responses((status = 202, description = "Started", body = Run)))]
pub async fn start(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (caller, management) = match management::<actions::LinkOrganizationAccounts>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let Some(body) = serde_json::from_slice::<Value>(&body).ok().filter(Value::is_object) else {
        return invalid("body", "Send JSON: {\"scope\": \"all\"}, {\"scope\": \"new\"} or {\"scope\": \"selected\", \"selected\": [\"210987654321\"]}.");
    };
    let scope = body.get("scope").and_then(Value::as_str).unwrap_or_default();
    if !["all", "new", "selected"].contains(&scope) {
        return invalid("scope", "scope is all, new or selected.");
    }
    let selected = match body.get("selected") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(ids)) => match ids.iter().map(|i| i.as_str().map(str::to_string)).collect::<Option<Vec<_>>>() {
            Some(ids) => ids,
            None => return invalid("selected", "selected is a list of AWS account ids (strings)."),
        },
        Some(_) => return invalid("selected", "selected is a list of AWS account ids (strings)."),
    };
    if let Err(err) = actions::start_run(&state, caller.organization_id, &caller.actor(), &management, scope, selected).await {
        return from_app_error(err);
    }
    match actions::run_view(&state.pool, management.id).await {
        Ok(Some(view)) => (StatusCode::ACCEPTED, Json(run(view))).into_response(),
        Ok(None) => from_app_error(AppError::Internal),
        Err(err) => from_app_error(err),
    }
}

/// The newest Link accounts run, as it stands (404 if there was none).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/organization/runs/latest", tag = "AWS Organizations", operation_id = "get_latest_link_run",
    params(("id" = i64, Path, description = "The management account's id.")),
    responses((status = 200, description = "The run", body = Run)))]
pub async fn latest(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let (_, management) = match management::<actions::OrganizationProgress>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    match actions::run_view(&state.pool, management.id).await {
        Ok(Some(view)) => Json(run(view)).into_response(),
        Ok(None) => from_app_error(AppError::NotFound("No Link accounts run has been started for this organization.".into())),
        Err(err) => from_app_error(err),
    }
}

/// Excludes a unit or account (with all under it), includes it again although its parent is
/// excluded, or lets it follow its parent.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/organization/exclusions", tag = "AWS Organizations", operation_id = "set_exclusion",
    params(("id" = i64, Path, description = "The management account's id.")),
    request_body = ExclusionSet,
    responses((status = 200, description = "Saved", body = ExclusionSet)))]
pub async fn set_exclusion(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (caller, management) = match management::<actions::SetOrganizationExclusion>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let body = serde_json::from_slice::<Value>(&body).unwrap_or_default();
    let Some(node_id) = body.get("node_id").and_then(Value::as_str).filter(|n| !n.is_empty() && n.chars().count() <= 100) else {
        return invalid("node_id", "node_id is a unit's or an account's id, as the organization lists it.");
    };
    let choice = match body.get("exclusion").and_then(Value::as_str) {
        Some("excluded") => tree::Exclusion::Excluded,
        Some("included") => tree::Exclusion::Included,
        Some("follows") => tree::Exclusion::Follows,
        _ => return invalid("exclusion", "exclusion is excluded, included or follows."),
    };
    match actions::set_exclusion(&state, &caller.actor(), &management, node_id, choice).await {
        Ok(()) => Json(ExclusionSet { node_id: node_id.to_string(), exclusion: exclusion(choice).to_string() }).into_response(),
        Err(err) => from_app_error(err),
    }
}
