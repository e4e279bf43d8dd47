//! Pages need a signed-in user: without one, a page request goes to sign-in (server functions
//! answer 401 themselves). Home obeys the first-login rule here, before anything renders.
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::server::AppState;

const PUBLIC_PAGES: [&str; 6] =
    ["/signin", "/signin/verify", "/signup", "/signup/sent", "/forgot-password", "/forgot-password/sent"];
/// Where a member whose organization requires a second factor, and who has none, is sent.
const ENROLMENT: &str = "/account/security";
/// Sign-up links: `/signup/confirm/<token>`.
const PUBLIC_PREFIXES: [&str; 1] = ["/signup/confirm/"];
/// Invitation and password reset links, for the signed-in and the signed-out alike (a person
/// signed in joins with one click; one who opens a reset link sees it, whoever is signed in).
const OPEN_PREFIXES: [&str; 2] = ["/invite/", "/reset-password/"];

pub async fn page_guard(State(state): State<AppState>, session: Session, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let path = path.as_str();
    if req.method() != Method::GET || !is_page(path, &state.config.site_root) {
        return next.run(req).await;
    }
    let user = match super::session::current(&session, &state).await {
        Ok(user) => user,
        Err(err) => return err.into_response(),
    };
    let public = PUBLIC_PAGES.contains(&path) || PUBLIC_PREFIXES.iter().any(|prefix| path.starts_with(prefix));
    if let Some(user) = &user {
        // The page's own server-function calls find the user here (only this middleware sets it).
        req.extensions_mut().insert(user.clone());
    }
    match user {
        Some(user) if user.must_enrol && path != ENROLMENT => {
            Redirect::to(ENROLMENT).into_response()
        }
        _ if OPEN_PREFIXES.iter().any(|prefix| path.starts_with(prefix)) => next.run(req).await,
        None if public => next.run(req).await,
        None => {
            let wanted = req.uri().path_and_query().map(|pq| pq.as_str()).unwrap_or("/");
            Redirect::to(&format!("/signin?next={}", crate::domain::percent_encode(wanted))).into_response()
        }
        Some(user) if public || path == "/" => {
            let landing = match crate::onboarding::landing::landing(&state.pool, user.organization_id).await {
                Ok(landing) => landing,
                Err(err) => return err.into_response(),
            };
            if public || landing != "/" {
                Redirect::to(landing).into_response()
            } else {
                next.run(req).await
            }
        }
        Some(_) => next.run(req).await,
    }
}

/// Pages are what the app routes; assets (`/pkg`, files with an extension), server functions
/// and the health check are not.
/// Server functions, the health check, built files, downloads (which check the session
/// themselves) and the public files of the site root are not pages; every other path is, dot or
/// no dot (`/integrations/microsoft/m365.x` is a page that must not render for anyone).
fn is_page(path: &str, site_root: &str) -> bool {
    const NOT_PAGES: [&str; 6] = ["/api/", "/pkg/", "/aws/templates/", "/certificates/", "/audit/export.csv", "/.well-known/"];
    if path == "/healthz" || path == "/readyz" || NOT_PAGES.iter().any(|prefix| path.starts_with(prefix)) {
        return false;
    }
    let public_file = path.rsplit('/').next().is_some_and(|last| last.contains('.'))
        && !path.split('/').any(|segment| segment == "..")
        && std::path::Path::new(site_root).join(path.trim_start_matches('/')).is_file();
    !public_file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_and_api_are_not_pages() {
        let site = env!("CARGO_MANIFEST_DIR").to_string() + "/public";
        assert!(is_page("/", &site));
        assert!(is_page("/integrations/aws", &site));
        assert!(is_page("/integrations/microsoft/m365.x", &site), "a dot does not make an asset");
        assert!(is_page("/../Cargo.toml", &site));
        assert!(!is_page("/favicon.svg", &site), "a file of the site root");
        assert!(!is_page("/api/sign_in", &site));
        assert!(!is_page("/pkg/xops.js", &site));
        assert!(!is_page("/aws/templates/management.yaml", &site));
        assert!(!is_page("/healthz", &site));
        assert!(!is_page("/.well-known/openid-configuration", &site), "the issuer's documents are public");
    }
}
