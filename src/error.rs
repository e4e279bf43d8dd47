//! The one error type of the app: every server function returns it, the browser shows its
//! message next to the field it names, and the server maps it to a status code.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(into = "WireError", from = "WireError")]
pub enum AppError {
    /// Input that failed validation; `field` is the form field the message belongs beside.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// Input that clashes with something already saved (a taken email or name).
    #[error("{message}")]
    Conflict { field: String, message: String },
    #[error("Please sign in to continue.")]
    Unauthorized,
    /// One message for a wrong email and a wrong password alike: never say which.
    #[error("Invalid email or password.")]
    InvalidCredentials,
    /// A signed-in member whose role does not allow this; the message names who may.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    TooManyAttempts(String),
    /// The request itself could not be read (missing or malformed fields).
    #[error("The request could not be read: {0}")]
    BadRequest(String),
    /// A well-formed request that a rule of the portal refuses in the current state (a linked
    /// account before any management account); the message says why and what to do.
    #[error("{0}")]
    Refused(String),
    /// A provider refused what the user set up (a certificate not uploaded, a permission
    /// missing); the message names the cause and the fix.
    #[error("{0}")]
    Verification(String),
    /// A provider (AWS, Microsoft) failed or did not answer; the message says what to do.
    #[error("{0}")]
    Upstream(String),
    /// The browser could not reach the portal.
    #[error("The portal could not be reached. Check your connection and try again.")]
    Unreachable,
    #[error("The portal is busy right now. Please try again in a moment.")]
    Busy,
    #[error("Something went wrong on our side. Please try again; if it keeps happening, contact support@axiomio.com.")]
    Internal,
}

/// How an error travels: always with its readable message, so that any client (not only
/// this app) can show it: `{"error":"Invalid","field":"email","message":"Enter ..."}`.
#[derive(Serialize, Deserialize)]
struct WireError {
    error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    field: Option<String>,
    message: String,
}

impl From<AppError> for WireError {
    fn from(err: AppError) -> Self {
        let error = match &err {
            AppError::Invalid { .. } => "Invalid",
            AppError::Conflict { .. } => "Conflict",
            AppError::Unauthorized => "Unauthorized",
            AppError::InvalidCredentials => "InvalidCredentials",
            AppError::Forbidden(_) => "Forbidden",
            AppError::NotFound(_) => "NotFound",
            AppError::TooManyAttempts(_) => "TooManyAttempts",
            AppError::BadRequest(_) => "BadRequest",
            AppError::Refused(_) => "Refused",
            AppError::Unreachable => "Unreachable",
            AppError::Upstream(_) => "Upstream",
            AppError::Verification(_) => "Verification",
            AppError::Busy => "Busy",
            AppError::Internal => "Internal",
        };
        let message = match &err {
            AppError::Invalid { message, .. } | AppError::Conflict { message, .. } => message.clone(),
            AppError::NotFound(m)
            | AppError::Forbidden(m)
            | AppError::TooManyAttempts(m)
            | AppError::BadRequest(m)
            | AppError::Refused(m)
            | AppError::Upstream(m)
            | AppError::Verification(m) => m.clone(),
            other => other.to_string(),
        };
        WireError { error: error.to_string(), field: err.field().map(str::to_string), message }
    }
}

impl From<WireError> for AppError {
    fn from(w: WireError) -> Self {
        let field = w.field.unwrap_or_default();
        match w.error.as_str() {
            "Invalid" => AppError::Invalid { field, message: w.message },
            "Conflict" => AppError::Conflict { field, message: w.message },
            "Unauthorized" => AppError::Unauthorized,
            "InvalidCredentials" => AppError::InvalidCredentials,
            "Forbidden" => AppError::Forbidden(w.message),
            "NotFound" => AppError::NotFound(w.message),
            "TooManyAttempts" => AppError::TooManyAttempts(w.message),
            "BadRequest" => AppError::BadRequest(w.message),
            "Refused" => AppError::Refused(w.message),
            "Unreachable" => AppError::Unreachable,
            "Upstream" => AppError::Upstream(w.message),
            "Verification" => AppError::Verification(w.message),
            "Busy" => AppError::Busy,
            _ => AppError::Internal,
        }
    }
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid { field: field.to_string(), message: message.into() }
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        AppError::Conflict { field: field.to_string(), message: message.into() }
    }

    /// Whether a check that ended in this error has a result to record: the cloud, or the
    /// account's setup there, said no (failed, with the cause and fix). Any other error is the
    /// portal's own trouble (its database, say), and the check did not happen.
    pub fn is_check_result(&self) -> bool {
        matches!(self, AppError::Invalid { .. } | AppError::Upstream(_) | AppError::Verification(_) | AppError::Refused(_))
    }

    /// The form field this error belongs to, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } | AppError::Conflict { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The message to show beside `field`, if this error belongs there.
    pub fn message_for(&self, field: &str) -> Option<String> {
        (self.field() == Some(field)).then(|| self.to_string())
    }

    /// The message for the form as a whole (errors that belong to no single field).
    pub fn form_message(&self) -> Option<String> {
        self.field().is_none().then(|| self.to_string())
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid { .. } | AppError::BadRequest(_) | AppError::Verification(_) => 400,
            AppError::Unauthorized | AppError::InvalidCredentials => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::Conflict { .. } | AppError::Refused(_) => 409,
            AppError::TooManyAttempts(_) => 429,
            AppError::Unreachable | AppError::Upstream(_) => 502,
            AppError::Busy => 503,
            AppError::Internal => 500,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) | ServerFnErrorErr::Deserialization(m) => {
                AppError::BadRequest(m)
            }
            ServerFnErrorErr::Request(_) => AppError::Unreachable,
            _ => AppError::Internal,
        }
    }

    // Each error answers with its own status (400 for bad input, 401 without a session, ...).
    #[cfg(feature = "ssr")]
    fn status_code(&self) -> http::StatusCode {
        http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR)
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        let busy = matches!(&err, sqlx::Error::Database(db)
            if db.message().contains("database is locked") || db.message().contains("busy"))
            || matches!(err, sqlx::Error::PoolTimedOut);
        // PostgreSQL stores no NUL character in text (SQLite did): the input is at fault, not us.
        let unstorable = matches!(&err, sqlx::Error::Database(db) if db.code().as_deref() == Some("22021"));
        if unstorable {
            return AppError::BadRequest("The request contains a character that cannot be stored (NUL). Remove it and try again.".into());
        }
        tracing::error!(error = %err, "database error");
        if busy {
            AppError::Busy
        } else {
            AppError::Internal
        }
    }
}

#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for AppError {
    fn into_response(self) -> axum::response::Response {
        let status =
            axum::http::StatusCode::from_u16(self.status()).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        (status, self.to_string()).into_response()
    }
}

/// Turns a UNIQUE constraint violation (a duplicate the user can fix: a taken email or name)
/// into the error that says so beside its field; any other database error stays what it is.
#[cfg(feature = "ssr")]
pub trait OnUniqueViolation<T> {
    fn on_unique_violation(self, error: impl FnOnce() -> AppError) -> Result<T, AppError>;
}

#[cfg(feature = "ssr")]
impl<T> OnUniqueViolation<T> for Result<T, sqlx::Error> {
    fn on_unique_violation(self, error: impl FnOnce() -> AppError) -> Result<T, AppError> {
        self.map_err(|err| match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => error(),
            _ => err.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_show_beside_their_field_only() {
        let e = AppError::invalid("email", "Enter a valid email address.");
        assert_eq!(e.message_for("email").as_deref(), Some("Enter a valid email address."));
        assert_eq!(e.message_for("password"), None);
        assert_eq!(e.form_message(), None);
        assert_eq!(e.status(), 400);
    }

    #[test]
    fn framework_errors_are_client_errors() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Args("missing field `email`".into()));
        assert_eq!(e.status(), 400);
        assert!(e.to_string().contains("missing field"));
    }

    #[test]
    fn errors_round_trip_through_their_encoding() {
        for e in [
            AppError::conflict("email", "taken"),
            AppError::invalid("name", "Enter an account name."),
            AppError::Unauthorized,
            AppError::InvalidCredentials,
            AppError::NotFound("gone".into()),
            AppError::TooManyAttempts("wait".into()),
            AppError::BadRequest("missing field".into()),
            AppError::Refused("Link a management account first.".into()),
            AppError::Busy,
            AppError::Internal,
        ] {
            assert_eq!(AppError::de(e.ser().body), e);
        }
    }

    #[test]
    fn the_wire_form_carries_a_readable_message() {
        let json = String::from_utf8(AppError::Unauthorized.ser().body.to_vec()).unwrap_or_default();
        assert_eq!(json, r#"{"error":"Unauthorized","message":"Please sign in to continue."}"#);
    }
}
