//! Middleware that every request passes: cross-site request refusal and security headers.
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::Config;

/// Refuses any state-changing request that a browser marks as coming from another site.
/// Server functions have no CSRF protection of their own (leptos-rs/leptos#3786).
pub async fn refuse_cross_site(State(config): State<Arc<Config>>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let with_session = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|cookies| cookies.split(';').any(|c| c.trim_start().starts_with("xops_session=")));
    if is_cross_site(origin, fetch_site, with_session, &config.public_url) {
        tracing::warn!(?origin, ?fetch_site, path = %req.uri().path(), "refused a cross-site request");
        return (StatusCode::FORBIDDEN, "Cross-site requests are not allowed.").into_response();
    }
    next.run(req).await
}

/// Browsers send `Origin` on every POST; `Sec-Fetch-Site` is the fallback when a privacy
/// setting strips it. A request with neither is no current browser's: refused if it carries a
/// session (an old browser's ambient cookie could be a victim's), let through otherwise.
pub fn is_cross_site(origin: Option<&str>, fetch_site: Option<&str>, with_session: bool, public_origin: &str) -> bool {
    match (origin, fetch_site) {
        (Some(origin), _) => !origin.eq_ignore_ascii_case(public_origin),
        (None, Some(site)) => site != "same-origin" && site != "none",
        (None, None) => with_session,
    }
}

/// Headers on every response. Pages set their own Content-Security-Policy with the script
/// nonce; everything else gets the strictest one. Pages and server-function answers (which
/// carry the organization's data) are never stored by the browser or a proxy; under https,
/// browsers are told to use nothing else.
pub async fn security_headers(State(config): State<Arc<Config>>, req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    let html = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    if (api || html) && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if config.secure_cookies() {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"),
        );
    }
    res
}

/// Bodies sent without a length (chunked) are read here, up to the limit: past it the answer
/// is 413 like for a declared length, not a server function's 400 about a failed read.
pub async fn limit_unsized_bodies(req: Request, next: Next) -> Response {
    let without_length = !req.headers().contains_key(header::CONTENT_LENGTH)
        && !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !without_length {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, super::MAX_BODY_BYTES).await {
        Ok(bytes) => next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(_) => (StatusCode::PAYLOAD_TOO_LARGE, "The request is larger than 1 MB.").into_response(),
    }
}

/// The Content-Security-Policy of a page whose inline hydration script carries `nonce`.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'self'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_site_rules() {
        let me = "http://127.0.0.1:3000";
        assert!(!is_cross_site(Some(me), None, true, me));
        assert!(is_cross_site(Some("https://evil.example"), Some("same-origin"), true, me), "Origin decides when present");
        assert!(is_cross_site(Some("null"), None, false, me));
        assert!(is_cross_site(None, Some("cross-site"), true, me));
        assert!(is_cross_site(None, Some("same-site"), true, me));
        assert!(!is_cross_site(None, Some("same-origin"), true, me));
        assert!(!is_cross_site(None, None, false, me), "no browser and no session: nothing to abuse");
        assert!(is_cross_site(None, None, true, me), "a session without Origin or Sec-Fetch-Site: a legacy browser");
    }
}
