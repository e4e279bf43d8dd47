//! `/api/v1/accounts`: list, read, rename, delete, re-test, and an account's checks, each over
//! the function the pages use for the same thing.
use std::collections::HashMap;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::{account_name, authenticate, caller_for, from_app_error, invalid};
use super::schema::{Account, AccountPage, Check, CheckPage, ProviderName, Rename, StatusName};
use crate::server::AppState;

type Peer = ConnectInfo<std::net::SocketAddr>;

/// Accounts or checks per page, unless `limit` says otherwise (at most `MAX_LIMIT`).
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

/// `limit` of a query: absent is the default; otherwise 1 to `MAX_LIMIT`.
fn limit(query: &HashMap<String, String>) -> Result<i64, Response> {
    match query.get("limit") {
        None => Ok(DEFAULT_LIMIT),
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| invalid("limit", &format!("limit is a whole number from 1 to {MAX_LIMIT}."))),
    }
}

/// A position parameter (`cursor`, `before`): absent is the start; otherwise a positive id.
fn position(query: &HashMap<String, String>, name: &str, detail: &str) -> Result<i64, Response> {
    match query.get(name) {
        None => Ok(0),
        Some(p) => p.parse::<i64>().ok().filter(|p| *p > 0).ok_or_else(|| invalid(name, detail)),
    }
}

/// The organization's accounts, by id, a page at a time.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "Accounts", operation_id = "list_accounts",
    params(
        ("provider" = Option<ProviderName>, Query, description = "Only this provider's accounts."),
        ("status" = Option<StatusName>, Query, description = "Only the accounts in this state."),
        ("cursor" = Option<String>, Query, pattern = "^[1-9][0-9]{0,17}$", description = "The `next_cursor` of the page before; leave it out for the first page."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Accounts per page (50)."),
    ),
    responses((status = 200, description = "A page of accounts", body = AccountPage)))]
pub async fn list(State(state): State<AppState>, ConnectInfo(peer): Peer, Query(query): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    use crate::domain::{AccountStatus, Provider};
    let caller = match authenticate(&state, &headers, peer.ip()).await {
        Ok(caller) => caller,
        Err(problem) => return problem,
    };
    let provider = match query.get("provider").map(String::as_str) {
        None => None,
        Some(p) => match Provider::parse(p) {
            Some(p) => Some(p),
            None => return invalid("provider", "provider is one of aws, eks, azure, m365, entra."),
        },
    };
    let status = match query.get("status").map(String::as_str) {
        None => None,
        Some(s) if AccountStatus::parse(s).as_str() == s => Some(AccountStatus::parse(s)),
        Some(_) => return invalid("status", "status is one of connected, warning, failed."),
    };
    let after = match position(&query, "cursor", "cursor is the next_cursor of the page before; leave it out for the first page.") {
        Ok(after) => after,
        Err(problem) => return problem,
    };
    let limit = match limit(&query) {
        Ok(limit) => limit,
        Err(problem) => return problem,
    };
    let select = crate::accounts::store::Select::After { provider, status, after, limit: limit + 1 };
    match crate::accounts::store::summaries(&state.pool, caller.organization_id, select).await {
        Ok(rows) => {
            let more = rows.len() as i64 > limit;
            let accounts: Vec<Account> = rows.iter().take(usize::try_from(limit).unwrap_or(0)).map(|(a, _)| Account::from(a)).collect();
            let next_cursor = if more { accounts.last().map(|a| a.id.to_string()) } else { None };
            Json(AccountPage { accounts, next_cursor }).into_response()
        }
        Err(err) => from_app_error(err),
    }
}

/// One of the organization's accounts (404 for any other id).
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "Accounts", operation_id = "get_account",
    params(("id" = i64, Path, description = "The account's id, as the list gives it.")),
    responses((status = 200, description = "The account", body = Account)))]
pub async fn get(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let (caller, id) = match caller_for::<crate::accounts::LoadAccountDetails>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    match crate::accounts::find(&state.pool, caller.organization_id, id).await {
        Ok(account) => Json(Account::from(&account)).into_response(),
        Err(err) => from_app_error(err),
    }
}

/// Renames the account; answers it renamed.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "Accounts", operation_id = "rename_account",
    params(("id" = i64, Path, description = "The account's id.")),
    request_body = Rename,
    responses((status = 200, description = "The account, renamed", body = Account)))]
pub async fn rename(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let (caller, id) = match caller_for::<crate::accounts::RenameAccount>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let Some(body) = serde_json::from_slice::<serde_json::Value>(&body).ok().filter(|v| v.get("name").is_some_and(|n| n.is_string())) else {
        return invalid("name", "Send the new name as JSON: {\"name\": \"Payments production\"}.");
    };
    let name = match account_name(&body) {
        Ok(name) => name,
        Err(problem) => return problem,
    };
    let renamed = crate::accounts::rename(&state, caller.organization_id, &caller.actor(), id, &name).await;
    match renamed.and(crate::accounts::find(&state.pool, caller.organization_id, id).await) {
        Ok(account) => Json(Account::from(&account)).into_response(),
        Err(err) => from_app_error(err),
    }
}

/// Deletes the account, but not one the guide deletes through a support request (409, as on
/// the page).
#[utoipa::path(delete, path = "/api/v1/accounts/{id}", tag = "Accounts", operation_id = "delete_account",
    params(("id" = i64, Path, description = "The account's id.")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let (caller, id) = match caller_for::<crate::accounts::DeleteAccount>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    match crate::accounts::delete(&state, caller.organization_id, &caller.actor(), id, None).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => from_app_error(err),
    }
}

/// Checks the account now, as Re-test on its page does; answers it as checked.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/retest", tag = "Accounts", operation_id = "retest_account",
    params(("id" = i64, Path, description = "The account's id.")),
    responses((status = 200, description = "The account, just checked", body = Account)))]
pub async fn retest(State(state): State<AppState>, ConnectInfo(peer): Peer, Path(id): Path<String>, headers: HeaderMap) -> Response {
    let (caller, id) = match caller_for::<crate::integrations::retest::RetestAccount>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let checked = crate::integrations::retest::retest(&state, caller.organization_id, &caller.actor(), id).await;
    match checked.and(crate::accounts::find(&state.pool, caller.organization_id, id).await) {
        Ok(account) => Json(Account::from(&account)).into_response(),
        Err(err) => from_app_error(err),
    }
}

/// The account's checks, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/checks", tag = "Health", operation_id = "list_checks",
    params(
        ("id" = i64, Path, description = "The account's id."),
        ("before" = Option<String>, Query, pattern = "^[1-9][0-9]{0,17}$", description = "The `next_before` of the page before; leave it out for the newest checks."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 200, description = "Checks per page (50)."),
    ),
    responses((status = 200, description = "A page of checks", body = CheckPage)))]
pub async fn checks(
    State(state): State<AppState>,
    ConnectInfo(peer): Peer,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (caller, id) = match caller_for::<crate::accounts::LoadAccountDetails>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let before = match position(&query, "before", "before is the next_before of the page before; leave it out for the newest checks.") {
        Ok(before) => before,
        Err(problem) => return problem,
    };
    let limit = match limit(&query) {
        Ok(limit) => limit,
        Err(problem) => return problem,
    };
    // 404 for an account that is not the organization's, before any history.
    if let Err(err) = crate::accounts::find(&state.pool, caller.organization_id, id).await {
        return from_app_error(err);
    }
    match crate::accounts::check_store::history(&state.pool, caller.organization_id, id, before, limit + 1).await {
        Ok(rows) => {
            let more = rows.len() as i64 > limit;
            let page: Vec<_> = rows.iter().take(usize::try_from(limit).unwrap_or(0)).collect();
            let next_before = if more { page.last().map(|row| row.0.to_string()) } else { None };
            let checks = page
                .into_iter()
                .map(|(_, at, reason, status, message, duration_ms)| Check {
                    checked_at: crate::server::format_time(*at),
                    reason: reason.clone(),
                    status: status.clone(),
                    message: message.clone(),
                    duration_ms: *duration_ms,
                })
                .collect();
            Json(CheckPage { checks, next_before }).into_response()
        }
        Err(err) => from_app_error(err),
    }
}
