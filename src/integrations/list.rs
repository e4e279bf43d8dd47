//! Account lists as the Integrations cards, the card pages and Home show them: a table with
//! each account's status and actions (Edit, Delete, Re-test), and a
//! pager for lists longer than a page.
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::retest::RetestAccount;
use crate::accounts::workspace::{load_card_page, with_workspace};
use crate::accounts::{AccountSummary, PAGE_SIZE};
use crate::domain::{AccountStatus, Card, Provider};
use crate::integrations::marks::provider_mark;
use crate::ui::{dialog_link, DialogRequest};

/// An account's Edit: Azure's opens its subscriptions page (which also offers the name), the
/// others the rename dialog on top of the page at `here`.
fn edit_link(account: &AccountSummary, here: &str) -> AnyView {
    let id = account.id;
    match account.provider {
        Provider::Azure => view! { <a href=format!("/accounts/{id}/subscriptions") class="btn btn-small">"Edit"</a> }.into_any(),
        Provider::Aws | Provider::Eks | Provider::M365 | Provider::Entra => {
            dialog_link(DialogRequest::Rename(id), here, "Edit", "btn btn-small").into_any()
        }
    }
}

/// A management account's way to its AWS Organization (the tree, Link accounts).
fn organization_link(account: &AccountSummary) -> Option<AnyView> {
    use crate::domain::AwsKind;
    match account.kind.aws() {
        Some(AwsKind::Management) => Some(
            view! { <a href=format!("/accounts/{}/organization", account.id) class="btn btn-small">"Organization"</a> }.into_any(),
        ),
        Some(AwsKind::Linked | AwsKind::Eks) | None => None,
    }
}

/// The id column's heading: "Tenant ID" when every row is a Microsoft tenant, and so on.
fn account_id_heading(accounts: &[AccountSummary]) -> &'static str {
    let mut labels = accounts.iter().map(|a| a.provider.account_id_label());
    let first = labels.next().unwrap_or("Account ID");
    if labels.all(|l| l == first) { first } else { "Account ID" }
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
/// `manage`, also Edit, Delete (a management account's leads to the support note) and Re-test. Rows use plain links
/// (the router still handles them) and share one Re-test form (the clicked button sends its
/// account_id): a component per link and a form per row made long lists slow to render.
#[component]
pub fn AccountList(
    accounts: Vec<AccountSummary>,
    #[prop(optional)] manage: bool,
    /// Each status message in full under its status (Home's attention list), not a click away.
    #[prop(optional)]
    full_messages: bool,
    /// For a Viewer: Re-test stays; Edit, Delete and certificate renewal go.
    #[prop(optional)]
    read_only: bool,
) -> impl IntoView {
    let changes = manage && !read_only;
    let retest = ServerAction::<RetestAccount>::new();
    let retest_error = crate::ui::error_of(retest);
    // How many listed accounts are verified through each account (a management account's linked ones).
    let dependents: Vec<usize> = accounts
        .iter()
        .map(|a| {
            let count = |kind| accounts.iter().filter(|d| d.kind == kind).count();
            a.kind.dependents().map_or(0, count)
        })
        .collect();
    let here = crate::ui::here();
    let id_heading = account_id_heading(&accounts);
    view! {
        {manage.then(|| view! { <crate::ui::FormError error=retest_error /> })}
        <ActionForm action=retest>
        <table class=if full_messages { "accounts with-causes" } else { "accounts" }>
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Provider"</th>
                    <th scope="col">{id_heading}</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Last checked"</th>
                    {manage.then(|| view! { <th scope="col">"Actions"</th> })}
                </tr>
            </thead>
            <tbody>
                {accounts
                    .into_iter()
                    .zip(dependents)
                    .map(|(a, dependents)| {
                        let id = a.id;
                        let provider = a.provider_and_kind();
                        let message = a.status_message.clone();
                        let edit = changes.then(|| edit_link(&a, &here));
                        let organization = manage.then(|| organization_link(&a)).flatten();
                        let delete = changes.then(|| dialog_link(DialogRequest::Delete(id), &here, "Delete", "btn btn-small btn-danger"));
                        let expiry = a.certificate_expires.clone().map(|date| {
                            let class = if a.certificate_expiring { "hint expiring" } else { "hint" };
                            let text = if a.certificate_expiring {
                                format!(" Certificate expires {date}: renew it before then. ")
                            } else {
                                format!(" Certificate expires {date}. ")
                            };
                            view! { <span class=class>{text} <a href=format!("/accounts/{id}/certificate")>"Renew certificate"</a></span> }.into_any()
                        }).or_else(|| {
                            // A Microsoft account with no certificate signs in with a federated credential.
                            crate::domain::MsService::of(a.provider).map(|_| view! {
                                <span class="hint">" Signs in with a federated credential: nothing expires. "
                                    <a href=format!("/accounts/{id}/certificate")>"Manage sign-in"</a></span>
                            }.into_any())
                        });
                        view! {
                            <tr data-account=a.name.clone()>
                                <td>
                                    {a.name.clone()}
                                    {changes.then_some(expiry)}
                                    {(manage && dependents > 0).then(|| view! {
                                        <span class="hint">{format!(" Has {dependents} linked account(s).")}</span>
                                    })}
                                </td>
                                <td><span class="provider">{provider_mark(a.provider.card())} {provider}</span></td>
                                <td><code>{a.external_account_id.clone()}</code></td>
                                <td>
                                    <span class=a.status.css_class() title=message.clone()>{a.status.label()}</span>
                                    // One line; the whole message a click away, so the row stays one row.
                                    {(manage && a.status != AccountStatus::Connected).then(|| if full_messages {
                                        view! {
                                            <p class="status-cause">{message} " "
                                                <a href=a.kind.setup_href()>"Setup guidance"</a></p>
                                        }.into_any()
                                    } else {
                                        view! { <details class="status-message"><summary>{message.clone()}</summary><p>{message}</p></details> }.into_any()
                                    })}
                                </td>
                                <td>{a.last_checked.clone().unwrap_or_else(|| "Never".into())}</td>
                                {manage.then(|| view! {
                                    <td><div class="actions">
                                        {edit}
                                        {organization}
                                        // A management account's Delete shows the guide's note and the way to support.
                                        {delete}
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

/// The accounts under one card, with their actions (on the card's own page, beside its
/// form), a page at a time (`?page=N`).
#[component]
pub fn CardAccounts(card: Card) -> impl IntoView {
    let query = use_query_map();
    // A memo: opening a dialog changes the query, and must not render the list again.
    let page = Memo::new(move |_| query.read().get("page").and_then(|p| p.parse::<i64>().ok()).filter(|p| *p > 1));
    move || match page.get() {
        None => with_workspace(move |ws| {
            let accounts = ws.accounts_of(card);
            let total = ws.total(card);
            if accounts.is_empty() {
                view! { <p class="muted empty">{format!("No {} accounts linked yet.", card.noun())}</p> }.into_any()
            } else {
                view! { <AccountList accounts manage=true read_only=!ws.may_change() /> <Pager href=card.href() page=1 total /> }.into_any()
            }
        })
        .into_any(),
        Some(page) => {
            let list = Resource::new(move || page, move |page| load_card_page(card.slug().to_string(), page));
            let workspace: crate::accounts::workspace::WorkspaceResource = expect_context();
            view! {
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        let read_only = !workspace.may_change().await;
                        match list.await {
                            Ok(p) => view! {
                                <AccountList accounts=p.accounts manage=true read_only />
                                <Pager href=card.href() page=p.page total=p.total />
                            }
                            .into_any(),
                            Err(err) => view! { <p class="form-error">{err.to_string()}</p> }.into_any(),
                        }
                    })}
                </Transition>
            }
            .into_any()
        }
    }
}

/// What to say when a card has no accounts: how to add one, to those who may.
pub fn empty_sentence(card: Card, may_change: bool) -> String {
    let how = if may_change { " Select Add Account to link one." } else { "" };
    format!("No {} accounts linked yet.{how}", card.noun())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_cards_say_how_to_add_an_account() {
        assert_eq!(empty_sentence(Card::Eks, true), "No EKS accounts linked yet. Select Add Account to link one.");
        assert_eq!(empty_sentence(Card::Eks, false), "No EKS accounts linked yet.");
    }
}
