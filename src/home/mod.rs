//! Home: the organization's health (`health::dashboard`), the current account's details, and the
//! connected accounts by provider.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::accounts::workspace::WorkspaceResource;
use crate::accounts::AccountSummary;
use crate::domain::Card;
use crate::integrations::list::{AccountList, Pager};
use crate::onboarding::landing::landing_path;

#[component]
pub fn HomePage() -> impl IntoView {
    let WorkspaceResource(resource) = expect_context();
    view! {
        <Title text="Home" />
        <section class="page">
            <h1>"Home"</h1>
            <crate::ui::Notice />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let ws = match resource.await {
                        Ok(ws) => ws,
                        Err(err) => return view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                    };
                    // First login (reached by client-side navigation): the selection page instead.
                    let landing = landing_path(ws.total_accounts());
                    if landing != "/" {
                        return view! { <Redirect path=landing /> }.into_any();
                    }
                    let current = ws.current_account().cloned();
                    // With one account shown as Current account, no list of that one again.
                    let several = ws.total_accounts() > 1 || current.is_none();
                    view! {
                        <crate::health::dashboard::HealthDashboard read_only=!ws.may_change() />
                        {current.map(|account| current_account(account, ws.may_change()))}
                        {several.then(|| view! { <h2>"Connected accounts"</h2> })}
                        {Card::ALL
                            .iter().copied()
                            .filter_map(|card| {
                                let accounts = ws.accounts_of(card);
                                (several && !accounts.is_empty()).then(|| view! {
                                    <section class="provider-group">
                                        <h3>{card.title()}</h3>
                                        <AccountList accounts />
                                        <Pager href=card.href() page=1 total=ws.total(card) />
                                    </section>
                                })
                            })
                            .collect_view()}
                    }
                        .into_any()
                })}
            </Transition>
        </section>
    }
}

fn current_account(account: AccountSummary, may_change: bool) -> impl IntoView {
    use crate::ui::{dialog_link, DialogRequest};
    let here = crate::ui::here();
    view! {
        <section class="panel current-account" aria-label="Current account">
            <h2>"Current account: " {account.name.clone()}</h2>
            <dl class="details">
                <dt>"Provider"</dt>
                <dd>{account.provider.label()}</dd>
                {account.kind.short_label().map(|kind| view! { <dt>"Type"</dt><dd>{kind}</dd> })}
                <dt>"Account ID"</dt>
                <dd><code>{account.external_account_id.clone()}</code></dd>
                <dt>"Status"</dt>
                <dd><span class=account.status.css_class()>{account.status.label()}</span> " " {account.status_message.clone()}</dd>
                <dt>"Last checked"</dt>
                <dd>{account.last_checked.clone().unwrap_or_else(|| "Never".into())}</dd>
            </dl>
            {may_change.then(|| view! {
                <div class="actions">
                    {dialog_link(DialogRequest::Rename(account.id), &here, "Edit", "btn btn-small")}
                    {dialog_link(DialogRequest::Delete(account.id), &here, "Delete", "btn btn-small btn-danger")}
                </div>
            })}
        </section>
    }
}
