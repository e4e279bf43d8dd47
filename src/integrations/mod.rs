//! Integrations: one card per provider with its connected accounts; each card opens that
//! provider's linking flow.
pub mod aws;
pub mod microsoft;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use leptos_router::hooks::use_query_map;

use crate::accounts::{load_card_page, AccountList, AccountSummary, Card, Pager, Workspace};
use crate::layout::WorkspaceResource;

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

pub fn accounts_of(ws: &Workspace, card: Card) -> Vec<AccountSummary> {
    ws.accounts.iter().filter(|a| card.holds(a.provider)).cloned().collect()
}

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    view! {
        <Title text="Integrations" />
        <section class="page">
            <h1>"Integrations"</h1>
            <crate::ui::Notice />
            <p class="lead">"Link your AWS, Azure, Microsoft and EKS accounts, and manage the ones already linked."</p>
            {with_workspace(|ws| {
                Card::ALL
                    .into_iter()
                    .map(|card| {
                        let accounts = accounts_of(&ws, card);
                        view! {
                            <section class="panel integration-card" aria-label=card.title()>
                                <header class="integration-card-head">
                                    <A href=card.href() attr:class="integration-card-title">
                                        <span class=format!("logo logo-{}", card.slug())>{card.short()}</span>
                                        <h2>{card.title()}</h2>
                                    </A>
                                    <A href=card.href() attr:class="btn">"Add Account"</A>
                                </header>
                                {if accounts.is_empty() {
                                    view! { <p class="muted empty">{empty_sentence(card)}</p> }.into_any()
                                } else {
                                    let total = ws.total(card);
                                    view! { <AccountList accounts manage=true /> <Pager href=card.href() page=1 total /> }.into_any()
                                }}
                            </section>
                        }
                    })
                    .collect_view()
            })}
        </section>
    }
}

/// The accounts under one card, with their actions (on the card's own page, beside its
/// form), a page at a time (`?page=N`).
#[component]
pub fn CardAccounts(card: Card) -> impl IntoView {
    let query = use_query_map();
    let page = move || query.read().get("page").and_then(|p| p.parse::<i64>().ok()).filter(|p| *p > 1);
    move || match page() {
        None => with_workspace(move |ws| {
            let accounts = accounts_of(&ws, card);
            let total = ws.total(card);
            if accounts.is_empty() {
                view! { <p class="muted empty">{format!("No {} accounts linked yet.", card.noun())}</p> }.into_any()
            } else {
                view! { <AccountList accounts manage=true /> <Pager href=card.href() page=1 total /> }.into_any()
            }
        })
        .into_any(),
        Some(page) => {
            let list = Resource::new(move || page, move |page| load_card_page(card.slug().to_string(), page));
            view! {
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match list.await {
                            Ok(p) => view! {
                                <AccountList accounts=p.accounts manage=true />
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

/// What to say when a card has no accounts: how to add one.
pub fn empty_sentence(card: Card) -> String {
    format!("No {} accounts linked yet. Select Add Account to link one.", card.noun())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_cards_say_how_to_add_an_account() {
        assert_eq!(empty_sentence(Card::Eks), "No EKS accounts linked yet. Select Add Account to link one.");
    }
}
