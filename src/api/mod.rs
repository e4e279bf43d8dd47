//! The public API, `/api/v1`: JSON, authenticated by `Authorization: Bearer xops_…` (tokens made
//! under Organization settings → API tokens, `settings/api_tokens.rs`). Errors are `application/problem+json` (RFC 9457).
//! A token acts in its organization with its scope, and never with more than its creator's
//! current role; it stops when revoked, expired, used from outside its networks, or when its
//! creator is no longer a member, at its next request on every replica.

#[cfg(feature = "ssr")]
mod auth;
#[cfg(feature = "ssr")]
mod endpoints;
#[cfg(feature = "ssr")]
mod idempotency;
#[cfg(feature = "ssr")]
mod rate_limit;
#[cfg(feature = "ssr")]
mod store;

#[cfg(feature = "ssr")]
pub use auth::{authenticate, problem, Caller};
#[cfg(feature = "ssr")]
pub use endpoints::routes;
