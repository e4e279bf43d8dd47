//! What a member of an organization may do. Owners do everything; Admins run the integrations
//! (link, change, delete, onboard, notify, ask support) and invite Admins and Viewers; Viewers
//! read everything and change nothing but Re-test. Which server function needs which role is
//! one table: `crate::endpoints`.
use serde::{Deserialize, Serialize};
use strum::VariantArray;

use crate::error::AppError;

/// Ordered from the most to the least that may be done: `Owner < Admin < Viewer` compares
/// who needs more, so `role <= needed` reads "at least `needed`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, VariantArray)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Viewer,
}

impl Role {
    pub const ALL: &'static [Role] = Role::VARIANTS;
    pub const FIELD: &'static str = "role";

    /// The `role` column and form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Viewer => "Viewer",
        }
    }

    /// What the role may do, as the Members page explains it.
    pub fn description(self) -> &'static str {
        match self {
            Role::Owner => "Everything, including members and the organization's settings.",
            Role::Admin => "Links, changes and deletes accounts, runs onboarding, sets notifications; invites Admins and Viewers.",
            Role::Viewer => "Reads everything; changes nothing but Re-test.",
        }
    }

    pub fn parse(s: &str) -> Result<Role, AppError> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| AppError::invalid(Role::FIELD, "Choose a role: Owner, Admin or Viewer."))
    }

    /// Whether this role may do what needs `needed`.
    pub fn includes(self, needed: Role) -> bool {
        self <= needed
    }

    /// Who may do what needs this role, as refusals say it ("an Admin or Owner").
    pub fn who(self) -> &'static str {
        match self {
            Role::Owner => "an Owner",
            Role::Admin => "an Admin or Owner",
            Role::Viewer => "a member",
        }
    }

    /// Whether a member of this role may invite people as, or give, the role `other`: Owners
    /// any role, Admins Admins and Viewers, Viewers none.
    pub fn may_grant(self, other: Role) -> bool {
        match self {
            Role::Owner => true,
            Role::Admin => other != Role::Owner,
            Role::Viewer => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Owner.includes(Role::Admin) && Role::Owner.includes(Role::Viewer));
        assert!(Role::Admin.includes(Role::Viewer) && !Role::Admin.includes(Role::Owner));
        assert!(!Role::Viewer.includes(Role::Admin));
        assert_eq!(Role::parse("admin"), Ok(Role::Admin));
        assert!(Role::parse("root").is_err());
        assert!(Role::Admin.may_grant(Role::Viewer) && !Role::Admin.may_grant(Role::Owner) && !Role::Viewer.may_grant(Role::Viewer));
    }
}
