//! The audit page (Owners and Admins): the organization's trail, newest first, filtered by
//! member, action, account and dates, a page at a time (by id, so a page never shifts while
//! new rows arrive), and the filtered rows as a CSV download, streamed.
#[cfg(feature = "ssr")]
pub mod export;
mod pages;
#[cfg(feature = "ssr")]
pub mod store;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub use pages::AuditPage;

/// Rows per page.
pub const PAGE_ROWS: i64 = 50;

/// Every action the trail records, with the words the page shows for it.
pub const ACTIONS: &[(&str, &str)] = &[
    ("sign_up", "Signed up"),
    ("sign_up_requested", "Asked to sign up"),
    ("sign_in", "Signed in"),
    ("sign_in_failed", "Sign-in failed"),
    ("sign_in_refused", "Sign-in refused"),
    ("sign_out", "Signed out"),
    ("invitation_sent", "Invited"),
    ("invitation_revoked", "Revoked an invitation"),
    ("invitation_accepted", "Joined"),
    ("role_changed", "Changed a role"),
    ("member_removed", "Removed a member"),
    ("member_left", "Left the organization"),
    ("password_changed", "Changed their password"),
    ("password_reset_requested", "Asked to reset their password"),
    ("password_reset", "Reset their password"),
    ("second_factor_added", "Added a second factor"),
    ("second_factor_removed", "Removed a second factor"),
    ("recovery_codes_regenerated", "Made new recovery codes"),
    ("second_factor_required", "Required a second factor of everyone"),
    ("second_factor_not_required", "Stopped requiring a second factor"),
    ("session_ended", "Signed out one of their sessions"),
    ("api_token_created", "Created an API token"),
    ("api_token_revoked", "Revoked an API token"),
    ("signed_out_elsewhere", "Signed out everywhere else"),
    ("organization_renamed", "Renamed the organization"),
    ("link_account", "Linked an account"),
    ("link_refused", "Link refused"),
    ("rename_account", "Renamed an account"),
    ("delete_account", "Deleted an account"),
    ("retest_account", "Re-tested"),
    ("status_changed", "Status changed"),
    ("generate_certificate", "Generated a certificate"),
    ("switch_certificate", "Switched how an account signs in"),
    ("federated_subject", "Made federated credential values"),
    ("update_subscriptions", "Changed subscriptions"),
    ("refresh_subscriptions", "Read subscriptions"),
    ("organization_read", "Read the AWS Organization"),
    ("organization_exclusion", "Changed exclusions"),
    ("organization_auto_link", "Changed automatic linking"),
    ("link_accounts_started", "Started Link accounts"),
    ("link_accounts_finished", "Link accounts finished"),
    ("add_notification_email", "Added a notification address"),
    ("add_webhook", "Added a webhook"),
    ("remove_notification_target", "Removed a notification target"),
    ("webhook_paused", "Paused a webhook"),
    ("support_request", "Asked support"),
    ("support_request_closed", "Support closed a request"),
];

/// The words for `action` (the code itself for one this list does not know).
pub fn action_label(action: &str) -> &str {
    ACTIONS.iter().find(|(code, _)| *code == action).map_or(action, |(_, label)| label)
}

/// The filters, as the page's form and the CSV link carry them (`?member=7&action=sign_in`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    /// A member's user id, or `xops` for the portal itself.
    pub member: String,
    pub action: String,
    pub account: String,
    /// `YYYY-MM-DD`, UTC, both inclusive.
    pub from: String,
    pub to: String,
}

impl Filters {
    pub const FIELDS: [&'static str; 5] = ["member", "action", "account", "from", "to"];

    pub fn from_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Filters {
        let mut f = Filters::default();
        for (key, value) in pairs {
            let slot = match key {
                "member" => &mut f.member,
                "action" => &mut f.action,
                "account" => &mut f.account,
                "from" => &mut f.from,
                "to" => &mut f.to,
                _ => continue,
            };
            *slot = value.chars().take(64).collect();
        }
        f
    }

    /// The query string that carries them (set ones only).
    pub fn to_query(&self) -> String {
        [("member", &self.member), ("action", &self.action), ("account", &self.account), ("from", &self.from), ("to", &self.to)]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", crate::domain::percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The store's query for `organization_id`, or the field that cannot be read.
    #[cfg(feature = "ssr")]
    pub fn query(&self, organization_id: i64) -> Result<store::Query, AppError> {
        let number = |field: &str, value: &str| {
            value.parse::<i64>().map_err(|_| AppError::invalid(field, format!("Choose a {field} from the list.")))
        };
        let member = match self.member.as_str() {
            "" => None,
            "xops" => Some(store::Member::Xops),
            id => Some(store::Member::User(number("member", id)?)),
        };
        let action = match self.action.as_str() {
            "" => None,
            code if ACTIONS.iter().any(|(c, _)| *c == code) => Some(code.to_string()),
            _ => return Err(AppError::invalid("action", "Choose an action from the list.")),
        };
        let account_id = match self.account.as_str() {
            "" => None,
            id => Some(number("account", id)?),
        };
        let from = day_start("from", &self.from)?;
        let until = day_start("to", &self.to)?.map(|day| day + 86_400);
        if let (Some(from), Some(until)) = (from, until) {
            if until <= from {
                return Err(AppError::invalid("to", "The end date is before the start date."));
            }
        }
        Ok(store::Query { organization_id, action, account_id, member, from, until })
    }
}

/// Unix seconds at the start (UTC) of `YYYY-MM-DD`, if given.
#[cfg(feature = "ssr")]
fn day_start(field: &str, value: &str) -> Result<Option<i64>, AppError> {
    if value.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, format)
        .map(|date| Some(date.midnight().assume_utc().unix_timestamp()))
        .map_err(|_| AppError::invalid(field, "Give the date as YYYY-MM-DD."))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    /// Unix seconds (the page shows `when`; the next page starts after `at` and `id`).
    pub at: i64,
    pub when: String,
    pub who: String,
    pub what: String,
    pub account: String,
    pub detail: String,
    pub from: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrailPage {
    pub rows: Vec<AuditRow>,
    /// Where the next (older) page starts, if there is one (`Cursor::to_param`).
    pub older: Option<String>,
    /// (value, label) of the member filter's choices.
    pub members: Vec<(String, String)>,
    /// (id, name) of the account filter's choices.
    pub accounts: Vec<(i64, String)>,
}

/// A page of the trail under `filters` (see `Filters`), after the cursor `before` if given.
#[server(endpoint = "audit_trail")]
pub async fn audit_trail(member: String, action: String, account: String, from: String, to: String, before: Option<String>) -> Result<TrailPage, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let filters = Filters { member, action, account, from, to };
    let query = filters.query(user.organization_id)?;
    let after = match before.as_deref().filter(|b| !b.is_empty()) {
        None => None,
        Some(text) => Some(store::Cursor::parse(text).ok_or_else(|| AppError::invalid("before", "This page link is broken: go back to the first page."))?),
    };
    let mut rows: Vec<AuditRow> =
        store::page(&state.pool, &query, after, PAGE_ROWS + 1).await?.into_iter().map(audit_row).collect();
    let older = (rows.len() > PAGE_ROWS as usize).then(|| {
        rows.truncate(PAGE_ROWS as usize);
        rows.last().map(|r| store::Cursor { at: r.at, id: r.id }.to_param())
    });
    let mut members: Vec<(String, String)> = crate::teams::store::members(&state.pool, user.organization_id)
        .await?
        .into_iter()
        .map(|(id, name, email, _, _, _)| (id.to_string(), if name.is_empty() { email } else { format!("{name} ({email})") }))
        .collect();
    members.push(("xops".into(), "Xops (scheduled checks, notifications, support)".into()));
    let accounts = store::accounts_named(&state.pool, user.organization_id).await?;
    Ok(TrailPage { rows, older: older.flatten(), members, accounts })
}

#[cfg(feature = "ssr")]
fn audit_row((id, at, who, action, account, detail, from): store::Row) -> AuditRow {
    AuditRow { id, at, when: crate::server::format_time(at), who, what: action_label(&action).to_string(), account, detail, from }
}
