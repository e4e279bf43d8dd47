//! What every link does around its provider's own verification: before it, the name is free
//! and the account is not linked yet; after it, the account is saved with its audit row in one
//! transaction, becomes the current account, and the user lands where the provider's own
//! success message shows.
use crate::accounts::store::{self, NewAccount};
use crate::domain::{AccountName, AccountStatus, Provider};
use crate::error::AppError;

/// Before verifying: the name is free for this provider and the account is not linked yet
/// (`already_linked` gets the name it is linked under and says so beside the right field).
pub async fn ensure_new(
    pool: &crate::server::Pool,
    organization_id: i64,
    provider: Provider,
    name: &AccountName,
    external_account_id: &str,
    already_linked: impl FnOnce(String) -> AppError,
) -> Result<(), AppError> {
    crate::accounts::ensure_name_free(pool, organization_id, provider, name, None).await?;
    match store::linked_as(pool, organization_id, provider, external_account_id).await? {
        Some(existing) => Err(already_linked(existing)),
        None => Ok(()),
    }
}

/// Saves a verified account, the history row of its verification (started at `started`) and
/// the audit row `detail` by `actor`, in `tx`; returns its id. The caller saves beside it what
/// its provider keeps, then commits: `finish` for a link from a form, or its own commit.
pub async fn save(
    tx: &mut sqlx::Transaction<'static, crate::server::Db>,
    state: &crate::server::AppState,
    organization_id: i64,
    new: &NewAccount<'_>,
    started: std::time::Instant,
    actor: &crate::audit::Actor,
    detail: &str,
) -> Result<i64, AppError> {
    let provider = new.kind.provider();
    let check = crate::accounts::check_store::CheckRecord::new(
        crate::domain::CheckReason::Link,
        crate::server::now(),
        started,
        provider,
        new.external_account_id,
        state.config.health.interval,
    );
    let id = store::insert(tx, organization_id, new, &check).await?;
    crate::audit::write_about(&mut **tx, actor, "link_account", crate::audit::About { id, name: new.name }, detail).await?;
    Ok(id)
}

/// Records a link that its provider's verification refused, with the cause it was given (the
/// user's name for the account and its id at the provider; never a key or token).
pub async fn audit_refusal(pool: &crate::server::Pool, actor: &crate::audit::Actor, provider: Provider, what: &str, err: &AppError) {
    let detail = format!("{} {what} not linked: {err}", provider.label());
    crate::audit::record(pool, actor, "link_refused", &detail).await;
}

/// After `save` (and whatever the provider saved beside the account in `tx`): commit, make it
/// the user's current account if it connected cleanly (one with a warning is not silently
/// selected), and redirect.
pub async fn finish(
    tx: sqlx::Transaction<'static, crate::server::Db>,
    session: &tower_sessions::Session,
    new: &NewAccount<'_>,
    account_id: i64,
    return_to: Option<&str>,
) -> Result<(), AppError> {
    tx.commit().await?;
    finish_saved(session, account_id, new.verified.status, new.kind.provider(), return_to).await
}

/// After a link from a form was committed: the same as `finish` without the commit.
pub async fn finish_saved(
    session: &tower_sessions::Session,
    account_id: i64,
    status: AccountStatus,
    provider: Provider,
    return_to: Option<&str>,
) -> Result<(), AppError> {
    if status == AccountStatus::Connected {
        crate::accounts::workspace::make_current(session, account_id).await?;
    }
    leptos_axum::redirect(&after_link(provider, account_id, status, return_to), false);
    Ok(())
}

/// Where a new account's user lands, with the provider's own notice: the page the link was
/// started from (`return_to`) or else its card; for Azure its subscriptions, chosen next.
pub fn after_link(provider: Provider, account_id: i64, status: AccountStatus, return_to: Option<&str>) -> String {
    let notice = match status {
        AccountStatus::Connected => format!("linked-{}", provider.as_str()),
        AccountStatus::Warning | AccountStatus::Failed => "linked-warning".to_string(),
    };
    match provider {
        Provider::Azure => format!("/accounts/{account_id}/subscriptions?notice={notice}"),
        Provider::Aws | Provider::Eks | Provider::M365 | Provider::Entra => {
            crate::server::forms::back_to(return_to, &provider.card().href(), &notice)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_provider_lands_with_its_own_notice() {
        assert_eq!(after_link(Provider::Aws, 1, AccountStatus::Connected, None), "/integrations/aws?notice=linked-aws");
        assert_eq!(after_link(Provider::Aws, 1, AccountStatus::Warning, None), "/integrations/aws?notice=linked-warning");
        assert_eq!(after_link(Provider::Entra, 1, AccountStatus::Connected, None), "/integrations/microsoft?notice=linked-entra");
        assert_eq!(after_link(Provider::Azure, 7, AccountStatus::Connected, None), "/accounts/7/subscriptions?notice=linked-azure");
        // Back to where the link was started; Azure goes on to its subscriptions whatever it was.
        assert_eq!(after_link(Provider::Aws, 1, AccountStatus::Connected, Some("/integrations")), "/integrations?notice=linked-aws");
        assert_eq!(after_link(Provider::Aws, 1, AccountStatus::Connected, Some("//evil.example")), "/integrations/aws?notice=linked-aws");
        assert_eq!(after_link(Provider::Azure, 7, AccountStatus::Connected, Some("/integrations")), "/accounts/7/subscriptions?notice=linked-azure");
        for &provider in Provider::ALL {
            let url = after_link(provider, 1, AccountStatus::Connected, None);
            let key = url.split("notice=").nth(1).unwrap_or_default();
            assert_eq!(crate::ui::notice_text(key), Some(provider.linked_notice()), "{provider:?}");
        }
    }
}
