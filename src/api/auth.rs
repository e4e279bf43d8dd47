//! Who calls the API: the Bearer token, its organization and what it may do; and the
//! problem+json answers (RFC 9457) of every refusal.
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

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
    /// The token's scope is `write`: it may change what the role may change.
    pub writes: bool,
    pub addr: String,
}

/// Last use is written at most this often per token, so that reading is not a write each time.
const NOTE_USE_EVERY_SECS: i64 = 60;

/// An RFC 9457 problem: its status, a title, and what to do.
pub fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    problem_about(status, title, detail, None)
}

/// A problem about one `field` of the request (the form's field, a parameter, a header), named
/// in the member `field`.
pub(super) fn problem_about(status: StatusCode, title: &str, detail: &str, field: Option<&str>) -> Response {
    let body = super::schema::Problem {
        kind: "about:blank".into(),
        title: title.into(),
        status: status.as_u16(),
        detail: detail.into(),
        field: field.map(str::to_string),
    };
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"xops\""));
    }
    res
}

/// 422: a parameter the API cannot take, named, with what it takes.
pub(super) fn invalid(field: &str, detail: &str) -> Response {
    problem_about(StatusCode::UNPROCESSABLE_ENTITY, "Invalid parameter", detail, Some(field))
}

/// An account name from a JSON body, no longer than the document allows (spaces included, which
/// the form would trim); a missing one is empty, which the operation refuses as the form does.
pub(super) fn account_name(body: &serde_json::Value) -> Result<String, Response> {
    let name = body.get("name").and_then(|v| v.as_str()).unwrap_or_default();
    if name.chars().count() > super::schema::ACCOUNT_NAME_MAX {
        return Err(invalid("name", &format!("Use at most {} characters for an account name.", super::schema::ACCOUNT_NAME_MAX)));
    }
    Ok(name.to_string())
}

/// An error of the portal's own, as a problem: its status and its sentence.
pub(super) fn from_app_error(err: crate::error::AppError) -> Response {
    use crate::error::AppError;
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let title = status.canonical_reason().unwrap_or("Error");
    match &err {
        // The field that was wrong, as the form shows the sentence beside it.
        AppError::Invalid { field, message } | AppError::Conflict { field, message } => {
            problem_about(status, title, message, Some(field))
        }
        _ => problem(status, title, &err.to_string()),
    }
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
    let found = crate::settings::api_token_store::presented(&state.pool, &crate::crypto::sha256(secret.as_bytes())).await.map_err(|e| e.into_response())?;
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
        crate::settings::api_token_store::used(&state.pool, token.id, now, &client.to_string()).await.map_err(|e| e.into_response())?;
    }
    Ok(Caller {
        token_id: token.id,
        token_name: token.name,
        organization_id: token.organization_id,
        organization_name: token.organization_name,
        role,
        writes: token.scope == "write",
        addr: client.to_string(),
    })
}

impl Caller {
    /// The audit log's name for what this token does.
    pub(super) fn actor(&self) -> crate::audit::Actor {
        crate::audit::Actor {
            organization_id: Some(self.organization_id),
            user_id: None,
            who: format!("API token \"{}\"", self.token_name),
            addr: self.addr.clone(),
        }
    }

    /// 403, before any input is read, unless this token may do what server function `S`
    /// does: the role table of `endpoints.rs`, applied to the token's role.
    pub(super) fn may<S: leptos::server_fn::ServerFn>(&self) -> Result<(), Response> {
        let endpoint = crate::endpoints::find(S::PATH);
        let Some(endpoint) = endpoint else {
            return Err(problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error", "This operation is missing from the role table."));
        };
        if !self.writes && endpoint.changes != crate::endpoints::Changes::Nothing {
            return Err(problem(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "This token's scope is read: it reads, and changes nothing. Make a write token for this.",
            ));
        }
        match endpoint.refusal(self.role) {
            Some(sentence) => Err(problem(StatusCode::FORBIDDEN, "Forbidden", &sentence)),
            None => Ok(()),
        }
    }
}

/// The caller, allowed to do what `S` does, and the account id of the path.
pub(super) async fn caller_for<S: leptos::server_fn::ServerFn>(
    state: &AppState,
    headers: &HeaderMap,
    peer: std::net::IpAddr,
    id: &str,
) -> Result<(Caller, i64), Response> {
    let caller = authenticate(state, headers, peer).await?;
    caller.may::<S>()?;
    let id = id.parse::<i64>().map_err(|_| invalid("id", "An account's id is a whole number, as the list gives it."))?;
    Ok((caller, id))
}
