//! An account as every list shows it, whatever its provider.
use serde::{Deserialize, Serialize};

use crate::domain::{AccountKind, AccountStatus, Provider};

/// How many accounts a list shows at once.
pub const PAGE_SIZE: i64 = 50;

/// One connected account, as lists and the dropdown show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: i64,
    pub provider: Provider,
    /// What kind of account it is (for AWS: management, linked or EKS).
    pub kind: AccountKind,
    pub name: String,
    pub external_account_id: String,
    pub status: AccountStatus,
    pub status_message: String,
    /// "2026-11-22 05:40 UTC", or None if never checked.
    pub last_checked: Option<String>,
    /// For accounts that sign in with a certificate: when it expires, and whether that is
    /// within 30 days.
    pub certificate_expires: Option<String>,
    pub certificate_expiring: bool,
}

impl AccountSummary {
    /// Never deleted from the portal: the guide sends these through a support request.
    pub fn deleted_through_support(&self) -> bool {
        self.kind.deleted_through_support()
    }

    /// "AWS (Management)", or just the provider where it has one kind of account.
    pub fn provider_and_kind(&self) -> String {
        self.kind.label()
    }
}
