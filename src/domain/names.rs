use std::fmt;

use serde::{Deserialize, Serialize};

use super::{has_control_chars, has_format_chars};
use crate::error::AppError;

/// Trims `raw` and checks it is 1 to `max` characters of one line.
fn parse_name(raw: &str, field: &str, what: &str, max: usize) -> Result<String, AppError> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(AppError::invalid(field, format!("Enter {what}.")));
    }
    if value.chars().count() > max {
        return Err(AppError::invalid(field, format!("Use at most {max} characters for {what}.")));
    }
    if has_control_chars(value) {
        return Err(AppError::invalid(field, format!("Use a single line of text for {what}.")));
    }
    if has_format_chars(value) {
        return Err(AppError::invalid(
            field,
            format!("Remove the invisible formatting characters (such as right-to-left marks) from {what}."),
        ));
    }
    Ok(value.to_string())
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, field = $field:literal, what = $what:literal, max = $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        pub struct $name(String);

        impl $name {
            pub const FIELD: &'static str = $field;
            pub const MAX_LEN: usize = $max;

            pub fn parse(raw: &str) -> Result<Self, AppError> {
                parse_name(raw, Self::FIELD, $what, Self::MAX_LEN).map($name)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// The name of a customer organization, as given at sign-up.
    OrganizationName, field = "organization", what = "your organization's name", max = 100
);
name_type!(
    /// A connected cloud account's display name: unique per organization and provider.
    AccountName, field = "name", what = "an account name", max = 64
);
name_type!(
    /// A person's name, as colleagues see it in Members and the audit trail.
    PersonName, field = "name", what = "your name", max = 100
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(AccountName::parse("  Prod  ").map(|n| n.to_string()), Ok("Prod".into()));
        assert!(AccountName::parse(&"a".repeat(64)).is_ok());
        assert!(AccountName::parse(&"a".repeat(65)).is_err());
        assert!(AccountName::parse("   ").is_err());
        assert!(AccountName::parse("two\nlines").is_err());
        assert_eq!(
            OrganizationName::parse("").map_err(|e| e.field().map(String::from)),
            Err(Some("organization".into()))
        );
    }

    #[test]
    fn invisible_formatting_cannot_disguise_a_name() {
        for spoof in ["Prod\u{202E}dorp", "Pro\u{200B}d", "\u{2066}Prod\u{2069}", "Prod\u{FEFF}", "Prod\u{E0041}"] {
            let err = AccountName::parse(spoof).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("invisible formatting"), "{spoof:?}: {err}");
            assert!(OrganizationName::parse(spoof).is_err(), "{spoof:?}");
        }
        assert!(AccountName::parse("Produção – 東京").is_ok(), "visible non-ASCII stays welcome");
    }
}
