//! The SQL of onboarding: whether the organization has linked anything yet. Read here, not
//! through `accounts`, because sign-in lands through onboarding and `accounts` sits above sign-in.
use crate::error::AppError;
use crate::server::Pool;

/// How many accounts the organization has linked.
pub async fn linked_accounts(pool: &Pool, organization_id: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cloud_accounts WHERE organization_id = $1").bind(organization_id).fetch_one(pool).await?)
}
