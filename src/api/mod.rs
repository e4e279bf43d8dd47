//! The public API, `/api/v1`: JSON, authenticated by `Authorization: Bearer xops_…` (tokens made
//! under Organization settings → API tokens, `settings/api_tokens.rs`). Errors are `application/problem+json` (RFC 9457).
//! A token acts in its organization with its scope, and never with more than its creator's
//! current role; it stops when revoked, expired, used from outside its networks, or when its
//! creator is no longer a member, at its next request on every replica.

#[cfg(feature = "ssr")]
mod idempotency;
#[cfg(feature = "ssr")]
mod rate_limit;
#[cfg(feature = "ssr")]
mod store;

#[cfg(feature = "ssr")]
pub use server::{authenticate, problem, routes, Caller};

#[cfg(feature = "ssr")]
mod server {
    use axum::extract::{ConnectInfo, Path, Query, State};
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
        /// The token's scope is `write`: it may change what the role may change.
        pub writes: bool,
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

    /// 422: a parameter the API cannot take, named, with what it takes.
    fn invalid(field: &str, detail: &str) -> Response {
        let mut res = problem(StatusCode::UNPROCESSABLE_ENTITY, "Invalid parameter", detail);
        let body = json!({ "type": "about:blank", "title": "Invalid parameter", "status": 422, "detail": detail, "field": field });
        *res.body_mut() = axum::body::Body::from(body.to_string());
        res
    }

    /// An error of the portal's own, as a problem: its status and its sentence.
    fn from_app_error(err: crate::error::AppError) -> Response {
        use crate::error::AppError;
        let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let title = status.canonical_reason().unwrap_or("Error");
        match &err {
            // The field that was wrong, as the form shows the sentence beside it.
            AppError::Invalid { field, message } | AppError::Conflict { field, message } => {
                let mut res = problem(status, title, message);
                let body = json!({ "type": "about:blank", "title": title, "status": status.as_u16(), "detail": message, "field": field });
                *res.body_mut() = axum::body::Body::from(body.to_string());
                res
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

    impl Caller {
        /// The audit log's name for what this token does.
        fn actor(&self) -> crate::audit::Actor {
            crate::audit::Actor {
                organization_id: Some(self.organization_id),
                user_id: None,
                who: format!("API token \"{}\"", self.token_name),
                addr: self.addr.clone(),
            }
        }

        /// 403, before any input is read, unless this token may do what server function `S`
        /// does: the role table of `endpoints.rs`, applied to the token's role.
        fn may<S: leptos::server_fn::ServerFn>(&self) -> Result<(), Response> {
            let endpoint = crate::endpoints::all().into_iter().find(|e| e.path == S::PATH);
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
    async fn caller_for<S: leptos::server_fn::ServerFn>(
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
}
