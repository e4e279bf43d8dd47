//! The workspace: what every signed-in page shows around its content (the first page of each
//! card's accounts, their totals, the current account), the server functions that read it,
//! and its handle for the layout and the page (`WorkspaceResource`).
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::store::{self, Select};
use super::AccountSummary;
use crate::domain::Card;
use crate::error::AppError;

/// `accounts` holds the first page of each card (and the current account); `card_totals` says
/// how many there are in all, as (card slug, total).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub email: String,
    pub organization: String,
    pub accounts: Vec<AccountSummary>,
    pub card_totals: Vec<(String, i64)>,
    pub current_account_id: Option<i64>,
    /// Where users turn for help (`XOPS_SUPPORT_EMAIL`).
    pub support_email: String,
    /// Whether this user is one of the platform's operators (the support inbox).
    pub is_operator: bool,
    /// Their role in the organization: pages offer only what it allows.
    pub role: crate::domain::Role,
    /// How many organizations they belong to (past one, the profile menu offers a switch).
    pub organizations: i64,
}

impl Workspace {
    /// Whether they may link, change and delete accounts (an Admin or Owner).
    pub fn may_change(&self) -> bool {
        self.role.includes(crate::domain::Role::Admin)
    }

    pub fn current_account(&self) -> Option<&AccountSummary> {
        self.current_account_id.and_then(|id| self.accounts.iter().find(|a| a.id == id))
    }

    pub fn total(&self, card: Card) -> i64 {
        self.card_totals.iter().find(|(slug, _)| slug == card.slug()).map(|(_, n)| *n).unwrap_or(0)
    }

    pub fn total_accounts(&self) -> i64 {
        self.card_totals.iter().map(|(_, n)| n).sum()
    }

    /// The listed accounts under `card`.
    pub fn accounts_of(&self, card: Card) -> Vec<AccountSummary> {
        self.accounts.iter().filter(|a| card.holds(a.provider)).cloned().collect()
    }
}

/// One page of a card's accounts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardPage {
    pub accounts: Vec<AccountSummary>,
    pub total: i64,
    pub page: i64,
}

#[server(endpoint = "workspace")]
pub async fn load_workspace() -> Result<Workspace, AppError> {
    use crate::auth::session::{internal, require_user, CURRENT_ACCOUNT};
    let (state, session, user) = require_user().await?;
    let chosen = session.get::<i64>(CURRENT_ACCOUNT).await.map_err(internal)?;
    let listed = store::summaries(&state.pool, user.organization_id, Select::FirstPages { also: chosen }).await?;
    let card_totals = Card::ALL
        .iter().copied()
        .filter_map(|card| {
            let total = listed.iter().filter(|(a, _)| card.holds(a.provider)).map(|(_, total)| *total).max()?;
            Some((card.slug().to_string(), total))
        })
        .collect();
    let accounts: Vec<AccountSummary> = listed.into_iter().map(|(account, _)| account).collect();
    // The remembered choice, if it still exists; else the first account.
    let current_account_id =
        chosen.filter(|id| accounts.iter().any(|a| a.id == *id)).or_else(|| accounts.first().map(|a| a.id));
    let is_operator = state.config.is_operator(&user.email);
    Ok(Workspace {
        email: user.email,
        organization: user.organization_name,
        accounts,
        card_totals,
        current_account_id,
        support_email: state.config.mail.support_address.clone(),
        is_operator,
        role: user.role,
        organizations: user.organizations,
    })
}

#[server(endpoint = "card_accounts")]
pub async fn load_card_page(card: String, page: i64) -> Result<CardPage, AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    let card = Card::from_slug(&card).ok_or_else(|| AppError::NotFound("There is no such integration.".into()))?;
    let page = page.clamp(1, i64::MAX / super::PAGE_SIZE);
    let accounts = store::summaries(&state.pool, user.organization_id, Select::CardPage { card, page })
        .await?
        .into_iter()
        .map(|(account, _)| account)
        .collect();
    let total = store::card_totals(&state.pool, user.organization_id)
        .await?
        .into_iter()
        .find(|(slug, _)| slug == card.slug())
        .map(|(_, n)| n)
        .unwrap_or(0);
    Ok(CardPage { accounts, total, page })
}

/// Makes `account_id` (one of the caller's organization's accounts) the current account.
#[server(endpoint = "select_account")]
pub async fn select_account(account_id: i64) -> Result<(), AppError> {
    let (state, session, user) = crate::auth::session::require_user().await?;
    let account = super::find(&state.pool, user.organization_id, account_id).await?;
    make_current(&session, account.id).await
}

/// Makes `account_id` the current account of this session.
#[cfg(feature = "ssr")]
pub async fn make_current(session: &tower_sessions::Session, account_id: i64) -> Result<(), AppError> {
    use crate::auth::session::{internal, CURRENT_ACCOUNT};
    session.insert(CURRENT_ACCOUNT, account_id).await.map_err(internal)
}

/// The signed-in workspace, loaded once per page for the layout and the page inside it.
#[derive(Clone, Copy)]
pub struct WorkspaceResource(pub Resource<Result<Workspace, AppError>>);

impl WorkspaceResource {
    /// Whether the reader may change what the organization holds (`Workspace::may_change`),
    /// for a page's own Suspend; false while the workspace cannot be read.
    pub async fn may_change(self) -> bool {
        self.0.await.is_ok_and(|ws| ws.may_change())
    }
}

/// What a reader who may not `doing` sees where the form would be.
pub fn changers_only(doing: &str, role: crate::domain::Role) -> AnyView {
    view! {
        <p class="notice notice-info" role="status">
            {format!("Only an Admin or Owner can {doing}. Your role is {}: ask an Admin or Owner of your organization.", role.label())}
        </p>
    }
    .into_any()
}

/// Renders `render` with the workspace once it has loaded, or the error that stopped it.
pub fn with_workspace<V: IntoView + 'static>(
    render: impl Fn(Workspace) -> V + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let WorkspaceResource(resource) = expect_context();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match resource.await {
                    Ok(ws) => render(ws).into_any(),
                    Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `children` for a member who may change what the organization holds (an Admin or Owner);
/// for a Viewer, the sentence that says who may `doing` instead, so no page offers a form its
/// reader cannot send.
#[component]
pub fn ForChangers(doing: &'static str, children: ChildrenFn) -> impl IntoView {
    let children = StoredValue::new(children);
    with_workspace(move |ws| {
        if ws.may_change() {
            children.with_value(|children| children()).into_any()
        } else {
            changers_only(doing, ws.role)
        }
    })
}

/// The guide's last line on every linking page: "For any challenges, please contact our support
/// team at ...", with the configured address as a mailto link.
#[component]
pub fn SupportContact() -> impl IntoView {
    with_workspace(|ws| {
        let mailto = format!("mailto:{}", ws.support_email);
        view! {
            <p class="support-line">
                "For any challenges, please contact our support team at " <a href=mailto>{ws.support_email}</a>
            </p>
        }
    })
}
