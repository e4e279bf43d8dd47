//! Linking over the API: the Link forms' operations, with the same verification and the same
//! refusals (as problems naming the form's field).
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::{account_name, authenticate, from_app_error, invalid};
use super::schema::{Account, LinkAws};
use crate::server::AppState;

/// Links an AWS or EKS account, as the Link form does: the role must trust Xops and require the
/// organization's External ID (read it from `GET /api/v1/organization`).
#[utoipa::path(post, path = "/api/v1/accounts/aws", tag = "Linking", operation_id = "link_aws_account",
    request_body = LinkAws,
    responses((status = 201, description = "Linked and verified", body = Account)))]
pub async fn link_aws(State(state): State<AppState>, ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
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
    let name = match account_name(&body) {
        Ok(name) => name,
        Err(problem) => return problem,
    };
    let linked = crate::integrations::aws::link::link(&state, caller.organization_id, &caller.actor(), &kind, &name, &field("role_arn")).await;
    match linked {
        Ok((id, _)) => match crate::accounts::find(&state.pool, caller.organization_id, id).await {
            Ok(account) => (StatusCode::CREATED, Json(Account::from(&account))).into_response(),
            Err(err) => from_app_error(err),
        },
        Err(err) => from_app_error(err),
    }
}
