//! Forms without JavaScript. A refused form comes back through a redirect to the page it was
//! sent from, with the error in the URL (`__err`, Leptos's form redirects). `keep_typed` puts
//! what the user typed (never a password) into that redirect; `signed_form_errors` keeps it on
//! our own origin and signs the error, and refuses to show errors it did not sign, so that a
//! crafted link cannot put words in the portal's mouth. The signature is bound to the browser
//! that sent the form (a random `xops_form` cookie) and expires after ten minutes, so a signed
//! error cannot be replayed into another person's page.
use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, LOCATION, REFERER};
use axum::http::{HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;

use super::AppState;
use crate::domain::percent_encode;
use crate::error::AppError;

const ERROR_KEYS: [&str; 4] = ["__path", "__err", "__exp", "__sig"];

/// The cookie a signed error is bound to, and how long the signature holds.
const BINDING_COOKIE: &str = "xops_form";
const ERROR_LIFETIME_SECS: i64 = 600;

/// Longer values are not carried (they would make the address too long): the user retypes them.
const MAX_KEPT: usize = 2048;

/// Where a finished form leads, with its `notice`: back to the page it was opened on
/// (`return_to`, a path on this origin with at most a list's page number), else `fallback`.
pub fn back_to(return_to: Option<&str>, fallback: &str, notice: &str) -> String {
    let page = return_to.and_then(|target| {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let local = crate::domain::is_local_path(path) && path.len() <= 256;
        let query_ok = query.is_empty()
            || query.strip_prefix("page=").is_some_and(|n| !n.is_empty() && n.len() < 10 && n.bytes().all(|b| b.is_ascii_digit()));
        (local && query_ok).then_some(target)
    });
    let page = page.unwrap_or(fallback);
    let separator = if page.contains('?') { '&' } else { '?' };
    format!("{page}{separator}notice={notice}")
}

/// On `Err` from a plain form post, redirects back to the form with `kept` and the error.
pub fn keep_typed<S: ServerFn>(result: &Result<(), AppError>, kept: &[(&str, &str)]) {
    let Err(err) = result else { return };
    let Some(parts) = use_context::<axum::http::request::Parts>() else { return };
    let accepts_html = parts.headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    let Some(referer) = parts.headers.get(REFERER).and_then(|v| v.to_str().ok()) else { return };
    if !accepts_html {
        return;
    }
    // Only the path: the origin is ours whatever the Referer says.
    let Ok(referer) = referer.parse::<Uri>() else { return };
    let page = referer.path();
    let query: Vec<String> = kept
        .iter()
        .filter(|(_, v)| !v.is_empty() && v.len() <= MAX_KEPT)
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    let Ok(state) = super::state() else { return };
    let origin = &state.config.public_url;
    let base = if query.is_empty() { format!("{origin}{page}") } else { format!("{origin}{page}?{}", query.join("&")) };
    if let Ok(url) = ServerFnUrlError::new(S::PATH, err.clone()).to_url(&base) {
        leptos_axum::redirect(url.as_str(), false);
    }
}

/// Signs the errors of form redirects on their way out (and keeps their Location on this
/// origin, as a path), and sends pages asked for with an unsigned, altered, expired or another
/// browser's error to the same page without it.
pub async fn signed_form_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let binding = cookie(req.headers(), BINDING_COOKIE);
    let now = super::now();
    if req.method() == Method::GET && req.uri().query().is_some_and(|q| q.contains("__err")) {
        let query: Vec<(String, String)> = pairs(req.uri().query().unwrap_or_default());
        let value = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let signed = match (value("__path"), value("__err"), value("__exp"), value("__sig"), binding.as_deref()) {
            (Some(path), Some(err), Some(exp), Some(sig), Some(binding)) => {
                exp.parse::<i64>().is_ok_and(|exp| valid_error_signature(&state.sealer, path, err, binding, exp, sig, now))
            }
            _ => false,
        };
        if !signed {
            let kept: Vec<String> = query
                .iter()
                .filter(|(k, _)| !ERROR_KEYS.contains(&k.as_str()))
                .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
                .collect();
            let path = req.uri().path();
            let target = if kept.is_empty() { path.to_string() } else { format!("{path}?{}", kept.join("&")) };
            return redirect_to(&target);
        }
        return next.run(req).await;
    }
    let secure = state.config.secure_cookies();
    let mut res = next.run(req).await;
    let location = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).and_then(|l| l.parse::<Uri>().ok());
    if let Some(location) = location.filter(|l| l.query().is_some_and(|q| q.contains("__err"))) {
        let (binding, new_cookie) = match binding {
            Some(binding) => (binding, None),
            None => {
                let fresh = new_binding();
                let flags = if secure { "; Secure" } else { "" };
                (fresh.clone(), Some(format!("{BINDING_COOKIE}={fresh}; Path=/; HttpOnly; SameSite=Lax{flags}")))
            }
        };
        let query = pairs(location.query().unwrap_or_default());
        let value = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).unwrap_or_default();
        let exp = now + ERROR_LIFETIME_SECS;
        let sig = error_signature(&state.sealer, value("__path"), value("__err"), &binding, exp);
        let kept: Vec<String> = query
            .iter()
            .filter(|(k, _)| k != "__sig" && k != "__exp")
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        let target = format!("{}?{}&__exp={exp}&__sig={sig}", location.path(), kept.join("&"));
        if let Ok(value) = HeaderValue::from_str(&target) {
            res.headers_mut().insert(LOCATION, value);
        }
        if let Some(cookie) = new_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
            res.headers_mut().append(axum::http::header::SET_COOKIE, cookie);
        }
    }
    res
}

/// The signature of an error shown on `path` to the browser holding `binding`, until `exp`.
fn error_signature(sealer: &crate::crypto::Sealer, path: &str, err: &str, binding: &str, exp: i64) -> String {
    sealer.sign(format!("form error\n{path}\n{err}\n{binding}\n{exp}").as_bytes())
}

fn valid_error_signature(sealer: &crate::crypto::Sealer, path: &str, err: &str, binding: &str, exp: i64, sig: &str, now: i64) -> bool {
    exp >= now && exp <= now + ERROR_LIFETIME_SECS && sealer.verify_signature(format!("form error\n{path}\n{err}\n{binding}\n{exp}").as_bytes(), sig)
}

/// 128 random bits, base64url.
fn new_binding() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
        .filter(|value| !value.is_empty() && value.len() <= 256)
}

/// The decoded pairs of a query string, in order.
fn pairs(query: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn redirect_to(target: &str) -> Response {
    match HeaderValue::from_str(target) {
        Ok(location) => (StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::back_to;

    #[test]
    fn a_signed_error_holds_for_its_browser_path_and_ten_minutes_only() {
        let sealer = crate::crypto::Sealer::from_key(&[7; 32]).unwrap_or_else(|e| panic!("{e}"));
        let sig = super::error_signature(&sealer, "/p", "Refused", "browser-a", 1_600);
        let valid = |path: &str, err: &str, binding: &str, exp: i64, now: i64| {
            super::valid_error_signature(&sealer, path, err, binding, exp, &sig, now)
        };
        assert!(valid("/p", "Refused", "browser-a", 1_600, 1_000));
        assert!(!valid("/p", "Refused", "browser-b", 1_600, 1_000), "another browser's");
        assert!(!valid("/q", "Refused", "browser-a", 1_600, 1_000), "another page's");
        assert!(!valid("/p", "Call +1-555-0100", "browser-a", 1_600, 1_000), "other words");
        assert!(!valid("/p", "Refused", "browser-a", 1_600, 1_601), "expired");
        assert!(!valid("/p", "Refused", "browser-a", 1_700, 1_000), "an expiry it was not signed with");
    }

    #[test]
    fn finished_forms_lead_back_only_to_our_own_pages() {
        assert_eq!(back_to(Some("/integrations"), "/x", "renamed"), "/integrations?notice=renamed");
        assert_eq!(back_to(Some("/integrations/aws?page=3"), "/x", "renamed"), "/integrations/aws?page=3&notice=renamed");
        assert_eq!(back_to(None, "/integrations/eks", "deleted"), "/integrations/eks?notice=deleted");
        for hostile in ["//evil.example/", "https://evil.example/", "/\\evil.example", "/a?notice=hacked", "/a?page=1&x=2", "relative"] {
            assert_eq!(back_to(Some(hostile), "/x", "renamed"), "/x?notice=renamed", "{hostile}");
        }
    }
}
