//! The portal's vocabulary, shared by browser and server and importing nothing of the app but
//! its error: the providers and cards (`provider.rs`, the only list of them), the kinds of
//! account (`kind.rs`, over each provider's own: `aws.rs`, `microsoft.rs`), the check
//! vocabulary (`check.rs`), and validated values whose `parse` gives instant feedback in the form and is
//! the server's single point of trust.
mod aws;
mod check;
mod email;
mod kind;
mod microsoft;
mod names;
mod password;
mod provider;
mod role;
mod role_arn;

pub use aws::AwsKind;
pub use check::{AccountStatus, Check, CheckReason, Verified};
pub use email::Email;
pub use kind::AccountKind;
pub use microsoft::{Guid, MsService, OnMicrosoftDomain};
pub use provider::{Card, Provider};
pub use names::{AccountName, OrganizationName, PersonName};
pub use password::Password;
pub use role::Role;
pub use role_arn::RoleArn;

/// Whether `s` holds a control character (newlines, NUL, escapes), which no single-line field accepts.
pub(crate) fn has_control_chars(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// Whether `s` holds an invisible format character (Unicode category Cf: bidi overrides,
/// zero-width spaces and joiners, tags), with which a name can pose as another in lists and
/// the audit log.
pub(crate) fn has_format_chars(s: &str) -> bool {
    s.chars().any(is_format_char)
}

fn is_format_char(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
        | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0001 | 0xE0020..=0xE007F)
}

/// A name read from a cloud (an account, unit, subscription or group), made safe to show: the
/// control and invisible format characters that names typed here may not hold (bidi overrides
/// such as U+202E) are written out as `<U+202E>`, so they can neither disguise the name nor
/// reorder the text around it.
pub fn visible_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() || is_format_char(c) { format!("<U+{:04X}>", c as u32) } else { c.to_string() })
        .collect()
}

/// `visible_name` as a serde field reader, for names in the clouds' JSON.
pub fn deserialize_visible_name<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let raw = <String as serde::Deserialize>::deserialize(deserializer)?;
    Ok(visible_name(&raw))
}

/// A path on this site (never `//host` or a full URL), safe to redirect to: after sign-in,
/// and back to where a dialog was opened.
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') && !path.chars().any(char::is_control)
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

#[cfg(test)]
mod tests {
    use super::is_local_path;

    #[test]
    fn names_from_a_cloud_show_their_invisible_characters() {
        assert_eq!(super::visible_name("Prod\u{202E}gnp.exe"), "Prod<U+202E>gnp.exe");
        assert_eq!(super::visible_name("a\u{200B}b\nc"), "a<U+200B>b<U+000A>c");
        assert_eq!(super::visible_name("Plain – ünïcode"), "Plain – ünïcode");
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert!(is_local_path("/integrations?x=1"));
        for bad in ["//evil.example", "https://evil.example", "evil", "/\\evil.example", "/a\nb", ""] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }
}

#[cfg(test)]
mod properties {
    //! Every validator, on any input: it never panics, and what it accepts prints back as
    //! itself (parsing is idempotent on its own output).
    use proptest::prelude::*;

    use super::*;

    fn any_text() -> impl Strategy<Value = String> {
        prop_oneof![any::<String>(), "[ -~]{0,80}", "\\PC{0,300}"]
    }

    proptest! {
        #[test]
        fn role_arns(raw in prop_oneof![
            any_text(),
            "arn:(aws|aws-cn|aws-us-gov|x):iam::[0-9]{11,13}:role(/[ -~]{0,20}){0,3}/[A-Za-z0-9+=,.@_-]{0,70}",
        ]) {
            if let Ok(arn) = RoleArn::parse(&raw) {
                prop_assert_eq!(RoleArn::parse(&arn.to_string()).map(|a| a.to_string()), Ok(arn.to_string()));
            }
        }

        #[test]
        fn guids(raw in prop_oneof![any_text(), "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"]) {
            if let Ok(g) = Guid::parse(&raw, "app_id", "App ID") {
                prop_assert_eq!(Guid::parse(g.as_str(), "app_id", "App ID"), Ok(g.clone()));
            }
        }

        #[test]
        fn domains(raw in prop_oneof![any_text(), "[a-zA-Z0-9-]{0,70}\\.onmicrosoft\\.com"]) {
            if let Ok(d) = OnMicrosoftDomain::parse(&raw) {
                prop_assert_eq!(OnMicrosoftDomain::parse(d.as_str()), Ok(d.clone()));
            }
        }

        #[test]
        fn names_and_emails(raw in any_text()) {
            if let Ok(n) = AccountName::parse(&raw) {
                prop_assert_eq!(AccountName::parse(n.as_str()), Ok(n.clone()));
            }
            if let Ok(n) = OrganizationName::parse(&raw) {
                prop_assert_eq!(OrganizationName::parse(n.as_str()), Ok(n.clone()));
            }
            if let Ok(e) = Email::parse(&raw) {
                prop_assert_eq!(Email::parse(e.as_str()), Ok(e.clone()));
            }
            let _ = Password::parse(&raw);
        }
    }
}
