use std::fmt;

use serde::{Deserialize, Serialize};

use super::has_control_chars;
use crate::error::AppError;

/// An email address, trimmed and lower-cased, so that one mailbox is one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub const FIELD: &'static str = "email";
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let value = raw.trim().to_lowercase();
        let err = |m: &str| AppError::invalid(Self::FIELD, m);
        if value.is_empty() {
            return Err(err("Enter your email address."));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(err("An email address has at most 254 characters."));
        }
        if has_control_chars(&value) || value.chars().any(char::is_whitespace) {
            return Err(err("An email address cannot contain spaces or control characters."));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(err("Enter an email address like name@example.com."));
        };
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        if local.is_empty() || local.contains('@') || !domain_ok {
            return Err(err("Enter an email address like name@example.com."));
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(Email::parse("  Ada@Example.COM ").map(|e| e.to_string()), Ok("ada@example.com".into()));
    }

    #[test]
    fn rejects_malformed_addresses() {
        for bad in [
            "",
            "   ",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@-example.com",
            "ada@example..com",
            "ada\u{0}@example.com",
        ] {
            let err = Email::parse(bad).expect_err(bad);
            assert_eq!(err.field(), Some("email"), "{bad}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(300))).is_err());
    }
}
