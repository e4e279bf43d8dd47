//! Without JavaScript, a refused form comes back through a redirect that carries only the
//! error. This puts what the user typed (never a password) back into that redirect, so the
//! page can fill its fields again.
use axum::http::header::{ACCEPT, REFERER};
use leptos::prelude::*;
use leptos::server_fn::error::ServerFnUrlError;
use leptos::server_fn::ServerFn;

use crate::domain::percent_encode;
use crate::error::AppError;

/// Longer values are not carried (they would make the address too long): the user retypes them.
const MAX_KEPT: usize = 2048;

/// On `Err` from a plain form post, redirects back to the form with `kept` and the error.
pub fn keep_typed<S: ServerFn>(result: &Result<(), AppError>, kept: &[(&str, &str)]) {
    let Err(err) = result else { return };
    let Some(parts) = use_context::<axum::http::request::Parts>() else { return };
    let accepts_html = parts.headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/html"));
    let Some(referer) = parts.headers.get(REFERER).and_then(|v| v.to_str().ok()) else { return };
    if !accepts_html {
        return;
    }
    let page = referer.split(['?', '#']).next().unwrap_or(referer);
    let query: Vec<String> = kept
        .iter()
        .filter(|(_, v)| !v.is_empty() && v.len() <= MAX_KEPT)
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    let base = if query.is_empty() { page.to_string() } else { format!("{page}?{}", query.join("&")) };
    if let Ok(url) = ServerFnUrlError::new(S::PATH, err.clone()).to_url(&base) {
        leptos_axum::redirect(url.as_str(), false);
    }
}
