//! Azure Resource Manager reads: the tenant's subscriptions, its management groups, and the
//! subscriptions anywhere under a management group. Every list is followed through its
//! `nextLink`, and the token only ever goes back to Resource Manager itself.
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{same_origin, Microsoft, Subscription};
use crate::error::AppError;

/// A management group the app can see.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct ManagementGroup {
    /// The group's name (its id in ARM paths).
    pub name: String,
    #[serde(default)]
    pub properties: GroupProperties,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
pub struct GroupProperties {
    #[serde(rename = "displayName", default, deserialize_with = "crate::domain::deserialize_visible_name")]
    pub display_name: String,
}

#[derive(Deserialize)]
struct Descendant {
    #[serde(rename = "type", default)]
    kind: String,
    name: String,
}

/// The management groups API version (stable since 2021).
const GROUPS_API: &str = "api-version=2021-04-01";
/// More pages than any tenant has: a loop guard, not a limit anyone meets.
const MOST_PAGES: usize = 1000;

impl Microsoft {
    /// Every page of the list at `path` (below the ARM base URL); `refused` says what to do
    /// when Resource Manager refuses it.
    async fn paged<T: DeserializeOwned>(&self, path: &str, access_token: &str, refused: &str) -> Result<Vec<T>, AppError> {
        #[derive(Deserialize)]
        struct Page<T> {
            #[serde(default = "Vec::new")]
            value: Vec<T>,
            #[serde(rename = "nextLink")]
            next_link: Option<String>,
        }
        let base = self.settings.arm_url.trim_end_matches('/');
        let mut url = format!("{base}{path}");
        let mut all = Vec::new();
        for _ in 0..MOST_PAGES {
            let response = self.send(self.http.get(&url).bearer_auth(access_token)).await?;
            if !response.status().is_success() {
                return Err(AppError::Upstream(format!(
                    "Azure Resource Manager refused {refused} (HTTP {}).",
                    response.status().as_u16()
                )));
            }
            let page: Page<T> = response.json().await.map_err(|_| {
                AppError::Upstream(format!("Azure Resource Manager answered {refused} with something unreadable. Try again later."))
            })?;
            all.extend(page.value);
            match page.next_link {
                Some(next) if same_origin(base, &next) => url = next,
                Some(_) => {
                    return Err(AppError::Upstream(
                        "Azure Resource Manager pointed to another host for the next page; Xops stopped there.".into(),
                    ))
                }
                None => return Ok(all),
            }
        }
        Err(AppError::Upstream(format!("Azure Resource Manager returned too many pages for {refused}.")))
    }

    /// Every subscription the tenant shows this app.
    pub async fn subscriptions(&self, access_token: &str) -> Result<Vec<Subscription>, AppError> {
        let refused = "to list subscriptions. Give the app the Reader role on the management group or subscriptions, then Refresh";
        self.paged("/subscriptions?api-version=2022-12-01", access_token, refused).await
    }

    /// Every management group the app can see.
    pub async fn management_groups(&self, access_token: &str) -> Result<Vec<ManagementGroup>, AppError> {
        let refused = "to list management groups. Give the app the Reader role on the management groups to choose whole groups";
        self.paged(&format!("/providers/Microsoft.Management/managementGroups?{GROUPS_API}"), access_token, refused).await
    }

    /// The ids of the subscriptions anywhere under management group `group` (any depth).
    pub async fn group_subscriptions(&self, access_token: &str, group: &str) -> Result<Vec<String>, AppError> {
        if !group.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')')) {
            return Err(AppError::invalid("groups", format!("\"{group}\" is not a management group id.")));
        }
        let refused = format!("to list what is under management group {group}. Give the app the Reader role on it");
        let path = format!("/providers/Microsoft.Management/managementGroups/{group}/descendants?{GROUPS_API}");
        let descendants: Vec<Descendant> = self.paged(&path, access_token, &refused).await?;
        Ok(descendants
            .into_iter()
            .filter(|d| d.kind.eq_ignore_ascii_case("Microsoft.Management/managementGroups/subscriptions"))
            .map(|d| d.name.to_lowercase())
            .collect())
    }
}
