//! `/api/v1/organization` and `/api/v1/health`: what a pipeline reads before it links, and the
//! health dashboard's counts.
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::auth::{authenticate, from_app_error};
use super::schema::{HealthCounts, Organization};
use crate::server::AppState;

/// The organization and its External ID, which its AWS roles must require.
#[utoipa::path(get, path = "/api/v1/organization", tag = "Organization", operation_id = "get_organization",
    responses((status = 200, description = "The token's organization", body = Organization)))]
pub async fn organization(State(state): State<AppState>, ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>, headers: HeaderMap) -> Response {
    let caller = match authenticate(&state, &headers, peer.ip()).await {
        Ok(caller) => caller,
        Err(problem) => return problem,
    };
    match crate::auth::store::external_id(&state.pool, caller.organization_id).await {
        Ok(external_id) => {
            let aws_principal = state.aws.principal_arn().await.ok();
            Json(Organization { id: caller.organization_id, name: caller.organization_name, external_id, aws_principal }).into_response()
        }
        Err(err) => from_app_error(err),
    }
}

/// The health dashboard's counts: accounts connected, warning and failed, and certificates
/// expiring within 30 days.
#[utoipa::path(get, path = "/api/v1/health", tag = "Health", operation_id = "get_health",
    responses((status = 200, description = "The dashboard's counts", body = HealthCounts)))]
pub async fn health(State(state): State<AppState>, ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>, headers: HeaderMap) -> Response {
    let caller = match authenticate(&state, &headers, peer.ip()).await {
        Ok(caller) => caller,
        Err(problem) => return problem,
    };
    if let Err(problem) = caller.may::<crate::health::dashboard::HealthOverview>() {
        return problem;
    }
    let expiring_before = crate::server::now() + crate::accounts::store::CERTIFICATE_WARNING_SECS;
    match crate::health::store::counts(&state.pool, caller.organization_id, expiring_before).await {
        Ok((connected, warning, failed, certificates_expiring)) => {
            Json(HealthCounts { connected, warning, failed, certificates_expiring }).into_response()
        }
        Err(err) => from_app_error(err),
    }
}
