//! Validated values shared by browser and server: the same `parse` gives instant feedback in
//! the form and is the server's single point of trust.
mod email;
mod names;
mod microsoft;
mod password;
mod role_arn;

pub use email::Email;
pub use names::{AccountName, OrganizationName};
pub use microsoft::{Guid, OnMicrosoftDomain};
pub use password::Password;
pub use role_arn::RoleArn;

/// Whether `s` holds a control character (newlines, NUL, escapes), which no single-line field accepts.
pub(crate) fn has_control_chars(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Percent-encodes `value` for a URL query (everything but unreserved characters).
pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
