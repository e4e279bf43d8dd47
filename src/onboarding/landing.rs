//! The first-login rule: where a signed-in user lands, and the query it rests on.
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

/// Where a signed-in user of this organization lands now.
#[cfg(feature = "ssr")]
pub async fn landing(pool: &crate::server::Pool, organization_id: i64) -> Result<&'static str, crate::error::AppError> {
    let linked: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cloud_accounts WHERE organization_id = $1")
        .bind(organization_id)
        .fetch_one(pool)
        .await?;
    Ok(landing_path(linked))
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
