//! The check vocabulary: what a verification found (`Verified`, with an `AccountStatus`), why it
//! ran (`Check`), and what started it as its history records it (`CheckReason`).
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    Connected,
    Warning,
    Failed,
}

impl AccountStatus {
    pub fn parse(s: &str) -> AccountStatus {
        match s {
            "connected" => AccountStatus::Connected,
            "warning" => AccountStatus::Warning,
            _ => AccountStatus::Failed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Connected => "connected",
            AccountStatus::Warning => "warning",
            AccountStatus::Failed => "failed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountStatus::Connected => "Connected",
            AccountStatus::Warning => "Warning",
            AccountStatus::Failed => "Failed",
        }
    }

    pub fn css_class(self) -> &'static str {
        match self {
            AccountStatus::Connected => "status status-connected",
            AccountStatus::Warning => "status status-warning",
            AccountStatus::Failed => "status status-failed",
        }
    }
}

/// What a verification found, whatever the provider: stored with the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub status: AccountStatus,
    /// What the check saw, or the warning's cause and fix.
    pub message: String,
}

/// Why an account is verified: to link it (nothing is saved yet; a refusal says how to set it
/// up), again once saved (Re-test, the scheduled checks; a refusal says what changed), or with
/// a renewal's new certificate before it replaces the current one (Verify and switch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Link,
    Recheck,
    Renewal,
    /// A member account linked from its AWS Organization's tree (a StackSet made its role).
    Member,
}

/// What started a check, as its history row records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckReason {
    Link,
    Retest,
    Scheduled,
    /// Verify and switch: the account signed in with its new certificate.
    Renewal,
}

impl CheckReason {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckReason::Link => "link",
            CheckReason::Retest => "retest",
            CheckReason::Scheduled => "scheduled",
            CheckReason::Renewal => "renewal",
        }
    }

    pub fn parse(s: &str) -> CheckReason {
        match s {
            "link" => CheckReason::Link,
            "retest" => CheckReason::Retest,
            "renewal" => CheckReason::Renewal,
            _ => CheckReason::Scheduled,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CheckReason::Link => "Linked",
            CheckReason::Retest => "Re-test",
            CheckReason::Scheduled => "Scheduled check",
            CheckReason::Renewal => "Certificate switched",
        }
    }
}

impl Verified {
    pub fn connected(message: impl Into<String>) -> Verified {
        Verified { status: AccountStatus::Connected, message: message.into() }
    }
}
