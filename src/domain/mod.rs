//! Validated values shared by browser and server: the same `parse` gives instant feedback in
//! the form and is the server's single point of trust.
mod email;
mod names;
mod password;

pub use email::Email;
pub use names::{AccountName, OrganizationName};
pub use password::Password;

/// Whether `s` holds a control character (newlines, NUL, escapes), which no single-line field accepts.
pub(crate) fn has_control_chars(s: &str) -> bool {
    s.chars().any(char::is_control)
}
