//! `Idempotency-Key` on the API's mutations: a client that retries a request (a timeout, a
//! pipeline run again) with the same key gets the first answer and the change happens once.
//! Keys belong to their token, and are kept a day. The same key with another request is a 422;
//! while the first request with a key still runs, a second gets 409 and `Retry-After: 1`. An
//! answer of ours that failed (5xx) is not kept, so the retry runs again.
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::server::AppState;

const HEADER: &str = "idempotency-key";
/// Answers larger than this are not kept (the API's answers are a few KB).
const MAX_KEPT_BYTES: usize = 256 * 1024;

pub async fn idempotent(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if ![Method::POST, Method::PUT, Method::PATCH, Method::DELETE].contains(req.method()) {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER).map(|v| v.to_str().map(str::to_string)) else {
        return next.run(req).await;
    };
    let Some(key) = key.ok().filter(|k| !k.is_empty() && k.len() <= 255 && k.chars().all(|c| c.is_ascii_graphic())) else {
        return invalid_key("An Idempotency-Key is 1 to 255 visible ASCII characters, say a UUID.");
    };
    let Some(token) = req.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string) else {
        return next.run(req).await; // refused by the endpoint, as any unauthenticated call
    };
    let (parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, crate::server::MAX_BODY_BYTES).await else {
        return super::auth::problem(StatusCode::PAYLOAD_TOO_LARGE, "Payload Too Large", "The request body is over 1 MB.");
    };
    let token_hash = crate::crypto::sha256(token.as_bytes());
    let mut request = format!("{} {}\n", parts.method, parts.uri.path()).into_bytes();
    request.extend_from_slice(&body);
    let request_hash = crate::crypto::sha256(&request);
    let held = match super::store::claim(&state.pool, &token_hash, &key, &request_hash, crate::server::now()).await {
        Ok(held) => held,
        Err(err) => return err.into_response(),
    };
    match held {
        Some(held) if held.request_hash != request_hash.as_slice() => invalid_key(
            "This Idempotency-Key was used with another request in the last 24 hours. Use a new key for a new request.",
        ),
        Some(held) => match held.answer {
            Some((status, content_type, body)) => replay(status, &content_type, body),
            None => {
                let mut res = super::auth::problem(
                    StatusCode::CONFLICT,
                    "Conflict",
                    "A request with this Idempotency-Key is still running. Retry in a moment to get its answer.",
                );
                res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                res
            }
        },
        None => {
            let res = next.run(Request::from_parts(parts, Body::from(body))).await;
            keep(&state, &token_hash, &key, res).await
        }
    }
}

/// Keeps the answer of a claimed key (or frees the key if the answer was a failure of ours),
/// and gives it to the client.
async fn keep(state: &AppState, token_hash: &[u8], key: &str, res: Response) -> Response {
    let status = res.status();
    let content_type = res.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let (parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_KEPT_BYTES).await else {
        let _ = super::store::release(&state.pool, token_hash, key).await;
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let kept = if status.is_server_error() {
        super::store::release(&state.pool, token_hash, key).await
    } else {
        super::store::answer(&state.pool, token_hash, key, i64::from(status.as_u16()), &content_type, &text).await
    };
    if let Err(err) = kept {
        tracing::error!(error = %err, "an idempotent answer could not be kept");
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn replay(status: i64, content_type: &str, body: String) -> Response {
    let status = u16::try_from(status).ok().and_then(|s| StatusCode::from_u16(s).ok()).unwrap_or(StatusCode::OK);
    let mut res = (status, body).into_response();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        if !content_type.is_empty() {
            res.headers_mut().insert(header::CONTENT_TYPE, value);
        }
    }
    res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}

fn invalid_key(detail: &str) -> Response {
    super::auth::problem_about(StatusCode::UNPROCESSABLE_ENTITY, "Invalid Idempotency-Key", detail, Some("Idempotency-Key"))
}
