use leptos::prelude::*;
use leptos_router::components::A;

use crate::accounts::Card;

/// The four cards of the guide's "Select Your Preferred Cloud Service or Platform" page.
#[component]
pub fn SelectPlatformPage() -> impl IntoView {
    let cards = [
        (Card::Aws, "Cross-account IAM role with an External ID"),
        (Card::Eks, "Amazon Elastic Kubernetes Service clusters"),
        (Card::Azure, "App registration with a certificate"),
        (Card::Microsoft, "Microsoft 365 and Microsoft Entra ID"),
    ];
    view! {
        <section class="page">
            <h1>"Select Your Preferred Cloud Service or Platform"</h1>
            <p class="lead">
                "Choose the platform of the first account to connect. You can add the others later from "
                <strong>"Integrations"</strong> "."
            </p>
            <div class="card-grid">
                {cards
                    .into_iter()
                    .map(|(card, blurb)| {
                        view! {
                            <A href=card.href() attr:class="platform-card">
                                <span class=format!("logo logo-{}", card.slug())>{card.short()}</span>
                                <span class="card-title">{card.title()}</span>
                                <span class="card-blurb">{blurb}</span>
                            </A>
                        }
                    })
                    .collect_view()}
            </div>
        </section>
    }
}
