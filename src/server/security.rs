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
    if is_cross_site(origin, fetch_site, &config.public_url) {
        tracing::warn!(?origin, ?fetch_site, path = %req.uri().path(), "refused a cross-site request");
        return (StatusCode::FORBIDDEN, "Cross-site requests are not allowed.").into_response();
    }
    next.run(req).await
}

/// Browsers send `Origin` on every POST; `Sec-Fetch-Site` is the fallback when a privacy
/// setting strips it. A request with neither comes from no browser, so carries no victim's cookie.
pub fn is_cross_site(origin: Option<&str>, fetch_site: Option<&str>, public_origin: &str) -> bool {
    match origin {
        Some(origin) => !origin.eq_ignore_ascii_case(public_origin),
        None => matches!(fetch_site, Some(site) if site != "same-origin" && site != "none"),
    }
}

/// Headers on every response. Pages set their own Content-Security-Policy with the script
/// nonce; everything else gets the strictest one.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
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
        assert!(!is_cross_site(Some(me), None, me));
        assert!(is_cross_site(Some("https://evil.example"), Some("same-origin"), me), "Origin decides when present");
        assert!(is_cross_site(Some("null"), None, me));
        assert!(is_cross_site(None, Some("cross-site"), me));
        assert!(is_cross_site(None, Some("same-site"), me));
        assert!(!is_cross_site(None, Some("same-origin"), me));
        assert!(!is_cross_site(None, None, me), "not a browser: no ambient cookies to abuse");
    }
}
