//! The API's rate limit: requests per token per minute (`XOPS_API_REQUESTS_PER_MINUTE`, 600),
//! counted in the database so that every replica counts the same. Past it, 429 with
//! `Retry-After`; every answer says where the token stands (`RateLimit-Policy`, `RateLimit`:
//! the IETF httpapi draft's fields).
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::server::AppState;

pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let secret = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
    let Some(secret) = secret else {
        return next.run(req).await; // refused by the endpoint, as any unauthenticated call
    };
    let per_minute = i64::from(state.config.api_requests_per_minute);
    let now = crate::server::now();
    let window = now - now.rem_euclid(60);
    let used = match super::store::count_request(&state.pool, &crate::crypto::sha256(secret.as_bytes()), window).await {
        Ok(Some(used)) => used,
        // No such token: the endpoint refuses it (401) without a count.
        Ok(None) => return next.run(req).await,
        Err(err) => return err.into_response(),
    };
    let reset = window + 60 - now;
    let mut res = if used > per_minute {
        let mut res = super::auth::problem(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            &format!("This token made {per_minute} requests this minute, its limit. Retry in {reset} s."),
        );
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(reset));
        res
    } else {
        next.run(req).await
    };
    let remaining = (per_minute - used).max(0);
    if let Ok(policy) = HeaderValue::from_str(&format!("\"per-token\";q={per_minute};w=60")) {
        res.headers_mut().insert("ratelimit-policy", policy);
    }
    if let Ok(status) = HeaderValue::from_str(&format!("\"per-token\";r={remaining};t={reset}")) {
        res.headers_mut().insert("ratelimit", status);
    }
    res
}
