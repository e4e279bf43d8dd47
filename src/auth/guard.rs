//! Pages need a signed-in user: without one, a page request goes to sign-in (server functions
//! answer 401 themselves). Home obeys the first-login rule here, before anything renders.
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use crate::server::AppState;

const PUBLIC_PAGES: [&str; 2] = ["/signin", "/signup"];

pub async fn page_guard(State(state): State<AppState>, session: Session, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let path = path.as_str();
    if req.method() != Method::GET || !is_page(path) {
        return next.run(req).await;
    }
    let user = match super::session::current(&session, &state).await {
        Ok(user) => user,
        Err(err) => return err.into_response(),
    };
    let public = PUBLIC_PAGES.contains(&path);
    if let Some(user) = &user {
        // The page's own server-function calls find the user here (only this middleware sets it).
        req.extensions_mut().insert(user.clone());
    }
    match user {
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
fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/") || path.starts_with("/pkg/") || path == "/healthz")
        && !path.rsplit('/').next().unwrap_or("").contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_and_api_are_not_pages() {
        assert!(is_page("/"));
        assert!(is_page("/integrations/aws"));
        assert!(!is_page("/api/sign_in"));
        assert!(!is_page("/pkg/xops.js"));
        assert!(!is_page("/favicon.ico"));
        assert!(!is_page("/healthz"));
    }
}
