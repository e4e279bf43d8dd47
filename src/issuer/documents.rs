//! The issuer's two public documents: OpenID discovery and the JWKS. Served by the portal at
//! its issuer URL, or written to a folder (`xops issuer export DIR`) for a deployment whose
//! portal is not reachable from the internet, to be served from where it is.
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::AppError;
use crate::server::{AppState, Pool};

use super::keys;

pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
/// Short enough that a verifier sees a newly published key well within `PUBLISHED_AHEAD`.
const CACHE_CONTROL: &str = "public, max-age=300";

/// The discovery document of issuer `issuer` (its URL, no trailing slash).
pub fn discovery(issuer: &str) -> serde_json::Value {
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"],
    })
}

/// The JWKS at `now`: the keys published then, newest first.
pub async fn jwks(pool: &Pool, now: i64) -> Result<serde_json::Value, AppError> {
    let all = super::store::keys(pool).await?;
    Ok(keys::jwks(&keys::published(&all, now)))
}

fn document(value: &serde_json::Value) -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, CACHE_CONTROL)], value.to_string()).into_response()
}

pub async fn discovery_handler(State(state): State<AppState>) -> Response {
    document(&discovery(&state.config.issuer_url))
}

pub async fn jwks_handler(State(state): State<AppState>) -> Response {
    match jwks(&state.pool, crate::server::now()).await {
        Ok(value) => document(&value),
        Err(err) => err.into_response(),
    }
}

/// Writes both documents under `dir` at the paths they are served from (`.well-known/...`),
/// after rolling the keys (the first key is made here if there is none); returns the paths.
pub async fn export(
    pool: &Pool,
    sealer: &crate::crypto::Sealer,
    issuer: &str,
    dir: &std::path::Path,
    now: i64,
) -> Result<Vec<std::path::PathBuf>, String> {
    super::signing::rollover(pool, sealer, now).await.map_err(|e| e.to_string())?;
    let jwks = jwks(pool, now).await.map_err(|e| e.to_string())?;
    let mut written = Vec::new();
    for (path, value) in [(DISCOVERY_PATH, discovery(issuer)), (JWKS_PATH, jwks)] {
        let file = dir.join(path.trim_start_matches('/'));
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&file, value.to_string()).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        written.push(file);
    }
    Ok(written)
}
