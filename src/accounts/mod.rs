//! The organization's connected cloud accounts as the whole portal sees them: the Select
//! account dropdown, Home and the Integrations lists. Linking lives with each provider.
mod pages;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use pages::{DeleteAccountPage, EditAccountPage};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Aws,
    Eks,
    Azure,
    M365,
    Entra,
}

/// The Integrations cards, in the guide's order; Microsoft holds both M365 and Entra ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    Aws,
    Azure,
    Microsoft,
    Eks,
}

impl Card {
    pub const ALL: [Card; 4] = [Card::Aws, Card::Azure, Card::Microsoft, Card::Eks];

    pub fn slug(self) -> &'static str {
        match self {
            Card::Aws => "aws",
            Card::Azure => "azure",
            Card::Microsoft => "microsoft",
            Card::Eks => "eks",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Card> {
        Card::ALL.into_iter().find(|c| c.slug() == slug)
    }

    pub fn title(self) -> &'static str {
        match self {
            Card::Aws => "AWS (Amazon Web Services)",
            Card::Azure => "Azure",
            Card::Microsoft => "Microsoft",
            Card::Eks => "EKS",
        }
    }

    /// The short mark on the card's logo tile.
    pub fn short(self) -> &'static str {
        match self {
            Card::Aws => "AWS",
            Card::Azure => "Az",
            Card::Microsoft => "MS",
            Card::Eks => "EKS",
        }
    }

    /// The card's name inside a sentence ("No Azure accounts linked yet").
    pub fn noun(self) -> &'static str {
        match self {
            Card::Aws => "AWS",
            Card::Azure => "Azure",
            Card::Microsoft => "Microsoft",
            Card::Eks => "EKS",
        }
    }

    pub fn href(self) -> String {
        format!("/integrations/{}", self.slug())
    }

    pub fn holds(self, provider: Provider) -> bool {
        provider.card() == self
    }
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Eks => "eks",
            Provider::Azure => "azure",
            Provider::M365 => "m365",
            Provider::Entra => "entra",
        }
    }

    pub fn parse(s: &str) -> Option<Provider> {
        [Provider::Aws, Provider::Eks, Provider::Azure, Provider::M365, Provider::Entra]
            .into_iter()
            .find(|p| p.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::Aws => "AWS",
            Provider::Eks => "EKS",
            Provider::Azure => "Azure",
            Provider::M365 => "Microsoft 365",
            Provider::Entra => "Microsoft Entra ID",
        }
    }

    pub fn card(self) -> Card {
        match self {
            Provider::Aws => Card::Aws,
            Provider::Eks => Card::Eks,
            Provider::Azure => Card::Azure,
            Provider::M365 | Provider::Entra => Card::Microsoft,
        }
    }
}

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

/// One connected account, as lists and the dropdown show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub id: i64,
    pub provider: Provider,
    pub kind: String,
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
    /// AWS management accounts are never deleted from the portal (the guide: a support request).
    pub fn is_aws_management(&self) -> bool {
        self.provider == Provider::Aws && self.kind == "management"
    }

    pub fn kind_label(&self) -> &str {
        match self.kind.as_str() {
            "management" => "Management",
            "linked" => "Linked",
            other => other,
        }
    }
}

/// How many accounts a list shows at once.
pub const PAGE_SIZE: i64 = 50;

/// What every signed-in page shows around its content. `accounts` holds the first page of
/// each card (and the current account); `card_totals` says how many there are in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub email: String,
    pub organization: String,
    pub accounts: Vec<AccountSummary>,
    pub card_totals: Vec<(String, i64)>,
    pub current_account_id: Option<i64>,
}

impl Workspace {
    pub fn current_account(&self) -> Option<&AccountSummary> {
        self.current_account_id.and_then(|id| self.accounts.iter().find(|a| a.id == id))
    }

    pub fn total(&self, card: Card) -> i64 {
        self.card_totals.iter().find(|(slug, _)| slug == card.slug()).map(|(_, n)| *n).unwrap_or(0)
    }

    pub fn total_accounts(&self) -> i64 {
        self.card_totals.iter().map(|(_, n)| n).sum()
    }
}

/// One page of a card's accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardPage {
    pub accounts: Vec<AccountSummary>,
    pub total: i64,
    pub page: i64,
}

#[server(endpoint = "card_accounts")]
pub async fn load_card_page(card: String, page: i64) -> Result<CardPage, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let card = Card::from_slug(&card).ok_or_else(|| AppError::NotFound("There is no such integration.".into()))?;
    let page = page.clamp(1, i64::MAX / PAGE_SIZE);
    let accounts = summaries(&state.pool, user.organization_id, Select::CardPage { card, page })
        .await?
        .into_iter()
        .map(|(account, _)| account)
        .collect();
    let total = card_totals(&state.pool, user.organization_id)
        .await?
        .into_iter()
        .find(|(slug, _)| slug == card.slug())
        .map(|(_, n)| n)
        .unwrap_or(0);
    Ok(CardPage { accounts, total, page })
}

#[server(endpoint = "workspace")]
pub async fn load_workspace() -> Result<Workspace, AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let chosen =
        session.get::<i64>(crate::auth::session::CURRENT_ACCOUNT).await.map_err(crate::auth::session::internal)?;
    let listed = summaries(&state.pool, user.organization_id, Select::FirstPages { also: chosen }).await?;
    let card_totals = Card::ALL
        .into_iter()
        .filter_map(|card| {
            let total = listed.iter().filter(|(a, _)| card.holds(a.provider)).map(|(_, total)| *total).max()?;
            Some((card.slug().to_string(), total))
        })
        .collect();
    let accounts: Vec<AccountSummary> = listed.into_iter().map(|(account, _)| account).collect();
    // The remembered choice, if it still exists; else the first account.
    let current_account_id =
        chosen.filter(|id| accounts.iter().any(|a| a.id == *id)).or_else(|| accounts.first().map(|a| a.id));
    Ok(Workspace { email: user.email, organization: user.organization_name, accounts, card_totals, current_account_id })
}

/// Makes `account_id` (one of the caller's organization's accounts) the current account.
#[server(endpoint = "select_account")]
pub async fn select_account(account_id: i64) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let account = find(&state.pool, user.organization_id, account_id).await?;
    make_current(&session, account.id).await
}

/// One account with what its management pages need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDetails {
    pub summary: AccountSummary,
    pub role_arn: String,
    /// For an AWS management account: how many linked accounts the organization has.
    pub linked_accounts: i64,
}

#[server(endpoint = "account_details")]
pub async fn load_account_details(account_id: i64) -> Result<AccountDetails, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let summary = find(&state.pool, user.organization_id, account_id).await?;
    let role_arn = role_arn_of(&state.pool, user.organization_id, account_id).await?;
    let linked_accounts = if summary.is_aws_management() {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM cloud_accounts WHERE organization_id = ? AND provider = 'aws' AND kind = 'linked'",
        )
        .bind(user.organization_id)
        .fetch_one(&state.pool)
        .await?
    } else {
        0
    };
    Ok(AccountDetails { summary, role_arn, linked_accounts })
}

/// Edit → new name → Proceed.
#[server(endpoint = "rename_account")]
pub async fn rename_account(account_id: i64, name: String) -> Result<(), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let name = crate::domain::AccountName::parse(&name)?;
    let account = find(&state.pool, user.organization_id, account_id).await?;
    ensure_name_free(&state.pool, user.organization_id, account.provider.as_str(), &name, Some(account_id)).await?;
    sqlx::query("UPDATE cloud_accounts SET name = ?, updated_at = ? WHERE id = ? AND organization_id = ?")
        .bind(name.as_str())
        .bind(crate::server::now())
        .bind(account_id)
        .bind(user.organization_id)
        .execute(&state.pool)
        .await
        .map_err(|err| {
            if crate::error::is_unique_violation(&err) {
                AppError::conflict(
                    "name",
                    format!("Another {} account is already named \"{name}\".", account.provider.label()),
                )
            } else {
                err.into()
            }
        })?;
    let actor = crate::audit::Actor::of(&user, crate::auth::session::client_addr().await);
    let detail = format!(
        "{} account ({}) renamed from \"{}\" to \"{name}\"",
        account.provider.label(),
        account.external_account_id,
        account.name
    );
    crate::audit::record(&state.pool, &actor, "rename_account", &detail).await;
    leptos_axum::redirect(&format!("{}?notice=renamed", account.provider.card().href()), false);
    Ok(())
}

/// Delete → type the account name → Delete Account. Not for AWS management accounts.
#[server(endpoint = "delete_account")]
pub async fn delete_account(account_id: i64, confirm_name: String) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let account = find(&state.pool, user.organization_id, account_id).await?;
    if account.is_aws_management() {
        return Err(AppError::BadRequest(
            "AWS management accounts cannot be deleted from the portal. Submit a support request instead.".into(),
        ));
    }
    if confirm_name.trim() != account.name {
        return Err(AppError::invalid("confirm_name", "Type the account name exactly as shown to confirm."));
    }
    sqlx::query("DELETE FROM cloud_accounts WHERE id = ? AND organization_id = ?")
        .bind(account_id)
        .bind(user.organization_id)
        .execute(&state.pool)
        .await?;
    if session.get::<i64>(crate::auth::session::CURRENT_ACCOUNT).await.map_err(crate::auth::session::internal)?
        == Some(account_id)
    {
        session.remove::<i64>(crate::auth::session::CURRENT_ACCOUNT).await.map_err(crate::auth::session::internal)?;
    }
    let actor = crate::audit::Actor::of(&user, crate::auth::session::client_addr().await);
    let detail =
        format!("{} account \"{}\" ({}) deleted", account.provider.label(), account.name, account.external_account_id);
    crate::audit::record(&state.pool, &actor, "delete_account", &detail).await;
    leptos_axum::redirect(&format!("{}?notice=deleted", account.provider.card().href()), false);
    Ok(())
}

/// Re-test: verify the account with its provider again; status and last checked time follow.
#[server(endpoint = "retest_account")]
pub async fn retest_account(account_id: i64) -> Result<(), AppError> {
    use crate::integrations::aws::{reverify, AwsKind};
    let (state, _, user) = crate::auth::session::require_user().await?;
    let account = find(&state.pool, user.organization_id, account_id).await?;
    let role_arn = role_arn_of(&state.pool, user.organization_id, account_id).await?;
    let kind = match (account.provider, account.kind.as_str()) {
        (Provider::Aws, "management") => Some(AwsKind::Management),
        (Provider::Aws, _) => Some(AwsKind::Linked),
        (Provider::Eks, _) => Some(AwsKind::Eks),
        _ => None,
    };
    let result = match kind {
        Some(kind) => reverify(&state, user.organization_id, kind, &role_arn).await.map(|v| (v.status, v.message)),
        None => crate::integrations::microsoft::reverify(&state, user.organization_id, account_id)
            .await
            .map(|v| (AccountStatus::Connected, v.message)),
    };
    // A failed check is a result to record, not an error: the account stays, marked failed.
    let (status, message) = match result {
        Ok(outcome) => outcome,
        Err(err @ (AppError::Invalid { .. } | AppError::Upstream(_) | AppError::Verification(_))) => {
            (AccountStatus::Failed, err.to_string())
        }
        Err(err) => return Err(err),
    };
    let now = crate::server::now();
    sqlx::query(
        "UPDATE cloud_accounts SET status = ?, status_message = ?, last_checked_at = ?, updated_at = ? \
         WHERE id = ? AND organization_id = ?",
    )
    .bind(status.as_str())
    .bind(&message)
    .bind(now)
    .bind(now)
    .bind(account_id)
    .bind(user.organization_id)
    .execute(&state.pool)
    .await?;
    let actor = crate::audit::Actor::of(&user, crate::auth::session::client_addr().await);
    let detail = format!(
        "{} account \"{}\" ({}) re-tested: {}",
        account.provider.label(),
        account.name,
        account.external_account_id,
        status.as_str()
    );
    crate::audit::record(&state.pool, &actor, "retest_account", &detail).await;
    leptos_axum::redirect(&format!("{}?notice=retested", account.provider.card().href()), false);
    Ok(())
}

/// One of the organization's accounts, or 404 (also for other organizations' ids).
#[cfg(feature = "ssr")]
pub async fn find(pool: &sqlx::SqlitePool, organization_id: i64, account_id: i64) -> Result<AccountSummary, AppError> {
    summaries(pool, organization_id, Select::One(account_id))
        .await?
        .into_iter()
        .next()
        .map(|(account, _)| account)
        .ok_or_else(|| AppError::NotFound("That account does not exist in your organization.".into()))
}

/// The role an AWS or EKS account is reached through ("" for other providers).
#[cfg(feature = "ssr")]
async fn role_arn_of(pool: &sqlx::SqlitePool, organization_id: i64, account_id: i64) -> Result<String, AppError> {
    Ok(sqlx::query_scalar("SELECT role_arn FROM cloud_accounts WHERE id = ? AND organization_id = ?")
        .bind(account_id)
        .bind(organization_id)
        .fetch_one(pool)
        .await?)
}

/// Names are unique per organization and provider; `except` is the account being renamed.
#[cfg(feature = "ssr")]
pub async fn ensure_name_free(
    pool: &sqlx::SqlitePool,
    organization_id: i64,
    provider: &str,
    name: &crate::domain::AccountName,
    except: Option<i64>,
) -> Result<(), AppError> {
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM cloud_accounts WHERE organization_id = ? AND provider = ? AND name = ? COLLATE NOCASE AND id != ?",
    )
    .bind(organization_id)
    .bind(provider)
    .bind(name.as_str())
    .bind(except.unwrap_or(-1))
    .fetch_optional(pool)
    .await?;
    match (taken, Provider::parse(provider)) {
        (Some(_), Some(p)) => {
            Err(AppError::conflict("name", format!("Another {} account is already named \"{name}\".", p.label())))
        }
        (Some(_), None) => Err(AppError::conflict("name", format!("Another account is already named \"{name}\"."))),
        _ => Ok(()),
    }
}

/// The name under which `external_account_id` is already linked for `provider`, if it is.
#[cfg(feature = "ssr")]
pub async fn linked_as(
    pool: &sqlx::SqlitePool,
    organization_id: i64,
    provider: &str,
    external_account_id: &str,
) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT name FROM cloud_accounts WHERE organization_id = ? AND provider = ? AND external_account_id = ?",
    )
    .bind(organization_id)
    .bind(provider)
    .bind(external_account_id)
    .fetch_optional(pool)
    .await?)
}

/// A verified account about to be saved.
#[cfg(feature = "ssr")]
pub struct NewAccount<'a> {
    pub provider: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub external_account_id: &'a str,
    pub role_arn: &'a str,
    pub app_id: &'a str,
    pub domain: &'a str,
    pub status: AccountStatus,
    pub status_message: &'a str,
}

/// Saves a verified account (checked now) and returns its id.
#[cfg(feature = "ssr")]
pub async fn insert_account<'c, E>(executor: E, organization_id: i64, new: &NewAccount<'_>) -> Result<i64, AppError>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let now = crate::server::now();
    sqlx::query_scalar(
        "INSERT INTO cloud_accounts (organization_id, provider, kind, name, external_account_id, role_arn, app_id, domain, \
         status, status_message, last_checked_at, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(organization_id)
    .bind(new.provider)
    .bind(new.kind)
    .bind(new.name)
    .bind(new.external_account_id)
    .bind(new.role_arn)
    .bind(new.app_id)
    .bind(new.domain)
    .bind(new.status.as_str())
    .bind(new.status_message)
    .bind(now)
    .bind(now)
    .bind(now)
    .fetch_one(executor)
    .await
    .map_err(link_conflict)
}

/// The error for an insert that lost a race with another link of the same account or name.
#[cfg(feature = "ssr")]
pub fn link_conflict(err: sqlx::Error) -> AppError {
    if crate::error::is_unique_violation(&err) {
        AppError::conflict("name", "This account was linked a moment ago by someone else in your organization.")
    } else {
        err.into()
    }
}

/// Makes `account_id` the current account of this session.
#[cfg(feature = "ssr")]
pub async fn make_current(session: &tower_sessions::Session, account_id: i64) -> Result<(), AppError> {
    session.insert(crate::auth::session::CURRENT_ACCOUNT, account_id).await.map_err(crate::auth::session::internal)
}

#[cfg(feature = "ssr")]
pub async fn linked_count(pool: &sqlx::SqlitePool, organization_id: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cloud_accounts WHERE organization_id = ?")
        .bind(organization_id)
        .fetch_one(pool)
        .await?)
}

/// Which of an organization's accounts to read.
#[cfg(feature = "ssr")]
enum Select {
    One(i64),
    /// The first page of every card, and the account `also` wherever it is.
    FirstPages {
        also: Option<i64>,
    },
    CardPage {
        card: Card,
        page: i64,
    },
}

/// Management accounts first ('management' > 'linked' > ''), then by name: the order of the
/// `cloud_accounts_listing` index, so a page is read straight from it.
#[cfg(feature = "ssr")]
const LIST_ORDER: &str = "a.provider, a.kind DESC, a.name";

/// The providers under a card, as two SQL parameters (`provider IN (?, ?)`).
#[cfg(feature = "ssr")]
fn card_providers(card: Card) -> [&'static str; 2] {
    match card {
        Card::Aws => ["aws", "aws"],
        Card::Eks => ["eks", "eks"],
        Card::Azure => ["azure", "azure"],
        Card::Microsoft => ["m365", "entra"],
    }
}

#[cfg(feature = "ssr")]
async fn card_totals(pool: &sqlx::SqlitePool, organization_id: i64) -> Result<Vec<(String, i64)>, AppError> {
    let per_provider: Vec<(String, i64)> =
        sqlx::query_as("SELECT provider, COUNT(*) FROM cloud_accounts WHERE organization_id = ? GROUP BY provider")
            .bind(organization_id)
            .fetch_all(pool)
            .await?;
    Ok(Card::ALL
        .into_iter()
        .map(|card| {
            let total = per_provider
                .iter()
                .filter(|(p, _)| Provider::parse(p).is_some_and(|p| card.holds(p)))
                .map(|(_, n)| n)
                .sum();
            (card.slug().to_string(), total)
        })
        .filter(|(_, total)| *total > 0)
        .collect())
}

/// Accounts as listed, each with how many accounts its card holds in all: counted in the same
/// statement for first pages (the count does not depend on the row, so SQLite runs it once per
/// card), 0 for the other selections.
#[cfg(feature = "ssr")]
async fn summaries(
    pool: &sqlx::SqlitePool,
    organization_id: i64,
    select: Select,
) -> Result<Vec<(AccountSummary, i64)>, AppError> {
    type Row = (i64, String, String, String, String, String, String, Option<i64>, Option<i64>, i64);
    let columns = "a.id, a.provider, a.kind, a.name, a.external_account_id, a.status, a.status_message, \
                   a.last_checked_at, (SELECT MAX(c.not_after) FROM certificates c WHERE c.account_id = a.id)";
    let rows: Vec<Row> = match select {
        Select::One(id) => {
            sqlx::query_as(&format!("SELECT {columns}, 0 FROM cloud_accounts a WHERE a.organization_id = ? AND a.id = ?"))
                .bind(organization_id)
                .bind(id)
                .fetch_all(pool)
                .await?
        }
        Select::FirstPages { also } => {
            // One page per card, each read in index order, and the current account.
            // ?1 is the organization, ?2 the account `also`.
            let page = |providers: &str| {
                format!(
                    "SELECT * FROM (SELECT {columns}, (SELECT COUNT(*) FROM cloud_accounts t WHERE \
                     t.organization_id = ?1 AND t.provider IN ({providers})) FROM cloud_accounts a \
                     WHERE a.organization_id = ?1 AND a.provider IN ({providers}) ORDER BY {LIST_ORDER} LIMIT {PAGE_SIZE})"
                )
            };
            let sql = format!(
                "{} UNION ALL {} UNION ALL {} UNION ALL {} UNION ALL \
                 SELECT {columns}, 0 FROM cloud_accounts a WHERE a.organization_id = ?1 AND a.id = ?2",
                page("'aws'"),
                page("'eks'"),
                page("'azure'"),
                page("'m365', 'entra'")
            );
            let mut rows: Vec<Row> = sqlx::query_as(&sql)
                .bind(organization_id)
                .bind(also)
                .fetch_all(pool)
                .await?;
            let mut seen = std::collections::HashSet::new();
            rows.retain(|row| seen.insert(row.0));
            rows
        }
        Select::CardPage { card, page } => {
            let [first, second] = card_providers(card);
            let sql = format!(
                "SELECT {columns}, 0 FROM cloud_accounts a WHERE a.organization_id = ? AND a.provider IN (?, ?) \
                 ORDER BY {LIST_ORDER} LIMIT ? OFFSET ?"
            );
            sqlx::query_as(&sql)
                .bind(organization_id)
                .bind(first)
                .bind(second)
                .bind(PAGE_SIZE)
                .bind((page - 1) * PAGE_SIZE)
                .fetch_all(pool)
                .await?
        }
    };
    Ok(rows
        .into_iter()
        .filter_map(|(id, provider, kind, name, external_account_id, status, status_message, checked, expires, total)| {
            let summary = AccountSummary {
                id,
                provider: Provider::parse(&provider)?,
                kind,
                name,
                external_account_id,
                status: AccountStatus::parse(&status),
                status_message,
                last_checked: checked.map(format_time),
                certificate_expires: expires.map(format_time),
                certificate_expiring: expires.is_some_and(|t| t - crate::server::now() < 30 * 24 * 3600),
            };
            Some((summary, total))
        })
        .collect())
}

/// Unix seconds as "2026-11-22 05:40 UTC".
#[cfg(feature = "ssr")]
pub fn format_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC")).ok())
        .unwrap_or_default()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(format_time(1_795_325_400), "2026-11-22 05:30 UTC");
    }

    #[test]
    fn every_provider_belongs_to_one_card() {
        assert_eq!(Provider::M365.card(), Card::Microsoft);
        assert_eq!(Provider::Entra.card(), Card::Microsoft);
        assert_eq!(Card::from_slug("eks"), Some(Card::Eks));
        assert_eq!(Card::from_slug("gcp"), None);
    }
}

/// "Showing 51–100 of 10000", with Previous and Next, when a list has more than one page.
#[component]
pub fn Pager(href: String, page: i64, total: i64) -> impl IntoView {
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    (pages > 1).then(|| {
        let first = (page - 1) * PAGE_SIZE + 1;
        let last = (page * PAGE_SIZE).min(total);
        let previous = (page > 1).then(|| format!("{href}?page={}", page - 1));
        let next = (page < pages).then(|| format!("{href}?page={}", page + 1));
        view! {
            <nav class="pager" aria-label="Pages">
                <span class="muted">{format!("Showing {first}–{last} of {total}")}</span>
                {previous.map(|h| view! { <a href=h class="btn btn-small">"Previous"</a> })}
                {next.map(|h| view! { <a href=h class="btn btn-small">"Next"</a> })}
            </nav>
        }
    })
}

/// A table of accounts: name, provider, account id, status and when it was last checked; with
/// `manage`, also Edit, Delete (or Submit Support Request) and Re-test. Rows use plain links
/// (the router still handles them) and share one Re-test form (the clicked button sends its
/// account_id): a component per link and a form per row made long lists slow to render.
#[component]
pub fn AccountList(accounts: Vec<AccountSummary>, #[prop(optional)] manage: bool) -> impl IntoView {
    let retest = ServerAction::<RetestAccount>::new();
    crate::layout::refresh_after(retest);
    let retest_error = crate::ui::error_of(retest);
    let linked_accounts = accounts.iter().filter(|a| a.provider == Provider::Aws && a.kind == "linked").count();
    view! {
        {manage.then(|| view! { <crate::ui::FormError error=retest_error /> })}
        <ActionForm action=retest>
        <table class="accounts">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Provider"</th>
                    <th scope="col">"Account ID"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Last checked"</th>
                    {manage.then(|| view! { <th scope="col">"Actions"</th> })}
                </tr>
            </thead>
            <tbody>
                {accounts
                    .into_iter()
                    .map(|a| {
                        let id = a.id;
                        let management = a.is_aws_management();
                        let provider = match a.kind.as_str() {
                            "" => a.provider.label().to_string(),
                            _ => format!("{} ({})", a.provider.label(), a.kind_label()),
                        };
                        let message = a.status_message.clone();
                        // Azure's Edit opens its subscriptions (which also offers the name).
                        let edit_href = if a.provider == Provider::Azure {
                            format!("/accounts/{id}/subscriptions")
                        } else {
                            format!("/accounts/{id}/edit")
                        };
                        let expiry = a.certificate_expires.clone().map(|date| {
                            let class = if a.certificate_expiring { "hint expiring" } else { "hint" };
                            let text = if a.certificate_expiring {
                                format!(" Certificate expires {date}: generate a new one and upload it before then.")
                            } else {
                                format!(" Certificate expires {date}.")
                            };
                            view! { <span class=class>{text}</span> }
                        });
                        view! {
                            <tr data-account=a.name.clone()>
                                <td>
                                    {a.name.clone()}
                                    {manage.then_some(expiry)}
                                    {(manage && management && linked_accounts > 0).then(|| view! {
                                        <span class="hint">{format!(" Has {linked_accounts} linked account(s).")}</span>
                                    })}
                                </td>
                                <td>{provider}</td>
                                <td><code>{a.external_account_id.clone()}</code></td>
                                <td>
                                    <span class=a.status.css_class() title=message.clone()>{a.status.label()}</span>
                                    {(manage && a.status != AccountStatus::Connected).then(|| view! { <p class="status-message">{message}</p> })}
                                </td>
                                <td>{a.last_checked.clone().unwrap_or_else(|| "Never".into())}</td>
                                {manage.then(|| view! {
                                    <td><div class="actions">
                                        <a href=edit_href class="btn btn-small">"Edit"</a>
                                        {if management {
                                            view! { <a href=format!("/support?account_id={id}") class="btn btn-small">"Submit Support Request"</a> }.into_any()
                                        } else {
                                            view! { <a href=format!("/accounts/{id}/delete") class="btn btn-small btn-danger">"Delete"</a> }.into_any()
                                        }}
                                        <button type="submit" name="account_id" value=id class="btn btn-small" disabled=move || retest.pending().get()>"Re-test"</button>
                                    </div></td>
                                })}
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        </ActionForm>
    }
}
