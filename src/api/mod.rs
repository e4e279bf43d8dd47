//! The public API, `/api/v1`: JSON, authenticated by `Authorization: Bearer xops_…` (tokens made
//! under Organization settings → API tokens). Errors are `application/problem+json` (RFC 9457).
//! A token acts in its organization with its scope, and never with more than its creator's
//! current role; it stops when revoked, expired, used from outside its networks, or when its
//! creator is no longer a member, at its next request on every replica.
#[cfg(feature = "ssr")]
pub mod store;
pub mod tokens;

#[cfg(feature = "ssr")]
pub use server::{authenticate, problem, routes, Caller};

#[cfg(feature = "ssr")]
mod server {
    use axum::extract::{ConnectInfo, State};
    use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use axum::{Json, Router};
    use serde_json::json;

    use crate::domain::Role;
    use crate::server::AppState;

    /// Who is calling: a token, in its organization, with what it may do.
    #[derive(Debug, Clone)]
    pub struct Caller {
        pub token_id: i64,
        pub token_name: String,
        pub organization_id: i64,
        pub organization_name: String,
        /// The creator's role now, capped by the scope: a read token acts as a Viewer.
        pub role: Role,
        pub addr: String,
    }

    /// Last use is written at most this often per token, so that reading is not a write each time.
    const NOTE_USE_EVERY_SECS: i64 = 60;

    /// An RFC 9457 problem: its status, a title, and what to do.
    pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
        let body = json!({ "type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail });
        let mut res = (status, Json(body)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"xops\""));
        }
        res
    }

    fn unauthorized(detail: &str) -> Response {
        problem(StatusCode::UNAUTHORIZED, "Unauthorized", detail)
    }

    /// The caller a request's bearer token names, or the problem to answer.
    pub async fn authenticate(state: &AppState, headers: &HeaderMap, peer: std::net::IpAddr) -> Result<Caller, Response> {
        let Some(secret) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|s| s.starts_with("xops_") && s.len() <= 100)
        else {
            return Err(unauthorized("Send an API token: `Authorization: Bearer xops_…` (Organization settings → API tokens)."));
        };
        let found = super::store::presented(&state.pool, &crate::crypto::sha256(secret.as_bytes())).await.map_err(|e| e.into_response())?;
        let Some(token) = found else {
            return Err(unauthorized("This token is not known. Check that it was copied whole, or make a new one."));
        };
        let now = crate::server::now();
        if token.revoked_at.is_some() {
            return Err(unauthorized("This token was revoked. Make a new one under Organization settings → API tokens."));
        }
        if token.expires_at.is_some_and(|at| at <= now) {
            return Err(unauthorized("This token has expired. Make a new one under Organization settings → API tokens."));
        }
        let Some(creator_role) = token.creator_role.as_deref().and_then(|r| Role::parse(r).ok()) else {
            return Err(unauthorized("The person who made this token is no longer a member: it stopped working. Make a new one."));
        };
        let client = crate::net::client_ip(peer, headers, &state.config.trusted_proxies);
        let networks = crate::net::Cidr::parse_list(&token.allowed_networks).unwrap_or_default();
        if !networks.is_empty() && !networks.iter().any(|n| n.contains(client)) {
            return Err(problem(
                StatusCode::FORBIDDEN,
                "Forbidden",
                &format!("This token may not be used from {client}: it is limited to {}.", token.allowed_networks),
            ));
        }
        let role = if token.scope == "write" { creator_role } else { Role::Viewer };
        if token.last_used_at.is_none_or(|at| now - at >= NOTE_USE_EVERY_SECS) {
            super::store::used(&state.pool, token.id, now, &client.to_string()).await.map_err(|e| e.into_response())?;
        }
        Ok(Caller {
            token_id: token.id,
            token_name: token.name,
            organization_id: token.organization_id,
            organization_name: token.organization_name,
            role,
            addr: client.to_string(),
        })
    }

    /// `/api/v1`: its routes.
    pub fn routes() -> Router<AppState> {
        Router::new().route("/api/v1/organization", get(organization))
    }

    /// GET /api/v1/organization: the organization and its External ID (what its AWS roles trust).
    async fn organization(State(state): State<AppState>, ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>, headers: HeaderMap) -> Response {
        let caller = match authenticate(&state, &headers, peer.ip()).await {
            Ok(caller) => caller,
            Err(problem) => return problem,
        };
        match super::store::external_id(&state.pool, caller.organization_id).await {
            Ok(external_id) => Json(json!({
                "id": caller.organization_id,
                "name": caller.organization_name,
                "external_id": external_id,
            }))
            .into_response(),
            Err(err) => err.into_response(),
        }
    }
}
