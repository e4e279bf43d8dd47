//! The SQL of the organization's accounts. Every query is scoped to one organization; the
//! provider lists come from `Card::providers`, so no query names a provider.
use std::sync::OnceLock;

use crate::server::{Db, Pool};

use super::summary::{AccountSummary, PAGE_SIZE};
use crate::domain::{AccountKind, AccountName, AccountStatus, AwsKind, Card, Provider, Verified};
use crate::error::{AppError, OnUniqueViolation};
use crate::server::{format_time, now};

/// How long before its certificate expires an account is shown as needing attention.
pub const CERTIFICATE_WARNING_SECS: i64 = 30 * 24 * 3600;

/// Which of an organization's accounts to read.
pub enum Select {
    One(i64),
    /// The first page of every card, and the account `also` wherever it is.
    FirstPages { also: Option<i64> },
    CardPage { card: Card, page: i64 },
    /// Those needing attention, worst first: failed, warning, then a certificate expiring
    /// before `expiring_before`.
    Attention { expiring_before: i64, limit: i64 },
    /// The API's pages: by id after `after`, of one provider and one status if given.
    After { provider: Option<Provider>, status: Option<AccountStatus>, after: i64, limit: i64 },
}

/// Management accounts first ('management' > 'linked' > ''), then by name: the order of the
/// `cloud_accounts_listing` index, so a page is read straight from it.
const LIST_ORDER: &str = "a.provider, a.kind DESC, a.name";

const COLUMNS: &str = "a.id, a.provider, a.kind, a.name, a.external_account_id, a.status, a.status_message, \
                       a.last_checked_at, (SELECT MAX(c.not_after) FROM certificates c WHERE c.account_id = a.id)";

/// The card's providers as an SQL list of literals (`'m365', 'entra'`): fixed words of ours.
fn provider_literals(card: Card) -> String {
    card.providers().map(|p| format!("'{}'", p.as_str())).collect::<Vec<_>>().join(", ")
}

/// One page per card, each read in index order, and the current account; each row also carries
/// how many accounts its card holds (the count does not depend on the row, so SQLite runs it
/// once per card). ?1 is the organization, ?2 the account `also`. Built once.
fn first_pages_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let pages: Vec<String> = Card::ALL
            .iter().copied()
            .map(|card| {
                let providers = provider_literals(card);
                format!(
                    "SELECT * FROM (SELECT {COLUMNS}, (SELECT COUNT(*) FROM cloud_accounts t WHERE \
                     t.organization_id = $1 AND t.provider IN ({providers})) FROM cloud_accounts a \
                     WHERE a.organization_id = $1 AND a.provider IN ({providers}) ORDER BY {LIST_ORDER} LIMIT {PAGE_SIZE}) AS page_{}",
                    card.slug()
                )
            })
            .collect();
        format!(
            "{} UNION ALL SELECT {COLUMNS}, 0 FROM cloud_accounts a WHERE a.organization_id = $1 AND a.id = $2",
            pages.join(" UNION ALL ")
        )
    })
}

type Row = (i64, String, String, String, String, String, String, Option<i64>, Option<i64>, i64);

/// Accounts as listed, each with how many accounts its card holds in all (first pages; 0 for
/// the other selections).
pub async fn summaries(
    pool: &Pool,
    organization_id: i64,
    select: Select,
) -> Result<Vec<(AccountSummary, i64)>, AppError> {
    let rows: Vec<Row> = match select {
        Select::One(id) => {
            sqlx::query_as(&format!("SELECT {COLUMNS}, 0 FROM cloud_accounts a WHERE a.organization_id = $1 AND a.id = $2"))
                .bind(organization_id)
                .bind(id)
                .fetch_all(pool)
                .await?
        }
        Select::FirstPages { also } => {
            let mut rows: Vec<Row> =
                sqlx::query_as(first_pages_sql()).bind(organization_id).bind(also).fetch_all(pool).await?;
            let mut seen = std::collections::HashSet::new();
            rows.retain(|row| seen.insert(row.0));
            rows
        }
        Select::Attention { expiring_before, limit } => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS}, 0 FROM cloud_accounts a WHERE a.organization_id = $1 AND (a.status IN ('failed', 'warning') \
                 OR a.id IN (SELECT c.account_id FROM certificates c WHERE c.organization_id = $1 AND c.not_after < $2)) \
                 ORDER BY CASE a.status WHEN 'failed' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, a.name LIMIT $3"
            ))
            .bind(organization_id)
            .bind(expiring_before)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }
        Select::After { provider, status, after, limit } => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS}, 0 FROM cloud_accounts a WHERE a.organization_id = $1 AND a.id > $2 \
                 AND ($3 = '' OR a.provider = $3) AND ($4 = '' OR a.status = $4) ORDER BY a.id LIMIT $5"
            ))
            .bind(organization_id)
            .bind(after)
            .bind(provider.map(Provider::as_str).unwrap_or_default())
            .bind(status.map(AccountStatus::as_str).unwrap_or_default())
            .bind(limit)
            .fetch_all(pool)
            .await?
        }
        Select::CardPage { card, page } => {
            let sql = format!(
                "SELECT {COLUMNS}, 0 FROM cloud_accounts a WHERE a.organization_id = $1 AND a.provider IN ({}) \
                 ORDER BY {LIST_ORDER} LIMIT $2 OFFSET $3",
                provider_literals(card)
            );
            sqlx::query_as(&sql)
                .bind(organization_id)
                .bind(PAGE_SIZE)
                .bind((page - 1) * PAGE_SIZE)
                .fetch_all(pool)
                .await?
        }
    };
    let now = now();
    Ok(rows
        .into_iter()
        .filter_map(|(id, provider, kind, name, external_account_id, status, status_message, checked, expires, total)| {
            let provider = Provider::parse(&provider)?;
            let summary = AccountSummary {
                id,
                provider,
                kind: AccountKind::of(provider, &kind),
                name,
                external_account_id,
                status: AccountStatus::parse(&status),
                status_message,
                last_checked: checked.map(format_time),
                certificate_expires: expires.map(format_time),
                certificate_expiring: expires.is_some_and(|t| t - now < CERTIFICATE_WARNING_SECS),
            };
            Some((summary, total))
        })
        .collect())
}

/// How many accounts each card holds (cards with none are left out), as (slug, total).
pub async fn card_totals(pool: &Pool, organization_id: i64) -> Result<Vec<(String, i64)>, AppError> {
    let per_provider: Vec<(String, i64)> =
        sqlx::query_as("SELECT provider, COUNT(*) FROM cloud_accounts WHERE organization_id = $1 GROUP BY provider")
            .bind(organization_id)
            .fetch_all(pool)
            .await?;
    Ok(Card::ALL
        .iter().copied()
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

/// What a provider reaches a saved account through, each in that provider's own column: an
/// AWS role, or a Microsoft app registration (with its Microsoft 365 tenant's domain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials<'a> {
    AwsRole { role_arn: &'a str },
    MicrosoftApp { app_id: &'a str, m365_domain: &'a str },
}

/// A saved account's credentials (the one that fits its provider is filled in, the other empty).
pub struct Access {
    pub aws_role_arn: String,
    pub microsoft_app_id: String,
}

pub async fn access(pool: &Pool, organization_id: i64, account_id: i64) -> Result<Access, AppError> {
    let (aws_role_arn, microsoft_app_id): (String, String) =
        sqlx::query_as("SELECT aws_role_arn, microsoft_app_id FROM cloud_accounts WHERE id = $1 AND organization_id = $2")
            .bind(account_id)
            .bind(organization_id)
            .fetch_one(pool)
            .await?;
    Ok(Access { aws_role_arn, microsoft_app_id })
}

/// How many accounts of this kind the organization has.
pub async fn count_of_kind(pool: &Pool, organization_id: i64, kind: AccountKind) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cloud_accounts WHERE organization_id = $1 AND provider = $2 AND kind = $3")
        .bind(organization_id)
        .bind(kind.provider().as_str())
        .bind(kind.column())
        .fetch_one(pool)
        .await?)
}

/// The AWS roles of every account of this kind, oldest first.
pub async fn role_arns_of_kind(pool: &Pool, organization_id: i64, kind: AwsKind) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT aws_role_arn FROM cloud_accounts WHERE organization_id = $1 AND provider = $2 AND kind = $3 ORDER BY id",
    )
    .bind(organization_id)
    .bind(kind.provider().as_str())
    .bind(kind.kind_column())
    .fetch_all(pool)
    .await?)
}

/// Whether another account of `provider` already has this name (case-insensitively);
/// `except` is the account being renamed.
pub async fn name_taken<'c, E>(
    executor: E,
    organization_id: i64,
    provider: Provider,
    name: &AccountName,
    except: Option<i64>,
) -> Result<bool, AppError>
where
    E: sqlx::Executor<'c, Database = crate::server::Db>,
{
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM cloud_accounts WHERE organization_id = $1 AND provider = $2 AND lower(name) = lower($3) AND id != $4",
    )
    .bind(organization_id)
    .bind(provider.as_str())
    .bind(name.as_str())
    .bind(except.unwrap_or(-1))
    .fetch_optional(executor)
    .await?;
    Ok(taken.is_some())
}

/// The name under which `external_account_id` is already linked for `provider`, if it is.
pub async fn linked_as(
    pool: &Pool,
    organization_id: i64,
    provider: Provider,
    external_account_id: &str,
) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT name FROM cloud_accounts WHERE organization_id = $1 AND provider = $2 AND external_account_id = $3",
    )
    .bind(organization_id)
    .bind(provider.as_str())
    .bind(external_account_id)
    .fetch_optional(pool)
    .await?)
}

/// A verified account about to be saved.
pub struct NewAccount<'a> {
    pub kind: AccountKind,
    pub name: &'a str,
    pub external_account_id: &'a str,
    pub credentials: Credentials<'a>,
    pub verified: &'a Verified,
}

/// Saves a verified account (checked at `check.at`, its first history row) and returns its id.
/// A unique violation is a link that lost a race with another of the same account or name.
pub async fn insert(
    conn: &mut sqlx::AnyConnection,
    organization_id: i64,
    new: &NewAccount<'_>,
    check: &super::check_store::CheckRecord,
) -> Result<i64, AppError> {
    let (role_arn, app_id, m365_domain) = match new.credentials {
        Credentials::AwsRole { role_arn } => (role_arn, "", ""),
        Credentials::MicrosoftApp { app_id, m365_domain } => ("", app_id, m365_domain),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO cloud_accounts (organization_id, provider, kind, name, external_account_id, aws_role_arn, microsoft_app_id, m365_domain, \
         status, status_message, last_checked_at, created_at, updated_at, next_check_at, recent_checks) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
    )
    .bind(organization_id)
    .bind(new.kind.provider().as_str())
    .bind(new.kind.column())
    .bind(new.name)
    .bind(new.external_account_id)
    .bind(role_arn)
    .bind(app_id)
    .bind(m365_domain)
    .bind(new.verified.status.as_str())
    .bind(&new.verified.message)
    .bind(check.at)
    .bind(check.at)
    .bind(check.at)
    .bind(check.next_check_at)
    .bind(super::check_store::with_recent("", new.verified, check))
    .fetch_one(&mut *conn)
    .await
    .on_unique_violation(|| {
        AppError::conflict("name", "This account was linked a moment ago by someone else in your organization.")
    })?;
    super::check_store::append_check(conn, id, new.verified, check).await?;
    Ok(id)
}

/// Renames an account; a unique violation is a rename that lost a race for the same name.
pub async fn rename<'c, E>(
    executor: E,
    organization_id: i64,
    account: &AccountSummary,
    name: &AccountName,
) -> Result<(), AppError>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    sqlx::query("UPDATE cloud_accounts SET name = $1, updated_at = $2 WHERE id = $3 AND organization_id = $4")
        .bind(name.as_str())
        .bind(now())
        .bind(account.id)
        .bind(organization_id)
        .execute(executor)
        .await
        .on_unique_violation(|| {
            AppError::conflict("name", format!("Another {} account is already named \"{name}\".", account.provider.label()))
        })?;
    Ok(())
}

pub async fn delete<'c, E>(executor: E, organization_id: i64, account_id: i64) -> Result<(), AppError>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    sqlx::query("DELETE FROM cloud_accounts WHERE id = $1 AND organization_id = $2")
        .bind(account_id)
        .bind(organization_id)
        .execute(executor)
        .await?;
    Ok(())
}

/// Deletes every account of one kind (a management account's linked accounts, when it goes);
/// returns how many.
pub async fn delete_of_kind<'c, E>(executor: E, organization_id: i64, kind: AccountKind) -> Result<u64, AppError>
where
    E: sqlx::Executor<'c, Database = Db>,
{
    Ok(sqlx::query("DELETE FROM cloud_accounts WHERE organization_id = $1 AND provider = $2 AND kind = $3")
        .bind(organization_id)
        .bind(kind.provider().as_str())
        .bind(kind.column())
        .execute(executor)
        .await?
        .rows_affected())
}
