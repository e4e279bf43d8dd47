//! Integrations: the only part of the portal that tells providers apart. One card per
//! provider with its connected accounts (`list`), what every link does around its own
//! verification (`linking`), checking an account again (`retest`), and a folder per provider.
pub mod aws;
#[cfg(feature = "ssr")]
pub mod linking;
pub mod list;
pub mod marks;
pub mod microsoft;
pub mod retest;
pub mod selection;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::accounts::workspace::with_workspace;
use crate::domain::Card;
use list::{empty_sentence, AccountList, Pager};

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    view! {
        <Title text="Integrations" />
        <section class="page">
            <h1>"Integrations"</h1>
            <crate::ui::Notice />
            <p class="lead">"Link your AWS, Azure, Microsoft and EKS accounts, and manage the ones already linked."</p>
            {with_workspace(|ws| {
                // The guide: select the account at the top right, then manage it here, first.
                let selected = ws.current_account().cloned().map(|account| view! {
                    <section class="panel integration-card selected-account" aria-label="Selected account">
                        <header class="integration-card-head"><h2>"Selected account"</h2></header>
                        <p class="muted">"The account chosen at the top right. Every account is also listed under its provider below."</p>
                        <AccountList accounts=vec![account] manage=true read_only=!ws.may_change() />
                    </section>
                });
                let cards = Card::ALL
                    .iter().copied()
                    .map(|card| {
                        let accounts = ws.accounts_of(card);
                        view! {
                            <section class="panel integration-card" aria-label=card.title()>
                                <header class="integration-card-head">
                                    <A href=card.href() attr:class="integration-card-title">
                                        {marks::provider_mark(card)}
                                        <h2>{card.title()}</h2>
                                    </A>
                                    {ws.may_change().then(|| view! {
                                        <a href=crate::ui::add_account_href(card, "/integrations") data-noscroll="true" class="btn">{card.add_label()}</a>
                                    })}
                                </header>
                                {if accounts.is_empty() {
                                    view! { <p class="muted empty">{empty_sentence(card, ws.may_change())}</p> }.into_any()
                                } else {
                                    let total = ws.total(card);
                                    view! { <AccountList accounts manage=true read_only=!ws.may_change() /> <Pager href=card.href() page=1 total /> }.into_any()
                                }}
                            </section>
                        }
                    })
                    .collect_view();
                view! { {selected} {cards} }
            })}
        </section>
    }
}
