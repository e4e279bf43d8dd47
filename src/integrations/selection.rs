//! The first-login selection, "Select Your Preferred Cloud Service or Platform": a card per
//! integration, the AWS one opening Select AWS Account Type over the page.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::domain::Card;
use crate::onboarding::landing::{began_on, SELECT_PLATFORM_PATH};

/// The guide's "Select Your Preferred Cloud Service or Platform": one card per integration.
#[component]
pub fn SelectPlatformPage() -> impl IntoView {
    // A dialog opened here leads back to the page Add Cloud Account was chosen on.
    let here = StoredValue::new(match began_on(use_query_map().get_untracked().get("from")) {
        Some(from) => format!("{SELECT_PLATFORM_PATH}?from={}", crate::domain::percent_encode(&from)),
        None => SELECT_PLATFORM_PATH.to_string(),
    });
    view! {
        <Title text="Select Your Preferred Cloud Service or Platform" />
        <section class="page">
            <h1>"Select Your Preferred Cloud Service or Platform"</h1>
            <crate::ui::Notice />
            {crate::accounts::workspace::with_workspace(move |ws| {
                if !ws.may_change() {
                    // A Viewer of an organization with nothing linked yet: nothing to choose here.
                    return view! {
                        <p class="lead">{format!(
                            "Nothing is linked yet. Only an Admin or Owner can link accounts; your role is {}. \
                             Once they have, the accounts are under Integrations.",
                            ws.role.label()
                        )}</p>
                    }
                    .into_any();
                }
                // The first-run line only while there is nothing linked yet.
                let lead = if ws.total_accounts() == 0 {
                    view! {
                        <p class="lead">
                            "Choose the platform of the first account to connect. You can add the others later from "
                            <strong>"Integrations"</strong> "."
                        </p>
                    }
                    .into_any()
                } else {
                    view! { <p class="lead">"Choose the platform of the account to add."</p> }.into_any()
                };
                let mut cards = Card::ALL.to_vec();
                cards.sort_by_key(|card| card.selection_rank());
                let here = here.get_value();
                view! {
                    {lead}
                    <div class="card-grid">
                        {cards
                            .into_iter()
                            .map(|card| {
                                view! {
                                    <a href=crate::ui::add_account_href(card, &here) data-noscroll="true" class="platform-card">
                                        {super::marks::provider_mark(card)}
                                        <span class="card-title">{card.title()}</span>
                                        <span class="card-blurb">{card.blurb()}</span>
                                    </a>
                                }
                            })
                            .collect_view()}
                    </div>
                }
                .into_any()
            })}
        </section>
    }
}
