//! The first-login selection, "Select Your Preferred Cloud Service or Platform": a card per
//! integration, the AWS one opening Select AWS Account Type over the page.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::domain::Card;

/// The guide's "Select Your Preferred Cloud Service or Platform": one card per integration.
#[component]
pub fn SelectPlatformPage() -> impl IntoView {
    let mut cards = Card::ALL;
    cards.sort_by_key(|card| card.selection_rank());
    view! {
        <Title text="Select Your Preferred Cloud Service or Platform" />
        <section class="page">
            <h1>"Select Your Preferred Cloud Service or Platform"</h1>
            <p class="lead">
                "Choose the platform of the first account to connect. You can add the others later from "
                <strong>"Integrations"</strong> "."
            </p>
            <div class="card-grid">
                {cards
                    .into_iter()
                    .map(|card| {
                        view! {
                            <a href=crate::ui::add_account_href(card, crate::onboarding::landing::SELECT_PLATFORM_PATH) data-noscroll="true" class="platform-card">
                                {super::marks::provider_mark(card)}
                                <span class="card-title">{card.title()}</span>
                                <span class="card-blurb">{card.blurb()}</span>
                            </a>
                        }
                    })
                    .collect_view()}
            </div>
        </section>
    }
}
