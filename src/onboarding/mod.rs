//! First login: while the organization has no linked cloud account, sign-in and Home lead to
//! the "Select Your Preferred Cloud Service or Platform" page.
mod page;

pub use page::SelectPlatformPage;

pub const SELECT_PLATFORM_PATH: &str = "/select-platform";

/// Where a signed-in user of an organization with `linked_accounts` accounts lands.
/// Accounts are only saved once verified, so every saved account counts as connected.
pub fn landing_path(linked_accounts: i64) -> &'static str {
    if linked_accounts > 0 {
        "/"
    } else {
        SELECT_PLATFORM_PATH
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_account_lands_on_the_selection_page() {
        assert_eq!(landing_path(0), "/select-platform");
    }

    #[test]
    fn any_account_lands_on_home() {
        assert_eq!(landing_path(1), "/");
        assert_eq!(landing_path(10_000), "/");
    }
}
