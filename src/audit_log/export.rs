//! The audit page's "Download CSV": the filtered rows, newest first, streamed a thousand at a
//! time, so a trail of millions of rows is neither held in memory nor kept waiting for.
use std::sync::{Arc, OnceLock};

use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{action_label, store, Filters};
use crate::domain::Role;
use crate::error::AppError;
use crate::server::AppState;

const ROWS_PER_READ: i64 = 1000;
/// Exports running at once per replica: each reads the database for as long as it streams.
const AT_ONCE: usize = 2;

/// GET /audit/export.csv?member=…&action=…&account=…&from=…&to=…
pub async fn download(State(state): State<AppState>, RawQuery(raw): RawQuery, session: tower_sessions::Session) -> Response {
    let user = match crate::auth::session::current(&session, &state).await {
        Ok(Some(user)) => user,
        Ok(None) => return AppError::Unauthorized.into_response(),
        Err(err) => return err.into_response(),
    };
    if !user.role.includes(Role::Admin) {
        return AppError::Forbidden("Only an Admin or Owner can read the audit log.".into()).into_response();
    }
    let raw = raw.unwrap_or_default();
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes()).into_owned().collect();
    let filters = Filters::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let query = match filters.query(user.organization_id) {
        Ok(query) => query,
        Err(err) => return err.into_response(),
    };
    static EXPORTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    let Ok(permit) = EXPORTS.get_or_init(|| Arc::new(Semaphore::new(AT_ONCE))).clone().try_acquire_owned() else {
        return AppError::TooManyAttempts("Other exports of the audit log are running. Try again in a minute.".into()).into_response();
    };
    let start = Export { pool: state.pool.clone(), query, after: None, header: true, done: false, _permit: permit };
    // Fused: the compression layer polls once more after the end, which a bare unfold forbids.
    let body = axum::body::Body::from_stream(futures_util::StreamExt::fuse(futures_util::stream::unfold(start, next_chunk)));
    let name = format!("xops-audit-{}.csv", crate::server::format_time(crate::server::now()).get(..10).unwrap_or("log"));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

struct Export {
    pool: crate::server::Pool,
    query: store::Query,
    after: Option<store::Cursor>,
    header: bool,
    done: bool,
    /// Held until the last row is sent (or the download is dropped).
    _permit: OwnedSemaphorePermit,
}

async fn next_chunk(mut export: Export) -> Option<(Result<String, std::io::Error>, Export)> {
    if export.done {
        return None;
    }
    let rows = match store::page(&export.pool, &export.query, export.after, ROWS_PER_READ).await {
        Ok(rows) => rows,
        Err(err) => {
            // The status went out with the first bytes: the download ends short, and says so.
            tracing::error!(error = %err, "audit export stopped");
            export.done = true;
            return Some((Err(std::io::Error::other("the audit log could not be read")), export));
        }
    };
    let mut chunk = String::new();
    if export.header {
        chunk.push_str("When (UTC),Who,What,Account,Detail,From\r\n");
        export.header = false;
    }
    export.done = rows.len() < ROWS_PER_READ as usize;
    export.after = rows.last().map(|row| store::Cursor { at: row.1, id: row.0 });
    for (_, at, who, action, account, detail, from) in rows {
        let fields = [crate::server::format_time(at), who, action_label(&action).to_string(), account, detail, from];
        let line: Vec<String> = fields.iter().map(|f| cell(f)).collect();
        chunk.push_str(&line.join(","));
        chunk.push_str("\r\n");
    }
    Some((Ok(chunk), export))
}

/// One CSV cell, quoted; a value a spreadsheet would run as a formula starts with `'`.
fn cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("Prod"), "\"Prod\"");
        assert_eq!(cell("say \"hi\", then"), "\"say \"\"hi\"\", then\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("-1+2"), "\"'-1+2\"");
    }
}
