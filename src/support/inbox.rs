//! The support inbox of the platform's operators (`XOPS_OPERATORS`): every organization's
//! requests, newest first, with Close; for a management-account deletion request, the deletion
//! itself (typed name), audit-logged in the customer's organization with the operator as actor.
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::ui::{error_of, FieldError, FormError, Notice, Submit};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxItem {
    pub id: i64,
    pub organization: String,
    pub author: String,
    pub subject: String,
    pub description: String,
    pub status: String,
    pub created: String,
    pub delivery: String,
    /// The account the request is about, when the portal deletes it only through support.
    pub account: Option<RequestedAccount>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestedAccount {
    pub name: String,
    /// "AWS Management account 123456789012".
    pub description: String,
    /// Accounts that go with it (a last management account's linked accounts).
    pub going_with_it: i64,
}

/// The signed-in user, if an operator; else 404 (customers never learn the inbox exists).
#[cfg(feature = "ssr")]
async fn require_operator() -> Result<(crate::server::AppState, crate::auth::session::SessionUser), AppError> {
    let (state, _, user) = crate::auth::session::require_user().await?;
    if !state.config.is_operator(&user.email) {
        return Err(AppError::NotFound("There is no such page.".into()));
    }
    Ok((state, user))
}

#[server(endpoint = "support_inbox")]
pub async fn support_inbox() -> Result<Vec<InboxItem>, AppError> {
    let (state, _) = require_operator().await?;
    let rows = super::store::requests(&state.pool, None).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let account = match r.account_id {
            Some(account_id) => requested_account(&state.pool, r.organization_id, account_id).await?.map(|(account, going)| RequestedAccount {
                description: format!(
                    "{} {} account {}",
                    account.provider.label(),
                    account.kind.short_label().unwrap_or_default(),
                    account.external_account_id
                ),
                name: account.name,
                going_with_it: going,
            }),
            None => None,
        };
        items.push(InboxItem {
            id: r.id,
            organization: r.organization,
            author: r.author.unwrap_or_default(),
            subject: r.subject,
            description: r.description,
            status: r.status,
            created: crate::server::format_time(r.created_at),
            delivery: super::delivery_text(r.mail_id, r.sent_at),
            account,
        });
    }
    Ok(items)
}

/// The account a request names, if it still exists and is one the portal deletes only through
/// support, with how many accounts would go with it.
#[cfg(feature = "ssr")]
async fn requested_account(
    pool: &crate::server::Pool,
    organization_id: i64,
    account_id: i64,
) -> Result<Option<(crate::accounts::AccountSummary, i64)>, AppError> {
    use crate::accounts::store::count_of_kind;
    let Ok(account) = crate::accounts::find(pool, organization_id, account_id).await else {
        return Ok(None);
    };
    if !account.deleted_through_support() {
        return Ok(None);
    }
    let others_of_its_kind = count_of_kind(pool, organization_id, account.kind).await? - 1;
    let going = match account.kind.dependents() {
        Some(kind) if others_of_its_kind == 0 => count_of_kind(pool, organization_id, kind).await?,
        _ => 0,
    };
    Ok(Some((account, going)))
}

/// The request, or 404.
#[cfg(feature = "ssr")]
async fn request_of(pool: &crate::server::Pool, request_id: i64) -> Result<(i64, Option<i64>, String), AppError> {
    super::store::request(pool, request_id)
        .await?
        .ok_or_else(|| AppError::NotFound("That support request does not exist.".into()))
}


/// The operator, acting in the customer's organization (its audit log shows what support did).
#[cfg(feature = "ssr")]
async fn operator_in(organization_id: i64, operator: &crate::auth::session::SessionUser) -> crate::audit::Actor {
    crate::audit::Actor {
        organization_id: Some(organization_id),
        user_id: None,
        who: format!("Xops support ({})", operator.email),
        addr: crate::auth::session::client_addr().await,
    }
}

#[server(endpoint = "close_support_request")]
pub async fn close_support_request(request_id: i64) -> Result<(), AppError> {
    let (state, operator) = require_operator().await?;
    let (organization_id, _, _) = request_of(&state.pool, request_id).await?;
    let actor = operator_in(organization_id, &operator).await;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    super::store::close(&mut tx, request_id, &operator.email, crate::server::now()).await?;
    crate::audit::write(&mut *tx, &actor, "support_request_closed", &format!("request #{request_id}")).await?;
    tx.commit().await?;
    leptos_axum::redirect("/support/inbox?notice=request-closed", false);
    Ok(())
}

/// Deletes the management account a request asks to delete (its name typed to confirm), with
/// its linked accounts when it is the organization's last, and closes the request.
#[server(endpoint = "delete_requested_account")]
pub async fn delete_requested_account(request_id: i64, confirm_name: String) -> Result<(), AppError> {
    use crate::accounts::store;
    let (state, operator) = require_operator().await?;
    let (organization_id, account_id, status) = request_of(&state.pool, request_id).await?;
    let (account, going) = match account_id {
        Some(id) => requested_account(&state.pool, organization_id, id).await?,
        None => None,
    }
    .ok_or_else(|| AppError::Refused("This request names no account that is deleted through support (it may be gone already).".into()))?;
    if status != "open" {
        return Err(AppError::Refused("This request is closed.".into()));
    }
    if confirm_name.trim() != account.name {
        return Err(AppError::invalid("confirm_name", "Type the account name exactly as shown to confirm."));
    }
    let actor = operator_in(organization_id, &operator).await;
    let mut tx = crate::server::begin_write(&state.pool).await?;
    store::delete(&mut *tx, organization_id, account.id).await?;
    let mut detail = format!(
        "{} account \"{}\" ({}) deleted on support request #{request_id}",
        account.provider.label(),
        account.name,
        account.external_account_id
    );
    if let (Some(kind), true) = (account.kind.dependents(), going > 0) {
        let deleted = store::delete_of_kind(&mut *tx, organization_id, kind).await?;
        detail.push_str(&format!(", with its {deleted} linked account(s)"));
    }
    crate::audit::write_about(&mut *tx, &actor, "delete_account", crate::audit::About { id: account.id, name: &account.name }, &detail).await?;
    super::store::close(&mut tx, request_id, &operator.email, crate::server::now()).await?;
    tx.commit().await?;
    leptos_axum::redirect("/support/inbox?notice=requested-account-deleted", false);
    Ok(())
}

#[component]
pub fn SupportInboxPage() -> impl IntoView {
    let items = Resource::new(|| (), |_| support_inbox());
    // A customer gets "Page not found" (404), not the inbox's heading: they never learn it exists.
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = match items.await {
                    Ok(list) => list,
                    Err(AppError::NotFound(_)) => return view! { <crate::ui::PageNotFound /> }.into_any(),
                    Err(err) => return view! { <p class="form-error" role="alert">{err.to_string()}</p> }.into_any(),
                };
                let entries = if list.is_empty() {
                    view! { <p class="muted">"No support requests."</p> }.into_any()
                } else {
                    list.into_iter().map(|item| view! { <InboxEntry item /> }).collect_view().into_any()
                };
                view! {
                    <Title text="Support inbox" />
                    <div class="operator-frame">
                        <header class="topbar operator-bar">
                            <span class="operator-brand">"Xops support"</span>
                            <a href="/" class="btn btn-small">"Back to the portal"</a>
                        </header>
                        <main id="main" class="content">
                            <section class="page">
                                <h1>"Support inbox"</h1>
                                <Notice />
                                {entries}
                            </section>
                        </main>
                    </div>
                }
                .into_any()
            })}
        </Transition>
    }
}

#[component]
fn InboxEntry(item: InboxItem) -> impl IntoView {
    let close_action = ServerAction::<CloseSupportRequest>::new();
    let delete_action = ServerAction::<DeleteRequestedAccount>::new();
    let close_error = error_of(close_action);
    let delete_error = error_of(delete_action);
    let open = item.status == "open";
    let id = item.id;
    let deletion = item.account.clone().filter(|_| open).map(|account| {
        let warning = (account.going_with_it > 0).then(|| view! {
            <p class="notice notice-warning">{format!(
                "This is the organization's last management account: its {} linked account(s) are deleted with it.",
                account.going_with_it
            )}</p>
        });
        view! {
            <ActionForm action=delete_action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="request_id" value=id />
                <p>{account.description.clone()}</p>
                {warning}
                <label for=format!("confirm_name_{id}")>"Enter the account name to confirm: " <strong>{account.name.clone()}</strong></label>
                <input id=format!("confirm_name_{id}") name="confirm_name" type="text" autocomplete="off" required />
                <FieldError error=delete_error field="confirm_name" />
                <FormError error=delete_error />
                <Submit label="Delete this management account" busy="Deleting…" danger=true />
            </ActionForm>
        }
    });
    view! {
        <article class="panel inbox-item" aria-label=item.subject.clone()>
            <h2>{item.subject.clone()}</h2>
            <p class="muted">{format!("{} · {} · {} · {}", item.organization, item.author, item.created, item.delivery)}</p>
            <p class="capitalize">{item.status.clone()}</p>
            <p class="pre-wrap">{item.description.clone()}</p>
            {deletion}
            {open.then(|| view! {
                <ActionForm action=close_action>
                    <input type="hidden" name="request_id" value=id />
                    <FormError error=close_error />
                    <Submit label="Close" busy="Closing…" />
                </ActionForm>
            })}
        </article>
    }
}
