//! The public API, `/api/v1`: JSON, authenticated by `Authorization: Bearer xops_…` (tokens made
//! under Organization settings → API tokens, `settings/api_tokens.rs`). Errors are `application/problem+json` (RFC 9457).
//! A token acts in its organization with its scope, and never with more than its creator's
//! current role; it stops when revoked, expired, used from outside its networks, or when its
//! creator is no longer a member, at its next request on every replica. Its OpenAPI document is
//! `/api/v1/openapi.json` (`openapi.rs`).

#[cfg(feature = "ssr")]
mod accounts;
#[cfg(feature = "ssr")]
mod auth;
#[cfg(feature = "ssr")]
mod aws_organization;
#[cfg(feature = "ssr")]
mod idempotency;
#[cfg(feature = "ssr")]
mod linking;
#[cfg(feature = "ssr")]
mod microsoft;
#[cfg(feature = "ssr")]
pub mod openapi;
#[cfg(feature = "ssr")]
mod organization;
#[cfg(feature = "ssr")]
mod rate_limit;
pub mod reference;
#[cfg(feature = "ssr")]
mod schema;
#[cfg(feature = "ssr")]
mod store;

#[cfg(feature = "ssr")]
pub use auth::{authenticate, problem, Caller};

/// `/api/v1`: its routes; the document is public, every other route wants a token.
#[cfg(feature = "ssr")]
pub fn routes(state: &crate::server::AppState) -> axum::Router<crate::server::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/v1/organization", get(organization::organization))
        .route("/api/v1/health", get(organization::health))
        .route("/api/v1/accounts", get(accounts::list))
        .route("/api/v1/accounts/{id}", get(accounts::get).patch(accounts::rename).delete(accounts::delete))
        .route("/api/v1/accounts/{id}/retest", post(accounts::retest))
        .route("/api/v1/accounts/{id}/checks", get(accounts::checks))
        .route("/api/v1/accounts/aws", post(linking::link_aws))
        .route("/api/v1/certificates", post(microsoft::certificate))
        .route("/api/v1/federated-credentials", post(microsoft::federated_credential))
        .route("/api/v1/accounts/microsoft", post(microsoft::link))
        .route("/api/v1/accounts/{id}/subscriptions", get(microsoft::subscriptions).put(microsoft::update))
        .route("/api/v1/accounts/{id}/subscriptions/refresh", post(microsoft::refresh))
        .route("/api/v1/accounts/{id}/organization", get(aws_organization::organization))
        .route("/api/v1/accounts/{id}/organization/read", post(aws_organization::read_now))
        .route("/api/v1/accounts/{id}/organization/runs", post(aws_organization::start))
        .route("/api/v1/accounts/{id}/organization/runs/latest", get(aws_organization::latest))
        .route("/api/v1/accounts/{id}/organization/exclusions", axum::routing::put(aws_organization::set_exclusion))
        // On matched routes only: a method the API has not is 405, whatever its headers.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::idempotent))
        // Outside: a replayed answer counts as a request too.
        .layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::limit))
        .route("/api/v1/openapi.json", get(|| async { ([(axum::http::header::CONTENT_TYPE, "application/json")], openapi::json()) }))
}
