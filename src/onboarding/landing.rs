//! The first-login rule: where a signed-in user lands, and the query it rests on.
pub const SELECT_PLATFORM_PATH: &str = "/select-platform";

/// The selection page, remembering the page `from` which Add Cloud Account was chosen: a link
/// made from there leads back to it, with its success message.
pub fn select_platform_href(from: &str) -> String {
    if from.starts_with(SELECT_PLATFORM_PATH) {
        return SELECT_PLATFORM_PATH.to_string();
    }
    format!("{SELECT_PLATFORM_PATH}?from={}", crate::domain::percent_encode(from))
}

/// The page a link flow began on, from the `from` a page was given (one of ours, never the
/// selection page itself).
pub fn began_on(from: Option<String>) -> Option<String> {
    from.filter(|f| crate::domain::is_local_path(f.split('?').next().unwrap_or_default()) && !f.starts_with(SELECT_PLATFORM_PATH))
}

/// Where a signed-in user of an organization with `linked_accounts` accounts lands.
/// Accounts are only saved once verified, so every saved account counts as connected.
pub fn landing_path(linked_accounts: i64) -> &'static str {
    if linked_accounts > 0 {
        "/"
    } else {
        SELECT_PLATFORM_PATH
    }
}

/// Where a signed-in user of this organization lands now.
#[cfg(feature = "ssr")]
pub async fn landing(pool: &crate::server::Pool, organization_id: i64) -> Result<&'static str, crate::error::AppError> {
    Ok(landing_path(super::store::linked_accounts(pool, organization_id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_account_lands_on_the_selection_page() {
        assert_eq!(landing_path(0), "/select-platform");
    }

    #[test]
    fn the_selection_page_remembers_where_the_flow_began() {
        assert_eq!(select_platform_href("/integrations"), "/select-platform?from=%2Fintegrations");
        assert_eq!(select_platform_href("/select-platform"), "/select-platform");
        assert_eq!(began_on(Some("/integrations/aws?page=2".into())), Some("/integrations/aws?page=2".into()));
        for hostile in ["//evil.example", "https://evil.example", "/select-platform", "relative"] {
            assert_eq!(began_on(Some(hostile.into())), None, "{hostile}");
        }
    }

    #[test]
    fn any_account_lands_on_home() {
        assert_eq!(landing_path(1), "/");
        assert_eq!(landing_path(10_000), "/");
    }
}
