//! The API's endpoints, each over the function the pages use for the same thing.
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use super::auth::{authenticate, caller_for, from_app_error, invalid};
use crate::server::AppState;

/// `/api/v1`: its routes.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/organization", get(organization))
        .route("/api/v1/accounts", get(accounts))
        .route("/api/v1/accounts/{id}", get(account).patch(rename).delete(delete))
        .route("/api/v1/accounts/{id}/retest", axum::routing::post(retest))
        .route("/api/v1/accounts/aws", axum::routing::post(link_aws))
        .route("/api/v1/accounts/{id}/checks", get(checks))
        .route("/api/v1/health", get(health))
        .layer(axum::middleware::from_fn_with_state(state.clone(), super::idempotency::idempotent))
        // Outside: a replayed answer counts as a request too.
        .layer(axum::middleware::from_fn_with_state(state.clone(), super::rate_limit::limit))
}

/// PATCH /api/v1/accounts/{id} `{"name": "…"}`: renames the account; answers it renamed.
async fn rename(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (caller, id) = match caller_for::<crate::accounts::RenameAccount>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let name = serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|v| v.get("name")?.as_str().map(str::to_string));
    let Some(name) = name else {
        return invalid("name", "Send the new name as JSON: {\"name\": \"Payments production\"}.");
    };
    let renamed = crate::accounts::rename(&state, caller.organization_id, &caller.actor(), id, &name).await;
    match renamed.and(crate::accounts::find(&state.pool, caller.organization_id, id).await) {
        Ok(account) => Json(account_json(&account)).into_response(),
        Err(err) => from_app_error(err),
    }
}

/// DELETE /api/v1/accounts/{id}: deletes the account (204), but not one deleted through
/// support (409, as on the page).
async fn delete(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (caller, id) = match caller_for::<crate::accounts::DeleteAccount>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    match crate::accounts::delete(&state, caller.organization_id, &caller.actor(), id, None).await {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => from_app_error(err),
    }
}

/// POST /api/v1/accounts/aws `{"name", "role_arn", "kind": "management" | "linked" | "eks"}`:
/// the form's link, with the same verification (the role must require the organization's
/// External ID, read from GET /api/v1/organization); 201 with the account.
async fn link_aws(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let caller = match authenticate(&state, &headers, peer.ip()).await {
        Ok(caller) => caller,
        Err(problem) => return problem,
    };
    if let Err(problem) = caller.may::<crate::integrations::aws::link::LinkAwsAccount>() {
        return problem;
    }
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return invalid("body", "Send JSON: {\"name\": \"Payments\", \"role_arn\": \"arn:aws:iam::…:role/…\", \"kind\": \"linked\"}.");
    };
    let field = |name: &str| body.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let kind = field("kind");
    if !["management", "linked", "eks"].contains(&kind.as_str()) {
        return invalid("kind", "kind is management, linked or eks.");
    }
    let linked = crate::integrations::aws::link::link(&state, caller.organization_id, &caller.actor(), &kind, &field("name"), &field("role_arn")).await;
    match linked {
        Ok((id, _)) => match crate::accounts::find(&state.pool, caller.organization_id, id).await {
            Ok(account) => (StatusCode::CREATED, Json(account_json(&account))).into_response(),
            Err(err) => from_app_error(err),
        },
        Err(err) => from_app_error(err),
    }
}

/// GET /api/v1/health: the dashboard's counts: accounts connected, warning and failed, and
/// certificates expiring within 30 days.
async fn health(State(state): State<AppState>, ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>, headers: HeaderMap) -> Response {
    let caller = match authenticate(&state, &headers, peer.ip()).await {
        Ok(caller) => caller,
        Err(problem) => return problem,
    };
    if let Err(problem) = caller.may::<crate::health::dashboard::HealthOverview>() {
        return problem;
    }
    let expiring_before = crate::server::now() + crate::accounts::store::CERTIFICATE_WARNING_SECS;
    match crate::health::store::counts(&state.pool, caller.organization_id, expiring_before).await {
        Ok((connected, warning, failed, expiring)) => Json(json!({
            "connected": connected,
            "warning": warning,
            "failed": failed,
            "certificates_expiring": expiring,
        }))
        .into_response(),
        Err(err) => from_app_error(err),
    }
}

/// GET /api/v1/accounts/{id}/checks?before=…&limit=50: the account's checks, newest first;
/// `next_before` asks for older ones.
async fn checks(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Path(id): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (caller, id) = match caller_for::<crate::accounts::LoadAccountDetails>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let Some(before) = query.get("before").filter(|b| !b.is_empty()).map_or(Some(0), |b| b.parse::<i64>().ok().filter(|b| *b > 0)) else {
        return invalid("before", "before is the next_before of the page before; leave it out for the newest checks.");
    };
    let Some(limit) = query.get("limit").filter(|l| !l.is_empty()).map_or(Some(DEFAULT_LIMIT), |l| l.parse::<i64>().ok().filter(|l| (1..=MAX_LIMIT).contains(l)))
    else {
        return invalid("limit", &format!("limit is a whole number from 1 to {MAX_LIMIT}."));
    };
    // 404 for an account that is not the organization's, before any history.
    if let Err(err) = crate::accounts::find(&state.pool, caller.organization_id, id).await {
        return from_app_error(err);
    }
    match crate::accounts::check_store::history(&state.pool, caller.organization_id, id, before, limit + 1).await {
        Ok(rows) => {
            let more = rows.len() as i64 > limit;
            let page: Vec<_> = rows.iter().take(usize::try_from(limit).unwrap_or(0)).collect();
            let next = if more { page.last().map(|row| row.0.to_string()) } else { None };
            let checks: Vec<_> = page
                .iter()
                .map(|(_, at, reason, status, message, duration_ms)| {
                    json!({ "checked_at": crate::server::format_time(*at), "reason": reason, "status": status, "message": message, "duration_ms": duration_ms })
                })
                .collect();
            Json(json!({ "checks": checks, "next_before": next })).into_response()
        }
        Err(err) => from_app_error(err),
    }
}

/// POST /api/v1/accounts/{id}/retest: checks the account now; answers it as checked.
async fn retest(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let (caller, id) = match caller_for::<crate::integrations::retest::RetestAccount>(&state, &headers, peer.ip(), &id).await {
        Ok(found) => found,
        Err(problem) => return problem,
    };
    let checked = crate::integrations::retest::retest(&state, caller.organization_id, &caller.actor(), id).await;
    match checked.and(crate::accounts::find(&state.pool, caller.organization_id, id).await) {
        Ok(account) => Json(account_json(&account)).into_response(),
        Err(err) => from_app_error(err),
    }
}

/// Accounts per page, unless `limit` says otherwise (at most `MAX_LIMIT`).
const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

/// An account as the API shows it.
fn account_json(a: &crate::accounts::AccountSummary) -> serde_json::Value {
    let kind = a.kind.column();
    json!({
        "id": a.id,
        "provider": a.provider.as_str(),
        "kind": if kind.is_empty() { serde_json::Value::Null } else { kind.into() },
        "name": a.name,
        "external_account_id": a.external_account_id,
        "status": a.status.as_str(),
        "status_message": a.status_message,
        "last_checked": a.last_checked,
        "certificate_expires": a.certificate_expires,
    })
}

/// GET /api/v1/accounts?provider=aws&status=failed&cursor=…&limit=50: the organization's
/// accounts by id, a page at a time; `next_cursor` asks for the next page.
async fn accounts(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    use crate::domain::{AccountStatus, Provider};
    let caller = match authenticate(&state, &headers, peer.ip()).await {
        Ok(caller) => caller,
        Err(problem) => return problem,
    };
    let provider = match query.get("provider").map(String::as_str) {
        None | Some("") => None,
        Some(p) => match Provider::parse(p) {
            Some(p) => Some(p),
            None => return invalid("provider", "provider is one of aws, eks, azure, m365, entra."),
        },
    };
    let status = match query.get("status").map(String::as_str) {
        None | Some("") => None,
        Some(s) if AccountStatus::parse(s).as_str() == s => Some(AccountStatus::parse(s)),
        Some(_) => return invalid("status", "status is one of connected, warning, failed."),
    };
    let Some(after) = query.get("cursor").filter(|c| !c.is_empty()).map_or(Some(0), |c| c.parse::<i64>().ok().filter(|c| *c >= 0)) else {
        return invalid("cursor", "cursor is the next_cursor of the page before; leave it out for the first page.");
    };
    let Some(limit) = query.get("limit").filter(|l| !l.is_empty()).map_or(Some(DEFAULT_LIMIT), |l| l.parse::<i64>().ok().filter(|l| (1..=MAX_LIMIT).contains(l)))
    else {
        return invalid("limit", &format!("limit is a whole number from 1 to {MAX_LIMIT}."));
    };
    let select = crate::accounts::store::Select::After { provider, status, after, limit: limit + 1 };
    match crate::accounts::store::summaries(&state.pool, caller.organization_id, select).await {
        Ok(rows) => {
            let more = rows.len() as i64 > limit;
            let page: Vec<_> = rows.iter().take(usize::try_from(limit).unwrap_or(0)).map(|(a, _)| account_json(a)).collect();
            let next = if more { rows.get(usize::try_from(limit - 1).unwrap_or(0)).map(|(a, _)| a.id.to_string()) } else { None };
            Json(json!({ "accounts": page, "next_cursor": next })).into_response()
        }
        Err(err) => from_app_error(err),
    }
}

/// GET /api/v1/accounts/{id}: one of the organization's accounts (404 for any other id).
async fn account(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let caller = match authenticate(&state, &headers, peer.ip()).await {
        Ok(caller) => caller,
        Err(problem) => return problem,
    };
    let Ok(id) = id.parse::<i64>() else {
        return invalid("id", "An account's id is a whole number, as the list gives it.");
    };
    match crate::accounts::find(&state.pool, caller.organization_id, id).await {
        Ok(account) => Json(account_json(&account)).into_response(),
        Err(err) => from_app_error(err),
    }
}

/// GET /api/v1/organization: the organization and its External ID (what its AWS roles trust).
async fn organization(State(state): State<AppState>, ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>, headers: HeaderMap) -> Response {
    let caller = match authenticate(&state, &headers, peer.ip()).await {
        Ok(caller) => caller,
        Err(problem) => return problem,
    };
    match crate::auth::store::external_id(&state.pool, caller.organization_id).await {
        Ok(external_id) => Json(json!({
            "id": caller.organization_id,
            "name": caller.organization_name,
            "external_id": external_id,
        }))
        .into_response(),
        Err(err) => err.into_response(),
    }
}
