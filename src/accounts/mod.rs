//! The organization's connected cloud accounts as the whole portal sees them: the Select
//! account dropdown, Home and the Integrations lists. Linking lives with each provider.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
}

/// What every signed-in page shows around its content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub email: String,
    pub organization: String,
    pub accounts: Vec<AccountSummary>,
    pub current_account_id: Option<i64>,
}

impl Workspace {
    pub fn current_account(&self) -> Option<&AccountSummary> {
        self.current_account_id.and_then(|id| self.accounts.iter().find(|a| a.id == id))
    }
}

#[server(endpoint = "workspace")]
pub async fn load_workspace() -> Result<Workspace, AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let organization: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = ?")
        .bind(user.organization_id)
        .fetch_one(&state.pool)
        .await?;
    let accounts = list(&state.pool, user.organization_id).await?;
    let chosen = session
        .get::<i64>(crate::auth::session::CURRENT_ACCOUNT)
        .await
        .map_err(crate::auth::session::internal)?;
    // The remembered choice, if it still exists; else the first account.
    let current_account_id =
        chosen.filter(|id| accounts.iter().any(|a| a.id == *id)).or_else(|| accounts.first().map(|a| a.id));
    Ok(Workspace { email: user.email, organization, accounts, current_account_id })
}

/// Makes `account_id` (one of the caller's organization's accounts) the current account.
#[server(endpoint = "select_account")]
pub async fn select_account(account_id: i64) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM cloud_accounts WHERE id = ? AND organization_id = ?")
        .bind(account_id)
        .bind(user.organization_id)
        .fetch_optional(&state.pool)
        .await?;
    let id = exists.ok_or_else(|| AppError::NotFound("That account does not exist in your organization.".into()))?;
    session.insert(crate::auth::session::CURRENT_ACCOUNT, id).await.map_err(crate::auth::session::internal)?;
    Ok(())
}

#[cfg(feature = "ssr")]
pub async fn linked_count(pool: &sqlx::SqlitePool, organization_id: i64) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM cloud_accounts WHERE organization_id = ?")
        .bind(organization_id)
        .fetch_one(pool)
        .await?)
}

#[cfg(feature = "ssr")]
pub async fn list(pool: &sqlx::SqlitePool, organization_id: i64) -> Result<Vec<AccountSummary>, AppError> {
    let rows: Vec<(i64, String, String, String, String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT id, provider, kind, name, external_account_id, status, status_message, last_checked_at \
         FROM cloud_accounts WHERE organization_id = ? ORDER BY provider, name",
    )
    .bind(organization_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, provider, kind, name, external_account_id, status, status_message, checked)| {
            Some(AccountSummary {
                id,
                provider: Provider::parse(&provider)?,
                kind,
                name,
                external_account_id,
                status: AccountStatus::parse(&status),
                status_message,
                last_checked: checked.map(format_time),
            })
        })
        .collect())
}

/// Unix seconds as "2026-11-22 05:40 UTC".
#[cfg(feature = "ssr")]
pub fn format_time(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| {
            t.format(&time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC")).ok()
        })
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

/// A table of accounts: name, provider, account id, status and when it was last checked.
#[component]
pub fn AccountList(accounts: Vec<AccountSummary>) -> impl IntoView {
    view! {
        <table class="accounts">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Provider"</th>
                    <th scope="col">"Account ID"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Last checked"</th>
                </tr>
            </thead>
            <tbody>
                {accounts
                    .into_iter()
                    .map(|a| {
                        view! {
                            <tr>
                                <td>{a.name}</td>
                                <td>{a.provider.label()}</td>
                                <td><code>{a.external_account_id}</code></td>
                                <td><span class=a.status.css_class() title=a.status_message>{a.status.label()}</span></td>
                                <td>{a.last_checked.unwrap_or_else(|| "Never".into())}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
